"""Readers for file drops: CSV (any delimiter, UTF-8 with or without BOM, Latin-1, Windows-1252, UTF-16
with BOM), JSON and JSONL.

A reader leaves the file's rows in the temp table `batch_read` (row_number, payload JSON text, one
VARCHAR column per canonical field) and returns the malformed rows for quarantine, or raises
FileError naming file, line and column, in which case nothing of that file is written.

`row_number` is the file's line number of the row (header = line 1) for CSV and JSONL, and the
1-based position in the array for JSON documents.
"""

from __future__ import annotations

import csv
import glob
import io
import json
import math
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from tasks.pii import MaskedError
from tasks.sources.registry import JSON_PATH_TOKEN, SourceConfig
from tasks.warehouse import scalar

# The longest field either CSV reader takes (DuckDB's default line limit is 2 MB: a 3 MB pasted CV
# was malformed on the fast path and staged by the exact one); a longer one quarantines its row.
MAX_FIELD_BYTES = 10 * 1024 * 1024
# a NUL byte in the first line or in more than a tenth of this many first bytes: a binary file (a
# spreadsheet, an archive, UTF-16 without its mark); elsewhere it spoils only the line holding it
BINARY_SNIFF_BYTES = 8000
# Python's reader raises at its limit, which failed the whole file: it takes any field, and
# _read_csv_exact quarantines a row holding one over MAX_FIELD_BYTES as DuckDB's reader does
csv.field_size_limit(sys.maxsize)

# files that are no text whatever their name says, by their first bytes: what they are and what to do
PACKED_FORMATS = (
    (b"\x1f\x8b", "gzip-compressed, not text: decompress it (gunzip) before it is dropped"),
    (b"PK\x03\x04", "a zip archive (an .xlsx workbook is one), not text: export the sheet as CSV"),
    (b"\xd0\xcf\x11\xe0", "an Excel 97-2003 workbook (.xls), not text: export the sheet as CSV"),
)

MALFORMED_COLUMNS = ["row_number", "rule", "field", "value", "message"]


class FileError(MaskedError, ValueError):
    """A file that cannot be read at all; the message reads `file:line:column: what`.

    Masked when made (emails, phones: tasks/pii.py): it reaches logs, meta.ingested_files and
    Prefect's state message, and may quote the file's content.
    """


@dataclass
class ReadResult:
    """Rows parsed (left in temp table batch_read) and malformed rows (for quarantine)."""

    rows_read: int
    malformed: pd.DataFrame   # MALFORMED_COLUMNS


def malformed_frame(rows: list[tuple]) -> pd.DataFrame:
    """Builds the malformed-rows frame (row_number, rule, field, value, message)."""
    return pd.DataFrame(rows, columns=MALFORMED_COLUMNS).astype({"row_number": "int64"})


# -- bytes ---------------------------------------------------------------------------------------

def _check_bytes(path: Path, data: bytes, encoding: str) -> None:
    """Raises FileError for empty, binary or wrongly encoded files, with line and column."""
    if not data.removeprefix(b"\xef\xbb\xbf").strip():  # a byte-order mark alone is no content either
        raise FileError(f"{path}:1:1: empty file")
    for magic, what in PACKED_FORMATS:
        if data.startswith(magic):
            raise FileError(f"{path}:1:1: {what}")
    head = data[:BINARY_SNIFF_BYTES]
    if b"\x00" in head[: head.find(b"\n") + 1 or len(head)] or head.count(b"\x00") * 10 > len(head):
        offset = data.index(b"\x00")
        line = data.count(b"\n", 0, offset) + 1
        if order := _utf16_without_mark(head):
            raise FileError(f"{path}:1:1: UTF-16 ({order}) without a byte-order mark, by its bytes (every other one is NUL): "
                            f"export it as UTF-8, or as UTF-16 with its byte-order mark, which is read as UTF-16")
        raise FileError(f"{path}:{line}:1: binary content (NUL byte); not a text file")
    codec = "utf-8-sig" if encoding == "utf-8" else encoding
    try:
        data.decode(codec)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        if exc.end == len(data) and exc.reason == "unexpected end of data":
            raise FileError(f"{path}:{line}:{column}: the file ends in the middle of a character: cut off while "
                            f"it was written or copied? Load a complete copy") from None
        raise FileError(
            f"{path}:{line}:{column}: not valid {encoding} (byte 0x{data[exc.start]:02x}); "
            f"set `encoding: latin-1` (or cp1252, for a Windows export) for this source if the file is Latin-1"
        ) from None
    if encoding == "latin-1":  # Latin-1 decodes any bytes: it never says when it is the wrong guess
        _check_latin1(path, data)


def _utf16_without_mark(head: bytes) -> str | None:
    """'little-endian' or 'big-endian' when the first bytes are text in UTF-16 without its byte-order mark: one
    byte of each pair NUL (ASCII and Latin-1 letters in UTF-16) and the other not; else None."""
    pairs = head[: len(head) // 2 * 2]
    low, high = pairs[0::2], pairs[1::2]
    for order, zeros, text in (("little-endian", high, low), ("big-endian", low, high)):
        if len(pairs) >= 8 and zeros.count(0) >= 0.9 * len(zeros) and not text.count(0):
            return order
    return None


def _without_nul_lines(data: bytes, encoding: str) -> tuple[bytes, list[tuple]]:
    """Empties each line of a text file that holds a NUL byte (a corrupt row, the padding a crashed
    writer leaves at the end), keeping every other line's number; returns the bytes left and a
    malformed row per line emptied. _check_bytes has refused files that look binary as a whole."""
    if b"\x00" not in data:
        return data, []
    bad, kept, line, at = [], [], 1, 0
    for match in re.finditer(rb"[^\n]*\x00[^\n]*", data):
        line += data.count(b"\n", at, match.start())
        text = match.group().replace(b"\x00", b"").rstrip(b"\r").decode(encoding, "replace")[:200]
        bad.append((line, "malformed_row", None, text, "a NUL byte in the line (binary content)"))
        kept.append(data[at:match.start()])
        at = match.end()
    kept.append(data[at:])
    return b"".join(kept), bad


def _without_stray_lines(data: bytes, encoding: str, rule: str = "malformed_row") -> tuple[bytes, list[tuple]]:
    """Empties each line of a UTF-8 file that is not UTF-8 when other lines hold UTF-8 beyond ASCII (lines
    appended by a tool writing Latin-1: `José` as 0xe9), keeping every other line's number; returns the bytes
    left and a malformed row per line emptied. A file with no such line, or whose first line (the header) or
    cut-off end is the one, is left for _check_bytes: a whole Latin-1 file is refused with the fix."""
    if encoding != "utf-8":
        return data, []
    try:
        data.decode("utf-8")
        return data, []
    except UnicodeDecodeError as exc:
        if exc.end == len(data) and exc.reason == "unexpected end of data":
            return data, []
    lines, bad, utf8 = data.split(b"\n"), [], False
    for number, line in enumerate(lines, start=1):
        try:
            line.decode("utf-8")
            utf8 = utf8 or not line.isascii()
        except UnicodeDecodeError as exc:
            if number == 1:
                return data, []
            text = line.rstrip(b"\r").decode("utf-8", "replace")[:200]
            bad.append((number, rule, None, text,
                        f"not valid utf-8 (byte 0x{line[exc.start]:02x} at column {exc.start + 1}) where the rest of the "
                        f"file is UTF-8: a line written in another encoding (Latin-1?)"))
            lines[number - 1] = b""
    if not utf8:
        return data, []
    return b"\n".join(lines), bad


def _check_latin1(path: Path, data: bytes) -> None:
    """Raises FileError when a file declared Latin-1 is UTF-8 (Ã¶ for ö) or Windows-1252 (0x92 for ’,
    0x96 for –: control characters in Latin-1, so no Latin-1 text holds them)."""
    def where(offset: int) -> str:
        line, start = data.count(b"\n", 0, offset) + 1, data.rfind(b"\n", 0, offset) + 1
        return f"{path}:{line}:{offset - start + 1}"

    control = re.search(rb"[\x80-\x9f]", data)
    try:
        data.decode("utf-8")
        is_utf8 = re.search(rb"[\x80-\xff]", data)
    except UnicodeDecodeError:
        is_utf8 = None
    if is_utf8:
        raise FileError(f"{where(is_utf8.start())}: declared latin-1, but the file is UTF-8 (read as Latin-1, "
                        f"ö would become Ã¶); set `encoding: utf-8` for this source")
    if control:
        raise FileError(f"{where(control.start())}: byte 0x{data[control.start()]:02x} is a control character in "
                        f"latin-1: the file looks like Windows-1252; set `encoding: cp1252` for this source")


def _from_utf16(path: Path, data: bytes, encoding: str) -> tuple[bytes, str]:
    """The file's bytes and their encoding; a file opening with a UTF-16 byte-order mark (Excel's
    "Unicode Text", some ATS exports) comes back transcoded to UTF-8, whatever the source declares:
    the mark says what the file is, and its NUL bytes would otherwise read as a binary file."""
    if not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data, encoding
    try:
        return data.decode("utf-16").encode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        raise FileError(f"{path}:1:1: starts with a UTF-16 byte-order mark but is not valid UTF-16 "
                        f"({exc.reason} at byte {exc.start})") from None


def _text(path: Path, data: bytes, encoding: str) -> str:
    _check_bytes(path, data, encoding)
    return data.decode("utf-8-sig" if encoding == "utf-8" else encoding)


# -- CSV -----------------------------------------------------------------------------------------

def _header(path: Path, text_head: str, source: SourceConfig) -> list[str]:
    """Parses and checks the header row: delimiter plausible, names unique, mapped columns present."""
    try:
        header = next(csv.reader(io.StringIO(text_head, newline=""), delimiter=source.delimiter))
    except (StopIteration, csv.Error) as exc:
        raise FileError(f"{path}:1:1: no header row ({exc})") from None
    header = [h.strip().strip("\ufeff").strip() for h in header]  # a byte-order mark a second tool added is no name
    if len(header) < 2 and len(set(source.mapping.values())) > 1:
        raise FileError(
            f"{path}:1:1: header has 1 column; not a file delimited by {source.delimiter!r} "
            f"(check `delimiter` for source {source.name})"
        )
    header = [name or f"column_{i + 1}" for i, name in enumerate(header)]
    names = {h.lower() for h in header}
    # names differing only in case are one column (refused as duplicates below): `Email` is the mapped `email`
    missing = [f"{col!r} (for {field})" for field, col in source.mapping.items() if col.lower() not in names]
    # A file without its header row has its first record here: name no value of it, not even a repeated
    # one (a city that is also the region). Such a line shares no name with the mapping, or holds an
    # address or a long number.
    if missing and (not {c.lower() for c in source.mapping.values()} & names
                    or any("@" in h or len(re.sub(r"\D", "", h)) >= 7 for h in header)):
        raise FileError(f"{path}:1:1: missing mapped column(s) {', '.join(missing)}; header has {len(header)} columns, "
                        "and its first row looks like a record (no mapped column in it, or an address or a number): "
                        "is the header row missing?")
    seen: dict[str, tuple[int, str]] = {}
    mapped = {col.lower(): field for field, col in source.mapping.items()}
    for i, name in enumerate(header):
        # DuckDB's column names ignore case: `Email` and `EMAIL` would read as one column
        if name.lower() in seen:
            first, earlier = seen[name.lower()]
            # the file fails either way: a raw payload keeps each column under its name, and two would be one key
            why = (f"mapped to {mapped[name.lower()]}: which of the two holds it is unknown" if name.lower() in mapped
                   else "not mapped, but the raw payload keeps every column under its name")
            raise FileError(f"{path}:1:{i + 1}: duplicate column name {name!r}"
                            + (f" (same as {earlier!r} but for case)" if earlier != name else "")
                            + f": columns {first} and {i + 1}, {why}; rename or remove one in the export")
        seen[name.lower()] = (i + 1, name)
    if missing:
        shown = header if len(header) <= 60 else [*header[:60], "…"]
        raise FileError(f"{path}:1:1: missing mapped column(s) {', '.join(missing)}; header has {shown}")
    return header


def _columns(header: list[str]) -> list[str]:
    """The names both readers give a file's columns: by position (c1, c2, …), so that no header name
    (`rowid`, `row_number`, `idx`) meets a column of the readers' own; header names are payload keys."""
    return [f"c{i}" for i in range(1, len(header) + 1)]


def _batch_read_sql(header: list[str], source: SourceConfig, relation: str) -> tuple[str, list[str]]:
    """SQL turning a relation of raw CSV columns (named by _columns) into batch_read; header names are
    bound as JSON keys.

    The keys go in sorted order, as JSON records' do (payload_json): the payload, and so its hash,
    is the row's content, not the file's column order, so an export with its columns reordered
    stages nothing again (migration 034 put earlier payloads in this order).
    """
    column = dict(zip(header, _columns(header)))
    by_name = {h.lower(): c for h, c in column.items()}  # a mapped name matches in any case (_header)
    keys = sorted(header)
    pairs = ", ".join(f"?, {column[h]}" for h in keys)
    fields = ", ".join(
        f"nullif(trim({by_name[col.lower()]}), '') as {field}" for field, col in source.mapping.items()
    )
    sql = (f"create or replace temp table batch_read as select row_number, "
           f"json_object({pairs})::varchar as payload, {fields} from {relation}")
    return sql, keys


def _read_csv_fast(con, path: Path, data: bytes, header: list[str], source: SourceConfig) -> ReadResult | None:
    """DuckDB's parallel reader; returns None when line numbers cannot be recovered exactly.

    DuckDB reports rejected rows with their line and keeps accepted rows in file order but
    without lines. When no field spans lines and no line is blank, accepted rows' lines are
    exactly the lines that were not rejected, so the fast path applies; otherwise it declines.
    """
    columns = "{" + ", ".join(f"'{c}': 'VARCHAR'" for c in _columns(header)) + "}"
    con.execute("create or replace temp table batch_csv as select * from read_csv(?, header = true, "
                f"columns = {columns}, delim = ?, quote = '\"', escape = '\"', encoding = ?, "
                "strict_mode = true, store_rejects = true, rejects_table = 'batch_rejects', "
                "rejects_scan = 'batch_reject_scans', null_padding = false, auto_detect = false, "
                "max_line_size = ?)",
                [str(path), source.delimiter, "utf-8" if source.encoding == "utf-8" else "latin-1", MAX_FIELD_BYTES])
    accepted = scalar(con, "select count(*) from batch_csv")
    rejects = con.execute(
        "select line, error_type, csv_line from batch_rejects order by line"
    ).fetchall()
    # The same physical row can be rejected for several reasons; count it once.
    bad_lines = sorted({line for line, _, _ in rejects})
    newlines = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
    if newlines != 1 + accepted + len(bad_lines) or b"\n\n" in data or b"\r\n\r\n" in data:
        return None
    con.execute(
        "create or replace temp table batch_numbered as "
        "with lines as (select l as line from range(2, ? + 2) t(l) "
        "               where l not in (select unnest(?::bigint[]))), "
        "numbered as (select line, row_number() over (order by line) - 1 as idx from lines) "
        "select n.line as row_number, c.* from (select rowid as idx, * from batch_csv) c "
        "join numbered n using (idx)",
        [accepted + len(bad_lines), bad_lines],
    )
    # a line of nothing but blanks and delimiters is no row, as for the exact reader: DuckDB's reader takes one as
    # wide as the header (Excel's empty rows under a sheet's last one), or one wider, as a row of nulls; other
    # widths it rejects, and those are found among the rejects below
    blank_rows = {line for (line,) in con.execute(
        "select row_number from batch_numbered where "
        + " and ".join(f"regexp_full_match(coalesce({c}, ''), '\\s*')" for c in _columns(header))).fetchall()}
    if blank_rows:
        con.execute("delete from batch_numbered where row_number in (select unnest(?::bigint[]))", [sorted(blank_rows)])
    sql, params = _batch_read_sql(header, source, "batch_numbered")
    con.execute(sql, params)
    # batch_read now holds everything; the two raw copies would double the batch's memory.
    con.execute("drop table batch_numbered; drop table batch_csv")
    first = {}
    for line, error, text in rejects:
        message = error.lower()
        if message in ("missing columns", "too many columns"):  # as the exact reader says it: how many
            found = len(next(csv.reader([text or ""], delimiter=source.delimiter), []))
            message = f"expected {len(header)} fields, found {found}"
        first.setdefault(line, (line, "malformed_row", None, (text or "")[:200], message))
    # DuckDB takes a row with an empty field more than the header as if it had none: a row shifted by a
    # delimiter in an unquoted value, its last field empty, was staged shifted (the exact reader's rule)
    # (a blank line among them is no row, shifted or not: taken out above)
    shifted = {line: text for line, text in _one_field_more(data, source, len(header), set(bad_lines)).items()
               if line not in blank_rows}
    blank = {line for line, _, text in rejects if not (text or "").replace(source.delimiter, "").strip()} | blank_rows
    if shifted and len(shifted) >= accepted - len(blank_rows):
        shifted = {}  # every row ends with a delimiter the header lacks: a style, as the exact reader takes it
    if shifted:
        con.execute("delete from batch_read where row_number in (select unnest(?::bigint[]))", [[*shifted]])
        first.update({line: (line, "malformed_row", None, text[:200], f"expected {len(header)} fields, found {len(header) + 1}")
                      for line, text in shifted.items()})
    return ReadResult(accepted + len(bad_lines) - len(blank),
                      malformed_frame([row for line, row in first.items() if line not in blank]))


def _one_field_more(data: bytes, source: SourceConfig, width: int, rejected: set[int]) -> dict[int, str]:
    """The lines (number: text) of a file read by DuckDB that hold one field more than the header, an empty
    last one (only lines ending with the delimiter are parsed); `rejected` lines are left out."""
    encoding = "utf-8" if source.encoding == "utf-8" else "latin-1"
    found, line, at = {}, 1, 0
    # anchored at line starts: unanchored, a long line not ending with the delimiter was scanned from each of its bytes
    for match in re.finditer(rb"(?m)^[^\n]*" + re.escape(source.delimiter.encode(encoding)) + rb"\r?$", data):
        line += data.count(b"\n", at, match.start())
        at = match.start()
        if line in rejected or line == 1:
            continue
        text = match.group().rstrip(b"\r").decode(encoding, "replace")
        fields = next(csv.reader([text], delimiter=source.delimiter, strict=False), [])
        if len(fields) == width + 1 and fields[-1] == "":
            found[line] = text
    return found


class _Lines:
    """A file's lines for csv.reader, with the position of the next one settable: after a stray quote
    the reader goes back to the line after the quote's."""

    def __init__(self, text: str) -> None:
        self.lines = list(io.StringIO(text, newline=""))  # ends at \n, \r\n or a lone \r, as csv.reader counts lines
        self.next = 0

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        if self.next >= len(self.lines):
            raise StopIteration
        self.next += 1
        return self.lines[self.next - 1]


def _oversized(row: list[str], header: list[str]) -> str | None:
    """Says which field of a row is over MAX_FIELD_BYTES (in UTF-8), else None."""
    for name, value in zip(header, row):
        if len(value) > MAX_FIELD_BYTES // 4 and (size := len(value.encode("utf-8", "surrogatepass"))) > MAX_FIELD_BYTES:
            return f"column {name!r} holds {size / 2**20:.1f} MB, over the {MAX_FIELD_BYTES >> 20} MB a field may hold"
    return None


def _quoted_then_blanks(line: str, delimiter: str) -> list[str] | None:
    """The fields of a line whose only fault in strict CSV is blanks between a closing quote and the
    delimiter (`"Eng"  ,`), else None."""
    cleaned = re.sub(rf'(?<!")"[ \t]+(?={re.escape(delimiter)}|\r?\n?$)', '"', line)
    if cleaned == line:
        return None
    try:
        return next(csv.reader([cleaned], delimiter=delimiter, strict=True))
    except csv.Error:
        return None


def _read_csv_exact(con, path: Path, text: str, header: list[str], source: SourceConfig) -> ReadResult:
    """Python's csv reader: slower, but knows the line of every row (fields spanning lines, blanks).

    A row that spans lines (a quoted field holding a line break) and still has the wrong number of
    fields is a quote opened and never closed: the csv reader read the lines after it as that one
    field, up to the next quote or the end of the file. Only its first line is malformed; reading
    goes on from the line after it, so every later line is a row of its own, staged or quarantined.
    """
    lines = _Lines(text)
    # strict: text after a field's closing quote (`"Eng" Lead`) is an error, as it is to DuckDB's reader;
    # read leniently it was staged as `Eng Lead` here and quarantined there
    next(csv.reader(lines, delimiter=source.delimiter, strict=False))  # the header, read leniently as _header does
    reader = csv.reader(lines, delimiter=source.delimiter, strict=True)
    width = len(header)
    rows: list[list[str]] = []
    numbers: list[int] = []
    bad: list[tuple] = []
    trailing: list[tuple[int, list[str]]] = []  # rows with an empty field more than the header
    prev = lines.next
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:  # the reader starts afresh at its next line
            start, prev = prev + 1, lines.next
            opened = prev > start or "end of data" in str(exc)
            if not opened and (row := _quoted_then_blanks(lines.lines[start - 1], source.delimiter)):
                rows.append(row)  # `"Eng"  ,`: blanks after a closing quote, which DuckDB's reader takes too
                numbers.append(start)
                continue
            bad.append((start, "malformed_row", None, lines.lines[start - 1].rstrip("\r\n")[:200],
                        f"a quote opened on this line is not closed (read on to line {prev}: {exc}); the lines "
                        f"after it are read as rows" if opened else f"text after the closing quote of a field ({exc})"))
            if opened:
                lines.next = prev = start
            continue
        start, prev = prev + 1, lines.next
        if not row or not any(c.strip() for c in row):
            continue  # blank line, not a row, however many delimiters it holds (Excel's empty rows: as many as the header)
        if len(row) != width:
            if len(row) == width + 1 and row[-1] == "":
                trailing.append((start, row))  # a delimiter at its end: a style if every row has it
                continue
            if prev > start:
                bad.append((start, "malformed_row", None, lines.lines[start - 1].rstrip("\r\n")[:200],
                            f"a quote opened on this line is not closed (read on to line {prev}: "
                            f"{len(row)} fields, expected {width}); the lines after it are read as rows"))
                lines.next = prev = start
                continue
            bad.append((start, "malformed_row", None, source.delimiter.join(row)[:200],
                        f"expected {width} fields, found {len(row)}"))
            continue
        if max(map(len, row)) > MAX_FIELD_BYTES // 4 and (big := _oversized(row, header)):
            bad.append((start, "malformed_row", None, lines.lines[start - 1].rstrip("\r\n")[:200], big))
            continue
        rows.append(row)
        numbers.append(start)
    if rows:  # some rows end without that delimiter: those with it are shifted (`go, sql` unquoted)
        bad.extend((start, "malformed_row", None, source.delimiter.join(row)[:200], f"expected {width} fields, found {width + 1}")
                   for start, row in trailing)
    else:  # every row ends with a delimiter the header lacks (a style some exports have), as DuckDB reads it
        rows, numbers = [row[:-1] for _, row in trailing], [start for start, _ in trailing]
    names = _columns(header)
    frame = pd.DataFrame(rows, columns=names, dtype=object) if rows else pd.DataFrame(columns=names, dtype=object)
    frame = frame.where(frame != "", None)  # as DuckDB's reader does, so both paths hash alike
    frame.insert(0, "row_number", pd.array(numbers, dtype="int64"))
    con.register("batch_frame", frame)
    try:
        sql, params = _batch_read_sql(header, source, "batch_frame")
        con.execute(sql, params)
    finally:
        con.unregister("batch_frame")
    return ReadResult(len(rows) + len(bad), malformed_frame(bad))


def read_csv(con: duckdb.DuckDBPyConnection, path: Path, source: SourceConfig) -> ReadResult:
    """Reads a delimited file into batch_read; ragged rows come back as malformed rows."""
    raw = path.read_bytes()
    data, encoding = _from_utf16(path, raw, source.encoding)
    data, stray_rows = _without_stray_lines(data, encoding)
    _check_bytes(path, data, encoding)
    data, nul_rows = _without_nul_lines(data, encoding)  # then no longer `raw`: the exact reader keeps lines
    nul_rows += stray_rows
    head = data[: data.find(b"\n") + 1 or len(data)].decode("utf-8-sig" if encoding == "utf-8" else encoding)
    header = _header(path, head, source)
    try:  # DuckDB reads UTF-8 and Latin-1 files itself; Windows-1252 and UTF-16 are decoded in Python
        # DuckDB takes its path as a glob: `c[1].csv` read c1.csv in its place, and `a*.csv` its neighbours too
        fast = data is raw and encoding != "cp1252" and not glob.has_magic(str(path))
        result = _read_csv_fast(con, path, data, header, source) if fast else None
    except duckdb.Error:
        result = None  # a dialect corner DuckDB refuses; the exact reader decides
    if result is None:
        result = _read_csv_exact(con, path, _text(path, data, encoding), header, source)
    if nul_rows:
        result = ReadResult(result.rows_read + len(nul_rows), pd.concat([result.malformed, malformed_frame(nul_rows)],
                                                                        ignore_index=True))
    return result


# -- JSON ----------------------------------------------------------------------------------------

def extract(obj: object, path: str) -> object:
    """Follows a dotted path such as `applicant.email`, `emails[0]` or `skills[].name` into JSON."""
    current: list[object] = [obj]
    for token in path.split("."):
        m = JSON_PATH_TOKEN.match(token)
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


def _utf8(text: str) -> str:
    """The text, with any lone surrogate (a `\\ud83d` escape in JSON that pairs with nothing: no
    character, and not storable as UTF-8) replaced by U+FFFD."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text


def payload_json(obj: object) -> str:
    """The canonical JSON of a record (sorted keys); a lone surrogate becomes U+FFFD (DuckDB's JSON
    rejects the escape too)."""
    return _utf8(json.dumps(obj, sort_keys=True, ensure_ascii=False))


def as_text(value: object) -> str | None:
    """Renders an extracted JSON value as canonical text (lists joined with ';'); empty is None."""
    if value is None:
        return None
    if isinstance(value, list):
        parts = [as_text(v) for v in value]
        joined = ";".join(p for p in parts if p)
        return joined or None
    if isinstance(value, dict):
        return _utf8(json.dumps(value, sort_keys=True, ensure_ascii=False))
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not math.isfinite(value):
        return None  # NaN (pandas' missing value) or Infinity, which Python's json reads: no value, not 'nan'
    text = _utf8(str(value).strip())
    return text or None


def _not_text(value: object) -> bool:
    """A JSON value no canonical field holds as text: an object, or a list holding objects or lists
    (a list of texts is fine: skills, tags, several emails joined with ';')."""
    return isinstance(value, dict) or (isinstance(value, list) and any(isinstance(v, (dict, list)) for v in value))


def load_objects(
    con: duckdb.DuckDBPyConnection, objects: list[tuple[int, dict]], source: SourceConfig,
    derived: dict[str, list] | None = None,
) -> None:
    """Maps JSON objects (row_number, object) through the source mapping into batch_read.

    `derived` holds canonical fields an API connector computed per object (one value each),
    for fields a JSON path cannot pick (e.g. the LinkedIn URL among social links). Column
    `not_text` names the first field whose value is an object (`field: {...}`) for rule field_type:
    rendered as JSON text, it would be staged as a name, a title, an address.
    """
    frame = pd.DataFrame({
        "row_number": pd.array([n for n, _ in objects], dtype="int64"),
        "payload": pd.Series([payload_json(o) for _, o in objects], dtype=object),
    })
    values = {field: [extract(o, json_path) for _, o in objects] for field, json_path in source.mapping.items()}
    values.update(derived or {})
    for field, column in values.items():
        frame[field] = pd.Series([as_text(v) for v in column], dtype=object)
    frame["not_text"] = pd.Series([next((f"{field}: {as_text(row[i])}" for i, field in enumerate(values) if _not_text(row[i])), None)
                                   for row in zip(*values.values())] if values else [None] * len(objects), dtype=object)
    con.register("batch_frame", frame)
    try:
        con.execute("create or replace temp table batch_read as select * from batch_frame")
    finally:
        con.unregister("batch_frame")


class _Repeated(dict):
    """An object whose text gives a key twice (in it or in an object inside it); `key` is its path."""

    key: str


def _object(pairs: list[tuple[str, object]]) -> dict:
    """json's object_pairs_hook: a dict, marked _Repeated when a key is given twice (json.loads would
    keep the last value without a word: which one the sender meant is unknown)."""
    obj = dict(pairs)
    key = None
    if len(obj) < len(pairs):
        seen: set[str] = set()
        key = next(k for k, _ in pairs if k in seen or seen.add(k))
    else:
        key = next((f"{k}.{item.key}" for k, v in pairs for item in (v if isinstance(v, list) else [v])
                    if isinstance(item, _Repeated)), None)
    if key is None:
        return obj
    obj = _Repeated(obj)
    obj.key = key
    return obj


def _repeated_key(number: int, obj: object, text: str) -> tuple | None:
    """The malformed row for an object that gives a key twice, else None."""
    if not isinstance(obj, _Repeated):
        return None
    return number, "malformed_json", None, text[:200], f"key {obj.key!r} given twice"


def _check_not_a_wrapper(path: Path, doc: dict, source: SourceConfig) -> None:
    """Raises FileError when a JSON document's object holds none of the mapped fields and a list of
    objects under a key (`{"results": [...]}`): it wraps the records, it is none. Read as one record
    it was one row without an id, under CANDOR_MIN_BAD_ROWS: the run passed and its records were in no count."""
    if any(as_text(extract(doc, json_path)) is not None for json_path in source.mapping.values()):
        return
    lists = [(key, len(value)) for key, value in doc.items()
             if isinstance(value, list) and value and all(isinstance(v, dict) for v in value)]
    if lists:
        key, n = max(lists, key=lambda kv: kv[1])
        raise FileError(f"{path}:1:1: the document is an object holding none of the mapped fields, and {key!r} holds a "
                        f"list of {n} objects: records wrapped in an object? Drop the file as the array of records "
                        f"itself (`[{{...}}, …]`), or one record per file")


def _json_values(text: str) -> list | None:
    """The JSON values a text holds one after another with only whitespace between them, or None."""
    decoder, blank = json.JSONDecoder(), re.compile(r"[ \t\r\n]*")
    values, at = [], blank.match(text).end()
    while at < len(text):
        try:
            value, at = decoder.raw_decode(text, at)
        except (json.JSONDecodeError, RecursionError):
            return None
        values.append(value)
        at = blank.match(text, at).end()
    return values


# a JSON string, or a bracket or comma outside one: enough to follow nesting without parsing
_JSON_TOKENS = re.compile(r'"(?:[^"\\]+|\\.)*"|[\[\]{},]')


def _too_deep(text: str) -> str:
    """The message of a JSON value too deeply nested for Python's reader (its limit is the call stack's:
    about 1,000 levels less the frames below it): how deep, which no candidate record is."""
    depth = deepest = 0
    for match in _JSON_TOKENS.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif token in "]}":
            depth -= 1
    return (f"nested {deepest:,} levels deep (arrays or objects inside each other), more than the JSON reader "
            f"takes; no candidate record is: a broken export")


@dataclass
class _Unreadable:
    """An item of a JSON array that cannot be parsed on its own: its text, and why."""

    text: str
    message: str


def _items_one_by_one(path: Path, text: str) -> list:
    """The items of a JSON document too deeply nested to parse whole, each parsed on its own: a value,
    or _Unreadable for one nested too deeply. A document that is one object is one item. Raises
    FileError, naming line and column, for invalid JSON (in an item, or after the array)."""
    def invalid(offset: int, msg: str) -> FileError:
        line, start = text.count("\n", 0, offset) + 1, text.rfind("\n", 0, offset) + 1
        return FileError(f"{path}:{line}:{offset - start + 1}: invalid JSON: {msg}")

    opening = len(text) - len(text.lstrip(" \t\r\n"))
    spans, depth, at = [], 0, opening + 1
    if text.startswith("[", opening):
        for match in _JSON_TOKENS.finditer(text, opening):
            token = match.group()
            if token in "[{":
                depth += 1
            elif token in "]}":
                depth -= 1
                if depth == 0:
                    spans.append((at, match.start()))
                    break
            elif token == "," and depth == 1:
                spans.append((at, match.start()))
                at = match.end()
        else:
            raise invalid(len(text), "the array is not closed")
        if text[match.end():].strip():
            raise invalid(match.end() + len(text[match.end():]) - len(text[match.end():].lstrip()), "Extra data")
        if len(spans) == 1 and not text[spans[0][0]:spans[0][1]].strip():
            spans = []  # []
    else:
        spans = [(opening, len(text))]
    items = []
    for start, end in spans:
        try:
            items.append(json.loads(text[start:end], object_pairs_hook=_object))
        except json.JSONDecodeError as exc:
            raise invalid(start + exc.pos, exc.msg) from None
        except RecursionError:
            items.append(_Unreadable(text[start:end].strip(), _too_deep(text[start:end])))
    return items


def _check_json_lines(path: Path, text: str, lines: int) -> None:
    """Raises FileError when a JSONL file with broken lines is JSON written otherwise: an array (on one
    line or several) or values printed over several lines. Read line by line, each of its lines was a
    quarantined row (5 records: 37 rows), or a one-line array one row, under CANDOR_MIN_BAD_ROWS."""
    values = _json_values(text)
    if not values or (len(values) == lines and not all(isinstance(v, list) for v in values)):
        return  # JSON Lines with broken lines: each is quarantined
    if len(values) == 1 and isinstance(values[0], list):
        what = f"one JSON array of {len(values[0])} objects over {lines} line(s)"
        fix = "read it as a JSON document (`kind: json`; `format: json` for referrals and ats_status)"
    else:
        what = f"{len(values)} JSON values written over {lines} lines"
        fix = "write one object a line (`jq -c .` does)"
    raise FileError(f"{path}:1:1: {what}, not JSON Lines (one object a line): {fix}")


def read_json(con: duckdb.DuckDBPyConnection, path: Path, source: SourceConfig) -> ReadResult:
    """Reads JSON Lines (one object a line) or a JSON document (an object or an array of them)."""
    data, encoding = _from_utf16(path, path.read_bytes(), source.encoding)
    # a JSON document is one value: a line in another encoding fails it as a whole (_check_bytes)
    data, bad = _without_stray_lines(data, encoding, "malformed_json") if source.file_format == "jsonl" else (data, [])
    text = _text(path, data, encoding)
    objects: list[tuple[int, dict]] = []
    if source.file_format == "jsonl":
        # lines end at \n only: str.splitlines() also splits at U+2028, U+0085 … inside a string value
        lines = 0
        for number, line in enumerate(text.split("\n"), start=1):
            if not line.strip():
                continue
            lines += 1
            try:
                obj = json.loads(line, object_pairs_hook=_object)
            except json.JSONDecodeError as exc:
                bad.append((number, "malformed_json", None, line[:200], f"column {exc.colno}: {exc.msg}"))
                continue
            except RecursionError:
                bad.append((number, "malformed_json", None, line[:200], _too_deep(line)))
                continue
            if not isinstance(obj, dict):
                bad.append((number, "malformed_json", None, line[:200], "not a JSON object"))
                continue
            if repeated := _repeated_key(number, obj, line):
                bad.append(repeated)
                continue
            objects.append((number, obj))
        if bad:
            _check_json_lines(path, text, lines)
    else:
        try:
            doc = json.loads(text, object_pairs_hook=_object)
        except json.JSONDecodeError as exc:
            raise FileError(f"{path}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}") from None
        except RecursionError:  # a record nested too deeply quarantines that record, as in JSON Lines
            doc = _items_one_by_one(path, text)
        if isinstance(doc, dict):
            _check_not_a_wrapper(path, doc, source)
        items = doc if isinstance(doc, list) else [doc]
        for number, obj in enumerate(items, start=1):
            if isinstance(obj, _Unreadable):
                bad.append((number, "malformed_json", None, obj.text[:200], obj.message))
            elif repeated := _repeated_key(number, obj, json.dumps(obj, ensure_ascii=False)):
                bad.append(repeated)
            elif isinstance(obj, dict):
                objects.append((number, obj))
            else:
                bad.append((number, "malformed_json", None, json.dumps(obj)[:200], "array item is not an object"))
    load_objects(con, objects, source)
    return ReadResult(len(objects) + len(bad), malformed_frame(bad))


def read_file(con: duckdb.DuckDBPyConnection, path: Path, source: SourceConfig) -> ReadResult:
    """Reads one file of a source into batch_read with the reader its format needs."""
    if source.file_format == "csv":
        return read_csv(con, path, source)
    return read_json(con, path, source)
