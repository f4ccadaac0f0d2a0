-- Inputs: staging.candidate_records (change_seq), core.identity_links; $since (the highest
-- change_seq the last resolve run took in). Grain: one row per source record staged by a write
-- after that run: new (no link yet) or changed. Key: record_key (source_name:source_record_id).
-- Records deleted from staging since are found by tasks/identity/resolve.py (they leave no row).
with staged as (
    select source_name || ':' || source_record_id as record_key, source_name, source_record_id,
           payload_sha256, staged_at
    from staging.candidate_records
    where change_seq > $since
)
select s.record_key, s.source_name, s.source_record_id,
       case when l.record_key is null then 'new' else 'changed' end as change,
       s.payload_sha256, s.staged_at
from staged as s
left join core.identity_links as l using (record_key)
