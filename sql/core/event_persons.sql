-- Inputs: raw.provider_events (mailbox: tasks/journey/consent.py key_addresses), core.event_persons,
-- core.person_addresses; $now.
-- Grain: the rows to add to core.event_persons: one per (unsubscribe or spam report carrying only an address,
-- not matched before; person known by its address now), matched as sql/core/provider_events_resolved.sql
-- matches it; one with person_id null for an event whose address reaches no one. Key: (provider_event_id, person_id).
with unmatched as (
    select provider_event_id, channel, coalesce(mailbox, address) as mailbox from raw.provider_events
    where person_id is null and address is not null and event_kind in ('unsubscribed', 'spam_report')
      and provider_event_id not in (select provider_event_id from core.event_persons)
),
matched as (
    select distinct u.provider_event_id, a.person_id
    from unmatched as u
    join core.person_addresses as a on a.channel = u.channel and a.mailbox = u.mailbox
)
select provider_event_id, person_id, $now::timestamptz as matched_at from matched
union all
select provider_event_id, null, $now::timestamptz from unmatched
where provider_event_id not in (select provider_event_id from matched)
