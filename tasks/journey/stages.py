"""Funnel stages: map ATS stage names, derive core.stage_events and core.person_stages."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Literal

import duckdb
from pydantic import BaseModel, ConfigDict, field_validator

from tasks.config import load_model
from tasks.identity.resolve import register_lookups
from tasks.warehouse import build, select

log = logging.getLogger(__name__)

# Canonical stages in funnel order, then the exits (docs/journey.md maps them to the five phases).
PROGRESS = ("discovered", "contacted", "engaged", "applied", "interviewing", "offered", "hired")
EXITS = ("rejected", "withdrew", "unsubscribed", "do_not_contact")
STAGES = PROGRESS + EXITS
# What an ATS stage name may map to; unsubscribed and do_not_contact come from suppressions only.
MAPPABLE = PROGRESS + ("rejected", "withdrew")
Stage = Literal[STAGES]  # type: ignore[valid-type]
MappableStage = Literal[MAPPABLE]  # type: ignore[valid-type]


class StagesFile(BaseModel):
    """config/stages.yaml: canonical stage -> the source stage names that mean it."""

    model_config = ConfigDict(extra="forbid")
    stages: dict[MappableStage, list[str]]

    @field_validator("stages")
    @classmethod
    def _each_name_once(cls, stages: dict[str, list[str]]) -> dict[str, list[str]]:
        seen: dict[str, str] = {}
        for stage, names in stages.items():
            for name in names:
                key = name.strip().casefold()
                if key in seen and seen[key] != stage:
                    raise ValueError(f"stage name {name!r} is mapped to both {seen[key]} and {stage}")
                seen[key] = stage
        return stages

    def lookup(self) -> dict[str, str]:
        """Casefolded, trimmed source stage name -> canonical stage."""
        return {name.strip().casefold(): stage for stage, names in self.stages.items() for name in names}


def load_stage_map(config_dir: Path) -> dict[str, str]:
    """Reads config/stages.yaml; raises ConfigError naming file, line and field."""
    return load_model(config_dir / "stages.yaml", StagesFile).lookup()


def build_stage_tables(con: duckdb.DuckDBPyConnection, stage_map: dict[str, str]) -> tuple[int, int]:
    """Rebuilds core.ats_stage_events, core.stage_events and core.person_stages; returns (stage events, persons)."""
    # each name the sources send, as sent -> its stage, keyed as the config is (strip, casefold): SQL's
    # lower(trim()) keeps a tab and a German ß, so a name listed in stages.yaml stayed unmapped
    names = con.execute("select stage from staging.stage_changes where stage is not null union "
                        "select stage from staging.candidate_records where stage is not null").fetchall()
    sent = {name: stage_map[key] for (name,) in names if (key := name.strip().casefold()) in stage_map}
    register_lookups(con)  # identity_own_mailbox: a stage row by email matches a person's own address only
    build(con, "core/ats_stage_events", {"stage_keys": list(sent), "stage_values": list(sent.values())})
    events = build(con, "core/stage_events")
    return events, build(con, "core/person_stages", {"progress": list(PROGRESS)})


def build_stages(con: duckdb.DuckDBPyConnection, stage_map: dict[str, str]) -> list[dict]:
    """Rebuilds the stage tables (build_stage_tables), reports and returns the unmapped/unmatched ATS rows."""
    events, persons = build_stage_tables(con, stage_map)
    issues = select(con, "core/ats_stage_issues").to_dict("records")
    for row in issues:
        log.warning("%s: %d ATS stage row(s) left out (%s, source stage %r)",
                    row["source"], row["rows"], row["issue"], row["stage"])
    log.info("stage events: %d rows for %d persons", events, persons)
    return issues
