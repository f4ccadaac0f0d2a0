"""Normalizes the batch in `batch_read` into `batch_staged`: SQL for the bulk, Python per distinct value.

Values that need a library (phones via phonenumbers, names via unidecode, countries via pycountry,
internationalised email domains via idna) are parsed once per distinct value in Python and joined
back as lookup tables; everything else is one set-based SQL model (sql/staging/candidate_batch.sql, sql/staging/stage_change_batch.sql).
"""

from __future__ import annotations

import re
from datetime import datetime

import duckdb
import pandas as pd

from tasks import normalize as nz
from tasks.sources.registry import CANONICAL_FIELDS, SourceConfig
from tasks.warehouse import scalar, sql_text

CANDIDATE_COLUMNS = [
    "row_number", "source_record_id", "email_raw", "email", "phone_raw", "phone", "phone_country",
    "phone_type", "first_name", "last_name", "full_name", "first_name_key", "last_name_key",
    "full_name_key", "street", "city", "region", "postal_code", "country", "current_title",
    "current_company", "linkedin_url", "skills", "tags", "job_id", "job_title", "applied_at",
    "stage", "ats_person_id", "referrer_email", "referrer_name", "referrer_employee_id",
    "referral_relationship", "referral_note", "consent_email", "consent_sms",
]
STAGE_CHANGE_COLUMNS = ["row_number", "source_record_id", "ats_person_id", "email", "job_id", "stage", "changed_at"]
# what staging.deleted_records keeps of a candidate record its source deleted: its key and its consent as stated, so
# one that comes back with the same consent keeps its date (sql/staging/consent_dates.sql)
DELETED_COLUMNS = "source_name, source_record_id, consent_email, consent_email_at, consent_sms, consent_sms_at"


def _distinct(con: duckdb.DuckDBPyConnection, *columns: str) -> list[str]:
    union = " union all ".join(f"select {c} as v from batch_read where {c} is not null" for c in columns)
    return [v for (v,) in con.execute(f"select distinct v from ({union})").fetchall()]


def _register(con: duckdb.DuckDBPyConnection, name: str, frame: pd.DataFrame, types: dict[str, str]) -> None:
    """Materializes a lookup frame as a temp table with fixed column types (empty frames included)."""
    con.register(f"{name}_frame", frame)
    try:
        cols = ", ".join(f"{c}::{t} as {c}" for c, t in types.items())
        con.execute(f"create or replace temp table {name} as select {cols} from {name}_frame")
    finally:
        con.unregister(f"{name}_frame")


def build_lookups(con: duckdb.DuckDBPyConnection, region: str) -> None:
    """Parses each distinct name, full name, phone and country of batch_read once, into lookup tables
    (and a phone invalid in the source's region once per record country it comes with: phone_abroad_lookup)."""
    names = _distinct(con, "first_name", "last_name", "full_name")
    displays = [nz.display_name(v) or None for v in names]  # a name of invisible characters, or with no letter, is none
    _register(con, "name_lookup",
              # keys leave titles and suffixes out: 'Dr. Anna' is keyed 'anna', 'Koch II' 'koch'
              pd.DataFrame({"raw": names, "display": displays,
                            "key": [nz.name_key(nz.without_affixes(d, whole=False)) if d else None for d in displays]}, dtype=object),
              {"raw": "varchar", "display": "varchar", "key": "varchar"})
    fulls = [v for (v,) in con.execute(
        "select distinct full_name from batch_read where full_name is not null and first_name is null and last_name is null"
    ).fetchall()]
    parts = [nz.name_parts(nz.display_name(v)) for v in fulls]  # stripped once, for the split and the key
    # a part without a letter is no name either: 'Ann 0001-01-01' is Ann, no last name
    parts = [(bare, *(p if nz.has_letter(p) else None for p in (first, last))) for bare, first, last in parts]
    _register(con, "name_split", pd.DataFrame({
        "raw": fulls,
        "first_name": [f for _, f, _ in parts], "last_name": [l for _, _, l in parts],
        "first_name_key": [nz.name_key(f) for _, f, _ in parts], "last_name_key": [nz.name_key(l) for _, _, l in parts],
        # first then last, whatever order the name was written in: "Müller, Zoë" is keyed as "Zoë Müller" is
        "full_name_key": [nz.name_key(" ".join(p for p in (f, l) if p)) for _, f, l in parts],
    }, dtype=object), dict.fromkeys(["raw", "first_name", "last_name", "first_name_key", "last_name_key", "full_name_key"],
                                    "varchar"))
    phones = pd.Series(_distinct(con, "phone"), dtype=object)
    parsed = nz.phone_frame(phones, region)
    parsed.insert(0, "raw", phones.to_numpy())
    _register(con, "phone_lookup", parsed.reset_index(drop=True),
              dict.fromkeys(["raw", "phone", "phone_country", "phone_type"], "varchar"))
    abroad = con.execute("select phone, country from batch_read where country is not null "
                         "and phone in (select raw from phone_lookup where phone is null)").df()
    _register(con, "phone_abroad_lookup", nz.phone_abroad_frame(abroad["phone"], abroad["country"], region),
              dict.fromkeys(["raw", "country", "phone", "phone_country", "phone_type"], "varchar"))
    countries = _distinct(con, "country")
    _register(con, "country_lookup", pd.DataFrame({"raw": countries, "code": [nz.country_code(c) for c in countries]}, dtype=object),
              {"raw": "varchar", "code": "varchar"})


def idna_addresses(con: duckdb.DuckDBPyConnection, table: str, columns: list[str]) -> int:
    """Rewrites each address in table.columns at an internationalised domain into its IDNA form (nz.email_idna),
    once per distinct address, after staging.email_address read it in SQL; returns the distinct addresses read.

    Only values holding a non-ASCII character (more bytes than characters) reach Python: one scan per
    column for the rest, which are left as they are.
    """
    union = " union ".join(f"select {c} as raw from {table} where strlen({c}) <> length({c})" for c in columns)
    values = [v for (v,) in con.execute(union).fetchall()]
    if not values:
        return 0
    _register(con, "idna_lookup", pd.DataFrame({"raw": values, "email": [nz.email_idna(v) for v in values]}, dtype=object),
              {"raw": "varchar", "email": "varchar"})
    for column in columns:
        con.execute(f"update {table} set {column} = l.email from idna_lookup as l "
                    f"where {table}.{column} = l.raw and l.email <> l.raw")
    con.execute("drop table idna_lookup")
    return len(values)


def ensure_canonical_columns(con: duckdb.DuckDBPyConnection) -> None:
    """Adds every canonical field the source does not map to batch_read, as NULL text (and `not_text`,
    which only the JSON readers fill: files.load_objects)."""
    have = {r[0] for r in con.execute("describe batch_read").fetchall()}
    for field in (*CANONICAL_FIELDS, "not_text"):
        if field not in have:
            con.execute(f"alter table batch_read add column {field} varchar")


def blank_placeholders(con: duckdb.DuckDBPyConnection) -> int:
    """Sets every canonical field of batch_read holding a placeholder (N/A, -, none …: nz.PLACEHOLDERS)
    to NULL, the record id excepted; returns the rows changed. The raw payload keeps what was written.

    Only rows whose payload holds a placeholder as some JSON string are tested field by field: one
    regular expression per row instead of a lowercased copy of every field (0.7 s instead of 4 s for a
    million rows of 27 fields with 1% of them holding one, on a busy 2-core machine).
    """
    fields = [f for f in CANONICAL_FIELDS if f != "source_record_id"]
    pattern = r'(?i):\s*"\s*(?:' + "|".join(re.escape(p) for p in sorted(nz.PLACEHOLDERS)) + r')\s*"'
    con.execute("create or replace temp table batch_placeholder_rows as "
                "select row_number from batch_read where regexp_matches(payload, $pattern)", {"pattern": pattern})
    test = "list_contains($placeholders, lower(trim({})))"
    return scalar(con, f"update batch_read set {', '.join(f'{f} = if({test.format(f)}, null, {f})' for f in fields)} "
                       f"where row_number in (select row_number from batch_placeholder_rows) "
                       f"and ({' or '.join(test.format(f) for f in fields)})", {"placeholders": sorted(nz.PLACEHOLDERS)})


def letterless_names(con: duckdb.DuckDBPyConnection) -> int:
    """The rows of batch_read whose first, last or full name holds no letter (name_lookup's display is none):
    staged without that name, the payload keeping what was written."""
    return scalar(con, "select count(*) from batch_read where exists (select 1 from name_lookup l where l.display is null "
                       "and l.raw in (first_name, last_name, full_name))")


def stage(con: duckdb.DuckDBPyConnection, source: SourceConfig, now: datetime, default_region: str) -> tuple[int, int]:
    """Normalizes batch_read into batch_staged with the model for the source's kind; phones without a
    country code are read in the source's `phone_region`, else in CANDOR_DEFAULT_REGION. Returns the
    rows holding placeholders read as missing values (blank_placeholders), and those holding a name
    without a letter, staged without it (letterless_names)."""
    ensure_canonical_columns(con)
    placeholders = blank_placeholders(con)
    if source.kind == "ats_status":
        con.execute(f"create or replace temp table batch_staged as {sql_text('staging/stage_change_batch')}",
                    {"now": now, "day_first": source.date_order == "dmy", "timezone": source.timezone})
        idna_addresses(con, "batch_staged", ["email"])
        return placeholders, 0
    build_lookups(con, source.phone_region or default_region)
    letterless = letterless_names(con)
    con.execute(
        f"create or replace temp table batch_staged as {sql_text('staging/candidate_batch')}",
        {"now": now, "day_first": source.date_order == "dmy", "timezone": source.timezone, "true_words": sorted(nz.TRUE_WORDS), "false_words": sorted(nz.FALSE_WORDS)},
    )
    idna_addresses(con, "batch_staged", ["email", "referrer_email"])
    return placeholders, letterless
