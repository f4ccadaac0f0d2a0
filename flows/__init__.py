"""Deployable Prefect flows (one module each) and the `candor` CLI. Flows only order tasks."""

import tasks  # noqa: F401  (sets quiet embedded-Prefect defaults before Prefect is imported)
