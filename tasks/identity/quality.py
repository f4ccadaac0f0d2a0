"""Pairwise precision and recall of core.identity_links against a ground-truth table (generator, or labels)."""

from __future__ import annotations

import duckdb
import pandas as pd

# pairs inside a group of n records: n (n - 1) / 2; counted per group, so it is linear in records
PAIRWISE = """
with j as (
    select l.person_id as got, t.person_id as want
    from core.identity_links as l join identity_truth as t using (source_name, source_record_id)
),
got as (select count(*) as n from j group by got),
want as (select count(*) as n from j group by want),
both_ as (select count(*) as n from j group by got, want)
select (select sum(n * (n - 1) / 2) from got), (select sum(n * (n - 1) / 2) from want),
       (select sum(n * (n - 1) / 2) from both_)
"""


def pairwise_quality(con: duckdb.DuckDBPyConnection, truth: pd.DataFrame) -> tuple[float, float]:
    """Reads links and truth (source_name, source_record_id, person_id) -> (precision, recall) over record pairs.

    Precision: of the pairs of records put in one person, the share that are one true person;
    recall: of the pairs of records that are one true person, the share put in one person.
    """
    con.register("identity_truth", truth)
    try:
        predicted, true, both = con.execute(PAIRWISE).fetchall()[0]
    finally:
        con.unregister("identity_truth")
    return (both / predicted if predicted else 1.0), (both / true if true else 1.0)
