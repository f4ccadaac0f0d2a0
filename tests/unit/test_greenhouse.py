"""Greenhouse Harvest connector against the local fake: full and incremental loads, crash and resume,
429/5xx/timeouts/401, deletions by full scan. Real DuckDB file, real HTTP on 127.0.0.1."""

from __future__ import annotations

import logging
import pickle
import time
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

from tasks.ingest import ingest
from tasks.journey.stages import load_stage_map
from tasks.settings import Settings
from tasks.status import quarantine_by_rule
from tasks.warehouse import run_checks, writer
from tests.fakes import failure_of_a_garbled_lookup, ingest_through_stages, uninterrupted_state, warehouse_state
from tests.fakes.greenhouse import FakeGreenhouse
from tests.fakes.payloads import greenhouse_candidates, iso

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)
PATH = "/v1/candidates"


def configure(home, url: str, per_page: int = 25, now: datetime = NOW, mapping: str = "", land_rows: int = 5000,
              **extra) -> Settings:
    """Writes a sources.yaml holding one Greenhouse source; returns settings with tiny retry waits
    (land_rows = per_page: each page lands on its own)."""
    lines = [f"  - {k}: {v}" if i == 0 else f"    {k}: {v}" for i, (k, v) in enumerate({
        "name": "greenhouse", "kind": "greenhouse", "channel": "ats", "base_url": f"{url}/v1",
        "api_key_env": "GH_TEST_KEY", "per_page": per_page, "overlap_s": 60, **extra}.items())]
    (home / "config" / "sources.yaml").write_text("sources:\n" + "\n".join(lines) + "\n" + mapping)
    return Settings(home=home, now=now, api_backoff_base_s=0.01, api_timeout_s=1.0, api_max_attempts=3,
                    api_land_rows=land_rows)


@pytest.fixture
def fake(monkeypatch):
    with FakeGreenhouse(greenhouse_candidates(60, seed=1, now=NOW)) as gh:
        monkeypatch.setenv("GH_TEST_KEY", gh.api_key)
        yield gh


def expected_stage_rows(candidates) -> int:
    n = 0
    for c in candidates:
        for a in c["applications"]:
            n += 2 + (a["status"] in ("hired", "rejected"))
    return n


def test_full_load_maps_candidates_applications_and_sets_the_watermark(home, fake):
    settings = configure(home, fake.url)
    with writer(settings) as con:
        report = ingest(con, settings)
        assert [(f.status, f.pages) for f in report.files] == [("loaded", 3)]   # 3 pages land as one batch
        queries = fake.data_requests(PATH)
        assert len(queries) == 3 and queries[0] == {"per_page": "25"}
        assert [q.get("page") for q in queries] == [None, "2", "3"]
        row = report.summary_rows()[0]
        assert row["read"] == row["staged"] + row["quarantined"] == 60 + expected_stage_rows(fake.candidates.values())
        staged, quarantined = con.execute(
            "select (select count(*) from staging.candidate_records), "
            "(select count(distinct source_record_id) from staging.quarantine)").fetchone()
        assert staged + quarantined == 60 and 0 < quarantined < 6  # the fake's broken emails
        assert con.execute("select count(*) from raw.source_records where not starts_with(source_record_id, 'app:')").fetchone()[0] == 60

        # A candidate with a work and a personal email, a mobile phone and a LinkedIn link among others.
        c = next(c for c in fake.candidates.values() if len(c["email_addresses"]) == 2 and c["phone_numbers"]
                 and len(c["social_media_addresses"]) == 2 and c["applications"] and " at " not in c["email_addresses"][1]["value"])
        got = con.execute("select email, phone, ats_person_id, first_name, current_company, linkedin_url, job_id, stage, "
                          "applied_at, source_kind, channel from staging.candidate_records where source_record_id = ?",
                          [str(c["id"])]).fetchone()
        latest = max(c["applications"], key=lambda a: a["applied_at"])
        assert got[0] == c["email_addresses"][1]["value"].lower()          # personal preferred over work
        assert got[1].startswith("+1") and got[2] == str(c["id"]) and got[3] == c["first_name"]
        assert got[4] == c["company"] and got[5].startswith("https://www.linkedin.com/in/")
        assert got[6] == str(latest["jobs"][0]["id"]) and got[7] == latest["current_stage"]["name"]
        assert got[8] == datetime.fromisoformat(latest["applied_at"].replace("Z", "+00:00"))
        assert got[9:] == ("greenhouse", "ats")

        stages = con.execute("select stage, changed_at from staging.stage_changes where ats_person_id = ? order by source_record_id",
                             [str(c["id"])]).fetchall()
        assert ("Applied", datetime.fromisoformat(latest["applied_at"].replace("Z", "+00:00"))) in stages
        assert con.execute("select count(*) from staging.stage_changes").fetchone()[0] == expected_stage_rows(fake.candidates.values())
        hired = sum(a["status"] == "hired" for c in fake.candidates.values() for a in c["applications"])
        assert con.execute("select count(*) from staging.stage_changes where stage = 'Hired'").fetchone()[0] == hired
        # Every stage name the connector emits is one the journey's default stages.yaml maps: the funnel sees them.
        stage_map = load_stage_map(settings.config_dir)
        names = [s for (s,) in con.execute("select distinct stage from staging.stage_changes").fetchall()]
        assert {stage_map[n.strip().casefold()] for n in names} == {"applied", "interviewing", "offered", "hired", "rejected"}

        cursors = dict(con.execute("select cursor_name, value from meta.watermarks where source_name = 'greenhouse'").fetchall())
        assert cursors == {"watermark": NOW.isoformat(), "last_full_at": NOW.isoformat()}
        run_checks(con)


def test_429_waits_for_retry_after_and_5xx_and_timeouts_retry(home, fake):
    settings = configure(home, fake.url, per_page=30).model_copy(update={"api_max_attempts": 4})
    fake.script = [(429, {"Retry-After": "1"}), 503, ("sleep", 1.5)]
    with writer(settings) as con:
        report = ingest(con, settings)
        assert [(f.status, f.pages) for f in report.files] == [("loaded", 2)]
        assert con.execute("select count(*) from staging.candidate_records").fetchone()[0] > 50
    # the fake notes the request that timed out when its handler wakes, 1.5 s after it came: with both
    # pages landed as one batch the run can end before that
    deadline = time.monotonic() + 5
    while len(fake.requests) < 5 and time.monotonic() < deadline:
        time.sleep(0.05)
    times = [(t, status) for p, _, t, status in fake.requests if p == PATH]
    assert [s for _, s in times][:2] == [429, 503]
    assert times[1][0] - times[0][0] >= 1.0      # Retry-After honoured
    assert len(fake.requests) == 5               # 429, 503, timeout, then pages 1 and 2


def test_a_server_trickling_its_answer_is_given_up_on_after_the_request_limit_and_retried(home, fake):
    # a byte every few seconds never lets httpx's read timeout fire: a 25-candidate page trickled
    # 8 bytes per 0.3 s held the run for minutes, and a trickling proxy could hold the night for good
    settings = configure(home, fake.url).model_copy(update={"api_request_max_s": 1.5})
    fake.script = [("trickle", 0.3)]
    started = time.monotonic()
    with writer(settings) as con:
        report = ingest(con, settings)
    assert not report.failures and [f.status for f in report.files] == ["loaded"]
    first, second = fake.requests[:2]                   # the trickled attempt, then its retry
    assert first[3] == 200 and second[1] == first[1]
    assert time.monotonic() - started < 30


def test_a_retry_after_date_is_waited_for_by_the_wall_clock_whatever_the_frozen_clock_says(home, fake):
    # Retry-After as an HTTP date is the API's wall-clock time and the wait is real seconds, whatever
    # CANDOR_NOW (tests, replays) says the date is: a frozen clock a week back read it as a week to wait
    settings = configure(home, fake.url, per_page=100)
    fake.script = [(429, {"Retry-After": format_datetime(datetime.fromtimestamp(int(time.time()) + 3, timezone.utc),
                                                         usegmt=True)})]
    with writer(settings) as con:
        report = ingest(con, settings)
    assert not report.failures and [f.status for f in report.files] == ["loaded"]
    (_, _, first, status), (_, _, second, _) = fake.requests[:2]
    assert status == 429 and 1.5 <= second - first < 4.0  # the date is 2 to 3 s ahead


def test_unauthorized_fails_at_once_naming_the_source_and_never_shows_the_key(home, fake, monkeypatch, caplog):
    key = fake.api_key
    monkeypatch.setenv("GH_TEST_KEY", "wrong-key-7c1e")
    settings = configure(home, fake.url)
    caplog.set_level(logging.DEBUG)
    with writer(settings) as con:
        report = ingest(con, settings)
        assert con.execute("select count(*) from meta.watermarks").fetchone()[0] == 0
    assert [f.status for f in report.files] == ["failed"]
    assert len(fake.requests) == 1                               # no retry on 401
    message = report.failures[0]
    assert "greenhouse: HTTP 401" in message and f"{fake.url}/v1/candidates" in message
    for text in (message, caplog.text):
        assert "wrong-key-7c1e" not in text and key not in text

    monkeypatch.delenv("GH_TEST_KEY")
    with writer(settings) as con:
        report = ingest(con, settings)
    assert "greenhouse: environment variable GH_TEST_KEY (api_key_env) is not set" in report.failures[0]


def test_a_key_holding_bytes_that_are_no_text_fails_the_source_and_goes_nowhere(home, fake, monkeypatch, caplog):
    monkeypatch.setenv("GH_TEST_KEY", "gh-secret-\udcff-key")  # byte 0xff in the variable (os.environ's surrogateescape)
    settings = configure(home, fake.url)
    caplog.set_level(logging.DEBUG)
    with writer(settings) as con:
        try:
            report = ingest(con, settings)
        except Exception as exc:  # Prefect pickles the error that fails a flow run into PREFECT_HOME/storage
            assert "gh-secret" not in repr(pickle.dumps(exc))
            raise
    assert report.failures == [f"{fake.url}/v1: greenhouse: the key in environment variable GH_TEST_KEY (api_key_env) "
                               "holds bytes that are not UTF-8 text; set it again"]
    assert "gh-secret" not in caplog.text and not fake.requests


def test_a_body_that_is_not_json_fails_the_source_naming_the_url_and_quoting_nothing(home, fake, caplog):
    # json.JSONDecodeError keeps the whole body; escaping the run, it is printed and pickled under PREFECT_HOME
    failure = failure_of_a_garbled_lookup(home, configure, fake, NOW, lambda: fake.delete(sorted(fake.candidates)[0]), caplog)
    assert f"greenhouse: {fake.url}/v1/candidates?candidate_ids=" in failure
    assert failure.endswith("did not return a JSON array of candidates")


def test_persistent_5xx_gives_up_after_the_bound_with_a_clear_error(home, fake):
    settings = configure(home, fake.url)
    fake.break_after_pages = 0
    with writer(settings) as con:
        report = ingest(con, settings)
    assert len(fake.requests) == 3                               # api_max_attempts
    assert report.failures[0].endswith("after 3 attempts; last: HTTP 500")
    assert "greenhouse: gave up on http://127.0.0.1:" in report.failures[0]


def test_incremental_run_fetches_only_changed_records_with_overlap(home, fake):
    settings = configure(home, fake.url)
    # Updated 30 s before the first run started: inside the overlap, fetched again, changes nothing.
    fake.update(sorted(fake.candidates)[10], NOW - timedelta(seconds=30))
    with writer(settings) as con:
        ingest(con, settings)
        before = warehouse_state(con)
    later = NOW + timedelta(hours=6)
    changed = sorted(fake.candidates)[:3]
    for cid in changed:
        fake.update(cid, NOW + timedelta(hours=2), title="Staff Engineer")
    fake.requests.clear()
    settings = configure(home, fake.url, now=later)
    with writer(settings) as con:
        report = ingest(con, settings)
        after = warehouse_state(con)
        # the filter is listed twice: the second pass looks for records the pages missed (none here)
        assert fake.data_requests(PATH) == [{"per_page": "25", "updated_after": "2026-11-20T11:59:00Z"}] * 2
        assert report.summary_rows()[0]["loaded"] == 1
        # The page held 4 candidates; the one in the overlap was unchanged and is not staged again
        # (the page's counts hold all 4: read, and staged, 3 of them anew).
        assert sum(c["updated_at"] >= "2026-11-20T11:59:00" for c in fake.candidates.values()) == 4
        assert con.execute("select rows_read, rows_staged from meta.ingested_files where contains(file_path, 'updated_after') "
                           "and not contains(file_path, '(stages)')").fetchall() == [(4, 4)]
        assert con.execute("select count(*) from staging.candidate_records where staged_at = ?", [later]).fetchall() == [(3,)]
        titles = dict(con.execute("select source_record_id, current_title from staging.candidate_records").fetchall())
        assert all(titles[str(c)] == "Staff Engineer" for c in changed if str(c) in titles)
        new_raw = set(after["raw"]) - set(before["raw"])
        assert {r[0] for r in new_raw} <= {str(c) for c in changed}    # only changed records got new versions
        assert len(after["staged"]) == len(before["staged"])
        assert dict(con.execute("select cursor_name, value from meta.watermarks").fetchall())["watermark"] == later.isoformat()
        run_checks(con)


def test_a_renamed_source_goes_on_incrementally_from_its_watermark_with_its_records_and_quarantine(home, fake):
    settings = configure(home, fake.url)
    with writer(settings) as con:
        ingest(con, settings)
        before, held = warehouse_state(con), quarantine_by_rule(con)
        cursors = con.execute("select cursor_name, value from meta.watermarks order by 1").fetchall()
    fake.requests.clear()
    renamed = configure(home, fake.url, now=NOW + timedelta(hours=6), name="gh_main", renamed_from="greenhouse")
    with writer(renamed) as con:
        report = ingest(con, renamed)
        # incremental from the old watermark, not a first full load: nothing read again
        assert fake.data_requests(PATH) == [{"per_page": "25", "updated_after": "2026-11-20T11:59:00Z"}] * 2
        assert report.summary_rows()[0]["read"] == 0
        assert warehouse_state(con) == before
        assert quarantine_by_rule(con) == [("gh_main", r, n) for _, r, n in held]
        assert con.execute("select cursor_name, value from meta.watermarks where cursor_name <> 'watermark' "
                           "and source_name = 'gh_main' order by 1").fetchall() == [c for c in cursors if c[0] != "watermark"]
        assert con.execute("select distinct source_name from staging.stage_changes").fetchall() == [("gh_main",)]
        run_checks(con)


def test_an_api_clock_behind_candors_dates_the_watermark_so_no_update_is_missed(home, fake):
    # updated_after compares updated_at, a time on Greenhouse's clock: with the watermark on Candor's, a
    # candidate updated just after a run started on an API whose clock runs 10 minutes behind was older
    # than the next run's filter (watermark - overlap_s) and was missed until the next full scan
    fake.clock_offset_s = (NOW - timedelta(minutes=10)).timestamp() - time.time()
    settings = configure(home, fake.url)
    with writer(settings) as con:
        ingest(con, settings)
        watermark = datetime.fromisoformat(dict(con.execute("select cursor_name, value from meta.watermarks").fetchall())["watermark"])
    cid = sorted(fake.candidates)[5]
    fake.update(cid, NOW - timedelta(minutes=8), title="Staff Engineer")             # after that, on the API's clock
    settings = configure(home, fake.url, now=NOW + timedelta(hours=6))
    with writer(settings) as con:
        ingest(con, settings)
        assert con.execute("select current_title from staging.candidate_records where source_record_id = ?",
                           [str(cid)]).fetchone() == ("Staff Engineer",)
    assert NOW - timedelta(minutes=10) <= watermark < NOW - timedelta(minutes=9)   # the first page's Date
    assert fake.data_requests(PATH)[-1]["updated_after"] == (watermark - timedelta(seconds=60)).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_crash_mid_run_then_resume_equals_an_uninterrupted_run(home, tmp_path, fake):
    # pages land two by two: the crash on page 4 loses page 3, fetched but not landed; the resumed run fetches it again
    settings = configure(home, fake.url, per_page=10, land_rows=20)
    fake.break_after_pages = 3
    with writer(settings) as con:
        report = ingest(con, settings)
        assert [(f.status, f.pages) for f in report.files] == [("loaded", 2), ("failed", 1)]
        cursors = dict(con.execute("select cursor_name, value from meta.watermarks").fetchall())
        assert cursors["run.next"].endswith("page=3") and "watermark" not in cursors
    fake.break_after_pages = None
    fake.requests.clear()
    resumed_settings = configure(home, fake.url, per_page=10, now=NOW + timedelta(minutes=5), land_rows=20)
    with writer(resumed_settings) as con:
        report = ingest(con, resumed_settings)
        assert [q.get("page") for q in fake.data_requests(PATH)] == ["3", "4", "5", "6"]
        resumed = warehouse_state(con)
        cursors = dict(con.execute("select cursor_name, value from meta.watermarks").fetchall())
        assert cursors == {"watermark": NOW.isoformat(), "last_full_at": NOW.isoformat()}  # the run's own start
        run_checks(con)

    assert uninterrupted_state(tmp_path, configure, fake.url) == resumed


def test_deleted_and_merged_candidates_are_found_by_the_periodic_full_scan(home, fake):
    settings = configure(home, fake.url, reconcile_every_h=24)
    with writer(settings) as con:
        ingest(con, settings)
        before = warehouse_state(con)
    gone = [cid for cid in sorted(fake.candidates) if fake.candidates[cid]["applications"]
            and any(r[0] == str(cid) for r in before["staged"])][:2]
    for cid in gone:
        fake.delete(cid)

    hour_later = configure(home, fake.url, now=NOW + timedelta(hours=1), reconcile_every_h=24)
    with writer(hour_later) as con:
        ingest(con, hour_later)                                  # incremental: cannot see deletions
        assert warehouse_state(con)["staged"] == before["staged"]

    fake.requests.clear()
    day_later = configure(home, fake.url, now=NOW + timedelta(hours=25), reconcile_every_h=24)
    with writer(day_later) as con:
        report = ingest(con, day_later)
        assert all("updated_after" not in q for q in fake.data_requests(PATH))   # a full scan
        row = report.summary_rows()[0]
        assert row["deleted"] == 2
        # Unchanged staged records are not staged again (they count as staged); quarantined ones are re-checked.
        assert row["read"] == row["staged"] + row["quarantined"] and row["quarantined"] == len(before["quarantine"]) > 0
        assert row["failed"] == 0 and not report.failures
        assert con.execute("select max(staged_at) from staging.candidate_records").fetchone()[0] == NOW
        after = warehouse_state(con)
        prefixes = tuple(f"app:{cid}:" for cid in gone)
        removed_stages = [r for r in before["stages"] if r[0].startswith(prefixes)]
        assert removed_stages
        assert {r[0] for r in after["staged"]} == {r[0] for r in before["staged"]} - {str(c) for c in gone}
        assert after["stages"] == [r for r in before["stages"] if not r[0].startswith(prefixes)]
        deletes = {r[0] for r in after["raw"] if r[1] == "delete"}
        assert deletes == {str(c) for c in gone} | {r[0] for r in removed_stages}
        assert con.execute("select count(*) from meta.api_seen_ids").fetchone()[0] == 0
        cursors = dict(con.execute("select cursor_name, value from meta.watermarks").fetchall())
        assert cursors["last_full_at"] == (NOW + timedelta(hours=25)).isoformat()
        run_checks(con)


def test_a_deleted_candidate_that_was_quarantined_loses_its_staged_stage_rows_at_the_full_scan(home, fake):
    # its stage rows are staged apart from it (they need no email); the full scan looked for gone records among the
    # staged candidates only, so those of a quarantined candidate deleted or merged in Greenhouse stayed for good
    settings = configure(home, fake.url, reconcile_every_h=0)
    with writer(settings) as con:
        ingest(con, settings)
        before = warehouse_state(con)
    quarantined = {r[0] for r in before["quarantine"]} - {r[0] for r in before["staged"]}
    gone = next(cid for cid in sorted(fake.candidates) if str(cid) in quarantined
                and any(r[0].startswith(f"app:{cid}:") for r in before["stages"]))
    fake.delete(gone)
    rescan = configure(home, fake.url, now=NOW + timedelta(hours=1), reconcile_every_h=0)
    with writer(rescan) as con:
        ingest(con, rescan)
        after = warehouse_state(con)
        assert [r for r in after["stages"] if r[0].startswith(f"app:{gone}:")] == []
        assert after["stages"] == [r for r in before["stages"] if not r[0].startswith(f"app:{gone}:")]
        assert after["staged"] == before["staged"]
        run_checks(con)


def test_a_candidate_only_ever_quarantined_that_the_full_scan_no_longer_lists_is_no_longer_held_back(home, fake):
    # the full scan deleted staged candidates and those with staged stage rows; one only ever in quarantine (a broken
    # email, no application) that Greenhouse deleted or merged went on counting in `candor status` as held back
    cid = min(fake.candidates)
    fake.update(cid, NOW - timedelta(days=1), email_addresses=[{"value": "not-an-address", "type": "personal"}],
                phone_numbers=[], applications=[])
    settings = configure(home, fake.url, reconcile_every_h=0)
    with writer(settings) as con:
        ingest(con, settings)
        before = warehouse_state(con)
        held = quarantine_by_rule(con)
    assert ("greenhouse", "email_syntax") in [(s, r) for s, r, _ in held]
    assert str(cid) not in {r[0] for r in before["staged"]} | {r[0].split(":")[1] for r in before["stages"]}
    fake.delete(cid)
    for hours in (1, 2):  # a second full scan without it deletes it no second time
        rescan = configure(home, fake.url, now=NOW + timedelta(hours=hours), reconcile_every_h=0)
        with writer(rescan) as con:
            report = ingest(con, rescan)
            assert report.summary_rows()[0]["deleted"] == 0 and not report.failures  # no staged record deleted
            assert quarantine_by_rule(con) == [(s, r, n - (r == "email_syntax")) for s, r, n in held if n - (r == "email_syntax")]
            assert con.execute("select op from raw.source_records where source_record_id = ? order by ingested_at",
                               [str(cid)]).fetchall() == [("upsert",), ("delete",)]
            run_checks(con)


def test_a_full_scan_quarantines_again_only_what_it_did_not_quarantine_before(home, fake):
    # a full scan lists every record again: one quarantined before with the same payload under the
    # same rule stays quarantined without a new row, and still counts as read and quarantined
    future = next(c for c in sorted(fake.candidates.values(), key=lambda c: c["id"])
                  if c["applications"] and "@" in c["email_addresses"][-1]["value"])
    app = future["applications"][0]
    app["applied_at"] = app["last_activity_at"] = "2026-11-20T18:00:00.000Z"   # a clock ahead of ours
    fake.update(future["id"], NOW - timedelta(hours=1))
    settings = configure(home, fake.url, reconcile_every_h=0)
    with writer(settings) as con:
        ingest(con, settings)
        before, rules = warehouse_state(con), quarantine_by_rule(con)
        assert ("greenhouse", "changed_at_not_future", 2) in rules and ("greenhouse", "email_syntax", len(
            [r for r in before["quarantine"] if r[1] == "email_syntax"])) in rules
    rescan = configure(home, fake.url, now=NOW + timedelta(hours=1), reconcile_every_h=0)
    with writer(rescan) as con:
        report = ingest(con, rescan)
        row = report.summary_rows()[0]
        assert all("updated_after" not in q for q in fake.data_requests(PATH))   # both runs were full scans
        assert row["read"] == row["staged"] + row["quarantined"] and row["quarantined"] == len(before["quarantine"]) > 0
        assert warehouse_state(con) == before and quarantine_by_rule(con) == rules
        run_checks(con)
    # the same payload checked later: "not in the future" passes now, and the stage rows are staged
    later = configure(home, fake.url, now=NOW + timedelta(hours=7), reconcile_every_h=0)
    with writer(later) as con:
        ingest(con, later)
        assert con.execute("select count(*) from staging.stage_changes where starts_with(source_record_id, ?) "
                           "and changed_at = '2026-11-20 18:00:00+00'", [f"app:{future['id']}:"]).fetchall() == [(2,)]
        assert con.execute("select count(*) from staging.candidate_records where source_record_id = ?",
                           [str(future["id"])]).fetchall() == [(1,)]
        assert warehouse_state(con)["quarantine"] == before["quarantine"]
        run_checks(con)


def test_a_mapping_entry_overrides_the_built_in_one(home, fake):
    mapping = "    mapping:\n      email: email_addresses[0].value\n      street: addresses[0].value\n"
    settings = configure(home, fake.url, per_page=100, mapping=mapping)
    with writer(settings) as con:
        ingest(con, settings)
        c = next(c for c in fake.candidates.values() if len(c["email_addresses"]) == 2 and c["addresses"]
                 and " at " not in c["email_addresses"][1]["value"])
        got = con.execute("select email, street, first_name from staging.candidate_records where source_record_id = ?",
                          [str(c["id"])]).fetchone()
        assert got == (c["email_addresses"][0]["value"].lower(), c["addresses"][0]["value"], c["first_name"])


def test_status_shows_the_run_to_resume_and_a_changed_base_url_starts_over(home, settings, fake):
    from typer.testing import CliRunner

    from flows.cli import app

    crashed = configure(home, fake.url, per_page=10, land_rows=10)
    fake.break_after_pages = 2
    with writer(crashed) as con:
        ingest(con, crashed)
    status = CliRunner().invoke(app, ["status"])
    assert status.exit_code == 0 and "run.next" in status.output and "page=3" in status.output
    fake.break_after_pages = None
    fake.requests.clear()
    moved = configure(home, fake.url.replace("127.0.0.1", "localhost"), per_page=10)
    with writer(moved) as con:
        report = ingest(con, moved)
        assert [q.get("page") for q in fake.data_requests(PATH)] == [None, "2", "3", "4", "5", "6"]
        assert all(f.status == "loaded" for f in report.files)
        assert not [c for (c,) in con.execute("select cursor_name from meta.watermarks").fetchall() if c.startswith("run.")]
        run_checks(con)


def test_pages_land_in_batches_and_a_candidate_listed_on_two_of_them_is_staged_once(home, fake):
    """Each page landed on its own, paying Great Expectations' fixed cost twice per page (candidates and
    stage rows): a 100,000-opportunity Lever (100 per page, Lever's cap) took 24 min. Pages now land
    in batches of api_land_rows records. A candidate added while the run pages moves the listing one
    place on: the last of page 1 is listed again first on page 2, in the same batch."""
    ids = sorted(fake.candidates)
    newcomer = {**fake.candidates[ids[1]], "id": ids[0] - 1}
    fake.after_page = lambda n: fake.add(newcomer) if n == 1 else None
    settings = configure(home, fake.url)
    with writer(settings) as con:
        report = ingest(con, settings)
        assert not report.failures
        assert con.execute("select count(*), sum(rows_read) from meta.ingested_files "
                           "where not contains(file_path, '(stages)')").fetchone() == (1, 60)   # 3 pages, one batch
        twice = ids[24]                                # last of page 1, first of page 2
        assert [r[0] for r in fake.requests if r[0] == PATH] == [PATH] * 3
        assert con.execute("select count(*) from staging.candidate_records where source_record_id = ?",
                           [str(twice)]).fetchone()[0] == 1
        assert con.execute("select count(*) from staging.quarantine where rule = 'record_id_unique'").fetchone()[0] == 0
        run_checks(con)


def test_a_candidate_skipped_because_pages_shifted_during_a_full_scan_is_not_deleted(home, fake):
    settings = configure(home, fake.url, reconcile_every_h=0)
    with writer(settings) as con:
        ingest(con, settings)
        staged = {r[0] for r in warehouse_state(con)["staged"]}
    ids = sorted(fake.candidates)
    shifted = ids[25]                       # first of page 2; moves onto page 1 once page 1 shrinks
    assert str(shifted) in staged
    fake.update(shifted, NOW + timedelta(minutes=30), title="Staff Engineer")
    fake.after_page = lambda n: fake.delete(ids[0]) if n == 1 else None
    fake.pages_served = 0
    fake.requests.clear()
    rescan = configure(home, fake.url, now=NOW + timedelta(hours=1), reconcile_every_h=0)
    with writer(rescan) as con:
        ingest(con, rescan)
        assert {"candidate_ids", "per_page"} <= set(fake.data_requests(PATH)[-1])   # the missing one was asked for
        after = {r[0] for r in warehouse_state(con)["staged"]}
        assert str(shifted) in after                                  # confirmed present: kept
        assert str(ids[0]) in after                                   # seen before it went: next scan removes it
        # and landed as the API gives it now, not left as it was before its change
        assert con.execute("select current_title from staging.candidate_records where source_record_id = ?",
                           [str(shifted)]).fetchall() == [("Staff Engineer",)]
    fake.after_page = None
    with writer(configure(home, fake.url, now=NOW + timedelta(hours=2), reconcile_every_h=0)) as con:
        ingest(con, configure(home, fake.url, now=NOW + timedelta(hours=2), reconcile_every_h=0))
        assert {r[0] for r in warehouse_state(con)["staged"]} == staged - {str(ids[0])}
        run_checks(con)


def test_a_changed_candidate_skipped_because_pages_shifted_during_an_incremental_run_is_landed(home, fake, caplog):
    settings = configure(home, fake.url, per_page=5)
    with writer(settings) as con:
        ingest(con, settings)
    changed = sorted(fake.candidates)[::2][:12]
    for cid in changed:
        fake.update(cid, NOW + timedelta(hours=1), title="Staff Engineer")
    # the first changed candidate is merged away in Greenhouse after the run's first page:
    # every later one moves a page back, and the first of page 2 lands on page 1, already read
    fake.pages_served = 0
    fake.after_page = lambda n: fake.delete(changed[0]) if n == 1 else None
    later = configure(home, fake.url, per_page=5, now=NOW + timedelta(hours=2))
    with caplog.at_level(logging.WARNING, logger="tasks.sources.api"), writer(later) as con:
        ingest(con, later)
        titles = dict(con.execute("select source_record_id, current_title from staging.candidate_records").fetchall())
        assert [cid for cid in changed[1:] if titles[str(cid)] != "Staff Engineer"] == []
        assert "1 record(s) updated since 2026-11-20T11:59:00+00:00 were missed by the run's pages" in caplog.text
        assert dict(con.execute("select cursor_name, value from meta.watermarks").fetchall())["watermark"] == \
            (NOW + timedelta(hours=2)).isoformat()
        assert con.execute("select count(*) from meta.api_seen_ids").fetchall() == [(0,)]
        run_checks(con)


def test_a_rejected_applications_stage_is_dated_at_the_rejection_at_the_latest(home, fake):
    # a note after the rejection moves last_activity_at, not the stage
    from tasks.sources.greenhouse import Greenhouse
    from tasks.sources.registry import load_sources

    app = {"id": 9001, "applied_at": "2026-10-21T12:00:00.000Z", "rejected_at": "2026-11-10T12:00:00.000Z",
           "last_activity_at": "2026-11-15T12:00:00.000Z", "status": "rejected", "jobs": [{"id": 4002}],
           "current_stage": {"id": 7003, "name": "Face to Face"}}
    [source] = load_sources(configure(home, fake.url).config_dir)
    rows = {r["id"]: r["changed_at"] for r in Greenhouse(None, source, None, None).stage_rows(
        [{"id": 555001, "applications": [app, {**app, "id": 9002, "status": "active", "rejected_at": None}]}])}
    assert rows["app:555001:9001:stage:7003"] == rows["app:555001:9001:rejected"] == "2026-11-10T12:00:00.000Z"
    assert rows["app:555001:9002:stage:7003"] == "2026-11-15T12:00:00.000Z"   # an open one: its last activity


def test_a_rejection_time_without_an_offset_is_compared_not_a_crash(home, fake):
    # min() of an aware and a naive datetime raised TypeError: not an ApiError, so the whole ingest run
    # ended with a traceback, every later API source unread
    from tasks.sources.greenhouse import Greenhouse
    from tasks.sources.registry import load_sources

    app = {"id": 9001, "applied_at": "2026-10-21T12:00:00Z", "rejected_at": "2026-11-10T12:00:00",
           "last_activity_at": "2026-11-15T12:00:00Z", "status": "rejected", "jobs": [{"id": 4002}],
           "current_stage": {"id": 7003, "name": "Face to Face"}}
    [source] = load_sources(configure(home, fake.url).config_dir)
    rows = {r["id"]: r["changed_at"] for r in Greenhouse(None, source, None, None).stage_rows([{"id": 555001, "applications": [app]}])}
    assert rows["app:555001:9001:stage:7003"] == "2026-11-10T12:00:00"   # no offset: the source's timezone (UTC), as staging reads it


def test_an_application_dated_in_the_future_quarantines_its_stage_rows_not_its_candidate(home, fake):
    # a recruiter's typo (applied 2062) made that application the candidate's latest: the whole candidate,
    # address and real applications with it, was quarantined as applied_at_not_future
    cid = next(c for c, v in sorted(fake.candidates.items())
               if len(v["applications"]) == 1 and v["applications"][0]["status"] == "active")
    real = fake.candidates[cid]["applications"][0]
    typo = {**real, "id": real["id"] + 5_000_000, "applied_at": "2062-03-01T10:00:00Z", "last_activity_at": "2062-03-01T10:00:00Z"}
    fake.update(cid, NOW - timedelta(hours=1), applications=[real, typo])
    settings = configure(home, fake.url)
    with writer(settings) as con:
        ingest(con, settings)
        assert con.execute("select applied_at, job_id from staging.candidate_records where source_record_id = ?", [str(cid)]
                           ).fetchone() == (datetime.fromisoformat(real["applied_at"].replace("Z", "+00:00")), str(real["jobs"][0]["id"]))
        assert con.execute("select rule, count(*) from staging.quarantine where starts_with(source_record_id, ?) group by rule",
                           [f"app:{cid}:{typo['id']}:"]).fetchall() == [("changed_at_not_future", 2)]


def test_stage_rows_only_ever_quarantined_go_with_their_application_or_candidate(home, fake):
    # stale stage rows and a deleted candidate's stage rows were looked for among the staged ones only: the
    # quarantined rows of an application dated 2062 went on counting in `candor status` as held back after the
    # recruiter deleted that application, or Greenhouse the candidate
    ids = [c for c, v in sorted(fake.candidates.items()) if len(v["applications"]) == 1 and v["applications"][0]["status"] == "active"][:2]
    typos = {}
    for cid in ids:
        real = fake.candidates[cid]["applications"][0]
        typos[cid] = {**real, "id": real["id"] + 5_000_000, "applied_at": "2062-03-01T10:00:00Z", "last_activity_at": "2062-03-01T10:00:00Z"}
        fake.update(cid, NOW - timedelta(hours=1), applications=[real, typos[cid]])
    settings = configure(home, fake.url, reconcile_every_h=24)
    with writer(settings) as con:
        ingest(con, settings)
        held = dict(((s, r), n) for s, r, n in quarantine_by_rule(con))
    assert held[("greenhouse", "changed_at_not_future")] == 4  # two stage rows per application
    fake.update(ids[0], NOW + timedelta(minutes=30), applications=[fake.candidates[ids[0]]["applications"][0]])
    fake.delete(ids[1])
    for hours in (1, 25):  # an incremental run sees the application go, the next full scan the candidate
        later = configure(home, fake.url, now=NOW + timedelta(hours=hours), reconcile_every_h=24)
        with writer(later) as con:
            ingest(con, later)
            quarantined = [i for (i,) in con.execute(
                "select source_record_id from staging.quarantine where rule = 'changed_at_not_future'").fetchall()]
            assert {(s, r): n for s, r, n in quarantine_by_rule(con)}.get(("greenhouse", "changed_at_not_future")) == (
                2 if hours == 1 else None)
            assert con.execute("select count(*) from raw.source_records where op = 'delete' and source_record_id in "
                               "(select unnest(?::varchar[]))", [quarantined]).fetchone()[0] == (2 if hours == 1 else 4)
            run_checks(con)


def test_an_edit_after_the_fact_moves_neither_discovered_nor_hired(home, fake):
    # a tag added later restages the candidate, and an HR note moves the application's last activity,
    # which Greenhouse dates the current stage and Hired by: the journey's "first reached" times stay
    hired = next(c for c in sorted(fake.candidates.values(), key=lambda c: c["id"])
                 if any(a["status"] == "hired" for a in c["applications"]))
    sourced = next(c for c in sorted(fake.candidates.values(), key=lambda c: c["id"]) if c is not hired)
    fake.update(sourced["id"], NOW - timedelta(days=3), applications=[])   # no application: discovered when it came in

    def journey(settings) -> tuple:
        with writer(settings) as con:
            ingest_through_stages(con, settings)
            return con.execute("""
                select l.source_record_id, s.discovered_at, s.offered_at, s.hired_at from core.person_stages as s
                join core.identity_links as l using (person_id) where l.source_record_id in (?, ?) order by 1
            """, [str(hired["id"]), str(sourced["id"])]).fetchall()

    before = journey(configure(home, fake.url))
    later = NOW + timedelta(days=14)
    for app in hired["applications"]:
        app["last_activity_at"] = (later - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    fake.update(hired["id"], later - timedelta(days=1), tags=["boomerang"])
    fake.update(sourced["id"], later - timedelta(days=1), tags=["boomerang"])
    after = journey(configure(home, fake.url, now=later))
    assert len(before) == 2 and all(row[1] for row in before) and any(row[3] for row in before)
    assert after == before


def test_an_application_moved_to_another_stage_keeps_the_stages_it_reached(home, fake):
    # Harvest gives only an application's current stage; each one the connector saw is a row of its own
    # (`app:<candidate>:<application>:stage:<id>`), but the next version of the candidate no longer gives the
    # earlier one, and it was taken out of staging as stale: an application moved on from Phone Screen to Offer
    # was interviewing from the day of the offer, and one moved back from Offer to Face to Face had never reached
    # offered (furthest_stage interviewing, out of the funnel's offered). A stage left and reached again is
    # reached anew: the application is at it again.
    cid = next(c for c, v in sorted(fake.candidates.items()) if v["applications"])
    app = {**fake.candidates[cid]["applications"][0], "status": "active", "rejected_at": None,
           "applied_at": iso(NOW - timedelta(days=40))}

    def night(days: int, stage: tuple[int, str]) -> tuple:
        moved = NOW + timedelta(days=days - 1)
        fake.update(cid, moved, applications=[{**app, "last_activity_at": iso(moved),
                                               "current_stage": {"id": stage[0], "name": stage[1]}}])
        settings = configure(home, fake.url, now=NOW + timedelta(days=days))
        with writer(settings) as con:
            ingest_through_stages(con, settings)
            run_checks(con)
            return con.execute("""
                select s.current_stage, s.furthest_stage, s.interviewing_at, s.offered_at, s.open_applications
                from core.person_stages as s join core.identity_links as l using (person_id)
                where l.source_name = 'greenhouse' and l.source_record_id = ?
            """, [str(cid)]).fetchone()

    def day(n: int) -> datetime:   # the application moved the day before night n
        return NOW + timedelta(days=n - 1)

    assert night(0, (7002, "Phone Screen")) == ("interviewing", "interviewing", day(0), None, 1)
    assert night(2, (7004, "Offer")) == ("offered", "offered", day(0), day(2), 1)
    assert night(4, (7003, "Face to Face")) == ("interviewing", "offered", day(0), day(2), 1)
    assert night(6, (7004, "Offer")) == ("offered", "offered", day(0), day(6), 1)


def test_fields_of_unexpected_types_are_read_as_absent_and_end_no_run(home, fake):
    """A Harvest candidate whose nested fields have another shape (a custom integration, an API change)
    raised AttributeError/KeyError/TypeError out of the connector: a traceback that ended the night."""
    base = {"created_at": "2026-10-01T00:00:00Z", "updated_at": "2026-10-02T00:00:00Z", "first_name": "Odd",
            "last_name": "Shape", "email_addresses": [{"type": "personal"}, {"value": "odd@x.io", "type": "work"}],
            "phone_numbers": [], "social_media_addresses": ["https://www.linkedin.com/in/odd"], "tags": []}
    app = {"id": 1, "applied_at": "2026-10-01T00:00:00Z", "last_activity_at": "2026-10-02T00:00:00Z", "status": "active"}
    odd = {
        900001: {"applications": [{**app, "source": "LinkedIn", "credited_to": "Jane Roe", "current_stage": "Face to Face"}]},
        900002: {"applications": [{**app, "jobs": {"id": 4002}, "current_stage": ["x"]}]},
        900003: {"applications": [{**app, "jobs": [None], "applied_at": None}, {**app, "id": 2, "applied_at": 1760000000}]},
        900004: {"applications": "none", "email_addresses": {"value": "obj@x.io"}, "first_name": None},
    }
    for cid, fields in odd.items():
        fake.add({**base, "id": cid, **fields})
    settings = configure(home, fake.url, per_page=100)
    with writer(settings) as con:
        report = ingest(con, settings)
        assert {f.status for f in report.files} == {"loaded"}
        staged = dict(con.execute("select source_record_id, stage from staging.candidate_records "
                                  "where source_record_id like '90000%'").fetchall())
        quarantined = {r for (r,) in con.execute("select source_record_id from staging.quarantine "
                                                 "where source_record_id like '90000%'").fetchall()}
        assert set(staged) | quarantined == {str(c) for c in odd}
        assert staged["900001"] == "Face to Face"
        assert con.execute("select source_record_id, email from staging.candidate_records "
                           "where source_record_id in ('900001', '900004') order by 1").fetchall() == [
            ("900001", "odd@x.io"), ("900004", "obj@x.io")]   # an address without a value skipped; one object as a list of one
        assert con.execute("select stage from staging.stage_changes where ats_person_id = '900001' order by all").fetchall() == [
            ("Applied",), ("Face to Face",)]
        run_checks(con)


def test_an_api_page_reports_its_letterless_names_and_placeholders_as_a_file_does(home, fake, caplog):
    """A candidate named '@' (a form filled with junk) was staged without that name, as from a file, but
    only a file said so (rule name_has_letter): the API sources staged it without a word in the log."""
    ids = sorted(fake.candidates)
    fake.update(ids[3], NOW - timedelta(days=1), first_name="@")
    fake.update(ids[7], NOW - timedelta(days=1), last_name="N/A")
    settings = configure(home, fake.url, per_page=100)
    with caplog.at_level(logging.INFO, logger="tasks.ingest"), writer(settings) as con:
        assert [f.status for f in ingest(con, settings).files] == ["loaded"]
        assert con.execute("select first_name from staging.candidate_records where source_record_id = ?",
                           [str(ids[3])]).fetchone() == (None,)
    page = f"{fake.url}/v1/candidates?per_page=100"
    assert [m for m in caplog.messages if "without a letter" in m or "placeholders" in m] == [
        f"{page}: 1 row(s) hold placeholders (N/A, -, none, unknown …), read as missing values",
        f"{page}: 1 row(s) hold a name without a letter (@, 0001-01-01, 12345 …): staged without that name "
        "(rule name_has_letter), matched on no name, the raw payload keeps it"]


def test_a_null_or_a_text_in_the_list_of_candidates_is_quarantined_and_ends_no_run(home, fake):
    """A page holding `null` where a candidate should be raised AttributeError ('NoneType' has no
    'get') out of land_page: a traceback that ended the night."""
    ids = sorted(fake.candidates)
    fake._json[ids[3]] = "null"
    fake._json[ids[30]] = '"candidate"'
    settings = configure(home, fake.url)
    with writer(settings) as con:
        report = ingest(con, settings)
        assert {f.status for f in report.files} == {"loaded"}
        # the 3 pages landed as one batch, named by its first and last page; row n is the batch's n-th item
        batch = f"{fake.url}/v1/candidates?per_page=25 … {fake.url}/v1/candidates?per_page=25&page=3 (3 pages)"
        assert con.execute("select file_path, row_number, value, message from staging.quarantine "
                           "where rule = 'malformed_json' order by row_number").fetchall() == [
            (batch, 4, "null", "not a JSON object"), (batch, 31, '"candidate"', "not a JSON object")]
        row = report.summary_rows()[0]
        assert row["read"] == row["staged"] + row["quarantined"]
        run_checks(con)


def test_candidates_without_an_id_on_two_pages_of_one_batch_are_each_quarantined(home, fake):
    """Pages batched together kept a record listed twice only where it was listed last, by id: two
    candidates without an id, on pages 1 and 2, were one "id" and the first was dropped unseen."""
    import json

    ids = sorted(fake.candidates)
    for cid in (ids[3], ids[30]):
        fake._json[cid] = json.dumps({**fake.candidates[cid], "id": None})
    settings = configure(home, fake.url)
    with writer(settings) as con:
        report = ingest(con, settings)
        row = report.summary_rows()[0]
        assert row["read"] == row["staged"] + row["quarantined"]
        assert con.execute("select count(*), sum(rows_read) from meta.ingested_files "
                           "where not contains(file_path, '(stages)')").fetchone() == (1, 60)
        assert con.execute("select row_number from staging.quarantine where rule = 'record_id_present' "
                           "order by 1").fetchall() == [(4,), (31,)]
        run_checks(con)


def test_a_stage_name_given_as_an_object_is_quarantined_as_field_type(home, fake):
    """The stage rows' suite lacked the field_type rule: a stage name {"en": ...} was staged as JSON text."""
    app = {"id": 1, "applied_at": "2026-10-01T00:00:00Z", "last_activity_at": "2026-10-02T00:00:00Z", "status": "active",
           "current_stage": {"id": 7, "name": {"en": "Screen"}}}
    fake.add({"id": 900101, "first_name": "Obj", "last_name": "Stage", "email_addresses": [{"value": "o@x.io", "type": "personal"}],
              "created_at": "2026-10-01T00:00:00Z", "updated_at": "2026-10-02T00:00:00Z", "applications": [app]})
    settings = configure(home, fake.url, per_page=100)
    with writer(settings) as con:
        ingest(con, settings)
        assert con.execute("select source_record_id, rule, field, value from staging.quarantine where source_record_id like 'app:900101:%'"
                           ).fetchall() == [("app:900101:1:stage:7", "field_type", "stage", '{"en": "Screen"}')]
        assert con.execute("select stage from staging.stage_changes where ats_person_id = '900101'").fetchall() == [("Applied",)]
        run_checks(con)


def test_a_page_whose_counts_do_not_add_up_fails_the_source_not_the_run(home, fake, monkeypatch):
    """The conservation check raised out of ingest_api (which caught only ApiError): a traceback that
    ended the run, later sources not pulled."""
    import tasks.sources.api as api

    real = api.drop_unchanged
    monkeypatch.setattr(api, "drop_unchanged", lambda con, source: real(con, source) + (source.kind == "greenhouse"))
    settings = configure(home, fake.url)
    with writer(settings) as con:
        report = ingest(con, settings)
        [failed] = report.files
        assert failed.status == "failed" and "conservation broken" in failed.error
        assert con.execute("select count(*) from staging.candidate_records").fetchone() == (0,)
        assert con.execute("select count(*) from meta.watermarks where cursor_name = 'watermark'").fetchone() == (0,)
    assert report.failures


def test_a_full_scan_that_would_delete_most_candidates_deletes_none_until_the_share_is_raised(home, fake):
    settings = configure(home, fake.url, reconcile_every_h=24)
    with writer(settings) as con:
        ingest(con, settings)
        staged = {r[0] for r in warehouse_state(con)["staged"]}
    deleted = sorted(fake.candidates)[:45]  # the key now sees an almost empty account
    for cid in deleted:
        fake.delete(cid)
    day_later = configure(home, fake.url, now=NOW + timedelta(hours=25), reconcile_every_h=24)
    with writer(day_later) as con:
        report = ingest(con, day_later)
        assert len(report.failures) == 1 and "greenhouse: the full scan finds" in report.failures[0]
        assert "staged records gone" in report.failures[0] and "> max_delete_share 50%" in report.failures[0]
        assert {r[0] for r in warehouse_state(con)["staged"]} == staged
        assert con.execute("select count(*) from raw.source_records where op = 'delete'").fetchone() == (0,)
    raised = configure(home, fake.url, now=NOW + timedelta(hours=26), reconcile_every_h=24, max_delete_share=1)
    with writer(raised) as con:
        report = ingest(con, raised)
        assert not report.failures
        assert {r[0] for r in warehouse_state(con)["staged"]} == staged - {str(c) for c in deleted}
        run_checks(con)


def test_a_full_scan_of_another_account_deletes_none_however_many_candidates_it_lists(home, fake):
    """The share counted the candidates the scan itself staged: a key seeing another account as
    large as ours deleted every one of our candidates within the 50% default."""
    settings = configure(home, fake.url, reconcile_every_h=24)
    with writer(settings) as con:
        ingest(con, settings)
        staged = {r[0] for r in warehouse_state(con)["staged"]}
    for cid in sorted(fake.candidates):
        fake.delete(cid)
    for candidate in greenhouse_candidates(60, seed=2, now=NOW, first_id=500_001):
        fake.add(candidate)
    day_later = configure(home, fake.url, now=NOW + timedelta(hours=25), reconcile_every_h=24)
    with writer(day_later) as con:
        report = ingest(con, day_later)
        assert len(report.failures) == 1 and f"finds {len(staged)} of {len(staged)} staged" in report.failures[0]
        assert staged <= {r[0] for r in warehouse_state(con)["staged"]}
        assert con.execute("select count(*) from raw.source_records where op = 'delete'").fetchone() == (0,)


def test_a_next_page_link_to_another_host_is_not_followed_with_the_key(home, fake):
    # the `Link rel="next"` URL was fetched with the Basic-auth key whatever its host or scheme: a proxy or a
    # misconfigured API pointing it elsewhere (or at http://) was handed the Harvest key
    settings = configure(home, fake.url)
    with FakeGreenhouse([], api_key=fake.api_key) as elsewhere:
        foreign = f"{elsewhere.url}/v1/candidates?per_page=25&page=2"
        fake.script = [(200, {"Link": f'<{foreign}>; rel="next"'}, b"[]")]
        with writer(settings) as con:
            report = ingest(con, settings)
        assert elsewhere.requests == []
    assert report.failures == [
        f"{fake.url}/v1: greenhouse: the next page's URL {foreign} is not on base_url's host ({fake.url}): "
        f"not followed, the API key would go there"]


def test_a_next_page_link_back_to_a_page_already_read_fails_the_source_instead_of_paging_forever(home, fake):
    # an API whose `Link rel="next"` named the page just read (or an earlier one) was paged for ever: the run
    # never ended, the nightly never got past ingest, and the warehouse lock was held all along
    settings = configure(home, fake.url)
    first = f"{fake.url}/v1/candidates?per_page=25"
    fake.script = [(200, {"Link": f'<{first}>; rel="next"'}, b"[]")] * 10
    with writer(settings) as con:
        report = ingest(con, settings)
        assert not con.execute("select count(*) from meta.watermarks where cursor_name = 'watermark'").fetchone()[0]
    assert len(fake.data_requests(PATH)) == 1
    assert report.failures == [
        f"{fake.url}/v1: greenhouse: {first} gives as its next page {first}, which this run has asked for already: "
        f"the API's paging goes round in a loop; stopped there (the pages landed before stay)"]


def test_an_api_date_written_with_an_offset_dates_the_next_filter_in_utc(home, fake):
    # a Date header with an offset (+0100 where HTTP asks for GMT) became the run's start as it was, and
    # updated_after wrote that wall time with a Z: the next run asked from an hour later than the run started,
    # missing the candidates updated in that hour until the next full scan
    fake.script = [(200, {"Date": "Fri, 20 Nov 2026 12:50:00 +0100"}, b"[]")]   # 11:50 UTC, 10 minutes behind NOW
    settings = configure(home, fake.url)
    with writer(settings) as con:
        ingest(con, settings)
    settings = configure(home, fake.url, now=NOW + timedelta(hours=6))
    with writer(settings) as con:
        ingest(con, settings)
    assert fake.data_requests(PATH)[-1]["updated_after"] == "2026-11-20T11:49:00Z"   # the start, less overlap_s
    with writer(settings) as con:   # a watermark stored with that offset before is read in UTC too
        con.execute("update meta.watermarks set value = '2026-11-20T18:50:00+01:00' where cursor_name = 'watermark'")
        ingest(con, settings)
    assert fake.data_requests(PATH)[-1]["updated_after"] == "2026-11-20T17:49:00Z"


def test_a_relative_next_page_link_is_read_against_the_page_it_came_from(home, fake):
    # RFC 8288 lets a Link be a relative reference (`</v1/candidates?page=2>`, as a proxy rewriting hosts sends
    # it): it was fetched as it was, a URL without a host, and each attempt failed until the source gave up
    settings = configure(home, fake.url)
    fake.script = [(200, {"Link": '</v1/candidates?per_page=25&page=2>; rel="next"'}, b"[]")]
    with writer(settings) as con:
        report = ingest(con, settings)
    assert not report.failures
    assert [q.get("page") for q in fake.data_requests(PATH)][:3] == [None, "2", "3"]
