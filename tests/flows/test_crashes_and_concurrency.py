"""Candor commands run at the same time, and after a run was killed: nothing lost, nothing twice, clear waits."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

CANDOR = str(Path(sys.executable).with_name("candor"))


def _embedded_env(home: Path) -> dict[str, str]:
    """The environment of a user's shell: no Prefect test server, Prefect's home under CANDOR_HOME."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(CANDOR_HOME=str(home), PREFECT_SERVER_ANALYTICS_ENABLED="false", DO_NOT_TRACK="1")
    return env


def test_commands_started_together_on_a_new_home_queue_instead_of_failing(home):
    # three at once: each starts Prefect's temporary server, which migrates the new home's Prefect database
    runs = [subprocess.Popen([CANDOR, "ingest"], env=_embedded_env(home), stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True) for _ in range(3)]
    outputs = [run.communicate(timeout=300)[0] for run in runs]
    failed = [out for run, out in zip(runs, outputs) if run.returncode != 0]
    assert not failed, failed[0][-2000:]
    assert not any("Traceback" in out for out in outputs)


def test_a_flow_on_a_warehouse_that_cannot_be_opened_says_why_in_one_line(home):
    (home / "warehouse").mkdir()
    (home / "warehouse" / "candor.duckdb").write_text("not a database")
    run = subprocess.run([CANDOR, "ingest"], env=_embedded_env(home), capture_output=True, text=True, timeout=300)
    assert run.returncode == 1
    assert "ingest failed: " in run.stderr and "candor.duckdb could not be opened as a DuckDB database" in run.stderr
    assert "Traceback" not in run.stdout + run.stderr
