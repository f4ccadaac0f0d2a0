"""Reads every config file of a nightly run before the run writes anything (STYLE.md rule 7)."""

from __future__ import annotations

from collections.abc import Collection

from tasks.clock import utcnow
from tasks.config import ConfigError
from tasks.identity.overrides import read_overrides
from tasks.journey.consent import check_do_not_contact
from tasks.journey.segments import check_segments, load_segments
from tasks.journey.stages import load_stage_map
from tasks.renames import check_overrides_renamed
from tasks.settings import Settings, load_settings
from tasks.sources.registry import load_sources


# the files the segment flow reads (consent, stages, segments): `candor segment` on its own checks these first
JOURNEY_FILES = ("stages", "segments", "do_not_contact")


def check_config(settings: Settings | None = None, files: Collection[str] | None = None) -> None:
    """Reads sources.yaml, stages.yaml, segments.yaml, do_not_contact.csv and identity_overrides.yaml (or only
    `files` of them, by the names below) -> raises one ConfigError naming every file, line and field at fault.

    A nightly run otherwise read the journey's files only at its last stage: a typo in segments.yaml
    failed the night after ingest and resolve had committed. Each segment's `where:` is bound against an
    empty core.segment_people (check_segments: a column it names must exist, it must be a boolean);
    identity_overrides.yaml is read as written (YAML, keys, record key form; a typo there failed the night
    after ingest had committed), and none of its records may name a source sources.yaml renames away
    (renamed_from); resolve checks its records against staging, which tonight's ingest may add to.
    """
    settings = settings or load_settings()
    config = settings.config_dir
    problems, read = [], {}
    for name, reader in {"sources": lambda: load_sources(config), "stages": lambda: load_stage_map(config),
                         "segments": lambda: load_segments(config),
                         "do_not_contact": lambda: check_do_not_contact(config / "do_not_contact.csv", settings.default_region),
                         "overrides": lambda: read_overrides(config)}.items():
        if files is not None and name not in files:
            continue
        try:
            read[name] = reader()
        except ConfigError as exc:
            problems.append(str(exc))
    # each check that needs two files runs when those two read: a where: typo beside a sources.yaml typo was
    # named only on the night after the first was fixed
    later = {("sources", "overrides"): lambda: check_overrides_renamed(config, read["sources"]),
             ("segments", "stages"): lambda: check_segments(read["segments"], read["stages"], utcnow(settings))}
    for needs, check in later.items():
        if all(name in read for name in needs):
            try:
                check()
            except ConfigError as exc:
                problems.append(str(exc))
    if problems:
        raise ConfigError("\n".join(problems))
