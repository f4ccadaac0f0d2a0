"""Stage derivation: ingestion, provider events and ATS changes -> core.stage_events / core.person_stages."""

from __future__ import annotations

import logging

import pandas as pd
import pytest

from tasks import PROJECT_ROOT
from tasks.config import ConfigError
from tasks.generate import _STAGES
from tasks.journey.consent import refresh_consent
from tasks.journey.stages import PROGRESS, STAGES, build_stages, load_stage_map
from tests.journey_fixtures import T0, at, event, person, record, stage_change, warehouse


@pytest.fixture
def con():
    con = warehouse()
    yield con
    con.close()


def derive(con, settings) -> list[dict]:
    refresh_consent(con, settings)
    return build_stages(con, load_stage_map(settings.config_dir))


def stages_of(con, person_id: int) -> dict:
    frame = con.execute("select * from core.person_stages where person_id = ?", [person_id]).df()
    return frame.iloc[0].to_dict()


def test_canonical_stages_are_the_issue_list():
    assert PROGRESS == ("discovered", "contacted", "engaged", "applied", "interviewing", "offered", "hired")
    assert STAGES[len(PROGRESS):] == ("rejected", "withdrew", "unsubscribed", "do_not_contact")


def test_skipped_stages_are_reached_at_the_later_stage_time(con, settings):
    person(con, 1)
    record(con, 1, "SJ-1", applied_at=at(-2), staged_at=at(0))
    record(con, 1, "GH-1", source_name="ats_export", ats_person_id="GH-1", staged_at=at(1))
    stage_change(con, "EV-1", "Application Review", at(3), ats_person_id="GH-1")
    stage_change(con, "EV-2", "offer", at(9), ats_person_id="GH-1")   # case-insensitive, skips interviews
    derive(con, settings)
    s = stages_of(con, 1)
    assert s["discovered_at"] == at(-2)                   # first applied/staged time of any record
    assert s["contacted_at"] == s["engaged_at"] == s["applied_at"] == at(3)
    assert s["interviewing_at"] == s["offered_at"] == at(9)
    assert pd.isna(s["hired_at"])
    assert (s["current_stage"], s["furthest_stage"], s["open_applications"]) == ("offered", "offered", 1)


def test_provider_events_light_up_contacted_and_engaged(con, settings):
    person(con, 2, phone="+14155550100", phone_type="mobile")
    record(con, 2, "SJ-2", staged_at=at(0), phone="+14155550100")
    event(con, "e1", "delivered", at(1), person_id=2)
    event(con, "e2", "opened", at(2), person_id=2)              # opens are not engagement
    event(con, "e3", "inbound_sms", at(3), channel="sms", address="+14155550100", body=" stop! ")
    derive(con, settings)
    s = stages_of(con, 2)
    assert (s["furthest_stage"], s["contacted_at"]) == ("contacted", at(1))
    assert s["unsubscribed_at"] == at(3) and s["current_stage"] == "unsubscribed"

    event(con, "e4", "inbound_sms", at(4), channel="sms", address="+14155550100", body="Yes, still interested")
    event(con, "e5", "clicked", at(5), person_id=2)
    derive(con, settings)
    s = stages_of(con, 2)
    assert (s["furthest_stage"], s["engaged_at"], s["last_engaged_at"]) == ("engaged", at(4), at(5))
    evidence = con.execute("select evidence from core.stage_events where person_id = 2 and stage = 'engaged' "
                           "order by occurred_at").fetchall()
    assert evidence == [("inbound_sms:e4",), ("clicked:e5",)]


def test_exits_rejected_withdrew_hired_and_do_not_contact(con, settings, home):
    for pid in (3, 4, 5, 6):
        person(con, pid)
        record(con, pid, f"GH-{pid}", source_name="ats_export", ats_person_id=f"GH-{pid}", staged_at=at(0))
    stage_change(con, "EV-3a", "Phone Screen", at(2), ats_person_id="GH-3")
    stage_change(con, "EV-3b", "Rejected", at(5), ats_person_id="GH-3")
    stage_change(con, "EV-4a", "Application Review", at(2), ats_person_id="GH-4")
    stage_change(con, "EV-4b", "Withdrawn", at(4), ats_person_id="GH-4")
    stage_change(con, "EV-5a", "Onsite", at(2), ats_person_id="GH-5")
    stage_change(con, "EV-5b", "Hired", at(8), ats_person_id="GH-5")
    stage_change(con, "EV-6a", "Onsite", at(2), ats_person_id="GH-6")
    (home / "config" / "do_not_contact.csv").write_text("address,added_at,note\np6@example.com,2026-03-03,asked\n")
    stage_change(con, "EV-6b", "Offer", at(6), ats_person_id="GH-6")   # later than the listing: still excluded
    derive(con, settings)
    got = {pid: stages_of(con, pid) for pid in (3, 4, 5, 6)}
    assert (got[3]["current_stage"], got[3]["furthest_stage"], got[3]["rejected_at"]) == ("rejected", "interviewing", at(5))
    assert (got[4]["current_stage"], got[4]["furthest_stage"], got[4]["withdrew_at"]) == ("withdrew", "applied", at(4))
    assert (got[5]["current_stage"], got[5]["furthest_stage"], got[5]["open_applications"]) == ("hired", "hired", 0)
    assert (got[6]["current_stage"], got[6]["furthest_stage"]) == ("do_not_contact", "offered")
    assert all(got[pid]["open_applications"] == 0 for pid in (3, 4, 5))


def test_an_application_closed_at_the_time_of_its_last_stage_is_closed(con, settings):
    # the Greenhouse connector dates a rejected application's current stage at the rejection at the latest
    person(con, 7)
    record(con, 7, "GH-7", source_name="ats_export", ats_person_id="GH-7", staged_at=at(0))
    stage_change(con, "EV-7a", "Onsite", at(5), ats_person_id="GH-7")
    stage_change(con, "EV-7b", "Rejected", at(5), ats_person_id="GH-7")
    derive(con, settings)
    got = stages_of(con, 7)
    assert (got["current_stage"], got["open_applications"]) == ("rejected", 0)


def test_ats_rows_match_by_email_and_unmapped_or_unmatched_are_reported(con, settings, caplog):
    person(con, 7)
    record(con, 7, "SJ-7", email="ana@example.com", staged_at=at(0))
    stage_change(con, "EV-7a", "Phone Screen", at(2), email="ana@example.com")
    stage_change(con, "EV-7b", "Culture Chat", at(3), email="ana@example.com")
    stage_change(con, "EV-7c", "Culture Chat", at(4), email="ana@example.com")
    stage_change(con, "EV-8", "Offer", at(2), email="nobody@example.com")
    with caplog.at_level(logging.WARNING, logger="tasks.journey.stages"):
        issues = derive(con, settings)
    assert stages_of(con, 7)["furthest_stage"] == "interviewing"
    assert issues == [
        {"source": "ats_status", "issue": "unmapped_stage", "stage": "Culture Chat", "rows": 2},
        {"source": "ats_status", "issue": "unmatched_person", "stage": "Offer", "rows": 1},
    ]
    assert "2 ATS stage row(s) left out (unmapped_stage, source stage 'Culture Chat')" in caplog.text
    assert con.execute("select count(*) from core.stage_events where stage = 'offered'").fetchone()[0] == 0



def test_ats_rows_match_by_the_mailbox_their_email_reaches_as_identity_rules_do(con, settings):
    # a +tag or googlemail.com is the same mailbox for identity links and suppressions (core.mailbox());
    # stage rows compared the address as written and left the person's interview unmatched_person
    person(con, 7)
    record(con, 7, "SJ-7", email="ana@gmail.com", staged_at=at(0))
    person(con, 8)
    record(con, 8, "SJ-8", email="bo+jobs@example.com", staged_at=at(0))
    stage_change(con, "EV-7", "Phone Screen", at(2), email="ana+greenhouse@googlemail.com")
    stage_change(con, "EV-8", "Offer", at(2), email="bo@example.com")
    assert derive(con, settings) == []
    assert (stages_of(con, 7)["furthest_stage"], stages_of(con, 8)["furthest_stage"]) == ("interviewing", "offered")

def test_ats_rows_by_email_skip_a_placeholder_and_a_referrers_address_on_someone_elses_record(con, settings):
    # Bob referred Ann typing his own address as hers; Carol's job-board record carries noreply@acme.io.
    # Identity resolution holds both addresses to be not theirs: Bob's hire was `ambiguous_person` (Bob and
    # Ann) and left out, and a status row naming the placeholder went to Carol
    person(con, 1, email="bob@acme.io")
    record(con, 1, "SJ-1", email="bob@acme.io", staged_at=at(0))
    person(con, 2, email="ann@example.org")
    record(con, 2, "SJ-2", email="ann@example.org", staged_at=at(0))
    record(con, 2, "REF-2", source_name="referrals", source_kind="referrals", channel="referral",
           email="bob@acme.io", referrer_email="bob@acme.io", staged_at=at(0))
    person(con, 3, email="carol@example.org")
    record(con, 3, "SJ-3", email="noreply@acme.io", staged_at=at(0))
    record(con, 3, "SJ-3b", email="carol@example.org", staged_at=at(0))
    stage_change(con, "EV-1", "Hired", at(2), email="bob@acme.io")
    stage_change(con, "EV-3", "Offer", at(2), email="noreply@acme.io")
    issues = derive(con, settings)
    assert {pid: stages_of(con, pid)["furthest_stage"] for pid in (1, 2, 3)} == {
        1: "hired", 2: "discovered", 3: "discovered"}
    assert issues == [{"source": "ats_status", "issue": "unmatched_person", "stage": "Offer", "rows": 1}]


def test_a_stage_name_listed_in_stages_yaml_is_mapped_however_the_source_spells_its_case_and_ends(con, settings, home):
    # stages.yaml keys were casefolded and stripped of any whitespace in Python, the ATS's names lowercased and
    # trimmed of spaces in SQL: 'Abschlußgespräch' (casefold: ss) and 'HIRED<tab>' stayed unmapped even when listed
    path = home / "config" / "stages.yaml"
    path.write_text(path.read_text().replace("  hired: [Hired]", "  hired: [Hired, Abschlußgespräch]", 1))
    for pid, name in enumerate(["Abschlußgespräch", "HIRED\t", "ABSCHLUSSGESPRÄCH", "\u00a0hired "], start=1):
        person(con, pid)
        record(con, pid, f"SJ-{pid}", email=f"p{pid}@example.com", staged_at=at(0))
        stage_change(con, f"EV-{pid}", name, at(2), email=f"p{pid}@example.com")
    assert derive(con, settings) == []
    assert [stages_of(con, pid)["furthest_stage"] for pid in (1, 2, 3, 4)] == ["hired"] * 4


def test_ats_record_stage_counts_from_when_it_was_staged(con, settings):
    person(con, 9)
    record(con, 9, "LV-9", source_name="lever", ats_person_id="c9", stage="On-site interview", staged_at=at(7))
    derive(con, settings)
    s = stages_of(con, 9)
    assert (s["furthest_stage"], s["interviewing_at"], s["discovered_at"]) == ("interviewing", at(7), at(7))


def test_default_stage_map_covers_the_generator_and_common_ats_names():
    lookup = load_stage_map(PROJECT_ROOT / "data" / "config")
    for name in [*_STAGES, "Rejected", "Withdrawn"]:
        assert name.casefold() in lookup
    assert lookup["preliminary phone screen"] == "interviewing"   # Greenhouse
    assert lookup["new applicant"] == "applied"                   # Lever
    assert lookup["hired"] == "hired" and lookup["withdrawn"] == "withdrew"


@pytest.mark.parametrize("text, message", [
    ("stages:\n  applied: [New]\n  interviewing: [Onsite]\n  intervewing: [Call]\n",
     "stages.yaml:4: stages.intervewing"),
    ("stages:\n  applied: [New]\n  offered: [new]\n", "stages.yaml:2: stages: Value error, stage name 'new' is mapped to both applied and offered"),
    ("stages:\n  unsubscribed: [Opted out]\n", "stages.yaml:2: stages.unsubscribed"),
])
def test_stage_config_errors_name_file_line_and_field(tmp_path, text, message):
    (tmp_path / "stages.yaml").write_text(text)
    with pytest.raises(ConfigError, match=message.replace("[", r"\[")):
        load_stage_map(tmp_path)


def test_stage_events_reference_only_canonical_stages(con, settings):
    person(con, 10)
    record(con, 10, "SJ-10", staged_at=T0)
    derive(con, settings)
    got = {s for (s,) in con.execute("select distinct stage from core.stage_events").fetchall()}
    assert got == {"discovered"} and got <= set(STAGES)


def test_record_stage_is_ignored_when_the_ats_sends_stage_changes(con, settings):
    person(con, 11)
    record(con, 11, "GH-11", source_name="greenhouse", ats_person_id="11", stage="Offer", staged_at=at(9))
    stage_change(con, "app:11:1:applied", "Applied", at(1), ats_person_id="11", source_name="greenhouse")
    stage_change(con, "app:11:1:hired", "Hired", at(8), ats_person_id="11", source_name="greenhouse")
    derive(con, settings)
    assert stages_of(con, 11)["current_stage"] == "hired"


def test_an_ats_id_matches_stage_rows_to_records_of_their_own_source(con, settings):
    # two Greenhouse accounts both number candidates from 100001: an ATS id means something only in its
    # own system (as identity keys it), so one account's stage rows never go to the other's candidate
    for pid in (21, 22, 23):
        person(con, pid)
    record(con, 21, "100001", source_name="greenhouse_eu", ats_person_id="100001", staged_at=at(0))
    record(con, 22, "100001", source_name="greenhouse_us", ats_person_id="100001", staged_at=at(0))
    record(con, 23, "100002", source_name="greenhouse_us", ats_person_id="100002", staged_at=at(0))
    stage_change(con, "app:100001:1:applied", "Applied", at(1), ats_person_id="100001", source_name="greenhouse_eu")
    stage_change(con, "app:100001:2:hired", "Hired", at(8), ats_person_id="100001", source_name="greenhouse_us")
    # greenhouse_us's candidate 100003 is not staged (quarantined): greenhouse_eu's 100003 is someone else
    record(con, 21, "100003", source_name="greenhouse_eu", ats_person_id="100003", staged_at=at(0))
    stage_change(con, "app:100003:3:offer", "Offer", at(5), ats_person_id="100003", source_name="greenhouse_us")
    # a file of stage rows only (ats_status) still matches the ATS export's records by their id
    person(con, 24)
    record(con, 24, "GH-24", source_name="ats_export", ats_person_id="GH-24", staged_at=at(0))
    stage_change(con, "EV-24", "Phone Screen", at(2), ats_person_id="GH-24")
    issues = derive(con, settings)
    assert issues == [{"source": "greenhouse_us", "issue": "unmatched_person", "stage": "Offer", "rows": 1}]
    assert (stages_of(con, 21)["furthest_stage"], stages_of(con, 22)["furthest_stage"]) == ("applied", "hired")
    assert stages_of(con, 24)["furthest_stage"] == "interviewing"


def test_default_stage_map_covers_the_fake_greenhouse_and_lever_stages():
    from tests.fakes.payloads import LEVER_STAGES, STAGES as GREENHOUSE_STAGES

    lookup = load_stage_map(PROJECT_ROOT / "data" / "config")
    assert all(name.casefold() in lookup for _, name in [*GREENHOUSE_STAGES, *LEVER_STAGES])


def test_feed_applications_count_as_applied_but_referrals_do_not(con, settings):
    person(con, 7)
    record(con, 7, "IN-7", source_name="indeed_apply", applied_at=at(1), staged_at=at(2), job_id="J-9")
    person(con, 8)
    record(con, 8, "RF-8", source_name="referrals", channel="referral", applied_at=at(1), staged_at=at(2), job_id="J-9")
    derive(con, settings)
    applied = stages_of(con, 7)
    assert (applied["furthest_stage"], applied["applied_at"], applied["discovered_at"]) == ("applied", at(1), at(1))
    referred = stages_of(con, 8)
    assert referred["furthest_stage"] == "discovered" and pd.isna(referred["applied_at"])


def test_funnel_summary_counts_current_and_reached_per_stage_and_logs_them_in_one_line(con, settings, caplog):
    # the log line: every other journey step logs its summary; the funnel's counts were only returned,
    # so a scheduled (deployment) run, which prints no tables, kept them nowhere
    import logging

    from tasks.journey.pipeline import funnel_step

    person(con, 1)
    record(con, 1, "GH-1", source_name="ats_export", ats_person_id="GH-1", staged_at=at(0))
    stage_change(con, "EV-1", "offer", at(5), ats_person_id="GH-1")
    person(con, 2)
    record(con, 2, "SJ-2", staged_at=at(1))
    derive(con, settings)
    with caplog.at_level(logging.INFO, logger="tasks"):
        funnel = {row["stage"]: (row["persons_now"], row["reached"]) for row in funnel_step(con, settings)}
    assert list(funnel) == list(STAGES)
    assert funnel["discovered"] == (1, 2) and funnel["applied"] == (0, 1) and funnel["offered"] == (1, 1)
    assert funnel["hired"] == (0, 0) and funnel["rejected"] == (0, 0)
    [line] = [r.getMessage() for r in caplog.records if r.name.startswith("tasks.journey")]
    assert line.startswith("funnel (persons now/reached): discovered 1/2, ")
    assert "applied 0/1" in line and "offered 1/1" in line and line.endswith("do_not_contact 0/0")


def test_discovered_evidence_on_a_tie_does_not_depend_on_the_order_rows_are_read(con, settings):
    # Two records of one person that came in at the same time: a rebuild with the rows read in another
    # order (a 1M warehouse read in parallel) named the other record, so a night with no change changed
    # core.stage_events. The tie goes to the smaller record key.
    person(con, 3)
    for order in (["SJ-3", "IN-3"], ["IN-3", "SJ-3"]):
        con.execute("delete from staging.candidate_records; delete from core.identity_links; delete from core.identity_keys")
        for rid in order:
            record(con, 3, rid, source_name="indeed_apply" if rid.startswith("IN") else "stackjobs", staged_at=at(0))
        derive(con, settings)
        evidence = con.execute("select evidence from core.stage_events where stage = 'discovered'").fetchall()
        assert evidence == [("indeed_apply:IN-3",)], order


def test_an_application_through_a_feed_after_a_rejection_moves_the_person_back_to_applied(con, settings):
    # a job board's application is `applied` evidence (docs/journey.md), but only ATS rows and exits could move
    # a person back: one rejected after interviews who applied again through Indeed stayed `rejected`, out of
    # stage-based segments (active_pipeline) and counted as rejected by the funnel, and a silver medalist
    from tasks.journey.segments import build_segment_people

    person(con, 9)
    record(con, 9, "GH-9", source_name="ats_export", ats_person_id="GH-9", staged_at=at(0))
    stage_change(con, "EV-9a", "Phone Screen", at(10), ats_person_id="GH-9")
    stage_change(con, "EV-9b", "Rejected", at(20), ats_person_id="GH-9")
    record(con, 9, "IN-9", source_name="indeed_apply", applied_at=at(60), staged_at=at(61), job_id="IN-J-2")
    person(con, 10)   # the same feed application before the ATS took it further: its later stages stand
    record(con, 10, "IN-10", source_name="indeed_apply", applied_at=at(1), staged_at=at(2), job_id="IN-J-3")
    record(con, 10, "GH-10", source_name="ats_export", ats_person_id="GH-10", staged_at=at(3))
    stage_change(con, "EV-10a", "Onsite", at(10), ats_person_id="GH-10")
    stage_change(con, "EV-10b", "Rejected", at(20), ats_person_id="GH-10")
    derive(con, settings)
    got = stages_of(con, 9)
    assert (got["current_stage"], got["current_stage_at"], got["furthest_stage"], got["rejected_at"]) == (
        "applied", at(60), "interviewing", at(20))
    assert stages_of(con, 10)["current_stage"] == "rejected"
    build_segment_people(con, at(70))
    assert con.execute("select person_id, is_silver_medalist from core.segment_people order by 1").fetchall() == [
        (9, False), (10, True)]


def ats_person(con, pid: int, moves: list[tuple[str, int, str]]) -> None:
    """A person with one ATS record and its stage rows, each (stage name, time, job)."""
    person(con, pid)
    record(con, pid, f"GH-{pid}", source_name="ats_export", ats_person_id=f"GH-{pid}", staged_at=at(0))
    for i, (stage, when, job) in enumerate(moves):
        stage_change(con, f"EV-{pid}-{i}", stage, at(when), ats_person_id=f"GH-{pid}", job_id=job)


def test_a_rejection_for_one_job_leaves_a_person_in_process_for_another(con, settings):
    # current_stage was the latest move of any application: one rejected for job A while interviewing for job B
    # was `rejected`, out of the default active_pipeline segment and in gone_quiet's reach (stage not in process),
    # though open_applications said 1. An exit of one application while another is open leaves the person at
    # the stage of the furthest open one, dated when that application reached it.
    from tasks.journey.segments import build_segment_people

    ats_person(con, 11, [("Onsite", 10, "J-A"),
                         ("Phone Screen", 20, "J-B"),
                         ("Application Review", 25, "J-C"),
                         ("Rejected", 30, "J-A")])
    # withdrew from one job, the other closed before: the exit stands
    ats_person(con, 12, [("Onsite", 10, "J-A"),
                         ("Rejected", 15, "J-A"),
                         ("Phone Screen", 20, "J-B"),
                         ("Withdrawn", 30, "J-B")])
    derive(con, settings)
    got = stages_of(con, 11)
    assert (got["current_stage"], got["current_stage_at"], got["open_applications"], got["rejected_at"]) == (
        "interviewing", at(20), 2, at(30))
    assert (stages_of(con, 12)["current_stage"], stages_of(con, 12)["open_applications"]) == ("withdrew", 0)
    build_segment_people(con, at(40))
    assert con.execute("select person_id, current_stage, is_silver_medalist from core.segment_people "
                       "order by 1").fetchall() == [(11, "interviewing", False), (12, "withdrew", True)]


def test_two_ats_records_naming_no_job_are_two_applications(con, settings):
    # an ATS export of one row per application (no job column) merged into one person: each record's stage
    # went to one application with no job, so the later record's rejection closed the other's live interview
    # process (current_stage `rejected`, open_applications 0, a silver medalist) though docs/journey.md says an
    # application is the record its stage rows belong to when the ATS names no job
    from tasks.journey.segments import build_segment_people

    person(con, 13)
    record(con, 13, "WK-13a", source_name="ats_export", ats_person_id="WK-13a", stage="Onsite", staged_at=at(10))
    record(con, 13, "WK-13b", source_name="ats_export", ats_person_id="WK-13b", stage="Rejected", staged_at=at(20))
    derive(con, settings)
    got = stages_of(con, 13)
    assert (got["current_stage"], got["current_stage_at"], got["open_applications"], got["rejected_at"]) == (
        "interviewing", at(10), 1, at(20))
    build_segment_people(con, at(30))
    assert con.execute("select current_stage, is_silver_medalist from core.segment_people").fetchall() == [
        ("interviewing", False)]


def test_a_rejection_for_one_job_leaves_a_person_hired_for_another_hired(con, settings):
    # Greenhouse's hire flow rejects the hire's other open applications at the hire: the rejection, the latest
    # move (exits win ties), made the new hire `rejected`: counted as rejected now by the funnel and within
    # reach of gone_quiet (stage not in process, hired excluded). An open application still comes first.
    from tasks.journey.segments import build_segment_people

    ats_person(con, 13, [("Onsite", 10, "J-A"),
                         ("Phone Screen", 20, "J-B"),
                         ("Hired", 30, "J-A"),
                         ("Rejected", 30, "J-B")])
    # hired for A, interviewing for B, rejected for C: in process for B
    ats_person(con, 14, [("Hired", 10, "J-A"), ("Onsite", 20, "J-B"), ("Rejected", 30, "J-C")])
    derive(con, settings)
    got = stages_of(con, 13)
    assert (got["current_stage"], got["current_stage_at"], got["open_applications"], got["rejected_at"]) == (
        "hired", at(30), 0, at(30))
    got = stages_of(con, 14)
    assert (got["current_stage"], got["current_stage_at"], got["open_applications"]) == ("interviewing", at(20), 1)
    build_segment_people(con, at(40))
    assert con.execute("select person_id, current_stage, is_hired_alumni, is_silver_medalist from core.segment_people "
                       "order by 1").fetchall() == [(13, "hired", True, False), (14, "interviewing", True, False)]
