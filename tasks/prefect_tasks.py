"""Thin Prefect task wrappers around the plain functions; no logic lives here.

Caching is off on purpose: idempotency lives in the warehouse (content hashes, natural keys),
not in Prefect's result cache.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import duckdb
from prefect import task
from prefect.cache_policies import NONE

from tasks.identity.run import run_resolve, run_train, run_use_model
from tasks.ingest import run_ingest
from tasks.journey.pipeline import preview, run_step
from tasks.pii import MaskedError, mask_quoted, mask_text
from tasks.preflight import check_config


def masked(fn: Callable) -> Callable:
    """`fn`, re-raising an unexpected exception (same object, same type) with its message masked.

    Prefect keeps a failed task's exception message as the state message of the task and flow runs
    (in its database, shown in the UI) and pickles the exception with the result; neither passes the
    log masking in tasks/__init__.py. Errors of Candor's own (MaskedError) are masked where they are
    made; a DuckDB error also loses what it quotes (a value a cast failed on: a name, an address).
    """
    @functools.wraps(fn)
    def run(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except MaskedError:
            raise
        except Exception as exc:
            mask = (lambda text: mask_quoted(mask_text(text))) if isinstance(exc, duckdb.Error) else mask_text
            exc.args = tuple(mask(a) if isinstance(a, str) else a for a in exc.args)
            raise
    return run


def prefect_task(fn: Callable, name: str):
    """A Prefect task running `fn` with result caching off and unexpected errors masked (masked)."""
    return task(masked(fn), name=name, cache_policy=NONE)


check_config_task = prefect_task(check_config, "check-config")
ingest_task = prefect_task(run_ingest, "ingest-files")
journey_step_task = prefect_task(run_step, "journey-step")
journey_preview_task = prefect_task(preview, "journey-preview")
resolve_task = prefect_task(run_resolve, "resolve-identities")
train_identity_task = prefect_task(run_train, "train-identity-model")
use_identity_model_task = prefect_task(run_use_model, "use-identity-model")
