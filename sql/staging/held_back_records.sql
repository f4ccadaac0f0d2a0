-- inputs: staging.quarantine, raw.source_records (op = 'delete'), staging.candidate_records; $source
-- grain: one row per record of $source that quarantine holds back: quarantined (with an id), not staged,
-- and not deleted since it was last quarantined (a record listed again after a delete is held back again).
-- key: source_record_id
with quarantined as (
    select source_record_id, max(quarantined_at) as quarantined_at
    from staging.quarantine
    where source_name = $source and source_record_id is not null
    group by all
),
deleted as (
    select source_record_id, max(ingested_at) as deleted_at
    from raw.source_records
    where source_name = $source and op = 'delete'
    group by all
)
select q.source_record_id
from quarantined as q
left join deleted as d using (source_record_id)
anti join (select source_record_id from staging.candidate_records where source_name = $source) as s
    using (source_record_id)
where d.deleted_at is null or d.deleted_at < q.quarantined_at
