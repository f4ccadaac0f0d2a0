"""`candor demo` (what `make demo` runs) in a new CANDOR_HOME, under the session Prefect harness."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from tasks.settings import Settings
from tasks.warehouse import run_checks, scalar, writer

pytestmark = pytest.mark.usefixtures("prefect_harness")


def test_demo_in_a_new_home_copies_the_default_config_and_prints_persons_against_records(tmp_path, monkeypatch):
    from flows.cli import app

    home = tmp_path / "new_home"  # a folder made for Candor, nothing in it yet
    home.mkdir()
    monkeypatch.setenv("CANDOR_HOME", str(home))
    out = CliRunner().invoke(app, ["demo"])
    assert out.exit_code == 0, out.output
    said = " ".join(out.output.split())  # the console wraps its lines at the terminal's width
    assert "copied the project's default configuration" in said
    assert (home / "config" / "sources.yaml").is_file()
    with writer(Settings(home=home)) as con:
        run_checks(con)
        records = scalar(con, "select count(*) from core.identity_links")
        persons = scalar(con, "select count(*) from core.persons")
    # the resolve table's first row: records, then persons
    row = re.search(r"│\s+(\d+) │\s+(\d+) │", out.output[out.output.index("records ┃ persons"):])
    assert (int(row[1]), int(row[2])) == (records, persons) and 0 < persons < records

    # a second demo keeps the home's config (a user's edit stays) and copies no sample again
    sources = home / "config" / "sources.yaml"
    sources.write_text(sources.read_text() + "\n# edited\n")
    again = CliRunner().invoke(app, ["demo"])
    assert again.exit_code == 0, again.output
    said = " ".join(again.output.split())
    assert "0 sample file(s) copied" in said and "default configuration" not in said
    assert sources.read_text().endswith("# edited\n")
