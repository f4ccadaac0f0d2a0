"""The journey steps as the one writer runs them: consent -> stages -> segments, or all three as a dry run."""

from __future__ import annotations

import logging

import duckdb

from tasks.clock import sql_clock, utcnow
from tasks.journey.consent import refresh_consent
from tasks.journey.segments import (apply_segments, build_segment_people, compile_segments, load_segments,
                                    warn_unheld_sources)
from tasks.journey.stages import STAGES, build_stages, load_stage_map
from tasks.settings import Settings, load_settings
from tasks.warehouse import select, transaction, writer

log = logging.getLogger(__name__)


def stages_step(con: duckdb.DuckDBPyConnection, settings: Settings) -> list[dict]:
    """Rebuilds stage events and person stages; returns the ATS rows left out (unmapped, unmatched)."""
    return build_stages(con, load_stage_map(settings.config_dir))


def funnel_step(con: duckdb.DuckDBPyConnection, settings: Settings) -> list[dict]:
    """Reads core.person_stages -> persons now at, and having reached, each canonical stage (logged in one line)."""
    rows = select(con, "core/funnel_summary", {"stages": list(STAGES)}).to_dict("records")
    log.info("funnel (persons now/reached): %s",
             ", ".join(f"{r['stage']} {r['persons_now']}/{r['reached']}" for r in rows))
    return rows


def segments_step(con: duckdb.DuckDBPyConnection, settings: Settings) -> list[dict]:
    """Rebuilds core.segment_people, evaluates segments.yaml, records memberships; returns sizes and changes."""
    config = load_segments(settings.config_dir)   # config errors before any work
    now = utcnow(settings)
    build_segment_people(con, now)
    warn_unheld_sources(config, con)
    with sql_clock(con, now):  # a where: written with now() or current_date reads the run's clock
        return apply_segments(con, compile_segments(config, con, now), now)


STEPS = {"consent": refresh_consent, "stages": stages_step, "funnel": funnel_step, "segments": segments_step}


def run_step(name: str, settings: Settings | None = None) -> list[dict]:
    """Opens the warehouse as the one writer and runs one journey step in one transaction.

    A step replaces the do-not-contact list (a delete, then an insert) or records segment exits and
    then entries: a process that died in between left the list empty, or exits without their entries.
    """
    settings = settings or load_settings()
    with writer(settings) as con, transaction(con):
        return STEPS[name](con, settings)


def preview(settings: Settings | None = None) -> dict[str, list[dict]]:
    """Runs every journey step inside one transaction and rolls it back: what a run would do, nothing written."""
    settings = settings or load_settings()
    with writer(settings) as con:
        con.execute("begin")
        try:
            return {name: step(con, settings) for name, step in STEPS.items()}
        finally:
            con.execute("rollback")
