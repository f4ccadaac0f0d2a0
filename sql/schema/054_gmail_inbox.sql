-- core.inbox(mailbox): the inbox a mailbox (core.mailbox(), 032: no +tag, googlemail.com is gmail.com) delivers to,
-- which suppressions match on: at gmail.com without the dots of the local part, which Gmail ignores (anna.berg@
-- and annaberg@gmail.com are one inbox); any other mailbox, and a phone, is its own. An unsubscribe or do-not-contact
-- line for anna.berg@gmail.com left annaberg@gmail.com, the same inbox, contactable. Identity rules keep comparing
-- core.mailbox(), dots kept (docs/identity.md: folding them cost the generated data's precision).
-- It takes a mailbox, not an address: nested in one expression, core.inbox(core.mailbox(a)) took 68 ms to plan
-- (core.mailbox inlined three times) against 3 ms with the mailbox computed in a subquery first. It runs where an
-- address is stored (core.person_addresses, key_addresses, the do-not-contact list), never in a consent view: the
-- views compare the stored mailbox columns below.
create or replace macro core.inbox(mailbox) as
    if(ends_with(mailbox, '@gmail.com'),
       coalesce(nullif(replace(split_part(mailbox, '@', 1), '.', ''), ''), split_part(mailbox, '@', 1)) || '@gmail.com',
       mailbox);

-- the inbox of a provider event's address (an SMS event's: its phone) and of an erasure request's email, stored
-- with address_norm / email_norm by tasks/journey/consent.py key_addresses; of each do-not-contact line
alter table raw.provider_events add column if not exists mailbox varchar;
alter table raw.erasure_requests add column if not exists email_mailbox varchar;
alter table core.do_not_contact add column if not exists mailbox varchar;

update raw.provider_events set mailbox = if(channel = 'email', core.inbox(m), address_norm)
from (select provider_event_id, core.mailbox(address_norm) as m from raw.provider_events where address_norm is not null) as k
where raw.provider_events.provider_event_id = k.provider_event_id;
update raw.erasure_requests set email_mailbox = core.inbox(k.m)
from (select request_id, core.mailbox(email_norm) as m from raw.erasure_requests where email_norm is not null) as k
where raw.erasure_requests.request_id = k.request_id;
update core.do_not_contact set mailbox = if(channel = 'email', core.inbox(core.mailbox(address)), address);

-- core.person_addresses.mailbox holds each address's inbox from now on (rebuilt by every consent step and resolve
-- run); here for a warehouse not refreshed since
update core.person_addresses set mailbox = core.inbox(mailbox) where ends_with(mailbox, '@gmail.com');
