-- Inputs: core.persons (golden email/phone), temp persons_in_scope (person_id), temp person_records
-- (sql/core/person_records.sql: their records and staging rows), staging.candidate_records, macro
-- identity_own_mailbox (tasks/identity/resolve.py register_lookups).
-- Grain: one row per person in scope per channel per address of their own (golden record and every linked
-- record; a placeholder such as noreply@acme.io, or a referral's candidate address that is its referrer's, is
-- not theirs, as identity resolution reads it, unless a golden record built before that rule still holds it); key (person_id, channel, address); mailbox: the inbox an email
-- address delivers to, which suppressions match on (core.inbox() of core.mailbox(), sql/schema/054: Gmail's dots
-- ignored; a phone is its own)
with golden as (
    select person_id, email, phone from core.persons
    where person_id in (select person_id from persons_in_scope)
),
linked as (  -- the columns joined by row id, which DuckDB pushes down into the staging scan
    select r.person_id, s.email, s.phone, s.referrer_email
    from person_records as r
    join staging.candidate_records as s on s.rowid = r.row_id
),
addresses as (  -- is_sent: the address a sender writes to (the golden record's) is listed whatever it is
    select person_id, 'email' as channel, email as address, null as referrer_email, true as is_sent
    from golden where email is not null
    union all
    select person_id, 'sms', phone, null, true from golden where phone is not null
    union all
    select person_id, 'email', email, referrer_email, false from linked where email is not null
    union all
    select person_id, 'sms', phone, null, true from linked where phone is not null
),
mailboxes as (  -- the mailbox first: core.inbox(core.mailbox(a)) in one expression plans 20x slower (054)
    select distinct person_id, channel, address, core.mailbox(address) as mailbox, referrer_email, is_sent
    from addresses
),
own as (  -- an opt-out, erasure or do-not-contact line for noreply@acme.io, or for Bob's address he typed
          -- for Ann, reached everyone whose record carried it
    select distinct person_id, channel, address, mailbox
    from mailboxes
    where is_sent or identity_own_mailbox(mailbox, referrer_email) is not null
)
select person_id, channel, address, core.inbox(mailbox) as mailbox  -- what suppressions match on
from own
