-- Inputs: core.identity_links, staging.candidate_records, temp persons_in_scope (person_id: the persons a run
-- rewrites). Grain: one row per current record of a person in scope, with the row id of its staging row:
-- sql/core/persons.sql and sql/core/person_addresses.sql fetch the wide columns by row id, which DuckDB
-- pushes down into the staging scan. Key: record_key.
select l.person_id, l.record_key, l.first_linked_at, s.rowid as row_id
from core.identity_links as l
join persons_in_scope as p using (person_id)
join staging.candidate_records as s using (source_name, source_record_id)
