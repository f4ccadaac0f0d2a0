"""Thin Prefect task wrappers around the plain functions; no logic lives here.

Caching is off on purpose: idempotency lives in the warehouse (content hashes, natural keys),
not in Prefect's result cache.
"""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NONE

from tasks.identity.run import run_resolve, run_train, run_use_model
from tasks.ingest import run_ingest
from tasks.journey.pipeline import preview, run_step

ingest_task = task(run_ingest, name="ingest-files", cache_policy=NONE)
journey_step_task = task(run_step, name="journey-step", cache_policy=NONE)
journey_preview_task = task(preview, name="journey-preview", cache_policy=NONE)
resolve_task = task(run_resolve, name="resolve-identities", cache_policy=NONE)
train_identity_task = task(run_train, name="train-identity-model", cache_policy=NONE)
use_identity_model_task = task(run_use_model, name="use-identity-model", cache_policy=NONE)
