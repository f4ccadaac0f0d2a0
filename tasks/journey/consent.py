"""Consent and suppression: who may be contacted on which channel, right now.

core.consents, core.suppressions and core.contactability are views over the live raw tables
(raw.provider_events, raw.erasure_requests), so an SMS STOP that arrived a minute ago counts at
once; `may_contact` is the one check every sender runs inside its claim transaction.
"""

from __future__ import annotations

import csv
import io
import logging
import os
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pandas as pd

from tasks.config import ConfigError
from tasks.identity.resolve import register_lookups, scope_records
from tasks.journey.events import CHANNELS
from tasks.normalize import parse_phone, phone_frame
from tasks.settings import Settings
from tasks.staging import idna_addresses
from tasks.validate import EMAIL_REGEX
from tasks.warehouse import build, connect, migrate, scalar, select, view

log = logging.getLogger(__name__)

VIEWS = ("core/person_successors", "core/provider_events_resolved", "core/suppressions", "core/consents",
         "core/contactability")


def create_views(con: duckdb.DuckDBPyConnection) -> None:
    """(Re)creates the live consent views from sql/core."""
    for model in VIEWS:
        view(con, model)


DNC_COLUMNS = ["address", "channel", "added_text", "saved_at", "note", "line"]


def read_do_not_contact(path: Path, default_region: str) -> tuple[pd.DataFrame, list[tuple[int, str]]]:
    """Reads config/do_not_contact.csv (address[, added_at, note]) -> its lines' rows, phones normalized, and the
    faults found reading them, (line, message) each; a file that is no UTF-8 CSV with an address column is a ConfigError.

    added_at stays text: list_do_not_contact reads it as staging reads a source's dates (staging.parse_time).
    """
    if not path.exists():
        return pd.DataFrame(columns=DNC_COLUMNS), []
    # The file's modification time stands in for a missing added_at of a line new to the list
    # (refresh_consent keeps the date a listed address already has, so editing the file re-dates nothing).
    modified = datetime.fromtimestamp(os.path.getmtime(path), timezone.utc)
    raw_bytes = path.read_bytes()
    try:
        text = raw_bytes.decode("utf-8-sig")
    except UnicodeDecodeError as exc:  # Excel's "CSV" is cp1252; named by place, never by its text (a person's)
        start = exc.start + 3 * raw_bytes.startswith(b"\xef\xbb\xbf")  # utf-8-sig counts after its BOM
        line = raw_bytes[:start].count(b"\n") + 1
        column = start - (raw_bytes.rfind(b"\n", 0, start) + 1) + 1
        raise ConfigError(f"{path}:{line}:{column}: not UTF-8 text (byte 0x{raw_bytes[start]:02x}); "
                          "save the file as UTF-8") from None
    rows, faults = [], []
    reader = csv.DictReader(io.StringIO(text, newline=""))
    # `address, added_at, note` as people type it: " added_at" matched no column, and every line's date was dropped
    reader.fieldnames = [name.strip() for name in reader.fieldnames or []]
    if "address" not in reader.fieldnames:
        raise ConfigError(f"{path}:1: header needs an `address` column (email or phone)")
    for row in reader:
        line = reader.line_num  # not a count of rows: the reader skips a blank line without yielding one
        raw = (row.get("address") or "").strip()
        if not raw:
            continue
        if "@" in raw or "\uff20" in raw:  # ＠: an address typed in full width, read as staging reads it (046)
            address, channel = raw.lower(), "email"
        else:
            address, channel = parse_phone(raw, default_region)[0], "sms"
            if address is None:
                # not repeated: a name or a mistyped number is still a person's
                faults.append((line, f"address: neither an email nor a valid phone "
                                     f"(numbers without +country are read in {default_region})"))
                continue
        rows.append({"address": address, "channel": channel, "added_text": (row.get("added_at") or "").strip() or None,
                     "saved_at": modified, "note": (row.get("note") or "").strip() or None, "line": line})
    return pd.DataFrame(rows, columns=DNC_COLUMNS), faults


def key_addresses(con: duckdb.DuckDBPyConnection) -> int:
    """Reads each provider event's and erasure request's address not read before as staging reads addresses
    -> raw.provider_events.address_norm and mailbox (its inbox), raw.erasure_requests.email_norm, email_mailbox and
    phone_norm (E.164; null when the phone is no number written with its +country code); returns the distinct emails read.

    These tables are written by others (webhooks, an operator), so the consent step, each resolve run and
    may_contact key what arrived since: staging.email_address in SQL, an internationalised domain in Python
    (idna_addresses), once per distinct address; the live views then compare stored columns only.
    """
    if not scalar(con, "select exists (select 1 from raw.provider_events where address is not null and mailbox is null) "
                       "or exists (select 1 from raw.erasure_requests where email is not null and email_mailbox is null "
                       "           or phone is not null and phone_norm is null)"):
        return 0  # nothing new: one query per may_contact
    con.execute("update raw.provider_events set address_norm = address "
                "where address_norm is null and channel <> 'email' and address is not null")
    con.execute("""
        create or replace temp table address_keys as
        select raw, staging.email_address(raw) as email
        from (select address as raw from raw.provider_events where address_norm is null and address is not null
              union
              select email from raw.erasure_requests where email_norm is null and email is not null)
    """)
    keyed = scalar(con, "select count(*) from address_keys")
    if keyed:
        idna_addresses(con, "address_keys", ["email"])
        con.execute("update raw.provider_events set address_norm = coalesce(k.email, k.raw) from address_keys as k "
                    "where raw.provider_events.address_norm is null and raw.provider_events.address = k.raw")
        con.execute("update raw.erasure_requests set email_norm = coalesce(k.email, k.raw) from address_keys as k "
                    "where raw.erasure_requests.email_norm is null and raw.erasure_requests.email = k.raw")
    con.execute("drop table address_keys")
    # the inbox each delivers to (core.inbox, sql/schema/054), which the views match on; the mailbox computed first
    con.execute("update raw.provider_events set mailbox = if(channel = 'email', core.inbox(k.m), address_norm) "
                "from (select provider_event_id, core.mailbox(address_norm) as m from raw.provider_events "
                "      where mailbox is null and address_norm is not null) as k "
                "where raw.provider_events.provider_event_id = k.provider_event_id")
    con.execute("update raw.erasure_requests set email_mailbox = core.inbox(k.m) "
                "from (select request_id, core.mailbox(email_norm) as m from raw.erasure_requests "
                "      where email_mailbox is null and email_norm is not null) as k "
                "where raw.erasure_requests.request_id = k.request_id")
    # a request's phone as staging reads phones, with + and its country code (may_contact knows no region)
    phones = pd.Series([p for (p,) in con.execute("select distinct phone from raw.erasure_requests "
                                                  "where phone_norm is null and phone is not null").fetchall()], dtype=object)
    if len(phones):
        con.register("phone_keys", pd.DataFrame({"raw": phones, "phone": phone_frame(phones, "ZZ")["phone"].to_numpy()}))
        try:
            con.execute("update raw.erasure_requests set phone_norm = k.phone from phone_keys as k "
                        "where raw.erasure_requests.phone_norm is null and raw.erasure_requests.phone = k.raw "
                        "and k.phone is not null")
        finally:
            con.unregister("phone_keys")
    return keyed


def refresh_addresses(con: duckdb.DuckDBPyConnection) -> int:
    """Rebuilds core.person_addresses for every person and (re)creates the consent views; returns its rows.

    The live views match address suppressions (do-not-contact, STOP, erasure by address) to persons
    through this table. Each identity run rewrites the rows of the persons it changes in its own
    transaction (tasks/identity/resolve.py replace_person_addresses); this whole rebuild, in the
    segment flow's consent step, also mends a table an older release left behind.
    """
    register_lookups(con)  # identity_own_mailbox: an address that is not the person's own is not listed
    con.execute("create or replace temp view persons_in_scope as select person_id from core.persons")
    scope_records(con)
    rows = build(con, "core/person_addresses")
    con.execute("drop table person_records")
    con.execute("drop view persons_in_scope")
    create_views(con)
    return rows


def list_do_not_contact(con: duckdb.DuckDBPyConnection, path: Path, default_region: str) -> None:
    """Reads config/do_not_contact.csv -> temp table dnc_listed, its emails as staging keeps them and its dates as
    staging reads a source's; every line that is not one address or whose added_at is no date is named, by file and
    line, in one ConfigError (the nightly's preflight runs it too)."""
    frame, faults = read_do_not_contact(path, default_region)
    con.register("dnc_frame", frame)
    try:
        # an email as staging keeps it (sql/schema/044: no mailto:, no zero-width space around it), or it
        # would match no staged address and suppress nobody; a date as a source's with the default date_order
        # (ISO 8601, no offset is UTC; dd.mm.yyyy; yyyy/mm/dd; mm/dd/yyyy): pandas guessed, so `5.3.2026` was
        # 3 May, `05/03/2026` 3 May but `15/03/2026` 15 March, and `today` re-dated the line on every run
        con.execute("""
            create or replace temp table dnc_listed as
            select if(channel = 'email', staging.email_address(address), address) as address, channel,
                   coalesce(staging.parse_time(added_text::varchar),
                            case when added_text is null then saved_at::timestamptz end) as added_at,
                   added_text is not null as is_dated, added_text, note, line
            from dnc_frame
        """)
    finally:
        con.unregister("dnc_frame")
    idna_addresses(con, "dnc_listed", ["address"])  # anna@müller.de is anna@xn--mller-kva.de, as staged
    # a line staging would quarantine as email_syntax (a name around the address, two addresses, a
    # domain cut short) can equal no staged address: listed, it suppressed nobody without a word
    faults += [(line, "address: not an email address (one address a line, nothing around it)") for (line,) in con.execute(
        "select line from dnc_listed where channel = 'email' and not regexp_full_match(coalesce(address, ''), ?)",
        [EMAIL_REGEX]).fetchall()]
    faults += [(line, f"added_at: {text!r} is not a date (2026-01-05, 2026-01-05 10:00+02:00, 05.01.2026, 2026/01/05 "
                      "or 01/05/2026; no offset is UTC)")
               for line, text in con.execute("select line, added_text from dnc_listed where added_at is null").fetchall()]
    if faults:
        con.execute("drop table dnc_listed")
        raise ConfigError("\n".join(f"{path}:{line}: {message}" for line, message in sorted(faults)))


def check_do_not_contact(path: Path, default_region: str) -> None:
    """Reads config/do_not_contact.csv as the consent step does (list_do_not_contact) on an empty in-memory
    warehouse -> a ConfigError naming each bad line, before a nightly opens the real one."""
    with connect(":memory:") as con:
        migrate(con)
        list_do_not_contact(con, path, default_region)


def refresh_consent(con: duckdb.DuckDBPyConnection, settings: Settings) -> list[dict]:
    """Reloads the do-not-contact list, rebuilds core.person_addresses and the consent views; returns contactability counts."""
    path = settings.config_dir / "do_not_contact.csv"
    register_lookups(con)  # identity_own_mailbox: a placeholder is nobody's address, as identity resolution reads it
    list_do_not_contact(con, path, settings.default_region)
    con.execute("""
        create or replace temp table dnc_new as
        with listed as (select address, channel, added_at, is_dated, note from dnc_listed),
        dated as (
            select f.address, f.channel,
                   if(f.is_dated, f.added_at::timestamptz, coalesce(o.added_at, f.added_at::timestamptz)) as added_at,
                   f.note
            from listed f
            left join (select address, channel, min(added_at) as added_at from core.do_not_contact group by all) o
                using (address, channel)
        )
        -- an address listed twice (two spellings, pasted again) is one suppression, from its first listing
        select address, channel, min(added_at) as added_at, string_agg(distinct note, '; ' order by note) as note
        from dated
        group by address, channel
    """)
    # a placeholder (noreply@acme.io) is nobody's own address: it suppresses no one (core.person_addresses
    # lists no such address); named by line, since it reads as if it held for the persons whose records carry it
    for (line,) in con.execute("select line from dnc_listed where channel = 'email' "
                               "and identity_own_mailbox(core.mailbox(address), null) is null order by line").fetchall():
        log.warning("%s:%d: address: a placeholder (noreply@, test@ …: nobody's own address), so it suppresses no one",
                    path, line)
    con.execute("delete from core.do_not_contact")
    con.execute("insert into core.do_not_contact (address, channel, added_at, note, mailbox) "
                "select address, channel, added_at, note, if(channel = 'email', core.inbox(m), address) "
                "from (select *, core.mailbox(address) as m from dnc_new)")  # its inbox (sql/schema/054)
    con.execute("drop table dnc_new")
    con.execute("drop table dnc_listed")
    key_addresses(con)
    # a phone no region can be assumed for (none is: a request names a person anywhere) equals no staged E.164
    # number; named here by request id (no phone in the log), not dropped silently
    unread = [r for (r,) in con.execute("select request_id from raw.erasure_requests "
                                        "where phone is not null and phone_norm is null order by 1").fetchall()]
    if unread:
        log.warning("erasure request(s) %s: the phone is not a number written with + and its country code (spaces, "
                    "dots, dashes and brackets between the digits are fine), so it suppresses no one by phone",
                    ", ".join(unread))
    # so is an email staging would quarantine (a name around it, two addresses): the list refuses such a line
    unread = [r for (r,) in con.execute("select request_id from raw.erasure_requests where email is not null "
                                        "and not regexp_full_match(coalesce(email_norm, ''), ?) order by 1",
                                        [EMAIL_REGEX]).fetchall()]
    if unread:
        log.warning("erasure request(s) %s: the email is not one email address as staging reads it (nothing around "
                    "it), so it suppresses no one by email", ", ".join(unread))
    unread = [r for (r,) in con.execute("select request_id from raw.erasure_requests where email_norm is not null "
                                        "and identity_own_mailbox(core.mailbox(email_norm), null) is null "
                                        "order by 1").fetchall()]
    if unread:
        log.warning("erasure request(s) %s: the email is a placeholder (noreply@, test@ …: nobody's own address), so it "
                    "reaches no one by email; name the person by id", ", ".join(unread))
    refresh_addresses(con)
    rows = select(con, "core/contactability_summary").to_dict("records")
    log.info("do-not-contact list: %d address(es); contactability: %s", scalar(con, "select count(*) from core.do_not_contact"),
             ", ".join(f"{r['channel']} {r['reason']} {r['persons']}" for r in rows))
    return rows


def may_contact(con: duckdb.DuckDBPyConnection, person_ids: list[int], channel: str) -> dict[int, tuple[bool, str]]:
    """Answers "may we contact these persons on this channel now?": person_id -> (is_allowed, reason).

    Set-based, for senders to call inside the transaction that claims their messages (a read-write
    connection: it first stores the reading of the events and erasure requests written since, key_addresses,
    one query when there are none). A person unknown to core.persons is not allowed (reason `unknown_person`).
    """
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}; expected one of {CHANNELS}")
    key_addresses(con)  # what providers and operators wrote since the last consent step
    if not scalar(con, "select count(*) from duckdb_views() where schema_name = 'core' "
                       "and view_name = 'contactability'"):
        create_views(con)
    rows = con.execute(
        "select person_id, is_allowed, reason from core.contactability "
        "where channel = ? and person_id in (select unnest(?::bigint[]))",
        [channel, list(person_ids)],
    ).fetchall()
    decided = {pid: (allowed, reason) for pid, allowed, reason in rows}
    return {pid: decided.get(pid, (False, "unknown_person")) for pid in person_ids}
