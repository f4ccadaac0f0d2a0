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
from tests.journey_fixtures import event
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


def deleted_and_back_as_lee(con, settings, key: str, day: int) -> int:
    """The record `key` deleted by its source on `day` (a resolve run), then staged again as Lee's record the next
    day (a resolve run) -> the person it is in then."""
    source, record_id = key.split(":")
    apply_deletes(con, gh(source), [{"id": record_id}], "deleted", later(settings, day))
    resolve(con, later(settings, day))
    stage(con, {"key": key, "first": "lee", "last": "ro", "email": "lee@example.org", "sha": "back"})
    resolve(con, later(settings, day + 1))
    return person_of(con)[key]


def kims_w_merged_into_x(con, settings) -> tuple[int, int]:
    """Kim's b:1 (person X) and c:1 (person W, her phone only); a new record b:2 with both merges W into X (runs 1
    and 2) -> (X, W)."""
    stage(con, {"key": "b:1", "first": "kim", "last": "park", "email": "kim@example.org"},
          {"key": "c:1", "first": "kim", "last": "park", "phone": "+14155550102", "at": T0 + timedelta(hours=1)})
    resolve(con, later(settings, 0))
    x, w = person_of(con)["b:1"], person_of(con)["c:1"]
    stage(con, {"key": "b:2", "first": "kim", "last": "park", "email": "kim@example.org", "phone": "+14155550102"})
    resolve(con, later(settings, 1))
    assert history(con) == [("merge", w, x, "new_evidence")]
    return x, w


def kim_deleted_and_back_as_lee(con, settings, moved_first: bool) -> tuple[int, int, int | None]:
    """Kim's person X holds b:1 and c:1 -- c:1 merged in from its own person W when moved_first, else c:1 was
    X's from the start; c:1 is deleted (X keeps b:1) and comes back as Lee's record, a new person Z.
    -> (X, Z, W)."""
    if moved_first:
        x, w = kims_w_merged_into_x(con, settings)
    else:
        stage(con, {"key": "b:1", "first": "kim", "last": "park", "email": "kim@example.org"},
              {"key": "c:1", "first": "kim", "last": "park", "email": "kim@example.org", "phone": "+14155550102",
               "at": T0 + timedelta(hours=1)})
        resolve(con, later(settings, 0))
        x, w = person_of(con)["b:1"], None
        resolve(con, later(settings, 1))
    assert person_of(con)["c:1"] == x
    z = deleted_and_back_as_lee(con, settings, "c:1", 2)
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


# helper-63's scenarios: ids from before migration 071, and statements by a merged-away id's person id

def as_before_migration_071(con, first_run: int) -> None:
    """As tests/unit/test_identity.py::merge_zed_into_kim_then_split_kims_own_record(before_migration=True) does:
    the runs before `first_run` ran before migration 071 (no record moves kept)."""
    con.execute("delete from core.identity_record_moves")
    con.execute("update meta.identity_record_moves_since set run_id = ?", [first_run])


def erase(con, request_id: str, person_id: int, day: int) -> None:
    con.execute("insert into raw.erasure_requests (request_id, person_id, requested_at) values (?, ?, ?)",
                [request_id, person_id, T0 + timedelta(days=day, hours=5)])


def test_pre071_merged_id_whose_record_comes_back_elsewhere_follows_it(settings):
    """W (c:1) merged into X before migration 071 (no moves kept: followed id to id); after it, c:1 is deleted
    (X keeps b:1, b:2) and comes back as Lee's record, a new person Z. Z holds W's only record: W's
    suppressions must hold for Z (the id-to-id rule reaches X only; the return has no history row)."""
    with writer(later(settings, 0)) as con:
        x, w = kims_w_merged_into_x(con, settings)
        as_before_migration_071(con, 3)
        erase(con, "R1", w, 1)
        z = deleted_and_back_as_lee(con, settings, "c:1", 2)
        assert z not in (x, w) and person_of(con)["b:1"] == x
        run_checks(con)
        assert moves(con) == [("c:1", x, z, 4)]
        assert (successors_of(con, w), erased(con, later(settings, 3))) == ([(x, True), (z, False)], sorted([x, z]))


def test_pre071_split_id_whose_record_comes_back_elsewhere_follows_it(settings):
    """Alice's a:2 is given Bob's details (split Alice -> Bob) before migration 071; after it a:2 is deleted (Bob
    keeps b:1) and comes back as Lee's record, a new person Z. Z holds Alice's record a:2: Alice's erasure
    must hold for Z."""
    with writer(later(settings, 0)) as con:
        alice, bob = alice_bob_and_a_moving_record(con, settings)
        as_before_migration_071(con, 3)
        erase(con, "R1", alice, 1)
        z = deleted_and_back_as_lee(con, settings, "a:2", 2)
        assert z not in (alice, bob) and person_of(con)["b:1"] == bob
        run_checks(con)
        assert moves(con) == [("a:2", bob, z, 4)]
        assert successors_of(con, bob) == [(z, False)]
        # Bob by ids (errs towards suppressing), Z by a:2
        assert (successors_of(con, alice), erased(con, later(settings, 3))) == (
            sorted([(bob, False), (z, False)]), sorted([alice, bob, z]))


def spam_reported(con, settings) -> list[int]:
    refresh_consent(con, settings)
    return [p for (p,) in con.execute("select distinct person_id from core.suppressions where reason = 'spam_report' "
                                      "and person_id is not null order by 1").fetchall()]


def spam_report(con, person_id: int, day: int) -> None:
    event(con, f"s-{person_id}", "spam_report", T0 + timedelta(days=day, hours=6), person_id=person_id)


def test_a_spam_report_of_an_id_merged_away_holds_where_its_deleted_record_came_back(settings):
    """X (b:1, older) and W (c:1, c:2, Kim's phone). W's spam report by person id (a provider event with person_id W).
    c:1 is deleted; c:2 gets X's email (W merged into X); c:1 comes back as Lee's record, a new person Z (a move
    W -> Z). The view lists Z for W; W's spam report must hold for Z as its erasure would. provider_events_resolved
    moves the event to X (is_merged) and core.suppressions then follows X's successors, not W's."""
    with writer(later(settings, 0)) as con:
        stage(con, {"key": "b:1", "first": "kim", "last": "park", "email": "kim@example.org"})
        resolve(con, later(settings, 0))
        x = person_of(con)["b:1"]
        stage(con, {"key": "c:1", "first": "kim", "last": "park", "phone": "+14155550102"},
              {"key": "c:2", "first": "kim", "last": "park", "phone": "+14155550102", "sha": "v1"})
        resolve(con, later(settings, 1))
        w = person_of(con)["c:1"]
        assert person_of(con)["c:2"] == w and x < w
        spam_report(con, w, 1)
        erase(con, "RW", w, 1)
        apply_deletes(con, gh("c"), [{"id": "1"}], "deleted", later(settings, 2))
        resolve(con, later(settings, 2))
        stage(con, {"key": "c:2", "first": "kim", "last": "park", "email": "kim@example.org", "sha": "v2"})
        resolve(con, later(settings, 3))
        assert history(con)[-1] == ("merge", w, x, "new_evidence")
        stage(con, {"key": "c:1", "first": "lee", "last": "ro", "email": "lee@example.org", "sha": "back"})
        resolve(con, later(settings, 4))
        z = person_of(con)["c:1"]
        assert z not in (x, w)
        run_checks(con)
        assert moves(con) == [("c:2", w, x, 4), ("c:1", w, z, 5)]
        assert successors_of(con, w) == [(x, True), (z, False)]
        assert erased(con, later(settings, 4)) == [x, z]
        assert spam_reported(con, later(settings, 4)) == [x, z]


def test_a_spam_report_of_an_id_split_then_merged_away_holds_for_the_part_split_off(settings):
    """Same without a deletion: W's c:2 is corrected to Lee (split W -> V), then c:1 gets X's email (W merged into X).
    W's erasure holds for X and V; its spam report (by person id) must too."""
    with writer(later(settings, 0)) as con:
        stage(con, {"key": "b:1", "first": "kim", "last": "park", "email": "kim@example.org"})
        resolve(con, later(settings, 0))
        x = person_of(con)["b:1"]
        stage(con, {"key": "c:1", "first": "kim", "last": "park", "phone": "+14155550102", "sha": "v1"},
              {"key": "c:2", "first": "kim", "last": "park", "phone": "+14155550102", "sha": "v1"})
        resolve(con, later(settings, 1))
        w = person_of(con)["c:1"]
        spam_report(con, w, 1)
        erase(con, "RW", w, 1)
        stage(con, {"key": "c:2", "first": "lee", "last": "ro", "email": "lee@example.org", "sha": "v2"})
        resolve(con, later(settings, 2))
        v = person_of(con)["c:2"]
        assert person_of(con)["c:1"] == w != v
        stage(con, {"key": "c:1", "first": "kim", "last": "park", "email": "kim@example.org", "sha": "v2"})
        resolve(con, later(settings, 3))
        assert person_of(con)["c:1"] == x and v not in (x, w)
        assert history(con) == [("split", w, v, "evidence_gone"), ("merge", w, x, "new_evidence")]
        run_checks(con)
        assert successors_of(con, w) == [(x, True), (v, False)]
        assert erased(con, later(settings, 3)) == [x, v]
        assert spam_reported(con, later(settings, 3)) == [x, v]
