"""Ingest flow: file drops in the inbox -> raw, staging and quarantine, with a summary artifact."""

from __future__ import annotations

from prefect import flow
from prefect.artifacts import create_table_artifact

from tasks.pii import MaskedError
from tasks.prefect_tasks import ingest_task


class IngestFailed(MaskedError, RuntimeError):
    """Files could not be read, or a file's quarantined share exceeded max_bad_fraction.

    `results` holds the summary of what the run did load, so callers can still show it. Masked where
    made: it names files, and a file may be named after a candidate (jane.doe@example.com.json).
    """

    expected = True  # bad input, not a bug: logs carry the message without a traceback

    def __init__(self, message: str, results: list[dict] | dict | None = None) -> None:
        super().__init__(message)
        self.results = results


@flow(name="ingest", log_prints=False)
def ingest_flow(sources: list[str] | None = None) -> list[dict]:
    """Ingests the file sources (all, or those named); fails after keeping good rows if any file is bad."""
    report = ingest_task(sources)
    summary = report.summary_rows()
    create_table_artifact(key="ingest-summary", table=summary or [{"source": "(no files)"}],
                          description="Rows read, staged and quarantined per source")
    if report.failures:
        raise IngestFailed("ingest finished with problems:\n- " + "\n- ".join(report.failures), summary)
    return summary
