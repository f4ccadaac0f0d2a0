"""Warehouses as an older Candor left them, for the tests of the migrations that upgrade them."""

from __future__ import annotations

import duckdb


def as_before_migration(con: duckdb.DuckDBPyConnection, version: str, **dropped: tuple[str, ...]) -> None:
    """Makes the warehouse look as it did before migration `version`: drops the columns it added
    (keyword: table with '__' for the schema dot, value: its columns) and forgets that it ran."""
    for table, columns in dropped.items():
        for column in columns:
            con.execute(f"alter table {table.replace('__', '.')} drop column {column}")
    con.execute("delete from meta.schema_migrations where version = ?", [version])
