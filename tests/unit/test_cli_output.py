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
