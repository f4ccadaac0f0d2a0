-- Inputs: staging.candidate_records, core.identity_links; $rescore (every linked record counts as changed).
-- Grain: one row per source record that is new, changed (payload or staging time) or gone since
-- the last resolve run (payload_sha256, staged_at: the staged record's, null when gone). Runs when
-- the change sequence cannot be trusted (first run, staging written outside ingest) or on a
-- rescore; otherwise identity_changes_since.sql finds the same rows. Key: record_key (source_name:source_record_id).
select
    coalesce(s.source_name, l.source_name) || ':' || coalesce(s.source_record_id, l.source_record_id) as record_key,
    coalesce(s.source_name, l.source_name) as source_name,
    coalesce(s.source_record_id, l.source_record_id) as source_record_id,
    case
        when l.source_name is null then 'new'
        when s.source_name is null then 'gone'
        else 'changed'
    end as change,
    s.payload_sha256,
    s.staged_at
from staging.candidate_records as s
full outer join core.identity_links as l
    on l.source_name = s.source_name and l.source_record_id = s.source_record_id
where $rescore
   or l.source_name is null
   or s.source_name is null
   or l.payload_sha256 is distinct from s.payload_sha256
   or l.staged_at is distinct from s.staged_at
