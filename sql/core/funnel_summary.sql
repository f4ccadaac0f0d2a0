-- inputs: core.person_stages; $stages: every canonical stage in funnel order (tasks.journey.stages.STAGES)
-- grain: one row per canonical stage; key stage. persons_now: current stage; reached: persons with <stage>_at
-- set (a later progress stage implies the earlier ones, so reached never grows down the funnel)
with stages as (
    select unnest($stages::varchar[]) as stage, generate_subscripts($stages::varchar[], 1) as position
),
now as (
    select current_stage as stage, count(*)::integer as persons_now
    from core.person_stages
    group by all
),
reached as (
    select replace(name, '_at', '') as stage, count(*)::integer as reached
    from (
        unpivot (select discovered_at, contacted_at, engaged_at, applied_at, interviewing_at, offered_at,
                        hired_at, rejected_at, withdrew_at, unsubscribed_at, do_not_contact_at
                 from core.person_stages)
        on columns(*) into name name value value
    )
    group by all
)
select s.stage, coalesce(n.persons_now, 0) as persons_now, coalesce(r.reached, 0) as reached
from stages as s
left join now as n using (stage)
left join reached as r using (stage)
order by s.position
