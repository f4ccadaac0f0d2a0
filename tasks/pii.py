"""Masks emails, phone numbers and quoted data values before anything reaches a log line or an artifact."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from pathlib import Path

import duckdb

# \w: letters of any script, so ana@café.fr and jürgen@müller.de are masked too
_EMAIL = re.compile(r"([\w.%+-])[\w.%+-]*@([\w-])[\w.-]*\.(\w{2,})")
# International numbers (+ or 00), North-American style groups ((415)555-2671 too), and national
# numbers with their trunk 0 and a separator or a bracketed area code (0175 2737226, 030/12345678,
# (030) 12345678, 07700 900123); plain counts like 1000000 stay readable.
_PHONE = re.compile(r"\+\d[\d ()./-]{6,}\d|\b00[1-9][\d ()./-]{6,}\d"
                    r"|(?:\(\d{3}\) ?|\b\d{3}[ .-])\d{3}[ .-]\d{4}\b|(?:\b0\d{2,4}[ /-]|\(0\d{2,4}\) ?)\d{5,8}\b")


def mask_email(value: str | None) -> str:
    """Returns `j***@e***.com` for an email address."""
    if not value:
        return ""
    return _EMAIL.sub(lambda m: f"{m.group(1)}***@{m.group(2)}***.{m.group(3)}", value)


def mask_phone(value: str | None) -> str:
    """Returns the phone with all but its last two digits hidden."""
    if not value:
        return ""
    digits = re.sub(r"\D", "", value)
    return "***" + digits[-2:] if digits else "***"


def mask_text(text: str) -> str:
    """Masks every email and phone-like run of digits inside free text."""
    return _PHONE.sub(lambda m: mask_phone(m.group(0)), mask_email(text))


# from the first quote to the last on a line: a value may hold quotes of either kind (O'Brien); a quote
# the line does not close reaches the next quote on a later line (a value with a line break: 'Zelda<newline>
# Quixote' hid Zelda and showed Quixote), or hides the rest of its line when none follows (a first line alone)
_QUOTED = re.compile(r"['\"](?:.*['\"]|[\s\S]*?['\"]|.*$)", re.MULTILINE)


def mask_quoted(text: str) -> str:
    """Hides what a database error quotes (DuckDB quotes the value a cast or parse failed on: a name,
    an address), keeping the rest of the message: `Could not convert string '***' to INT32`. A quoted
    absolute path in an existing folder (but the root) stays (`Could not write file '/…/candor.duckdb.wal': File
    too large`): it says which file failed, and it is no record's value (emails in it are masked before)."""
    return _QUOTED.sub(lambda m: m.group() if _is_a_path(m.group()[1:-1]) else "'***'", text)


def _is_a_path(text: str) -> bool:
    """Whether the text is an absolute path in an existing folder but the root (a file DuckDB failed to
    write may be gone by the time the error is masked: a write-ahead log rolled back)."""
    path = Path(text)
    try:
        return path.is_absolute() and path.parent != path.parent.parent and path.parent.is_dir()
    except (OSError, ValueError):   # too long for the system, or a NUL byte
        return False


class MaskedError(Exception):
    """Base of errors whose message is masked where it is made: besides logs, Prefect keeps a failed
    run's exception message as its state message (and pickles the exception under PREFECT_HOME), and
    the CLI prints it; none of those pass through the log masking in tasks/__init__.py."""

    def __init__(self, message: str) -> None:
        super().__init__(mask_text(message))


def masked(fn: Callable) -> Callable:
    """`fn`, re-raising an unexpected exception (same object, same type) with its message masked.

    Prefect keeps a failed task's exception message as the state message of the task and flow runs
    (in its database, shown in the UI) and pickles the exception with the result; neither passes the
    log masking in tasks/__init__.py. Errors of Candor's own (MaskedError) are masked where they are
    made; a DuckDB error also loses what it quotes (a value a cast failed on: a name, an address).
    """
    @functools.wraps(fn)
    def run(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except MaskedError:
            raise
        except Exception as exc:
            mask = (lambda text: mask_quoted(mask_text(text))) if isinstance(exc, duckdb.Error) else mask_text
            exc.args = tuple(mask(a) if isinstance(a, str) else a for a in exc.args)
            raise
    return run
