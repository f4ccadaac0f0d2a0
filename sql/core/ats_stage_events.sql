-- inputs: staging.stage_changes, staging.candidate_records (stage, ids), core.identity_links, macro identity_own_mailbox
-- (tasks/identity/resolve.py register_lookups); $stage_keys -> $stage_values
-- ($stage_keys: each stage name the sources send, as sent; tasks/journey/stages.py maps it as stages.yaml's keys are read)
-- grain: one row per ATS stage observation; key (source_name, source_record_id, kind);
-- stage null = unmapped name, person_id null = no person matched (both reported, never dropped silently)
with stage_map as (
    select unnest($stage_keys::varchar[]) as stage_key, unnest($stage_values::varchar[]) as stage
),
linked as (
    select r.source_name, r.ats_person_id, r.email, r.referrer_email, l.person_id
    from staging.candidate_records r
    join core.identity_links l using (source_name, source_record_id)
),
by_ats_id as (         -- an id or email shared by two persons matches neither (reported as ambiguous)
    select source_name, ats_person_id, min(person_id) as person_id, count(distinct person_id) as persons
    from linked where ats_person_id is not null group by all
),
by_any_ats_id as (     -- for sources of stage rows only (an ats_status file): another source's records' ids
    select ats_person_id, min(person_id) as person_id, count(distinct person_id) as persons
    from linked where ats_person_id is not null group by all
),
by_email as (         -- the mailbox an address reaches (sql/schema/031), as identity rules and suppressions compare;
    -- a person's own only (macro identity_own_mailbox): a placeholder is nobody's, and a referral's candidate address
    -- that is its referrer's is his (Bob's hire was ambiguous between Bob and the Ann he referred with his address)
    select mailbox, min(person_id) as person_id, count(distinct person_id) as persons
    from (select person_id, identity_own_mailbox(core.mailbox(email), referrer_email) as mailbox
          from linked where email is not null)
    where mailbox is not null
    group by all
),
observations as (
    select source_name, source_record_id, 'stage_change' as kind, ats_person_id, email, job_id,
           stage as source_stage, changed_at as occurred_at
    from staging.stage_changes
    union all
    select source_name, source_record_id, 'ats_record', ats_person_id, email, job_id,
           stage, staged_at            -- a record's current stage: known since this version was staged
    from staging.candidate_records r
    where stage is not null and trim(stage) <> ''
      and not exists (                 -- connectors that emit stage changes already carry the current stage
          select 1 from staging.stage_changes s where s.ats_person_id = r.ats_person_id)
),
by_ats as (           -- an ATS id is one system's: a source with records of its own matches only them
    select o.source_name, o.source_record_id, o.kind,
           coalesce(a.person_id, x.person_id) as person_id, coalesce(a.persons, x.persons) as persons
    from observations o
    left join by_ats_id a on a.source_name = o.source_name and a.ats_person_id = o.ats_person_id
    left join by_any_ats_id x on x.ats_person_id = o.ats_person_id
        and o.source_name not in (select source_name from staging.candidate_records)
),
matched as (
    select o.*, m.stage,
           case when a.persons = 1 then a.person_id when e.persons = 1 then e.person_id end as person_id,
           case when a.persons = 1 then 'ats_person_id' when e.persons = 1 then 'email' end as match_rule,
           coalesce(a.persons, 0) > 1 or coalesce(e.persons, 0) > 1 as is_ambiguous
    from observations o
    left join stage_map m on m.stage_key = o.source_stage
    left join by_ats a using (source_name, source_record_id, kind)
    left join by_email e on e.mailbox = core.mailbox(o.email)
)
select source_name, source_record_id, kind, ats_person_id, email, job_id, source_stage, stage,
       occurred_at, person_id, match_rule,
       case
           when stage is null then 'unmapped_stage'
           when person_id is null and is_ambiguous then 'ambiguous_person'
           when person_id is null then 'unmatched_person'
       end as issue
from matched
