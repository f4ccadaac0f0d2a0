"""Tiny fixture rows for journey tests: source records linked to persons, provider events, ATS changes.

Identity resolution fills core.identity_links and core.persons in production; journey tests write
a few rows straight into those contract tables instead.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import duckdb

from tasks.warehouse import connect, migrate

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)


def at(days: float) -> datetime:
    """T0 plus a number of days."""
    return T0 + timedelta(days=days)


def warehouse() -> duckdb.DuckDBPyConnection:
    """A migrated in-memory warehouse."""
    con = connect(":memory:")
    migrate(con)
    return con


def _insert(con, table: str, row: dict) -> None:
    columns = ", ".join(row)
    con.execute(f"insert into {table} ({columns}) values ({', '.join('?' * len(row))})", list(row.values()))


def person(con, person_id: int, **fields) -> None:
    """A core.persons row; fields override the defaults."""
    row = {"person_id": person_id, "record_count": 1, "updated_at": T0, "email": f"p{person_id}@example.com",
           "phone": None, "phone_type": None, "first_seen_at": T0}
    _insert(con, "core.persons", {**row, **fields})


def record(con, person_id: int, record_id: str, source_name: str = "stackjobs", **fields) -> None:
    """A staging.candidate_records row linked to the person in core.identity_links, with the match-key
    row a resolve run leaves (the identity data checks count one per link); its consent dated as ingest dates it."""
    row = {"source_name": source_name, "source_record_id": record_id, "source_kind": "csv",
           "channel": "job_board", "batch_id": "b1", "payload_sha256": record_id, "staged_at": T0, **fields}
    for channel in ("email", "sms"):  # dated as ingest dates a record's first version (sql/staging/consent_dates.sql)
        if row.get(f"consent_{channel}") is not None:
            row.setdefault(f"consent_{channel}_at", row.get("applied_at") or row["staged_at"])
    _insert(con, "staging.candidate_records", row)
    _insert(con, "core.identity_links", {"source_name": source_name, "source_record_id": record_id,
                                         "record_key": f"{source_name}:{record_id}", "person_id": person_id,
                                         "rule": "singleton", "linked_at": T0})
    _insert(con, "core.identity_keys", {"record_key": f"{source_name}:{record_id}", "source_name": source_name,
                                        "source_record_id": record_id})


def event(con, event_id: str, kind: str, occurred_at: datetime, person_id: int | None = None,
          channel: str = "email", address: str | None = None, body: str | None = None,
          payload: dict | None = None) -> None:
    """A raw.provider_events row (payload: what the provider sent, as JSON)."""
    _insert(con, "raw.provider_events", {
        "provider_event_id": event_id, "provider": "sendgrid" if channel == "email" else "twilio",
        "person_id": person_id, "channel": channel, "address": address, "event_kind": kind,
        "body": body, "occurred_at": occurred_at, "received_at": occurred_at,
        "payload": json.dumps(payload) if payload is not None else None})


def stage_change(con, record_id: str, stage: str, changed_at: datetime, ats_person_id: str | None = None,
                 email: str | None = None, job_id: str = "J-1", source_name: str = "ats_status") -> None:
    """A staging.stage_changes row (an ATS status event)."""
    _insert(con, "staging.stage_changes", {
        "source_name": source_name, "source_record_id": record_id, "batch_id": "b1",
        "payload_sha256": record_id, "staged_at": changed_at, "ats_person_id": ats_person_id,
        "email": email, "job_id": job_id, "stage": stage, "changed_at": changed_at})


def moved(con, person_id: int, into: int, kind: str, when: datetime, record_count: int = 1) -> None:
    """A core.person_merges row: identity resolution merged person_id into `into`, or split part of it off into
    it; with a record it moved (core.identity_record_moves), which `into` holds now (a new linked record)."""
    record_id = f"moved-{person_id}-{into}"
    record(con, into, record_id)
    _insert(con, "core.person_merges", {"person_id": person_id, "into_person_id": into, "kind": kind,
                                        "reason": "new_evidence", "record_count": record_count, "run_id": 1,
                                        "merged_at": when})
    _insert(con, "core.identity_record_moves", {"record_key": f"stackjobs:{record_id}", "source_name": "stackjobs",
                                                "from_person_id": person_id, "to_person_id": into, "run_id": 1,
                                                "moved_at": when})
