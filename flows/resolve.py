"""Resolve flow: staged records -> one person each (core.identity_links, core.persons), with a summary artifact."""

from __future__ import annotations

from prefect import flow
from prefect.artifacts import create_table_artifact

from tasks.prefect_tasks import resolve_task, train_identity_task


@flow(name="resolve")
def resolve_flow(train: bool = False, rescore: bool = False) -> list[dict]:
    """Optionally re-trains the identity model on the warehouse, then resolves new/changed records (every record with rescore)."""
    if train:
        train_identity_task()
    summary = resolve_task(rescore=rescore).summary_rows()
    create_table_artifact(key="resolve-summary", table=summary,
                          description="Records vs persons, links by rule, merges and splits")
    return summary
