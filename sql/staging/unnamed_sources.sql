-- inputs: staging.candidate_records, staging.stage_changes; $names: the source names sources.yaml holds
-- grain: one row per source name staging still holds that sources.yaml does not (renamed or removed)
select source_name, count(*)::integer as records
from (select source_name from staging.candidate_records
      union all
      select source_name from staging.stage_changes)
where not list_contains($names, source_name)
group by source_name
order by source_name
