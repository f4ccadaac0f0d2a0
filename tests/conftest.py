"""Shared fixtures: an isolated CANDOR_HOME per test and one Prefect harness per session."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
os.environ.setdefault("no_proxy", "127.0.0.1,localhost")

import tasks  # noqa: E402,F401  (quiet Prefect defaults before Prefect is imported)
from tasks import PROJECT_ROOT  # noqa: E402
from tasks.settings import Settings  # noqa: E402


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A fresh CANDOR_HOME with the project's default config copied in, and the inbox folder of each of its sources
    (a folder that is not there fails the ingest run; one with no file is a note in the summary)."""
    from tasks.sources.registry import make_inbox_folders

    shutil.copytree(PROJECT_ROOT / "data" / "config", tmp_path / "config")
    (tmp_path / "inbox").mkdir()
    make_inbox_folders(tmp_path / "config", tmp_path / "inbox")
    return tmp_path


@pytest.fixture
def settings(home: Path, monkeypatch) -> Settings:
    """Settings pointing at the temporary home (also exported for code that loads its own)."""
    monkeypatch.setenv("CANDOR_HOME", str(home))
    return Settings(home=home)


@pytest.fixture(autouse=True)
def _log_handlers_on_open_streams():
    """Puts a log handler whose stream a test closed back on the process's stderr after each test.

    A flow run inside typer's CliRunner sets up Prefect's console handler (on Candor's loggers too:
    PREFECT_LOGGING_EXTRA_LOGGERS) on the runner's temporary stderr, which is closed when the command
    returns. A later test on the same worker that logs (a CLI warning under CliRunner) then printed
    "--- Logging error ---" and a traceback into its command's output: which test met it depended on
    how pytest-xdist shared the tests out."""
    yield
    import logging
    import sys

    loggers = [logging.getLogger(), *(x for x in logging.Logger.manager.loggerDict.values() if isinstance(x, logging.Logger))]
    for handler in {h for logger in loggers for h in logger.handlers}:
        stream = getattr(handler, "stream", None)
        if isinstance(handler, logging.StreamHandler) and getattr(stream, "closed", False):
            handler.stream = sys.__stderr__  # not setStream(): it flushes the closed stream first
            if getattr(handler, "console", None) is not None:  # Prefect's handler prints through a rich Console
                handler.console.file = sys.__stderr__


@pytest.fixture(scope="session")
def prefect_harness():
    """One Prefect test server for the whole session, heartbeat off (see shared/STACK.md)."""
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        with prefect_test_harness(server_startup_timeout=120):
            yield
