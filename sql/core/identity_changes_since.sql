-- Inputs: staging.candidate_records (change_seq), staging.deleted_records, core.identity_links;
-- $since (the highest change_seq the last resolve run took in). Grain: one row per source record
-- written after that run: new (no link yet), changed (staged again), or gone (removed from staging
-- and linked). Key: record_key (source_name:source_record_id). payload_sha256 and staged_at are the
-- staged record's (null when gone).
with staged as (
    select source_name || ':' || source_record_id as record_key, source_name, source_record_id,
           payload_sha256, staged_at
    from staging.candidate_records
    where change_seq > $since
),
removed as (  -- removed and not staged again since
    select distinct source_name || ':' || source_record_id as record_key, source_name, source_record_id
    from staging.deleted_records
    where change_seq > $since
)
select s.record_key, s.source_name, s.source_record_id,
       case when l.record_key is null then 'new' else 'changed' end as change,
       s.payload_sha256, s.staged_at
from staged as s
left join core.identity_links as l using (record_key)
union all
select r.record_key, r.source_name, r.source_record_id, 'gone', null, null
from removed as r
semi join core.identity_links as l using (record_key)
anti join staged as s using (record_key)
