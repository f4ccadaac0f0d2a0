-- inputs: core.persons (golden email/phone), staging.candidate_records + core.identity_links (every linked record)
-- grain: one row per person per channel per address; key (person_id, channel, address); mailbox: the
-- mailbox an email address reaches (core.mailbox(); a phone is its own)
with golden as (
    select person_id, 'email' as channel, email as address from core.persons where email is not null
    union all
    select person_id, 'sms', phone from core.persons where phone is not null
),
linked as (
    select l.person_id, 'email' as channel, r.email as address
    from staging.candidate_records r
    join core.identity_links l using (source_name, source_record_id)
    where r.email is not null
    union all
    select l.person_id, 'sms', r.phone
    from staging.candidate_records r
    join core.identity_links l using (source_name, source_record_id)
    where r.phone is not null
)
select distinct person_id, channel, address, core.mailbox(address) as mailbox  -- what suppressions match on
from (select * from golden union all select * from linked)
