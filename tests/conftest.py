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


@pytest.fixture(scope="session")
def prefect_harness():
    """One Prefect test server for the whole session, heartbeat off (see shared/STACK.md)."""
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        with prefect_test_harness(server_startup_timeout=120):
            yield
