"""Segments: config/segments.yaml -> parameterized SQL over core.segment_people -> membership history.

A segment is one condition; conditions combine with all/any/not. Every value is bound as a
parameter; only the `where:` escape hatch is SQL text, and it is checked against the view before
use. core.segment_memberships keeps one row per stay (entered_at, exited_at), so re-running with
the same data changes nothing and "who entered this week" is a query.
"""

from __future__ import annotations

import json
import logging
import unicodedata
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated, Literal

import duckdb
import pycountry
import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PositiveInt, field_validator, model_validator

from tasks.config import ConfigError, line_of, load_model, read_yaml
from tasks.journey.events import CHANNELS
from tasks.journey.stages import PROGRESS, Stage, build_stage_tables
from tasks.normalize import country_code
from tasks.pii import mask_quoted
from tasks.sources.registry import CHANNELS as SOURCE_CHANNELS
from tasks.warehouse import build, connect, migrate, scalar, select

log = logging.getLogger(__name__)

SENIORITY = ("intern", "junior", "mid", "senior", "lead", "staff", "principal", "manager", "director", "executive")
ENGAGEMENT_HALF_LIFE_DAYS = 30
Seniority = Literal[SENIORITY]  # type: ignore[valid-type]
Progress = Literal[PROGRESS]  # type: ignore[valid-type]
Channel = Literal[CHANNELS]  # type: ignore[valid-type]
SourceChannel = Literal[SOURCE_CHANNELS]  # type: ignore[valid-type]
_STRICT = ConfigDict(extra="forbid", populate_by_name=True)


class ClockBehindHistory(RuntimeError):
    """The run's clock is earlier than a segment entry or exit already recorded (a replay on the live warehouse)."""

    expected = True  # logs carry the message without a traceback (see tasks/__init__.py)


def _exactly_one(model: BaseModel, what: str, ignore: tuple[str, ...] = ()) -> None:
    given = [n for n in model.model_fields_set if n not in ignore and getattr(model, n) is not None]
    if len(given) != 1:
        fields = [f.alias or n for n, f in type(model).model_fields.items() if n not in ignore]
        raise ValueError(f"{what} needs exactly one of {fields}; got {sorted(given) or 'none'}")


class Words(BaseModel):
    """`any:` or `all:` of a list of words (skills, tags, title keywords), case-insensitive."""

    model_config = _STRICT
    any: list[str] | None = Field(default=None, min_length=1)
    all: list[str] | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _one(self) -> "Words":
        _exactly_one(self, "a word match")
        return self


class Values(BaseModel):
    """`in:` or `not_in:` a list of values."""

    model_config = _STRICT
    in_: list[str] | None = Field(default=None, alias="in", min_length=1)
    not_in: list[str] | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _one(self) -> "Values":
        _exactly_one(self, "a value match")
        return self


class SeniorityValues(Values):
    """`in:` or `not_in:` seniority levels."""

    in_: list[Seniority] | None = Field(default=None, alias="in", min_length=1)
    not_in: list[Seniority] | None = Field(default=None, min_length=1)


def _country(value: str) -> str:
    """A segment's country read as staging reads a record's (`UK`, `Germany`, `deu` -> GB, DE, DE), or a ValueError.

    Compared as written, `in: [UK]` matched nobody and `not_in: [USA]` everyone: staging stores ISO codes and
    quarantines any other value (country_code_valid), so a value that is no country can never match.
    """
    code = country_code(value)
    if pycountry.countries.get(alpha_2=code) is None:
        raise ValueError(f"{value!r} is no country: write its ISO 3166 code (GB, DE, US) or its name, "
                         "as a record's country is read")
    return code


class CountryValues(Values):
    """`in:` or `not_in:` countries: ISO 3166 codes or names, read as staging reads them."""

    in_: list[Annotated[str, AfterValidator(_country)]] | None = Field(default=None, alias="in", min_length=1)
    not_in: list[Annotated[str, AfterValidator(_country)]] | None = Field(default=None, min_length=1)


class ChannelValues(Values):
    """`in:` or `not_in:` the channels sources.yaml gives its sources."""

    in_: list[SourceChannel] | None = Field(default=None, alias="in", min_length=1)
    not_in: list[SourceChannel] | None = Field(default=None, min_length=1)


class StageValues(Values):
    """`in:` or `not_in:` canonical stages."""

    in_: list[Stage] | None = Field(default=None, alias="in", min_length=1)
    not_in: list[Stage] | None = Field(default=None, min_length=1)


class FurthestStage(BaseModel):
    """Furthest progress stage reached: `in`, `not_in`, `at_least` or `at_most` (funnel order)."""

    model_config = _STRICT
    in_: list[Progress] | None = Field(default=None, alias="in", min_length=1)
    not_in: list[Progress] | None = Field(default=None, min_length=1)
    at_least: Progress | None = None
    at_most: Progress | None = None

    @model_validator(mode="after")
    def _one(self) -> "FurthestStage":
        _exactly_one(self, "a furthest_stage match")
        return self


def _nodes(node: object) -> Iterator[dict]:
    """Every expression node of a parsed statement (json_serialize_sql's tree)."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _nodes(value)
    elif isinstance(node, list):
        for value in node:
            yield from _nodes(value)


def check_predicate(where: str) -> None:
    """A `where:` is one SQL expression over the columns of core.segment_people, or a ValueError.

    It is pasted into `where (...)`: text that closed the parenthesis (`false) union all (select ...`)
    added any person to any segment, and a subquery read any table (staging's addresses) or file
    (read_text). Parsed here, without the warehouse, so the nightly's preflight refuses it.
    """
    if ";" in where:
        raise ValueError("must be one SQL predicate (no `;`)")
    try:
        duckdb.SQLExpression(where)
    except duckdb.Error as exc:
        raise ValueError(f"must be one SQL predicate: {str(exc).splitlines()[0]}") from None
    with closing(duckdb.connect()) as con:  # closing: a wrapped connection need not be a context manager
        tree = json.loads(con.execute("select json_serialize_sql(?)", [f"select ({where}\n)"]).fetchone()[0])
        nodes = list(_nodes(tree))
        if tree.get("error") or any(n.get("class") == "SUBQUERY" for n in nodes):
            raise ValueError("reads only the columns of core.segment_people: no subquery (select, exists, in (select ...))")
        # nextval/setval write a sequence, random() moves people in and out on every run, sleep_ms holds the writer
        called = sorted({n["function_name"].lower() for n in nodes if n.get("class") == "FUNCTION"})
        volatile = [name for (name,) in con.execute(
            "select distinct function_name from duckdb_functions() where (stability = 'VOLATILE' or has_side_effects) "
            "and function_name in (select unnest(?::varchar[])) order by 1", [called]).fetchall()]
    if volatile:
        raise ValueError(f"calls {', '.join(volatile)}, which give another answer on each call or write: a segment is "
                         "a condition on the person's columns and the run's clock (a stable sample: hash(person_id) % 10 = 0)")


class Condition(BaseModel):
    """One condition; exactly one key. See docs/journey.md for the fields."""

    model_config = _STRICT
    all_: list["Condition"] | None = Field(default=None, alias="all", min_length=1)
    any_: list["Condition"] | None = Field(default=None, alias="any", min_length=1)
    not_: "Condition | None" = Field(default=None, alias="not")
    skills: Words | None = None
    tags: Words | None = None
    title: Words | None = None
    seniority: SeniorityValues | None = None
    country: CountryValues | None = None
    region: Values | None = None
    city: Values | None = None
    source: Values | None = None
    channel: ChannelValues | None = None
    stage: StageValues | None = None
    furthest_stage: FurthestStage | None = None
    engaged_within_days: PositiveInt | None = None
    not_engaged_for_days: PositiveInt | None = None
    referred: bool | None = None
    silver_medalist: bool | None = None
    hired_alumni: bool | None = None
    contactable: Channel | None = None
    where: str | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _one(self) -> "Condition":
        _exactly_one(self, "a condition", ignore=("description",))
        return self

    @field_validator("where")
    @classmethod
    def _one_predicate(cls, where: str | None) -> str | None:
        if where is not None:
            check_predicate(where)
        return where


Condition.model_rebuild()


class Segment(Condition):
    """A named segment: a description and one condition."""

    description: str | None = None


class SegmentsFile(BaseModel):
    """config/segments.yaml: segment name -> segment."""

    model_config = ConfigDict(extra="forbid")
    segments: dict[str, Segment]

    @model_validator(mode="after")
    def _names(self) -> "SegmentsFile":
        bad = [n for n in self.segments if not n.replace("_", "").replace("-", "").isalnum()]
        if bad:
            raise ValueError(f"segment names are letters, digits, - and _; got {bad}")
        return self


@dataclass
class SegmentsConfig:
    """The validated segments and where they came from (for line numbers in later errors)."""

    path: Path
    model: SegmentsFile
    node: yaml.Node | None

    def line(self, loc: tuple) -> int:
        """The 1-based line of a location inside the file."""
        return line_of(self.node, loc) or 1


def load_segments(config_dir: Path) -> SegmentsConfig:
    """Reads config/segments.yaml; errors name file, line and the segment's path."""
    path = config_dir / "segments.yaml"
    config = SegmentsConfig(path, load_model(path, SegmentsFile), read_yaml(path)[1])
    # memberships are keyed by the name as written: `Warm` beside `warm` (or a full-width ｗａｒｍ) made two
    # segments that dashboards and people read as one
    seen: dict[str, str] = {}
    for name in config.model.segments:
        key = unicodedata.normalize("NFKC", name).casefold()
        if key in seen:
            first = seen[key]
            raise ConfigError(f"{path}:{config.line(('segments', name))}: segments.{name}: the same name as "
                              f"segments.{first} (line {config.line(('segments', first))}) but for case or width; "
                              "rename one, or merge the two")
        seen[key] = name
    return config


# -- compilation ------------------------------------------------------------------------------

# Single-valued columns matched with in/not_in (values folded the way the column is).
_VALUE_COLUMNS = {"country": "upper(country)", "region": "lower(region)", "city": "lower(city)",
                 "seniority": "seniority", "stage": "current_stage"}


def _norm(field: str, values: list[str]) -> list[str]:
    return [v.upper() if field == "country" else v.lower() for v in values]


def compile_condition(cond: Condition, now: datetime, loc: tuple, where_loc: list) -> tuple[str, list]:
    """Turns a condition into (SQL predicate over core.segment_people, parameters); records where: locations."""
    field = next(n for n in cond.model_fields_set if n != "description" and getattr(cond, n) is not None)
    value = getattr(cond, field)
    if field in ("all_", "any_"):
        parts = [compile_condition(c, now, (*loc, field.rstrip("_"), i), where_loc) for i, c in enumerate(value)]
        joiner = " and " if field == "all_" else " or "
        return "(" + joiner.join(sql for sql, _ in parts) + ")", [p for _, params in parts for p in params]
    if field == "not_":
        sql, params = compile_condition(value, now, (*loc, "not"), where_loc)
        return f"(not coalesce({sql}, false))", params
    if field in ("skills", "tags"):
        words = [w.lower() for w in (value.any or value.all)]
        fn = "list_has_any" if value.any else "list_has_all"
        return f"{fn}({field}, ?::varchar[])", [words]
    if field == "title":
        words = [w.lower() for w in (value.any or value.all)]
        fn = "list_bool_or" if value.any else "list_bool_and"
        return f"coalesce({fn}(list_transform(?::varchar[], lambda w: contains(title_key, w))), false)", [words]
    if field in _VALUE_COLUMNS:
        values = _norm(field, value.in_ or value.not_in)
        sql = f"list_contains(?::varchar[], {_VALUE_COLUMNS[field]})"
        return (sql if value.in_ else f"not coalesce({sql}, false)"), [values]
    if field in ("source", "channel"):
        column = f"{field}s"
        values = [v.lower() for v in (value.in_ or value.not_in)]
        sql = f"list_has_any({column}, ?::varchar[])"
        return (sql if value.in_ else f"not {sql}"), [values]
    if field == "furthest_stage":
        rank = "list_position(?::varchar[], furthest_stage)"
        if value.at_least or value.at_most:
            op, stage = (">=", value.at_least) if value.at_least else ("<=", value.at_most)
            return f"{rank} {op} ?", [list(PROGRESS), PROGRESS.index(stage) + 1]
        sql = "list_contains(?::varchar[], furthest_stage)"
        return (sql if value.in_ else f"not {sql}"), [value.in_ or value.not_in]
    if field == "engaged_within_days":
        return "last_engaged_at >= ?::timestamptz - to_days(?)", [now, value]
    if field == "not_engaged_for_days":
        return "(last_engaged_at is null or last_engaged_at < ?::timestamptz - to_days(?))", [now, value]
    if field in ("referred", "silver_medalist", "hired_alumni"):
        column = {"referred": "is_referred", "silver_medalist": "is_silver_medalist",
                  "hired_alumni": "is_hired_alumni"}[field]
        return f"coalesce({column}, false) = ?", [value]
    if field == "contactable":
        return f"is_{value}_allowed", []
    where_loc.append(((*loc, "where"), value))
    return f"({value}\n)", []  # the line break ends a `-- comment` at the end of the predicate


@dataclass
class CompiledSegment:
    """A segment's name, SQL predicate and parameters."""

    name: str
    sql: str
    params: list
    origin: str = ""  # `file:line: segments.NAME.where`, for errors the data raises only when the segment is evaluated


def compile_segments(config: SegmentsConfig, con: duckdb.DuckDBPyConnection, now: datetime) -> list[CompiledSegment]:
    """Compiles every segment; checks each `where:` against core.segment_people (ConfigError: file:line: segment)."""
    compiled = []
    for name, segment in config.model.segments.items():
        where_loc: list = []
        sql, params = compile_condition(segment, now, ("segments", name), where_loc)
        for loc, predicate in where_loc:
            try:
                kind = con.execute(f"describe select ({predicate}\n) from core.segment_people").fetchone()[1]
                if kind != "BOOLEAN":  # DuckDB casts a where's value: `1` was everyone, a name failed on the data
                    raise ValueError(f"it is a {kind} expression, not a boolean (a condition true or false per person)")
            except (duckdb.Error, ValueError) as exc:
                field = ".".join(str(p) for p in loc)
                raise ConfigError(f"{config.path}:{config.line(loc)}: {field}: segment {name!r}: "
                                  f"invalid where predicate: {str(exc).splitlines()[0]}") from None
        # only a `where:` is free SQL that can fail on values: errors point at it
        loc = where_loc[0][0] if where_loc else ("segments", name)
        compiled.append(CompiledSegment(name, sql, params, f"{config.path}:{config.line(loc)}: {'.'.join(map(str, loc))}"))
    return compiled


def _source_conditions(cond: Condition, loc: tuple) -> Iterator[tuple[tuple, Values]]:
    """Every `source:` condition inside a condition, with its location in the file."""
    for field in ("all_", "any_"):
        for i, part in enumerate(getattr(cond, field) or []):
            yield from _source_conditions(part, (*loc, field.rstrip("_"), i))
    if cond.not_ is not None:
        yield from _source_conditions(cond.not_, (*loc, "not"))
    if cond.source is not None:
        yield (*loc, "source"), cond.source


def warn_unheld_sources(config: SegmentsConfig, con: duckdb.DuckDBPyConnection) -> list[str]:
    """Logs, and returns, a warning for each `source:` value no person's records come from (core.segment_people).

    A source's name is whatever sources.yaml calls it, and a source sources.yaml no longer names may still
    hold staged records, so a value is not refused; but `source: {in: [stakjobs]}` matched nobody without a
    word (and `not_in` excluded nobody), where a country or channel no record can hold is a config error.
    """
    conditions = [(name, loc, values) for name, segment in config.model.segments.items()
                  for loc, values in _source_conditions(segment, ("segments", name))]
    if not conditions:  # no query (0.045 s at 1M persons)
        return []
    held = {name for (name,) in con.execute("select distinct unnest(sources) from core.segment_people").fetchall()}
    warnings = []
    for name, loc, values in conditions:
        for value in values.in_ or values.not_in:
            if value.lower() not in held:
                warnings.append(f"{config.path}:{config.line(loc)}: {'.'.join(map(str, loc))}: segment {name!r}: "
                                f"no person's records come from source {value!r}, so it "
                                f"{'matches' if values.in_ else 'excludes'} nobody (sources held: "
                                f"{', '.join(sorted(held)) or 'none'})")
    for warning in warnings:
        log.warning("%s", warning)
    return warnings


def check_segments(config: SegmentsConfig, stage_map: dict[str, str], now: datetime) -> None:
    """Binds every `where:` against an empty core.segment_people of this release (ConfigError: file:line: segment).

    The nightly's preflight runs it before ingest: a typo in a where: (an unknown column) otherwise failed the
    night at its last step, after ingest, resolve, consent and stages had committed. An in-memory warehouse,
    migrated and built empty, has the columns this release gives core.segment_people, with no lock and no data.
    """
    from tasks.journey.consent import create_views  # consent's views feed core.segment_people

    with connect(":memory:") as con:
        migrate(con)
        create_views(con)
        build_stage_tables(con, stage_map)
        build_segment_people(con, now)
        compile_segments(config, con, now)


def build_segment_people(con: duckdb.DuckDBPyConnection, now: datetime) -> int:
    """Rebuilds core.segment_people (one row per person, the fields segments use)."""
    return build(con, "core/segment_people", {"now": now, "half_life_days": ENGAGEMENT_HALF_LIFE_DAYS})


def apply_segments(con: duckdb.DuckDBPyConnection, segments: list[CompiledSegment], now: datetime) -> list[dict]:
    """Evaluates the segments into core.segment_current, records entries/exits in core.segment_memberships; returns size, entered, exited."""
    # a clock behind the history (CANDOR_NOW replaying an earlier day on the live warehouse) would date exits
    # before their entries: stays running backwards, which the next resolve run's checks refuse
    latest = con.execute("select max(greatest(entered_at, coalesce(exited_at, entered_at))) "
                         "from core.segment_memberships").fetchone()[0]
    if latest is not None and now < latest:
        raise ClockBehindHistory(
            f"the run's clock ({now.isoformat()}) is before the last recorded segment change ({latest.isoformat()}): "
            "a replay of an earlier day (CANDOR_NOW) belongs on a copy of the warehouse; the segments step wrote "
            "nothing (the consent and stages steps, which do not read the clock, ran as on any run)")
    con.execute("create or replace table core.segment_current as "
                "select null::varchar as segment, person_id from core.segment_people where false")
    # one statement per segment (each one scan, as each branch of one union was): a predicate that fails
    # on a person's value (a cast, a pattern the check in compile_segments cannot see) names its segment
    # itself; running them again to find it cannot work inside the step's transaction, which the error aborted
    for seg in segments:
        try:
            con.execute(f"insert into core.segment_current select ?, person_id from core.segment_people where {seg.sql}",
                        [seg.name, *seg.params])
        except duckdb.Error as exc:
            raise ConfigError(f"{seg.origin}: segment {seg.name!r}: its condition fails on the data: "
                              f"{mask_quoted(str(exc).splitlines()[0])}") from None
    # a person merged into another is the same human: their stays follow the merge (the earliest open
    # stay of a segment is kept), so a merge is neither an exit nor a new entry
    # only the persons stays moved to can hold two open stays of a segment: the others are not
    # partitioned (200 segments at 300k persons: 14.5M open stays sorted on a night without merges)
    con.execute("""
        create or replace temp table segment_heirs as
        select distinct x.successor_id as person_id
        from core.segment_memberships m join core.person_successors x on x.is_merged and m.person_id = x.person_id
    """)
    if scalar(con, "select count(*) from segment_heirs"):
        con.execute("""
            update core.segment_memberships m set person_id = x.successor_id
            from core.person_successors x
            where x.is_merged and m.person_id = x.person_id
        """)
        con.execute("""
            delete from core.segment_memberships where rowid in (
                select rowid from (
                    select rowid, row_number() over (partition by segment, person_id order by entered_at) as n
                    from core.segment_memberships
                    where exited_at is null and person_id in (select person_id from segment_heirs))
                where n > 1)
        """)
    con.execute("drop table segment_heirs")
    build(con, "core/segment_changes")
    con.execute("""
        update core.segment_memberships m set exited_at = ?
        from core.segment_changes x
        where x.is_exiting and m.segment = x.segment and m.person_id = x.person_id and m.exited_at is null
    """, [now])
    con.execute("insert into core.segment_memberships select segment, person_id, ?, null "
                "from core.segment_changes where is_entering", [now])
    rows = select(con, "core/segment_summary", {"names": [s.name for s in segments]}).to_dict("records")
    for row in rows:
        log.info("segment %s: %d persons (%d entered, %d exited)", row["segment"], row["size"], row["entered"], row["exited"])
    return rows
