"""Consent and suppression decisions: one table of cases through core.contactability and may_contact."""

from __future__ import annotations

import os
from datetime import datetime, timezone

import duckdb
import pytest

from tasks import normalize as nz
from tasks.config import ConfigError
from tasks.journey.consent import check_do_not_contact, may_contact, refresh_consent
from tasks.journey.events import EVENT_KINDS, SMS_OPT_IN, SMS_OPT_OUT
from tasks.warehouse import transaction
from tests.journey_fixtures import at, event, moved, person, record, warehouse

PHONE = "+14155550123"
TOLL_FREE = "+18002530000"


def mobile(con, pid, **fields):
    person(con, pid, phone=PHONE, phone_type="mobile", **fields)


def erasure(con, pid):
    mobile(con, pid)
    con.execute("insert into raw.erasure_requests (request_id, email, requested_at) values ('R1', ?, ?)",
                [f"p{pid}@example.com", at(1)])


# (name, channel, setup(con, pid), expected is_allowed, expected reason)
CASES = [
    ("email unknown consent is allowed", "email", lambda c, p: person(c, p), True, "not_opted_out"),
    ("email granted", "email", lambda c, p: (person(c, p), record(c, p, "A", consent_email=True)), True, "consent_granted"),
    ("email revoked on any record", "email",
     lambda c, p: (person(c, p), record(c, p, "A", consent_email=True), record(c, p, "B", consent_email=False)),
     False, "consent_revoked"),
    ("no email address", "email", lambda c, p: person(c, p, email=None), False, "no_email"),
    ("unsubscribed", "email", lambda c, p: (person(c, p), event(c, "u", "unsubscribed", at(1), person_id=p)),
     False, "unsubscribed"),
    ("resubscribed after unsubscribing", "email",
     lambda c, p: (person(c, p), event(c, "u", "unsubscribed", at(1), person_id=p),
                   event(c, "r", "resubscribed", at(2), person_id=p)), True, "consent_granted"),
    ("a source refusal newer than a re-subscribe", "email",
     lambda c, p: (person(c, p), record(c, p, "A", consent_email=False, applied_at=at(5)),
                   event(c, "u", "unsubscribed", at(1), person_id=p),
                   event(c, "r", "resubscribed", at(2), person_id=p)), False, "consent_revoked"),
    ("a re-subscribe newer than a source refusal", "email",
     lambda c, p: (person(c, p), record(c, p, "A", consent_email=False, applied_at=at(1)),
                   event(c, "r", "resubscribed", at(2), person_id=p)), True, "consent_granted"),
    ("hard bounce on the address used", "email",
     lambda c, p: (person(c, p), event(c, "b", "bounced_hard", at(1), address=f"p{p}@example.com")),
     False, "hard_bounce"),
    ("unsubscribed as the mailbox a +tag address reaches", "email",
     lambda c, p: (person(c, p, email=f"p{p}+jobs@example.com"), event(c, "u", "unsubscribed", at(1), address=f"p{p}@example.com")),
     False, "unsubscribed"),
    ("erasure of the address without its +tag", "email",
     lambda c, p: (person(c, p, email=f"p{p}+cv@example.com"),
                   c.execute("insert into raw.erasure_requests (request_id, email, requested_at) values ('R1', ?, ?)",
                             [f"p{p}@example.com", at(1)])), False, "erasure_request"),
    # the event's address read as staging reads addresses: an opt-out in another spelling left the person contactable
    ("unsubscribed by the address in another spelling", "email",
     lambda c, p: (person(c, p, email="anna@xn--mller-kva.de"),
                   event(c, "u", "unsubscribed", at(1), address="mailto:Anna@MÜLLER.de")), False, "unsubscribed"),
    # Gmail delivers anna.berg@ and annaberg@ to one inbox: an opt-out from it held only for the spelling it came from
    ("unsubscribed from the same Gmail inbox spelt with dots", "email",
     lambda c, p: (person(c, p, email="annaberg@gmail.com"),
                   event(c, "u", "unsubscribed", at(1), address="anna.berg+news@googlemail.com")), False, "unsubscribed"),
    ("hard bounce on the address used, in capitals", "email",
     lambda c, p: (person(c, p), event(c, "b", "bounced_hard", at(1), address=f"P{p}@Example.COM")),
     False, "hard_bounce"),
    ("hard bounce on a +tag address only (a server may take no +tags)", "email",
     lambda c, p: (person(c, p), event(c, "b", "bounced_hard", at(1), address=f"p{p}+jobs@example.com")),
     True, "not_opted_out"),
    ("hard bounce on an old address only", "email",
     lambda c, p: (person(c, p), event(c, "b", "bounced_hard", at(1), address="old@example.com")),
     True, "not_opted_out"),
    ("soft bounce does not suppress", "email",
     lambda c, p: (person(c, p), event(c, "b", "bounced_soft", at(1), person_id=p)), True, "not_opted_out"),
    ("spam report", "email", lambda c, p: (person(c, p), event(c, "s", "spam_report", at(1), person_id=p)),
     False, "spam_report"),
    ("erasure request blocks email", "email", erasure, False, "erasure_request"),
    # a phone typed as people write it: the request matched nobody and the person stayed contactable everywhere
    ("erasure request by the phone as typed", "email",
     lambda c, p: (mobile(c, p),
                   c.execute("insert into raw.erasure_requests (request_id, phone, requested_at) values ('R1', ?, ?)",
                             ["+1 (415) 555-0123", at(1)])), False, "erasure_request"),
    ("erasure request blocks sms", "sms", erasure, False, "erasure_request"),
    ("sms needs explicit consent", "sms", lambda c, p: mobile(c, p), False, "sms_consent_missing"),
    ("sms consent on a record", "sms", lambda c, p: (mobile(c, p), record(c, p, "A", consent_sms=True)),
     True, "consent_granted"),
    ("referred: a referral's consent field does not count", "sms",
     lambda c, p: (mobile(c, p), record(c, p, "R", source_name="referrals", source_kind="referrals", consent_sms=True)),
     False, "sms_consent_missing"),
    ("sms STOP from the phone", "sms",
     lambda c, p: (mobile(c, p), record(c, p, "A", consent_sms=True, phone=PHONE),
                   event(c, "i", "inbound_sms", at(1), channel="sms", address=PHONE, body="Stop")),
     False, "sms_opt_out"),
    ("sms STOP then START", "sms",
     lambda c, p: (mobile(c, p), record(c, p, "A", phone=PHONE),
                   event(c, "i1", "inbound_sms", at(1), channel="sms", address=PHONE, body="STOP"),
                   event(c, "i2", "inbound_sms", at(2), channel="sms", address=PHONE, body="unstop")),
     True, "consent_granted"),
    ("a newer STOP beats an older source consent", "sms",
     lambda c, p: (mobile(c, p), record(c, p, "A", consent_sms=True, phone=PHONE, applied_at=at(5)),
                   event(c, "i1", "inbound_sms", at(1), channel="sms", address=PHONE, body="STOP"),
                   event(c, "i2", "inbound_sms", at(2), channel="sms", address=PHONE, body="start"),
                   event(c, "i3", "inbound_sms", at(3), channel="sms", address=PHONE, body="quit")),
     False, "sms_opt_out"),
    # Twilio's error 21610: the recipient had replied STOP to the sender, so the message failed
    ("a failed SMS with Twilio error 21610 (status callback ErrorCode)", "sms",
     lambda c, p: (mobile(c, p), record(c, p, "A", consent_sms=True, phone=PHONE),
                   event(c, "f", "failed", at(1), channel="sms", address=PHONE,
                         payload={"MessageSid": "SM1", "MessageStatus": "failed", "ErrorCode": "21610", "To": PHONE})),
     False, "sms_opt_out"),
    ("a failed SMS with Twilio error 21610 (message resource error_code)", "sms",
     lambda c, p: (mobile(c, p), record(c, p, "A", consent_sms=True, phone=PHONE),
                   event(c, "f", "failed", at(1), channel="sms", address=PHONE,
                         payload={"sid": "SM1", "status": "failed", "error_code": 21610, "to": PHONE})),
     False, "sms_opt_out"),
    ("Twilio error 21610 then START", "sms",
     lambda c, p: (mobile(c, p), record(c, p, "A", consent_sms=True, phone=PHONE),
                   event(c, "f", "failed", at(1), channel="sms", address=PHONE, payload={"ErrorCode": "21610"}),
                   event(c, "i", "inbound_sms", at(2), channel="sms", address=PHONE, body="START")),
     True, "consent_granted"),
    ("a failed SMS with another error (30003 unreachable) does not suppress", "sms",
     lambda c, p: (mobile(c, p), record(c, p, "A", consent_sms=True, phone=PHONE),
                   event(c, "f", "failed", at(1), channel="sms", address=PHONE, payload={"ErrorCode": "30003"})),
     True, "consent_granted"),
    ("a STOP inside a sentence is not an opt-out", "sms",
     lambda c, p: (mobile(c, p), record(c, p, "A", consent_sms=True, phone=PHONE),
                   event(c, "i", "inbound_sms", at(1), channel="sms", address=PHONE, body="please don't stop")),
     True, "consent_granted"),
    ("a source refusal newer than an SMS START", "sms",
     lambda c, p: (mobile(c, p), record(c, p, "A", consent_sms=False, phone=PHONE, applied_at=at(5)),
                   event(c, "i1", "inbound_sms", at(1), channel="sms", address=PHONE, body="STOP"),
                   event(c, "i2", "inbound_sms", at(2), channel="sms", address=PHONE, body="start")),
     False, "consent_revoked"),
    ("sms to a landline", "sms",
     lambda c, p: (person(c, p, phone=PHONE, phone_type="fixed_line"), record(c, p, "A", consent_sms=True)),
     False, "not_mobile"),
    # a toll-free number is staged as 'other' (phonenumbers' TOLL_FREE, as premium-rate, shared-cost, pager, UAN …)
    ("sms to a toll-free number", "sms",
     lambda c, p: (person(c, p, phone=TOLL_FREE, phone_type=nz.parse_phone(TOLL_FREE, "US")[2]),
                   record(c, p, "A", consent_sms=True)),
     False, "not_mobile"),
    ("sms to a voip number", "sms",
     lambda c, p: (person(c, p, phone=PHONE, phone_type="voip"), record(c, p, "A", consent_sms=True)),
     True, "consent_granted"),
    ("sms to a US number (fixed_line_or_mobile)", "sms",
     lambda c, p: (person(c, p, phone=PHONE, phone_type="fixed_line_or_mobile"), record(c, p, "A", consent_sms=True)),
     True, "consent_granted"),
    ("sms to a phone of unknown type", "sms",
     lambda c, p: (person(c, p, phone=PHONE, phone_type=None), record(c, p, "A", consent_sms=True)),
     True, "consent_granted"),
    ("no phone", "sms", lambda c, p: person(c, p), False, "no_phone"),
]


@pytest.mark.parametrize("name, channel, setup, allowed, reason", CASES, ids=[c[0] for c in CASES])
def test_contact_decisions(settings, name, channel, setup, allowed, reason):
    con = warehouse()
    setup(con, 1)
    refresh_consent(con, settings)
    row = con.execute("select is_allowed, reason from core.contactability where person_id = 1 and channel = ?",
                      [channel]).fetchone()
    assert row == (allowed, reason)
    assert may_contact(con, [1, 99], channel) == {1: (allowed, reason), 99: (False, "unknown_person")}


def test_do_not_contact_list_suppresses_every_address_of_the_person(settings, home):
    con = warehouse()
    mobile(con, 1)
    record(con, 1, "A", email="work@corp.example", consent_sms=True)
    person(con, 2)
    (home / "config" / "do_not_contact.csv").write_text(
        "address,added_at,note\n Work+CRM@Corp.example ,2026-01-05,asked by phone\n(415) 555-0199,,\n")
    rows = refresh_consent(con, settings)
    assert may_contact(con, [1, 2], "email") == {1: (False, "do_not_contact"), 2: (True, "not_opted_out")}
    assert may_contact(con, [1], "sms") == {1: (False, "do_not_contact")}
    listed = con.execute("select address, channel from core.do_not_contact order by 1").fetchall()
    assert listed == [("+14155550199", "sms"), ("work+crm@corp.example", "email")]  # the mailbox work@ reaches
    assert {"channel": "email", "is_allowed": False, "reason": "do_not_contact", "persons": 1} in rows
    # a line added later, with no date either, re-dates nothing already listed
    dated = "select address, added_at from core.do_not_contact order by 1"
    before = con.execute(dated).fetchall()
    path = home / "config" / "do_not_contact.csv"
    path.write_text(path.read_text() + "late@corp.example,,\n")
    os.utime(path, (before[0][1].timestamp() + 86400,) * 2)
    refresh_consent(con, settings)
    after = dict(con.execute(dated).fetchall())
    assert {a: after[a] for a, _ in before} == dict(before) and after["late@corp.example"] > before[0][1]


def test_an_address_on_the_do_not_contact_list_or_in_an_erasure_request_is_read_as_staging_reads_addresses(settings, home):
    """`mailto:` or a zero-width space copied along with an address (from a mail client, a spreadsheet)
    kept the do-not-contact line and the erasure request from matching the staged address: the person
    stayed contactable."""
    con = warehouse()
    for pid in (1, 2, 3):
        person(con, pid)
    (home / "config" / "do_not_contact.csv").write_text("address,added_at,note\nmailto:P1@Example.com,,\n\u200bp2@example.com\u200b,,\n")
    con.execute("insert into raw.erasure_requests (request_id, email, requested_at) values ('R1', ?, ?)",
                ["mailto:P3@example.com\ufeff", at(1)])
    refresh_consent(con, settings)
    assert con.execute("select address from core.do_not_contact order by 1").fetchall() == [("p1@example.com",), ("p2@example.com",)]
    assert may_contact(con, [1, 2, 3], "email") == {1: (False, "do_not_contact"), 2: (False, "do_not_contact"),
                                                    3: (False, "erasure_request")}


def test_a_do_not_contact_line_that_is_no_email_address_is_an_error_naming_the_line(settings, home):
    """A name copied with the address from a mail client, two addresses on one line, a domain cut short:
    the line was listed as an address that no staged address can ever equal, so it suppressed nobody,
    without a word (the log counted it among the listed addresses)."""
    con = warehouse()
    for pid in (1, 2, 3, 4):
        person(con, pid)
    path = home / "config" / "do_not_contact.csv"
    path.write_text("address,added_at\np4@example.com,2026-01-02\n")
    refresh_consent(con, settings)
    path.write_text("address\nAnna Quixote <p1@example.com>\np2@example.com; p3@example.com\np3@example\n"
                    "p1@example.com\n")
    with pytest.raises(ConfigError) as info, transaction(con):
        refresh_consent(con, settings)
    for line in (2, 3, 4):
        assert f"{path}:{line}: address: not an email address" in str(info.value)
    assert f"{path}:5:" not in str(info.value) and "Quixote" not in str(info.value)
    # the list in force stays as it was until the file is fixed
    assert con.execute("select address from core.do_not_contact").fetchall() == [("p4@example.com",)]


def test_the_nightly_preflight_refuses_a_do_not_contact_line_that_is_no_email_address(settings, home):
    # preflight read the file but checked only for an @: such a line failed the night at its consent step,
    # after ingest and resolve had committed, and the night's stages and segments did not run
    from tasks.preflight import check_config

    path = home / "config" / "do_not_contact.csv"
    path.write_text("address\np1@example.com\nAnna Quixote <p2@example.com>\n+1 415 555 0101\n")
    with pytest.raises(ConfigError) as info:
        check_config(settings)
    assert str(info.value) == f"{path}:3: address: not an email address (one address a line, nothing around it)"
    assert not settings.warehouse_path.exists()  # checked without the warehouse: nothing opened, nothing written


def test_a_do_not_contact_line_typed_in_full_width_characters_suppresses_its_person(settings, home):
    # sql/schema/046 reads ａｎｎ＠ｘ．ｉｏ as ann@x.io for do-not-contact lines too, but the reader took a
    # line without an ASCII @ for a phone number and refused it
    con = warehouse()
    person(con, 1)
    person(con, 2)
    (home / "config" / "do_not_contact.csv").write_text("address\nｐ１＠ｅｘａｍｐｌｅ。ｃｏｍ\n", encoding="utf-8")
    refresh_consent(con, settings)
    assert may_contact(con, [1, 2], "email") == {1: (False, "do_not_contact"), 2: (True, "not_opted_out")}


def test_an_address_listed_twice_on_the_do_not_contact_list_is_one_suppression_dated_at_its_first_listing(settings, home):
    # the same address in two spellings (or pasted twice) made two rows in core.do_not_contact and two
    # suppressions in force, one dated when the file changed: counts doubled, the person's date moved
    con = warehouse()
    mobile(con, 1)
    (home / "config" / "do_not_contact.csv").write_text(
        "address,added_at,note\np1@example.com,2026-01-01,by phone\nP1@Example.com ,,by mail\n"
        f"(415) 555-0123,,\n{PHONE},2026-02-01,\n")
    refresh_consent(con, settings)
    assert con.execute("select address, channel, added_at, note from core.do_not_contact order by 1").fetchall() == [
        (PHONE, "sms", datetime(2026, 2, 1, tzinfo=timezone.utc), None),
        ("p1@example.com", "email", datetime(2026, 1, 1, tzinfo=timezone.utc), "by mail; by phone")]
    assert con.execute("select count(*) from core.suppressions where person_id = 1").fetchone()[0] == 2


def test_views_answer_live_without_a_rebuild(settings):
    con = warehouse()
    mobile(con, 1)
    record(con, 1, "A", consent_sms=True, phone=PHONE)
    refresh_consent(con, settings)
    assert may_contact(con, [1], "sms") == {1: (True, "consent_granted")}
    event(con, "i", "inbound_sms", at(1), channel="sms", address=PHONE, body="STOP")   # arrives after the run
    assert may_contact(con, [1], "sms") == {1: (False, "sms_opt_out")}


def test_may_contact_creates_the_views_on_a_fresh_warehouse():
    con = warehouse()
    person(con, 1)
    assert may_contact(con, [1], "email") == {1: (True, "not_opted_out")}
    with pytest.raises(ValueError, match="unknown channel 'fax'"):
        may_contact(con, [1], "fax")


def test_event_kinds_and_keywords_are_fixed_lists_in_the_schema():
    con = warehouse()
    for i, kind in enumerate(EVENT_KINDS):
        event(con, f"k{i}", kind, at(0), person_id=1)
    with pytest.raises(duckdb.ConstraintException):
        event(con, "bad", "liked", at(0), person_id=1)
    keywords = dict(con.execute("select keyword, action from core.sms_keywords").fetchall())
    assert keywords == {**{k: "opt_out" for k in SMS_OPT_OUT}, **{k: "opt_in" for k in SMS_OPT_IN}}


def test_do_not_contact_file_errors_name_the_line(tmp_path):
    path = tmp_path / "do_not_contact.csv"
    path.write_text("address,added_at\nok@example.com,\n12345,\nx@example.com,someday\n")
    with pytest.raises(ConfigError) as info:
        check_do_not_contact(path, "US")
    assert f"{path}:3: address: " in str(info.value) and f"{path}:4: added_at: 'someday'" in str(info.value)


def test_a_do_not_contact_line_that_is_no_address_is_not_repeated_in_the_error(tmp_path):
    # a name, or a phone short of a digit, pasted into the list: the error reaches stderr, logs and
    # Prefect's state message, so it names file, line and field only
    path = tmp_path / "do_not_contact.csv"
    path.write_text("address\nZelda Quixote\n415 555 267\n")
    with pytest.raises(ConfigError) as info:
        check_do_not_contact(path, "US")
    assert "Quixote" not in str(info.value) and "555 267" not in str(info.value)
    assert f"{path}:2: address: neither an email nor a valid phone" in str(info.value)
    assert f"{path}:3: address: neither an email nor a valid phone" in str(info.value)


def test_suppressions_and_events_follow_a_person_into_merges_and_splits(settings):
    con = warehouse()
    for pid in (1, 3, 4):  # live after resolution: 1 (2 was merged into it), 3 and 4 (split off 3)
        person(con, pid)
    con.execute("insert into raw.erasure_requests (request_id, person_id, requested_at) values ('R2', 2, ?)", [at(1)])
    event(con, "s", "spam_report", at(1), person_id=3)
    event(con, "c", "clicked", at(2), person_id=2)
    refresh_consent(con, settings)
    assert may_contact(con, [1, 3, 4], "email") == {1: (True, "not_opted_out"), 3: (False, "spam_report"),
                                                    4: (True, "not_opted_out")}
    moved(con, 2, 1, "merge", at(3))
    moved(con, 3, 4, "split", at(3))
    refresh_consent(con, settings)
    # 2's erasure request holds for the person it became; 3's spam report for both its parts
    assert may_contact(con, [1, 3, 4], "email") == {1: (False, "erasure_request"), 3: (False, "spam_report"),
                                                    4: (False, "spam_report")}
    assert con.execute("select person_id from core.provider_events_resolved "
                       "where provider_event_id = 'c'").fetchall() == [(1,)]


def test_a_do_not_contact_line_or_erasure_request_at_an_internationalised_domain_suppresses_its_person(settings, home):
    # staging keeps anna@müller.de as anna@xn--mller-kva.de (nz.email_idna); the list and the requests must
    # read it so: the line was refused as no email address and the request matched nobody
    con = warehouse()
    person(con, 1, email="anna@xn--mller-kva.de")
    person(con, 2, email="bert@xn--bcher-kva.example")
    person(con, 3)
    (home / "config" / "do_not_contact.csv").write_text("address\nAnna@Müller.de\n", encoding="utf-8")
    refresh_consent(con, settings)
    # a request recorded after the consent step: may_contact reads it before it answers
    con.execute("insert into raw.erasure_requests (request_id, email, requested_at) values ('R1', ?, ?)",
                ["bert@BÜCHER.example", at(1)])
    assert may_contact(con, [1, 2, 3], "email") == {1: (False, "do_not_contact"), 2: (False, "erasure_request"),
                                                    3: (True, "not_opted_out")}
    assert con.execute("select email_norm from raw.erasure_requests").fetchall() == [("bert@xn--bcher-kva.example",)]


def test_an_erasure_request_by_a_phone_without_its_country_code_is_named_in_a_warning(settings, caplog):
    # no region can be assumed for a request: (415) 555-0123 suppressed no one, and nothing said so
    con = warehouse()
    mobile(con, 1)
    con.execute("insert into raw.erasure_requests (request_id, phone, requested_at) values "
                "('R1', '(415) 555-0123', ?), ('R2', '+1 415-555-0123', ?), ('R3', '+1 415 555 01', ?)",
                [at(1)] * 3)
    with caplog.at_level("WARNING", logger="tasks.journey.consent"):
        refresh_consent(con, settings)
    [warning] = [r.getMessage() for r in caplog.records if "erasure" in r.getMessage()]
    assert warning.startswith("erasure request(s) R1, R3: the phone is not a number written with + and its country code")
    assert "555" not in warning
    assert may_contact(con, [1], "sms") == {1: (False, "erasure_request")}   # R2, written with +1, holds


def test_a_do_not_contact_line_holds_for_every_spelling_of_a_gmail_inbox_and_only_there(settings, home):
    # identity links keep Gmail's dots (docs/identity.md); a suppression must not be weaker than what Gmail delivers
    con = warehouse()
    person(con, 1, email="anna.berg@gmail.com")
    person(con, 2, email="annaberg@example.com")
    (home / "config" / "do_not_contact.csv").write_text("address\nAnnaBerg@gmail.com\nanna.berg@example.com\n")
    refresh_consent(con, settings)
    assert may_contact(con, [1, 2], "email") == {1: (False, "do_not_contact"), 2: (True, "not_opted_out")}


def test_an_erasure_request_by_an_email_staging_could_not_read_is_named_in_a_warning(settings, caplog):
    # a name copied along with the address, two addresses: the request equalled no staged address and
    # suppressed no one, without a word (a do-not-contact line so written is an error naming its line)
    con = warehouse()
    person(con, 1)
    con.execute("insert into raw.erasure_requests (request_id, email, requested_at) values "
                "('R1', 'Anna Quixote <p1@example.com>', ?), ('R2', 'p1@example.com; p2@example.com', ?), "
                "('R3', ' P1@Example.com ', ?)", [at(1)] * 3)
    with caplog.at_level("WARNING", logger="tasks.journey.consent"):
        refresh_consent(con, settings)
    [warning] = [r.getMessage() for r in caplog.records if "erasure" in r.getMessage()]
    assert warning.startswith("erasure request(s) R1, R2: the email is not one email address")
    assert "Quixote" not in warning and "example" not in warning
    assert may_contact(con, [1], "email") == {1: (False, "erasure_request")}   # R3 holds


def test_a_do_not_contact_file_saved_in_another_encoding_is_a_config_error_naming_the_place(settings, home):
    # Excel on Windows saves "CSV (comma delimited)" in cp1252: the nightly's preflight and the consent step
    # failed with "'utf-8' codec can't decode byte 0xfc in position 54" naming no file, and preflight
    # (which gathers ConfigErrors) let it through, so the run failed with exit code 1 and no other fault named
    from tasks.preflight import check_config

    path = home / "config" / "do_not_contact.csv"
    path.write_bytes("address,added_at,note\np1@example.com,2026-01-05,Frau Müller by phone\n".encode("cp1252"))
    with pytest.raises(ConfigError) as info:
        check_config(settings)
    assert str(info.value) == f"{path}:2:33: not UTF-8 text (byte 0xfc); save the file as UTF-8"
    con = warehouse()
    person(con, 1)
    with pytest.raises(ConfigError, match=f"{path}:2:33: not UTF-8"):
        refresh_consent(con, settings)


def test_a_do_not_contact_error_after_a_blank_line_names_the_line_it_is_on(settings, home):
    # the csv reader skips a blank line without a row, so each line after one was named one line too early:
    # an operator fixing line 4 of the file found a good address there
    from tasks.preflight import check_config

    path = home / "config" / "do_not_contact.csv"
    path.write_text("address,added_at\np1@example.com,\n\nAnna Quixote <p2@example.com>,\n\n\n415 555 267,\n"
                    "p3@example.com,someday\n")
    with pytest.raises(ConfigError) as info:
        check_config(settings)
    # every bad line in one error, in the file's order (the email check named line 4 only once 7 and 8 were mended)
    assert str(info.value).splitlines() == [
        f"{path}:4: address: not an email address (one address a line, nothing around it)",
        f"{path}:7: address: neither an email nor a valid phone (numbers without +country are read in US)",
        f"{path}:8: added_at: 'someday' is not a date (2026-01-05, 2026-01-05 10:00+02:00, 05.01.2026, 2026/01/05 or "
        "01/05/2026; no offset is UTC)"]


def test_a_do_not_contact_header_written_with_spaces_after_its_commas_keeps_each_line_s_date(settings, home):
    # `address, added_at, note` (as people type a list) named the columns " added_at" and " note": every line's
    # date and note were dropped without a word, the suppression was dated when the file was last saved, and the
    # person's do_not_contact_at moved to that day
    con = warehouse()
    person(con, 1)
    (home / "config" / "do_not_contact.csv").write_text(
        "address, added_at, note\np1@example.com, 2026-01-05, asked by phone\n")
    refresh_consent(con, settings)
    assert con.execute("select address, added_at, note from core.do_not_contact").fetchall() == [
        ("p1@example.com", datetime(2026, 1, 5, tzinfo=timezone.utc), "asked by phone")]
    assert con.execute("select created_at from core.suppressions where person_id = 1").fetchall() == [
        (datetime(2026, 1, 5, tzinfo=timezone.utc),)]


def test_do_not_contact_dates_are_read_as_a_source_s_dates(settings, home):
    # pandas guessed each added_at: `5.3.2026` was 3 May (sources read dotted dates day first), `05/03/2026` 3 May
    # but `15/03/2026` 15 March, `Jan 5` the year 1 and `today` a new date on every run
    con = warehouse()
    path = home / "config" / "do_not_contact.csv"
    path.write_text("address,added_at\np1@example.com,5.3.2026\np2@example.com,03/05/2026\n"
                    "p3@example.com,2026-03-05T10:00:00+02:00\np4@example.com,2026-03-05 10:00\n")
    refresh_consent(con, settings)
    assert con.execute("select address, added_at from core.do_not_contact order by 1").fetchall() == [
        ("p1@example.com", datetime(2026, 3, 5, tzinfo=timezone.utc)),
        ("p2@example.com", datetime(2026, 3, 5, tzinfo=timezone.utc)),
        ("p3@example.com", datetime(2026, 3, 5, 8, tzinfo=timezone.utc)),
        ("p4@example.com", datetime(2026, 3, 5, 10, tzinfo=timezone.utc))]
    path.write_text("address,added_at\np1@example.com,15/03/2026\np2@example.com,today\np3@example.com,Jan 5\n")
    with pytest.raises(ConfigError) as info:
        refresh_consent(con, settings)
    assert [line.split(" is not a date")[0] for line in str(info.value).splitlines()] == [
        f"{path}:2: added_at: '15/03/2026'", f"{path}:3: added_at: 'today'", f"{path}:4: added_at: 'Jan 5'"]
    assert len(con.execute("select * from core.do_not_contact").fetchall()) == 4  # the list in force stays
