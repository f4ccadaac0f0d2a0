"""Nightly flow: every stage of the pipeline in order. Later stages add themselves here."""

from __future__ import annotations

from prefect import flow

from flows.ingest import ingest_flow
from flows.segment import segment_flow


@flow(name="nightly")
def nightly_flow() -> dict:
    """Runs ingest, then the stages after it; returns each stage's summary."""
    return {"ingest": ingest_flow(), **segment_flow()}
