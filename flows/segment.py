"""Segment flow: consent and suppression -> funnel stages -> segments and their membership history."""

from __future__ import annotations

from prefect import flow
from prefect.artifacts import create_table_artifact

from tasks.journey.pipeline import STEPS
from tasks.prefect_tasks import journey_preview_task, journey_step_task


@flow(name="segment")
def segment_flow(dry_run: bool = False) -> dict[str, list[dict]]:
    """Runs the journey steps in order; with dry_run, runs them in a rolled-back transaction (nothing written)."""
    if dry_run:
        results = journey_preview_task()
    else:
        results = {step: journey_step_task.with_options(name=f"journey-{step}")(step) for step in STEPS}
    create_table_artifact(key="segment-summary", table=results["segments"] or [{"segment": "(none configured)"}],
                          description="Segment sizes and entered/exited counts" + (" (dry run)" if dry_run else ""))
    return results
