"""The one clock: UTC now, frozen by the `now` setting so tests and replays can move time."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone

import duckdb

from tasks.settings import Settings


def utcnow(settings: Settings | None = None) -> datetime:
    """Returns the current time as an aware UTC datetime (the frozen one when configured)."""
    if settings is not None and settings.now is not None:
        frozen = settings.now
        # an offset given (CANDOR_NOW=2026-03-01T09:00+01:00) is converted: every stored time is UTC
        return frozen.astimezone(timezone.utc) if frozen.tzinfo else frozen.replace(tzinfo=timezone.utc)
    return datetime.now(timezone.utc)


# DuckDB's spellings of the current time and date; temp macros shadow them for the length of a sql_clock block
_SQL_NOW = ("now", "current_timestamp", "get_current_timestamp", "transaction_timestamp")
_SQL_TODAY = ("current_date", "today")


@contextmanager
def sql_clock(con: duckdb.DuckDBPyConnection, now: datetime) -> Iterator[None]:
    """Makes now(), current_timestamp, current_date and today() on `con` read `now` (the run's clock) inside the block.

    A segment's `where:` is SQL its author writes with now(): with the clock moved (CANDOR_NOW in a
    test or a replay) it must see the time the run's own conditions see, not the machine's.
    """
    con.execute("create or replace temp table candor_clock as select ?::timestamptz as now", [now])
    for name in _SQL_NOW:
        con.execute(f"create or replace temp macro {name}() as (select now from temp.main.candor_clock)")
    for name in _SQL_TODAY:  # the UTC date: the session's TimeZone is UTC (tasks/warehouse.py connect)
        con.execute(f"create or replace temp macro {name}() as (select now::date from temp.main.candor_clock)")
    try:
        yield
    finally:
        try:
            for name in _SQL_NOW + _SQL_TODAY:
                con.execute(f"drop macro if exists temp.main.{name}")
            con.execute("drop table if exists temp.main.candor_clock")
        except duckdb.TransactionException:
            pass  # the block failed inside a transaction, whose rollback takes them away; its error is the one to see


class StepTimer:
    """Times the steps of a long piece of work: a step of `min_s` seconds or more is logged as it
    ends (progress on a long run), and str() lists all of them in one line (where the time went)."""

    def __init__(self, label: str, logger: logging.Logger, min_s: float = 1.0) -> None:
        self.label, self.logger, self.min_s = label, logger, min_s
        self.last = time.perf_counter()
        self.steps: list[str] = []

    def lap(self, step: str) -> None:
        now = time.perf_counter()
        self.steps.append(f"{step} {now - self.last:.1f} s")
        if now - self.last >= self.min_s:
            self.logger.info("%s: %s done in %.1f s", self.label, step, now - self.last)
        self.last = now

    def __str__(self) -> str:
        return ", ".join(self.steps)
