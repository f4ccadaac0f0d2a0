"""core.person_successors and core.identity_record_moves across deletions, returns, rescores, overrides and source
renames (helper-61's scenarios, 2026-11-29): real DuckDB, real resolve runs."""

from __future__ import annotations

import shutil
from datetime import timedelta

from tasks.identity.explain import explain
from tasks.identity.resolve import resolve
from tasks.journey.consent import refresh_consent
from tasks.renames import apply_renames, retire_sources
from tasks.sources.api import apply_deletes
from tasks.sources.registry import SourceConfig
from tasks.warehouse import run_checks, writer
from tests.unit.test_identity import T0, history, later, person_of, stage, successors_of


def gh(name: str, renamed_from: str | None = None) -> SourceConfig:
    return SourceConfig(name=name, renamed_from=renamed_from, kind="greenhouse", channel="ats",
                        base_url="http://127.0.0.1:9", api_key_env="X")


def moves(con) -> list[tuple]:
    return con.execute("select record_key, from_person_id, to_person_id, run_id from core.identity_record_moves "
                       "order by run_id, record_key").fetchall()


def erased(con, settings) -> list[int]:
    refresh_consent(con, settings)
    return [p for (p,) in con.execute("select distinct person_id from core.suppressions where reason = 'erasure_request' "
                                      "and person_id is not null order by 1").fetchall()]


def kims_record_back_in_yukis_person_then_split_off(con, settings, home) -> tuple[int, int, int]:
    """Kim (a:1, id X) is deleted, X retires; a:1 comes back and joins the person Y of b:1 (X is recorded as merged
    into Y, record_returned: no record move is kept, the record was not linked); a cannot-link then splits a:1
    off Y as Z. X's erasure request (by person id, R1) was made on day 0. -> (X, Y, Z)"""
    stage(con, {"key": "a:1", "first": "kim", "last": "park", "email": "kim@example.org"},
          {"key": "b:1", "first": "kim", "last": "park", "phone": "+14155550102", "at": T0 + timedelta(hours=1)})
    resolve(con, later(settings, 0))
    x, y = person_of(con)["a:1"], person_of(con)["b:1"]
    assert x != y
    con.execute("insert into raw.erasure_requests (request_id, person_id, requested_at) values ('R1', ?, ?)",
                [x, T0 + timedelta(hours=5)])
    apply_deletes(con, gh("a"), [{"id": "1"}], "deleted", later(settings, 1))
    resolve(con, later(settings, 1))
    stage(con, {"key": "a:1", "first": "kim", "last": "park", "email": "kim@example.org", "phone": "+14155550102",
                "sha": "back"})
    resolve(con, later(settings, 2))
    assert person_of(con) == {"a:1": y, "b:1": y}
    assert history(con)[-1] == ("merge", x, y, "record_returned")
    (home / "config" / "identity_overrides.yaml").write_text("cannot_link:\n  - [a:1, b:1]\n")
    resolve(con, later(settings, 3))
    z = person_of(con)["a:1"]
    assert z not in (x, y) and person_of(con)["b:1"] == y
    assert history(con)[-1] == ("split", y, z, "cannot_link")
    run_checks(con)
    return x, y, z


def test_a_record_that_came_back_into_a_live_person_and_split_off_again_is_still_its_old_ids(settings, home):
    """Z holds X's only record: X's erasure holds for it, and explain names it. Until the returning record's
    move was kept (its link had gone with its deletion): [(Y, True)], the erasure held for Y only."""
    with writer(later(settings, 0)) as con:
        x, y, z = kims_record_back_in_yukis_person_then_split_off(con, settings, home)
        assert moves(con)[-2:] == [("a:1", x, y, 3), ("a:1", y, z, 4)]
        assert successors_of(con, x) == [(y, True), (z, False)]
        assert erased(con, later(settings, 3)) == [y, z]
        assert explain(con, x)["gone"] == (f"person {x} was merged into person {y} (record_returned); records it held "
                                          f"went on to person {z} since; see `candor explain {y}`, `candor explain {z}`")


def test_records_of_a_retired_id_that_come_back_to_two_persons_are_both_its_successors(settings):
    """Kim's two records (one person X) are both deleted, X retires; both come back, a:2 with another address and
    no longer Kim's: a:1 revives X, a:2 is split off X to a new id Z (history row split X -> Z). a:2 was X's
    record: Z is X's successor (until its move was kept, [] and the erasure held for X only)."""
    with writer(later(settings, 0)) as con:
        stage(con, {"key": "a:1", "first": "kim", "last": "park", "email": "kim@example.org"},
              {"key": "a:2", "first": "kim", "last": "park", "email": "kim@example.org", "phone": "+14155550102",
               "at": T0 + timedelta(hours=1)})
        resolve(con, later(settings, 0))
        x = person_of(con)["a:1"]
        assert person_of(con)["a:2"] == x
        con.execute("insert into raw.erasure_requests (request_id, person_id, requested_at) values ('R1', ?, ?)",
                    [x, T0 + timedelta(hours=5)])
        apply_deletes(con, gh("a"), [{"id": "1"}, {"id": "2"}], "deleted", later(settings, 1))
        resolve(con, later(settings, 1))
        stage(con, {"key": "a:1", "first": "kim", "last": "park", "email": "kim@example.org", "sha": "back"},
              {"key": "a:2", "first": "lee", "last": "ro", "email": "lee@example.org", "sha": "back"})
        resolve(con, later(settings, 2))
        z = person_of(con)["a:2"]
        assert person_of(con)["a:1"] == x != z
        assert ("split", x, z, "record_returned") in history(con)
        run_checks(con)
        assert moves(con) == [("a:2", x, z, 3)]
        assert successors_of(con, x) == [(z, False)]
        assert erased(con, later(settings, 2)) == [x, z]


def alice_bob_and_a_moving_record(con, settings) -> tuple[int, int]:
    """Alice's two records a:1, a:2 and Bob's b:1; a:2 is given Bob's details (a split Alice -> Bob)."""
    alice = {"key": "a:2", "first": "alice", "last": "smith", "email": "alice@example.org", "sha": "v1"}
    stage(con, {"key": "a:1", "first": "alice", "last": "smith", "email": "alice@example.org", "phone": "+14155550101"},
          alice, {"key": "b:1", "first": "bob", "last": "jones", "email": "bob@example.net", "phone": "+14155550199"})
    resolve(con, later(settings, 0))
    ids = person_of(con)
    stage(con, {**alice, "first": "bob", "last": "jones", "email": "bob@example.net", "sha": "v2"})
    resolve(con, later(settings, 1))
    assert person_of(con) == {"a:1": ids["a:1"], "a:2": ids["b:1"], "b:1": ids["b:1"]}
    return ids["a:1"], ids["b:1"]


def test_a_source_rename_renames_the_moves_and_keeps_the_successors(settings, home):
    with writer(later(settings, 0)) as con:
        alice, bob = alice_bob_and_a_moving_record(con, settings)
        assert successors_of(con, alice) == [(bob, False)]
        con.execute("insert into raw.source_records (source_name, source_record_id, payload, payload_sha256, batch_id, "
                    "ingested_at) values ('a', '1', '{}', 'x', 'b', now())")
        renamed = gh("c", "a")
        assert apply_renames(con, [renamed, gh("b")],
                             home / "config", later(settings, 2)) == [("a", "c")]
        assert [(k, s, f, t) for (k, s, f, t) in con.execute(
            "select record_key, source_name, from_person_id, to_person_id from core.identity_record_moves").fetchall()] == [
            ("c:2", "c", alice, bob)]
        assert successors_of(con, alice) == [(bob, False)]
        resolve(con, later(settings, 3))
        assert successors_of(con, alice) == [(bob, False)]
        run_checks(con)


def test_a_source_renamed_onto_a_retired_name_takes_none_of_its_moves(settings, home):
    """Source r's record r:1 moves W -> X (a merge); r is retired (r:1 deleted); source c, whose record c:1 is
    Lee's, is renamed to r: c:1 becomes r:1. W's successors must not take Lee's person in."""
    with writer(later(settings, 0)) as con:
        stage(con, {"key": "b:1", "first": "kim", "last": "park", "email": "kim@example.org"},
              {"key": "r:1", "first": "kim", "last": "park", "phone": "+14155550102", "at": T0 + timedelta(hours=1)},
              {"key": "c:1", "first": "lee", "last": "ro", "email": "lee@example.org"})
        resolve(con, later(settings, 0))
        x, w, lee = (person_of(con)[k] for k in ("b:1", "r:1", "c:1"))
        stage(con, {"key": "b:2", "first": "kim", "last": "park", "email": "kim@example.org", "phone": "+14155550102"})
        resolve(con, later(settings, 1))
        assert history(con) == [("merge", w, x, "new_evidence")]
        retire_sources(con, ["r"], later(settings, 2))
        resolve(con, later(settings, 2))
        assert "r:1" not in person_of(con)
        con.execute("insert into raw.source_records (source_name, source_record_id, payload, payload_sha256, batch_id, "
                    "ingested_at) values ('c', '1', '{}', 'x', 'b', now())")
        renamed = gh("r", "c")
        assert apply_renames(con, [renamed, gh("b")],
                             home / "config", later(settings, 3)) == [("c", "r")]
        resolve(con, later(settings, 3))
        assert person_of(con)["r:1"] == lee
        assert moves(con) == []
        assert successors_of(con, w) == [(x, True)]
        assert successors_of(con, lee) == []


def kim_deleted_and_back_as_lee(con, settings, moved_first: bool) -> tuple[int, int, int | None]:
    """Kim's person X holds b:1 and c:1 -- c:1 merged in from its own person W when moved_first, else c:1 was
    X's from the start; c:1 is deleted (X keeps b:1) and comes back as Lee's record, a new person Z.
    -> (X, Z, W)."""
    if moved_first:
        stage(con, {"key": "b:1", "first": "kim", "last": "park", "email": "kim@example.org"},
              {"key": "c:1", "first": "kim", "last": "park", "phone": "+14155550102", "at": T0 + timedelta(hours=1)})
        resolve(con, later(settings, 0))
        x, w = person_of(con)["b:1"], person_of(con)["c:1"]
        stage(con, {"key": "b:2", "first": "kim", "last": "park", "email": "kim@example.org", "phone": "+14155550102"})
        resolve(con, later(settings, 1))
        assert history(con) == [("merge", w, x, "new_evidence")]
    else:
        stage(con, {"key": "b:1", "first": "kim", "last": "park", "email": "kim@example.org"},
              {"key": "c:1", "first": "kim", "last": "park", "email": "kim@example.org", "phone": "+14155550102",
               "at": T0 + timedelta(hours=1)})
        resolve(con, later(settings, 0))
        x, w = person_of(con)["b:1"], None
        resolve(con, later(settings, 1))
    assert person_of(con)["c:1"] == x
    apply_deletes(con, gh("c"), [{"id": "1"}], "deleted", later(settings, 2))
    resolve(con, later(settings, 2))
    stage(con, {"key": "c:1", "first": "lee", "last": "ro", "email": "lee@example.org", "sha": "back"})
    resolve(con, later(settings, 3))
    z = person_of(con)["c:1"]
    assert z not in (x, w) and person_of(con)["b:1"] == x
    return x, z, w


def test_a_record_deleted_and_staged_again_elsewhere_is_followed_whether_it_had_moved_before_or_not(settings):
    """c:1 leaves X (deleted) and comes back as Lee's record, a new person Z: still the record it was, so X's and
    (when c:1 had been merged in from W) W's suppressions hold for Z. Until its return was kept as a move (helper-61,
    helper-62), Z was their successor when c:1 had moved before and not when it had not, and explain of W said
    "splits since took records on to person Z" though nothing split."""
    with writer(later(settings, 0)) as con:
        x, z, w = kim_deleted_and_back_as_lee(con, settings, moved_first=True)
        assert [r for r in history(con) if r[0] == "split"] == []
        assert moves(con) == [("c:1", w, x, 2), ("c:1", x, z, 4)]
        assert (successors_of(con, x), successors_of(con, w)) == ([(z, False)], [(x, True), (z, False)])
        assert explain(con, w)["gone"] == (f"person {w} was merged into person {x} (new_evidence); records it held "
                                          f"went on to person {z} since; see `candor explain {x}`, `candor explain {z}`")
    second = settings.model_copy(update={"home": settings.home / "second"})
    shutil.copytree(settings.home / "config", settings.home / "second" / "config")
    with writer(later(second, 0)) as con:
        x, z, _ = kim_deleted_and_back_as_lee(con, second, moved_first=False)
        assert moves(con) == [("c:1", x, z, 4)]
        assert successors_of(con, x) == [(z, False)]


def test_a_moved_record_back_in_the_person_its_last_id_was_merged_into_is_still_its_first_ids(settings, home):
    """Alice's record a:2 is given Bob's details (split Alice -> Bob); Alice asks for erasure; a:2 is deleted (Bob
    keeps b:1), and for as long as it is gone Alice's erasure holds for her alone; a must-link merges Bob into
    Carl's older person; a:2 comes back with Bob's details into Carl's person. Carl holds a:2, once Alice's: her
    erasure holds for Carl (helper-62: it did not while a return was no move; the id-to-id view had Carl)."""
    bob = {"first": "bob", "last": "jones", "email": "bob@example.net"}
    with writer(later(settings, 0)) as con:
        alice2 = {"key": "a:2", "first": "alice", "last": "smith", "email": "alice@example.org", "sha": "v1"}
        stage(con, {"key": "a:0", "first": "carl", "last": "west", "email": "carl@example.org"},
              {"key": "a:1", "first": "alice", "last": "smith", "email": "alice@example.org", "phone": "+14155550101"},
              alice2, {"key": "b:1", **bob, "phone": "+14155550199"})
        resolve(con, later(settings, 0))
        carl, alice, bob_id = (person_of(con)[k] for k in ("a:0", "a:1", "b:1"))
        assert carl < bob_id and alice != bob_id and person_of(con)["a:2"] == alice
        stage(con, {**alice2, **bob, "sha": "v2"})
        resolve(con, later(settings, 1))
        assert person_of(con)["a:2"] == bob_id
        con.execute("insert into raw.erasure_requests (request_id, person_id, requested_at) values ('R1', ?, ?)",
                    [alice, T0 + timedelta(days=1, hours=5)])
        assert erased(con, later(settings, 1)) == sorted([alice, bob_id])
        apply_deletes(con, gh("a"), [{"id": "2"}], "deleted", later(settings, 2))
        resolve(con, later(settings, 2))
        assert (successors_of(con, alice), erased(con, later(settings, 2))) == ([], [alice])
        (home / "config" / "identity_overrides.yaml").write_text("must_link:\n  - [a:0, b:1]\n")
        resolve(con, later(settings, 3))
        assert history(con)[-1] == ("merge", bob_id, carl, "must_link")
        stage(con, {**alice2, **bob, "sha": "back"})
        resolve(con, later(settings, 4))
        assert person_of(con)["a:2"] == person_of(con)["b:1"] == carl
        assert moves(con) == [("a:2", alice, bob_id, 2), ("b:1", bob_id, carl, 4), ("a:2", bob_id, carl, 5)]
        assert (successors_of(con, alice), successors_of(con, bob_id)) == ([(carl, False)], [(carl, True)])
        assert erased(con, later(settings, 4)) == sorted([alice, carl])
