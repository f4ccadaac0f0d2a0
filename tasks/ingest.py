"""Ingests file drops: read -> raw.source_records -> normalize -> validate -> staging or quarantine.

One transaction per file: either the whole file is recorded (raw rows, staged rows, quarantined
rows, and its meta.ingested_files line with counts that add up) or nothing of it is.
"""

from __future__ import annotations

import hashlib
import logging
import os
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from tasks.clock import StepTimer, utcnow
from tasks.config import line_of, read_yaml
from tasks.pii import mask_text
from tasks.renames import apply_renames, retire_sources
from tasks.settings import Settings
from tasks.sources.files import FileError, read_file
from tasks.sources.registry import API_KINDS, FILE_KINDS, SourceConfig, check_shared_files, load_sources_file, natural_key, select_sources
from tasks.staging import CANDIDATE_COLUMNS, STAGE_CHANGE_COLUMNS, stage
from tasks.validate import validate_batch
from tasks.warehouse import scalar, select, sql_text, transaction

log = logging.getLogger(__name__)

# a step of one file (reading, normalizing, validating, writing) this long is logged as it ends:
# a million-row export otherwise says nothing for one to several minutes
STEP_LOG_MIN_S = 5.0


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
    rows_deleted: int = 0           # staged records removed: the API deleted them, or a full export left them out
    run: str | None = None          # API sources: the run a page belongs to; a run's pages are judged together
    pages: int = 1                  # API sources: the pages landed together in this batch (Settings.api_land_rows)

    @property
    def bad_fraction(self) -> float:
        return self.rows_quarantined / self.rows_read if self.rows_read else 0.0


@dataclass
class NoFiles:
    """A file source whose `path` matched no file this run: its folder is not there (`error`: the run fails),
    or holds nothing the glob matches (a feed that did not deliver tonight: said in the summary)."""

    source: str
    note: str                       # the run summary's note: what matched nothing, where
    error: str | None = None


@dataclass
class IngestReport:
    """All files of one ingest run, and whether the run as a whole failed."""

    files: list[FileResult]
    max_bad_fraction: float
    min_bad_rows: int = 1
    no_files: list[NoFiles] = field(default_factory=list)   # file sources whose glob matched nothing
    sources: list[str] = field(default_factory=list)        # the sources the run read: files, then APIs

    @property
    def failures(self) -> list[str]:
        """Reasons the run failed: unreadable files, and batches over the bad-row share.

        A batch is a file, or all pages of one API source's run (a page is only as big as the
        source's per_page, and an incremental run's last page may hold one record). A batch
        quarantining fewer than min_bad_rows rows fails nothing: one mistyped email in a run that
        brought one changed record is 100% of it, and no sign of a broken feed.
        """
        reasons = [n.error for n in self.no_files if n.error]
        reasons += [f.error if f.error.startswith(f.file) else f"{f.file}: {f.error}"
                    for f in self.files if f.status == "failed"]
        batches: dict[tuple[str, str], list[FileResult]] = {}
        for f in self.files:
            if f.status == "loaded":
                batches.setdefault((f.source, f.run or f.file), []).append(f)
        for (source, batch), files in batches.items():
            read, bad = sum(f.rows_read for f in files), sum(f.rows_quarantined for f in files)
            if bad >= self.min_bad_rows and bad > self.max_bad_fraction * read:
                top = ", ".join(f"{rule} {n}" for rule, n in sum((f.rules for f in files), Counter()).most_common())
                where = batch if len(files) == 1 and files[0].run is None else f"{source} ({batch}, {sum(f.pages for f in files)} page(s))"
                reasons.append(f"{where}: {bad} of {read} rows quarantined "
                               f"({bad / read:.0%} > CANDOR_MAX_BAD_FRACTION {self.max_bad_fraction:.0%}); rules: {top}")
        return reasons

    def summary_rows(self) -> list[dict]:
        """One dict per source: files loaded/skipped/failed, rows read/staged/quarantined, quarantined rows by rule,
        and a note for a file source whose glob matched no file (its folder missing, or nothing delivered)."""
        rows = []
        notes = {n.source: n.note for n in self.no_files}
        failed_folders = {n.source for n in self.no_files if n.error}  # a folder not there fails its source
        for source in dict.fromkeys([*self.sources, *(f.source for f in self.files), *notes]):
            files = [f for f in self.files if f.source == source]
            if not files and source not in notes:
                continue
            rules = sum((f.rules for f in files), Counter())
            rows.append({
                "source": source,
                "loaded": sum(f.status == "loaded" for f in files),
                "skipped": sum(f.status == "skipped" for f in files),
                "failed": sum(f.status == "failed" for f in files) + (source in failed_folders),
                "read": sum(f.rows_read for f in files),
                "staged": sum(f.rows_staged for f in files),
                "quarantined": sum(f.rows_quarantined for f in files),
                "deleted": sum(f.rows_deleted for f in files),
                "quarantined_by_rule": ", ".join(f"{r}={n}" for r, n in sorted(rules.items())),
                "note": notes.get(source, ""),
            })
        return rows


def file_sha256(path: Path) -> str:
    """Content hash of a file, streamed."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def drop_unchanged(con: duckdb.DuckDBPyConnection, source: SourceConfig) -> int:
    """Leaves out of batch_read the rows whose staged record already has the same payload; returns how many.

    Full exports, overlap windows, resumed pages and full scans list unchanged records again;
    staging them again would change nothing but their staging time, and would make the next
    resolve run score them all again (a nightly full export cost as much as resolving from scratch).
    They stay as staged, with the lineage of the batch that first brought that content.
    """
    table = "staging.stage_changes" if source.kind == "ats_status" else "staging.candidate_records"
    before = scalar(con, "select count(*) from batch_read")
    # an id twice in the batch stays, so validation quarantines both rows (which one is current is unknown)
    con.execute(f"""
        delete from batch_read b where exists (
            select 1 from {table} t where t.source_name = ? and t.source_record_id = b.source_record_id
              and t.payload_sha256 = sha256(b.payload))
          and b.source_record_id not in (select source_record_id from batch_read
                                         where source_record_id is not null group by all having count(*) > 1)
    """, [source.name])
    return before - scalar(con, "select count(*) from batch_read")


def load_batch(
    con: duckdb.DuckDBPyConnection, source: SourceConfig, path: str, sha: str,
    rows_read: int, quarantine: pd.DataFrame, settings: Settings, unchanged: int = 0, full_list: str | None = None,
) -> FileResult:
    """Writes batch_read/batch_staged plus quarantine rows in one transaction; checks conservation.

    `quarantine` holds (row_number, rule, field, value, message): malformed rows and broken rules.
    `full_list`: the file is the newest full export of its source, read as its current list: "apply"
    deletes the source's staged records it does not list (temp batch_present) in the same transaction;
    "keep" deletes none (rows of the file could not be read). See delete_absent_records.
    """
    with transaction(con):
        # the share a full export may delete is of the records staged before it, not counting those it adds
        staged = scalar(con, "select count(*) from staging.candidate_records where source_name = ?",
                        [source.name]) if full_list == "apply" else 0
        result = write_batch(con, source, path, sha, rows_read, quarantine, settings, unchanged)
        if full_list:
            result.rows_deleted = delete_absent_records(con, source, path, settings, staged, full_list == "apply")
        return result


# each record's last delete (an API's, or a full export leaving it out) in raw, for the source bound as `?`:
# a record listed again after it lands in raw and quarantine again
_LAST_DELETES = ("select source_record_id, max(ingested_at) as deleted_at from raw.source_records "
                 "where source_name = ? and op = 'delete' group by all")


def delete_absent_records(
    con: duckdb.DuckDBPyConnection, source: SourceConfig, path: str, settings: Settings, staged: int,
    apply: bool = True,
) -> int:
    """Deletes the staged records of a full-export source that temp batch_present (the ids the file
    lists, staged, unchanged or quarantined) lacks, as the APIs' deletions are (raw op='delete' rows,
    staging.deleted_records for the next resolve); returns how many, also noted on the file's row of
    meta.ingested_files (rows_deleted_absent: read as the current list). `apply=False` only notes 0.
    Raises FileError, so the file's writes roll back, when that is more than the source's
    max_delete_share of `staged`, the source's staged records before the file (not those it adds).
    """
    from tasks.sources.api import apply_deletes  # the API runner builds on this module

    removed = 0
    if apply:
        absent = [rid for (rid,) in con.execute(
            "select source_record_id from staging.candidate_records where source_name = ? "
            "and source_record_id not in (select source_record_id from batch_present) order by 1", [source.name]
        ).fetchall()]
        # records quarantine holds back (never staged, or not since) that the list leaves out are gone too:
        # a delete row each, once, so `candor status` stops counting them; they do not count against the share
        held = [rid for (rid,) in con.execute(
            f"select source_record_id from ({sql_text('staging/held_back_records')}) "
            f"anti join batch_present using (source_record_id) order by 1", {"source": source.name}).fetchall()]
        share = source.max_delete_share
        if len(absent) > share * staged:
            raise FileError(
                f"{path}: {len(absent)} of {staged} staged records of {source.name} are not in this full export "
                f"({len(absent) / staged:.0%} > max_delete_share {share:.0%}): a cut or empty export? "
                f"Nothing of the file was loaded; it is tried again by the next run. If the records are gone, "
                f"raise max_delete_share for {source.name} in sources.yaml")
        name = Path(path).name  # a delete row per file that left the record out: one left out twice is two events
        removed = apply_deletes(con, source, [{"id": rid, "absent_from": name} for rid in absent + held], path, settings)
    con.execute("update meta.ingested_files set rows_deleted_absent = ? "  # write_batch's row for this file
                "where rowid = (select max(rowid) from meta.ingested_files where source_name = ?)", [removed, source.name])
    return removed


def write_batch(
    con: duckdb.DuckDBPyConnection, source: SourceConfig, path: str, sha: str,
    rows_read: int, quarantine: pd.DataFrame, settings: Settings, unchanged: int = 0,
) -> FileResult:
    """load_batch's writes inside the caller's transaction (API pages commit several batches and their cursor at once).

    `unchanged` rows (drop_unchanged) are read and staged already: they count as staged, so read =
    staged + quarantined holds for the whole batch. In the same way a row whose record was
    quarantined with the same payload under the same rule before is quarantined already: it gets
    no new quarantine row for that rule (unless its record was deleted since) and counts as quarantined
    (rows_quarantined_before when it broke no other rule).
    """
    now = utcnow(settings)
    batch_id = str(uuid.uuid4())
    con.register("batch_quarantine", quarantine)
    if source.kind == "ats_status":
        table, columns, extra, extra_params = "staging.stage_changes", STAGE_CHANGE_COLUMNS, "", []
    else:
        table, columns = "staging.candidate_records", CANDIDATE_COLUMNS
        extra, extra_params = ", source_kind, channel", [source.kind, source.channel]
    try:
        # A view, not a copy: at a million rows another materialized copy of the batch costs a GiB.
        con.execute("""
            create or replace temp view batch_ok as
            select s.*, sha256(b.payload) as payload_sha256
            from batch_staged s join batch_read b using (row_number)
            anti join batch_quarantine q using (row_number)
        """)
        con.execute(f"""
            insert into raw.source_records
                (source_name, source_record_id, op, payload, payload_sha256, file_path, row_number, batch_id, ingested_at)
            select ?, b.source_record_id, 'upsert', b.payload::json, b.sha, ?, b.row_number, ?, ?
            from (select *, sha256(payload) as sha from batch_read) b
            left join ({_LAST_DELETES}) d on d.source_record_id = b.source_record_id
            -- a version landed before lands again when its record was deleted since (listed again)
            anti join (select source_record_id, payload_sha256, ingested_at from raw.source_records where source_name = ?) r
                on r.source_record_id is not distinct from b.source_record_id and r.payload_sha256 = b.sha
                   and (d.deleted_at is null or r.ingested_at > d.deleted_at)
        """, [source.name, path, batch_id, now, source.name, source.name])
        # a full export or full scan lists every record again: only what was not quarantined before (or
        # not since its record was deleted: listed again, it is held back again) is added
        con.execute("""
            insert into staging.quarantine (source_name, source_record_id, batch_id, file_path, row_number, rule,
                                            field, value, message, quarantined_at, payload_sha256)
            select ?, b.source_record_id, ?, ?, q.row_number, q.rule, q.field, q.value, q.message, ?, sha256(b.payload)
            from batch_quarantine q left join batch_read b using (row_number)
            where not exists (select 1 from staging.quarantine p
                              where p.source_name = ? and p.source_record_id = b.source_record_id
                                and p.payload_sha256 = sha256(b.payload) and p.rule = q.rule
                                and not exists (select 1 from raw.source_records r
                                                where r.source_name = p.source_name and r.op = 'delete'
                                                  and r.source_record_id = p.source_record_id
                                                  and r.ingested_at > p.quarantined_at))
        """, [source.name, batch_id, path, now, source.name])
        selected, prior, prior_params = ", ".join(f"o.{c}" for c in columns), "", []
        if source.kind == "ats_status":
            # a stage row sent again with the same stage and a later time (Greenhouse dates the current
            # stage and Hired at the application's last activity) keeps the time the stage was reached, unless
            # the application moved to another stage since (`app:<candidate>:<application>:stage:<id>`, Offer,
            # Face to Face, Offer again): it is at that stage again from now
            con.execute("""
                create or replace temp table batch_prior_stages as
                with prior as (
                    select source_record_id, stage, changed_at,
                           case when split_part(source_record_id, ':', 4) = 'stage' then
                               split_part(source_record_id, ':', 2) || ':' || split_part(source_record_id, ':', 3)
                           end as application
                    from staging.stage_changes where source_name = ?
                ),
                moved as (   -- when each application with a row in the batch last reached a stage
                    select application, max(changed_at) as moved_at from prior
                    where application in (select application from prior
                                          where source_record_id in (select source_record_id from batch_ok))
                    group by all
                )
                select p.source_record_id, p.stage, p.changed_at from prior as p left join moved as m using (application)
                where p.source_record_id in (select source_record_id from batch_ok)
                  and (m.moved_at is null or p.changed_at >= m.moved_at)
            """, [source.name])
            selected = ", ".join("least(o.changed_at, p.changed_at) as changed_at" if c == "changed_at" else f"o.{c}"
                                 for c in columns)
            prior = "left join batch_prior_stages as p on p.source_record_id = o.source_record_id and p.stage = o.stage"
        else:
            # a record staged again with the consent it had keeps the date that consent was stated
            con.execute(f"create or replace temp table batch_consent_dates as {sql_text('staging/consent_dates')}",
                        {"source": source.name, "now": now})
            # and when its source first sent each record: the earliest version raw keeps of it, this batch's
            # included (sql/core/persons.sql dates an undated record's first sighting by it, migration 075)
            columns = [*columns, "consent_email_at", "consent_sms_at", "first_sent_at"]
            selected += ", d.consent_email_at, d.consent_sms_at, f.first_sent_at"
            prior = ("left join batch_consent_dates as d on d.source_record_id = o.source_record_id "
                     "left join (select source_record_id, min(ingested_at) as first_sent_at from raw.source_records "
                     "where source_name = ? and op = 'upsert' "
                     "and source_record_id in (select source_record_id from batch_ok) group by all) as f "
                     "on f.source_record_id = o.source_record_id")
            prior_params = [source.name]
        con.execute(f"""
            delete from {table} t where t.source_name = ?
              and t.source_record_id in (select source_record_id from batch_staged anti join batch_quarantine using (row_number))
        """, [source.name])
        rows_staged = scalar(con, f"""
            insert into {table} (source_name, batch_id, file_path, staged_at{extra}, payload_sha256, {', '.join(columns)})
            select ?, ?, ?, ?{', ?, ?' if extra else ''}, o.payload_sha256, {selected}
            from batch_ok as o {prior}
        """, [source.name, batch_id, path, now, *extra_params, *prior_params]) + unchanged
        rows_quarantined_before = scalar(con, """
            select count(distinct q.row_number) from batch_quarantine q
            anti join (select row_number from staging.quarantine where batch_id = ?) n using (row_number)
        """, [batch_id])
        rows_quarantined = rows_quarantined_before + scalar(
            con, "select count(distinct row_number) from staging.quarantine where batch_id = ?", [batch_id])
        if rows_read != rows_staged + rows_quarantined:
            raise AssertionError(
                f"{path}: conservation broken: read {rows_read} != staged {rows_staged} + quarantined {rows_quarantined}"
            )
        con.execute("""
            insert into meta.ingested_files (file_sha256, source_name, file_path, batch_id, started_at,
                finished_at, status, rows_read, rows_staged, rows_quarantined, rows_quarantined_before)
            values (?, ?, ?, ?, ?, ?, 'loaded', ?, ?, ?, ?)
        """, [sha, source.name, path, batch_id, now, utcnow(settings), rows_read, rows_staged, rows_quarantined,
              rows_quarantined_before])
        # Not in `finally`: after an error the transaction is aborted and the caller's rollback drops it.
        con.execute("drop view batch_ok")
    finally:
        con.unregister("batch_quarantine")
    rules = Counter()
    for rule, rows in quarantine.groupby("rule")["row_number"]:
        rules[rule] = rows.nunique()
    return FileResult(source.name, path, "loaded", rows_read, rows_staged, rows_quarantined, rules)


def display_path(path: Path) -> str:
    """The path as text the warehouse can store: a name's bytes that are not UTF-8 (a Latin-1 name from a zip made
    on Windows, which Python holds as lone surrogates that DuckDB refuses, crashing the run) written as `\\xe4`."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def report_cleaned(label: str, placeholders: int, letterless: int) -> None:
    """Logs what staging read differently from what a batch (a file, an API page) wrote (tasks.staging.stage's counts):
    rows holding placeholders, read as missing values, and rows holding a name without a letter, staged without it."""
    if placeholders:
        log.info("%s: %d row(s) hold placeholders (N/A, -, none, unknown …), read as missing values", label, placeholders)
    if letterless:
        log.warning("%s: %d row(s) hold a name without a letter (@, 0001-01-01, 12345 …): staged without that name "
                    "(rule name_has_letter), matched on no name, the raw payload keeps it", label, letterless)


def _record_failure(con, source: SourceConfig, path: str, sha: str, error: str, settings: Settings) -> None:
    now = utcnow(settings)
    con.execute("""
        insert into meta.ingested_files (file_sha256, source_name, file_path, batch_id, started_at,
            finished_at, status, error) values (?, ?, ?, ?, ?, ?, 'failed', ?)
    """, [sha, source.name, path, str(uuid.uuid4()), now, now, error])


def _unreadable(display: str, exc: Exception) -> str:
    """The masked `file: could not be read: Error: reason` of a file whose opening or reading raised `exc`."""
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else (str(exc).splitlines() or [""])[0]
    return str(FileError(f"{display}: could not be read: {type(exc).__name__}: {reason}"))


def ingest_file(
    con: duckdb.DuckDBPyConnection, source: SourceConfig, path: Path, settings: Settings, newest: bool = True,
) -> FileResult:
    """Ingests one file unless its content was loaded before; unreadable files are reported, not raised.

    `newest`: no later file of the source is in the inbox; only then does a full export delete the
    records it leaves out. A full export older than the one last read as the current list (a failed file
    fixed and dropped again late) is skipped with a warning, once (noted as `superseded` in
    meta.ingested_files): it is no current list, nor current versions.
    """
    display = display_path(path)
    try:
        sha = file_sha256(path)
    except FileNotFoundError:  # moved or deleted (archived, say) since the run listed the inbox
        if path.is_symlink():  # a link whose target is gone: the export is unread, not moved on
            error = str(FileError(f"{display}: could not be read: a symbolic link to {os.readlink(path)}, which is not there"))
            log.error("%s", error)
            return FileResult(source.name, display, "failed", error=error)
        log.warning("%s: no longer there (moved or deleted since this run listed the inbox); not read", display)
        return FileResult(source.name, display, "skipped")
    except OSError as exc:  # no content hash to record it under: reported by this run, tried again by the next
        error = _unreadable(display, exc)
        log.error("%s", error)
        return FileResult(source.name, display, "failed", error=error)
    seen = scalar(con, "select count(*) from meta.ingested_files where source_name = ? and file_sha256 = ? "
                       "and status = 'loaded'", [source.name, sha])
    if seen and source.full_export and newest:
        # the newest full export is the current list: one equal to an export read as the list before
        # another (a record left out one day and listed again the next) is read again
        seen = scalar(con, "select arg_max(file_sha256, (finished_at, rowid)) = ? from meta.ingested_files "
                           "where source_name = ? and rows_deleted_absent is not null", [sha, source.name])
    if seen:
        return FileResult(source.name, display, "skipped")
    if source.full_export:
        # an export older (by name) than the one read as the current list is superseded: read, it put its older
        # versions back in staging and staged again the records the newer list left out (read as the list, deleted
        # the newer list's new records too)
        current = scalar(con, "select arg_max(file_path, (finished_at, rowid)) from meta.ingested_files "
                              "where source_name = ? and rows_deleted_absent is not null", [source.name])
        if current and natural_key(Path(current).name) > natural_key(path.name):
            # said once and noted (`candor status` counts it as superseded): the warning came on every run it stayed
            if not scalar(con, "select count(*) from meta.ingested_files where source_name = ? and file_sha256 = ? "
                               "and status = 'superseded'", [source.name, sha]):
                message = (f"{display}: older than {Path(current).name}, read as the current list of {source.name}: "
                           f"superseded, not read (move it out of the inbox)")
                log.warning("%s", message)
                now = utcnow(settings)
                con.execute("insert into meta.ingested_files (file_sha256, source_name, file_path, batch_id, "
                            "started_at, finished_at, status, error) values (?, ?, ?, ?, ?, ?, 'superseded', ?)",
                            [sha, source.name, display, str(uuid.uuid4()), now, now, mask_text(message)])
            return FileResult(source.name, display, "skipped")
    timer = StepTimer(display, log, STEP_LOG_MIN_S)
    try:
        read = read_file(con, path, source)
    except FileError as exc:
        log.error("%s", exc)
        _record_failure(con, source, display, sha, str(exc), settings)
        return FileResult(source.name, display, "failed", error=str(exc))
    except Exception as exc:  # reading writes only temp tables: one file's surprise fails that file, not the run
        log.error("%s: could not be read", display, exc_info=True)
        error = _unreadable(display, exc)
        _record_failure(con, source, display, sha, error, settings)
        return FileResult(source.name, display, "failed", error=error)
    now = utcnow(settings)
    full_list = ("keep" if len(read.malformed) else "apply") if source.full_export and newest else None
    if full_list == "keep":
        log.warning("%s: %d row(s) could not be read: no record absent from it is deleted", display, len(read.malformed))
    if full_list == "apply":  # before drop_unchanged: an unchanged record is listed too
        con.execute("create or replace temp table batch_present as "
                    "select distinct source_record_id from batch_read where source_record_id is not null")
    unchanged = drop_unchanged(con, source)
    timer.lap(f"read {read.rows_read} rows ({unchanged} unchanged)")
    report_cleaned(display, *stage(con, source, now, settings.default_region))
    timer.lap("normalize")
    failures = validate_batch(con, source.kind, now)
    timer.lap("validate")
    quarantine = pd.concat([read.malformed, failures], ignore_index=True) if len(failures) else read.malformed
    try:
        result = load_batch(con, source, display, sha, read.rows_read, quarantine, settings, unchanged, full_list)
    except (AssertionError, FileError) as exc:  # counts that do not add up, a cut full export: rolled back, the run goes on
        error = str(exc if isinstance(exc, FileError) else FileError(str(exc)))
        log.error("%s", error)
        _record_failure(con, source, display, sha, error, settings)
        return FileResult(source.name, display, "failed", error=error)
    timer.lap("write")
    log.info("%s: read %d, staged %d (%d of them unchanged, left as staged), quarantined %d%s", display,
             result.rows_read, result.rows_staged, unchanged, result.rows_quarantined,
             f"; deleted {result.rows_deleted} staged record(s) it leaves out" if full_list == "apply" else "")
    return result


def no_files(source: SourceConfig, index: int, settings: Settings) -> NoFiles:
    """What a file source whose glob matched no file says: a folder that is not there is an error naming
    sources.yaml's line and field (a typo in `path`, a share not mounted: every run read nothing without a
    word); a folder with no matching file is a warning and a note in the summary (a feed with nothing tonight)."""
    path = settings.config_dir / "sources.yaml"
    where = f"{path}:{line_of(read_yaml(path)[1], ('sources', index, 'path')) or 1}: sources.{index}.path"
    pattern = source.path if Path(source.path).is_absolute() else str(settings.inbox_dir / source.path)
    folder = source.folder(settings.inbox_dir)
    if not folder.is_dir():
        state = "a file, not a folder" if folder.exists() else "not there"
        error = str(FileError(
            f"{where}: source {source.name} reads {pattern}, but {folder} is {state}: a typo in `path`, a share not "
            f"mounted, or a feed that has never delivered (then create the folder); nothing of it was read"))
        log.error("%s", error)
        return NoFiles(source.name, mask_text(f"no folder {folder}"), error)
    log.warning("%s: no file matches %s (%s); nothing to read this run", source.name, pattern, where)
    return NoFiles(source.name, mask_text(f"no file matches {pattern}"))


def warn_of_unnamed_sources(con: duckdb.DuckDBPyConnection, names: list[str]) -> None:
    """Warns of each source staging still holds that sources.yaml no longer names (a source renamed or removed)."""
    for name, records in select(con, "staging/unnamed_sources", {"names": names}).itertuples(index=False):
        log.warning("staging holds %d record(s) of source %s, which sources.yaml no longer names: renamed or removed? "
                    "They stay staged and contactable, updated and deleted by nothing; a renamed source says "
                    "`renamed_from: %s` in sources.yaml (docs/operations.md, Renaming a source), a removed one is "
                    "retired as docs/operations.md says (Removing a source)", records, name, name)


def ingest(
    con: duckdb.DuckDBPyConnection, settings: Settings, only: list[str] | None = None,
    on_file: Callable[[FileResult], None] | None = None,
) -> IngestReport:
    """Ingests every source in sources.yaml (or those named): file drops from the inbox, then ATS APIs."""
    # Imported here: the API runner builds on this module's write_batch.
    from tasks.sources.api import ingest_api

    read = load_sources_file(settings.config_dir)
    configured = read.sources
    check_shared_files(settings.config_dir, configured, settings.inbox_dir)
    apply_renames(con, configured, settings.config_dir, settings)
    retire_sources(con, read.retired, settings)
    warn_of_unnamed_sources(con, [s.name for s in configured])
    sources = select_sources(configured, only, settings.config_dir)
    results, empty = [], []
    for source in sources:
        if source.kind not in FILE_KINDS:
            continue
        paths = source.files(settings.inbox_dir)
        if not paths:
            empty.append(no_files(source, configured.index(source), settings))
        for path in paths:
            result = ingest_file(con, source, path, settings, newest=path == paths[-1])
            results.append(result)
            if on_file:
                on_file(result)
    for source in sources:
        if source.kind in API_KINDS:
            for result in ingest_api(con, source, settings):
                results.append(result)
                if on_file:
                    on_file(result)
    return IngestReport(results, settings.max_bad_fraction, settings.min_bad_rows, empty,
                        [s.name for s in sources if s.kind in FILE_KINDS] + [s.name for s in sources if s.kind in API_KINDS])


def run_ingest(only: list[str] | None = None, settings: Settings | None = None) -> IngestReport:
    """Opens the warehouse as the one writer and ingests the sources (all, or those named)."""
    from tasks.settings import load_settings
    from tasks.warehouse import writer

    settings = settings or load_settings()
    with writer(settings) as con:
        return ingest(con, settings, only)
