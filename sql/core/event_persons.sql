-- Inputs: raw.provider_events, core.provider_events_resolved (the persons an event's address reaches now),
-- core.event_persons; $now.
-- Grain: the rows to add to core.event_persons: one per (event carrying only an address that may be a statement of
-- its person: an unsubscribe, a spam report, an inbound SMS or reply that may be STOP; not matched before; person
-- known by its address now, as core.provider_events_resolved matches it), person_id null for an event whose address
-- reaches no one. Key: (provider_event_id, person_id).
with unmatched as (
    select provider_event_id from raw.provider_events
    where person_id is null and address is not null
      and (event_kind in ('unsubscribed', 'spam_report') or (channel = 'sms' and event_kind in ('inbound_sms', 'replied')))
      and provider_event_id not in (select provider_event_id from core.event_persons)
)
select distinct r.provider_event_id, r.person_id, $now::timestamptz as matched_at
from core.provider_events_resolved as r
join unmatched as u using (provider_event_id)
