-- The persons an event carrying only an address (no person_id) reached when a resolve run first saw it, by
-- tasks/identity/resolve.py from sql/core/event_persons.sql: an unsubscribe or spam report (a provider's global
-- unsubscribe, a feedback-loop report) or an inbound SMS (a STOP). Such a statement is the human's: it holds for
-- them (an unsubscribe and a spam report as a person's suppression, across merges and splits; a STOP for them and
-- their survivor) after the record carrying the address leaves them, as core.erasure_persons does for an erasure
-- request; before, an ATS anonymizing that record made the person contactable again at their other addresses.
-- person_id null: the address reached no one then (the event still holds for whoever is known by it later);
-- every event is matched once. Key: (provider_event_id, person_id).
create table if not exists core.event_persons (
    provider_event_id  varchar not null,
    person_id          bigint,
    matched_at         timestamptz not null
);
