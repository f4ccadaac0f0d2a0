"""The `candor` command line: run flows, generate sample feeds, and look into the warehouse."""

from __future__ import annotations

import atexit
import logging
import os
import re
import shutil
import signal
import sys
from contextlib import ExitStack, contextmanager
from datetime import datetime, timezone
from functools import partial
from pathlib import Path
from types import SimpleNamespace
from typing import Annotated, Iterator, Optional

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

import tasks  # noqa: F401  (quiet embedded-Prefect defaults first)
from tasks import PROJECT_ROOT
from tasks.config import ConfigError
from tasks.pii import mask_text
from tasks.settings import SettingsError, load_settings

log = logging.getLogger("flows.cli")

app = typer.Typer(
    help="Candor: candidate relationship management as a data pipeline (Prefect + DuckDB).\n\n"
    "Settings come from CANDOR_* environment variables (see .env.example); "
    "config lives in $CANDOR_HOME/config.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
# Wide enough for summary tables when output is piped (rich assumes 80 columns then). No markup:
# values, file names and error texts come from the feeds, and `[b]` or `[/hr]` in them is text.
console = Console(width=None if sys.stdout.isatty() else 140, markup=False)
err = Console(stderr=True, soft_wrap=True, markup=False)  # error lines carry paths: never break them


# C0 and C1 control characters but tab and line feed: ESC, BEL, CR, CSI in a value from a feed would
# drive the terminal (recolour, clear, retitle it); shown escaped instead
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _visible(text: str) -> str:
    """The text with its control characters written out (`\\x1b`), so a feed's value cannot drive the terminal."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def _error(label: str, message: object, below: bool = False) -> None:
    """Prints `label: message` (below: the message from the next line) to stderr, the label in red, the message and
    an exception's notes masked as logs are (an unforeseen error may quote the email or phone it failed on) and
    its control characters written out."""
    # a note: the nightly's ingest failure before the error that stopped it (flows/nightly.py)
    text = "\n" * below + "\n".join([str(message), *getattr(message, "__notes__", [])])
    err.print(Text(f"{label}:", style="red"), _visible(mask_text(text)))


def _settings():
    try:
        return load_settings()
    except SettingsError as exc:
        _error("error", exc)
        raise typer.Exit(2) from None


@contextmanager
def _warehouse(settings, command: str):
    """The warehouse for the look-up `command`: one that exists, opened under the writer lock; a busy or
    unreadable file, or a Ctrl-C while waiting for it (exit 130), is a one-line error, not a traceback."""
    from tasks.warehouse import WarehouseBusy, WarehouseOutOfMemory, WarehouseUnavailable, writer

    if not settings.warehouse_path.exists():
        _error("error", f"no warehouse yet at {settings.warehouse_path}; run `candor ingest` or `make demo`")
        raise typer.Exit(1)
    stack = ExitStack()
    try:  # only opening is caught (and running out of memory): an error of the look-up itself keeps its own message
        con = stack.enter_context(writer(settings))
    except WarehouseOutOfMemory as exc:  # CANDOR_DUCKDB_MEMORY_LIMIT too low even to migrate: a traceback before
        _error(f"{command} failed", exc)
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        _error(f"{command} interrupted", "stopped by Ctrl-C (SIGINT) while waiting for the warehouse; it read and wrote nothing")
        raise typer.Exit(130) from None
    except WarehouseBusy as exc:
        _error("warehouse busy", exc)
        raise typer.Exit(1) from None
    except WarehouseUnavailable as exc:
        _error("error", exc)
        raise typer.Exit(1) from None
    try:
        with stack:
            yield con
    except WarehouseOutOfMemory as exc:  # the look-up's query ran out: the setting to raise, in one line
        _error(f"{command} failed", exc)
        raise typer.Exit(1) from None


# Summary keys whose plain name would not say what their rows are, and what an empty table means.
_TITLES = {"stages": ("ATS stage rows left out (unmapped stage or no matching person)",
                      "none, every ATS stage row was mapped and matched")}


def _print_rows(title: str, rows: list[dict], suffix: str = "") -> None:
    title, empty = _TITLES.get(title, (title, "nothing to report"))
    title += suffix
    table = Table(title=title)
    if not rows:
        console.print(f"{title}: {empty}")
        return
    cells = [[_cell(v) for v in row.values()] for row in rows]
    for i, column in enumerate(rows[0]):
        # a value (a record key to paste into `compare`) is never cut short; a word up to 40 wide (a key,
        # an email) is not broken over two lines either: the table wraps other columns at blanks instead
        word = max((len(w) for row in cells for w in row[i].split()), default=0)
        table.add_column(column, justify="right" if isinstance(rows[0][column], int) else "left",
                         overflow="fold", min_width=min(word, _WHOLE_WORD_MAX))
    for row in cells:
        table.add_row(*row)
    console.print(table)


_WHOLE_WORD_MAX = 40


def _cell(value) -> str:
    """A value as a reader wants it: nothing for a missing one, lists comma-joined, times to the second in UTC."""
    import pandas as pd

    if isinstance(value, (list, tuple)) or getattr(value, "ndim", 0) == 1:
        return ", ".join(_cell(v) for v in value)
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, datetime):
        return (value.astimezone(timezone.utc) if value.tzinfo else value).strftime("%Y-%m-%d %H:%M:%S")
    return _visible(str(value))


def _show(title: str, results: list[dict] | dict, suffix: str = "") -> None:
    """Prints a flow's summary: one table, or one per stage when the flow ran several."""
    if isinstance(results, dict):
        for stage, rows in results.items():
            _print_rows(stage, rows if isinstance(rows, list) else [rows], suffix)
    else:
        _print_rows(title, results, suffix)


def _start_embedded_prefect() -> None:
    """Starts Prefect's temporary API server for this process, one process at a time per Prefect home.

    Each temporary server migrates the Prefect database in PREFECT_HOME when it starts; two Candor
    commands started together on a new home (a new CANDOR_HOME holds its own) raced on those
    migrations, and one failed after 20 s with Prefect's "Timed out … ephemeral Prefect API server"
    instead of queueing on the warehouse lock. The flow run then uses the server started here.
    """
    from filelock import FileLock, Timeout
    from prefect.server.api.server import SubprocessASGIServer
    from prefect.settings import PREFECT_API_URL, PREFECT_HOME, PREFECT_SERVER_EPHEMERAL_ENABLED

    if PREFECT_API_URL.value() or not PREFECT_SERVER_EPHEMERAL_ENABLED.value():
        return  # a real server (a deployment's worker, or one the user runs): nothing to start
    home = PREFECT_HOME.value()
    lock = FileLock(str(home / "candor-server-start.lock"))
    try:
        home.mkdir(parents=True, exist_ok=True)
        lock.acquire(timeout=0)
    except Timeout:
        log.info("another Candor process is starting Prefect's temporary server on %s; waiting for it", home)
        lock.acquire()
    except OSError:  # a home this user cannot write in: Prefect's own start says what is wrong
        _start_server_in_its_own_session(SubprocessASGIServer(), None)
        return
    try:
        _stop_servers_of_killed_commands(home)
        _start_server_in_its_own_session(SubprocessASGIServer(), home)
    finally:
        lock.release()


def _start_server_in_its_own_session(server, home: Path | None) -> None:
    """Starts Prefect's temporary server in a session of its own, noted in `home` (None: not noted) before it spawns.

    A signal sent to the command's whole process group — Ctrl-C in a terminal, `timeout`'s SIGTERM, the
    SIGHUP of a closed terminal — reached the server too: it died at once, and the command, its API gone,
    retried for minutes and ended with connection tracebacks. In its own session only the command gets
    the signal, records the crash and stops the server as it exits (SIGTERM). Noted before it is spawned,
    not once it answers: a command killed while its server still started (migrating a new home's Prefect
    database) left it running for good, unnoted; the server carries the command's pid in its environment
    (`CANDOR_SERVER_OF`), so one spawned just before a kill is found too.
    """
    import prefect.server.api.server as prefect_server

    spawn = server._run_uvicorn_command   # Prefect calls it again when the port it chose is taken
    marker = {_SERVER_OF: str(os.getpid())}

    def popen(*args, env=None, **kwargs):
        return real.Popen(*args, env={**(os.environ if env is None else env), **marker}, start_new_session=True, **kwargs)

    def spawn_in_own_session():
        if home is not None:
            _note_server(home, f"starting-{os.getpid()}")
        prefect_server.subprocess = SimpleNamespace(Popen=popen)
        try:
            process = spawn()
        finally:
            prefect_server.subprocess = real
        if home is not None:
            _note_server(home, str(process.pid))
            (home / "candor-servers" / f"starting-{os.getpid()}").unlink(missing_ok=True)
        return process

    real = prefect_server.subprocess
    server._run_uvicorn_command = spawn_in_own_session
    server.start()


_SERVER_APP = b"prefect.server.api.server:create_app"   # in the command line of Prefect's temporary server
_SERVER_OF = "CANDOR_SERVER_OF"   # in its environment: the pid of the Candor command that spawned it


def _note_server(home: Path, name: str) -> None:
    """Notes this process's temporary server in PREFECT_HOME/candor-servers/NAME (the server's pid, or
    starting-<this pid> while it spawns), holding this process's pid, for the next command to stop if this
    one is killed before it can; written whole or not at all."""
    note = home / "candor-servers" / name
    note.parent.mkdir(exist_ok=True)
    partial = note.with_name(f".{name}.partial")
    partial.write_text(str(os.getpid()))
    partial.replace(note)
    atexit.register(note.unlink, missing_ok=True)   # Prefect stops the server itself at a normal exit


def _servers_spawned_by(command: int) -> list[int]:
    """Prefect temporary servers whose environment names `command` as the Candor command that spawned them."""
    marker = f"{_SERVER_OF}={command}".encode()
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if _SERVER_APP in (proc / "cmdline").read_bytes() and marker in (proc / "environ").read_bytes().split(b"\0"):
                found.append(int(proc.name))
        except OSError:
            continue
    return found


def _stop_servers_of_killed_commands(home: Path) -> None:
    """Stops the temporary servers of Candor commands that were killed (kill -9, the OOM killer, a
    scheduler's timeout) before Prefect could stop them at exit: each held ~200 MB for good.

    A server is stopped only while its note says its command is gone and /proc shows the process is
    still Prefect's server (a pid is not taken on trust); elsewhere the notes are only tidied. A command
    killed as it spawned its server left only its starting-<pid> note: its server is found by the
    command's pid in the server's environment.
    """
    for note in [*(home / "candor-servers").glob("[0-9]*"), *(home / "candor-servers").glob("starting-[0-9]*")]:
        try:
            command = int(note.read_text())
            os.kill(command, 0)
            continue   # its command still runs (and stops it at exit)
        except ProcessLookupError:
            pass
        except (OSError, ValueError):
            continue
        if note.name.startswith("starting-"):
            servers = _servers_spawned_by(command)
        else:
            try:
                servers = [int(note.name)] if _SERVER_APP in Path(f"/proc/{note.name}/cmdline").read_bytes() else []
            except OSError:
                servers = []
        for server in servers:
            os.kill(server, signal.SIGTERM)
            log.warning(
                "stopped Prefect's temporary server (pid %s) that a killed Candor command (pid %d) left running",
                server, command)
        note.unlink(missing_ok=True)


# the signals that stop a run, as the interrupted line names them; the exit code is 128 + the signal's number
_STOP_SIGNALS = {signal.SIGINT: "Ctrl-C (SIGINT)", signal.SIGTERM: "SIGTERM", signal.SIGHUP: "SIGHUP"}


@contextmanager
def _noting_signals_prefect_handles(interrupts: list, ours) -> Iterator[None]:
    """Notes each stop signal whichever Python handler runs for it, and interrupts the main thread as Ctrl-C
    does when that handler is not `ours`.

    A flow run puts Prefect's SIGTERM handler in place of ours; it raises TerminationSignal wherever the
    main thread is: in a DuckDB query it became "Query interrupted" (the command failed, exit 1, with
    tracebacks), in a finalizer it was ignored and the run went on to its end. The interpreter writes
    each signal's number to the wakeup fd whatever the handler; a thread reading it notes the signal.
    """
    import _thread
    import socket
    import threading

    read, write = socket.socketpair()
    write.setblocking(False)
    previous = signal.set_wakeup_fd(write.fileno(), warn_on_full_buffer=False)

    def watch() -> None:
        while data := read.recv(64):   # b"" once `write` is closed
            for signum in data:
                if signum in _STOP_SIGNALS and signum != signal.SIGINT and signal.getsignal(signum) is not ours:
                    interrupts.append(signum)
                    _thread.interrupt_main()   # our SIGINT handler: KeyboardInterrupt, as Ctrl-C

    watcher = threading.Thread(target=watch, name="candor-stop-signals", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        signal.set_wakeup_fd(previous)
        write.close()
        watcher.join(timeout=1)
        read.close()


def _run(flow, title: str, suffix: str = "", **params):
    """Runs a flow and prints its summary; a failed run prints what it did finish, then the reason."""
    import duckdb
    from prefect.exceptions import PrefectException, TerminationSignal

    interrupts = []

    def on_stop(signum, frame):  # DuckDB turns the KeyboardInterrupt of a running query into "Query interrupted"
        interrupts.append(signum)
        signal.default_int_handler(signum, frame)

    # SIGTERM (`timeout`, systemd's stop, `kill`) and SIGHUP (a closed terminal) stop a run as Ctrl-C does;
    # a signal the job was started ignoring (SIGINT under `&` in a script, SIGHUP under nohup) stays ignored
    previous = {signum: signal.getsignal(signum) for signum in _STOP_SIGNALS}
    for signum, handler in previous.items():
        if handler not in (signal.SIG_IGN, None):
            signal.signal(signum, on_stop)
    try:
        with console.status(f"running {title} flow…"), _noting_signals_prefect_handles(interrupts, on_stop):
            _start_embedded_prefect()
            result = flow(**params)
    except ConfigError as exc:
        _error("config error", exc, below=True)
        raise typer.Exit(2) from None
    # duckdb.Error, OSError: the machine's part (a full disk, an I/O error), one line like the rest;
    # TerminationSignal: Prefect's own SIGTERM handler, which a flow run installs over ours while it runs
    except (KeyboardInterrupt, TerminationSignal, RuntimeError, ValueError, AssertionError, PrefectException,
            duckdb.Error, OSError) as exc:
        if interrupts or isinstance(exc, (KeyboardInterrupt, TerminationSignal)):
            signum = interrupts[0] if interrupts else getattr(exc, "signal", signal.SIGINT)
            _error(f"{title} interrupted", f"stopped by {_STOP_SIGNALS[signum]}; what it committed before stays (each "
                   "file or batch of API pages, each resolve run, each segment step commits on its own), the rest was "
                   "rolled back; the next run goes on from there")
            raise typer.Exit(128 + signum) from None
        if getattr(exc, "results", None) is not None:
            _show(title, exc.results, suffix)
        _error(f"{title} failed", exc)
        raise typer.Exit(1) from None
    finally:
        for signum, handler in previous.items():
            if handler not in (signal.SIG_IGN, None):
                signal.signal(signum, handler)
    _show(title, result, suffix)
    return result


# what each command's exit code means, in its --help (cron and systemd read them; docs/operations.md has the detail)
_EXITS_RUN = ("Exit codes: 0 the run completed; 1 it failed (a bad file or API source, or a file source's folder not there, "
              "after the good rows were kept, a "
              "data check, a busy or unusable warehouse, a full disk; what committed before stays); 2 a usage or "
              "configuration error, found before anything is written (docs/operations.md has the exceptions); "
              "130 Ctrl-C, 143 SIGTERM, 129 SIGHUP: stopped, what each step committed stays.")
_EXITS_LOOKUP = ("Exit codes: 0 shown; 1 no warehouse yet, a busy or unreadable one (explain, compare: or an unknown person "
                 "or record); "
                 "2 a usage or configuration error; 130 Ctrl-C while waiting for the warehouse. It writes nothing.")
_EXITS_GENERATE = "Exit codes: 0 the feeds are written; 1 a folder it could not write; 2 a usage or configuration error."


@app.command(epilog=_EXITS_RUN)
def ingest(
    source: Annotated[Optional[list[str]], typer.Option(
        "--source", "-s", metavar="NAME",
        help="Only the source of this name in sources.yaml; repeat it for several (-s lever -s greenhouse).")] = None,
) -> None:
    """Ingest file drops from $CANDOR_HOME/inbox, then the ATS API sources, into raw, staging and quarantine."""
    settings = _settings()
    from tasks.sources.registry import load_sources, select_sources

    try:  # a misspelt name is a usage error, found before a Prefect server starts
        select_sources(load_sources(settings.config_dir), source, settings.config_dir)
    except ConfigError as exc:
        _error("config error", exc, below=True)
        raise typer.Exit(2) from None
    from flows.ingest import ingest_flow

    _run(ingest_flow, "ingest", sources=source or None)


@app.command(epilog=_EXITS_RUN)
def nightly() -> None:
    """Run the whole nightly pipeline once (ingest and every later stage)."""
    _settings()
    from flows.nightly import nightly_flow

    _run(nightly_flow, "nightly")


@app.command(epilog=_EXITS_RUN)
def segment(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show sizes and entered/exited counts; write nothing.")] = False,
) -> None:
    """Refresh consent and suppressions, funnel stages and segments (config/segments.yaml, stages.yaml)."""
    _settings()
    from flows.segment import segment_flow

    _run(segment_flow, "segment", suffix=" (dry run, nothing written)" if dry_run else "", dry_run=dry_run)


@app.command(epilog=_EXITS_GENERATE)
def generate(
    candidates: Annotated[int, typer.Option(help="How many true persons to draw.", min=1)] = 1000,
    seed: Annotated[int, typer.Option(help="Random seed; same seed, same files.")] = 7,
    out: Annotated[Optional[Path], typer.Option(
        help="Folder to write the feeds into; default $CANDOR_HOME/inbox, where `candor ingest` reads.")] = None,
) -> None:
    """Write realistic feeds (job boards, Indeed JSONL, referrals, ATS) plus a ground-truth file."""
    from tasks.generate import generate as write_feeds

    settings = _settings()
    out = out or settings.inbox_dir
    try:
        with console.status(f"generating {candidates:,} candidates into {out}…"):
            # dated by the one clock: CANDOR_NOW when set, else today's midnight UTC (tasks/generate.py)
            counts = write_feeds(out, candidates, seed, settings.now)
    except OSError as exc:  # an --out under a file, a read-only mount, a full disk: one line, not a traceback
        _error("generate failed", f"{exc.filename or out}: {exc.strerror or exc}")
        raise typer.Exit(1) from None
    _print_rows("generated", [{"file": k, "records": v} for k, v in counts.items()])


@app.command(epilog=_EXITS_RUN)
def resolve(
    train: Annotated[bool, typer.Option("--train", help="First re-estimate the matching model on this warehouse "
                                        "(unsupervised) and store it as a new version; it scores new and changed "
                                        "records from now on, existing links until --rescore.")] = False,
    rescore: Annotated[bool, typer.Option("--rescore", help="Score every record again with the current model and "
                                          "settings (after --train, or a change of CANDOR_IDENTITY_MATCH_THRESHOLD "
                                          "or another CANDOR_IDENTITY_* setting); person ids stay stable, merges and "
                                          "splits are recorded as 'rescored'. Costs about a full run.")] = False,
    use_model: Annotated[Optional[str], typer.Option(
        "--use-model", metavar="VERSION|shipped", help="First make another model version current, stored as a "
        "new version: a stored one (`candor models` lists them; 1 is the default the warehouse started with) or "
        "'shipped', this release's default. Like --train, it scores new and changed records from now on, "
        "existing links after --rescore.")] = None,
) -> None:
    """Link every staged record to a person (rules, then Splink); only new or changed records are scored."""
    _settings()
    # isdecimal, not isdigit: int() reads every decimal digit ("１") but not a superscript ("²")
    if use_model is not None and use_model != "shipped" and not use_model.isdecimal():
        _error("error", f"--use-model takes a version number or 'shipped', not {use_model!r}")
        raise typer.Exit(2)
    if train and use_model is not None:
        _error("error", "--train and --use-model exclude each other: one makes a new model, "
               "the other makes an existing one current")
        raise typer.Exit(2)
    from flows.resolve import resolve_flow

    version = int(use_model) if use_model and use_model.isdecimal() else use_model
    _run(resolve_flow, "resolve", train=train, rescore=rescore, use_model=version)


@app.command(epilog=_EXITS_LOOKUP)
def models() -> None:
    """List the identity model versions: the shipped default, each --train and --use-model, and the runs that used each."""
    settings = _settings()
    from tasks.identity.resolve import model_versions

    with _warehouse(settings, "models") as con:
        rows = model_versions(con)
    if not rows:
        console.print("no identity model stored yet: the first resolve run stores the shipped default as version 1")
        return
    _print_rows("identity model versions (the newest scores the next run)", rows)


# a negative id ("-5") reaches the argument check below: click read it as a misspelt flag ("No such option: -5")
@app.command(epilog=_EXITS_LOOKUP, context_settings={"ignore_unknown_options": True})
def explain(person: Annotated[str, typer.Argument(
        metavar="PERSON_ID|SOURCE:ID",
        help="A person_id from core.persons, or a record key source:id (as `candor compare` takes): its person.")]) -> None:
    """Show a person's records and, for each link, the rule or the per-field Splink weights that made it."""
    settings = _settings()
    if not person.isdecimal() and ":" not in person:
        _error("error", f"explain takes a person id (a number) or a record key source:id, not {person!r}")
        raise typer.Exit(2)
    from tasks.identity.explain import explain as explain_person
    from tasks.identity.explain import person_of_record

    with _warehouse(settings, "explain") as con:
        try:
            person_id = int(person) if person.isdecimal() else person_of_record(con, person)
            found = explain_person(con, person_id)
        except KeyError as exc:
            _error("error", exc.args[0])
            raise typer.Exit(1) from None
    if not person.isdecimal():
        console.print(f"record {_visible(person)} is in person {person_id}")
    if found["gone"]:
        console.print(found["gone"])
    _print_rows(f"person {person_id}", found["person"])
    _print_rows("records", found["records"])
    _print_rows(f"evidence (detail: a rule's value both records hold; Splink's prior log2 odds plus the field weights, "
                f"log2 Bayes factors, = the match weight, whose probability is the score; model: the version that "
                f"scored the pair; current: {found['model']})", found["evidence"])
    if found["overrides"]:
        _print_rows("overrides (identity_overrides.yaml) naming its records", found["overrides"])
    _print_rows("history", found["history"])


# help in rich mode keeps a docstring's line breaks, in the command list too: one line per paragraph
# "-1" reaches the argument check below as explain's "-5" does (click: "No such option: -1")
@app.command(epilog=_EXITS_LOOKUP, context_settings={"ignore_unknown_options": True},
             help="Show how a run sees two records, linked or not, and why.\n\n"
             "Their persons, the rule that links them (and shared identifiers that count for nothing, and why), "
             "the blocking rules that pair them for Splink, and Splink's probability and per-field weights.")
def compare(record_a: Annotated[str, typer.Argument(help="A record key, source:id (as `candor explain` lists them).")],
            record_b: Annotated[str, typer.Argument(help="Another record key.")]) -> None:
    """Show how a run sees two records, linked or not, and why."""
    settings = _settings()
    for record in (record_a, record_b):  # a mistake in the command (exit 2), as explain's
        source, _, record_id = record.partition(":")
        if not (source and record_id):
            hint = " (a person id? `candor explain PERSON_ID` lists its records)" if record.lstrip("-").isdecimal() else ""
            _error("error", f"compare takes two record keys source:id, not {record!r}{hint}")
            raise typer.Exit(2)
    if record_a == record_b:  # a mistake in the command (exit 2), found before waiting for the warehouse
        _error("error", f"compare takes two different records, not {record_a!r} twice")
        raise typer.Exit(2)
    from tasks.identity.explain import compare as compare_records
    from tasks.identity.resolve import IncompatibleModel, KeyHashesNotCurrent

    with _warehouse(settings, "compare") as con:
        try:
            found = compare_records(con, settings, record_a, record_b)
        except (KeyError, IncompatibleModel, KeyHashesNotCurrent) as exc:
            _error("error", exc.args[0])
            raise typer.Exit(1) from None
    _print_rows("records", found["records"])
    _print_rows("verdict (field weights: log2 Bayes factors)", found["verdict"])
    if found["blocks"]:
        _print_rows("blocking rules whose keys they share", found["blocks"])
    else:
        console.print("no blocking rule pairs them: a run never scores this pair with Splink "
                      "(a must_link override in identity_overrides.yaml joins them)")


@app.command(epilog=_EXITS_LOOKUP)
def status() -> None:
    """Show what the warehouse holds: rows per table, files per source, quarantine by rule."""
    settings = _settings()
    from tasks.status import api_cursors, files_by_status, quarantine_by_rule, table_counts

    with _warehouse(settings, "status") as con:
        console.print(f"warehouse: {settings.warehouse_path}")
        _print_rows("tables", [{"table": t, "rows": n} for t, n in table_counts(con)])
        _print_rows("files", [{"source": s, "status": st, "files": n} for s, st, n in files_by_status(con)])
        _print_rows("quarantine", [{"source": s, "rule": r, "records": n} for s, r, n in quarantine_by_rule(con)])
        cursors = api_cursors(con)
        if cursors:
            _print_rows("API cursors (run.* = a run to resume)",
                        [{"source": s, "cursor": c, "value": v, "updated_at": str(u)} for s, c, v, u in cursors])


@app.command(epilog=_EXITS_RUN)
def demo() -> None:
    """Copy the bundled samples into the inbox and run the nightly pipeline on them.

    A CANDOR_HOME without a config/ folder gets a copy of the project's default configuration first;
    one that has its own keeps it."""
    settings = _settings()
    if not settings.config_dir.exists():
        shutil.copytree(PROJECT_ROOT / "data" / "config", settings.config_dir)
        console.print(f"demo: {settings.config_dir} was not there: copied the project's default configuration "
                      f"({PROJECT_ROOT / 'data' / 'config'}) into it")
    samples = PROJECT_ROOT / "data" / "samples"
    copied = 0
    for path in sorted(samples.rglob("*")):
        if path.is_file() and "truth" not in path.parts:
            target = settings.inbox_dir / path.relative_to(samples)
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, target)
                copied += 1
    console.print(f"demo: {copied} sample file(s) copied into {settings.inbox_dir}")
    nightly()
    console.print(f"warehouse: {settings.warehouse_path}")


def main() -> None:
    """Entry point with logging set up for humans."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    for name in ("tasks", "flows"):
        logging.getLogger(name).setLevel(logging.INFO)
    app()


if __name__ == "__main__":
    sys.exit(main())
