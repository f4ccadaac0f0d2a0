-- inputs: core.ats_stage_events
-- grain: one row per source, issue (unmapped_stage | unmatched_person | ambiguous_person) and source stage name
select source_name as source, issue, source_stage as stage, count(*)::integer as rows
from core.ats_stage_events
where issue is not null
group by all
order by source, issue, rows desc, stage
