"""Lever connector against the local fake: opportunities with contacts and stage changes, the next
token, updated_at_start, deleted opportunities, crash and resume."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

import pytest

from tasks.ingest import ingest
from tasks.journey.stages import load_stage_map
from tasks.settings import Settings
from tasks.warehouse import run_checks, writer
from tests.fakes import failure_of_a_garbled_lookup, ingest_through_stages, uninterrupted_state, warehouse_state
from tests.fakes.lever import FakeLever
from tests.fakes.payloads import LEVER_STAGES, lever_opportunities, ms

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)
OPPS = "/v1/opportunities"
DELETED = "/v1/opportunities/deleted"


def configure(home, url: str, per_page: int = 20, now: datetime = NOW, reconcile_every_h: int = 168,
              land_rows: int = 5000) -> Settings:
    (home / "config" / "sources.yaml").write_text(f"""sources:
  - name: lever
    kind: lever
    channel: ats
    base_url: {url}/v1
    api_key_env: LEVER_TEST_KEY
    per_page: {per_page}
    overlap_s: 60
    reconcile_every_h: {reconcile_every_h}
""")
    return Settings(home=home, now=now, api_backoff_base_s=0.01, api_timeout_s=1.0, api_max_attempts=3,
                    api_land_rows=land_rows)


@pytest.fixture
def fake(monkeypatch):
    with FakeLever(lever_opportunities(50, seed=3, now=NOW)) as lv:
        monkeypatch.setenv("LEVER_TEST_KEY", lv.api_key)
        yield lv


def test_full_load_maps_contacts_and_stage_changes(home, fake):
    settings = configure(home, fake.url)
    with writer(settings) as con:
        report = ingest(con, settings)
        assert all(f.status == "loaded" for f in report.files)
        assert [q.get("offset") is None for q in fake.data_requests(OPPS)] == [True, False, False]
        assert all(q["limit"] == "20" and "updated_at_start" not in q for q in fake.data_requests(OPPS))
        staged, quarantined = con.execute(
            "select (select count(*) from staging.candidate_records), "
            "(select count(distinct source_record_id) from staging.quarantine where not starts_with(source_record_id, 'app:'))").fetchone()
        assert staged + quarantined == 50
        o = next(o for o in fake.opportunities.values() if o["stageChanges"] and o["phones"] and o["links"]
                 and " at " not in o["emails"][0] and not o["archived"])
        got = con.execute("select ats_person_id, email, full_name, stage, linkedin_url, applied_at from staging.candidate_records "
                          "where source_record_id = ?", [o["id"]]).fetchone()
        names = dict(LEVER_STAGES)
        assert got[:4] == (o["contact"], o["emails"][0].lower(), o["name"], names[o["stage"]])
        assert got[4].startswith("https://www.linkedin.com/in/")
        assert got[5] == datetime.fromtimestamp(o["createdAt"] / 1000, timezone.utc)
        rows = con.execute("select stage, changed_at, ats_person_id from staging.stage_changes where starts_with(source_record_id, ?) "
                           "order by changed_at", [f"app:{o['id']}:"]).fetchall()
        assert [r[0] for r in rows] == [names[c["toStageId"]] for c in o["stageChanges"]]
        assert {r[2] for r in rows} == {o["contact"]}
        stage_map = load_stage_map(settings.config_dir)
        names = [s for (s,) in con.execute("select distinct stage from staging.stage_changes").fetchall()]
        assert {stage_map[n.strip().casefold()] for n in names} == {"applied", "interviewing", "offered", "hired", "rejected",
                                                                    "withdrew"}
        hired = sum((o["archived"] or {}).get("reason") == "ar-hired" for o in fake.opportunities.values())
        assert con.execute("select count(*) from staging.stage_changes where stage = 'Hired'").fetchone()[0] == hired > 0
        # An old opportunity without timestamps still lands; its stage has no time, so no stage row.
        old = next(o for o in fake.opportunities.values() if o["updatedAt"] is None)
        assert con.execute("select count(*) from staging.candidate_records where source_record_id = ?", [old["id"]]).fetchone()[0] == 1
        shared = con.execute("select count(*) from (select ats_person_id from staging.candidate_records "
                             "group by 1 having count(*) > 1)").fetchone()[0]
        assert shared >= 1                                     # a contact holding two opportunities
        run_checks(con)


def test_incremental_run_and_deleted_opportunities(home, fake):
    settings = configure(home, fake.url)
    with writer(settings) as con:
        ingest(con, settings)
        before = warehouse_state(con)
    later = NOW + timedelta(hours=3)
    ids = [o["id"] for o in fake.opportunities.values() if o["stageChanges"]]
    fake.update(ids[0], NOW + timedelta(hours=1), tags=["moved"])
    gone = ids[1]
    fake.delete(gone, NOW + timedelta(hours=2))
    fake.requests.clear()
    settings = configure(home, fake.url, now=later)
    with writer(settings) as con:
        report = ingest(con, settings)
        since = str(ms(NOW - timedelta(seconds=60)))
        assert [q.get("updated_at_start") for q in fake.data_requests(OPPS)] == [since]
        assert [q.get("deleted_at_start") for q in fake.data_requests(DELETED)] == [since]
        assert report.summary_rows()[0]["deleted"] == 1
        after = warehouse_state(con)
        assert con.execute("select tags from staging.candidate_records where source_record_id = ?", [ids[0]]).fetchone()[0] == ["moved"]
        assert con.execute("select count(*) from staging.candidate_records where source_record_id = ?", [gone]).fetchone()[0] == 0
        assert con.execute("select count(*) from staging.stage_changes where starts_with(source_record_id, ?)", [f"app:{gone}:"]).fetchone()[0] == 0
        deletes = con.execute("select source_record_id from raw.source_records where op = 'delete' order by 1").fetchall()
        removed_stage_rows = [r for r in before["stages"] if r[0].startswith(f"app:{gone}:")]
        assert len(deletes) == 1 + len(removed_stage_rows) and (gone,) in deletes
        # nothing else lost: every other staged record and stage row is still there
        assert len(after["staged"]) == len(before["staged"]) - 1
        assert len(after["stages"]) == len(before["stages"]) - len(removed_stage_rows)
        run_checks(con)
    # Replaying the same window (overlap) changes nothing.
    with writer(settings.model_copy(update={"now": later + timedelta(minutes=1)})) as con:
        ingest(con, settings.model_copy(update={"now": later + timedelta(minutes=1)}))
        assert warehouse_state(con) == after


def test_crash_in_the_deleted_stream_resumes_there(home, tmp_path, fake):
    for o in list(fake.opportunities)[:25]:
        fake.delete(o, NOW - timedelta(days=1))
    settings = configure(home, fake.url, per_page=10, land_rows=10)  # each page lands on its own
    fake.break_after_pages = 2 + 3 + 1              # stages and archive reasons, 3 opportunity pages, 1 deleted page
    with writer(settings) as con:
        report = ingest(con, settings)
        assert report.files[-1].status == "failed" and "lever: gave up on" in report.files[-1].error
        cursors = dict(con.execute("select cursor_name, value from meta.watermarks").fetchall())
        assert cursors["run.stream"] == "deleted" and cursors["run.next"]
    fake.break_after_pages = None
    fake.requests.clear()
    with writer(settings) as con:
        ingest(con, settings)
        assert fake.data_requests(OPPS) == [] and len(fake.data_requests(DELETED)) == 2
        resumed = warehouse_state(con)
    assert uninterrupted_state(tmp_path, configure, fake.url) == resumed


def test_full_scan_removes_an_opportunity_gone_without_a_deleted_entry(home, fake):
    settings = configure(home, fake.url, per_page=100)
    with writer(settings) as con:
        ingest(con, settings)
    vanished = next(iter(fake.opportunities))
    del fake.opportunities[vanished]                   # gone, but not in the deleted list
    fake.requests.clear()
    rescan = configure(home, fake.url, per_page=100, now=NOW + timedelta(hours=1), reconcile_every_h=0)
    with writer(rescan) as con:
        report = ingest(con, rescan)
        assert report.summary_rows()[0]["deleted"] == 1
        assert [p for p, _, _, status in fake.requests if status == 404] == [f"{OPPS}/{vanished}"]
        assert con.execute("select count(*) from staging.candidate_records where source_record_id = ?", [vanished]).fetchone()[0] == 0
        run_checks(con)


def test_a_restored_opportunity_is_open_again_and_each_opportunity_is_an_application(home, fake):
    # a contact with two opportunities: one at on-site, one archived; the archived one is then restored
    opps = sorted(fake.opportunities.values(), key=lambda o: o["id"])
    first, second = [o for o in opps if o["stageChanges"] and not o["archived"]
                     and o["stage"] in (LEVER_STAGES[2][0], LEVER_STAGES[3][0])][:2]
    fake.update(second["id"], NOW - timedelta(days=2), contact=first["contact"], emails=first["emails"],
                name=first["name"], archived={"reason": "ar-underqualified", "archivedAt": ms(NOW - timedelta(days=2))})

    def journey(settings) -> tuple:
        with writer(settings) as con:
            ingest_through_stages(con, settings)
            archived = con.execute("select count(*) from staging.stage_changes where source_record_id = ?",
                                   [f"app:{second['id']}:archived"]).fetchall()[0][0]
            return archived, con.execute("""
                select s.open_applications from core.person_stages as s join core.identity_links as l using (person_id)
                where l.source_record_id = ?""", [first["id"]]).fetchall()[0][0]

    # the on-site opportunity stays open though the contact's other one was archived after it
    assert journey(configure(home, fake.url)) == (1, 1)
    fake.update(second["id"], NOW + timedelta(hours=1), archived=None)
    assert journey(configure(home, fake.url, now=NOW + timedelta(hours=2))) == (0, 2)


def _own_contact(opps: list[dict]) -> list[dict]:
    """Open opportunities with stage changes and a valid email whose contact holds no other opportunity."""
    return [o for o in opps if o["stageChanges"] and not o["archived"] and "@" in o["emails"][0]
            and sum(p["contact"] == o["contact"] for p in opps) == 1]


def test_an_opportunity_archived_because_the_candidate_withdrew_ends_in_withdrew_not_rejected(home, fake):
    withdrew, spelled, rejected = _own_contact(sorted(fake.opportunities.values(), key=lambda o: o["id"]))[:3]
    at = NOW - timedelta(days=1)
    for o, reason in ((withdrew, "ar-withdrew"), (spelled, "ar-candidate-withdrew"), (rejected, "ar-underqualified")):
        fake.update(o["id"], at, archived={"reason": reason, "archivedAt": ms(at)})
    settings = configure(home, fake.url)
    with writer(settings) as con:
        ingest_through_stages(con, settings)
        got = dict((rid, rest) for rid, *rest in con.execute("""
            select l.source_record_id, s.current_stage, s.withdrew_at, s.rejected_at
            from core.person_stages as s join core.identity_links as l using (person_id)
            where l.source_record_id in (?, ?, ?)""", [withdrew["id"], spelled["id"], rejected["id"]]).fetchall())
        archived_at = datetime.fromtimestamp(ms(at) / 1000, timezone.utc)
        # "Withdrew" and "candidate withdrew " are aliases of withdrew (stages.yaml, case and blanks ignored)
        assert got == {withdrew["id"]: ["withdrew", archived_at, None], spelled["id"]: ["withdrew", archived_at, None],
                       rejected["id"]: ["rejected", None, archived_at]}
        run_checks(con)


def test_an_anonymized_opportunity_leaves_staging_and_identity_like_a_deleted_one(home, fake):
    gone = _own_contact(sorted(fake.opportunities.values(), key=lambda o: o["id"]))[0]
    email = gone["emails"][0].lower()
    settings = configure(home, fake.url)
    with writer(settings) as con:
        ingest_through_stages(con, settings)
        assert con.execute("select count(*) from core.persons where email = ?", [email]).fetchall() == [(1,)]
        raw_before = con.execute("select op, payload_sha256 from raw.source_records where source_record_id = ?",
                                 [gone["id"]]).fetchall()
    # Lever anonymizes it (GDPR request or retention policy) and lists it on with its personal fields blanked
    fake.update(gone["id"], NOW + timedelta(hours=1), isAnonymized=True, name="", headline="", emails=[], phones=[],
                links=[], location=None)
    later = configure(home, fake.url, now=NOW + timedelta(hours=2))
    with writer(later) as con:
        ingest_through_stages(con, later)
        one = [gone["id"]]
        assert con.execute("select count(*) from staging.candidate_records where source_record_id = ?", one).fetchall() == [(0,)]
        assert con.execute("select count(*) from staging.stage_changes where starts_with(source_record_id, ?)",
                           [f"app:{gone['id']}:"]).fetchall() == [(0,)]
        assert con.execute("select count(*) from staging.deleted_records where source_record_id = ?", one).fetchall() == [(1,)]
        raw = con.execute("select op, payload from raw.source_records where source_record_id = ? and op = 'delete'", one).fetchall()
        assert len(con.execute("select 1 from raw.source_records where source_record_id = ?", one).fetchall()) == len(raw_before) + 1
        assert len(raw) == 1 and "@" not in raw[0][1] and '"isAnonymized":true' in raw[0][1].replace(" ", "")
        assert con.execute("select count(*) from core.identity_links where source_record_id = ?", one).fetchall() == [(0,)]
        assert con.execute("select count(*) from core.persons where email = ?", [email]).fetchall() == [(0,)]
        assert con.execute("select count(*) from core.person_addresses where address = ?", [email]).fetchall() == [(0,)]
        run_checks(con)
        after = warehouse_state(con)
    # the full scan lists it again: nothing changes
    rescan = configure(home, fake.url, now=NOW + timedelta(hours=3), reconcile_every_h=0)
    with writer(rescan) as con:
        report = ingest(con, rescan)
        assert report.summary_rows()[0]["deleted"] == 0 and warehouse_state(con) == after


def test_a_body_that_is_not_json_fails_the_source_naming_the_url_and_quoting_nothing(home, fake, caplog):
    # unlisted, and not reported deleted either: asked for by id
    failure = failure_of_a_garbled_lookup(home, configure, fake, NOW, lambda: fake.opportunities.pop(sorted(fake.opportunities)[0]), caplog)
    assert f"lever: {fake.url}/v1/opportunities/" in failure and failure.endswith("did not return JSON")


def test_fields_of_unexpected_types_are_read_as_absent_and_end_no_run(home, fake):
    """A stage or archive reason given as a list (not a stage id) raised `unhashable type` out of the
    connector: a traceback that ended the night's ingest."""
    ids = list(fake.opportunities)[:3]
    at = NOW - timedelta(hours=1)
    fake.update(ids[0], at, stage=["phone-screen"], stageChanges=[], name=None)
    fake.update(ids[1], at, archived={"reason": ["ar-hired"], "archivedAt": ms(at)}, emails=[{"value": "x@y.io"}])
    fake.update(ids[2], at, stageChanges=[{"toStageId": ["offer"], "updatedAt": ms(at)}], phones={"value": "+1 415 555 2671"})
    settings = configure(home, fake.url)
    with writer(settings) as con:
        report = ingest(con, settings)
        assert {f.status for f in report.files} == {"loaded"}
        staged = {r for (r,) in con.execute("select source_record_id from staging.candidate_records").fetchall()}
        quarantined = {r for (r,) in con.execute("select source_record_id from staging.quarantine").fetchall()}
        assert set(ids) <= staged | quarantined
        assert con.execute("select stage from staging.stage_changes where source_record_id = ?",
                           [f"app:{ids[1]}:archived"]).fetchall() == [("Archived",)]
        run_checks(con)


def test_a_deleted_item_naming_no_opportunity_is_left_out_with_a_warning(home, fake, caplog):
    """An entry of the deleted list without an id raised KeyError: 'id' out of apply_deletes."""
    gone = list(fake.opportunities)[0]
    fake.delete(gone, NOW - timedelta(hours=1))
    fake.deleted.append({"deletedAt": ms(NOW - timedelta(hours=1))})
    settings = configure(home, fake.url)
    with writer(settings) as con:
        report = ingest(con, settings)
        assert {f.status for f in report.files} == {"loaded"}
        assert "1 item(s) of" in caplog.text and "name no record to delete" in caplog.text
        run_checks(con)


def test_the_first_email_given_is_the_first_that_is_an_address(home, fake):
    """`emails[0]` took a blank or null first entry as no email: a candidate whose second entry is an
    address was quarantined as contact_present ('neither email nor phone')."""
    oid = list(fake.opportunities)[0]
    fake.update(oid, NOW - timedelta(hours=1), emails=[None, " ", "Second@X.io"], phones=[])
    settings = configure(home, fake.url)
    with writer(settings) as con:
        ingest(con, settings)
        assert con.execute("select email from staging.candidate_records where source_record_id = ?", [oid]).fetchall() == [
            ("second@x.io",)]


def test_a_long_run_says_how_far_it_got_while_it_pages(home, fake, monkeypatch, caplog):
    # A run logged nothing until its last page: 101 pages of a 10,000-opportunity Lever took 50 s of
    # silence, and the 400 pages of bench/connectors.py's Greenhouse 224 s.
    monkeypatch.setattr("tasks.sources.api.PROGRESS_EVERY_S", 0.0, raising=False)
    settings = configure(home, fake.url)
    with caplog.at_level(logging.INFO, logger="tasks.sources.api"), writer(settings) as con:
        ingest(con, settings)
    lines = [r.getMessage() for r in caplog.records if r.name == "tasks.sources.api"]
    progress = [line for line in lines if "so far" in line]
    # the 3 opportunity pages land as one batch (api_land_rows): the line counts pages, not batches
    assert progress and progress[0].startswith("lever: 3 page(s) so far; read "), lines
    assert lines.index(progress[0]) < lines.index(next(line for line in lines if line.startswith("lever: ") and "so far" not in line
                                                       and "page(s);" in line))


def test_a_next_token_given_again_fails_the_source_instead_of_paging_forever(home, fake):
    # a `next` token naming a page this run had read (an API bug, a proxy caching one answer) was followed for
    # ever: the run never ended, holding the warehouse lock; so was one in the stages listing
    import json

    from tests.fakes.lever import _token

    settings = configure(home, fake.url)
    again = (200, {}, json.dumps({"data": [], "hasNext": True, "next": _token(0)}).encode())
    fake.script = [again] * 10
    with writer(settings) as con:
        report = ingest(con, settings)
        assert not con.execute("select count(*) from meta.watermarks where cursor_name = 'watermark'").fetchone()[0]
    assert len(fake.data_requests(OPPS)) == 2
    assert len(report.failures) == 1 and report.failures[0].endswith(
        f"gives as its next page {_token(0)}, which this run has asked for already: the API's paging goes round in "
        f"a loop; stopped there (the pages landed before stay)")
    fake.requests.clear()
    fake.script = [None] + [again] * 10     # the first page as it is, landed at once, then the stages listing goes round
    settings = configure(home, fake.url, land_rows=1)
    with writer(settings) as con:
        report = ingest(con, settings)
    assert len(fake.data_requests("/v1/stages")) == 2
    assert report.failures[0].endswith(f"gives as its next page {_token(0)}, which was asked for already: the API's "
                                       f"paging goes round in a loop")


def test_a_page_saying_it_has_a_next_one_without_its_token_fails_the_source_instead_of_ending_the_run(home, fake):
    # `hasNext: true` without `next` ended the stream as if it were the last page: the run completed, its
    # watermark moved past the opportunities of the pages never read, and only the next full scan brought them
    import json

    settings = configure(home, fake.url)
    fake.script = [(200, {}, json.dumps({"data": [], "hasNext": True}).encode())]
    with writer(settings) as con:
        report = ingest(con, settings)
        assert not con.execute("select count(*) from meta.watermarks where cursor_name = 'watermark'").fetchone()[0]
    assert len(report.failures) == 1 and report.failures[0].endswith(
        "says hasNext but gives no next token: the pages after it cannot be asked for; stopped there")


def test_a_stages_page_saying_it_has_a_next_one_without_its_token_fails_the_source(home, fake):
    # the stages listing stopped there as if complete: the stage ids of the pages never read were staged as
    # stage names (`d9a3…` for `Phone screen`), unmapped in stages.yaml, and those candidates' funnel stalled
    import json

    settings = configure(home, fake.url, land_rows=1)
    fake.script = [None, (200, {}, json.dumps({"data": [], "hasNext": True}).encode())]   # page 1, then /stages
    with writer(settings) as con:
        report = ingest(con, settings)
    assert len(report.failures) == 1 and "/v1/stages?limit=100 says hasNext but gives no next token" in report.failures[0]
