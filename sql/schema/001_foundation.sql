-- Foundation: schemas, the append-only raw landing table, staging, quarantine and file tracking.
create schema if not exists raw;
create schema if not exists staging;
create schema if not exists core;
create schema if not exists marts;
create schema if not exists meta;

-- One row per distinct version of a source record. Append-only.
create table if not exists raw.source_records (
    source_name       varchar not null,
    source_record_id  varchar,            -- null when the source row had none (then quarantined)
    op                varchar not null default 'upsert',   -- upsert | delete
    payload           json not null,
    payload_sha256    varchar not null,
    file_path         varchar,
    row_number        bigint,
    batch_id          varchar not null,
    ingested_at       timestamptz not null
);

-- One row per current source record, normalized. Key: (source_name, source_record_id),
-- enforced by sql/checks (a declared key would stop delete-then-insert upserts in one transaction).
create table if not exists staging.candidate_records (
    source_name          varchar not null,
    source_record_id     varchar not null,
    source_kind          varchar not null,
    channel              varchar not null,
    batch_id             varchar not null,
    file_path            varchar,
    row_number           bigint,
    payload_sha256       varchar not null,
    staged_at            timestamptz not null,
    email_raw            varchar,
    email                varchar,
    phone_raw            varchar,
    phone                varchar,            -- E.164
    phone_country        varchar,            -- ISO-3166 alpha-2 of the number
    phone_type           varchar,            -- mobile | fixed_line | fixed_line_or_mobile | voip | other
    first_name           varchar,            -- display form
    last_name            varchar,
    full_name            varchar,
    first_name_key       varchar,            -- casefolded, diacritic-free
    last_name_key        varchar,
    full_name_key        varchar,
    street               varchar,
    city                 varchar,
    region               varchar,
    postal_code          varchar,
    country              varchar,            -- ISO-3166 alpha-2
    current_title        varchar,
    current_company      varchar,
    linkedin_url         varchar,            -- normalized https://www.linkedin.com/in/<slug>
    skills               varchar[],
    tags                 varchar[],
    job_id               varchar,
    job_title            varchar,
    applied_at           timestamptz,
    stage                varchar,
    ats_person_id        varchar,            -- Greenhouse candidate id, Lever contact
    referrer_email       varchar,
    referrer_name        varchar,
    referrer_employee_id varchar,
    referral_relationship varchar,
    referral_note        varchar,
    consent_email        boolean,            -- null = unknown
    consent_sms          boolean
);

-- Application stage changes from ATS status feeds. Key: (source_name, source_record_id).
create table if not exists staging.stage_changes (
    source_name       varchar not null,
    source_record_id  varchar not null,
    batch_id          varchar not null,
    file_path         varchar,
    row_number        bigint,
    payload_sha256    varchar not null,
    staged_at         timestamptz not null,
    ats_person_id     varchar,
    email             varchar,
    job_id            varchar,
    stage             varchar not null,      -- as the source spells it; mapped in core
    changed_at        timestamptz not null
);

-- Rows that broke a rule, append-only, one row per (row, rule).
create table if not exists staging.quarantine (
    source_name       varchar not null,
    source_record_id  varchar,
    batch_id          varchar not null,
    file_path         varchar,
    row_number        bigint,
    rule              varchar not null,
    field             varchar,
    value             varchar,
    message           varchar,
    quarantined_at    timestamptz not null
);

-- One row per file (or API page batch) loaded, by content hash.
create table if not exists meta.ingested_files (
    file_sha256       varchar not null,
    source_name       varchar not null,
    file_path         varchar not null,
    batch_id          varchar primary key,
    started_at        timestamptz not null,
    finished_at       timestamptz,
    status            varchar not null,      -- loaded | failed
    rows_read         bigint,
    rows_staged       bigint,
    rows_quarantined  bigint,
    error             varchar
);

-- Incremental cursors for API sources; advanced only after a page commits.
create table if not exists meta.watermarks (
    source_name  varchar not null,
    cursor_name  varchar not null,
    value        varchar,
    updated_at   timestamptz not null,
    primary key (source_name, cursor_name)
);
