"""Thin Prefect task wrappers around the plain functions; no logic lives here.

Caching is off on purpose: idempotency lives in the warehouse (content hashes, natural keys),
not in Prefect's result cache.
"""

from __future__ import annotations

from collections.abc import Callable

from prefect import task
from prefect.cache_policies import NONE

from tasks.identity.run import run_resolve, run_train, run_use_model
from tasks.ingest import run_ingest
from tasks.journey.pipeline import preview, run_step
from tasks.pii import masked
from tasks.preflight import check_config


def prefect_task(fn: Callable, name: str):
    """A Prefect task running `fn` with result caching off and unexpected errors masked (tasks.pii.masked)."""
    return task(masked(fn), name=name, cache_policy=NONE)


check_config_task = prefect_task(check_config, "check-config")
ingest_task = prefect_task(run_ingest, "ingest-files")
journey_step_task = prefect_task(run_step, "journey-step")
journey_preview_task = prefect_task(preview, "journey-preview")
resolve_task = prefect_task(run_resolve, "resolve-identities")
train_identity_task = prefect_task(run_train, "train-identity-model")
use_identity_model_task = prefect_task(run_use_model, "use-identity-model")
