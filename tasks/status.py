"""What the warehouse holds: row counts per table, files by status, quarantine by rule."""

from __future__ import annotations

import duckdb

from tasks.warehouse import SCHEMAS, scalar


def table_counts(con: duckdb.DuckDBPyConnection) -> list[tuple[str, int]]:
    """Returns (schema.table, rows) for every Candor table, in schema order."""
    tables = con.execute(
        "select table_schema, table_name from information_schema.tables "
        "where table_schema in (select unnest(?::varchar[])) and table_type = 'BASE TABLE' "
        "order by table_schema, table_name",
        [list(SCHEMAS)],
    ).fetchall()
    order = {s: i for i, s in enumerate(SCHEMAS)}
    tables.sort(key=lambda t: (order[t[0]], t[1]))
    return [(f"{s}.{t}", scalar(con, f'select count(*) from "{s}"."{t}"')) for s, t in tables]


def quarantine_by_rule(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, int]]:
    """Returns (source, rule, records) for the records quarantine still holds back: a record quarantined
    again by every re-sent export counts once (a row without an id: once per content; a line that could not be
    read at all, once per text), and a
    record whose source sent a version that was staged after it was quarantined, or deleted it since (an API's
    deletion, a full export no longer listing it), counts no more. Nor does a row without an id once a later
    version of its file (same name) loaded: it read every line again (an export read while still being written,
    its last row cut off, and then complete)."""
    return con.execute("""
        select q.source_name, q.rule,
               -- a line that could not be read has neither id nor payload: its text (value) is its content
               count(distinct coalesce(q.source_record_id, q.payload_sha256, 'line:' || q.value,
                                       q.file_path || ':' || q.row_number)) as records
        from staging.quarantine q
        -- the file's row of its batch; rowid orders attempts under a frozen clock (files_by_status)
        left join (select batch_id, rowid as attempt from meta.ingested_files) b using (batch_id)
        where not (q.source_record_id is null and exists (
                       select 1 from meta.ingested_files f where f.source_name = q.source_name and f.file_path = q.file_path
                         and f.status = 'loaded' and f.rowid > b.attempt))
          and not exists (select 1 from staging.candidate_records s where s.source_name = q.source_name
                            and s.source_record_id = q.source_record_id and s.staged_at > q.quarantined_at)
          and not exists (select 1 from staging.stage_changes s where s.source_name = q.source_name
                            and s.source_record_id = q.source_record_id and s.staged_at > q.quarantined_at)
          and not exists (select 1 from raw.source_records r where r.source_name = q.source_name and r.op = 'delete'
                            and r.source_record_id = q.source_record_id and r.ingested_at > q.quarantined_at)
        group by all order by 1, 3 desc, 2
    """).fetchall()


def files_by_status(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, int]]:
    """Returns (source, status, files) from meta.ingested_files: each file (by content) once, in the state
    of its latest attempt (a broken file tried every night is one failed file; fixed and loaded, one loaded)."""
    return con.execute("""
        select source_name, status, count(*)
        from (select source_name, arg_max(status, (started_at, rowid)) as status  -- rowid: attempts under a frozen clock tie
              from meta.ingested_files group by source_name, file_sha256)
        group by all order by 1, 2
    """).fetchall()


def api_cursors(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str, object]]:
    """Returns (source, cursor, value, updated_at) from meta.watermarks: where each API source stands."""
    return con.execute(
        "select source_name, cursor_name, value, updated_at from meta.watermarks order by 1, 2"
    ).fetchall()
