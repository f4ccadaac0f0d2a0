"""Candor's logic: plain functions over DuckDB connections and files, plus thin Prefect tasks.

Importing this package sets the quiet embedded-Prefect defaults before Prefect is imported
anywhere: no analytics, and Prefect's home under the Candor home unless the user configured one.
"""

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SQL_DIR = PROJECT_ROOT / "sql"


def _embedded_prefect_defaults() -> None:
    """Sets Prefect env defaults for embedded runs; never overrides what the user set."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_LOGGING_LOG_PRINTS", "false")
    os.environ.setdefault("PREFECT_LOGGING_EXTRA_LOGGERS", "tasks,flows")
    os.environ.setdefault("PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW", "ignore")
    # Prefect waits 20 s for its temporary server: on a busy machine a new home's server (migrating its
    # database) took longer, and the command failed before any work
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    if "PREFECT_HOME" not in os.environ and "PREFECT_API_URL" not in os.environ:
        # the home as Settings reads it: the environment, else .env in the working folder
        home = os.environ.get("CANDOR_HOME") or _dotenv_home() or PROJECT_ROOT / "data"
        os.environ["PREFECT_HOME"] = str(Path(home).resolve() / ".prefect")


def _dotenv_home() -> str | None:
    """CANDOR_HOME from .env in the working folder, if it sets one."""
    if not Path(".env").is_file():
        return None
    from dotenv import dotenv_values

    return dotenv_values(".env").get("CANDOR_HOME") or None


_embedded_prefect_defaults()


def _join_prefect_logging_set_up_before() -> None:
    """Gives Candor's loggers (tasks.*, flows.*) Prefect's API handler, at INFO, when Prefect set up its
    logging before this package was imported: a worker's flow-run process imports Prefect first, so
    PREFECT_LOGGING_EXTRA_LOGGERS above came too late and a scheduled run's per-file counts, resolve
    steps and segment sizes reached neither the worker's output nor the run's logs (the CLI sets both up
    before Prefect starts). The worker names the run in PREFECT__FLOW_RUN_ID."""
    import sys

    configuration = sys.modules.get("prefect.logging.configuration")
    if configuration is None or not configuration.PROCESS_LOGGING_CONFIG or not os.environ.get("PREFECT__FLOW_RUN_ID"):
        return   # only a flow-run process: elsewhere (a notebook that imported Prefect first) a line has no run to go to
    import logging

    extra = logging.getLogger("prefect.extra").handlers
    for name in ("tasks", "flows"):
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET:
            logger.setLevel(logging.INFO)
        logger.handlers.extend(h for h in extra if h not in logger.handlers)


_join_prefect_logging_set_up_before()


def _mask_pii_in_logs() -> None:
    """Masks emails and phones in every log record from Candor's own modules (tasks.*, flows.*) and
    from Prefect's (which repeat a failed task's or flow's exception message, config values
    included), in its message and in the traceback of an unexpected error (which repeats the
    exception's message), and drops the traceback from any record about an expected failure (bad
    input, busy warehouse): its message already says what is wrong and where.

    A record factory rather than a logger filter, because logger filters do not apply to records
    of child loggers, and Prefect adds its own handlers.
    """
    import logging

    from tasks.pii import mask_text

    previous = logging.getLogRecordFactory()
    if getattr(previous, "candor_masks_pii", False):
        return

    def factory(*args, **kwargs):
        record = previous(*args, **kwargs)
        if record.exc_info and getattr(record.exc_info[1], "expected", False):
            record.exc_info = None
        if record.name.startswith(("tasks", "flows", "prefect")):
            try:
                record.msg, record.args = mask_text(record.getMessage()), None
                if record.exc_info:  # the traceback repeats the message; formatters print exc_text when set
                    record.exc_text = mask_text(logging.Formatter().formatException(record.exc_info))
            except Exception:  # a malformed log call must not kill the run
                pass
        return record

    factory.candor_masks_pii = True
    logging.setLogRecordFactory(factory)


_mask_pii_in_logs()
