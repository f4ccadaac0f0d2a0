"""`candor explain PERSON_ID`: the records in a person and, for each link, the rule or the field weights behind it."""

from __future__ import annotations

import json

import duckdb
import pandas as pd


def explain(con: duckdb.DuckDBPyConnection, person_id: int) -> dict:
    """Reads core.* for one person -> {person, records, evidence, history, gone (why an id has no golden record)}; KeyError for an unknown id."""
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
        )
        select e.record_key_l as record_a, e.record_key_r as record_b, e.rule, round(e.score, 4) as score, e.detail
        from core.identity_edges as e
        where e.record_key_l in (select record_key from members) and e.record_key_r in (select record_key from members)
        order by e.rule, e.score desc nulls first, record_a, record_b
    """, [person_id]).df()
    evidence["detail"] = [_weights(d) for d in evidence["detail"]]
    return {"person": person.to_dict("records"), "records": records.to_dict("records"),
            "evidence": evidence.to_dict("records"), "history": history.to_dict("records"),
            "gone": None if len(person) else _gone(history, person_id)}


def _gone(history: pd.DataFrame, person_id: int) -> str:
    """Why an id has no golden record any more: where its last records went."""
    own = history[history["person_id"] == person_id]
    if own.empty:
        return f"person {person_id} has no records any more"
    last = own.iloc[-1]
    if last["kind"] == "merge":
        return f"person {person_id} was merged into person {last['into_person_id']} ({last['reason']}); see `candor explain {last['into_person_id']}`"
    return f"person {person_id} has no records any more ({last['reason']})"


def _weights(detail: str | None) -> str:
    """Splink's per-field match weights (log2 Bayes factors) as `name +9.1, city -4.0`; fields with no data left out."""
    if not detail:
        return ""
    weights = json.loads(detail)
    return ", ".join(f"{k} {v:+.1f}" for k, v in weights.items() if v)
