-- Inputs: raw.erasure_requests (email_norm, email_mailbox, phone_norm: tasks/journey/consent.py key_addresses), core.erasure_persons, core.person_addresses; $now.
-- Grain: the rows to add to core.erasure_persons: one per (erasure request by address not matched
-- before, person known by one of its addresses now: its email's mailbox or its phone); one with
-- person_id null for a request whose addresses reach no one. Key: (request_id, person_id).
with unmatched as (
    select request_id, email, email_norm, email_mailbox, phone, phone_norm from raw.erasure_requests
    where (email is not null or phone is not null)
      and request_id not in (select request_id from core.erasure_persons)
),
targets as (  -- read and matched as sql/core/suppressions.sql reads and matches a request's addresses
    select request_id, coalesce(email_mailbox, email_norm, email) as mailbox from unmatched where email is not null  -- 054
    union all
    select request_id, coalesce(phone_norm, phone) from unmatched where phone is not null  -- E.164 (sql/schema/053)
),
matched as (
    select distinct t.request_id, a.person_id
    from targets as t
    join core.person_addresses as a on a.mailbox = t.mailbox
)
select request_id, person_id, $now::timestamptz as matched_at from matched
union all
select request_id, null, $now::timestamptz from unmatched
where request_id not in (select request_id from matched)
