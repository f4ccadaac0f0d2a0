-- Journey (issue #4): provider events, opt-out keywords, do-not-contact and erasure inputs,
-- person addresses, and segment membership history. Derived journey tables (core.stage_events,
-- core.person_stages, core.segment_people) are rebuilt by sql/core models on every run.

-- What providers told us about messages and people. Written by the nurture capability (webhooks,
-- status callbacks, inbound SMS). Event kinds are a fixed list (tasks.journey.events.EVENT_KINDS).
create table if not exists raw.provider_events (
    provider_event_id varchar primary key,   -- provider's id (sg_event_id, MessageSid+status): replays dedupe here
    provider          varchar not null,      -- sendgrid | twilio | dryrun | …
    outbox_key        varchar,               -- core.outbox key of the message (null for inbound SMS)
    person_id         bigint,                -- null when the provider only gave an address
    channel           varchar not null check (channel in ('email', 'sms')),
    address           varchar,               -- email (lowercased) or E.164 phone the event is about
    event_kind        varchar not null check (event_kind in (
        'processed', 'deferred', 'delivered', 'bounced_hard', 'bounced_soft', 'dropped', 'failed',
        'opened', 'clicked', 'replied', 'inbound_sms', 'unsubscribed', 'resubscribed', 'spam_report')),
    body              varchar,               -- text of a reply or inbound SMS (opt-out keywords live here)
    occurred_at       timestamptz not null,
    payload           json,
    received_at       timestamptz not null
);

-- SMS keywords carriers and Twilio honour: a message whose letters are exactly one of these.
create table if not exists core.sms_keywords (
    keyword varchar primary key,
    action  varchar not null check (action in ('opt_out', 'opt_in'))
);
insert or ignore into core.sms_keywords values
    ('STOP', 'opt_out'), ('STOPALL', 'opt_out'), ('UNSUBSCRIBE', 'opt_out'), ('CANCEL', 'opt_out'),
    ('END', 'opt_out'), ('QUIT', 'opt_out'), ('REVOKE', 'opt_out'), ('OPTOUT', 'opt_out'),
    ('START', 'opt_in'), ('YES', 'opt_in'), ('UNSTOP', 'opt_in');

-- Erasure (GDPR art. 17) requests, by person and/or address; a request suppresses every channel.
create table if not exists raw.erasure_requests (
    request_id    varchar primary key,
    person_id     bigint,
    email         varchar,
    phone         varchar,                   -- E.164
    requested_at  timestamptz not null,
    note          varchar
);

-- The do-not-contact list from $CANDOR_HOME/config/do_not_contact.csv, reloaded on every run.
create table if not exists core.do_not_contact (
    address   varchar not null,              -- lowercased email or E.164 phone
    channel   varchar not null,              -- email | sms
    added_at  timestamptz,
    note      varchar
);

-- Every address a person is known by (golden record and all linked source records).
-- Rebuilt from sql/core/person_addresses.sql; created here so consent views work before the first run.
create table if not exists core.person_addresses (
    person_id  bigint not null,
    channel    varchar not null,             -- email | sms
    address    varchar not null
);

-- Segment membership history: one row per stay of a person in a segment (exited_at null = inside).
create table if not exists core.segment_memberships (
    segment     varchar not null,
    person_id   bigint not null,
    entered_at  timestamptz not null,
    exited_at   timestamptz
);
