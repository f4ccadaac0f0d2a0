-- inputs: raw.provider_events (address_norm: tasks/journey/consent.py key_addresses), core.person_addresses, core.sms_keywords, core.person_successors
-- grain: one row per provider event per person it concerns (the event's person, or the person it was
-- merged into since; else every person known by its address); key (provider_event_id, person_id);
-- person_id null when nobody matches the address; stated_by: the person id the event itself carries
with keyed as (
    -- the address as staging reads it (sql/schema/052, stored by key_addresses): an opt-out or bounce for
    -- P1@Example.COM or mailto:anna@MÜLLER.de matched no staged address
    select e.* exclude (address_norm, mailbox) replace (coalesce(e.address_norm, e.address) as address),
           coalesce(e.mailbox, e.address) as mailbox,  -- the inbox it delivers to (sql/schema/054), stored with it
           -- opt_out | opt_in for an SMS that is exactly a keyword; Twilio fails a message with error 21610
           -- when the recipient replied STOP to the sender (status callback ErrorCode, message resource
           -- error_code): the STOP Twilio honours, whether or not its inbound SMS reached us
           coalesce(k.action, if(e.event_kind = 'failed' and e.channel = 'sms'
                                 and coalesce(e.payload->>'ErrorCode', e.payload->>'error_code') = '21610',
                                 'opt_out', null)) as keyword_action
    from raw.provider_events e
    left join core.sms_keywords k
      on e.event_kind in ('inbound_sms', 'replied') and e.channel = 'sms'
     and k.keyword = upper(regexp_replace(coalesce(e.body, ''), '[^A-Za-z]', '', 'g'))
)
select k.* exclude (person_id),
       coalesce(m.successor_id, k.person_id, a.person_id) as person_id,
       k.person_id as stated_by  -- the id the event names (merged away since, perhaps): its successors are followed
from keyed k
left join core.person_successors m
  on m.person_id = k.person_id and m.is_merged
-- each person once per mailbox: a person known by anna@ and anna+jobs@ (or anna.b@ and annab@gmail.com) gets an
-- event for either once
left join (select distinct person_id, channel, mailbox from core.person_addresses) a
  on k.person_id is null and a.channel = k.channel and a.mailbox = k.mailbox
