"""Resolve flow: staged records -> one person each (core.identity_links, core.persons), with a summary artifact."""

from __future__ import annotations

from typing import Literal

from prefect import flow
from prefect.artifacts import create_table_artifact

from tasks.prefect_tasks import resolve_task, train_identity_task, use_identity_model_task


@flow(name="resolve")
def resolve_flow(train: bool = False, rescore: bool = False,
                 use_model: int | Literal["shipped"] | None = None) -> list[dict]:
    """Optionally re-trains the identity model on the warehouse, or makes another version current
    (use_model: a stored version, or "shipped" for this release's default), then resolves
    new/changed records (every record with rescore); the run also rewrites the addresses the consent
    views match suppressions by, for the persons it changes."""
    if train and use_model is not None:
        raise ValueError("train and use_model exclude each other: train makes a new model, use_model makes an "
                         "existing one current")
    if train:
        train_identity_task()
    if use_model is not None:
        use_identity_model_task(use_model)
    summary = resolve_task(rescore=rescore).summary_rows()
    create_table_artifact(key="resolve-summary", table=summary,
                          description="Records vs persons, links by rule, merges and splits")
    return summary
