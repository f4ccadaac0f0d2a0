"""The CLI's tables, as printed to a pipe (140 columns): values are folded, never cut short."""

from __future__ import annotations

from flows.cli import _print_rows


def test_a_long_value_is_printed_whole(capsys):
    key = "stackjobs:SJ-" + "0" * 150 + "34"  # wider than the table can be
    email = "victoriah1989@gmail.com" * 3
    _print_rows("records", [{"record": key, "rule": "singleton", "email": email}])
    out = capsys.readouterr().out
    body = [line.split("│")[1:-1] for line in out.splitlines() if line.startswith("│")]
    columns = ["".join(cells[i].strip() for cells in body) for i in range(3)]
    assert columns == [key, "singleton", email] and "…" not in out


def test_brackets_in_values_and_errors_are_printed_as_they_are(capsys):
    from flows.cli import _error

    _print_rows("records", [{"company": "[b]Nordic[/b] AS", "stage": "Screen [/hr] call"}])
    _error("ingest failed", "inbox/stackjobs [resent].csv:1:1: empty file")
    out, err = capsys.readouterr()
    assert "[b]Nordic[/b] AS" in out and "Screen [/hr] call" in out
    assert "ingest failed: inbox/stackjobs [resent].csv:1:1: empty file" in err


def test_control_characters_from_a_feed_are_shown_escaped_not_sent_to_the_terminal(capsys):
    """A name holding ESC [2J (clear screen) or an OSC title sequence reached the terminal as is: a
    feed could recolour, clear or retitle the screen of whoever ran `candor explain`."""
    from flows.cli import _error

    _print_rows("records", [{"name": "\x1b[31mRED\x1b[0m Lee", "city": "Köln\x07", "title": "Eng\nLead"}])
    _error("ingest failed", "inbox/\x1b]0;pwned\x07a.csv:1:1: empty file")
    out, err = capsys.readouterr()
    assert "\x1b" not in out + err and "\x07" not in out + err
    assert "\\x1b[31mRED\\x1b[0m Lee" in out and "Köln\\x07" in out and "Lead" in out
    assert "inbox/\\x1b]0;pwned\\x07a.csv:1:1: empty file" in err


def test_user_mistakes_and_an_unusable_warehouse_are_one_line_errors_not_tracebacks(settings):
    import subprocess
    import sys
    import textwrap

    from typer.testing import CliRunner

    from flows.cli import app
    from tasks.warehouse import writer

    runner = CliRunner()
    # a look-up in a home with no warehouse yet says so and creates none; status too, which exited 0 (a cron
    # check `candor status || alert` passed on a home whose warehouse was gone, or on a CANDOR_HOME set wrong)
    for command in (["explain", "1"], ["models"], ["compare", "a:1", "b:1"], ["status"]):
        missing = runner.invoke(app, command)
        assert missing.exit_code == 1 and "no warehouse yet at" in missing.output, command
    assert not settings.warehouse_path.exists()
    with writer(settings):
        pass
    # DuckDB out of memory in a look-up (CANDOR_DUCKDB_MEMORY_LIMIT set too low) was a traceback
    starved = runner.invoke(app, ["status"], env={"CANDOR_DUCKDB_MEMORY_LIMIT": "1KB"})
    assert starved.exit_code == 1 and isinstance(starved.exception, SystemExit), starved.exception
    assert "status failed: DuckDB ran out of memory under CANDOR_DUCKDB_MEMORY_LIMIT=1KB" in starved.output
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sys, duckdb
        con = duckdb.connect({str(settings.warehouse_path)!r}, read_only=True)
        print("open", flush=True)
        sys.stdin.readline()
    """)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        busy = runner.invoke(app, ["status"], env={"CANDOR_LOCK_TIMEOUT_S": "0.5"})
    finally:
        holder.kill()
        holder.wait()
    assert busy.exit_code == 1 and "warehouse busy: gave up after" in busy.output and "Traceback" not in busy.output
    settings.warehouse_path.write_text("not a database")
    broken = runner.invoke(app, ["explain", "1"])
    assert broken.exit_code == 1 and "could not be opened as a DuckDB database" in broken.output
    assert "Traceback" not in broken.output
    # a digit Python's int() does not read (str.isdigit() said yes to it)
    superscript = runner.invoke(app, ["resolve", "--use-model", "\u00b2"])
    assert superscript.exit_code == 2 and "--use-model takes a version number or 'shipped'" in superscript.output
    # last: running a flow imports Prefect, whose log handlers would keep this invocation's stream
    typo = runner.invoke(app, ["ingest", "--source", "stackjob"])
    # the file it read is named: an operator with several homes sees which one (it said only "sources.yaml")
    assert typo.exit_code == 2 and (f"unknown source(s) stackjob for --source; {settings.config_dir / 'sources.yaml'} "
                                    f"has stackjobs") in typo.output


def test_every_commands_help_gives_its_exit_codes(settings):
    # cron and systemd read the exit code; no --help said what any of them meant (docs/operations.md did)
    from typer.testing import CliRunner

    from flows.cli import app

    for command in app.registered_commands:
        name = command.name or command.callback.__name__
        shown = CliRunner().invoke(app, [name, "--help"])
        text = " ".join(shown.output.split())  # as wrapped for the terminal
        assert shown.exit_code == 0 and "Exit codes: 0 " in text, (name, text)
        assert "2 a usage or configuration error" in text and ("130 Ctrl-C" in text or name == "generate"), (name, text)


def test_generate_writes_into_the_home_inbox_by_default(settings):
    from typer.testing import CliRunner

    from flows.cli import app

    result = CliRunner().invoke(app, ["generate", "--candidates", "5", "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert sorted(p.parent.name for p in settings.inbox_dir.rglob("*.csv"))  # feeds landed where ingest reads


def test_generate_into_a_folder_it_cannot_make_is_a_one_line_error(settings, tmp_path):
    # an --out under a file (or a read-only mount) ended in a FileNotFoundError/NotADirectoryError traceback
    from typer.testing import CliRunner

    from flows.cli import app

    (tmp_path / "feeds").write_text("a file, not a folder")
    result = CliRunner().invoke(app, ["generate", "--candidates", "5", "--out", str(tmp_path / "feeds" / "x")])
    assert result.exit_code == 1 and not isinstance(result.exception, OSError), result.exception
    assert f"generate failed: {tmp_path / 'feeds' / 'x'}" in result.output and "Not a directory" in result.output
    assert "Traceback" not in result.output


def test_generate_dates_the_feeds_by_the_configured_clock(settings, tmp_path):
    # CANDOR_NOW moves the whole pipeline's clock: feeds dated by the machine's were all in the future
    # of a clock set back (every applicant quarantined as applied_at_not_future), and a replay of another day differed
    import csv
    from datetime import datetime

    from typer.testing import CliRunner

    from flows.cli import app

    result = CliRunner().invoke(app, ["generate", "--candidates", "20", "--seed", "3", "--out", str(tmp_path / "feeds")],
                                env={"CANDOR_NOW": "2024-06-01T00:00:00Z"})
    assert result.exit_code == 0, result.output
    [status] = (tmp_path / "feeds").rglob("ats_status_3.csv")
    changed = [datetime.fromisoformat(r["changed_at"].replace("Z", "+00:00")) for r in csv.DictReader(status.open())]
    assert changed and max(changed).isoformat() < "2024-06-01"


def test_a_home_set_in_dot_env_holds_prefects_folder_too(tmp_path):
    import os
    import subprocess
    import sys

    from tasks import PROJECT_ROOT

    home = tmp_path / "home"
    home.mkdir()
    (tmp_path / ".env").write_text(f"CANDOR_HOME={home}\n")
    env = {k: v for k, v in os.environ.items() if k not in ("CANDOR_HOME", "PREFECT_HOME", "PREFECT_API_URL")}
    env["PYTHONPATH"] = str(PROJECT_ROOT)
    out = subprocess.run([sys.executable, "-c", "import os, tasks; print(os.environ['PREFECT_HOME'])"],
                         cwd=tmp_path, env=env, capture_output=True, text=True, check=True).stdout.strip()
    assert out == str(home.resolve() / ".prefect")


def test_every_command_is_one_line_in_the_command_list_and_ingest_names_the_ats_apis():
    from typer.testing import CliRunner

    from flows.cli import app

    runner = CliRunner()
    listing = runner.invoke(app, ["--help"], env={"COLUMNS": "250"}).output
    panel = [line for line in listing.split("Commands")[1].splitlines() if line.startswith("│")]
    assert [line.split()[1] for line in panel] == [c.name or c.callback.__name__ for c in app.registered_commands]
    assert "ATS API sources" in runner.invoke(app, ["ingest", "--help"], env={"COLUMNS": "250"}).output


def test_a_failed_runs_reason_is_printed_masked_like_a_log_line(capsys, monkeypatch):
    # a library's error may quote the value it failed on; stderr is read and pasted like a log
    import pytest
    import typer

    import flows.cli as cli

    def failing_flow(**params):
        raise ValueError("no consent row for jane.doe@example.com (+1 415 555 2671)")

    monkeypatch.setattr(cli, "_start_embedded_prefect", lambda: None)
    with pytest.raises(typer.Exit):
        cli._run(failing_flow, "segment")
    err = capsys.readouterr().err
    assert "jane.doe@example.com" not in err and "555 2671" not in err
    assert "segment failed: no consent row for j***@e***.com (***71)" in err


def test_a_record_key_or_email_in_a_wide_table_stays_on_one_line_to_copy(capsys):
    # `candor explain` on a person with 13 records printed `ats_export:GH-046 / 230` and `zoe.muller@gmail. / com`
    # over two lines (rich folded the widest columns to fit 140): pasted into `candor compare`, the key was cut
    row = {"record": "ats_export:GH-046230", "rule": "email", "score": None, "name": "Zoë Müller Hoffmann-Schwarz",
           "email": "zoe.muller3@gmail.com", "phone": "+436765286022", "city": "Innsbruck",
           "company": "Jäntsch Mälzer Versicherungsmakler KG", "linked_at": "2026-11-27 10:28:42"}
    _print_rows("records", [row, dict(row, record="career_site:CS-61647")])
    lines = capsys.readouterr().out.splitlines()
    for value in ("ats_export:GH-046230", "career_site:CS-61647", "zoe.muller3@gmail.com", "+436765286022"):
        assert any(value in line for line in lines), value


def test_ingest_help_shows_source_as_a_name_to_repeat_not_a_python_type():
    # `--source -s <list[str]>` read as if it took a Python list (`-s "[a, b]"`), and did not say what names it takes
    from typer.testing import CliRunner

    from flows.cli import app

    helped = CliRunner().invoke(app, ["ingest", "--help"], env={"COLUMNS": "250"}).output
    line = next(line for line in helped.splitlines() if "--source" in line)
    assert "list[str]" not in line and "NAME" in line and "sources.yaml" in line and "repeat" in line
