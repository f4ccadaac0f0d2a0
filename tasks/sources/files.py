"""Readers for file drops: CSV (any delimiter, UTF-8 with or without BOM, Latin-1), JSON and JSONL.

A reader either returns every row of the file (well-formed ones for staging, malformed ones for
quarantine, with their line numbers) or raises FileError naming file, line and column, in which
case nothing of that file is written.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from tasks.sources.registry import SourceConfig

csv.field_size_limit(10 * 1024 * 1024)

MALFORMED_COLUMNS = ["row_number", "rule", "field", "value", "message"]


class FileError(ValueError):
    """A file that cannot be read at all; the message reads `file:line:column: what`."""


@dataclass
class ParsedFile:
    """What a reader returns: rows for staging (with raw payload columns) and malformed rows."""

    rows_read: int
    canon: pd.DataFrame       # row_number + canonical fields (str or None)
    payload: pd.DataFrame     # raw columns as the file had them (CSV) or one `payload` JSON column
    malformed: pd.DataFrame   # MALFORMED_COLUMNS


def _decode(path: Path, data: bytes, encoding: str) -> str:
    codec = "utf-8-sig" if encoding == "utf-8" else encoding
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise FileError(
            f"{path}:{line}:{column}: not valid {encoding} (byte 0x{data[exc.start]:02x}); "
            f"set `encoding: latin-1` for this source if the file is Latin-1"
        ) from None


def _read_text(path: Path, encoding: str) -> str:
    data = path.read_bytes()
    if not data.strip():
        raise FileError(f"{path}:1:1: empty file")
    if b"\x00" in data[:65536]:
        offset = data.index(b"\x00")
        line = data.count(b"\n", 0, offset) + 1
        raise FileError(f"{path}:{line}:1: binary content (NUL byte); not a text file")
    return _decode(path, data, encoding)


def _malformed(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=MALFORMED_COLUMNS).astype({"row_number": "int64"})


def read_csv(path: Path, source: SourceConfig) -> ParsedFile:
    """Parses a delimited file; ragged rows become malformed rows, unreadable files raise FileError."""
    text = _read_text(path, source.encoding)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=source.delimiter, strict=False)
    try:
        header = next(reader)
    except (StopIteration, csv.Error) as exc:
        raise FileError(f"{path}:1:1: no header row ({exc})") from None
    header = [h.strip() for h in header]
    if len(header) < 2 and source.mapping and len(set(source.mapping.values())) > 1:
        raise FileError(
            f"{path}:1:1: header has {len(header)} column; not a file delimited by "
            f"{source.delimiter!r} (check `delimiter` for source {source.name})"
        )
    seen: set[str] = set()
    for i, name in enumerate(header):
        if not name:
            header[i] = name = f"column_{i + 1}"
        if name in seen:
            raise FileError(f"{path}:1:{i + 1}: duplicate column name {name!r}")
        seen.add(name)
    missing = [f"{col!r} (for {field})" for field, col in source.mapping.items() if col not in seen]
    if missing:
        raise FileError(f"{path}:1:1: missing mapped column(s) {', '.join(missing)}; header has {header}")

    width = len(header)
    rows: list[list[str]] = []
    lines: list[int] = []
    bad: list[tuple] = []
    prev = reader.line_num
    try:
        for row in reader:
            start, prev = prev + 1, reader.line_num
            if len(row) != width:
                if not row or not any(c.strip() for c in row):
                    continue  # blank line, not a row
                bad.append((start, "malformed_row", None, source.delimiter.join(row)[:200],
                            f"expected {width} fields, found {len(row)}"))
                continue
            rows.append(row)
            lines.append(start)
    except csv.Error as exc:
        raise FileError(f"{path}:{reader.line_num}:1: {exc}") from None

    payload = pd.DataFrame(rows, columns=header, dtype=object) if rows else pd.DataFrame(columns=header, dtype=object)
    canon = pd.DataFrame({"row_number": pd.array(lines, dtype="int64")})
    for field, col in source.mapping.items():
        values = payload[col].str.strip()
        canon[field] = values.where(values != "", None)
    return ParsedFile(len(rows) + len(bad), canon, payload, _malformed(bad))


_TOKEN = re.compile(r"^(?P<key>[^\[\]]*)(?:\[(?P<index>\d*)\])?$")


def extract(obj: object, path: str) -> object:
    """Follows a dotted path such as `applicant.email`, `emails[0]` or `skills[].name` into JSON."""
    current: list[object] = [obj]
    for token in path.split("."):
        m = _TOKEN.match(token)
        if not m:
            return None
        key, index = m.group("key"), m.group("index")
        nxt: list[object] = []
        for item in current:
            if key:
                item = item.get(key) if isinstance(item, dict) else None
            if index is None:
                nxt.append(item)
            elif isinstance(item, list):
                nxt.extend(item if index == "" else item[int(index):int(index) + 1])
        current = nxt
    if "[]" in path:
        return [v for v in current if v not in (None, "")]
    return current[0] if current else None


def _as_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, list):
        parts = [_as_text(v) for v in value]
        joined = ";".join(p for p in parts if p)
        return joined or None
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value).strip()
    return text or None


def read_json(path: Path, source: SourceConfig) -> ParsedFile:
    """Parses JSON Lines (one object a line) or a JSON document (an object or an array of them)."""
    text = _read_text(path, source.encoding)
    objects: list[tuple[int, dict]] = []
    bad: list[tuple] = []
    if source.file_format == "jsonl":
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                bad.append((number, "malformed_json", None, line[:200], f"column {exc.colno}: {exc.msg}"))
                continue
            if not isinstance(obj, dict):
                bad.append((number, "malformed_json", None, line[:200], "not a JSON object"))
                continue
            objects.append((number, obj))
    else:
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise FileError(f"{path}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}") from None
        items = doc if isinstance(doc, list) else [doc]
        for number, obj in enumerate(items, start=1):
            if isinstance(obj, dict):
                objects.append((number, obj))
            else:
                bad.append((number, "malformed_json", None, json.dumps(obj)[:200], "array item is not an object"))

    canon = pd.DataFrame({"row_number": pd.array([n for n, _ in objects], dtype="int64")})
    for field, json_path in source.mapping.items():
        canon[field] = pd.Series([_as_text(extract(o, json_path)) for _, o in objects], dtype=object)
    payload = pd.DataFrame(
        {"payload": [json.dumps(o, sort_keys=True, ensure_ascii=False) for _, o in objects]}, dtype=object
    )
    return ParsedFile(len(objects) + len(bad), canon, payload, _malformed(bad))


def read_file(path: Path, source: SourceConfig) -> ParsedFile:
    """Reads one file of a source with the reader its format needs."""
    if source.file_format == "csv":
        return read_csv(path, source)
    return read_json(path, source)
