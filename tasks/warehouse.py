"""The one way to open the DuckDB warehouse: under a file lock, migrated, with a SQL runner.

DuckDB allows one read-write process per file and fails at once on a conflicting lock, so every
Candor writer queues on `candor.duckdb.lock` first, saying that it waits and for whom.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
from filelock import FileLock, Timeout

from tasks import SQL_DIR
from tasks.settings import Settings

log = logging.getLogger(__name__)

SCHEMAS = ("raw", "staging", "core", "marts", "meta")


class WarehouseBusy(RuntimeError):
    """Another process held the warehouse (Candor's lock, or the DuckDB file itself) for longer than the configured timeout."""

    expected = True  # logs carry the message without a traceback (see tasks/__init__.py)


class WarehouseUnavailable(RuntimeError):
    """The warehouse cannot be opened at all: its folder is not writable, or the file is no DuckDB database."""

    expected = True  # a setup problem the message names: logs carry it without a traceback


class WarehouseOutOfMemory(RuntimeError):
    """DuckDB needed more memory than CANDOR_DUCKDB_MEMORY_LIMIT allows; the transaction that ran out was rolled back."""

    expected = True  # the message names the setting to raise: logs carry it without a traceback


def _holder(info_path: Path) -> str:
    try:
        return info_path.read_text().strip() or "unknown process"
    except OSError:
        return "unknown process"


@contextmanager
def writer(settings: Settings) -> Iterator[duckdb.DuckDBPyConnection]:
    """Opens the warehouse read-write under the lock, migrated; waits visibly, fails after the timeout."""
    lock_path = settings.warehouse_path.with_name(settings.warehouse_path.name + ".lock")
    info_path = lock_path.with_suffix(".holder")
    lock = FileLock(str(lock_path))
    try:
        settings.warehouse_dir.mkdir(parents=True, exist_ok=True)
        lock.acquire(timeout=0)
    except Timeout:
        log.warning(
            "warehouse %s is locked by %s; waiting up to %.0f s (CANDOR_LOCK_TIMEOUT_S)",
            settings.warehouse_path, _holder(info_path), settings.lock_timeout_s,
        )
        try:
            lock.acquire(timeout=settings.lock_timeout_s)
        except Timeout:
            raise WarehouseBusy(
                f"gave up after {settings.lock_timeout_s:.0f} s waiting for the warehouse lock "
                f"{lock_path}, held by {_holder(info_path)}"
            ) from None
    except OSError as exc:  # a read-only disk or mount, a folder another user owns, a file named like the folder
        raise _unwritable(settings, exc) from None
    try:
        try:
            info_path.write_text(f"pid {os.getpid()} on {socket.gethostname()}")
        except OSError as exc:
            raise _unwritable(settings, exc) from None
        con = _connect_when_free(settings)
        try:
            migrate(con)
            yield con
        finally:
            con.close()
    except duckdb.OutOfMemoryException as exc:  # DuckDB's advice is SQL (SET memory_limit); Candor's knob is a setting
        raise WarehouseOutOfMemory(
            f"DuckDB ran out of memory under CANDOR_DUCKDB_MEMORY_LIMIT={settings.duckdb_memory_limit} "
            f"({str(exc).splitlines()[0]}); raise CANDOR_DUCKDB_MEMORY_LIMIT, or lower CANDOR_DUCKDB_THREADS. "
            f"The transaction that ran out was rolled back; run the command again"
        ) from None
    finally:
        info_path.unlink(missing_ok=True)
        lock.release()


def _unwritable(settings: Settings, exc: OSError) -> WarehouseUnavailable:
    return WarehouseUnavailable(
        f"cannot write in the warehouse folder {settings.warehouse_dir}: {exc.strerror or exc} ({exc.filename}); "
        f"Candor keeps the database and its lock there, so the folder must be writable by this user"
    )


# DuckDB's words when another process has the file open (a DuckDB shell, a notebook, a dashboard
# pointed at the live file): none of them takes Candor's lock, and DuckDB fails at once
_FOREIGN_HOLDER = re.compile(r"Conflicting lock is held in (?P<program>.*?) \(PID (?P<pid>\d+)\)")


def _connect_when_free(settings: Settings) -> duckdb.DuckDBPyConnection:
    """Opens the warehouse once no other process has the file open; waits up to the lock timeout, saying for whom."""
    deadline = time.monotonic() + settings.lock_timeout_s
    waiting = False
    while True:
        try:
            return connect(settings.warehouse_path, settings)
        except duckdb.IOException as exc:
            held = _FOREIGN_HOLDER.search(str(exc))
            if held is None:  # not a DuckDB file, a WAL of another version, no permission on the file
                raise WarehouseUnavailable(
                    f"{settings.warehouse_path} could not be opened as a DuckDB database: {exc}") from None
            holder = f"{held['program']} (pid {held['pid']}), which is not a Candor writer"
            if time.monotonic() >= deadline:
                raise WarehouseBusy(
                    f"gave up after {settings.lock_timeout_s:.0f} s waiting for {settings.warehouse_path}: it is open "
                    f"in {holder}. DuckDB lets one process at a time open the file; close that session, and let "
                    f"tools that read while Candor runs (dashboards, notebooks) open a copy of the file instead"
                ) from None
            if not waiting:
                log.warning("warehouse %s is open in %s; waiting up to %.0f s (CANDOR_LOCK_TIMEOUT_S)",
                            settings.warehouse_path, holder, settings.lock_timeout_s)
                waiting = True
            time.sleep(min(0.5, max(deadline - time.monotonic(), 0)))


def connect(path: Path | str, settings: Settings | None = None) -> duckdb.DuckDBPyConnection:
    """Opens a DuckDB connection with Candor's session settings (UTC, memory limit, threads)."""
    config = {}
    if settings is not None:
        config["memory_limit"] = settings.duckdb_memory_limit
        if settings.duckdb_threads:
            config["threads"] = settings.duckdb_threads
    con = duckdb.connect(str(path), config=config)
    con.execute("set TimeZone = 'UTC'")
    con.execute("set enable_progress_bar = false")
    return con


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """Runs the block in one transaction: commits when it ends, rolls back and re-raises when it fails."""
    con.execute("begin")
    try:
        yield con
    except Exception:
        con.execute("rollback")
        raise
    con.execute("commit")


@contextmanager
def checkpoint_at_commit(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """While inside, a commit writes its changes into the database file itself (a checkpoint), and DuckDB
    skips the write-ahead log for a large one (auto_checkpoint_skip_wal_threshold). Otherwise a batch's changes are
    written twice: into the log at commit, and into the file at the next checkpoint or when the
    connection closes (a resolve run of 10,000 records on 1M: 12 MB, 0.06 s of commit then 0.10 s of
    checkpoint, where the checkpoint at commit takes 0.14 s). The threshold is the database's
    setting, not the connection's, so the one before is put back."""
    before = scalar(con, "select current_setting('checkpoint_threshold')")
    con.execute("set checkpoint_threshold = '0b'")
    try:
        yield
    finally:
        con.execute(f"set checkpoint_threshold = '{before}'")


def migrations() -> list[Path]:
    """Lists sql/schema/NNN_*.sql in order."""
    return sorted((SQL_DIR / "schema").glob("[0-9][0-9][0-9]_*.sql"))


def migrate(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Applies pending numbered migrations in order, recording each in meta.schema_migrations."""
    con.execute("create schema if not exists meta")
    con.execute(
        "create table if not exists meta.schema_migrations ("
        " version varchar primary key, checksum varchar not null,"
        " applied_at timestamptz not null default now())"
    )
    applied = dict(con.execute("select version, checksum from meta.schema_migrations").fetchall())
    known = migrations()
    unknown = sorted(set(applied) - {path.stem for path in known})
    file = scalar(con, "select path from duckdb_databases() where database_name = current_database()")
    if unknown:  # an older checkout would run its flows on tables a later version reshaped
        raise WarehouseUnavailable(
            f"{file} was migrated by a newer Candor: it has migration(s) {', '.join(unknown)} that this code "
            f"does not have (the warehouse's newest is {max(applied)}, this code's newest is "
            f"{known[-1].stem if known else 'none'}); nothing was changed. Run the Candor version that wrote it "
            f"(git pull), or open a copy of the warehouse taken before that version ran"
        )
    pending = [path.stem for path in known if path.stem not in applied]
    if applied and pending:  # an upgrade: one migration can rewrite every stored row (034 took 35 s on 260k)
        log.info("warehouse %s: applying %d migration(s) (%s); other Candor commands wait for it",
                 file, len(pending), ", ".join(pending))
    started = time.monotonic()
    done = []
    for path in known:
        if path.stem in applied:
            continue
        text = path.read_text()
        checksum = hashlib.sha256(text.encode()).hexdigest()
        with transaction(con):
            con.execute(text)
            con.execute(
                "insert into meta.schema_migrations (version, checksum) values (?, ?)",
                [path.stem, checksum],
            )
        done.append(path.stem)
    if applied and pending:
        log.info("warehouse %s: migrated to %s in %.1f s", file, known[-1].stem, time.monotonic() - started)
    # checked after applying: a later migration may bring an edited one's changes and record its new checksum (047)
    recorded = dict(con.execute("select version, checksum from meta.schema_migrations").fetchall())
    for path in known:
        if path.stem not in done and recorded[path.stem] != hashlib.sha256(path.read_text().encode()).hexdigest():
            log.warning("migration %s changed after it was applied; not re-run", path.name)
    return done


def sql_text(model: str) -> str:
    """Reads sql/<layer>/<name>.sql."""
    path = SQL_DIR / f"{model}.sql"
    if not path.exists():
        raise FileNotFoundError(f"no SQL model {model!r} at {path}")
    return path.read_text()


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: list | dict | None = None):
    """Runs a query -> the first column of its first row (None when it has none).

    Reads the whole result: DuckDB 2.0 keeps a half-read result open on the connection, and the
    next `register` on it then fails ("connection has an unfinished result").
    """
    rows = con.execute(sql, params).fetchall()
    return rows[0][0] if rows else None


# the batch size of the Arrow copies threads share (arrow_copy)
ARROW_BATCH_ROWS = 8_192


def arrow_copy(con: duckdb.DuckDBPyConnection, name: str, query: str, params: dict | None = None) -> None:
    """Registers the rows of `query` as an Arrow table `name` of ARROW_BATCH_ROWS-row batches (replacing
    one registered under that name); unregister it when done with it: it holds its rows in Python's
    memory, outside DuckDB's limit.

    DuckDB splits a table's scan among threads by row group (122,880 rows), so every statement that
    reads a temp table of one row group runs on one thread, however many DuckDB has; an Arrow table's
    batches are shared among them. For a run's work tables of ~100,000 rows that several heavy
    statements read (a resolve run's Splink input and candidate pairs: Splink's prediction on the 1M
    bench state took 0.29 s reading temp tables of 101,049 records and 112,242 pairs, 0.16 s reading
    copies).
    """
    rows = con.sql(query, params=params or None).to_arrow_reader(ARROW_BATCH_ROWS).read_all()
    drop_work_table(con, name)  # after the query, which may read it
    con.register(name, rows)


def work_table(con: duckdb.DuckDBPyConnection, name: str, query: str, params: dict | None = None,
               arrow: bool = False) -> None:
    """Makes a run's work table `name` from `query`: an Arrow copy (arrow_copy) when `arrow`, else a temp table."""
    if arrow:
        arrow_copy(con, name, query, params)
    else:
        con.execute(f"create or replace temp table {name} as {query}", params or None)


def drop_work_table(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Drops temp table `name` or unregisters the Arrow copy (arrow_copy) of that name, if there is one."""
    con.unregister(name)
    con.execute(f"drop table if exists {name}")


def build(con: duckdb.DuckDBPyConnection, model: str, params: dict | list | None = None) -> int:
    """Runs sql/<layer>/<table>.sql as `create or replace table <layer>.<table>`; returns its row count."""
    layer, table = model.split("/")
    con.execute(f"create or replace table {layer}.{table} as\n{sql_text(model)}", params or None)
    return scalar(con, f"select count(*) from {layer}.{table}")


def view(con: duckdb.DuckDBPyConnection, model: str) -> None:
    """Creates sql/<layer>/<name>.sql as `create or replace view <layer>.<name>` (no parameters: views stay live)."""
    layer, name = model.split("/")
    con.execute(f"create or replace view {layer}.{name} as\n{sql_text(model)}")


def select(con: duckdb.DuckDBPyConnection, model: str, params: dict | list | None = None):
    """Runs sql/<layer>/<name>.sql as a query and returns the relation's rows as a DataFrame."""
    return con.execute(sql_text(model), params or None).df()


class CheckFailed(AssertionError):
    """A data check in sql/checks returned rows."""


def run_checks(con: duckdb.DuckDBPyConnection, prefix: str = "assert_") -> None:
    """Runs every sql/checks/assert_*.sql; raises CheckFailed naming each check that returned rows."""
    failures = []
    for path in sorted((SQL_DIR / "checks").glob(f"{prefix}*.sql")):
        rows = con.execute(path.read_text()).fetchall()
        if rows:
            failures.append(f"{path.stem}: {len(rows)} row(s), first {rows[0]!r}")
    if failures:
        raise CheckFailed("data checks failed: " + "; ".join(failures))
