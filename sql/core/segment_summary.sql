-- inputs: core.segment_current, core.segment_changes; $names: the configured segments in file order
-- grain: one row per configured segment, plus any removed segment whose members exited in this run
with names as (
    select unnest($names::varchar[]) as segment, generate_subscripts($names::varchar[], 1) as position
),
sizes as (select segment, count(*) as size from core.segment_current group by segment),
changes as (
    select segment, count(*) filter (where is_entering) as entered, count(*) filter (where is_exiting) as exited
    from core.segment_changes group by segment
)
select segment, coalesce(size, 0)::integer as size, coalesce(entered, 0)::integer as entered,
       coalesce(exited, 0)::integer as exited
from (select segment, position from names
      union all
      select segment, null from changes where segment not in (select segment from names))
left join sizes using (segment)
left join changes using (segment)
order by position nulls last, segment
