-- Identity resolution state (issue #3): what each link was computed from, the evidence
-- between records, the person-id sequence, merge/split history, model versions and runs.

-- What a link was computed from, so a run re-scores only new or changed records.
alter table core.identity_links add column payload_sha256 varchar;
alter table core.identity_links add column staged_at timestamptz;
alter table core.identity_links add column first_linked_at timestamptz;

-- Match keys of every current record (sql/core/identity_keys.sql), kept so a run computes keys
-- only for new or changed records. Key: record_key (checked in sql/checks; a declared key would
-- stop delete-then-insert in one transaction).
create table if not exists core.identity_keys (
    record_key        varchar not null,       -- source_name:source_record_id
    source_name       varchar not null,
    source_record_id  varchar not null,
    email             varchar,
    phone             varchar,
    linkedin_url      varchar,
    ats_person_id     varchar,
    first_name_key    varchar,
    last_name_key     varchar,
    full_name_key     varchar,
    city_key          varchar,
    postal_key        varchar,
    country           varchar,
    company_key       varchar,
    email_org         varchar,                -- domain stem of a work email address
    title_key         varchar,
    first_name_canon  varchar,
    email_local       varchar                 -- null when it is only the person's name
);

-- Person ids come from this sequence only: never reused, even after merges and retirements.
create sequence if not exists meta.person_id_seq start 1;

-- Evidence between two current records (l < r by record key): a deterministic rule or a
-- Splink score, with the per-field comparison levels for `candor explain`.
create table if not exists core.identity_edges (
    record_key_l  varchar not null,          -- source_name:source_record_id
    record_key_r  varchar not null,
    rule          varchar not null,          -- email | phone | linkedin | ats_person_id | splink | must_link
    score         double,                    -- Splink match probability; null when deterministic
    detail        varchar,                   -- JSON: per-comparison levels (splink) or the shared value kind
    created_at    timestamptz not null,
    primary key (record_key_l, record_key_r, rule)
);

-- History of person ids: merged into an older one, split off into a new one, or retired.
create table if not exists core.person_merges (
    person_id       bigint not null,         -- the id that was merged away, split, or retired
    into_person_id  bigint,                  -- the surviving id (merge) or the new part (split)
    kind            varchar not null,        -- merge | split | retire
    reason          varchar not null,        -- new_evidence | cannot_link | must_link | records_gone | evidence_gone
    record_count    integer,                 -- records that moved
    run_id          bigint not null,
    merged_at       timestamptz not null
);

-- Splink model versions: the shipped default (version 1 on first use) and each --train result.
create table if not exists meta.identity_models (
    version      integer primary key,
    origin       varchar not null,           -- default | trained
    trained_at   timestamptz not null,
    record_count bigint,
    model_json   varchar not null
);

-- One row per resolve run: what it scored and what it changed.
create table if not exists meta.identity_runs (
    run_id            bigint primary key,
    started_at        timestamptz not null,
    finished_at       timestamptz not null,
    model_version     integer,
    records_total     bigint,
    records_scored    bigint,
    records_removed   bigint,
    persons_total     bigint,
    persons_created   bigint,
    merges            bigint,
    splits            bigint,
    retired           bigint
);
