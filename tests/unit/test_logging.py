"""Log records: expected failures (bad input, busy warehouse) carry no traceback; bugs keep theirs."""

from __future__ import annotations

import logging
import sys

import pytest

from flows.ingest import IngestFailed
from tasks.config import ConfigError
from tasks.identity.resolve import NothingToTrain
from tasks.warehouse import WarehouseBusy


def _record(exc: BaseException) -> logging.LogRecord:
    try:
        raise exc
    except BaseException:
        info = sys.exc_info()
    return logging.getLogger("prefect.flow_runs").makeRecord(
        "prefect.flow_runs", logging.ERROR, __file__, 1, "Encountered exception during execution: %r", (exc,), info)


@pytest.mark.parametrize("exc", [IngestFailed("2 of 4 rows quarantined"), ConfigError("sources.yaml:3: kind"),
                                 WarehouseBusy("gave up after 600 s"), NothingToTrain("fewer than 2 records")])
def test_expected_failures_are_logged_without_a_traceback(exc):
    record = _record(exc)
    assert record.exc_info is None and str(exc) in record.getMessage()


def test_unexpected_errors_keep_their_traceback():
    assert _record(KeyError("bug")).exc_info is not None


def test_prefect_records_and_config_errors_are_masked():
    exc = ConfigError("identity_overrides.yaml:2: must_link.0.0: 'jane.doe@example.com' is not source_name:source_record_id")
    assert "jane.doe@example.com" not in str(exc) and "j***@e***.com" in str(exc)
    # Prefect repeats exception messages under its own loggers: they are masked like Candor's
    record = logging.getLogger("prefect.task_runs").makeRecord(
        "prefect.task_runs", logging.ERROR, __file__, 1, "Task run failed: %s", (ValueError("call +1 415 555 2671"),), None)
    assert "415 555 2671" not in record.getMessage() and "***71" in record.getMessage()


@pytest.mark.parametrize("phone", ["(415)555-2671", "(030) 12345678", "0049 30 12345678", "0044 20 7946 0958"])
def test_phones_written_with_a_bracketed_area_code_or_a_00_prefix_are_masked(phone):
    record = logging.getLogger("tasks.ingest").makeRecord(
        "tasks.ingest", logging.ERROR, __file__, 1, "%s", (f"contacts.csv:7: phone: {phone!r} is not valid",), None)
    assert record.getMessage().startswith("contacts.csv:7: phone: '***")
    assert phone[-4:] not in record.getMessage()


def test_counts_times_and_urls_stay_readable():
    from tasks.pii import mask_text

    for text in ("read 1000000 rows, quarantined 2 (75% > 20%)", "run of 2026-11-27T05:31:54+00:00",
                 "2026-09-06 23:40:00", "http://127.0.0.1:44653/v1/candidates?per_page=20&page=3", "line 1234:56"):
        assert mask_text(text) == text


def test_an_unexpected_errors_traceback_is_masked_like_its_message():
    # the traceback repeats the exception's message; handlers (console, Prefect's API log) print both
    record = _record(KeyError("no consent row for jane.doe@example.com, +1 415 555 2671"))
    text = logging.Formatter().format(record)
    assert "jane.doe@example.com" not in text and "555 2671" not in text
    assert "Traceback (most recent call last)" in text and "KeyError: 'no consent row for j***@e***.com, ***71'" in text


def test_a_database_error_quoting_a_value_with_a_line_break_is_masked_whole():
    # the task wrappers hid the quoted value's first line and showed the rest ('Zelda\nQuixote' -> Quixote')
    import duckdb

    from tasks.pii import masked

    def cast(value):
        duckdb.connect().execute("select ?::integer", [value])

    with pytest.raises(duckdb.ConversionException) as raised:
        masked(cast)("Zelda\nQuixote\n12 Harbour Lane")
    assert "Zelda" not in str(raised.value) and "Quixote" not in str(raised.value) and "Harbour" not in str(raised.value)
    assert str(raised.value).startswith("Conversion Error: Could not convert string '***' to INT32")


def test_a_deployment_run_sends_candors_own_log_lines_to_prefect():
    # a worker's flow-run process imports Prefect, which sets up its logging, before the flow file imports
    # `tasks`: the per-file counts, resolve steps and segment sizes (INFO) of a scheduled nightly reached
    # neither the worker's output nor the run's logs in the UI, and its warnings only the worker's output
    import os
    import subprocess

    from tasks import PROJECT_ROOT

    code = ("import logging\n"
            "import prefect.flow_engine  # what `python -m prefect.engine` loads before the flow file\n"
            "from prefect.logging.handlers import APILogHandler\n"
            "import flows.nightly\n"
            "print(logging.getLogger('tasks.ingest').isEnabledFor(logging.INFO),\n"
            "      any(isinstance(h, APILogHandler) for h in logging.getLogger('tasks').handlers),\n"
            "      any(isinstance(h, APILogHandler) for h in logging.getLogger('flows').handlers))\n")
    notebook_env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_LOGGING_")}
    worker_env = dict(notebook_env, PREFECT__FLOW_RUN_ID="6f1c2a52-9b1e-4c55-8f7e-0d4c1b2a3e4f")
    out = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, env=worker_env, capture_output=True,
                         text=True, check=True).stdout.split()
    assert out == ["True", "True", "True"]
    # outside a run, Candor's lines have no run to go to (Prefect would warn once per logger)
    out = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, env=notebook_env, capture_output=True,
                         text=True, check=True).stdout.split()
    assert out[1:] == ["False", "False"]


def test_a_database_error_keeps_the_path_of_the_file_it_could_not_write_and_still_hides_a_value(tmp_path):
    # a full disk during a batch said `ingest failed: … Could not write file '***': File too large`: which file
    # (the warehouse, its WAL, a temporary spill) was what the reader needed, and a path is no candidate's value
    import duckdb

    from tasks.pii import masked

    wal = tmp_path / "warehouse" / "candor.duckdb.wal"
    wal.parent.mkdir()   # the file itself is gone once its write was rolled back

    @masked
    def fails(exc):
        raise exc

    with pytest.raises(duckdb.IOException) as full:
        fails(duckdb.IOException(f"Failed to commit: Could not write file '{wal}': File too large"))
    assert str(full.value) == f"Failed to commit: Could not write file '{wal}': File too large"
    with pytest.raises(duckdb.ConversionException) as cast:
        fails(duckdb.ConversionException("Could not convert string 'Zelda Quixote' to INT32"))
    assert str(cast.value) == "Could not convert string '***' to INT32"
    with pytest.raises(duckdb.ConversionException) as rooted:   # a value that looks like a path: in no folder but the root
        fails(duckdb.ConversionException("Could not convert string '/Zelda Quixote' to INT32"))
    assert str(rooted.value) == "Could not convert string '***' to INT32"
