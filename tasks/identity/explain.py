"""`candor explain PERSON_ID`: the records in a person and, for each link, the rule or the field weights
behind it; `candor compare A B`: how a run sees two records, linked or not."""

from __future__ import annotations

import json
import math

import duckdb
import pandas as pd

from tasks.clock import utcnow
from tasks.identity.model import BLOCKING_KEYS, RARE_NAME_MAX, blocking_rules, for_size, regularize
from tasks.identity.resolve import (SPLINK_IGNORED, VALUE_TABLES, KeyHashesNotCurrent, check_model_fits,
                                    current_model, field_weights_sql, first_names_differ, key_hashes_current,
                                    prepare_splink_input, register_lookups, share_values, splink_linker)
from tasks.settings import Settings
from tasks.warehouse import drop_work_table, scalar, sql_text


def explain(con: duckdb.DuckDBPyConnection, person_id: int) -> dict:
    """Reads core.* for one person -> {person, records, evidence, overrides, history, gone (why an id has no golden
    record)}; KeyError for an unknown id."""
    person = con.execute("select person_id, display_name, email, phone, city, country, record_count, sources "
                         "from core.persons where person_id = ?", [person_id]).df()
    history = con.execute("select kind, person_id, into_person_id, reason, record_count, merged_at "
                          "from core.person_merges where ? in (person_id, into_person_id) order by merged_at, kind",
                          [person_id]).df()
    if person.empty and history.empty:
        raise KeyError(f"no person {person_id} (never existed)")
    records = con.execute("""
        select l.record_key as record, l.rule, round(l.score, 4) as score,
               s.full_name as name, s.email, s.phone, s.city, s.current_company as company, l.linked_at
        from core.identity_links as l
        join staging.candidate_records as s using (source_name, source_record_id)
        where l.person_id = ? order by l.first_linked_at, record
    """, [person_id]).df()
    evidence = con.execute("""
        with members as (
            select record_key from core.identity_links where person_id = ?
        ), keys as (
            select record_key, email, phone, linkedin_url, ats_person_id from core.identity_keys
            where record_key in (select record_key from members)
        )
        select e.record_key_l as record_a, e.record_key_r as record_b, e.rule, round(e.score, 4) as score,
               e.model_version as model, e.score as exact_score, e.detail,
               -- the value a rule edge rests on, as the rule compares it (an email: the mailbox it reaches)
               case when e.rule = 'email' and a.email = b.email then 'both reach the mailbox ' || a.email
                    when e.rule = 'phone' and a.phone = b.phone then 'both hold ' || a.phone
                    when e.rule = 'linkedin' and a.linkedin_url = b.linkedin_url then 'both hold ' || a.linkedin_url
                    when e.rule = 'ats_person_id' and a.ats_person_id = b.ats_person_id then 'both hold ' || a.ats_person_id
               end as shared
        from core.identity_edges as e
        left join keys as a on a.record_key = e.record_key_l
        left join keys as b on b.record_key = e.record_key_r
        where e.record_key_l in (select record_key from members) and e.record_key_r in (select record_key from members)
        order by e.rule, e.score desc nulls first, record_a, record_b
    """, [person_id]).df()
    evidence["detail"] = [shared if isinstance(shared, str) else _weights(d, score)
                          for d, score, shared in zip(evidence["detail"], evidence.pop("exact_score"), evidence.pop("shared"))]
    evidence = evidence.astype({"model": "Int64"})  # a rule edge was scored by no model
    # the reviewer's decisions on its records, as the last run applied them: a cannot-link is no edge, so
    # without this a part split off by one showed nothing of why it stands apart from the other part
    overrides = con.execute("""
        with members as (
            select record_key from core.identity_links where person_id = $person
        ), pairs as (
            select kind, record_key_l as record, record_key_r as other from meta.identity_overrides_applied
            where record_key_l in (select record_key from members)
            union all  -- a pair inside the person (a must-link) once
            select kind, record_key_r, record_key_l from meta.identity_overrides_applied
            where record_key_r in (select record_key from members) and record_key_l not in (select record_key from members)
        )
        select p.kind, p.record, p.other as other_record, l.person_id as other_person
        from pairs as p left join core.identity_links as l on l.record_key = p.other
        order by p.kind, p.record, p.other
    """, {"person": person_id}).df().astype({"other_person": "Int64"})  # a record gone since has none
    # the view's query, not the view: the journey creates the view, and explain may come before it
    successors = [] if len(person) else con.execute(
        f"select successor_id, is_merged from ({sql_text('core/person_successors')}) where person_id = ? "
        "order by successor_id", [person_id]).fetchall()
    live = next((s for s, merged in successors if merged), None)
    # persons a split took records on to since: a must-link taken out again parts the merged records from the survivor
    # (not the person it lives on as, which a part split off and merged back into reaches both ways)
    split_off = [s for s, merged in successors if not merged and s != live]
    # read, not current_model(): explain writes nothing, and a warehouse never resolved has no model stored yet
    model = scalar(con, "select max(version) from meta.identity_models")
    return {"person": person.to_dict("records"), "records": records.to_dict("records"), "model": model,
            "evidence": evidence.to_dict("records"), "overrides": overrides.to_dict("records"),
            "history": history.to_dict("records"),
            "gone": None if len(person) else _gone(history, person_id, live, split_off)}


def person_of_record(con: duckdb.DuckDBPyConnection, record_key: str) -> int:
    """Reads core.identity_links -> the person a current record (source:id) is in; KeyError naming why for one no run linked."""
    person_id = scalar(con, "select person_id from core.identity_links where record_key = ?", [record_key])
    if person_id is None:
        raise _not_current(con, [record_key])
    return person_id


def _not_current(con: duckdb.DuckDBPyConnection, missing: list[str], follow_renames: bool = True) -> KeyError:
    """The error for record keys no resolve run links, each with its reason: staged but not taken in yet, deleted
    by its source, of a source renamed since (with the key's reason under the new name), or no current record at
    all (one reason only named the first kind: a deleted record hid a mistyped key beside it)."""
    unresolved = [r[0] for r in con.execute(
        "select source_name || ':' || source_record_id from staging.candidate_records "
        "where source_name || ':' || source_record_id in (select unnest(?::varchar[]))", [missing]).fetchall()]
    problems = []
    if unresolved:
        problems.append(f"record {', '.join(sorted(unresolved))} is staged but no resolve run has taken it in "
                        f"yet: run `candor resolve` first")
    # a record its source deleted was "no current record", as if the key were mistyped; it is named with the
    # person it was in when a run took the deletion in (core.identity_gone_links), where what came with it stays
    deleted = con.execute(
        "select d.k, d.at, g.person_id from (select source_name || ':' || source_record_id as k, max(deleted_at) as at "
        "from staging.deleted_records where k in (select unnest(?::varchar[])) group by k) as d "
        "left join core.identity_gone_links as g on g.record_key = d.k order by d.k",
        [[k for k in missing if k not in unresolved]]).fetchall()
    problems += [f"record {k} was deleted by its source on {at:%Y-%m-%d %H:%M} UTC (an API delete, "
                 f"or a full export that left it out): no person holds it now"
                 + (f"; it was in person {was} (`candor explain {was}`)" if was is not None else "")
                 for k, at, was in deleted]
    unknown = [k for k in missing if k not in unresolved and k not in {k for k, _, _ in deleted}]
    # a key from before its source was renamed (sources.yaml renamed_from) read as mistyped: it names the key now
    renamed = {k: found for k in unknown if follow_renames and (found := _renamed(con, k))}
    for key, (now, how) in renamed.items():
        person = scalar(con, "select person_id from core.identity_links where record_key = ?", [now])
        reason = None if person is not None else _not_current(con, [now], follow_renames=False).args[0]
        problems.append(f"no current record {key} nor {now} ({how})" if reason and reason.startswith("no current record")
                        else f"record {key} is {now} now ({how}): "
                             + (f"it is in person {person} (`candor explain {person}`)" if reason is None else reason))
    unknown = [k for k in unknown if k not in renamed]
    if unknown:
        problems.append(f"no current record {', '.join(unknown)} (records are source:id, as "
                        f"`candor explain PERSON_ID` lists them)")
    return KeyError("; ".join(problems))


def _renamed(con: duckdb.DuckDBPyConnection, record_key: str) -> tuple[str, str] | None:
    """(the key now, how its source was renamed) for a record key whose source meta.source_renames renames,
    following later renames of the new name; None for a source never renamed."""
    source, colon, record_id = record_key.partition(":")
    steps, seq = [], -1
    # each step a later rename than the one before: a swap renames two names in one step, and goes no further
    while colon and (row := con.execute("select seq, new_name, renamed_at from meta.source_renames "
                                        "where old_name = ? and seq > ? order by seq limit 1", [source, seq]).fetchone()):
        seq, source, at = row
        steps.append(f"{source} on {at:%Y-%m-%d %H:%M} UTC")
    if not steps:
        return None
    return f"{source}:{record_id}", f"source {record_key.partition(':')[0]} was renamed to {', then to '.join(steps)}"


def _gone(history: pd.DataFrame, person_id: int, live: int | None, split_off: list[int]) -> str:
    """Why an id has no golden record any more: where its last records went, the live person a
    merged-away id lives on as (its survivor may have been merged away since), and the live persons
    records it held are in now, having left it or its survivor since (`split_off`, from core.person_successors:
    a split, or a record its source deleted coming back elsewhere)."""
    own = history[history["person_id"] == person_id]
    if own.empty:
        return f"person {person_id} has no records any more"
    last_run = own[own["merged_at"] == own["merged_at"].max()]
    merges, splits = last_run[last_run["kind"] == "merge"], last_run[last_run["kind"] == "split"]
    if merges.empty:  # retired: records split off before live on elsewhere (and the id's suppressions hold there)
        since = f"; records it held went on to person {', '.join(map(str, split_off))}" if split_off else ""
        see = f"; see {', '.join(f'`candor explain {p}`' for p in split_off)}" if split_off else ""
        return f"person {person_id} has no records any more ({last_run.iloc[-1]['reason']}){since}{see}"
    # one run can merge an id away and split some of its records off to other persons
    into = merges.iloc[0]["into_person_id"]
    also = "".join(f"; {r.record_count} record(s) went to person {r.into_person_id} ({r.reason})"
                   for r in splits.itertuples())
    now = f", which lives on as person {live}" if live is not None and live != into else ""
    # a must-link taken out again: the merged records left the survivor for a new id, which explain
    # did not name (it pointed only at the survivor, which holds none of them any more)
    later = [s for s in split_off if s not in set(splits["into_person_id"])]
    since = f"; records it held went on to person {', '.join(map(str, later))} since" if later else ""
    see = ", ".join(f"`candor explain {p}`" for p in [live if live is not None else into, *later])
    return f"person {person_id} was merged into person {into} ({merges.iloc[0]['reason']}){now}{also}{since}; see {see}"


def _weights(detail: str | None, score: float | None = None) -> str:
    """Splink's prior and per-field match weights (log2 odds and Bayes factors) and their sum, the match
    weight, as `prior -15.28, name +14.21, city +5.15 = +4.08`; fields with no data left out. An edge stored
    before the prior was kept (2026-11-27) has it derived from its score, when the score is below 1."""
    if not detail:
        return ""
    weights = json.loads(detail)
    if "prior" not in weights and score is not None and 0 < score < 1:
        weights = {"prior": round(math.log2(score / (1 - score)) - sum(weights.values()), 2), **weights}
    terms = ", ".join(f"{k} {v:+.2f}" for k, v in weights.items() if v or k == "prior")
    return f"{terms} = {sum(weights.values()):+.2f}" if "prior" in weights else terms


def compare(con: duckdb.DuckDBPyConnection, settings: Settings, record_a: str, record_b: str) -> dict:
    """Scores two current records against each other as a run would -> {records, verdict, blocks}; KeyError for an
    unknown record, IncompatibleModel when the current model compares columns the match keys lack.

    Says which person each is in, which deterministic rule links them (and which identifiers they
    share that neither link them nor count for Splink, and why), which blocking rules would
    pair them for Splink (a pair no rule blocks is never scored), Splink's probability and
    per-field weights with the current model, threshold and warehouse size, even below the threshold,
    and whether their first names clearly differ (then no Splink score links them).
    """
    if record_a == record_b:
        raise KeyError("give two different records")
    keys = [record_a, record_b]
    current = {r[0] for r in con.execute("select record_key from core.identity_keys where record_key in (?, ?)",
                                         keys).fetchall()}
    missing = [k for k in keys if k not in current]
    if missing:
        raise _not_current(con, missing)
    low, high = sorted(keys)
    if not key_hashes_current(con):  # the neighbour scan joins on them: stale, it would miss blocks
        raise KeyHashesNotCurrent("the match keys' hashes are not current (made by another DuckDB "
                                  "release, or not yet after an upgrade): `candor resolve` makes them again")
    register_lookups(con)
    # the two records taken as a run's scored records, with their neighbours: block sizes and shared
    # values count exactly as in a run
    con.execute("create or replace temp table identity_scored_keys as "
                "select * from core.identity_keys where record_key in (?, ?)", keys)
    con.execute(f"create or replace temp table identity_splink_input as {sql_text('core/identity_neighbours')}",
                {"rare_name_max": RARE_NAME_MAX})
    share_values(con, settings.identity_max_key_share, spread=False)
    rule = scalar(con, f"select string_agg(rule, ', ' order by rule) from ({sql_text('core/identity_rule_edges')}) "
                       f"where record_key_l = $low and record_key_r = $high", {"low": low, "high": high})
    prepare_splink_input(con, "identity_splink_input", "identity_splink_ready", settings, complete=False)
    for name in VALUE_TABLES:
        drop_work_table(con, name)
    # identifiers they share that neither link them nor count for Splink, and why
    unused = []
    # a placeholder address (test@test.com), or a referrer's in the candidate's field, has no key (sql/core/identity_keys.sql)
    if scalar(con, "select count(*) = 2 and count(distinct core.mailbox(s.email)) = 1 and bool_or(k.email is null) "
                   "from staging.candidate_records as s join core.identity_keys as k "
                   "on k.record_key = s.source_name || ':' || s.source_record_id where k.record_key in (?, ?)", keys):
        unused.append("email (not their own: a placeholder or a referrer's)")
    for column, name in (("email", "email"), ("phone", "phone"), ("linkedin_url", "linkedin"),
                         ("ats_person_id", "ats_person_id")):
        holders = scalar(con, f"select count(*) from core.identity_keys where {column} = (select a.{column} "
                              f"from core.identity_keys as a join core.identity_keys as b using ({column}) "
                              f"where a.record_key = ? and b.record_key = ?)", keys)
        if holders and name not in (rule or "").split(", "):
            # within the limit, a value some holders of which have clearly different names links only
            # holders of the same name: these two may agree (Mary Smith and a nameless record)
            unused.append(f"{name} (held by {holders} records)" if holders > settings.identity_max_key_share
                          else f"{name} (held by clearly different names)")
    blocks = []
    for (left, right), allowed in zip(BLOCKING_KEYS, blocking_rules()):
        is_name = left == ("name_block",)
        # name_block is the name when it is rare: the same name counts as shared keys either way
        equal = [("first_name_canon",) * 2, ("last_name_key",) * 2] if is_name else zip(left, right)
        keys_shared, paired, no_name_block = con.execute(
            f"select coalesce(bool_or({' and '.join(f'l.{a} = r.{b}' for a, b in equal)}), false), "
            f"coalesce(bool_or({allowed}), false), coalesce(bool_or(l.name_block is null), false) "
            f"from identity_splink_ready as l, identity_splink_ready as r "
            f"where (l.record_key = $a and r.record_key = $b) or (l.record_key = $b and r.record_key = $a)",
            {"a": record_a, "b": record_b}).fetchall()[0]
        if keys_shared:
            blocks.append({"blocking rule": " and ".join(f"{a} = {b}" for a, b in zip(left, right)),
                           "pairs them": paired,
                           "why not": "" if paired else
                           f"more than {RARE_NAME_MAX} records carry the name: it blocks only with a city, postal "
                           f"code or employer" if is_name and no_name_block else
                           f"more than {settings.identity_max_block} records share these keys"})
    for name, key in (("identity_compare_a", record_a), ("identity_compare_b", record_b)):
        con.execute(f"create or replace temp table {name} as select * {SPLINK_IGNORED} "
                    f"from identity_splink_ready where record_key = ?", [key])
    version, model, trained_on = current_model(con, utcnow(settings))
    check_model_fits(con, version, model)  # a model stored under other match keys: the run's error, not Splink's SQL
    records = scalar(con, "select count(*) from core.identity_keys")
    db_api, linker, left = splink_linker(con, for_size(regularize(model), trained_on, records), "identity_compare_a")
    frame = linker.inference.score_pair(left, db_api.register("identity_compare_b"))
    score, weight, detail = con.execute(f"select match_probability, match_weight, "
                                        f"json_object({field_weights_sql(con, frame.physical_name)})::varchar "
                                        f"from {frame.physical_name}").fetchall()[0]
    db_api.delete_tables_created_by_splink_from_db()
    # a run keeps no Splink edge between clearly different first names, whatever the probability
    differ = scalar(con, f"select {first_names_differ('a', 'b')} from identity_compare_a as a, identity_compare_b as b")
    rows = con.execute("""
        select l.record_key as record, l.person_id as person, l.rule as linked_by, s.full_name as name, s.email,
               s.phone, s.city, s.current_company as company
        from core.identity_links as l join staging.candidate_records as s using (source_name, source_record_id)
        where l.record_key in (?, ?) order by l.record_key = ? desc
    """, [*keys, record_a]).df()
    # a reviewer's decision outweighs the evidence: the pair as the last run applied it
    override = scalar(con, "select string_agg(kind, ', ') from meta.identity_overrides_applied "
                           "where record_key_l = ? and record_key_r = ?", [low, high])
    verdict = {"same person": bool(rows["person"].nunique() == 1), "override": override or "", "rule": rule or "",
               "shared, no evidence": ", ".join(unused),
               "blocked": any(b["pairs them"] for b in blocks),
               "splink probability": round(float(score), 4), "threshold": settings.identity_match_threshold,
               "model": version,
               "first names clearly different": bool(differ),
               # the prior for this warehouse's size plus the field weights: 0 is even odds
               "match weight": round(float(weight), 2),
               "field weights": _weights(detail)}
    return {"records": rows.to_dict("records"), "verdict": [verdict], "blocks": blocks}
