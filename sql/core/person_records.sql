-- Inputs: core.identity_links, staging.candidate_records, raw.source_records, temp persons_in_scope (person_id:
-- the persons a run rewrites). Grain: one row per current record of a person in scope, with the row id of its
-- staging row: sql/core/persons.sql and sql/core/person_addresses.sql fetch the wide columns by row id, which
-- DuckDB pushes down into the staging scan; and, for a record without an application date, when its source
-- first sent it (raw.source_records keeps every version): first seen then, however often it was staged again
-- and whether a run took it in before its newest version or not. Key: record_key.
with records as (
    select l.person_id, l.record_key, l.first_linked_at, s.rowid as row_id, s.source_name, s.source_record_id,
           s.applied_at is null as is_undated
    from core.identity_links as l
    join persons_in_scope as p using (person_id)
    join staging.candidate_records as s using (source_name, source_record_id)
),
first_sent as (
    select r.source_name, r.source_record_id, min(r.ingested_at) as first_sent_at
    from raw.source_records as r
    semi join (select source_name, source_record_id from records where is_undated) as u
        using (source_name, source_record_id)
    where r.op = 'upsert'
    group by all
)
select r.person_id, r.record_key, r.first_linked_at, r.row_id, f.first_sent_at
from records as r
left join first_sent as f using (source_name, source_record_id)
