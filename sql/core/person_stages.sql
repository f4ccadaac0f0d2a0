-- inputs: core.persons, core.stage_events; $progress: the ordered progress stages (tasks.journey.stages.PROGRESS)
-- grain: one row per person; key person_id. A stage counts as reached when it or a later one was first reached;
-- current_stage: do_not_contact while in force, else the latest move that does not fall behind, but an application's
-- exit while another application is open leaves the person at the furthest open one's stage, and while another
-- is hired at `hired` (docs/journey.md)
with ranked as (
    select e.*, list_position($progress::varchar[], e.stage) as stage_rank
    from core.stage_events e
),
progress as (
    select person_id, max(stage_rank) as furthest_rank,
           min(occurred_at) filter (where stage_rank >= 1) as discovered_at,
           min(occurred_at) filter (where stage_rank >= 2) as contacted_at,
           min(occurred_at) filter (where stage_rank >= 3) as engaged_at,
           min(occurred_at) filter (where stage_rank >= 4) as applied_at,
           min(occurred_at) filter (where stage_rank >= 5) as interviewing_at,
           min(occurred_at) filter (where stage_rank >= 6) as offered_at,
           min(occurred_at) filter (where stage_rank >= 7) as hired_at,
           max(occurred_at) filter (where stage = 'engaged') as last_engaged_at,
           max(occurred_at) filter (where stage = 'rejected') as rejected_at,
           max(occurred_at) filter (where stage = 'withdrew') as withdrew_at,
           max(occurred_at) filter (where stage = 'unsubscribed') as unsubscribed_at,
           max(occurred_at) filter (where stage = 'do_not_contact') as do_not_contact_at
    from ranked
    group by person_id
),
paced as (             -- outreach below the furthest stage so far (a click after applying) is not a move back
    select *, max(stage_rank) over (partition by person_id order by occurred_at
                                    rows between unbounded preceding and current row) as running_rank
    from ranked
),
latest as (            -- an application is one, a feed's (Indeed Apply after an ATS rejection) as an ATS row
    select person_id, stage as current_stage, occurred_at as current_stage_at
    from paced
    where source = 'ats' or (source = 'ingest' and stage = 'applied') or stage_rank is null or stage_rank >= running_rank
    qualify row_number() over (
        partition by person_id
        order by stage = 'do_not_contact' desc, occurred_at desc, stage_rank is null desc, stage_rank desc) = 1
),
applications as (      -- the latest ATS stage of each application (person, job); at the same time, the
    -- one that closes it (Greenhouse dates a rejected application's stage at the rejection at the latest)
    select person_id, job_id, arg_max(stage, (occurred_at, stage in ('hired', 'rejected', 'withdrew'))) as stage,
           max(occurred_at) as stage_at
    from ranked where source = 'ats'
    group by all
),
open_applications as (  -- and, for an exit of another application, the furthest open one (the later at the
    -- same stage), else the latest hire: Greenhouse's hire flow rejects the person's other applications
    select person_id, count(*) filter (where stage <> 'hired') as open_applications,
           arg_max(stage, (stage <> 'hired', list_position($progress::varchar[], stage), stage_at)) as live_stage,
           arg_max(stage_at, (stage <> 'hired', list_position($progress::varchar[], stage), stage_at)) as live_stage_at
    from applications where stage in ('applied', 'interviewing', 'offered', 'hired')
    group by person_id
)
select p.person_id,
       -- an application's exit (rejected for job A) leaves a person with another open application in process,
       -- and one hired for another job hired
       case when l.current_stage in ('rejected', 'withdrew') and o.live_stage is not null then o.live_stage
            else coalesce(l.current_stage, 'discovered') end as current_stage,
       case when l.current_stage in ('rejected', 'withdrew') and o.live_stage is not null then o.live_stage_at
            else l.current_stage_at end as current_stage_at,
       coalesce(list_extract($progress::varchar[], g.furthest_rank), 'discovered') as furthest_stage,
       g.* exclude (person_id, furthest_rank),
       coalesce(o.open_applications, 0) as open_applications
from core.persons p
left join progress g using (person_id)
left join latest l using (person_id)
left join open_applications o using (person_id)
