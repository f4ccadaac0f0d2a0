"""Entry points that open the warehouse as the one writer (what the Prefect tasks wrap)."""

from __future__ import annotations

from typing import Literal

from tasks.identity.overrides import load_overrides
from tasks.identity.resolve import ResolveResult, resolve, train_model, use_model
from tasks.settings import Settings, load_settings
from tasks.warehouse import run_checks, writer


def run_resolve(settings: Settings | None = None, rescore: bool = False) -> ResolveResult:
    """Opens the warehouse and resolves new/changed records (every record with rescore) into persons; runs the data checks."""
    settings = settings or load_settings()
    with writer(settings) as con:
        result = resolve(con, settings, rescore=rescore)
        run_checks(con)
        return result


def run_train(settings: Settings | None = None) -> int:
    """Opens the warehouse and trains a new identity model version on its records; returns the version."""
    settings = settings or load_settings()
    with writer(settings) as con:
        # the run after it reads identity_overrides.yaml: a fault there is found before a model version is stored
        load_overrides(con, settings.config_dir)
        return train_model(con, settings)


def run_use_model(version: int | Literal["shipped"], settings: Settings | None = None) -> int:
    """Opens the warehouse and makes model `version` (or this release's default) current as a new version; returns that."""
    settings = settings or load_settings()
    with writer(settings) as con:
        load_overrides(con, settings.config_dir)  # as run_train
        return use_model(con, settings, version)
