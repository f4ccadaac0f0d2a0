-- Identity contract (issue #3): which person each current source record belongs to, and the
-- golden record per person. Other capabilities read only these two tables.

-- One current row per (source_name, source_record_id) in staging.candidate_records.
create table if not exists core.identity_links (
    source_name       varchar not null,
    source_record_id  varchar not null,
    person_id         bigint not null,      -- never reused
    rule              varchar not null,     -- email | phone | linkedin | ats_person_id | splink | must_link | singleton
    score             double,               -- match probability for splink links; null when deterministic
    linked_at         timestamptz not null,
    primary key (source_name, source_record_id)
);

-- The golden record: one row per live person.
create table if not exists core.persons (
    person_id                  bigint primary key,
    display_name               varchar,
    first_name                 varchar,
    last_name                  varchar,
    email                      varchar,
    phone                      varchar,     -- E.164
    phone_type                 varchar,
    street                     varchar,
    city                       varchar,
    region                     varchar,
    postal_code                varchar,
    country                    varchar,     -- ISO-3166 alpha-2
    current_title              varchar,
    current_company            varchar,
    linkedin_url               varchar,
    skills                     varchar[],
    tags                       varchar[],
    sources                    varchar[],   -- source names
    channels                   varchar[],
    record_count               integer not null,
    first_seen_at              timestamptz,
    last_seen_at               timestamptz,
    is_referred                boolean not null default false,
    first_referrer_email       varchar,
    first_referrer_name        varchar,
    first_referrer_employee_id varchar,
    referred_at                timestamptz,
    consent_email              boolean,     -- null = unknown; most restrictive across records
    consent_sms                boolean,
    updated_at                 timestamptz not null
);
