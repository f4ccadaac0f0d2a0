"""Segment flow: consent and suppression -> funnel stages -> segments and their membership history."""

from __future__ import annotations

from prefect import flow
from prefect.artifacts import create_table_artifact

from tasks.journey.pipeline import STEPS
from tasks.preflight import JOURNEY_FILES
from tasks.prefect_tasks import check_config_task, journey_preview_task, journey_step_task


@flow(name="segment")
def segment_flow(dry_run: bool = False, checked: bool = False) -> dict[str, list[dict]]:
    """Checks the journey's config files (unless `checked`: the nightly's preflight read them), then runs its steps
    in order; with dry_run, runs them in a rolled-back transaction (nothing written)."""
    # each step commits: a bad segments.yaml found by the last one left consent and stages rewritten (STYLE.md rule 7)
    if not checked:
        check_config_task(files=JOURNEY_FILES)
    if dry_run:
        results = journey_preview_task()
    else:
        results = {step: journey_step_task.with_options(name=f"journey-{step}")(step) for step in STEPS}
    create_table_artifact(key="segment-summary", table=results["segments"] or [{"segment": "(none configured)"}],
                          description="Segment sizes and entered/exited counts" + (" (dry run)" if dry_run else ""))
    return results
