"""The journey over identity changes: real resolve runs (merges, splits, retires) on a warehouse file,
then the journey steps, checking that facts stay with the persons the docs say they belong to."""

from __future__ import annotations

from datetime import timedelta

from tasks.identity.resolve import resolve
from tasks.journey.consent import refresh_consent
from tasks.journey.pipeline import funnel_step, segments_step, stages_step
from tasks.settings import Settings
from tasks.warehouse import run_checks, writer
from tests.journey_fixtures import event
from tests.unit.test_identity import T0, person_of, stage


def on_day(settings: Settings, days: float) -> Settings:
    return settings.model_copy(update={"now": T0 + timedelta(days=days)})


def journey(con, settings: Settings) -> dict[str, list[dict]]:
    """The segment flow's steps, in its order."""
    return {"consent": refresh_consent(con, settings), "stages": stages_step(con, settings),
            "funnel": funnel_step(con, settings), "segments": segments_step(con, settings)}


def two_kims_and_zed(con, settings: Settings, zed_email: str) -> dict[str, int]:
    """Kim Park by email (a:1) and, an hour later, by phone only (a:2): two persons; Zed Quinn (a:3).
    Resolved on day 0 -> record key: person id."""
    stage(con, {"key": "a:1", "first": "kim", "last": "park", "email": "kim@example.org"},
          {"key": "a:2", "first": "kim", "last": "park", "phone": "+14155550102", "at": T0 + timedelta(hours=1)},
          {"key": "a:3", "first": "zed", "last": "quinn", "email": zed_email})
    resolve(con, on_day(settings, 0))
    return person_of(con)


def test_address_suppressions_stay_with_the_address_after_a_split(settings, home):
    # one person by a shared LinkedIn URL, two emails and two phones; a reviewer splits them
    with writer(on_day(settings, 0)) as con:
        stage(con, {"key": "a:1", "first": "kim", "last": "park", "email": "kim@example.org", "phone": "+14155550101",
                    "linkedin": "linkedin.com/in/kimpark"},
              {"key": "a:2", "first": "kim", "last": "park", "email": "kp@work.example", "phone": "+14155550102",
               "linkedin": "linkedin.com/in/kimpark", "at": T0 + timedelta(hours=1)})
        resolve(con, on_day(settings, 0))
    (home / "config" / "identity_overrides.yaml").write_text("cannot_link:\n  - [a:1, a:2]\n")
    with writer(on_day(settings, 1)) as con:
        resolve(con, on_day(settings, 1))
        ids = person_of(con)
    kept, split_off = ids["a:1"], ids["a:2"]
    assert kept != split_off
    # later: a:1's email goes on the do-not-contact list and a:1's phone texts STOP
    (home / "config" / "do_not_contact.csv").write_text("address\nkim@example.org\n")
    with writer(on_day(settings, 2)) as con:
        event(con, "stop", "inbound_sms", T0 + timedelta(days=2), channel="sms", address="+14155550101", body="STOP")
        result = journey(con, on_day(settings, 2))
        suppressed = con.execute("select distinct person_id, reason from core.suppressions order by all").fetchall()
        reasons = dict(con.execute("select person_id, reason from core.contactability where channel = 'email'").fetchall())
        run_checks(con)
    # address suppressions follow the address to whoever holds it (docs/identity.md): the part that
    # holds neither address stays contactable and off the do-not-contact stage
    assert suppressed == [(kept, "do_not_contact"), (kept, "sms_opt_out")]
    assert reasons == {kept: "do_not_contact", split_off: "not_opted_out"}
    assert {"stage": "do_not_contact", "persons_now": 1, "reached": 1} in result["funnel"]


def test_journey_tables_hold_live_person_ids_only_after_a_merge_and_a_retire(settings):
    from tasks.sources.api import apply_deletes
    from tasks.sources.registry import SourceConfig

    with writer(on_day(settings, 0)) as con:
        ids = two_kims_and_zed(con, settings, "zq@example.net")
        kim, kim_too, zed = ids["a:1"], ids["a:2"], ids["a:3"]
        # an erasure request names Kim's second id; Zed is messaged, clicks and unsubscribes
        con.execute("insert into raw.erasure_requests (request_id, person_id, requested_at) values ('R1', ?, ?)",
                    [kim_too, T0 + timedelta(hours=5)])
        for n, kind in enumerate(("delivered", "clicked", "unsubscribed")):
            event(con, f"z{n}", kind, T0 + timedelta(hours=6 + n), person_id=zed, address="zq@example.net")
        journey(con, on_day(settings, 0.5))
        # a record joins Kim's two ids (kim_too merges into kim); Zed's only record is deleted (zed retires)
        stage(con, {"key": "a:4", "first": "kim", "last": "park", "email": "kim@example.org", "phone": "+14155550102",
                    "at": T0 + timedelta(days=1)})
        source = SourceConfig(name="a", kind="greenhouse", channel="ats", base_url="http://127.0.0.1:9", api_key_env="X")
        apply_deletes(con, source, [{"id": "3"}], "deleted", on_day(settings, 1))
        resolve(con, on_day(settings, 1))
        assert set(person_of(con).values()) == {kim}
        result = journey(con, on_day(settings, 1.5))
        dead = {table: con.execute(f"select distinct person_id from {table} where person_id is not null "
                                   "and person_id not in (select person_id from core.persons) order by 1").fetchall()
                for table in ("core.stage_events", "core.consents", "core.suppressions")}
        left = con.execute("select person_id, address, reason from core.suppressions order by all").fetchall()
        dnc = con.execute("select count(distinct person_id) from core.stage_events where stage = 'do_not_contact'").fetchone()[0]
    # merged-away and retired ids are no persons: no stage, consent or suppression row names them
    assert dead == {"core.stage_events": [], "core.consents": [], "core.suppressions": []}
    # Kim's erasure follows her into the surviving id; Zed's unsubscribe still holds for his address
    assert left == [(kim, None, "erasure_request"), (None, "zq@example.net", "unsubscribed")]
    assert dnc == 1 and {"stage": "do_not_contact", "persons_now": 1, "reached": 1} in result["funnel"]


def test_an_event_for_a_mailbox_counts_once_for_a_person_known_by_two_of_its_addresses(settings, home):
    (home / "config" / "segments.yaml").write_text("segments:\n  warm:\n    where: \"engagement_score >= 5\"\n")
    with writer(on_day(settings, 0)) as con:
        # two records, anna@ and anna+jobs@: one person (the email rule links by mailbox)
        stage(con, {"key": "a:1", "first": "anna", "last": "berg", "email": "anna@example.org"},
              {"key": "b:1", "first": "anna", "last": "berg", "email": "anna+jobs@example.org"})
        resolve(con, on_day(settings, 0))
        assert len(set(person_of(con).values())) == 1
        event(con, "r1", "replied", T0 + timedelta(hours=3), address="anna@example.org")
        event(con, "c1", "clicked", T0 + timedelta(hours=3), address="anna+jobs@example.org")
        result = journey(con, on_day(settings, 0.5))
        resolved = con.execute("select provider_event_id, count(*) from core.provider_events_resolved "
                               "group by all order by 1").fetchall()
        engaged = con.execute("select count(*) from core.stage_events where stage = 'engaged'").fetchone()[0]
        score = con.execute("select engagement_score, engagements_90d from core.segment_people").fetchone()
    assert resolved == [("c1", 1), ("r1", 1)]
    assert engaged == 2
    # one reply (3) and one click (1), nine hours old: just under 4, not 7.93
    assert score == (3.97, 2)
    assert result["segments"] == [{"segment": "warm", "size": 0, "entered": 0, "exited": 0}]


def test_consent_statements_of_two_records_from_one_file_keep_a_unique_key(settings):
    with writer(on_day(settings, 0)) as con:
        # the ATS export lists the same person twice (one file: one staging time), consent given once, refused once
        stage(con, {"key": "ats:GH-1", "first": "kim", "last": "park", "email": "kim@example.org", "consent_email": True},
              {"key": "ats:GH-2", "first": "kim", "last": "park", "email": "kim@example.org", "consent_email": False})
        resolve(con, on_day(settings, 0))
        refresh_consent(con, on_day(settings, 0))
        duplicated = con.execute("select person_id, channel, evidence from core.consents group by all "
                                 "having count(*) > 1").fetchall()
        statements = con.execute("select status, evidence from core.consents order by evidence").fetchall()
        reason = con.execute("select reason from core.contactability where channel = 'email'").fetchall()
    assert duplicated == []
    assert statements == [("granted", "ats:GH-1"), ("revoked", "ats:GH-2")]
    assert reason == [("consent_revoked",)]


def test_stage_events_keep_their_key_when_one_request_or_list_names_several_of_a_persons_addresses(settings, home):
    with writer(on_day(settings, 0)) as con:
        # two records joined by a phone: one person with two emails
        stage(con, {"key": "a:1", "first": "kim", "last": "park", "email": "kim@example.org", "phone": "+14155550101"},
              {"key": "b:1", "first": "kim", "last": "park", "email": "kp@work.example", "phone": "+14155550101"})
        resolve(con, on_day(settings, 0))
        (kim,) = set(person_of(con).values())
        con.execute("insert into raw.erasure_requests (request_id, person_id, email, phone, requested_at) "
                    "values ('R1', ?, 'kim@example.org', '+14155550101', ?)", [kim, T0 + timedelta(hours=2)])
    (home / "config" / "do_not_contact.csv").write_text(
        "address,added_at\nkim@example.org,2026-03-01T03:00:00Z\nkp@work.example,2026-03-01T04:00:00Z\n")
    with writer(on_day(settings, 1)) as con:
        journey(con, on_day(settings, 1))
        duplicated = con.execute("select evidence, count(*) from core.stage_events "
                                 "group by person_id, stage, source, evidence having count(*) > 1").fetchall()
        exits = con.execute("select evidence, occurred_at from core.stage_events where stage = 'do_not_contact' "
                            "order by 1").fetchall()
        dnc_at = con.execute("select do_not_contact_at from core.person_stages").fetchone()[0]
    assert duplicated == []
    assert exits == [("do_not_contact:do_not_contact.csv", T0 + timedelta(hours=4)),
                     ("erasure_request:erasure:R1", T0 + timedelta(hours=2))]
    assert dnc_at == T0 + timedelta(hours=4)


def test_a_split_off_part_that_re_subscribes_is_lifted_from_the_unsubscribe_it_inherited(settings, home):
    with writer(on_day(settings, 0)) as con:
        stage(con, {"key": "a:1", "first": "kim", "last": "park", "email": "kim@example.org",
                    "linkedin": "linkedin.com/in/kimpark"},
              {"key": "a:2", "first": "kim", "last": "park", "email": "kp@work.example",
               "linkedin": "linkedin.com/in/kimpark", "at": T0 + timedelta(hours=1)})
        resolve(con, on_day(settings, 0))
        (kim,) = set(person_of(con).values())
        event(con, "u1", "unsubscribed", T0 + timedelta(hours=5), person_id=kim, address="kim@example.org")
    (home / "config" / "identity_overrides.yaml").write_text("cannot_link:\n  - [a:1, a:2]\n")
    with writer(on_day(settings, 1)) as con:
        resolve(con, on_day(settings, 1))
        split_off = person_of(con)["a:2"]
        journey(con, on_day(settings, 1))
        inherited = dict(con.execute("select person_id, reason from core.contactability where channel = 'email'").fetchall())
        # the split-off part re-subscribes from its own address (a preference page: the address only)
        event(con, "r1", "resubscribed", T0 + timedelta(days=2), address="kp@work.example")
        journey(con, on_day(settings, 2))
        after = dict(con.execute("select person_id, reason from core.contactability where channel = 'email'").fetchall())
    # both parts hold the unsubscribe (either may be the human); the one that re-subscribed is lifted
    assert inherited == {kim: "unsubscribed", split_off: "unsubscribed"}
    assert after == {kim: "unsubscribed", split_off: "consent_granted"}


def test_a_resolve_run_rewrites_the_addresses_of_the_persons_it_changes_in_its_own_transaction(settings):
    from tasks.journey.consent import refresh_addresses

    def addresses(con) -> list[tuple]:
        return con.execute("select person_id, channel, address, mailbox from core.person_addresses order by all").fetchall()

    with writer(on_day(settings, 0)) as con:
        ids = two_kims_and_zed(con, settings, "zq+jobs@example.net")
        first = addresses(con)
        # a record joins Kim's two persons; Zed's record changes its email
        stage(con, {"key": "a:4", "first": "kim", "last": "park", "email": "kim@example.org", "phone": "+14155550102",
                    "at": T0 + timedelta(days=1)},
              {"key": "a:3", "first": "zed", "last": "quinn", "email": "zed@example.com", "sha": "y",
               "at": T0 + timedelta(days=1)})
        resolve(con, on_day(settings, 1))
        kim, zed = person_of(con)["a:1"], person_of(con)["a:3"]
        second = addresses(con)
        refresh_addresses(con)   # the whole rebuild the segment flow's consent step does
        rebuilt = addresses(con)
    assert ids["a:1"] != ids["a:2"] and kim == ids["a:1"]
    # no segment run in between: the resolve runs themselves keep the table
    assert first == sorted([(ids["a:1"], "email", "kim@example.org", "kim@example.org"),
                            (ids["a:2"], "sms", "+14155550102", "+14155550102"),
                            (ids["a:3"], "email", "zq+jobs@example.net", "zq@example.net")])
    assert second == sorted([(kim, "email", "kim@example.org", "kim@example.org"),
                             (kim, "sms", "+14155550102", "+14155550102"),
                             (zed, "email", "zed@example.com", "zed@example.com")])
    assert rebuilt == second


def kim_on_lever_and_zed(con, settings: Settings, lever_email: str, board_email: str,
                         lever_phone: str = "+14155550101") -> tuple[int, int]:
    """Kim Park, one person (by a shared phone, or email): a Lever record (lever:1) and a job-board record (board:1)
    with the two emails given, phones +14155550101 and lever_phone; Zed Quinn (board:2). Resolved on day 0 -> (kim, zed)."""
    stage(con, {"key": "lever:1", "first": "kim", "last": "park", "email": lever_email, "phone": lever_phone},
          {"key": "board:1", "first": "kim", "last": "park", "email": board_email, "phone": "+14155550101"},
          {"key": "board:2", "first": "zed", "last": "quinn", "email": "zq@example.net"})
    resolve(con, on_day(settings, 0))
    ids = person_of(con)
    assert ids["board:1"] == ids["lever:1"] != ids["board:2"]
    return ids["lever:1"], ids["board:2"]


def anonymize_kims_lever_record(con, settings: Settings) -> None:
    """Lever anonymizes lever:1 on day 0.2 (a GDPR request or a retention policy); resolved on day 0.5."""
    from tasks.sources.api import apply_deletes
    from tasks.sources.registry import SourceConfig

    source = SourceConfig(name="lever", kind="lever", channel="ats", base_url="http://127.0.0.1:9", api_key_env="X")
    apply_deletes(con, source, [{"id": "1"}], "anonymized", on_day(settings, 0.2))
    resolve(con, on_day(settings, 0.5))
    assert set(person_of(con)) == {"board:1", "board:2"}


def test_an_erasure_by_address_keeps_holding_for_its_person_after_the_record_with_the_address_is_deleted(settings):
    from tasks.journey.consent import may_contact

    with writer(on_day(settings, 0)) as con:
        # an ATS record with a personal email, a job-board record with a work email
        kim, zed = kim_on_lever_and_zed(con, settings, "kim@example.org", "kp@work.example")
        # Kim asks to be forgotten by her personal email; the ATS anonymizes its record the same day
        con.execute("insert into raw.erasure_requests (request_id, email, requested_at) values ('R1', 'Kim@Example.org', ?)",
                    [T0 + timedelta(hours=2)])
        anonymize_kims_lever_record(con, settings)
        journey(con, on_day(settings, 0.5))
        allowed = {channel: may_contact(con, [kim, zed], channel) for channel in ("email", "sms")}
        run_checks(con)
    # the human who asked stays forgotten on every channel, not only at the address they named
    assert allowed["email"] == {kim: (False, "erasure_request"), zed: (True, "not_opted_out")}
    assert allowed["sms"][kim] == (False, "erasure_request")


def test_a_placeholder_or_a_referrers_address_on_a_record_suppresses_nobody_but_its_owner(settings, home, caplog):
    from tasks.journey.consent import may_contact

    with writer(on_day(settings, 0)) as con:
        # Bob refers Ann typing his own address as hers; Carol's job-board record carries noreply@acme.io;
        # Ann and Carol each have an own record too (linked by phone)
        stage(con, {"key": "board:1", "first": "bob", "last": "stone", "email": "bob@acme.io"},
              {"key": "ref:1", "first": "ann", "last": "lee", "email": "bob@acme.io", "phone": "+14155550101",
               "referrer_email": "bob@acme.io", "channel": "referral"},
              {"key": "board:2", "first": "ann", "last": "lee", "email": "ann@example.org", "phone": "+14155550101"},
              {"key": "board:3", "first": "carol", "last": "ng", "email": "noreply@acme.io", "phone": "+14155550102"},
              {"key": "board:4", "first": "carol", "last": "ng", "email": "carol@example.org", "phone": "+14155550102"})
        resolve(con, on_day(settings, 0))
        ids = person_of(con)
        bob, ann, carol = ids["board:1"], ids["board:2"], ids["board:3"]
        assert ids["ref:1"] == ann and ids["board:4"] == carol and len({bob, ann, carol}) == 3
        # Bob unsubscribes (an event by address only); an erasure request names only the placeholder
        event(con, "u1", "unsubscribed", T0 + timedelta(hours=2), address="bob@acme.io")
        con.execute("insert into raw.erasure_requests (request_id, email, requested_at) values ('R1', 'noreply@acme.io', ?)",
                    [T0 + timedelta(hours=3)])
        resolve(con, on_day(settings, 0.2))  # records whom the request reaches (core.erasure_persons)
    (home / "config" / "do_not_contact.csv").write_text("address\nNoReply@acme.io\n")
    with writer(on_day(settings, 0.5)) as con, caplog.at_level("WARNING", logger="tasks.journey.consent"):
        journey(con, on_day(settings, 0.5))
        allowed = may_contact(con, [bob, ann, carol], "email")
        reached = con.execute("select person_id from core.erasure_persons").fetchall()
        run_checks(con)
    # the address is Bob's (identity resolution already says so), the placeholder nobody's
    assert allowed == {bob: (False, "unsubscribed"), ann: (True, "not_opted_out"), carol: (True, "not_opted_out")}
    assert reached == [(None,)]
    # both are named (the request by id, the list by line), neither quoted
    warnings = [r.getMessage() for r in caplog.records if "placeholder" in r.getMessage()]
    assert warnings == [f"{home / 'config' / 'do_not_contact.csv'}:2: address: a placeholder (noreply@, test@ …: "
                        "nobody's own address), so it suppresses no one",
                        "erasure request(s) R1: the email is a placeholder (noreply@, test@ …: nobody's own address), "
                        "so it reaches no one by email; name the person by id"]


def test_an_unsubscribe_by_address_keeps_holding_for_its_person_after_the_record_with_the_address_is_deleted(settings):
    from tasks.journey.consent import may_contact

    with writer(on_day(settings, 0)) as con:
        # an ATS record with a work email, a job-board record with a personal one
        kim, zed = kim_on_lever_and_zed(con, settings, "kp@work.example", "kim@example.org")
        # Kim unsubscribes and reports spam from her work address (events carrying only the address);
        # later the ATS anonymizes its record (a retention policy), which takes the work address off her
        event(con, "u1", "unsubscribed", T0 + timedelta(hours=2), address="kp@work.example")
        event(con, "s1", "spam_report", T0 + timedelta(hours=3), address="KP@work.example")
        journey(con, on_day(settings, 0.1))
        before = may_contact(con, [kim, zed], "email")
        anonymize_kims_lever_record(con, settings)
        journey(con, on_day(settings, 0.5))
        after = may_contact(con, [kim, zed], "email")
        run_checks(con)
    assert before == {kim: (False, "spam_report"), zed: (True, "not_opted_out")}
    # the human who unsubscribed is not written to again at her other address
    assert after == before


def test_an_sms_stop_keeps_holding_for_its_person_after_the_record_with_the_phone_is_deleted(settings):
    from tasks.journey.consent import may_contact

    with writer(on_day(settings, 0)) as con:
        # one person by her email: her Lever record has her old mobile, her job-board record her new one,
        # with SMS consent
        kim, zed = kim_on_lever_and_zed(con, settings, "kim@example.org", "kim@example.org", lever_phone="+14155550199")
        con.execute("update staging.candidate_records set consent_sms = true, consent_sms_at = staged_at")
        # Kim texts STOP from the old mobile (an inbound SMS: the phone only); later Lever anonymizes its record
        event(con, "in1", "inbound_sms", T0 + timedelta(hours=2), channel="sms", address="+14155550199", body="Stop")
        journey(con, on_day(settings, 0.1))
        before = may_contact(con, [kim], "sms")
        anonymize_kims_lever_record(con, settings)
        journey(con, on_day(settings, 0.5))
        after = may_contact(con, [kim], "sms")
        run_checks(con)
    assert before == {kim: (False, "sms_opt_out")}
    # she said STOP: her new mobile is not texted either (the opt-out held for "the phone and its persons")
    assert after == before


ATS_HEADER = "candidate_id,First,Last,Email Address,Mobile,City,Country,Title,Company,Tags,Email Consent,SMS Consent"
BOARD_HEADER = ("applicant_id,first_name,last_name,email,phone,city,state,zip,country,current_title,current_company,"
                "linkedin,skills,job_id,job_title,applied_at,email_opt_in")


def ats_export(home, name: str, *rows: str) -> None:
    """Drops an ATS export (source ats_export: no application date, consent fields) into the inbox."""
    (home / "inbox" / "ats_export" / name).write_text("\n".join([ATS_HEADER, *rows]) + "\n")


def test_a_consent_statement_keeps_its_date_when_its_record_is_staged_again_with_the_same_consent(settings, home):
    from tasks.ingest import ingest
    from tasks.journey.consent import may_contact

    # day 0: the ATS export has Kim saying yes to email and no to SMS
    ats_export(home, "1.csv", "GH-1,Kim,Park,kim@example.org,+1 415 555 0101,Austin,US,Engineer,Acme,python,yes,no")
    with writer(on_day(settings, 0)) as con:
        ingest(con, on_day(settings, 0))
        resolve(con, on_day(settings, 0))
        kim = person_of(con)["ats_export:GH-1"]
        # day 1 she unsubscribes from email; day 2 she texts START
        event(con, "u1", "unsubscribed", T0 + timedelta(days=1), person_id=kim)
        event(con, "in1", "inbound_sms", T0 + timedelta(days=2), channel="sms", address="+14155550101", body="START")
        journey(con, on_day(settings, 2))
        before = {channel: may_contact(con, [kim], channel)[kim] for channel in ("email", "sms")}
    # day 5: the nightly full export lists her again because a recruiter tagged her; her consent is as it was
    ats_export(home, "2.csv", "GH-1,Kim,Park,kim@example.org,+1 415 555 0101,Austin,US,Engineer,Acme,"
                              "\"python,silver-medalist\",yes,no")
    with writer(on_day(settings, 5)) as con:
        ingest(con, on_day(settings, 5))
        resolve(con, on_day(settings, 5))
        journey(con, on_day(settings, 5))
        after = {channel: may_contact(con, [kim], channel)[kim] for channel in ("email", "sms")}
        dated = con.execute("select channel, status, recorded_at from core.consents where origin = 'record' "
                            "order by channel").fetchall()
        run_checks(con)
    assert before == {"email": (False, "unsubscribed"), "sms": (True, "consent_granted")}
    # her "no" to SMS was said on day 0, before her START: the export listing it again is not her saying it again
    assert after == before
    assert dated == [("email", "granted", T0), ("sms", "revoked", T0)]


def test_a_consent_a_dated_record_changes_is_dated_when_it_changed_not_at_the_application(settings, home):
    from tasks.ingest import ingest
    from tasks.journey.consent import may_contact

    folder = home / "inbox" / "stackjobs"
    # Kim applied on a job board ten days before day 0, opting in to email
    (folder / "1.csv").write_text(f"{BOARD_HEADER}\nSJ-1,Kim,Park,kim@example.org,,Austin,TX,,US,Engineer,Acme,,,J-1,Eng,"
                                  f"2026-02-19,yes\n")
    with writer(on_day(settings, 0)) as con:
        ingest(con, on_day(settings, 0))
        resolve(con, on_day(settings, 0))
        kim = person_of(con)["stackjobs:SJ-1"]
        # day 1 she unsubscribes, day 2 she subscribes again
        event(con, "u1", "unsubscribed", T0 + timedelta(days=1), person_id=kim)
        event(con, "r1", "resubscribed", T0 + timedelta(days=2), person_id=kim)
        journey(con, on_day(settings, 2))
        before = may_contact(con, [kim], "email")
    # day 5 she turns email off in her job-board profile: the board's export has her application with "no"
    (folder / "2.csv").write_text(f"{BOARD_HEADER}\nSJ-1,Kim,Park,kim@example.org,,Austin,TX,,US,Engineer,Acme,,,J-1,Eng,"
                                  f"2026-02-19,no\n")
    with writer(on_day(settings, 5)) as con:
        ingest(con, on_day(settings, 5))
        resolve(con, on_day(settings, 5))
        journey(con, on_day(settings, 5))
        after = may_contact(con, [kim], "email")
        dated = con.execute("select status, recorded_at from core.consents where origin = 'record'").fetchall()
        run_checks(con)
    assert before == {kim: (True, "consent_granted")}
    # her "no" came after her re-subscribe: dated at her application, it lost to it and she was still emailed
    assert after == {kim: (False, "consent_revoked")}
    assert dated == [("revoked", T0 + timedelta(days=5))]


def test_a_record_its_source_deleted_keeps_its_consent_date_when_it_comes_back_with_the_same_consent(settings, home):
    from tasks.ingest import ingest
    from tasks.journey.consent import may_contact

    config = home / "config" / "sources.yaml"  # each ATS export lists every current record
    config.write_text(config.read_text().replace('    path: "ats_export/*.csv"\n',
                                                 '    path: "ats_export/*.csv"\n    full_export: true\n', 1))
    kim_ats = "GH-1,Kim,Park,kim@example.org,,Austin,US,Engineer,Acme,python,no,"
    zed_ats = "GH-2,Zed,Quinn,zq@example.net,,Boston,US,Analyst,Initech,sql,,"
    # day 0: Kim applied on a job board (no consent field) and the ATS export has her saying no to email
    (home / "inbox" / "stackjobs" / "1.csv").write_text(
        f"{BOARD_HEADER}\nSJ-1,Kim,Park,kim@example.org,,Austin,TX,,US,Engineer,Acme,,,J-1,Eng,2026-02-27,\n")
    ats_export(home, "1.csv", kim_ats, zed_ats)
    with writer(on_day(settings, 0)) as con:
        ingest(con, on_day(settings, 0))
        resolve(con, on_day(settings, 0))
        ids = person_of(con)
        kim = ids["stackjobs:SJ-1"]
        assert ids["ats_export:GH-1"] == kim
        # day 1 she unsubscribes, day 2 she subscribes again: her latest word is yes
        event(con, "u1", "unsubscribed", T0 + timedelta(days=1), person_id=kim)
        event(con, "r1", "resubscribed", T0 + timedelta(days=2), person_id=kim)
        journey(con, on_day(settings, 2))
        before = may_contact(con, [kim], "email")
    # day 3 the export leaves her ATS record out (archived); day 5 it lists it again, unchanged
    for day, name, rows in ((3, "2.csv", [zed_ats]), (5, "3.csv", [kim_ats, zed_ats])):
        ats_export(home, name, *rows)
        with writer(on_day(settings, day)) as con:
            ingest(con, on_day(settings, day))
            resolve(con, on_day(settings, day))
    with writer(on_day(settings, 5)) as con:
        assert con.execute("select source_record_id from staging.deleted_records").fetchall() == [("GH-1",)]
        journey(con, on_day(settings, 5))
        after = may_contact(con, [kim], "email")
        dated = con.execute("select evidence, status, recorded_at from core.consents where origin = 'record'").fetchall()
        run_checks(con)
    assert before == {kim: (True, "consent_granted")}
    # the "no" is the one she gave on day 0, before her re-subscribe: it is not said again by the record coming back
    assert after == before
    assert dated == [("ats_export:GH-1", "revoked", T0)]
