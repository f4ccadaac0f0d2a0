"""Nightly flow: every stage of the pipeline in order. Later stages add themselves here."""

from __future__ import annotations

from prefect import flow

from flows.ingest import IngestFailed, ingest_flow
from flows.resolve import resolve_flow
from flows.segment import segment_flow
from tasks.prefect_tasks import check_config_task


@flow(name="nightly")
def nightly_flow() -> dict:
    """Runs ingest, then the stages after it; returns each stage's summary.

    Bad files do not stop the night: later stages run on the good rows, and the run fails at the
    end naming the ingest problems. A bad config file stops it before anything is written.
    """
    check_config_task()
    results: dict = {}
    try:
        results["ingest"] = ingest_flow()
    except IngestFailed as exc:
        results["ingest"] = exc.results
        ingest_problem = exc
    else:
        ingest_problem = None
    try:
        results["resolve"] = resolve_flow()
        results.update(segment_flow(checked=True))  # check_config_task read every file above
    except Exception as exc:
        if ingest_problem:  # else the later stage's error was the night's only word, and the bad files went unnamed
            exc.add_note(f"ingest failed before it: {ingest_problem}")
        raise
    if ingest_problem:
        raise IngestFailed(str(ingest_problem), results)
    return results
