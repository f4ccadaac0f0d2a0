"""Ingests file drops: read -> raw.source_records -> normalize -> validate -> staging or quarantine.

One transaction per file: either the whole file is recorded (raw rows, staged rows, quarantined
rows, and its meta.ingested_files line with counts that add up) or nothing of it is.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from tasks.clock import utcnow
from tasks.settings import Settings
from tasks.sources.files import FileError, ParsedFile, read_file
from tasks.sources.registry import FILE_KINDS, SourceConfig, load_sources
from tasks.staging import CANDIDATE_COLUMNS, STAGE_CHANGE_COLUMNS, stage_frame
from tasks.validate import validate

log = logging.getLogger(__name__)


@dataclass
class FileResult:
    """What happened to one file."""

    source: str
    file: str
    status: str                     # loaded | skipped | failed
    rows_read: int = 0
    rows_staged: int = 0
    rows_quarantined: int = 0
    rules: Counter = field(default_factory=Counter)
    error: str | None = None

    @property
    def bad_fraction(self) -> float:
        return self.rows_quarantined / self.rows_read if self.rows_read else 0.0


@dataclass
class IngestReport:
    """All files of one ingest run, and whether the run as a whole failed."""

    files: list[FileResult]
    max_bad_fraction: float

    @property
    def failures(self) -> list[str]:
        """Reasons the run failed: unreadable files, and files over the bad-row share."""
        reasons = [f"{f.file}: {f.error}" for f in self.files if f.status == "failed"]
        for f in self.files:
            if f.status == "loaded" and f.bad_fraction > self.max_bad_fraction:
                top = ", ".join(f"{rule} {n}" for rule, n in f.rules.most_common())
                reasons.append(
                    f"{f.file}: {f.rows_quarantined} of {f.rows_read} rows quarantined "
                    f"({f.bad_fraction:.0%} > max_bad_fraction {self.max_bad_fraction:.0%}); rules: {top}"
                )
        return reasons

    def summary_rows(self) -> list[dict]:
        """One dict per source: files, rows read, staged, quarantined, and quarantined rows by rule."""
        rows = []
        for source in dict.fromkeys(f.source for f in self.files):
            files = [f for f in self.files if f.source == source]
            rules = sum((f.rules for f in files), Counter())
            rows.append({
                "source": source,
                "files_loaded": sum(f.status == "loaded" for f in files),
                "files_skipped": sum(f.status == "skipped" for f in files),
                "files_failed": sum(f.status == "failed" for f in files),
                "rows_read": sum(f.rows_read for f in files),
                "rows_staged": sum(f.rows_staged for f in files),
                "rows_quarantined": sum(f.rows_quarantined for f in files),
                "quarantined_by_rule": ", ".join(f"{r}={n}" for r, n in sorted(rules.items())),
            })
        return rows


def file_sha256(path: Path) -> str:
    """Content hash of a file, streamed."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _payload_sql(parsed: ParsedFile) -> str:
    # CSV rows keep their header as JSON keys; JSON rows arrive already serialized.
    if list(parsed.payload.columns) == ["payload"]:
        return "p.payload::json"
    return "to_json(p)"


def load_batch(
    con: duckdb.DuckDBPyConnection, source: SourceConfig, path: str, sha: str,
    parsed: ParsedFile, staged: pd.DataFrame, failures: pd.DataFrame, settings: Settings,
) -> FileResult:
    """Writes one parsed, validated file in one transaction; checks rows read = staged + quarantined."""
    now = utcnow(settings)
    batch_id = str(uuid.uuid4())
    quarantine = pd.concat([parsed.malformed, failures], ignore_index=True)
    bad_rows = set(quarantine["row_number"].tolist())
    ok = staged[~staged["row_number"].isin(bad_rows)]
    ids = staged[["row_number", "source_record_id"]]
    canon, payload = parsed.canon[["row_number"]], parsed.payload
    con.register("batch_canon", canon)
    con.register("batch_payload", payload)
    con.register("batch_ids", ids)
    con.register("batch_quarantine", quarantine)
    con.register("batch_ok", ok)
    con.execute("begin")
    try:
        con.execute(f"""
            create or replace temp table batch_raw as
            select i.source_record_id, c.row_number, {_payload_sql(parsed)} as payload
            from batch_canon c positional join batch_payload p
            join batch_ids i on i.row_number = c.row_number
        """)
        con.execute("""
            insert into raw.source_records
                (source_name, source_record_id, op, payload, payload_sha256, file_path, row_number, batch_id, ingested_at)
            select ?, b.source_record_id, 'upsert', b.payload, sha256(b.payload::varchar), ?, b.row_number, ?, ?
            from batch_raw b
            where not exists (
                select 1 from raw.source_records r
                where r.source_name = ? and r.source_record_id is not distinct from b.source_record_id
                  and r.payload_sha256 = sha256(b.payload::varchar))
        """, [source.name, path, batch_id, now, source.name])
        con.execute("""
            insert into staging.quarantine
                (source_name, source_record_id, batch_id, file_path, row_number, rule, field, value, message, quarantined_at)
            select ?, i.source_record_id, ?, ?, q.row_number, q.rule, q.field, q.value, q.message, ?
            from batch_quarantine q left join batch_ids i using (row_number)
        """, [source.name, batch_id, path, now])
        if source.kind == "ats_status":
            table, columns = "staging.stage_changes", STAGE_CHANGE_COLUMNS
        else:
            table, columns = "staging.candidate_records", CANDIDATE_COLUMNS
        con.execute(f"delete from {table} t using batch_ok o where t.source_name = ? and t.source_record_id = o.source_record_id", [source.name])
        extra = "" if source.kind == "ats_status" else ", source_kind, channel"
        extra_values = "" if source.kind == "ats_status" else ", ?, ?"
        params = [source.name, batch_id, path, now] + ([] if source.kind == "ats_status" else [source.kind, source.channel])
        con.execute(f"""
            insert into {table} (source_name, batch_id, file_path, staged_at{extra}, payload_sha256, {', '.join(columns)})
            select ?, ?, ?, ?{extra_values}, sha256(b.payload::varchar), {', '.join('o.' + c for c in columns)}
            from batch_ok o join batch_raw b using (row_number)
        """, params)
        rows_read = parsed.rows_read
        rows_staged = len(ok)
        rows_quarantined = con.execute(
            "select count(distinct row_number) from staging.quarantine where batch_id = ?", [batch_id]
        ).fetchone()[0]
        if rows_read != rows_staged + rows_quarantined:
            raise AssertionError(
                f"{path}: conservation broken: read {rows_read} != staged {rows_staged} + quarantined {rows_quarantined}"
            )
        con.execute("""
            insert into meta.ingested_files (file_sha256, source_name, file_path, batch_id, started_at,
                finished_at, status, rows_read, rows_staged, rows_quarantined)
            values (?, ?, ?, ?, ?, ?, 'loaded', ?, ?, ?)
        """, [sha, source.name, path, batch_id, now, utcnow(settings), rows_read, rows_staged, rows_quarantined])
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    finally:
        for name in ("batch_canon", "batch_payload", "batch_ids", "batch_quarantine", "batch_ok"):
            con.unregister(name)
    rules = Counter()
    for rule, rows in quarantine.groupby("rule")["row_number"]:
        rules[rule] = rows.nunique()
    return FileResult(source.name, path, "loaded", rows_read, rows_staged, rows_quarantined, rules)


def _record_failure(con, source: SourceConfig, path: str, sha: str, error: str, settings: Settings) -> None:
    now = utcnow(settings)
    con.execute("""
        insert into meta.ingested_files (file_sha256, source_name, file_path, batch_id, started_at,
            finished_at, status, error) values (?, ?, ?, ?, ?, ?, 'failed', ?)
    """, [sha, source.name, path, str(uuid.uuid4()), now, now, error])


def ingest_file(con: duckdb.DuckDBPyConnection, source: SourceConfig, path: Path, settings: Settings) -> FileResult:
    """Ingests one file unless its content was loaded before; unreadable files are reported, not raised."""
    display = str(path)
    sha = file_sha256(path)
    seen = con.execute(
        "select 1 from meta.ingested_files where source_name = ? and file_sha256 = ? and status = 'loaded'",
        [source.name, sha],
    ).fetchone()
    if seen:
        return FileResult(source.name, display, "skipped")
    try:
        parsed = read_file(path, source)
    except FileError as exc:
        log.error("%s", exc)
        _record_failure(con, source, display, sha, str(exc), settings)
        return FileResult(source.name, display, "failed", error=str(exc))
    now = utcnow(settings)
    staged = stage_frame(parsed.canon, source, now)
    failures = validate(staged, source.kind, now)
    result = load_batch(con, source, display, sha, parsed, staged, failures, settings)
    log.info("%s: read %d, staged %d, quarantined %d", display, result.rows_read, result.rows_staged, result.rows_quarantined)
    return result


def ingest(
    con: duckdb.DuckDBPyConnection, settings: Settings, only: list[str] | None = None,
    on_file: Callable[[FileResult], None] | None = None,
) -> IngestReport:
    """Ingests every file source in sources.yaml (or those named) from the inbox."""
    sources = [s for s in load_sources(settings.config_dir) if s.kind in FILE_KINDS]
    if only:
        unknown = sorted(set(only) - {s.name for s in sources})
        if unknown:
            raise ValueError(f"unknown file source(s) {unknown}; sources.yaml has {[s.name for s in sources]}")
        sources = [s for s in sources if s.name in only]
    results = []
    for source in sources:
        for path in source.files(settings.inbox_dir):
            result = ingest_file(con, source, path, settings)
            results.append(result)
            if on_file:
                on_file(result)
    return IngestReport(results, settings.max_bad_fraction)


def run_ingest(only: list[str] | None = None, settings: Settings | None = None) -> IngestReport:
    """Opens the warehouse as the one writer and ingests the file sources (all, or those named)."""
    from tasks.settings import load_settings
    from tasks.warehouse import writer

    settings = settings or load_settings()
    with writer(settings) as con:
        return ingest(con, settings, only)
