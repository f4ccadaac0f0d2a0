"""Resolves staged records into persons: rules, Splink, clusters, stable ids, golden records, history.

A run scores only records that are new or changed since the last run (against every current
record and each other), re-clusters only the persons those records touch, and rebuilds only
their golden records; everything is written in one transaction.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

import duckdb
import numpy as np
import pandas as pd
import sqlglot
import sqlglot.dialects.duckdb  # noqa: F401  (Splink loads it lazily, inside the first run: 0.03 s)
from splink import DuckDBAPI, Linker
from splink.internals.duckdb.dataframe import DuckDBDataFrame
from splink.internals.input_column import InputColumn

from tasks.clock import StepTimer, utcnow
from tasks.identity import cluster as clustering
from tasks.identity.model import (BLOCKING_KEYS, COMMON_MIN, COMMON_TF_COLUMNS, DEFAULT_MODEL_PATH, RARE_NAME_MAX,
                                  TF_COLUMNS, NothingToTrain, blocking_rules, for_size, regularize, train)
from tasks.identity.freemail import free_mail_frame, placeholder_mail_frame
from tasks.identity.nicknames import nickname_frame
from tasks.identity.overrides import Overrides, load_overrides
from tasks.settings import Settings
from tasks.warehouse import (arrow_copy, checkpoint_at_commit, drop_work_table, scalar, sql_text, transaction,
                             work_table)

log = logging.getLogger(__name__)


class UnknownModel(ValueError):
    """A model version the warehouse does not hold."""

    expected = True  # logs carry the message without a traceback (see tasks/__init__.py)


class IncompatibleModel(ValueError):
    """A stored model compares columns this release's match keys do not have."""

    expected = True  # logs carry the message without a traceback (see tasks/__init__.py)


class KeyHashesNotCurrent(ValueError):
    """The match-key hashes core.identity_keys holds are not what this DuckDB makes of its keys."""

    expected = True  # logs carry the message without a traceback (see tasks/__init__.py)


@dataclass
class ResolveResult:
    """What a resolve run scored and changed."""

    run_id: int
    model_version: int
    records_total: int = 0
    records_scored: int = 0
    records_refreshed: int = 0  # staged again with the same match keys: links stand, golden records rebuilt
    records_removed: int = 0
    persons_total: int = 0
    persons_created: int = 0
    merges: int = 0
    splits: int = 0
    retired: int = 0
    revived: int = 0  # ids given back to a deleted record staged again (they held no records)
    links_by_rule: dict[str, int] = field(default_factory=dict)

    def summary_rows(self) -> list[dict]:
        """One row for the CLI and the Prefect artifact."""
        return [{"records": self.records_total, "persons": self.persons_total, "scored": self.records_scored,
                 "refreshed": self.records_refreshed, "removed": self.records_removed,
                 "new persons": self.persons_created, "merges": self.merges, "splits": self.splits, "retired": self.retired,
                 "revived": self.revived,
                 "links by rule": ", ".join(f"{k} {v}" for k, v in sorted(self.links_by_rule.items())),
                 "model": self.model_version}]


def current_model(con: duckdb.DuckDBPyConnection, now: datetime) -> tuple[int, dict, int]:
    """Returns (version, Splink model, records it was trained on) of the newest stored model; stores the default first."""
    rows = con.execute("select version, model_json, record_count from meta.identity_models "
                       "order by version desc limit 1").fetchall()
    if rows:
        return rows[0][0], json.loads(rows[0][1]), rows[0][2]
    _store_shipped_model(con, 1, now)
    return current_model(con, now)


def check_model_fits(con: duckdb.DuckDBPyConnection, version: int | str, model: dict) -> None:
    """Raises IncompatibleModel when `model` compares a column the match keys do not have (a model
    stored under a release whose keys differed), naming the version, the columns and the way out;
    Splink would fail with a page of generated SQL instead."""
    have = {c for (c,) in con.execute("select column_name from information_schema.columns "
                                      "where table_schema = 'core' and table_name = 'identity_keys'").fetchall()}
    have |= {"name_block", "oversized_blocks"}  # added to the Splink input by the run
    used = set()
    for comparison in model["comparisons"]:
        for level in comparison["comparison_levels"]:
            used |= set(re.findall(r"\b(\w+)_[lr]\b", level["sql_condition"]))
            used |= {level["tf_adjustment_column"]} if level.get("tf_adjustment_column") else set()
    if missing := sorted(used - have):
        raise IncompatibleModel(f"identity model version {version} compares {', '.join(missing)}, which this "
                                "release's match keys do not have: `candor resolve --use-model shipped --rescore` "
                                "(this release's default) or `candor resolve --train --rescore`")


def _shipped_model_json() -> tuple[str, int]:
    """(this release's default model as stored, the records it was trained on)."""
    shipped = json.loads(DEFAULT_MODEL_PATH.read_text())
    return json.dumps(shipped["splink"]), shipped["trained_on_records"]


def _store_shipped_model(con: duckdb.DuckDBPyConnection, version: int, now: datetime) -> None:
    model_json, records = _shipped_model_json()
    con.execute("insert into meta.identity_models (version, origin, trained_at, record_count, model_json) "
                "values (?, 'default', ?, ?, ?)", [version, now, records, model_json])


def train_model(con: duckdb.DuckDBPyConnection, settings: Settings) -> int:
    """Re-estimates the Splink model on the warehouse's current records (no labels); stores and returns the new version."""
    now = utcnow(settings)
    # one transaction: the keys made for records no run has linked yet are gone again when it
    # commits (a training killed in between left them, and the next run keyed those records twice);
    # Splink's training itself cannot run in one (a statement it expects to fail aborts it)
    with transaction(con):
        current_model(con, now)
        _refresh_all_keys(con)
        con.execute(f"create or replace temp table identity_train_keys as select * {SPLINK_IGNORED} "
                    f"from ({sql_text('core/identity_splink_input')})", {"rare_name_max": RARE_NAME_MAX})
        # the store as the last run left it: the next run finds these records new, changed or gone
        con.execute("delete from core.identity_keys where record_key in (select record_key from identity_scored)")
        con.execute("insert into core.identity_keys by name select * from identity_keys_kept")
    prepare_splink_input(con, "identity_train_keys", "identity_train", settings, complete=True)
    con.execute("drop table identity_train_keys")  # every record's keys: only identity_train is read from here
    n = scalar(con, "select count(*) from identity_train")
    if n < 2:
        raise NothingToTrain("nothing to train on: staging.candidate_records has fewer than 2 records")
    model = train(con, "identity_train")
    version = scalar(con, "select coalesce(max(version), 0) + 1 from meta.identity_models")
    con.execute("insert into meta.identity_models (version, origin, trained_at, record_count, model_json) "
                "values (?, 'trained', ?, ?, ?)", [version, now, n, json.dumps(model)])
    log.info("identity model version %d trained on %d records", version, n)
    return version


def use_model(con: duckdb.DuckDBPyConnection, settings: Settings, version: int | Literal["shipped"]) -> int:
    """Makes another model version current: stores it as the newest version and returns that.

    `version` is a stored version (the copy has origin 'restored', copied_from `version`), or
    "shipped": this release's default model (origin 'default'), which a warehouse that first ran
    under an earlier release does not have. When the current version is that model already,
    nothing is stored and its number is returned. Like --train, the model scores new and changed
    records from the next run on, existing links after a rescore.
    """
    now = utcnow(settings)
    current_model(con, now)  # the default is version 1 even before the first run
    stored = dict(con.execute("select version, model_json from meta.identity_models order by version").fetchall())
    newest = max(stored)
    wanted = _shipped_model_json()[0] if version == "shipped" else stored.get(version)
    if version != "shipped" and wanted is None:
        raise UnknownModel(f"no identity model version {version}; the warehouse has versions "
                           f"{', '.join(map(str, stored))} (`candor models` lists them)")
    check_model_fits(con, version, json.loads(wanted))
    if wanted == stored[newest]:
        log.info("identity model version %d, the current one, is already that model: nothing stored", newest)
        return newest
    new = newest + 1
    if version == "shipped":
        _store_shipped_model(con, new, now)
        log.info("identity model version %d is this release's default and scores from the next run on", new)
        return new
    con.execute("insert into meta.identity_models (version, origin, trained_at, record_count, model_json, copied_from) "
                "select ?, 'restored', trained_at, record_count, model_json, version from meta.identity_models "
                "where version = ?", [new, version])
    log.info("identity model version %d is a copy of version %d and scores from the next run on", new, version)
    return new


def model_versions(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """Reads meta.identity_models and meta.identity_runs -> one row per model version, newest (current) first."""
    rows = con.execute("""
        select m.version, m.origin, m.copied_from, m.trained_at, m.record_count,
               count(r.run_id) as runs, max(r.started_at) as last_run_at,
               m.version = (select max(version) from meta.identity_models) as is_current,
               m.model_json = $shipped as is_shipped
        from meta.identity_models as m left join meta.identity_runs as r on r.model_version = m.version
        group by m.version, m.origin, m.copied_from, m.trained_at, m.record_count, m.model_json
        order by m.version desc
    """, {"shipped": _shipped_model_json()[0]}).fetchall()
    return [{"version": v, "origin": origin + (f" (copy of {copied})" if copied is not None else ""),
             "trained at": trained_at, "trained on records": records, "runs": runs, "last run": last_run,
             "this release's default": "yes" if shipped else "", "current": "yes" if current else ""}
            for v, origin, copied, trained_at, records, runs, last_run, current, shipped in rows]


def register_lookups(con: duckdb.DuckDBPyConnection) -> None:
    """Registers what the identity SQL reads besides tables: the small lookups (nicknames, personal
    mailbox domains, placeholder local parts) and the macro identity_names_agree(first, canon, last, full, first, canon, last,
    full) of two records' name keys. It is false only for clearly different names: no name word of
    two letters or more in common, and neither the first names (as given, or through the nickname
    table), nor the last names, nor the swapped pair reach Jaro-Winkler 0.8. Nicknames, typos, swaps,
    a compound first name split differently ("Hans" "Georg Bohm" / "Hans Georg" "Bohm") and missing
    names agree. And the macro identity_first_names_differ(first, canon, last, first, canon, last):
    true when both records carry a first and a last name and the first names alone are clearly
    different (identity_names_agree on them), neither is the other's initial, and the names are not
    swapped (each first name close to the other's last name): two Sørensens at one clinic. And the macro
    identity_own_mailbox(mailbox, referrer_email): the mailbox, or null for a placeholder or the referrer's own
    address (the match keys and the golden email skip both)."""
    con.register("identity_nicknames", nickname_frame())
    con.register("identity_free_mail", free_mail_frame())
    con.register("identity_placeholder_mail", placeholder_mail_frame())
    con.execute("""
        create or replace temp macro identity_names_agree(first_l, canon_l, last_l, full_l,
                                                          first_r, canon_r, last_r, full_r) as
        -- a plain `or` chain, cheapest tests first (inside coalesce() it cost a 1M full run 0.5 s more)
        first_l is null or first_r is null or last_l is null or last_r is null
        or jaro_winkler_similarity(first_l, first_r) >= 0.8
        or jaro_winkler_similarity(last_l, last_r) >= 0.8
        or jaro_winkler_similarity(canon_l, canon_r) >= 0.8
        or jaro_winkler_similarity(first_l, last_r) >= 0.8
        or jaro_winkler_similarity(last_l, first_r) >= 0.8
        or coalesce(len(list_intersect(list_filter(string_split(full_l, ' '), lambda w: length(w) >= 2),
                                       string_split(full_r, ' '))) > 0, false)
    """)
    # a placeholder (test@test.com, noreply@acme.io) is nobody's address, and a referral's candidate address that is
    # its referrer's own is the referrer's: no match key (identity_keys.sql), never the golden email (persons.sql)
    con.execute("""
        create or replace temp macro identity_own_mailbox(mailbox, referrer_email) as
        if(split_part(mailbox, '@', 1) in (select local_part from identity_placeholder_mail)
           or mailbox = core.mailbox(referrer_email), null, mailbox)
    """)
    con.execute("""
        create or replace temp macro identity_first_names_differ(first_l, canon_l, last_l, first_r, canon_r, last_r) as
        -- the first names taken as whole names: no word in common, no nickname, Jaro-Winkler < 0.8
        not identity_names_agree(first_l, canon_l, first_l, first_l, first_r, canon_r, first_r, first_r)
        and last_l is not null and last_r is not null  -- a missing name contradicts nothing
        -- "J." / "John", "J. M." / "John"
        and not (left(first_l, 1) = left(first_r, 1)
                 and least(length(split_part(first_l, ' ', 1)), length(split_part(first_r, ' ', 1))) = 1)
        -- swapped both ways: one way alone is no swap ("soren" is close to "sorensen")
        and not (jaro_winkler_similarity(first_l, last_r) >= 0.8 and jaro_winkler_similarity(last_l, first_r) >= 0.8)
    """)


NAME_KEYS = ("first_name_key", "first_name_canon", "last_name_key", "full_name_key")  # identity_names_agree's, per record


def names_agree(left: str, right: str) -> str:
    """The SQL call of identity_names_agree on the name keys of two aliased rows (register_lookups)."""
    return f"identity_names_agree({', '.join(f'{a}.{c}' for a in (left, right) for c in NAME_KEYS)})"


def first_names_differ(left: str, right: str) -> str:
    """The SQL call of identity_first_names_differ on the name keys of two aliased rows (register_lookups)."""
    columns = ("first_name_key", "first_name_canon", "last_name_key")
    return f"identity_first_names_differ({', '.join(f'{a}.{c}' for a in (left, right) for c in columns)})"


# the columns of core.identity_keys that hold the hashes of the phone, the LinkedIn URL and the keys of each
# multi-column blocking rule (migration 073), and the macro that makes them from a row's keys
KEY_HASH_COLUMNS = ("hash_phone", "hash_linkedin", "hash_name", "hash_name_city", "hash_first_last", "hash_first_postal",
                    "hash_last_postal", "hash_first_company", "hash_last_company", "hash_last_org")
KEY_HASHES = ("core.identity_key_hashes(phone, linkedin_url, first_name_key, first_name_canon, last_name_key, city_key, "
              "postal_key, company_key, email_org)")


# the macro's value for fixed keys: its hash, stored when every record's hashes are current (migration 074),
# changes with DuckDB's hash() and with the macro's definition
KEY_HASH_PROBE = ("hash(core.identity_key_hashes('+15550100000', 'https://www.linkedin.com/in/probe', 'ann', 'anna', "
                  "'berg', 'oslo', '0150', 'acme', 'acme'))")


def _probe_current(con: duckdb.DuckDBPyConnection) -> bool | None:
    """Whether the stored probe (migration 074) is what this DuckDB gives now; None when none is stored."""
    stored = con.execute("select probe from meta.identity_key_hash_probe").fetchall()
    return stored[0][0] == scalar(con, f"select {KEY_HASH_PROBE}") if stored else None


def key_hashes_current(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the match-key hashes core.identity_keys holds are what this DuckDB's hash() makes of the
    keys beside them: the probe stored when they were last made (hash_match_keys) is what it gives now;
    with none stored, checked on the table's first 2,048 rows. A run keys its records with the DuckDB it
    runs on, and hash_match_keys makes every record's again at once."""
    probe = _probe_current(con)
    if probe is not None:
        return probe
    made = f"struct_pack({', '.join(KEY_HASH_COLUMNS)})"
    return not scalar(con, f"select count(*) from (select * from core.identity_keys limit 2048) "
                           f"where {KEY_HASHES} is distinct from {made}")


def hash_match_keys(con: duckdb.DuckDBPyConnection) -> None:
    """Makes every record's match-key hashes again when the stored ones are not current
    (key_hashes_current): on the first run after migration 073, which adds them empty, and after an
    upgrade of DuckDB whose hash() gives other values; then stores the probe that says they are. The
    neighbour scan of an incremental run joins on them (sql/core/identity_neighbours.sql): with stale
    ones it would find no record by those rules."""
    probe = _probe_current(con)
    if probe:
        return
    if probe is None and key_hashes_current(con):  # none stored yet (migration 074): the rows say
        con.execute(f"insert into meta.identity_key_hash_probe select {KEY_HASH_PROBE}")
        return
    started = time.monotonic()
    assigned = ", ".join(f"{column} = h.{column}" for column in KEY_HASH_COLUMNS)
    con.execute(f"update core.identity_keys as k set {assigned} "
                f"from (select record_key, unnest({KEY_HASHES}) from core.identity_keys) as h "
                f"where h.record_key = k.record_key")
    con.execute("delete from meta.identity_key_hash_probe")
    con.execute(f"insert into meta.identity_key_hash_probe select {KEY_HASH_PROBE}")
    log.info("hashed the match keys of every record again (%d records, %.1f s): they were made by another "
             "DuckDB release, or not yet (migration 073)", scalar(con, "select count(*) from core.identity_keys"),
             time.monotonic() - started)


def _refresh_all_keys(con: duckdb.DuckDBPyConnection) -> None:
    """Before training, the key store holds every current record's match keys as it is staged now:
    records no run has keyed (a warehouse never resolved has none) are keyed, and so are records
    staged again since the last run (their stored keys are their old version's); the keys of records
    removed from staging since are taken out. The records keyed here are left in temp identity_scored,
    the stored keys taken out or replaced in temp identity_keys_kept (train_model puts them back)."""
    register_lookups(con)
    _find_changes(con, rescore=False)
    con.execute("create or replace temp table identity_keys_kept as select * from core.identity_keys "
                "where record_key in (select record_key from identity_changes where change <> 'new')")
    con.execute("delete from core.identity_keys where record_key in (select record_key from identity_keys_kept)")
    con.execute("create or replace temp table identity_scored as "
                "select source_name || ':' || source_record_id as record_key, source_name, source_record_id "
                "from staging.candidate_records "
                "where source_name || ':' || source_record_id not in (select record_key from core.identity_keys)")
    con.execute(f"insert into core.identity_keys by name {sql_text('core/identity_keys')}", {"since": 0})


def prepare_splink_input(con: duckdb.DuckDBPyConnection, source: str, table: str, settings: Settings,
                         complete: bool, store: bool = False, spread: bool = False) -> None:
    """Makes Splink input `table` from the match keys in `source` (the rows of sql/core/identity_splink_input.sql
    or sql/core/identity_neighbours.sql, which the rule edges read as they are): the identifiers that identify
    nobody taken out, then the oversized blocks marked. `complete`: `source` holds every current record, not
    a run's neighbours; `store`: a resolve run's input, whose findings update core.identity_uninformative_values;
    `spread`: `table` is an Arrow copy (tasks/warehouse.py arrow_copy), else a temp table. `source` is only read."""
    informative = _drop_uninformative_identifiers(con, source, settings.identity_max_key_share, complete, store)
    work_table(con, table, f"select * from {informative}", arrow=spread)
    marks = oversized_blocks(con, table, settings.identity_max_block)
    if marks and spread:  # none in the 1M bench's incremental run: an Arrow copy is not updated but made again
        arrow_copy(con, table, f"select * replace ({marks} as oversized_blocks) from {table}")
    elif marks:
        con.execute(f"update {table} set oversized_blocks = {marks}")


# the identifier columns _drop_uninformative_identifiers takes values out of, in order: a dropped email takes
# its local part along, so the local parts are counted once the emails are out
UNINFORMATIVE_COLUMNS = ("email", "phone", "linkedin_url", "email_local")
# an identifier column's rule (sql/core/identity_value_holders.sql)
RULE_OF_COLUMN = {"email": "email", "phone": "phone", "linkedin_url": "linkedin"}


def _drop_uninformative_identifiers(con: duckdb.DuckDBPyConnection, source: str, max_share: int, complete: bool,
                                    store: bool) -> str:
    """-> a temp view of `source` (a Splink input's match keys) without the identifier values that say
    nothing about who a record is (nulled), found into temp identity_dropped_<column>.

    - Values held by more than max_share of its records. A placeholder address or number, a team
      inbox or a generic local part (info@) identifies nobody: the rule edges skip it, Splink must
      see it as missing (its exact-match weight made 2,000 records sharing noemail@noemail.com one
      person), and blocking on it pairs all its holders.
    - An email, phone or LinkedIn URL two holders with clearly different names share
      (identity_names_agree; an email takes its local part along): a household inbox or phone,
      someone's address typed on another's application. The rule edges do not link such a pair,
      and Splink's exact-match weight (+15 bits for an email) outweighed any disagreement of names,
      so it merged Mary Smith and John Doe on a shared inbox. The holders that agree are linked by
      the rule edges already.
    Every holder of a scored record's value is in the table, so its counts and names are complete. A
    neighbour's other values are not (their other holders are not read): core.identity_uninformative_values
    says which of them to drop, and a run stores what it found for its scored records' values.
    Unless `complete`, the scored records' values are read from the holders and pairs share_values made
    from `source` (the rule edges read the same); `complete` counts every value of `source` itself.
    The view replaces columns as a join (`source` is not updated: an Arrow copy cannot be).
    """
    agree = names_agree("l", "r")
    names = ", ".join(NAME_KEYS)
    table = source
    for column in UNINFORMATIVE_COLUMNS:
        if column == "email_local":  # counted without the emails taken out, which take theirs along
            table = _without_dropped(con, source, "identity_informative_ids", ("email", "phone", "linkedin_url"))
        # one grouping pass: values held too often, and (not for a local part, which is no identifier)
        # values whose holders' names differ at all; only the holders of those few are then paired
        # (pairing them inside the whole table cost three times as much)
        mixed = f" or min(hash({names})) <> max(hash({names}))" if column != "email_local" else ""
        scored_only = mixed and not complete
        if scored_only:
            # only a scored record's values are counted in full here (every holder of them is in the table):
            # their holders and their pairs' names, as the rule edges read them (share_values); a neighbour's
            # others are as last stored
            rule = RULE_OF_COLUMN[column]
            con.execute("create or replace temp table identity_scored_values as select distinct value "
                        "from identity_value_holders where rule = $rule and is_scored", {"rule": rule})
            con.execute(f"create or replace temp table identity_dropped_{column} as "
                        "select value, true as common from identity_value_holders where rule = $rule "
                        "group by value having count(*) > $max_share "
                        "union all select value, false from identity_value_pairs where rule = $rule "
                        "group by value having not bool_and(agree)", {"rule": rule, "max_share": max_share})
        else:
            shared = (f"select {column} as value, count(*) > $max_share as common from {table} "
                      f"where {column} is not null group by all having count(*) > $max_share{mixed}")
            dropped = "select value, common from shared where common" + (
                f" union all select distinct l.{column}, false from holders as l join holders as r "
                f"on l.{column} = r.{column} and l.record_key < r.record_key where not {agree}" if mixed else "")
            holders = (f", holders as materialized (select record_key, {column}, {names} from {table} "
                       f"where {column} in (select value from shared where not common))" if mixed else "")
            con.execute(f"create or replace temp table identity_dropped_{column} as "
                        f"with shared as materialized ({shared}){holders} {dropped}", {"max_share": max_share})
        if scored_only:
            con.execute(f"insert into identity_dropped_{column} select value, common from core.identity_uninformative_values "
                        f"where kind = $kind and value in (select {column} from {table}) "
                        f"and value not in (select value from identity_scored_values)", {"kind": column})
        if mixed and store:
            scope = "true" if complete else "value in (select value from identity_scored_values)"
            con.execute(f"delete from core.identity_uninformative_values where kind = $kind and {scope}", {"kind": column})
            con.execute(f"insert into core.identity_uninformative_values select $kind, value, common "
                        f"from identity_dropped_{column} where {scope}", {"kind": column})
    return _without_dropped(con, table, "identity_informative", ("email_local",))


def _without_dropped(con: duckdb.DuckDBPyConnection, table: str, view: str, columns: tuple[str, ...]) -> str:
    """-> temp view `view`: `table` with the values of temp identity_dropped_<column> nulled, for `columns`.
    An email takes its local part along, and, when held too often (noemail@noemail.com), its domain as
    an employer: 12 holders of a placeholder were "same employer" (+9.6 bits) and blocked together by
    last name; a household inbox says nothing against the employer."""
    replaced, joins = [], []
    for column in columns:
        if not scalar(con, f"select count(*) from identity_dropped_{column}"):
            continue  # nothing of the column dropped: no join to read through
        d = f"d_{column}"
        replaced.append(f"case when {d}.value is null then t.{column} end as {column}")
        if column == "email":
            replaced += [f"case when {d}.value is null then t.email_local end as email_local",
                         f"case when {d}.common then null else t.email_org end as email_org"]
        # a value is found once (common, or held by different names, or as stored): one row per record
        joins.append(f"left join identity_dropped_{column} as {d} on t.{column} = {d}.value")
    columns_sql = f"t.* replace ({', '.join(replaced)})" if replaced else "t.*"
    con.execute(f"create or replace temp view {view} as select {columns_sql} from {table} as t {' '.join(joins)}")
    return view


def store_uninformative_values(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    """Fills core.identity_uninformative_values from every record's match keys (the first run after
    migration 061, whose warehouse has none stored yet); the Splink input it builds is thrown away."""
    con.execute(f"create or replace temp table identity_every_key as {sql_text('core/identity_splink_input')}",
                {"rare_name_max": RARE_NAME_MAX})
    _drop_uninformative_identifiers(con, "identity_every_key", settings.identity_max_key_share, True, True)
    con.execute("drop view identity_informative")
    con.execute("drop view identity_informative_ids")
    con.execute("drop table identity_every_key")


def oversized_blocks(con: duckdb.DuckDBPyConnection, table: str, max_block: int) -> str | None:
    """-> an expression of Splink input `table`'s columns for its oversized_blocks (None when no block is
    oversized): bit i set on records whose keys of blocking rule i more than max_block of its records
    share; blocking rule i leaves them out.

    A block pairs every two of its records: 20,000 records named "Unknown Unknown" would make 200
    million pairs by the swapped-name rule alone. Their other rules still pair them. Every holder of
    a scored record's keys is in the table (the neighbour scan finds them), so the counts are exact
    where they matter; the swapped-name rule counts a record's own first and last name, which the
    neighbour scan finds only up to the rare-name limit.
    """
    def present(columns: tuple[str, ...]) -> str:
        return " and ".join(f"{c} is not null" for c in columns)

    # one pass counts every rule's blocks, by a hash of the keys (cheaper to group than the strings)
    counted = " union all ".join(f"select {i} as rule, hash({', '.join(columns)}) as h from {table} where {present(columns)}"
                                 for i, (columns, _) in enumerate(BLOCKING_KEYS))
    con.execute(f"create or replace temp table identity_big_blocks as "
                f"select rule, h from ({counted}) group by all having count(*) > ?", [max_block])
    bits = [f"case when {present(BLOCKING_KEYS[i][0])} and hash({', '.join(BLOCKING_KEYS[i][0])}) in "
            f"(select h from identity_big_blocks where rule = {i}) then {1 << i} else 0 end"
            for (i,) in con.execute("select distinct rule from identity_big_blocks order by rule").fetchall()]
    return " | ".join(["oversized_blocks", *bits]) if bits else None


# columns of the Splink input (identity_splink_ready) that only the rule edges and the run read, not handed to Splink
SPLINK_IGNORED = "exclude (ats_person_id, is_scored, shares_id, shares_block)"


class _TableFrame(DuckDBDataFrame):
    """A Splink table that reads its columns from the table itself: Splink's own query lists every
    column of every table in the warehouse (information_schema), 10 ms a call, several calls a run."""

    @property
    def columns(self) -> list[InputColumn]:
        described = self.db_api._execute_sql_against_backend(f"select * from {self.physical_name} limit 0").description
        return [InputColumn(c[0], sqlglot_dialect_str="duckdb") for c in described]


class SplinkAPI(DuckDBAPI):
    """Splink's DuckDB API with its work tables as temp tables: Splink creates them in the database's
    main schema, where a run's blocked pairs and predictions (dropped again before commit) were
    written to the database file as they were made; and its tables read their columns cheaply."""

    def _setup_for_execute_sql(self, sql: str, physical_name: str) -> str:
        self.delete_table_from_database(physical_name)
        return f"create temp table {physical_name} as\n{sql}"

    def table_to_splink_dataframe(self, templated_name: str, physical_name: str) -> DuckDBDataFrame:
        return _TableFrame(templated_name, physical_name, self)


def splink_linker(con: duckdb.DuckDBPyConnection, model: dict, table: str):
    """(Splink API, linker with `model`, `table` registered): the name frequencies of the values in
    temp identity_scored_keys are registered (the only ones an exact-match adjustment looks up)."""
    db_api = SplinkAPI(connection=con)
    frame = db_api.register(table)
    # the settings are ours and validated when a model is trained; validating them again costs 0.1 s a run
    linker = Linker(frame, model, validate_settings=False, log_level=logging.WARNING)
    for column in term_frequency_tables(con, model):
        linker.table_management.register_term_frequency_lookup(db_api.register(f"identity_tf_{column}"), column)
    return db_api, linker, frame


def term_frequency_tables(con: duckdb.DuckDBPyConnection, model: dict) -> list[str]:
    """-> temp identity_tf_<column>, the frequencies Splink adjusts `model`'s exact matches by, for the values
    in temp identity_scored_keys (sql/core/identity_term_frequencies.sql); returns the columns."""
    con.execute(f"create or replace temp table identity_tf as {sql_text('core/identity_term_frequencies')}")
    # a model stored before a column was adjusted by frequency scores as it did: only its own columns,
    # each with the u of the first (most specific) level adjusted by it
    exact_u = {level["tf_adjustment_column"]: level.get("u_probability") for comparison in model["comparisons"]
               for level in reversed(comparison["comparison_levels"]) if level.get("tf_adjustment_column")}
    columns = [c for c in TF_COLUMNS if c in exact_u]
    for column in columns:
        # a place or employer held by few records counts as held by COMMON_MIN + 1, but never as more common
        # than the model's exact match (its u): in a handful of records every value is common
        tf = (f"if(holders > {COMMON_MIN}, tf, least(tf * {COMMON_MIN + 1} / holders, {exact_u[column] or 1.0}))"
              if column in COMMON_TF_COLUMNS else "tf")
        con.execute(f"create or replace temp table identity_tf_{column} as "
                    f"select value as {column}, {tf} as tf_{column} from identity_tf where column_name = ?", [column])
    return columns


def field_weights_sql(con: duckdb.DuckDBPyConnection, predictions: str) -> str:
    """A json_object() argument list of the prior and per-field match weights of a Splink predictions
    table (each field's frequency adjustment folded into it), rounded to 0.01 so that they add up to
    the match weight."""
    names = [c[0] for c in con.execute(f"select * from {predictions} limit 0").description]
    weights = {c[3:]: f'"{c}"' + (f' + "mw_tf_adj_{c[3:]}"' if f"mw_tf_adj_{c[3:]}" in names else "")
               for c in names if c.startswith("mw_") and not c.startswith("mw_tf_")}
    # the prior's log2 odds for the warehouse's size: the match weight less the fields, as rounded
    prior = f"round(match_weight, 2) - ({' + '.join(f'round({expr}, 2)' for expr in weights.values())})"
    return ", ".join([f"'prior', round({prior}, 2)", *(f"'{field}', round({expr}, 2)" for field, expr in weights.items())])


class _RecordingAPI(SplinkAPI):
    """SplinkAPI that keeps each (table, SQL) it executes, in order."""

    def __init__(self, connection: duckdb.DuckDBPyConnection) -> None:
        super().__init__(connection=connection)
        self.steps: list[tuple[str, str]] = []

    def _setup_for_execute_sql(self, sql: str, physical_name: str) -> str:
        self.steps.append((physical_name, sql))
        return super()._setup_for_execute_sql(sql, physical_name)


def _splink_predictions(con: duckdb.DuckDBPyConnection, model: dict, threshold: float,
                        between: bool, spread: bool) -> tuple[str, list[str]]:
    """Runs Splink's prediction for temp identity_splink_new (against temp identity_splink_left when
    `between`) -> (the predictions table, every table it made). `spread`: the input is an Arrow copy
    (tasks/warehouse.py arrow_copy), and so are Splink's tables but the last.

    The SQL Splink generates depends on the model and the input tables' columns, not on their rows.
    Generating it costs 0.2 s of Python, so it is generated once, on empty copies of the inputs in a
    scratch database, for both kinds of run (between and within), stored in meta.identity_splink_sql
    and executed from there by every run with the same inputs, with the prior, which moves with the
    warehouse's size, as a parameter. A model, threshold or release that makes other SQL has another key.
    """
    from splink.internals.misc import prob_to_match_weight

    tables = ["identity_splink_left", "identity_splink_new",
              *(f"identity_tf_{column}" for column in term_frequency_tables(con, model))]
    shapes = {t: [row[:2] for row in con.execute(f"describe {t}").fetchall()] for t in tables}
    keys = {mode: _prediction_key(model, threshold, mode, shapes) for mode in (True, False)}
    steps = con.execute("select table_name, sql from meta.identity_splink_sql where cache_key = ? order by step",
                        [keys[between]]).fetchall()
    if not steps:
        generated = _generate_predictions_sql(model, threshold, shapes)
        con.executemany("insert into meta.identity_splink_sql values (?, ?, ?, ?)",
                        [[keys[mode], i, table, sql] for mode, made in generated.items() for i, (table, sql) in enumerate(made)])
        steps = generated[between]
        log.info("Splink's prediction SQL for this model generated and stored (meta.identity_splink_sql)")
    for i, (table, sql) in enumerate(steps):
        params = ({"prior_weight": prob_to_match_weight(model["probability_two_random_records_match"])}
                  if "$prior_weight" in sql else {})
        drop_work_table(con, table)  # what a run that failed on this connection left, if anything
        # the blocked pairs, which the prediction reads, as an Arrow copy (the predictions are read once)
        work_table(con, table, sql, params, arrow=spread and i < len(steps) - 1)
    return steps[-1][0], [table for table, _ in steps]


def _prediction_key(model: dict, threshold: float, between: bool, shapes: dict) -> str:
    """A hash of everything Splink's prediction SQL is made from, but the prior."""
    from splink import __version__ as splink_version

    return hashlib.sha256(json.dumps({
        "model": {k: v for k, v in model.items() if k != "probability_two_random_records_match"},
        "rules": blocking_rules(), "threshold": threshold, "between": between, "inputs": shapes,
        "splink": splink_version, "sqlglot": sqlglot.__version__}, sort_keys=True).encode()).hexdigest()


def _generate_predictions_sql(model: dict, threshold: float, shapes: dict) -> dict[bool, list[tuple[str, str]]]:
    """Splink's prediction SQL for a run between new records and candidates (True) and within new
    records (False), made on empty tables shaped as `shapes` (table -> [(column, type)]): each kind's
    steps (table, SQL), the prior written as the parameter $prior_weight."""
    from splink.internals.misc import prob_to_match_weight

    # blocking rules come from the code, not the stored model: they decide cost, not scores
    rules = [{"blocking_rule": rule, "sql_dialect": "duckdb"} for rule in blocking_rules()]
    # the prior as Splink writes it into the match weight, ahead of the fields' weights (splink/internals/predict.py);
    # the same number may stand elsewhere (0.0 for a prior of 0.5)
    literal = f"cast({prob_to_match_weight(model['probability_two_random_records_match'])} as float8) + mw_"
    generated = {}
    with duckdb.connect() as scratch:
        for table, columns in shapes.items():
            scratch.execute(f"create table {table} ({', '.join(f'{json.dumps(c)} {t}' for c, t in columns)})")
        for between in (True, False):
            api = _RecordingAPI(scratch)
            new = api.register("identity_splink_new")
            linker = Linker(new, model, validate_settings=False, log_level=logging.WARNING)
            for table in (t for t in shapes if t.startswith("identity_tf_")):
                linker.table_management.register_term_frequency_lookup(api.register(table), table[len("identity_tf_"):])
            if between:
                linker.inference.predict_between(api.register("identity_splink_left"), new,
                                                 blocking_rules_to_generate_predictions=rules,
                                                 threshold_match_probability=threshold, warning_mode="never")
            else:
                linker.inference.predict_within(new, blocking_rules_to_generate_predictions=rules,
                                                threshold_match_probability=threshold, warning_mode="never")
            if literal not in api.steps[-1][1]:
                raise RuntimeError(f"Splink's prediction SQL does not hold the prior as {literal!r}: is Splink "
                                   "the release pyproject.toml pins?")
            generated[between] = [(table, sql.replace(literal, "cast($prior_weight as float8) + mw_"))
                                  for table, sql in api.steps]
    return generated


def _splink_edges(con: duckdb.DuckDBPyConnection, model: dict, threshold: float, spread: bool) -> None:
    """Scores new/changed records against each other and against the rest -> temp identity_splink_edges.
    `spread`: temp identity_splink_ready is an Arrow copy (tasks/warehouse.py arrow_copy), and so is the scored
    records' identity_splink_new."""
    # candidates (records sharing a blocking rule's keys with a scored record) and the scored ones
    con.execute(f"create or replace temp view identity_splink_left as "
                f"select * {SPLINK_IGNORED} from identity_splink_ready where shares_block or is_scored")
    n_old = scalar(con, "select count(*) from identity_splink_ready where shares_block and not is_scored")
    drop_work_table(con, "identity_splink_new")
    work_table(con, "identity_splink_new", f"select * {SPLINK_IGNORED} from identity_splink_ready where is_scored",
               arrow=spread)
    predictions, made = _splink_predictions(con, model, threshold, between=bool(n_old), spread=spread)
    detail = field_weights_sql(con, predictions)
    # a pair of two new records comes out both ways: keep the one predict_within would give (left key
    # smaller), and drop a record paired with itself. A pair whose first names clearly differ is no
    # edge: employer, title, place and last name outweighed them (siblings at a family clinic); a
    # shared email, phone or LinkedIn URL links such a pair by rule (its identifier was kept for
    # Splink only where the rule edges link its holders)
    con.execute(f"create or replace temp table identity_splink_edges as "
                f"select least(p.record_key_l, p.record_key_r) as record_key_l, "
                f"greatest(p.record_key_l, p.record_key_r) as record_key_r, 'splink' as rule, "
                f"p.match_probability as score, json_object({detail})::varchar as detail "
                f"from {predictions} as p "
                f"join identity_splink_ready as l on l.record_key = p.record_key_l "
                f"join identity_splink_new as r on r.record_key = p.record_key_r "
                f"where (p.record_key_l < p.record_key_r or p.record_key_l not in (select record_key from identity_scored)) "
                f"and not {first_names_differ('l', 'r')}")
    for table in (*made, "identity_splink_new"):
        drop_work_table(con, table)


def _find_changes(con: duckdb.DuckDBPyConnection, rescore: bool) -> int:
    """New, changed and gone records since the last run -> temp identity_changes.

    Ingest stamps every staged record, and every removal from staging, with a change sequence, and a
    run records the highest it took in: the changes since are a range filter. The counts then have to
    add up (staged = linked + new - gone); when they do not (the first run after an upgrade, or
    staging written outside ingest), every staged record is compared with its link instead. A
    rescore takes every staged record as changed. Returns the change sequence new and changed
    records lie above (0 when all were compared).
    """
    since = None if rescore else scalar(con, "select max(change_seq) from meta.identity_runs")
    if since is not None:
        con.execute(f"create or replace temp table identity_changes as {sql_text('core/identity_changes_since')}",
                    {"since": since})
        staged = scalar(con, "select count(*) from staging.candidate_records")
        linked = scalar(con, "select count(*) from core.identity_links")
        new, gone = con.execute("select count(*) filter (where change = 'new'), count(*) filter (where change = 'gone') "
                                "from identity_changes").fetchall()[0]
        if staged == linked + new - gone:
            return since
        log.warning("staging was written outside ingest since the last resolve run (%d record(s) unaccounted "
                    "for); comparing every staged record with its link", abs(staged - (linked + new - gone)))
    con.execute(f"create or replace temp table identity_changes as {sql_text('core/identity_changes')}",
                {"rescore": rescore})
    return 0


def _rescore_holders_of_values_grown_common(con: duckdb.DuckDBPyConnection, max_share: int) -> int:
    """Takes the earlier holders of an identifier this run's records make common or mixed as changed
    records of this run; returns how many.

    Common: held by at most max_share records before, by more now (an agency inbox on ten
    applications, then on two more). Mixed: this run brings a holder whose name clearly differs
    from another holder's (John Doe on the inbox Mary Smith and a nameless record shared). Such a
    value linked its earlier holders by rules that no longer hold for it (a common value links
    nobody, a mixed one only holders of the same name), so those links must go as they would have
    in one run over all the records. A single earlier holder counts too: the value linked it to
    nobody, but Splink compared it (a phone one digit off another's, +10 bits), which one run over
    all the records does not (until 2026-11-28 it kept such an edge). Rescored like a changed
    record, a holder loses its edges and is scored again. Reads temp identity_value_holders and
    identity_value_pairs (share_values): every holder of a scored record's identifiers, and their pairs."""
    con.execute("""
        create or replace temp table identity_grown_common as
        with counted as (
            select rule, value, count(*) as n, count(*) filter (where not is_scored) as earlier
            from identity_value_holders group by all
        ),
        mixed as (  -- within the limit: clearly different names now, and none among the earlier holders
            select rule, value from identity_value_pairs where not agree
            group by all having not bool_or(not scored_l and not scored_r)
        ),
        grown as (
            select rule, value from counted where n > $max_share and earlier <= $max_share
            union all select rule, value from mixed
        )
        select distinct record_key from identity_value_holders semi join grown using (rule, value) where not is_scored
    """, {"max_share": max_share})
    count = _take_as_changed(con, "identity_grown_common")
    if count:
        log.info("%d earlier holder(s) of identifiers now held by more than %d records, or by clearly "
                 "different names, are scored again", count, max_share)
    return count


def _rescore_holders_of_values_left(con: duckdb.DuckDBPyConnection, max_share: int) -> int:
    """Takes the other holders of identifiers that changed and gone records held (temp
    identity_released, with their names as they were) as changed records of this run, where at most
    max_share records hold the value now; returns how many.

    The record leaving may have kept the value common, or mixed (Mary Berg on the inbox two Anna
    records share): without it, its other holders may link by it, as in one run over the records
    as they are now. A value left with one holder links nobody, but Splink compares it again (a
    phone one digit off another's): that holder is scored again when the value was common or mixed
    before (until 2026-11-28 it was not, and kept the Splink edges it had without the value)."""
    agree = names_agree("a", "b")
    con.execute("""
        create or replace temp table identity_released_held as
        select * from (
            select record_key, first_name_key, first_name_canon, last_name_key, full_name_key,
                   email, phone, linkedin_url as linkedin, ats_person_id from core.identity_keys
            where email in (select value from identity_released where rule = 'email')
               or phone in (select value from identity_released where rule = 'phone')
               or linkedin_url in (select value from identity_released where rule = 'linkedin')
               or ats_person_id in (select value from identity_released where rule = 'ats_person_id')
        ) unpivot (value for rule in (email, phone, linkedin, ats_person_id))
        semi join identity_released using (rule, value)
    """)
    # a value left with one holder or none is no longer common or mixed (the one holder of a value that
    # was is scored again below, as are holders of 2 to max_share, and the run stores what it finds)
    con.execute("""
        delete from core.identity_uninformative_values as u using identity_released as r
        where u.kind = if(r.rule = 'linkedin', 'linkedin_url', r.rule) and u.value = r.value
          and (r.rule, r.value) not in (select (rule, value) from identity_released_held group by all having count(*) >= 2)
    """)
    con.execute(f"""
        create or replace temp table identity_left_holders as
        with held as (select * from identity_released_held),
        counted as (select rule, value, count(*) as n from held group by all having count(*) <= $max_share),
        alone as (  -- one holder left: only if the value was common or mixed before the others left
            select rule, value from (select rule, value from counted where n = 1) as c
            where (select count(*) from identity_released as r
                   where r.rule = c.rule and r.value = c.value) + 1 > $max_share
               or exists (select 1 from (select * from held union all by name
                                         select * from identity_released) as a
                          join (select * from held union all by name select * from identity_released) as b
                          on a.record_key < b.record_key
                          where a.rule = c.rule and a.value = c.value and b.rule = c.rule and b.value = c.value
                            and not {agree})
        )
        select distinct record_key from held
        where (rule, value) in (select (rule, value) from counted where n >= 2
                                union all select (rule, value) from alone)
          and record_key not in (select record_key from identity_scored)
    """, {"max_share": max_share})
    return _take_as_changed(con, "identity_left_holders")


def _refresh_unchanged_keys(con: duckdb.DuckDBPyConnection) -> None:
    """Marks changed records whose match keys come out as stored 'refreshed' in temp identity_changes and
    takes them out of identity_scored and identity_scored_keys (the run counts them afterwards).

    A record staged again with other content but the same keys (an export that added a column, an
    ATS record whose stage or tags moved) pairs with every record as it did: its edges, links and
    keys stand, and scoring it again would cost a nightly full export as much as a full run. Its
    link still takes the new payload hash and staging time, and its person's golden record is
    rebuilt (the fields it reads beyond the keys may have changed)."""
    if not scalar(con, "select count(*) from identity_changes where change = 'changed'"):
        return
    # the scored keys' columns, by name on both sides (intersect compares by position, nulls as equal)
    columns = ", ".join(f'"{c[0]}"' for c in con.execute("select * from identity_scored_keys limit 0").description)
    con.execute(f"""
        create or replace temp table identity_refreshed as
        with changed as (select record_key from identity_changes where change = 'changed')
        select record_key from (
            select {columns} from identity_scored_keys semi join changed using (record_key)
            intersect
            select {columns} from core.identity_keys semi join changed using (record_key)
        )
    """)
    count = scalar(con, "select count(*) from identity_refreshed")
    if count:
        con.execute("update identity_changes set change = 'refreshed' "
                    "where record_key in (select record_key from identity_refreshed)")
        for table in ("identity_scored", "identity_scored_keys"):
            con.execute(f"delete from {table} where record_key in (select record_key from identity_refreshed)")
        log.info("%d changed record(s) kept their match keys: their links stand, their golden records are rebuilt",
                 count)


VALUE_TABLES = ("identity_value_holders", "identity_value_pairs")  # share_values' work tables


def share_values(con: duckdb.DuckDBPyConnection, max_share: int, spread: bool) -> None:
    """-> identity_value_holders, every holder in identity_splink_input of each identifier a scored record
    holds, and identity_value_pairs, every two holders of such a value held by 2 to max_share records with
    their names compared (sql/core/identity_value_holders.sql, identity_value_pairs.sql): the rule edges, the
    values grown common or mixed and the values that identify nobody are read from them. `spread`: as Arrow
    copies (tasks/warehouse.py arrow_copy), else temp tables; drop them with drop_work_table.
    On the 1M bench state's incremental run those three steps took 0.11 s, each grouping and pairing the
    holders itself; with these two tables, 0.06 s in all."""
    for name, params in zip(VALUE_TABLES, (None, {"max_share": max_share})):
        work_table(con, name, sql_text(f"core/{name}"), params, arrow=spread)


def _take_as_changed(con: duckdb.DuckDBPyConnection, table: str) -> int:
    """Adds the unchanged records in temp `table` (record_key) to this run's changed records, scored
    with their keys as they are; returns how many."""
    count = scalar(con, f"select count(*) from {table}")
    if count:
        con.execute(f"delete from identity_changes where change = 'refreshed' and record_key in (select record_key from {table})")
        con.execute(f"""
            insert into identity_changes by name
            select k.record_key, k.source_name, k.source_record_id, 'changed' as change, s.payload_sha256, s.staged_at
            from core.identity_keys as k join staging.candidate_records as s using (source_name, source_record_id)
            where k.record_key in (select record_key from {table})
        """)
        con.execute("insert into identity_scored select record_key, source_name, source_record_id from identity_changes "
                    f"where record_key in (select record_key from {table})")
        con.execute(f"insert into identity_replaced select record_key from {table}")
        # their keys stay as they are (the records did not change); the neighbour scan reads them as scored
        con.execute(f"insert into identity_scored_keys by name select * from core.identity_keys "
                    f"where record_key in (select record_key from {table})")
    return count


def _stage_changes(con: duckdb.DuckDBPyConnection, settings: Settings, model: dict, trained_on: int,
                   overrides: Overrides, timer: StepTimer, rescore: bool) -> None:
    """Updates match keys and edges for new/changed/gone records -> temp identity_changes, identity_new_edges."""
    since = _find_changes(con, rescore)
    con.execute("create or replace temp table identity_scored as "
                "select record_key, source_name, source_record_id from identity_changes where change <> 'gone'")
    con.execute(f"create or replace temp table identity_scored_keys as {sql_text('core/identity_keys')}",
                {"since": since})
    if not rescore:
        _refresh_unchanged_keys(con)
    # new and refreshed records keep no keys, edges or links to replace: only changed and gone ones lose theirs
    con.execute("create or replace temp table identity_replaced as "
                "select record_key from identity_changes where change in ('changed', 'gone')")
    replaced = scalar(con, "select count(*) from identity_replaced")
    if replaced:
        # the identifiers they held before: without them, the values' other holders may link now
        con.execute("""
            create or replace temp table identity_released as
            select * from (
                select record_key, first_name_key, first_name_canon, last_name_key, full_name_key,
                       email, phone, linkedin_url as linkedin, ats_person_id from core.identity_keys
                where record_key in (select record_key from identity_replaced)
            ) unpivot (value for rule in (email, phone, linkedin, ats_person_id))
        """)
        con.execute("delete from core.identity_keys where record_key in (select record_key from identity_replaced)")
    con.execute("insert into core.identity_keys by name select * from identity_scored_keys")
    if replaced and not rescore and scalar(con, "select count(*) from identity_released"):
        _rescore_holders_of_values_left(con, settings.identity_max_key_share)
        replaced = scalar(con, "select count(*) from identity_replaced")
    # the records that can pair with a scored record, with what Splink compares: the one table the rule
    # edges and Splink read; when every record is scored (a first run) there is no need to look
    scored = scalar(con, "select count(*) from identity_scored_keys")
    every = scored == scalar(con, "select count(*) from core.identity_keys")  # a first run, or a rescore
    query = sql_text("core/identity_splink_input" if every else "core/identity_neighbours")
    if not scored:  # nothing to pair with: no scan of every record's keys (a 1M run took 0.22–0.28 s, now 0.15–0.16)
        query = f"select * from ({query}) limit 0"
    # a run's neighbours (~100,000 records at 1M) are an Arrow copy: a temp table of one row group is read
    # on one thread, and several heavy statements read them (tasks/warehouse.py arrow_copy); every record
    # (a first run) fills row groups enough
    spread = not every
    for name in ("identity_splink_input", "identity_splink_ready", *VALUE_TABLES):
        drop_work_table(con, name)  # what a run that failed on this connection left, if anything
    work_table(con, "identity_splink_input", query, {"rare_name_max": RARE_NAME_MAX}, arrow=spread)
    share_values(con, settings.identity_max_key_share, spread)
    # when every record is scored, there are no earlier holders to score again
    if scored and not every and _rescore_holders_of_values_grown_common(con, settings.identity_max_key_share):
        replaced = scalar(con, "select count(*) from identity_replaced")
        work_table(con, "identity_splink_input", query, {"rare_name_max": RARE_NAME_MAX}, arrow=spread)
        share_values(con, settings.identity_max_key_share, spread)
    # edges of changed and gone records go, and must-link edges the overrides file no longer holds
    must = overrides.frame()
    con.register("identity_must", must[must["kind"] == "must_link"])
    dropped_must = ("(rule = 'must_link' and (record_key_l, record_key_r) not in "
                    "(select (record_key_l, record_key_r) from identity_must))")
    removed = (f"from core.identity_edges where {dropped_must}" if not replaced else
               "from core.identity_edges where record_key_l in (select record_key from identity_replaced) "
               f"or record_key_r in (select record_key from identity_replaced) or {dropped_must}")
    con.execute(f"create or replace temp table identity_removed_edges as select * {removed}")
    if scalar(con, "select count(*) from identity_removed_edges"):
        con.execute(f"delete {removed}")
    con.execute(f"create or replace temp table identity_new_edges as {sql_text('core/identity_rule_edges')}")
    if not every and not scalar(con, "select coalesce(bool_or(values_stored), false) from meta.identity_runs"):
        store_uninformative_values(con, settings)  # once, after the upgrade to migration 061
    prepare_splink_input(con, "identity_splink_input", "identity_splink_ready", settings, complete=every, store=True,
                         spread=spread)
    timer.lap("match keys, neighbours and rule edges")
    if scalar(con, "select count(*) from identity_scored"):
        records = scalar(con, "select count(*) from core.identity_keys")
        _splink_edges(con, for_size(model, trained_on, records), settings.identity_match_threshold, spread)
        timer.lap("Splink scoring")
        con.execute("insert into identity_new_edges select * from identity_splink_edges as s "
                    "anti join identity_new_edges as d using (record_key_l, record_key_r)")
    # only must-links not stored yet: an unchanged one is no change (its persons are not redone)
    con.execute("insert into identity_new_edges select record_key_l, record_key_r, 'must_link', null, null "
                "from identity_must as m where not exists (select 1 from core.identity_edges as e where "
                "e.rule = 'must_link' and e.record_key_l = m.record_key_l and e.record_key_r = m.record_key_r)")
    con.unregister("identity_must")
    for name in ("identity_splink_input", "identity_splink_ready", *VALUE_TABLES):
        drop_work_table(con, name)


def _override_changes(con: duckdb.DuckDBPyConnection, overrides: Overrides) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Override pairs the file holds that the last run did not apply, and pairs it applied that the
    file no longer holds -> (added, removed), each (kind, record_key_l, record_key_r)."""
    listed = overrides.frame()
    applied = con.execute("select kind, record_key_l, record_key_r from meta.identity_overrides_applied").fetchall()
    if not applied and listed.empty:  # the usual night (pandas' merge of two empty frames: 5 ms)
        return listed, listed
    applied = pd.DataFrame(applied, columns=listed.columns)
    both = applied.merge(listed, how="outer", indicator=True)
    columns = ["kind", "record_key_l", "record_key_r"]
    return both.loc[both["_merge"] == "right_only", columns], both.loc[both["_merge"] == "left_only", columns]


def _affected(con: duckdb.DuckDBPyConnection, overrides: Overrides, added: pd.DataFrame,
              removed: pd.DataFrame) -> pd.DataFrame:
    """Records to re-cluster: new/changed ones plus every record of a person the changes touch, or an
    override added or taken out since the last run, closed over edges. An override the last run
    applied already changes nothing by itself (its persons were not rewritten every run)."""
    frame = overrides.frame()
    keys = pd.DataFrame({"record_key": pd.concat([added["record_key_l"], added["record_key_r"],
                                                  removed["record_key_l"], removed["record_key_r"]]).unique()})
    con.register("identity_override_keys", keys)
    con.execute("""
        create or replace temp table identity_seed_persons as
        select distinct l.person_id from core.identity_links as l
        where l.record_key in (
            select record_key from identity_changes where change <> 'refreshed'
            union all select record_key_l from identity_new_edges union all select record_key_r from identity_new_edges
            union all select record_key_l from identity_removed_edges
            union all select record_key_r from identity_removed_edges
            union all select record_key from identity_override_keys)
    """)
    con.unregister("identity_override_keys")
    # A stored edge joins two records of one person unless a cannot-link split them: only then can a
    # stored edge reach another person, whose records must be clustered again with these.
    while (frame["kind"] == "cannot_link").any():
        more = con.execute("""
            with members as (
                select record_key from core.identity_links
                where person_id in (select person_id from identity_seed_persons)
            ), reached as (
                select e.record_key_r as record_key from core.identity_edges as e join members as m on m.record_key = e.record_key_l
                union select e.record_key_l from core.identity_edges as e join members as m on m.record_key = e.record_key_r
            )
            select distinct l.person_id from core.identity_links as l join reached as r
              on r.record_key = l.record_key
            where l.person_id not in (select person_id from identity_seed_persons)
        """).df()
        if more.empty:
            break
        con.register("identity_more", more)
        con.execute("insert into identity_seed_persons select person_id from identity_more")
        con.unregister("identity_more")
    # a record its source deleted and staged again comes back to the id it held, if that id holds no records
    # once this run's deletions are taken out and was not merged away (is_revived; assign_ids gives a live id
    # in its cluster precedence): a night whose export lists it again and leaves out the id's last record gave
    # it a new id, where a run after each of the two changes gave the id back
    con.execute("""
        create or replace temp table identity_retired_homes as
        with back as materialized (
            select record_key, person_id, linked_at, first_linked_at from core.identity_gone_links
            where record_key in (select record_key from identity_changes where change = 'new')
        )
        -- the lookups are narrowed to the returning records' ids first: a `not in` builds its hash table
        -- from the whole subquery (every person's id, 0.04 s a run at 1M records, with no record returning)
        select * from back
        where person_id not in (select person_id from core.identity_links
                                where person_id in (select person_id from back)
                                  and record_key not in (select record_key from identity_changes where change = 'gone'))
          and person_id not in (select person_id from core.person_merges
                                where kind = 'merge' and person_id in (select person_id from back))
    """)
    # scored records, then the other current records of the seed persons (gone ones are in identity_changes);
    # link_row is the row of the record's current link, which the run replaces by row id
    con.execute("""
        create or replace temp table identity_affected as
        select c.record_key, coalesce(l.person_id, g.person_id) as old_person_id,
               coalesce(l.first_linked_at, g.first_linked_at) as since, coalesce(l.linked_at, g.linked_at) as linked_at,
               l.rule as old_rule, l.score as old_score, true as is_scored, g.person_id is not null as is_revived,
               c.source_name, c.source_record_id, c.payload_sha256, c.staged_at, l.rowid as link_row,
               b.person_id as gone_person_id  -- a returning record's id when it was deleted (its move's from)
        from identity_changes as c
        left join core.identity_links as l using (record_key)
        left join identity_retired_homes as g on c.change = 'new' and g.record_key = c.record_key
        left join core.identity_gone_links as b on c.change = 'new' and b.record_key = c.record_key
        where c.change in ('new', 'changed')
        union all
        select record_key, person_id, first_linked_at, linked_at, rule, score, false, false, source_name,
               source_record_id, payload_sha256, staged_at, rowid, null
        from core.identity_links
        where person_id in (select person_id from identity_seed_persons)
          and record_key not in (select record_key from identity_changes where change <> 'refreshed')
    """)
    # in record-key order: cluster labels, and so the order new ids are drawn in, do not depend on
    # the order DuckDB reads rows in (two warehouses given the same records give the same ids); the staged
    # version's columns stay in the table, for the links written back (pandas' strings of 21,307 rows: 15 ms)
    return con.execute("select * exclude (source_name, source_record_id, payload_sha256, staged_at) "
                       "from identity_affected order by record_key").df()


def _link_rules(records: pd.DataFrame, edges: pd.DataFrame, stored: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Each record's strongest edge inside its own person -> (rule, score), arrays in the order of
    `records`; records with none are singletons. `stored`: `edges` are this run's only, in a run whose
    persons only grow; a linked record's stored edges all lie inside its person still, and its link's
    rule and score are the strongest of them."""
    left, right = edges["at_l"].to_numpy(dtype="int64"), edges["at_r"].to_numpy(dtype="int64")  # positions in `records`
    pid = records["person_id"].to_numpy()
    inside = np.flatnonzero(pid[left] == pid[right])
    ends = np.concatenate([left[inside], right[inside]])
    edge = np.concatenate([inside, inside])
    strength = clustering.strength(edges).to_numpy()[edge]
    order = np.lexsort((strength, ends))  # by record, strongest first
    first = order[np.r_[True, ends[order][1:] != ends[order][:-1]]] if len(order) else order
    rule = np.full(len(records), "singleton", dtype=object)
    score = np.full(len(records), np.nan)
    rule[ends[first]] = edges["rule"].to_numpy()[edge[first]]
    score[ends[first]] = edges["score"].to_numpy(dtype=float, na_value=np.nan)[edge[first]]
    if stored:  # the stronger of the link's and this run's; equally strong edges have one rule and score
        best = np.full(len(records), np.inf)
        best[ends[first]] = strength[first]
        linked = records["old_rule"].notna().to_numpy() & records["old_rule"].ne("singleton").to_numpy()
        link = clustering.strength(records[["old_rule", "old_score"]].set_axis(["rule", "score"], axis=1)).to_numpy()
        keep = linked & (link <= best)
        rule[keep] = records["old_rule"].to_numpy()[keep]
        score[keep] = records["old_score"].to_numpy(dtype=float, na_value=np.nan)[keep]
    return rule, np.where(rule == "splink", score, np.nan)


def resolve(con: duckdb.DuckDBPyConnection, settings: Settings, rescore: bool = False) -> ResolveResult:
    """Reads staging.candidate_records -> writes core.identity_links, core.persons, edges and history (one transaction).

    A run scores new and changed records; `rescore` scores every record again with the current
    model and threshold (after `--train` or a threshold change), keeping person ids stable.
    """
    now = utcnow(settings)
    overrides = load_overrides(con, settings.config_dir)
    register_lookups(con)
    with checkpoint_at_commit(con), transaction(con):
        result = _resolve(con, settings, overrides, now, rescore)
    log.info("resolve run %d: %d records -> %d persons; scored %d, removed %d, merges %d, splits %d",
             result.run_id, result.records_total, result.persons_total, result.records_scored,
             result.records_removed, result.merges, result.splits)
    return result


def _resolve(con: duckdb.DuckDBPyConnection, settings: Settings, overrides: Overrides, now: datetime,
             rescore: bool) -> ResolveResult:
    version, model, trained_on = current_model(con, now)
    check_model_fits(con, version, model)
    run_id = scalar(con, "select coalesce(max(run_id), 0) + 1 from meta.identity_runs")
    change_seq = scalar(con, "select greatest(max(change_seq), (select max(change_seq) from staging.deleted_records)) "
                              "from staging.candidate_records")  # what this run takes in
    result = ResolveResult(run_id=run_id, model_version=version)
    timer = StepTimer(f"resolve run {run_id}", log)
    hash_match_keys(con)
    _match_by_address(con, now)   # before this run moves any address off a person
    _stage_changes(con, settings, regularize(model), trained_on, overrides, timer, rescore)
    result.records_scored = scalar(con, "select count(*) from identity_scored")
    result.records_refreshed = scalar(con, "select count(*) from identity_changes where change = 'refreshed'")
    result.records_removed = scalar(con, "select count(*) from identity_changes where change = 'gone'")
    con.execute("insert into core.identity_edges by name select *, ?::timestamptz as created_at, "
                "case when rule = 'splink' then ?::integer end as model_version from identity_new_edges", [now, version])

    added, removed = _override_changes(con, overrides)
    records = _affected(con, overrides, added, removed)
    timer.lap("affected persons")
    keys = records["record_key"]
    cannot = overrides.frame()
    cannot = cannot[cannot["kind"] == "cannot_link"]
    # persons only grow when no cannot-link is listed, none was taken out, and no stored edge went: every
    # stored edge then joins two records of one person, which this run's edges can only join to others,
    # so the persons as they are stand for the stored edges (whose reading took 0.04 s at 1M records)
    grows = cannot.empty and removed.empty and not scalar(con, "select count(*) from identity_removed_edges")
    if grows:
        log.debug("resolve: persons only grow; their stored edges are not read")
    # both ends among the affected records, by their positions in `records` (record-key order; pandas'
    # lookups of 21,307 key strings cost clustering and link rules 0.02 s a run)
    edges = con.execute(f"with positions as (select record_key, (row_number() over (order by record_key) - 1)::integer "
                        f"as i from identity_affected) "
                        f"select l.i as at_l, r.i as at_r, e.rule, e.score "
                        f"from {'identity_new_edges' if grows else 'core.identity_edges'} as e "
                        "join positions as l on l.record_key = e.record_key_l "
                        "join positions as r on r.record_key = e.record_key_r "
                        "order by at_l, at_r, e.rule").df()
    held = records["old_person_id"].where(records["link_row"].notna()) if grows else None  # not a returning id
    records["cluster"] = clustering.cluster(keys, edges, cannot, records["old_person_id"], held)
    records["since"] = records["since"].fillna(pd.Timestamp(now))

    def new_ids(k: int) -> np.ndarray:
        if not k:
            return np.zeros(0, dtype="int64")
        return con.execute("select nextval('meta.person_id_seq') as id from range(?)", [k]).fetchnumpy()["id"]

    records["person_id"], history = clustering.assign_ids(records, new_ids)
    old_ids = set(records["old_person_id"].dropna().astype("int64"))
    revived = set(records.loc[records["is_revived"], "old_person_id"].astype("int64"))
    back = (records[records["person_id"].isin(revived)].groupby("person_id").size() if revived
            else pd.Series([], dtype="int64"))
    history = pd.concat([history, pd.DataFrame({"person_id": back.index.astype("int64"), "into_person_id": None,
                                                "kind": "revive", "record_count": back.to_numpy()})],
                        ignore_index=True)
    gone = con.execute("""
        select l.record_key, l.person_id from core.identity_links as l join identity_changes as c
          on c.record_key = l.record_key where c.change = 'gone'
    """).df() if result.records_removed else pd.DataFrame({"record_key": [], "person_id": []})
    gone_ids = gone["person_id"].unique()
    retired = sorted((set(gone_ids) | old_ids) - set(records["person_id"]) - set(history.loc[history["kind"] == "merge", "person_id"]))
    history = pd.concat([history, pd.DataFrame({"person_id": retired, "into_person_id": None, "kind": "retire",
                                                "record_count": 0})], ignore_index=True)
    history["reason"] = _reasons(history, records, gone, overrides, removed, rescore)
    history.loc[history["person_id"].isin(revived), "reason"] = "record_returned"

    timer.lap("clusters")
    records["rule"], records["score"] = _link_rules(records, edges, stored=grows)
    unchanged = records["old_person_id"].eq(records["person_id"]) & records["linked_at"].notna() & ~records["is_revived"]
    records["linked_at"] = records["linked_at"].where(unchanged, pd.Timestamp(now))
    # a link whose record, person, rule and score all stay is not rewritten (less to commit)
    kept = (unchanged & ~records["is_scored"] & records["rule"].eq(records["old_rule"])
            & (records["score"].eq(records["old_score"]) | (records["score"].isna() & records["old_score"].isna())))
    # a record that changes person id is a move: a merge or a split, and a record its source deleted coming
    # back into another person than the one it was in (a deleted record is still the record it was: the ids
    # it was under follow it); core.person_successors follows ids by the records that moved (migration 071)
    before = records["old_person_id"].fillna(records["gone_person_id"])
    moved = before.notna() & before.ne(records["person_id"])
    if moved.any():
        con.register("identity_moved", records.loc[moved, ["record_key", "person_id"]].assign(
            from_person_id=before[moved].astype("int64")))
        con.execute("insert into core.identity_record_moves select m.record_key, a.source_name, m.from_person_id, "
                    "m.person_id, ?, ? from identity_moved as m join identity_affected as a using (record_key)",
                    [run_id, now])
        con.unregister("identity_moved")
    con.register("identity_new_links", records.loc[~kept, ["person_id", "rule", "score", "linked_at", "since",
                                                           "record_key", "link_row"]])
    # rewritten links go by the row id read with them (a semi join on record keys scans every link's key);
    # gone records' links by key, on the runs that have any
    con.execute("delete from core.identity_links where rowid in (select link_row from identity_new_links)")
    if result.records_removed:  # each keeps the id it held, for a return (migration 060)
        gone_keys = "record_key in (select record_key from identity_changes where change = 'gone')"
        con.execute(f"delete from core.identity_gone_links where {gone_keys}")
        con.execute(f"insert into core.identity_gone_links select record_key, source_name, source_record_id, person_id, "
                    f"linked_at, first_linked_at, ?, ? from core.identity_links where {gone_keys}", [now, run_id])
        con.execute(f"delete from core.identity_links where {gone_keys}")
    # returned: linked again, whether to the id they held or not (one that joined a live person stayed listed)
    returned = "record_key in (select record_key from identity_changes where change = 'new')"
    if scalar(con, f"select count(*) from core.identity_gone_links where {returned}"):
        con.execute(f"delete from core.identity_gone_links where {returned}")
    con.execute("insert into core.identity_links by name "
                "select n.* exclude (since, link_row), n.since as first_linked_at, a.source_name, a.source_record_id, "
                "a.payload_sha256, a.staged_at "
                "from identity_new_links as n join identity_affected as a using (record_key)")
    con.unregister("identity_new_links")
    refreshed_ids: list[int] = []
    if result.records_refreshed:  # their persons stand; their links take the version now staged
        con.execute("update core.identity_links as l set payload_sha256 = c.payload_sha256, staged_at = c.staged_at "
                    "from identity_changes as c where c.change = 'refreshed' and c.record_key = l.record_key")
        refreshed_ids = con.execute("select distinct person_id from core.identity_links where record_key in "
                                    "(select record_key from identity_changes where change = 'refreshed')").df()["person_id"].tolist()
    history["run_id"] = run_id
    history["merged_at"] = pd.Timestamp(now)
    con.execute("delete from meta.identity_overrides_applied")
    con.register("identity_overrides_now", overrides.frame())
    con.execute("insert into meta.identity_overrides_applied select kind, record_key_l, record_key_r "
                "from identity_overrides_now")
    con.unregister("identity_overrides_now")
    con.register("identity_history", history)
    con.execute("insert into core.person_merges select person_id, into_person_id, kind, reason, record_count, "
                "run_id, merged_at from identity_history")
    con.unregister("identity_history")

    timer.lap("links and history")
    dirty = pd.DataFrame({"person_id": sorted(old_ids | set(gone_ids) | set(records["person_id"]) | set(refreshed_ids))},
                         dtype="int64")
    con.register("persons_in_scope", dirty)
    scope_records(con)
    # the count before the run's own deletes is read from the table's row groups; after them, DuckDB scans
    # (5.6 ms at 1M persons)
    persons_before = scalar(con, "select count(*) from core.persons")
    persons_deleted = scalar(con, "delete from core.persons where person_id in (select person_id from persons_in_scope)")
    persons_inserted = scalar(con, f"insert into core.persons by name {sql_text('core/persons')}", {"now": now})
    timer.lap("golden records")
    replace_person_addresses(con)
    con.unregister("persons_in_scope")
    timer.lap("person addresses")
    log.info("resolve run %d steps: %s", run_id, timer)

    counts = Counter(history["kind"])
    result.merges, result.splits, result.retired, result.revived = (
        int(counts.get(k, 0)) for k in ("merge", "split", "retire", "revive"))
    result.persons_created = len(set(records["person_id"]) - old_ids)  # a revived id is an old one
    result.links_by_rule = dict(con.execute("select rule, count(*) from core.identity_links group by rule").fetchall())
    result.records_total = sum(result.links_by_rule.values())  # one link per record
    result.persons_total = persons_before - persons_deleted + persons_inserted
    con.execute("insert into meta.identity_runs (run_id, started_at, finished_at, model_version, records_total, "
                "records_scored, records_refreshed, records_removed, persons_total, persons_created, merges, splits, "
                "retired, revived, change_seq, values_stored) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, true)",
                [run_id, now, utcnow(settings), version, result.records_total, result.records_scored,
                 result.records_refreshed, result.records_removed, result.persons_total, result.persons_created,
                 result.merges, result.splits, result.retired, result.revived, change_seq])
    return result


def _match_by_address(con: duckdb.DuckDBPyConnection, now: datetime) -> None:
    """Records in core.erasure_persons the persons each erasure request by address not matched before
    reaches now (sql/core/erasure_persons.sql), and in core.event_persons those each unsubscribe, spam
    report or inbound SMS (a STOP) carrying only an address reaches (sql/core/event_persons.sql), so that
    they keep holding for them after this or a later run takes the address off them (an ATS anonymizes the record)."""
    from tasks.journey.consent import create_views, key_addresses  # consent imports this module (scope_records)

    requests = scalar(con, "select count(*) from raw.erasure_requests where (email is not null or phone is not null) "
                           "and request_id not in (select request_id from core.erasure_persons)")
    events = scalar(con, "select count(*) from raw.provider_events where person_id is null and address is not null "
                         "and (event_kind in ('unsubscribed', 'spam_report') "
                         "     or channel = 'sms' and event_kind in ('inbound_sms', 'replied')) "
                         "and provider_event_id not in (select provider_event_id from core.event_persons)")
    if requests or events:
        key_addresses(con)  # their addresses as staging reads them (email_norm, address_norm, their mailboxes)
    if requests:
        con.execute(f"insert into core.erasure_persons by name {sql_text('core/erasure_persons')}", {"now": now})
    if events:
        create_views(con)  # matched as core.provider_events_resolved matches them (a STOP: its keyword)
        con.execute(f"insert into core.event_persons by name {sql_text('core/event_persons')}", {"now": now})


def scope_records(con: duckdb.DuckDBPyConnection) -> None:
    """-> temp person_records: the current records of the persons in temp persons_in_scope, with the
    row ids of their staging rows (sql/core/person_records.sql); golden records and addresses read them."""
    con.execute(f"create or replace temp table person_records as {sql_text('core/person_records')}")


def replace_person_addresses(con: duckdb.DuckDBPyConnection) -> int:
    """Replaces the core.person_addresses rows of the persons in temp persons_in_scope (their records
    in temp person_records); returns the rows written.

    The consent views match address suppressions (do-not-contact, STOP, erasure by address) to persons
    through this table, so a run that merges or splits persons rewrites their rows in its own
    transaction: a sender never sees persons with the addresses of the run before.
    """
    con.execute("delete from core.person_addresses where person_id in (select person_id from persons_in_scope)")
    return scalar(con, f"insert into core.person_addresses by name {sql_text('core/person_addresses')}")


def _reasons(history: pd.DataFrame, records: pd.DataFrame, gone: pd.DataFrame, overrides: Overrides,
             removed: pd.DataFrame, rescore: bool) -> pd.Series:
    """Why each history row happened: an override that did it (a cannot-link whose two records were
    one person and now are not, a must-link whose records were not and now are; or such a pair
    taken out of the file since the last run, or left out since its source deleted one of its
    records: `gone`, (record_key, person_id) of this run's gone records), a rescore (the model or
    threshold changed), or the evidence. A person merely holding an override record gets no
    override reason for other changes."""
    if not overrides.must_link and not overrides.cannot_link and removed.empty:  # no override listed or taken out
        kind = history["kind"].to_numpy()
        return pd.Series(np.where(kind == "merge", "rescored" if rescore else "new_evidence",
                                  np.where(kind == "split", "rescored" if rescore else "evidence_gone", "records_gone")),
                         index=history.index, dtype=object)
    # a gone record stands for the id its person now has: a cannot-link left out with it let that person
    # take in the other side (this was put down to new evidence, with no new record or edge at all)
    merges = history[history["kind"] == "merge"]
    survivor = dict(zip(merges["person_id"].astype("int64"), merges["into_person_id"].astype("int64")))
    gone_at = pd.DataFrame({"old_person_id": gone["person_id"].to_numpy(dtype=float),
                            "person_id": gone["person_id"].map(survivor).fillna(gone["person_id"]).to_numpy(dtype=float)},
                           index=gone["record_key"].to_numpy())
    at = pd.concat([records.set_index("record_key")[["old_person_id", "person_id"]].astype("float"), gone_at])

    def pairs(frame: pd.DataFrame, kind: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        chosen = frame[frame["kind"] == kind]
        left, right = at.reindex(chosen["record_key_l"]), at.reindex(chosen["record_key_r"])
        return (left["old_person_id"].to_numpy(dtype=float), right["old_person_id"].to_numpy(dtype=float),
                left["person_id"].to_numpy(dtype=float), right["person_id"].to_numpy(dtype=float))

    def separated(frame: pd.DataFrame, kind: str) -> set[int]:  # old ids whose pair the run took apart
        old_l, old_r, new_l, new_r = pairs(frame, kind)
        return set(old_l[(old_l == old_r) & (new_l != new_r)].astype("int64"))

    def joined(frame: pd.DataFrame, kind: str) -> set[int]:  # old ids whose pair the run put together
        old_l, old_r, new_l, new_r = pairs(frame, kind)
        together = (old_l != old_r) & (new_l == new_r)  # a new record has no old id (NaN equals nothing)
        ids = np.concatenate([old_l[together], old_r[together]])
        return set(ids[~np.isnan(ids)].astype("int64"))

    now = overrides.frame()
    must, cannot = joined(now, "must_link"), separated(now, "cannot_link")
    cannot_gone, must_gone = joined(removed, "cannot_link"), separated(removed, "must_link")
    reasons = []
    for kind, pid in zip(history["kind"], history["person_id"]):
        if kind == "merge":
            reasons.append("must_link" if pid in must else "override_removed" if pid in cannot_gone else
                           "rescored" if rescore else "new_evidence")
        elif kind == "split":
            reasons.append("cannot_link" if pid in cannot else "override_removed" if pid in must_gone else
                           "rescored" if rescore else "evidence_gone")
        else:
            reasons.append("records_gone")
    return pd.Series(reasons, index=history.index, dtype=object)
