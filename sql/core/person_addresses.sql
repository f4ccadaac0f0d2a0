-- Inputs: core.persons (golden email/phone), temp persons_in_scope (person_id), temp person_records
-- (sql/core/person_records.sql: their records and staging rows), staging.candidate_records.
-- Grain: one row per person in scope per channel per address it is known by (golden record and every
-- linked record); key (person_id, channel, address); mailbox: the inbox an email address delivers to, which
-- suppressions match on (core.inbox() of core.mailbox(), sql/schema/054: Gmail's dots ignored; a phone is its own)
with golden as (
    select person_id, email, phone from core.persons
    where person_id in (select person_id from persons_in_scope)
),
linked as (  -- the two columns joined by row id, which DuckDB pushes down into the staging scan
    select r.person_id, s.email, s.phone
    from person_records as r
    join staging.candidate_records as s on s.rowid = r.row_id
),
addresses as (
    select person_id, 'email' as channel, email as address from golden where email is not null
    union all
    select person_id, 'sms', phone from golden where phone is not null
    union all
    select person_id, 'email', email from linked where email is not null
    union all
    select person_id, 'sms', phone from linked where phone is not null
),
mailboxes as (  -- the mailbox first: core.inbox(core.mailbox(a)) in one expression plans 20x slower (054)
    select distinct person_id, channel, address, core.mailbox(address) as mailbox
    from addresses
)
select person_id, channel, address, core.inbox(mailbox) as mailbox  -- what suppressions match on
from mailboxes
