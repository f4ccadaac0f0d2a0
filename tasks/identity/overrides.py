"""Reviewer decisions in CANDOR_HOME/config/identity_overrides.yaml: pairs that must or must not be one person.

```yaml
must_link:   [[stackjobs:SJ-000123, referrals:REF-00042]]
cannot_link: [[ats_export:GH-40001, career_site:CS-0007]]
```
Records are `source_name:source_record_id`. Every error names the file and line; a pair whose
record its source deleted is reported and left out.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Annotated

import duckdb
import pandas as pd
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from tasks.config import ConfigError, line_of, load_model, read_yaml

log = logging.getLogger(__name__)

FILE_NAME = "identity_overrides.yaml"


def _record_key(key: str) -> str:
    source, sep, record = key.partition(":")
    if not (sep and source and record):
        # the value is not repeated: what stands here instead of a key is often a candidate's name,
        # address or phone, and the error reaches stderr, logs and Prefect's state message
        raise ValueError("not source_name:source_record_id")
    return key


def _text_key(value: object) -> object:
    # what a reviewer writes instead of a record key most often: a person id copied from `candor explain`,
    # or `source: id` with a blank, which YAML reads as a mapping ("Input should be a valid string" said neither)
    if isinstance(value, int) and not isinstance(value, bool):
        raise ValueError("a number (a person id?) is no record key: pairs name records, source_name:source_record_id, "
                         "as `candor explain PERSON_ID` lists them")
    if isinstance(value, dict):
        raise ValueError("not source_name:source_record_id (a blank after the colon makes YAML read a mapping)")
    return value


# a token that can only be a record key: source:id, no blank, no @ (an email, a name or a phone is not repeated)
_KEY_FORM = re.compile(r"[\w.-]+:[\w./-]+")


def _two_records(value: object) -> object:
    # a pair of the wrong length said "must_link.0.1: Field required" or "Tuple should have at most 2 items",
    # naming neither the records nor the likely slip (a missing comma: `[a:1 b:2]` is one value)
    values = [value] if isinstance(value, str) else value if isinstance(value, (list, tuple)) else None
    if values is None or (len(values) == 2 and not isinstance(value, str)):
        return value
    named = [token for v in values if isinstance(v, str) for token in re.split(r"[\s,]+", v) if _KEY_FORM.fullmatch(token)]
    held = "text, not a list" if isinstance(value, str) else f"{len(values)} value(s)"
    raise ValueError(f"a pair is a list of two records, [source:id, source:id]; this one holds {held}"
                     + (f": {', '.join(named)}" if named else "")
                     + (" (a comma missing between them?)" if isinstance(value, list) and len(values) == 1
                        and len(named) > 1 else ""))


def _distinct(pair: tuple[str, str]) -> tuple[str, str]:
    if pair[0] == pair[1]:
        raise ValueError(f"a record paired with itself: {pair[0]!r}")
    return pair


RecordKey = Annotated[str, BeforeValidator(_text_key), AfterValidator(_record_key)]
Pair = Annotated[tuple[RecordKey, RecordKey], BeforeValidator(_two_records), AfterValidator(_distinct)]
# a key left with no pairs (its last pair deleted) is an empty list
Pairs = Annotated[list[Pair], BeforeValidator(lambda v: [] if v is None else v)]


class Overrides(BaseModel):
    """must_link and cannot_link lists of record pairs."""

    model_config = ConfigDict(extra="forbid")
    must_link: Pairs = Field(default_factory=list)
    cannot_link: Pairs = Field(default_factory=list)

    def frame(self) -> pd.DataFrame:
        """Both lists as rows (kind, record_key_l, record_key_r), l < r, a pair listed twice (either way round) once."""
        rows = [(kind, min(a, b), max(a, b)) for kind, pairs in (("must_link", self.must_link),
                                                                  ("cannot_link", self.cannot_link))
                for a, b in pairs]
        return pd.DataFrame(list(dict.fromkeys(rows)), columns=["kind", "record_key_l", "record_key_r"])


def read_overrides(config_dir: Path) -> Overrides:
    """The overrides file as written (absent = none), without the warehouse; ConfigError naming file and line
    when it is no YAML, a key is unknown or a record key has not the form source_name:source_record_id."""
    path = config_dir / FILE_NAME
    return load_model(path, Overrides) if path.exists() else Overrides()


def load_overrides(con: duckdb.DuckDBPyConnection, config_dir: Path) -> Overrides:
    """Reads the overrides file (read_overrides) and checks every record exists in staging; raises ConfigError.

    A pair naming a record its source has deleted since (staging.deleted_records) is reported and
    left out: a deletion upstream must not stop every later run. A record never staged is an error.
    """
    path = config_dir / FILE_NAME
    if not path.exists():
        return Overrides()
    overrides = read_overrides(config_dir)
    _, node = read_yaml(path)
    frame = overrides.frame()
    problems: list[str] = []
    keys = sorted(set(frame["record_key_l"]) | set(frame["record_key_r"]))
    known = {k for (k,) in con.execute(
        "select source_name || ':' || source_record_id from staging.candidate_records "
        "where source_name || ':' || source_record_id in (select unnest(?))", [keys]).fetchall()}
    deleted = {k for (k,) in con.execute(
        "select distinct source_name || ':' || source_record_id from staging.deleted_records "
        "where source_name || ':' || source_record_id in (select unnest(?))", [keys]).fetchall()} - known
    # each pair kept with its position in the file: errors name the file's index and line, also after
    # a pair above it was left out
    kept: dict[str, list[tuple[int, str, str]]] = {"must_link": [], "cannot_link": []}
    for kind in kept:
        for i, (a, b) in enumerate(getattr(overrides, kind)):
            where = f"{path}:{line_of(node, (kind, i)) or 1}: {kind}.{i}"
            unknown = [k for k in (a, b) if k not in known and k not in deleted]
            gone = [k for k in (a, b) if k in deleted]
            if unknown:
                problems.append(f"{where}: unknown record(s) {', '.join(unknown)} (not in staging.candidate_records)")
            elif gone:
                log.warning("%s: left out, record(s) %s deleted by their source", where, ", ".join(gone))
            else:
                kept[kind].append((i, a, b))
    problems += _contradictions(path, node, kept)
    if problems:
        raise ConfigError("\n".join(problems))
    return overrides.model_copy(update={kind: [(a, b) for _, a, b in pairs] for kind, pairs in kept.items()})


def _contradictions(path: Path, node, kept: dict[str, list[tuple[int, str, str]]]) -> list[str]:
    """A cannot_link pair whose records must_link pairs join, directly or through other records
    (a-b, b-c must; a-c cannot): one of them could not be honoured, so it is an error naming both.
    `kept` holds (position in the file, record, record) per kind."""
    parent: dict[str, str] = {}

    def root(key: str) -> str:
        while parent.get(key, key) != key:
            key = parent[key]
        return key

    for _, a, b in kept["must_link"]:
        parent[root(a)] = root(b)
    chains: dict[str, list[str]] = {}
    for i, a, b in kept["must_link"]:
        chains.setdefault(root(a), []).append(f"must_link.{i} (line {line_of(node, ('must_link', i)) or 1})")
    return [f"{path}:{line_of(node, ('cannot_link', i)) or 1}: cannot_link.{i}: {a} and {b} are one person by "
            f"{', '.join(chains[root(a)])}"
            for i, a, b in kept["cannot_link"] if root(a) == root(b)]
