-- inputs: core.provider_events_resolved (unsubscribes, SMS opt-outs, bounces, spam reports), raw.erasure_requests,
--         core.event_persons, core.erasure_persons, core.do_not_contact, core.person_addresses, core.person_successors; lifted ones
--         (re-subscribe, SMS START) drop out
-- grain: one row per suppression in force (person and/or address; channel email|sms|all); no key. mailbox: what
-- it holds for by address, the inbox the address delivers to (sql/schema/054; a hard bounce: the address itself),
-- read from the stored columns (key_addresses, core.do_not_contact, core.person_addresses): no macro in this view.
-- A suppression of a person (unsubscribe, spam report, erasure request by person id, or one of these by an
-- address the person was known by when a resolve run first matched it) holds for every live person their
-- records went to (merges and splits); one by address (STOP, do-not-contact, erasure by address) holds
-- for the persons known by the address now, not for every part their person was split into (a STOP carrying only
-- its phone also for the persons it reached when a resolve run first matched it, and their survivors).
-- person_id is a live person or null: an id merged away or retired since keeps only its address (if any).
with events as (
    select * from core.provider_events_resolved
),
said as (             -- unsubscribes, spam reports and SMS opt-outs (a STOP keyword, Twilio error 21610)
    select * from events
    where event_kind in ('unsubscribed', 'spam_report') or keyword_action = 'opt_out'
),
statements as (        -- and the persons one carrying only an address reached when a resolve run first saw it
    -- (core.event_persons; one merged away since: its survivor): they hold for them as for their own statement
    -- origin: the id the statement names, when that is not person_id (a merged-away id: its split-off parts
    -- and records back elsewhere are its own successors, not its survivor's); its successors are followed
    select person_id, address, event_kind, keyword_action, occurred_at, provider, provider_event_id, mailbox,
           stated_by as origin
    from said
    union all
    select coalesce(m.successor_id, p.person_id), e.address, e.event_kind, e.keyword_action, e.occurred_at,
           e.provider, e.provider_event_id, e.mailbox, p.person_id
    from core.event_persons as p
    join (select distinct provider_event_id, address, event_kind, keyword_action, occurred_at, provider, mailbox
          from said) as e using (provider_event_id)
    left join core.person_successors as m on m.person_id = p.person_id and m.is_merged
    where p.person_id is not null
),
unsubscribes as (      -- lifted by a later re-subscribe from the same person or address
    select u.person_id, u.address, 'email' as channel, 'unsubscribed' as reason,
           u.occurred_at as created_at, u.provider || ':' || u.provider_event_id as source, u.mailbox, u.origin
    from statements u
    where u.event_kind = 'unsubscribed'
      and not exists (
          select 1 from events r
          where r.event_kind = 'resubscribed' and r.occurred_at > u.occurred_at
            and (r.person_id = u.person_id or r.mailbox = u.mailbox))
),
sms_opt_outs as (      -- a STOP keyword or Twilio error 21610; lifted by a later START/YES/UNSTOP from the same phone
    select o.person_id, o.address, 'sms' as channel, 'sms_opt_out' as reason,
           o.occurred_at as created_at, o.provider || ':' || o.provider_event_id as source, o.mailbox, o.origin
    from statements o
    where o.keyword_action = 'opt_out'
      and not exists (
          select 1 from events i
          where i.keyword_action = 'opt_in' and i.occurred_at > o.occurred_at
            and i.address = o.address)
),
hard_bounces as (      -- the address is dead, not the person: other addresses stay usable
    select null::bigint as person_id, address, 'email' as channel, 'hard_bounce' as reason,
           occurred_at as created_at, provider || ':' || provider_event_id as source, address as mailbox,
           null::bigint as origin
    from events
    where event_kind = 'bounced_hard' and address is not null
),
spam_reports as (
    select person_id, address, 'email' as channel, 'spam_report' as reason,
           occurred_at as created_at, provider || ':' || provider_event_id as source, mailbox, origin
    from statements
    where event_kind = 'spam_report'
),
erasure_targets as (
    select request_id, requested_at, person_id, null as address, null as mailbox from raw.erasure_requests where person_id is not null
    union all  -- the persons a request by address reached when first matched: it holds for them as for a person id
    select e.request_id, r.requested_at, e.person_id, null, null
    from core.erasure_persons as e join raw.erasure_requests as r using (request_id)
    where e.person_id is not null
    union all  -- as staged (sql/schema/052), and its inbox (054)
    select request_id, requested_at, null, coalesce(email_norm, email), coalesce(email_mailbox, email_norm, email)
    from raw.erasure_requests where email is not null
    union all
    select request_id, requested_at, null, coalesce(phone_norm, phone), coalesce(phone_norm, phone)  -- E.164 (053)
    from raw.erasure_requests where phone is not null
),
erasures as (          -- an address named in a request suppresses every person known by it
    select coalesce(t.person_id, a.person_id) as person_id, t.address, 'all' as channel,
           'erasure_request' as reason, t.requested_at as created_at, 'erasure:' || t.request_id as source, t.mailbox,
           null::bigint as origin
    from erasure_targets t
    left join core.person_addresses a on t.mailbox is not null and a.mailbox = t.mailbox
),
do_not_contact as (
    select a.person_id, d.address, 'all' as channel, 'do_not_contact' as reason,
           d.added_at as created_at, 'do_not_contact.csv' as source, coalesce(d.mailbox, d.address) as mailbox,
           null::bigint as origin
    from core.do_not_contact d
    left join core.person_addresses a on a.mailbox = coalesce(d.mailbox, d.address) and a.channel = d.channel
),
suppressed as (
    select * from unsubscribes
    union all select * from sms_opt_outs
    union all select * from hard_bounces
    union all select * from spam_reports
    union all select * from erasures
    union all select * from do_not_contact
)
select distinct if(person_id in (select person_id from core.persons), person_id, null) as person_id,
       address, channel, reason, created_at, source, mailbox
from (
    select person_id, address, channel, reason, created_at, source, mailbox from suppressed
    union all
    select x.successor_id, s.address, s.channel, s.reason, s.created_at, s.source, s.mailbox
    from suppressed as s
    join core.person_successors as x on x.person_id = coalesce(s.origin, s.person_id)
    where (s.reason in ('unsubscribed', 'spam_report') or (s.reason = 'erasure_request' and s.address is null))
      and not exists (  -- a part that re-subscribed since lifts the unsubscribe for itself
          select 1 from events r
          where s.reason = 'unsubscribed' and r.event_kind = 'resubscribed'
            and r.person_id = x.successor_id and r.occurred_at > s.created_at)
)
where person_id in (select person_id from core.persons) or address is not null
