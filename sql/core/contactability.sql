-- inputs: core.persons (the address a sender uses), core.person_addresses (its inbox), core.suppressions, core.consents
-- grain: one row per person per channel (email, sms); key (person_id, channel)
-- rule (docs/journey.md): suppressed -> no; SMS needs explicit consent and a phone that may be a mobile; email unless revoked
with grid as (
    select p.person_id, c.channel,
           if(c.channel = 'email', p.email, p.phone) as address, p.phone_type
    from core.persons p
    cross join (values ('email'), ('sms')) c(channel)
),
-- suppressions by address: an opt-out or erasure holds for the inbox the address delivers to
-- (anna+jobs@ is anna@, anna.b@gmail.com is annab@gmail.com); a hard bounce only for the address that bounced
-- (a server without +tags bounces anna+jobs@ and delivers to anna@): core.suppressions.mailbox, stored forms only
suppressions as materialized (  -- the view once, not once per branch below
    select person_id, address, channel, reason, mailbox from core.suppressions
),
by_address as materialized (
    select channel, reason, mailbox
    from suppressions where mailbox is not null
),
tagged as (           -- the few addresses that are not their own inbox (core.person_addresses.mailbox, sql/schema/054)
    select g.person_id, g.channel, a.mailbox
    from grid g join core.person_addresses a
      on a.person_id = g.person_id and a.channel = g.channel and a.address = g.address
    where a.mailbox <> g.address
),
matched as (
    select g.person_id, g.channel, s.reason
    from grid g join suppressions s
      on s.person_id = g.person_id and s.channel in (g.channel, 'all')
    union all
    select g.person_id, g.channel, s.reason
    from grid g join by_address s
      on s.mailbox = g.address and s.channel in (g.channel, 'all')
    union all
    select g.person_id, g.channel, s.reason
    from tagged g join by_address s
      on s.mailbox = g.mailbox and s.channel in (g.channel, 'all')
    where s.reason <> 'hard_bounce'
),
suppressed as (
    select person_id, channel,
           arg_min(reason, list_position(['erasure_request', 'do_not_contact', 'spam_report',
                                          'unsubscribed', 'sms_opt_out', 'hard_bounce'], reason)) as reason
    from matched
    group by all
),
direct as (            -- the person's latest own statement; a revoke wins a tie
    select person_id, channel, arg_max(status, (recorded_at, status = 'revoked')) as status,
           max(recorded_at) as recorded_at
    from core.consents where origin = 'event'
    group by all
),
from_records as (      -- most restrictive across source records, and when the latest refusal was made
    select person_id, channel, if(bool_or(status = 'revoked'), 'revoked', 'granted') as status,
           max(recorded_at) filter (where status = 'revoked') as revoked_at
    from core.consents where origin = 'record'
    group by all
),
decided as (
    select g.person_id, g.channel, g.address, g.phone_type, s.reason as suppression,
           -- a source refusal made at or after the person's latest own statement overrides it
           coalesce(if(r.revoked_at >= d.recorded_at, 'revoked', d.status), r.status, 'unknown') as consent
    from grid g
    left join suppressed s using (person_id, channel)
    left join direct d using (person_id, channel)
    left join from_records r using (person_id, channel)
)
select person_id, channel, consent,
       case
           when address is null then false
           when suppression is not null then false
           when consent = 'revoked' then false
           -- SMS needs a phone that may be a mobile (phonenumbers' type, tasks/normalize.py): a fixed line and
           -- every 'other' type (toll-free, premium-rate, shared-cost, pager, UAN …) are refused; a phone of
           -- unknown type (null) is not
           when channel = 'sms' and phone_type not in ('mobile', 'fixed_line_or_mobile', 'voip') then false
           when channel = 'sms' and consent <> 'granted' then false
           else true
       end as is_allowed,
       case
           when address is null then 'no_' || if(channel = 'email', 'email', 'phone')
           when suppression is not null then suppression
           when consent = 'revoked' then 'consent_revoked'
           when channel = 'sms' and phone_type not in ('mobile', 'fixed_line_or_mobile', 'voip') then 'not_mobile'
           when channel = 'sms' and consent <> 'granted' then 'sms_consent_missing'
           when consent = 'granted' then 'consent_granted'
           else 'not_opted_out'
       end as reason
from decided
