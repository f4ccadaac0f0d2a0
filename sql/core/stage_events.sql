-- inputs: candidate_records + identity_links + raw.source_records (discovered; applied when a record applied to a job),
--         provider_events_resolved (contacted, engaged),
--         ats_stage_events (applied … hired, rejected, withdrew), suppressions (unsubscribed, do_not_contact)
-- grain: one row per stage reached per piece of evidence; key (person_id, stage, source, evidence);
-- live persons only (an event or suppression naming an id merged away since counts for the survivor, one
-- naming a retired id for nobody)
with linked as (       -- every current record with its person
    select l.person_id, r.*
    from staging.candidate_records r
    join core.identity_links l using (source_name, source_record_id)
),
first_seen as (        -- when a record's first version came in: an edit restages it with a later staged_at
    select source_name, source_record_id, min(ingested_at) as first_ingested_at
    from raw.source_records
    where op = 'upsert'
    group by all
),
discovered as (        -- the first time any of the person's records was applied for or came in
    select person_id, 'discovered' as stage,
           min(least(applied_at, staged_at, first_ingested_at)) as occurred_at, 'ingest' as source,
           -- a tie (records that came in together) goes to the smaller record key, not to the row read first
           arg_min(source_name || ':' || source_record_id,
                   (least(applied_at, staged_at, first_ingested_at), source_name || ':' || source_record_id)) as evidence,
           null::varchar as job_id
    from linked
    left join first_seen using (source_name, source_record_id)
    group by person_id
),
applications as (     -- an application that came in through a feed (job board, career site, ATS export)
    select person_id, 'applied' as stage, applied_at as occurred_at, 'ingest' as source,
           source_name || ':' || source_record_id as evidence, job_id
    from linked
    where applied_at is not null and coalesce(job_id, job_title) is not null and channel <> 'referral'
),
provider as (          -- opens are not engagement (mail clients pre-fetch images); opt-out keywords are not either
    select person_id,
           if(event_kind = 'delivered', 'contacted', 'engaged') as stage,
           occurred_at, provider || ':' || channel as source,
           event_kind || ':' || provider_event_id as evidence, null::varchar as job_id
    from core.provider_events_resolved
    where person_id is not null
      and (event_kind in ('delivered', 'clicked')
           or (event_kind in ('replied', 'inbound_sms') and keyword_action is null))
),
ats as (              -- job_id: the job, or when the ATS names none, the record an API stage row belongs to
    -- (`app:<record>:…`: a Lever opportunity is one application; two of a contact's are two), or the record
    -- whose own stage it is (an export of one row per application without a job column)
    select person_id, stage, occurred_at, 'ats' as source,
           source_name || ':' || source_record_id as evidence,
           coalesce(job_id, case when starts_with(source_record_id, 'app:')
                                     then source_name || ':' || split_part(source_record_id, ':', 2)
                                 when kind = 'ats_record' then source_name || ':' || source_record_id end) as job_id
    from core.ats_stage_events
    where issue is null
),
exits as (           -- one per person and suppression: a request or list naming several of the person's
    -- addresses is one piece of evidence, dated by its latest entry
    select person_id,
           if(reason in ('do_not_contact', 'erasure_request'), 'do_not_contact', 'unsubscribed') as stage,
           max(created_at) as occurred_at, 'suppression' as source, reason || ':' || source as evidence,
           null::varchar as job_id
    from core.suppressions
    where person_id is not null and reason <> 'hard_bounce'
    group by person_id, reason, source
)
select person_id, stage, occurred_at, source, evidence, job_id
from (
    select * from discovered
    union all select * from applications
    union all select * from provider
    union all select * from ats
    union all select * from exits
)
where person_id in (select person_id from core.persons)
