"""The Splink model: comparisons and blocking rules, the shipped default, and unsupervised training.

Comparisons are SQL conditions over the match keys of sql/core/identity_input.sql, so the model is
plain JSON that Splink's DuckDB and Spark backends both read.
"""

from __future__ import annotations

import json
import logging
from contextlib import contextmanager
from pathlib import Path

import duckdb

from tasks.warehouse import scalar

log = logging.getLogger(__name__)

DEFAULT_MODEL_PATH = Path(__file__).with_name("default_model.json")
# a name shared by more records than this is blocked on only together with a place or an employer
RARE_NAME_MAX = 50


class NothingToTrain(ValueError):
    """The warehouse holds too few records, or too few pairs of them, to estimate a model from."""

    expected = True  # logs carry the message without a traceback (see tasks/__init__.py)


def _null(*cols: str) -> dict:
    cond = " or ".join(f"{c}_l is null or {c}_r is null" for c in cols)
    return {"sql_condition": cond, "label_for_charts": "missing", "is_null_level": True}


def _level(sql: str, label: str) -> dict:
    return {"sql_condition": sql, "label_for_charts": label}


# the columns whose exact match weighs less the more records share the value (sql/core/identity_term_frequencies.sql)
TF_COLUMNS = ["full_name_key", "last_name_key", "city_key", "postal_key", "company_key"]
# of them, a place or an employer held by at most COMMON_MIN records counts as held by COMMON_MIN + 1, but
# never as more common than the model's exact match says: in a small warehouse every value is common
COMMON_TF_COLUMNS = {"city_key", "postal_key", "company_key"}
COMMON_MIN = 10


def _tf(col: str, **more) -> dict:
    return {"tf_adjustment_column": col, "tf_adjustment_weight": 1.0, **more}


ELSE = {"sql_condition": "else", "label_for_charts": "different"}


def _jw(col: str, at: float) -> str:
    return f"jaro_winkler_similarity({col}_l, {col}_r) >= {at}"


def comparisons() -> list[dict]:
    """The per-field comparisons, most specific level first."""
    name = [
        _null("first_name_key", "last_name_key"),
        # rarer names weigh more: term-frequency adjustment on the whole name
        {**_level("full_name_key_l = full_name_key_r", "exact"), **_tf("full_name_key")},
        _level("first_name_key_l = last_name_key_r and last_name_key_l = first_name_key_r", "swapped"),
        {**_level("first_name_canon_l = first_name_canon_r and last_name_key_l = last_name_key_r", "nickname"),
         **_tf("last_name_key")},
        {**_level(f"last_name_key_l = last_name_key_r and {_jw('first_name_key', 0.88)}", "first name close"),
         **_tf("last_name_key")},
        _level(f"first_name_key_l = first_name_key_r and {_jw('last_name_key', 0.88)}", "last name close"),
        _level(f"{_jw('first_name_key', 0.85)} and {_jw('last_name_key', 0.85)}", "both close"),
        {**_level("last_name_key_l = last_name_key_r", "last name only"), **_tf("last_name_key")},
        ELSE,
    ]
    email = [
        _null("email"),
        _level("email_l = email_r", "exact"),
        _level("email_local_l = email_local_r", "same local part"),
        ELSE,
    ]
    phone = [
        _null("phone"),
        _level("phone_l = phone_r", "exact"),
        _level("levenshtein(phone_l, phone_r) <= 2", "1-2 digits differ"),
        ELSE,
    ]
    # a place or an employer most records share (a regional agency's candidates) says little: an exact
    # match weighs by how many records share the value, as a name does
    postal = [_null("postal_key"), {**_level("postal_key_l = postal_key_r", "exact"), **_tf("postal_key")},
              _level("left(postal_key_l, 3) = left(postal_key_r, 3)", "same area"), ELSE]
    city = [_null("city_key"), {**_level("city_key_l = city_key_r", "exact"), **_tf("city_key")}, ELSE]
    employer = [
        {"sql_condition": "(company_key_l is null and email_org_l is null) or (company_key_r is null and email_org_r is null)",
         "label_for_charts": "missing", "is_null_level": True},
        {**_level("company_key_l = company_key_r or email_org_l = email_org_r "
                  "or (length(email_org_r) >= 4 and starts_with(company_key_l, email_org_r)) "
                  "or (length(email_org_l) >= 4 and starts_with(company_key_r, email_org_l))", "same employer"),
         # by the company's frequency (the level is no single-column exact match: its own u is the base)
         **_tf("company_key", disable_tf_exact_match_detection=True)},
        _level(_jw("company_key", 0.88), "close"),
        ELSE,
    ]
    title = [_null("title_key"), _level("title_key_l = title_key_r", "exact"),
             _level(_jw("title_key", 0.88), "close"), ELSE]
    linkedin = [_null("linkedin_url"), _level("linkedin_url_l = linkedin_url_r", "exact"), ELSE]
    return [
        {"output_column_name": "name", "comparison_levels": name},
        {"output_column_name": "email", "comparison_levels": email},
        {"output_column_name": "phone", "comparison_levels": phone},
        {"output_column_name": "postal_code", "comparison_levels": postal},
        {"output_column_name": "city", "comparison_levels": city},
        {"output_column_name": "employer", "comparison_levels": employer},
        {"output_column_name": "title", "comparison_levels": title},
        {"output_column_name": "linkedin", "comparison_levels": linkedin},
    ]


def _same(*columns: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    return columns, columns


# each blocking rule as the columns it equates, l.<left[i]> = r.<right[i]>
BLOCKING_KEYS: list[tuple[tuple[str, ...], tuple[str, ...]]] = [
    _same("name_block"),
    _same("first_name_canon", "last_name_key", "city_key"),
    (("first_name_key", "last_name_key"), ("last_name_key", "first_name_key")),  # swapped first/last
    _same("email_local"),
    _same("first_name_key", "postal_key"),
    _same("last_name_key", "postal_key"),
    _same("first_name_key", "company_key"),
    _same("last_name_key", "company_key"),
    _same("last_name_key", "email_org"),
]


def blocking_rules() -> list[str]:
    """Candidate pairs for scoring: each rule catches a kind of variation the others miss.

    Agreeing on a common name alone never reaches the threshold (term frequencies make it weak),
    so a common name is only a block together with a city, postal code or employer; rare names
    (name_block) are a block on their own. This keeps the number of pairs near-linear in records.
    Rule i leaves out records with bit i of oversized_blocks set (resolve.oversized_blocks):
    keys shared by so many records that blocking on them would pair every two of them.
    """
    return [" and ".join([*(f"l.{a} = r.{b}" for a, b in zip(left, right)),
                          f"(l.oversized_blocks & {1 << i}) = 0", f"(r.oversized_blocks & {1 << i}) = 0"])
            for i, (left, right) in enumerate(BLOCKING_KEYS)]


def base_settings() -> dict:
    """An untrained settings dict: dedupe of one record table keyed by record_key."""
    return {
        "link_type": "dedupe_only",
        "unique_id_column_name": "record_key",
        "probability_two_random_records_match": 1e-5,
        "comparisons": comparisons(),
        "blocking_rules_to_generate_predictions": [
            {"blocking_rule": rule, "sql_dialect": "duckdb"} for rule in blocking_rules()],
        "retain_matching_columns": False,
        "retain_intermediate_calculation_columns": True,
    }


def _linker(db_api, table: str, settings: dict):
    from splink import Linker

    # EM warns about every level unseen in a block; regularize() floors those, so only errors matter
    return Linker(db_api.register(table), settings, log_level=logging.ERROR)


@contextmanager
def _em_probabilities_floored():
    """While inside, EM's new m and u estimates are kept at or above Splink's smallest allowed value.

    A level never seen among matches in a training block (on 400 generated persons: a differing
    phone among same-name pairs) has its m driven down geometrically by EM until it is exactly
    0.0, which Splink 5.0.0 then rejects ("m_probability value 0.0 is below the minimum allowed
    value"), failing the whole training. regularize() floors every level at 0.005 afterwards
    anyway, so flooring at 1e-300 on the way changes no trained model, it only lets EM finish.
    This wraps the function Splink's EM step builds its lookup with (splink is pinned).
    """
    from splink.internals import expectation_maximisation as em
    from splink.internals.comparison_level import M_U_CLAMP_MIN

    build = em.m_u_records_to_lookup_dict

    def floored(records):
        lookup = build(records)
        for levels in lookup.values():
            for level in levels.values():
                for key in ("m_probability", "u_probability"):
                    if isinstance(level.get(key), float):
                        level[key] = max(level[key], M_U_CLAMP_MIN)
        return lookup

    em.m_u_records_to_lookup_dict = floored
    try:
        yield
    finally:
        em.m_u_records_to_lookup_dict = build


def train(con: duckdb.DuckDBPyConnection, table: str, seed: int = 1) -> dict:
    """Reads match keys in `table` (oversized_blocks set) -> a Splink model trained without labels (random sampling + EM)."""
    from splink import DuckDBAPI

    # the name block leaves out names held by too many records, as the swapped-name blocking rule does
    names = 1 << [left for left, _ in BLOCKING_KEYS].index(("first_name_key", "last_name_key"))
    # EM needs pairs in both blocks (Splink fails a block without any)
    email_pairs, name_pairs, phone_pairs, both_pairs = (
        scalar(con, f"select coalesce(sum(n * (n - 1) // 2), 0) from "
                    f"(select count(*) as n from {table} where {where} group by {keys})")
        for keys, where in (("email", "email is not null"),
                            ("first_name_key, last_name_key", "first_name_key is not null and last_name_key is not null "
                                                              f"and (oversized_blocks & {names}) = 0"),
                            ("phone", "phone is not null"),
                            ("email, phone", "email is not null and phone is not null")))
    if not (email_pairs and name_pairs):
        raise NothingToTrain(f"nothing to train on: EM learns from pairs of records that share an email and pairs "
                             f"that share a first and last name, and this warehouse has {email_pairs} and "
                             f"{name_pairs}; the current model stays in use")
    n = scalar(con, f"select count(*) from {table}")
    # the prior is the share of all pairs the deterministic rules find, over their recall: a handful of
    # records of one person find more than that allows, and Splink fails ("recall must be at least 1.00")
    rule_pairs, recall = email_pairs + phone_pairs - both_pairs, 0.8
    if rule_pairs > n * (n - 1) // 2 * recall:
        raise NothingToTrain(f"nothing to train on: {rule_pairs} of its {n * (n - 1) // 2} pairs share an email or "
                             f"a phone, too many to estimate how often two random records match (too few records); "
                             f"the current model stays in use")
    db_api = DuckDBAPI(connection=con)
    try:
        linker = _linker(db_api, table, base_settings())
        linker.training.estimate_probability_two_random_records_match(
            ["l.email = r.email", "l.phone = r.phone"], recall=recall)
        sampled = min(5e6, max(1e5, n * 20))
        linker.training.estimate_u_using_random_sampling(max_pairs=sampled, seed=seed)
        # a level no sampled pair shows is rarer than one in the sample, not impossible: a floor of 1e-7
        # made a swapped name unseen in 177,000 pairs worth 18 bits, more than an exact name (12.4)
        u_floor = 1 / min(sampled, n * (n - 1) // 2)
        for rule in ("l.email = r.email", "l.first_name_key = r.first_name_key and l.last_name_key = r.last_name_key "
                                          f"and (l.oversized_blocks & {names}) = 0"):
            log.info("identity model: EM on %s", rule)
            with _em_probabilities_floored():
                linker.training.estimate_parameters_using_expectation_maximisation(rule, estimate_without_term_frequencies=True)
        return regularize(json.loads(json.dumps(linker.misc.save_model_to_json())), u_floor=u_floor)
    finally:  # EM's pair and pattern tables are real tables in the warehouse's main schema: they would stay
        db_api.delete_tables_created_by_splink_from_db()


def for_size(model: dict, trained_on: int, records: int) -> dict:
    """Rescales the prior to this warehouse's size: matching pairs grow with N, all pairs with N squared.

    Name term frequencies scale with 1/N too, so a model trained on 50k records scores a 1k or a
    1M-record warehouse consistently.
    """
    scaled = dict(model)
    prior = model["probability_two_random_records_match"] * trained_on / max(records, 2)
    scaled["probability_two_random_records_match"] = min(prior, 0.5)
    return scaled


def regularize(model: dict, m_floor: float = 0.005, u_floor: float = 1e-7) -> dict:
    """Floors m and u per level and renormalizes, so no single field can veto or force a match.

    Training data never shows some events (on generated data nobody moves city between two
    records), and EM then drives m to 0: one differing field would mean "never the same person"
    on real data, where people do move. A small floor keeps that evidence strong but finite. A
    level seen neither among matches nor in random pairs carries no evidence, so it weighs 0.
    """
    for comparison in model["comparisons"]:
        levels = [lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level")]
        unseen = [(lv.get("m_probability") or 0.0) < m_floor and (lv.get("u_probability") or 0.0) < u_floor
                  for lv in levels]
        for key, floor in (("m_probability", m_floor), ("u_probability", u_floor)):
            values = [max(lv.get(key) or 0.0, floor) for lv in levels]  # a level never seen gets the floor
            for lv, v in zip(levels, values):
                lv[key] = v / sum(values)
        for lv, neutral in zip(levels, unseen):
            if neutral:
                lv["u_probability"] = lv["m_probability"]
    return model