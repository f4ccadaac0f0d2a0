-- staging.candidate_records and staging.stage_changes hold one row per (source, record id).
select 'candidate_records' as tbl, source_name, source_record_id, count(*) as n
from staging.candidate_records group by all having count(*) > 1
union all
select 'stage_changes', source_name, source_record_id, count(*)
from staging.stage_changes group by all having count(*) > 1
