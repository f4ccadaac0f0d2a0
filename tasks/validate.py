"""Great Expectations suites for staged batches; failures come back as quarantine rows.

Each expectation carries `meta.rule` (the rule name users see in quarantine and summaries) and
runs on the column holding the offending value, so quarantine can show what was wrong.
"""

from __future__ import annotations

import logging
import os
from datetime import datetime
from functools import lru_cache

import pandas as pd

from tasks.normalize import FALSE_WORDS, TRUE_WORDS

log = logging.getLogger(__name__)

# a top-level domain of letters, or an internationalised one in its IDNA form (.рф is .xn--p1ai: nz.email_idna)
EMAIL_REGEX = r"^[a-z0-9!#$%&'*+/=?^_`{|}~.-]+@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*\.(?:[a-z]{2,}|xn--[a-z0-9-]*[a-z0-9])$"
LINKEDIN_REGEX = r"(?i)^(?:https?://)?(?:[a-z]{2,3}\.)?linkedin\.com/in/[^/?#\s]+/?(?:[?#].*)?$"
CONSENT_WORDS = sorted(TRUE_WORDS | FALSE_WORDS)
DATE_MESSAGE = ("not a date/time Candor reads (ISO 8601, epoch seconds or ms, dd.mm.yyyy, yyyy/mm/dd, "
                "nn/nn/yyyy in the source's date_order: mdy unless set to dmy)")
QUARANTINE_COLUMNS = ["row_number", "rule", "field", "value", "message"]
VALIDATE_CHUNK_ROWS = 200_000
# The columns of batch_staged each suite reads (and nothing else: GE copies what it is given).
CHECK_COLUMNS = {
    "candidate": ["row_number", "source_record_id", "record_id_repeated", "contact_raw", "email", "phone_invalid", "country",
                  "applied_at_unparsed", "applied_at_future", "full_name", "linkedin_raw",
                  "consent_email_raw", "consent_sms_raw", "referrer_any", "not_text"],
    "ats_status": ["row_number", "source_record_id", "record_id_repeated", "person_key", "email", "stage", "changed_at_raw",
                   "changed_at_unparsed", "changed_at_future", "not_text"],
}


def _field_type(gxe):
    """Rule field_type: a mapped field holds a JSON object; not_text reads `field: value`, and the
    quarantine row takes its field from the value (validate)."""
    return gxe.ExpectColumnValuesToBeNull(column="not_text", meta={"rule": "field_type", "field": None,
                                                                   "message": "a JSON object where text is expected"})


def _candidate_expectations(gxe, kind: str, now: datetime, iso_countries: list[str]) -> list:
    e = [
        gxe.ExpectColumnValuesToNotBeNull(column="source_record_id", meta={"rule": "record_id_present", "message": "no record id"}),
        gxe.ExpectColumnValuesToBeNull(column="record_id_repeated", meta={"rule": "record_id_unique", "field": "source_record_id", "message": "record id repeated in this file"}),
        gxe.ExpectColumnValuesToNotBeNull(column="contact_raw", meta={"rule": "contact_present", "field": "email", "message": "neither email nor phone"}),
        gxe.ExpectColumnValuesToMatchRegex(column="email", regex=EMAIL_REGEX, meta={"rule": "email_syntax", "message": "not an email address"}),
        gxe.ExpectColumnValueLengthsToBeBetween(column="email", max_value=254, meta={"rule": "email_length", "message": "longer than 254 characters"}),
        gxe.ExpectColumnValuesToBeNull(column="phone_invalid", meta={"rule": "phone_valid", "field": "phone", "message": "not a valid phone number for the source region"}),
        gxe.ExpectColumnValuesToBeInSet(column="country", value_set=iso_countries, meta={"rule": "country_code_valid", "message": "not an ISO-3166 country"}),
        gxe.ExpectColumnValuesToBeNull(column="applied_at_unparsed", meta={"rule": "applied_at_parseable", "field": "applied_at", "message": DATE_MESSAGE}),
        gxe.ExpectColumnValuesToBeNull(column="applied_at_future", meta={"rule": "applied_at_not_future", "field": "applied_at", "message": f"after {now:%Y-%m-%dT%H:%M:%SZ}"}),
        gxe.ExpectColumnValueLengthsToBeBetween(column="full_name", max_value=200, meta={"rule": "name_length", "message": "name longer than 200 characters"}),
        gxe.ExpectColumnValuesToMatchRegex(column="linkedin_raw", regex=LINKEDIN_REGEX, meta={"rule": "linkedin_url_format", "field": "linkedin_url", "message": "not a linkedin.com/in/ profile URL"}),
        gxe.ExpectColumnValuesToBeInSet(column="consent_email_raw", value_set=CONSENT_WORDS, meta={"rule": "consent_value", "field": "consent_email", "message": "not yes/no/true/false"}),
        gxe.ExpectColumnValuesToBeInSet(column="consent_sms_raw", value_set=CONSENT_WORDS, meta={"rule": "consent_value", "field": "consent_sms", "message": "not yes/no/true/false"}),
        _field_type(gxe),
    ]
    if kind == "referrals":
        e.append(gxe.ExpectColumnValuesToNotBeNull(column="referrer_any", meta={"rule": "referrer_present", "field": "referrer_email", "message": "referral names no referrer"}))
    return e


def _stage_change_expectations(gxe, now: datetime) -> list:
    return [
        gxe.ExpectColumnValuesToNotBeNull(column="source_record_id", meta={"rule": "record_id_present", "message": "no record id"}),
        gxe.ExpectColumnValuesToBeNull(column="record_id_repeated", meta={"rule": "record_id_unique", "field": "source_record_id", "message": "record id repeated in this file"}),
        gxe.ExpectColumnValuesToNotBeNull(column="person_key", meta={"rule": "person_key_present", "field": "ats_person_id", "message": "neither candidate id nor email"}),
        gxe.ExpectColumnValuesToMatchRegex(column="email", regex=EMAIL_REGEX, meta={"rule": "email_syntax", "message": "not an email address"}),
        gxe.ExpectColumnValuesToNotBeNull(column="stage", meta={"rule": "stage_present", "message": "no stage"}),
        gxe.ExpectColumnValuesToNotBeNull(column="changed_at_raw", meta={"rule": "changed_at_present", "field": "changed_at", "message": "no changed_at"}),
        gxe.ExpectColumnValuesToBeNull(column="changed_at_unparsed", meta={"rule": "changed_at_parseable", "field": "changed_at", "message": DATE_MESSAGE}),
        gxe.ExpectColumnValuesToBeNull(column="changed_at_future", meta={"rule": "changed_at_not_future", "field": "changed_at", "message": f"after {now:%Y-%m-%dT%H:%M:%SZ}"}),
        _field_type(gxe),
    ]


@lru_cache(maxsize=1)
def _context():
    """One ephemeral GX context per process, with progress bars off and nothing on disk."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    logging.getLogger("great_expectations").setLevel(logging.WARNING)  # its INFO lines are internals
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    # Our own in-memory config: GE's default ephemeral one also sets up a (temporary) docs site.
    config = DataContextConfig(store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False))
    context = gx.get_context(mode="ephemeral", project_config=config)
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    asset = context.data_sources.add_pandas("candor").add_dataframe_asset("staged_batch")
    return gx, context, asset.add_batch_definition_whole_dataframe("whole")


def validate_batch(con, kind: str, now: datetime, chunk_rows: int = VALIDATE_CHUNK_ROWS) -> pd.DataFrame:
    """Validates temp table batch_staged with the suite for the source kind; one row per (row, rule) broken.

    Rows stream to Great Expectations in chunks: every expectation is row-wise (uniqueness is
    computed over the whole batch in SQL as `record_id_repeated`), so chunking changes no result
    and keeps a million-row file's frame from costing a GiB.
    """
    columns = CHECK_COLUMNS["ats_status" if kind == "ats_status" else "candidate"]
    reader = con.sql(f"select {', '.join(columns)} from batch_staged").to_arrow_reader(chunk_rows)
    parts = [validate(chunk.to_pandas(), kind, now) for chunk in reader]
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame(columns=QUARANTINE_COLUMNS).astype({"row_number": "int64"})
    return pd.concat(parts, ignore_index=True)


def validate(frame: pd.DataFrame, kind: str, now: datetime) -> pd.DataFrame:
    """Validates a staged frame with the suite for its kind; returns one row per (row, rule) broken."""
    import great_expectations.expectations as gxe
    import pycountry

    if frame.empty:
        return pd.DataFrame(columns=QUARANTINE_COLUMNS)
    gx, context, batch_definition = _context()
    if kind == "ats_status":
        expectations = _stage_change_expectations(gxe, now)
    else:
        expectations = _candidate_expectations(gxe, kind, now, sorted(c.alpha_2 for c in pycountry.countries))
    suite = gx.ExpectationSuite(name=f"candor_{kind}", expectations=expectations)
    batch = batch_definition.get_batch(batch_parameters={"dataframe": frame})
    result = batch.validate(
        suite,
        result_format={"result_format": "COMPLETE", "unexpected_index_column_names": ["row_number"]},
    )
    failures = []
    for r in result.results:
        if r.success:
            continue
        meta = r.expectation_config.meta or {}
        column = r.expectation_config.kwargs["column"]
        if r.exception_info and r.exception_info.get("raised_exception"):
            raise RuntimeError(f"expectation {meta.get('rule')} on {column} could not run: {r.exception_info}")
        for item in r.result.get("unexpected_index_list") or []:
            value, field = item.get(column), meta.get("field", column)
            if field is None:  # the value names its field: `field: value`
                field, _, value = str(value).partition(": ")
            failures.append((
                int(item["row_number"]), meta["rule"], field,
                None if value is None or value is pd.NA else str(value)[:200], meta.get("message"),
            ))
    return pd.DataFrame(failures, columns=QUARANTINE_COLUMNS).astype({"row_number": "int64"})
