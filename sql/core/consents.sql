-- inputs: staging.candidate_records + core.identity_links (consent fields, never from referrals, each dated when its
-- value was stated: consent_email_at, consent_sms_at), core.provider_events_resolved
-- grain: one row per consent statement; key (person_id, channel, evidence): the source record
-- (source_name:source_record_id) or the provider event (event_kind:provider_event_id) that made it;
-- origin: record (a source feed's field) | event (the person told a provider: unsubscribe, STOP, START);
-- live persons only (an event of a retired id, whose records are all gone, is nobody's statement now)
with records as (
    select l.person_id, r.source_name, r.source_name || ':' || r.source_record_id as evidence,
           r.consent_email, r.consent_sms, r.consent_email_at, r.consent_sms_at
    from staging.candidate_records r
    join core.identity_links l using (source_name, source_record_id)
    where r.source_kind <> 'referrals'
),
record_statements as (
    select person_id, 'email' as channel, if(consent_email, 'granted', 'revoked') as status,
           source_name as source, consent_email_at as recorded_at, 'record' as origin, evidence
    from records where consent_email is not null
    union all
    select person_id, 'sms', if(consent_sms, 'granted', 'revoked'), source_name, consent_sms_at, 'record', evidence
    from records where consent_sms is not null
),
event_statements as (
    select person_id, channel,
           case when event_kind = 'resubscribed' or keyword_action = 'opt_in' then 'granted' else 'revoked' end as status,
           provider || ':' || coalesce(keyword_action, event_kind) as source, occurred_at as recorded_at,
           'event' as origin, event_kind || ':' || provider_event_id as evidence
    from core.provider_events_resolved
    where person_id in (select person_id from core.persons)
      and (event_kind in ('unsubscribed', 'resubscribed', 'spam_report') or keyword_action is not null)
)
select person_id, channel, status, source, recorded_at, origin, evidence
from (select * from record_statements union all select * from event_statements)
