"""Runs an ATS API source (Greenhouse, Lever) page by page into raw, staging and quarantine.

Each page lands like a file batch (load_objects -> stage -> validate -> write_batch): its
candidates, the stage rows derived from its applications, and the run's cursor in
meta.watermarks commit in ONE transaction, so a run that dies resumes from the page after the
last committed one. Cursors (meta.watermarks, per source):

- `watermark`: start time of the last completed run; the next run asks for records updated
  since `watermark - overlap_s` (the APIs' filters are inclusive, and a record updated while a
  run pages is caught by the next run).
- `last_full_at`: start of the last completed full scan. A full scan (the first run, then every
  `reconcile_every_h`) pages through every record, notes each id in meta.api_seen_ids and, at
  its end, deletes the staged records the API no longer returned (Greenhouse has no list of
  deleted or merged candidates; for Lever it backs up the deleted-opportunities list). An
  incremental run of an API paged by page number notes its ids there too (see _catch_up).
- `run.started_at`, `run.since`, `run.full`, `run.stream`, `run.next`, `run.base_url`: the run in progress, so a
  new run after a crash resumes it with the same filter from the next page (Greenhouse: the
  `Link rel="next"` URL; Lever: the `next` offset token). `run.staged`: a full scan's staged records
  when it started, of which it may delete max_delete_share. Removed when the run completes.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import duckdb
import pandas as pd

from tasks.clock import utcnow
from tasks.ingest import FileResult, drop_unchanged, report_cleaned, write_batch
from tasks.settings import Settings
from tasks.sources.files import load_objects, malformed_frame
from tasks.sources.http import ApiError, RetryPolicy, api_key, client
from tasks.sources.registry import SourceConfig
from tasks.staging import DELETED_COLUMNS, stage
from tasks.validate import validate_batch
from tasks.warehouse import scalar, sql_text, transaction

log = logging.getLogger(__name__)

# a run of many pages (a first load, a full scan) says how far it got at least this often
PROGRESS_EVERY_S = 30.0

# Stage rows derived from applications: {id, person_id, job_id, stage, changed_at}.
STAGE_MAPPING = {"source_record_id": "id", "ats_person_id": "person_id", "job_id": "job_id",
                 "stage": "stage", "changed_at": "changed_at"}


def stage_row_prefix(record_id: str) -> str:
    """Stage rows of a candidate/opportunity have ids `app:<its id>:…`, never colliding with record ids."""
    return f"app:{record_id}:"


def pick_typed(items: list | None, preferred: str) -> str | None:
    """From [{type, value}] items, the value of the first of the preferred type, else of the first
    (a single {type, value} object, not in a list, counts as a list of one)."""
    items = [i for i in ([items] if isinstance(items, dict) else items or []) if isinstance(i, dict) and i.get("value")]
    chosen = next((i for i in items if i.get("type") == preferred), items[0] if items else None)
    return chosen["value"] if chosen else None


def first_linkedin(urls: list) -> str | None:
    """The first LinkedIn URL among a record's links (other social links are left out)."""
    return next((u for u in urls if "linkedin.com" in str(u).lower()), None)


@dataclass
class Page:
    """One API response: what was asked (URL, no secrets), its body hash, records, the next cursor and its time."""

    label: str
    sha: str
    records: list[dict]
    next: str | None
    served_at: datetime | None = None  # its Date header: the API's clock, which updated_at filters compare with
    pages: int = 1                     # pages landed as one (batched)


def body_sha(content: bytes) -> str:
    """Content hash of a response body, as meta.ingested_files keeps for files."""
    return hashlib.sha256(content).hexdigest()


@dataclass
class Run:
    """The run being made or resumed."""

    started_at: datetime
    since: datetime | None
    full: bool
    stream: str
    next: str | None
    base_url: str
    staged: int | None = None  # a full scan: the source's staged records when it started (max_delete_share)

    def cursors(self) -> dict[str, str | None]:
        """The run's state as meta.watermarks rows (run.*), written with every page."""
        cursors = {"run.started_at": self.started_at.isoformat(), "run.since": self.since.isoformat() if self.since else None,
                   "run.full": "1" if self.full else "0", "run.stream": self.stream, "run.next": self.next,
                   "run.base_url": self.base_url}
        return cursors if self.staged is None else {**cursors, "run.staged": str(self.staged)}


def read_cursors(con: duckdb.DuckDBPyConnection, source_name: str) -> dict[str, str | None]:
    """meta.watermarks of one source as {cursor_name: value}."""
    return dict(con.execute("select cursor_name, value from meta.watermarks where source_name = ?",
                            [source_name]).fetchall())


def _write_cursors(con, source_name: str, values: dict[str, str | None], now: datetime) -> None:
    for name, value in values.items():
        con.execute("insert or replace into meta.watermarks (source_name, cursor_name, value, updated_at) values (?, ?, ?, ?)",
                    [source_name, name, value, now])


def _start(con, source: SourceConfig, streams: tuple[str, ...], settings: Settings) -> Run:
    """Resumes the run in progress, or plans a new one (full scan when due, else incremental)."""
    state = read_cursors(con, source.name)
    if state.get("run.started_at") and state.get("run.base_url") != source.base_url:
        # Its next-page cursor points at the old API (Greenhouse's is a full URL): start over.
        log.warning("%s: base_url changed since the unfinished run started (%s); starting a new run",
                    source.name, state.get("run.base_url"))
        state = {k: v for k, v in state.items() if not k.startswith("run.")}
    elif state.get("run.started_at"):
        since = state.get("run.since")
        run = Run(datetime.fromisoformat(state["run.started_at"]), datetime.fromisoformat(since) if since else None,
                  state.get("run.full") == "1", state.get("run.stream") or streams[0], state.get("run.next"),
                  source.base_url, int(state["run.staged"]) if state.get("run.staged") else None)
        log.info("%s: resuming the run started %s at %s %s", source.name, run.started_at.isoformat(),
                 run.stream, "page " + run.next if run.next else "start")
        return run
    now = utcnow(settings)
    last_full = state.get("last_full_at")
    full = (not state.get("watermark") or not last_full
            or now - datetime.fromisoformat(last_full) >= timedelta(hours=source.reconcile_every_h))
    since = None if full else datetime.fromisoformat(state["watermark"]) - timedelta(seconds=source.overlap_s)
    con.execute("delete from meta.api_seen_ids where source_name = ?", [source.name])
    staged = scalar(con, "select count(*) from staging.candidate_records where source_name = ?", [source.name]) if full else None
    return Run(now, since, full, streams[0], None, source.base_url, staged)


def apply_deletes(con, source: SourceConfig, deleted: list[dict], label: str, settings: Settings) -> int:
    """Records deletions as raw op='delete' rows and removes the records and their stage rows from staging
    (staging.deleted_records keeps each record's key and consent for the next resolve and its return).

    `deleted` holds {"id", …} payloads (as the API gave them). Runs inside the caller's transaction;
    returns how many staged candidate records were removed.
    """
    if not deleted:
        return 0
    now = utcnow(settings)
    batch_id = str(uuid.uuid4())
    payloads = [json.dumps(d, sort_keys=True, ensure_ascii=False) for d in deleted]
    ids = [str(d["id"]) for d in deleted]
    con.execute("create or replace temp table batch_deletes as select unnest(?::varchar[]) as source_record_id, "
                "unnest(?::varchar[]) as payload, unnest(?::varchar[]) as stage_prefix",
                [ids, payloads, [stage_row_prefix(i) for i in ids]])
    # Stage rows of a deleted record go too, each with its own delete event: staged ones, and those quarantine
    # holds back (`candor status` counts them until they are deleted)
    con.execute(f"""
        create or replace temp table batch_delete_ids as
        select source_record_id, payload from batch_deletes
        union all
        select distinct s.source_record_id, json_object('id', s.source_record_id, 'deleted_with', d.source_record_id)::varchar
        from (select source_record_id from staging.stage_changes where source_name = $source
              union all select source_record_id from ({sql_text('staging/held_back_records')})) s
        join batch_deletes d on starts_with(s.source_record_id, d.stage_prefix)
    """, {"source": source.name})
    con.execute("""
        insert into raw.source_records
            (source_name, source_record_id, op, payload, payload_sha256, file_path, row_number, batch_id, ingested_at)
        select ?, d.source_record_id, 'delete', d.payload::json, sha256(d.payload), ?, null, ?, ?
        from batch_delete_ids d
        where d.source_record_id in (select source_record_id from raw.source_records where source_name = ?)
          and not exists (select 1 from raw.source_records r where r.source_name = ? and r.op = 'delete'
                          and r.source_record_id = d.source_record_id and r.payload_sha256 = sha256(d.payload))
    """, [source.name, label, batch_id, now, source.name, source.name])
    con.execute("delete from staging.stage_changes where source_name = ? "
                "and source_record_id in (select source_record_id from batch_delete_ids)", [source.name])
    con.execute(f"insert into staging.deleted_records ({DELETED_COLUMNS}, deleted_at) "
                f"select {DELETED_COLUMNS}, ? from staging.candidate_records where source_name = ? "
                "and source_record_id in (select source_record_id from batch_deletes)", [now, source.name])
    [(removed,)] = con.execute("delete from staging.candidate_records where source_name = ? "
                               "and source_record_id in (select source_record_id from batch_deletes)",
                               [source.name]).fetchall()
    log.info("%s: %d deleted record(s) reported, %d removed from staging", source.name, len(deleted), removed)
    return removed


def _land(con, source: SourceConfig, objects: list[tuple[int, dict]], label: str, sha: str, settings: Settings,
          derived: dict[str, list] | None = None, malformed: pd.DataFrame | None = None) -> FileResult:
    """One batch of (position on the page, object) through load_objects -> stage -> validate -> write_batch
    (caller's transaction); `malformed` holds quarantine rows for the page's items that are no objects.

    Objects whose staged row already has the same payload are left out first (drop_unchanged) and
    counted as read and staged (they are), so read = staged + quarantined and the quarantined share
    is taken over the whole page.
    """
    now = utcnow(settings)
    malformed = malformed_frame([]) if malformed is None else malformed
    load_objects(con, objects, source, derived)
    unchanged = drop_unchanged(con, source)
    if unchanged == len(objects) and malformed.empty:
        return FileResult(source.name, label, "loaded", rows_read=unchanged, rows_staged=unchanged)
    report_cleaned(label, *stage(con, source, now, settings.default_region))
    quarantine = validate_batch(con, source.kind, now)
    quarantine = pd.concat([malformed, quarantine], ignore_index=True) if len(quarantine) else malformed
    return write_batch(con, source, label, sha, len(objects) + len(malformed), quarantine, settings, unchanged)


def _drop_stale_stage_rows(con, source: SourceConfig, changed: list[str], stage_rows: list[dict], label: str,
                           settings: Settings) -> None:
    """Stage rows staged for the changed records that their new versions no longer give (an archived
    opportunity restored: its `archived` row) -> raw op='delete' rows, and out of staging.
    Stage rows are `app:<record id>:…` (stage_row_prefix), so their record is the id's second part. A stage an
    application reached (Greenhouse's `app:<candidate>:<application>:stage:<id>`) stays while the application is
    given: Harvest gives only the current stage, and the application still reached the ones it moved on from."""
    if not changed:  # a page of unchanged records (a full scan of a quiet source) reads no stage rows
        return
    # staged stage rows, and those quarantine holds back (an application dated 2062), which `candor status` counts
    con.execute(f"""
        create or replace temp table batch_stale_stages as
        select distinct s.source_record_id,
               json_object('id', s.source_record_id, 'no_longer_given_by', split_part(s.source_record_id, ':', 2))::varchar as payload
        from (select source_record_id from staging.stage_changes where source_name = $source
              union all select source_record_id from ({sql_text('staging/held_back_records')})) as s
        where starts_with(s.source_record_id, 'app:')
          and split_part(s.source_record_id, ':', 2) in (select unnest($changed::varchar[]))
          and s.source_record_id not in (select unnest($given::varchar[]))
          and not (split_part(s.source_record_id, ':', 4) = 'stage'   -- of an application still given
                   and split_part(s.source_record_id, ':', 3) in (
                       select split_part(g, ':', 3) from unnest($given::varchar[]) as t(g)
                       where split_part(g, ':', 2) = split_part(s.source_record_id, ':', 2)))
    """, {"source": source.name, "changed": changed, "given": [str(r["id"]) for r in stage_rows]})
    if not scalar(con, "select count(*) from batch_stale_stages"):
        return
    con.execute("""
        insert into raw.source_records
            (source_name, source_record_id, op, payload, payload_sha256, file_path, row_number, batch_id, ingested_at)
        select ?, source_record_id, 'delete', payload::json, sha256(payload), ?, null, ?, ?
        from batch_stale_stages
    """, [source.name, label, str(uuid.uuid4()), utcnow(settings)])
    con.execute("delete from staging.stage_changes where source_name = ? "
                "and source_record_id in (select source_record_id from batch_stale_stages)", [source.name])


def batched(pages: list[Page]) -> Page:
    """Consecutive pages of one stream as one page to land: labelled by its first and last URL, its
    items in order (row n is the n-th item of the pages). A record listed on two of the pages (a
    listing that shifted while it was paged) is kept where it was listed last: twice in one batch it
    would be quarantined as a repeated id."""
    if len(pages) == 1:
        return pages[0]
    def key(record: object) -> str | None:  # no id, no key: each record without one is quarantined, none dropped
        return str(record["id"]) if isinstance(record, dict) and record.get("id") not in (None, "") else None

    last = {key(r): i for i, p in enumerate(pages) for r in p.records if key(r) is not None}
    records = [r for i, p in enumerate(pages) for r in p.records if key(r) is None or last[key(r)] == i]
    served = [p.served_at for p in pages if p.served_at is not None]
    return Page(f"{pages[0].label} … {pages[-1].label} ({len(pages)} pages)", body_sha("".join(p.sha for p in pages).encode()),
                records, pages[-1].next, min(served) if served else None, sum(p.pages for p in pages))


def land_page(con, source: SourceConfig, connector, stream: str, page: Page, run: Run, settings: Settings) -> FileResult:
    """Commits one page of `stream`: its records or deletions, stage rows, seen ids and the run cursor, in one transaction."""
    with transaction(con):
        if connector.is_delete_stream(stream):
            listed = [d for d in page.records if isinstance(d, dict) and d.get("id") not in (None, "")]
            if len(listed) < len(page.records):
                log.warning("%s: %d item(s) of %s name no record to delete; left out", source.name,
                            len(page.records) - len(listed), page.label)
            deleted = apply_deletes(con, source, listed, page.label, settings)
            result = FileResult(source.name, page.label, "loaded", rows_deleted=deleted)
        else:
            # an item that is no object (null, a text) is quarantined with its position on the page
            numbered = list(enumerate(page.records, start=1))
            malformed = malformed_frame([(n, "malformed_json", None, json.dumps(r, ensure_ascii=False)[:200],
                                          "not a JSON object") for n, r in numbered if not isinstance(r, dict)])
            numbered = [(n, r) for n, r in numbered if isinstance(r, dict)]
            # records listed as deletions (a Lever opportunity anonymized) are not landed: their data goes
            deletions = connector.deletions([r for _, r in numbered])
            gone = {d["id"] for d in deletions}
            numbered = [(n, r) for n, r in numbered if str(r.get("id")) not in gone]
            records = [r for _, r in numbered]
            mapped = source.model_copy(update={"mapping": {**connector.default_mapping, **source.mapping}})
            derived = {f: v for f, v in connector.derived_fields(records).items() if f not in source.mapping}
            result = _land(con, mapped, numbered, page.label, page.sha, settings, derived, malformed)
            # the records that changed (drop_unchanged left only them in batch_read): only their stage rows can be stale
            changed = [rid for (rid,) in con.execute("select source_record_id from batch_read "
                                                     "where source_record_id is not null").fetchall()]
            stage_rows = connector.stage_rows(records)
            _drop_stale_stage_rows(con, source, changed, stage_rows, page.label, settings)
            if stage_rows:
                stages = source.model_copy(update={"kind": "ats_status", "mapping": STAGE_MAPPING})
                extra = _land(con, stages, list(enumerate(stage_rows, start=1)), page.label + " (stages)", page.sha, settings)
                result.rows_read += extra.rows_read
                result.rows_staged += extra.rows_staged
                result.rows_quarantined += extra.rows_quarantined
                result.rules += extra.rules
            result.rows_deleted = apply_deletes(con, source, deletions, page.label, settings)
            if run.full or connector.pages_shift:
                con.execute("insert into meta.api_seen_ids select ?, unnest(?::varchar[])",
                            [source.name, [str(r.get("id")) for r in page.records if isinstance(r, dict)]])
        _write_cursors(con, source.name, run.cursors(), utcnow(settings))
    result.pages = page.pages
    return result


def refuse_loop(source: SourceConfig, page: Page, asked: set[str]) -> None:
    """Notes the page's URL in `asked`; raises ApiError when its next page is one this run asked for already (an
    API whose paging goes round: the run never ended and held the warehouse lock all along)."""
    asked.add(page.label)
    if page.next is not None and page.next in asked:
        raise ApiError(f"{source.name}: {page.label} gives as its next page {page.next}, which this run has asked for "
                       f"already: the API's paging goes round in a loop; stopped there (the pages landed before stay)")
    if page.next is not None:
        asked.add(page.next)


# passes over an incremental run's filter after its pages, looking for records the pages missed
CATCH_UP_PASSES = 3


def _seen(con, source: SourceConfig) -> set[str]:
    return {rid for (rid,) in con.execute("select source_record_id from meta.api_seen_ids where source_name = ?",
                                          [source.name]).fetchall()}


def _missed_page(records: list[dict], label: str) -> Page:
    """Records the run's pages did not bring, landed as one more page."""
    body = json.dumps(records, sort_keys=True, ensure_ascii=False).encode()
    return Page(label, body_sha(body), records, None)


def _catch_up(con, source: SourceConfig, connector, run: Run, settings: Settings) -> tuple[list[FileResult], bool]:
    """Lists an incremental run's filter again and lands the records its pages did not bring; True once a pass finds none.

    Paging by page number (Greenhouse) skips a record when one on an earlier page is deleted or
    merged while the run pages: every later record moves a page back, onto a page already read.
    The watermark then moves past the skipped record, and only the next full scan would bring it.
    """
    results: list[FileResult] = []
    for stream in (s for s in connector.streams if not connector.is_delete_stream(s)):
        for _ in range(CATCH_UP_PASSES):
            seen, missed, cursor, asked = _seen(con, source), [], None, set()
            while True:
                page = connector.fetch(stream, run.since, cursor)
                refuse_loop(source, page, asked)
                missed += [r for r in page.records if isinstance(r, dict) and str(r.get("id")) not in seen]
                if not page.next:
                    break
                cursor = page.next
            if not missed:
                break
            log.warning("%s: %d record(s) updated since %s were missed by the run's pages (a record deleted while "
                        "it paged moves later ones back a page); landing them", source.name, len(missed),
                        run.since.isoformat() if run.since else "the start")
            results.append(land_page(con, source, connector, stream,
                                     _missed_page(missed, f"{source.base_url} (missed by the pages)"), run, settings))
        else:
            return results, False
    return results, True


def _finish(con, source: SourceConfig, connector, run: Run, settings: Settings) -> list[FileResult]:
    """Ends the run: a full scan deletes records no longer listed; the watermark moves to the run's start.

    A record missing from a full scan is asked for by id before it is deleted, and landed as the
    API gives it when it is still there: paging by page number skips a record when an earlier one
    is deleted while the scan runs. An incremental run of such an API lists its filter again
    (_catch_up); when records keep going missing, the watermark stays where it was.
    """
    results: list[FileResult] = []
    gone: list[dict] = []
    caught_up = True
    if run.full:
        # records with staged stage rows count too: a quarantined candidate's stage rows are staged without it
        # (the guard below counts only the staged candidates among them); so do candidates quarantine holds back
        # (no stage rows: no application, or only quarantined ones), which `candor status` counts until deleted
        unseen = dict(con.execute(f"""
            select source_record_id, bool_or(staged) from (
                select source_record_id, true as staged from staging.candidate_records where source_name = $source
                union all
                select split_part(source_record_id, ':', 2), false from staging.stage_changes
                where source_name = $source and starts_with(source_record_id, 'app:')
                union all
                select source_record_id, false from ({sql_text('staging/held_back_records')})
                where not starts_with(source_record_id, 'app:'))
            where source_record_id not in (select source_record_id from meta.api_seen_ids where source_name = $source)
            group by 1 order by 1
        """, {"source": source.name}).fetchall())
        missing = list(unseen)
        still_there = connector.existing(missing) if missing else []
        if still_there:
            stream = next(s for s in connector.streams if not connector.is_delete_stream(s))
            results.append(land_page(con, source, connector, stream,
                                     _missed_page(still_there, f"{source.base_url} (missed by the full scan's pages)"),
                                     run, settings))
        there = {str(r.get("id")) for r in still_there}
        gone = [{"id": rid, "missing_from_full_scan_at": run.started_at.isoformat()}
                for rid in missing if rid not in there]
        # of the records staged when the scan started: those it staged itself (another account's) do not count
        staged = run.staged if run.staged is not None else scalar(
            con, "select count(*) from staging.candidate_records where source_name = ?", [source.name])
        gone_staged = sum(unseen[d["id"]] for d in gone)
        if gone_staged > source.max_delete_share * staged:  # the run stays open: the next one ends it again
            raise ApiError(
                f"{source.name}: the full scan finds {gone_staged} of {staged} staged records gone "
                f"({gone_staged / staged:.0%} > max_delete_share {source.max_delete_share:.0%}): an API listing "
                f"nothing, a key that sees another account? Nothing was deleted; the next run checks again. If they "
                f"are gone, raise max_delete_share for {source.name} in sources.yaml")
    elif connector.pages_shift:
        caught, caught_up = _catch_up(con, source, connector, run, settings)
        results += caught
    with transaction(con):
        removed = 0
        if run.full:
            removed = apply_deletes(con, source, gone, f"{source.base_url} (full scan)", settings)
        con.execute("delete from meta.api_seen_ids where source_name = ?", [source.name])
        con.execute("delete from meta.watermarks where source_name = ? and starts_with(cursor_name, 'run.')", [source.name])
        cursors = {"watermark": run.started_at.isoformat()} if caught_up else {}
        if not caught_up:
            log.warning("%s: records still went missing after %d passes; the watermark stays at %s, so the next run "
                        "asks for them again", source.name, CATCH_UP_PASSES, read_cursors(con, source.name).get("watermark"))
        if run.full:
            cursors["last_full_at"] = run.started_at.isoformat()
        _write_cursors(con, source.name, cursors, utcnow(settings))
    if removed:
        results.append(FileResult(source.name, f"{source.base_url} (full scan)", "loaded", rows_deleted=removed))
    return results


def ingest_api(con: duckdb.DuckDBPyConnection, source: SourceConfig, settings: Settings) -> list[FileResult]:
    """Pulls one API source (incremental, resumable) into the warehouse; an API failure is reported, not raised."""
    from tasks.sources.greenhouse import Greenhouse
    from tasks.sources.lever import Lever

    connector_class = {"greenhouse": Greenhouse, "lever": Lever}[source.kind]
    policy = RetryPolicy.from_settings(settings)
    results: list[FileResult] = []
    try:
        key = api_key(source)
        with client(source, key, policy) as http:
            connector = connector_class(http, source, policy, settings)
            run = _start(con, source, connector.streams, settings)
            streams = connector.streams
            said = time.monotonic()
            for stream in streams[streams.index(run.stream):] if run.stream in streams else []:
                cursor = run.next if stream == run.stream else None
                fetched: list[Page] = []  # pages not landed yet: they land together once they hold api_land_rows records
                asked: set[str] = set()
                while True:
                    page = connector.fetch(stream, run.since, cursor)
                    refuse_loop(source, page, asked)
                    if page.served_at is not None and page.served_at < run.started_at:
                        # the API's clock runs behind Candor's: the next run's filter compares updated_at,
                        # a time on the API's clock, so the run starts when the API says it started
                        run.started_at = page.served_at
                    fetched.append(page)
                    if page.next and sum(len(p.records) for p in fetched) < settings.api_land_rows:
                        cursor = page.next
                        continue
                    after = streams.index(stream) + 1
                    run.stream, run.next = (stream, page.next) if page.next else (
                        streams[after] if after < len(streams) else "done", None)
                    results.append(land_page(con, source, connector, stream, batched(fetched), run, settings))
                    fetched = []
                    if time.monotonic() - said >= PROGRESS_EVERY_S:
                        _log_counts(source, results, " so far")
                        said = time.monotonic()
                    if not page.next:
                        break
                    cursor = page.next
            results += _finish(con, source, connector, run, settings)
            for result in results:  # judged together against CANDOR_MAX_BAD_FRACTION (IngestReport.failures)
                result.run = f"run of {run.started_at.isoformat()}"
    except (ApiError, AssertionError) as exc:  # AssertionError: a page's counts do not add up (rolled back)
        log.error("%s", exc)
        results.append(FileResult(source.name, source.base_url or source.name, "failed", error=str(exc)))
    if not results:
        results.append(FileResult(source.name, source.base_url or source.name, "skipped"))
    _log_counts(source, results)
    return results


def _log_counts(source: SourceConfig, results: list[FileResult], so_far: str = "") -> None:
    """Logs the pages a run landed and their rows (so_far: while it still pages)."""
    loaded = [r for r in results if r.status == "loaded"]
    log.info("%s: %d page(s)%s; read %d, staged %d, quarantined %d, deleted %d", source.name, sum(r.pages for r in loaded), so_far,
             sum(r.rows_read for r in loaded), sum(r.rows_staged for r in loaded),
             sum(r.rows_quarantined for r in loaded), sum(r.rows_deleted for r in loaded))

