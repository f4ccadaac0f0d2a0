"""Turns a parsed file's canonical fields into staging rows plus the check columns validation reads."""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from tasks import normalize as nz
from tasks.sources.registry import SourceConfig

CANDIDATE_COLUMNS = [
    "row_number", "source_record_id", "email_raw", "email", "phone_raw", "phone", "phone_country",
    "phone_type", "first_name", "last_name", "full_name", "first_name_key", "last_name_key",
    "full_name_key", "street", "city", "region", "postal_code", "country", "current_title",
    "current_company", "linkedin_url", "skills", "tags", "job_id", "job_title", "applied_at",
    "stage", "ats_person_id", "referrer_email", "referrer_name", "referrer_employee_id",
    "referral_relationship", "referral_note", "consent_email", "consent_sms",
]
STAGE_CHANGE_COLUMNS = ["row_number", "source_record_id", "ats_person_id", "email", "job_id", "stage", "changed_at"]


def _col(canon: pd.DataFrame, field: str) -> pd.Series:
    if field in canon:
        return nz.empty_as_none(canon[field])
    return pd.Series([None] * len(canon), index=canon.index, dtype=object)


def _timestamps(raw: pd.Series, now: datetime) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Returns (parsed UTC, raw where unparseable, raw where in the future)."""
    parsed = nz.timestamp_series(raw)
    unparsed = raw.where(raw.notna() & parsed.isna(), None)
    future = raw.where(parsed > pd.Timestamp(now), None)
    return parsed, unparsed, future


def stage_candidates(canon: pd.DataFrame, source: SourceConfig, now: datetime) -> pd.DataFrame:
    """Normalizes candidate fields (email, E.164 phone, names, country, lists, UTC times, consent)."""
    out = pd.DataFrame({"row_number": canon["row_number"].astype("int64")}, index=canon.index)
    out["source_record_id"] = _col(canon, "source_record_id")
    out["email_raw"] = _col(canon, "email")
    out["email"] = nz.email_series(out["email_raw"])
    out["phone_raw"] = _col(canon, "phone")
    phones = nz.phone_frame(out["phone_raw"], source.phone_region)
    out[["phone", "phone_country", "phone_type"]] = phones
    names = nz.name_frame(_col(canon, "first_name"), _col(canon, "last_name"), _col(canon, "full_name"))
    out[names.columns] = names
    for field in ("street", "city", "region", "postal_code", "current_title", "current_company",
                  "job_id", "job_title", "stage", "ats_person_id", "referrer_name",
                  "referrer_employee_id", "referral_relationship", "referral_note"):
        out[field] = _col(canon, field)
    out["referrer_email"] = nz.email_series(_col(canon, "referrer_email"))
    country_raw = _col(canon, "country")
    out["country"] = nz.distinct_map(country_raw, nz.country_code)
    out["linkedin_raw"] = _col(canon, "linkedin_url")
    out["linkedin_url"] = nz.distinct_map(out["linkedin_raw"], nz.linkedin_url)
    out["skills"] = nz.split_list(_col(canon, "skills"))
    out["tags"] = nz.split_list(_col(canon, "tags"))
    out["applied_at"], out["applied_at_unparsed"], out["applied_at_future"] = _timestamps(_col(canon, "applied_at"), now)
    for field in ("consent_email", "consent_sms"):
        raw = _col(canon, field)
        out[f"{field}_raw"] = raw.str.lower() if raw.notna().any() else raw
        flags = nz.distinct_map(raw, nz.flag)
        out[field] = flags.where(flags.isin([True, False]), None).astype(object)
    # check columns read by the suite
    out["contact_raw"] = out["email_raw"].where(out["email_raw"].notna(), out["phone_raw"])
    out["phone_invalid"] = out["phone_raw"].where(out["phone_raw"].notna() & out["phone"].isna(), None)
    out["referrer_any"] = out["referrer_email"].combine_first(out["referrer_name"]).combine_first(out["referrer_employee_id"])
    return out


def stage_changes(canon: pd.DataFrame, now: datetime) -> pd.DataFrame:
    """Normalizes ATS stage-change rows (person key, job, stage, UTC changed_at)."""
    out = pd.DataFrame({"row_number": canon["row_number"].astype("int64")}, index=canon.index)
    out["source_record_id"] = _col(canon, "source_record_id")
    out["ats_person_id"] = _col(canon, "ats_person_id")
    out["email"] = nz.email_series(_col(canon, "email"))
    out["job_id"] = _col(canon, "job_id")
    out["stage"] = _col(canon, "stage")
    out["changed_at_raw"] = _col(canon, "changed_at")
    out["changed_at"], out["changed_at_unparsed"], out["changed_at_future"] = _timestamps(out["changed_at_raw"], now)
    out["person_key"] = out["ats_person_id"].combine_first(out["email"])
    return out


def stage_frame(canon: pd.DataFrame, source: SourceConfig, now: datetime) -> pd.DataFrame:
    """Dispatches to the staging builder for the source's kind."""
    if source.kind == "ats_status":
        return stage_changes(canon, now)
    return stage_candidates(canon, source, now)
