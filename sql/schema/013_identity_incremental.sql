-- Incremental identity resolution (issue #3) at a million records.
--
-- 1. Every staged record carries the change sequence of the write that put it there, and every
--    removal is logged with one; a resolve run records the highest it took in, so the next run finds
--    new, changed and removed records with a range filter instead of comparing all of staging with
--    all links.
create sequence if not exists staging.change_seq start 1;
alter table staging.candidate_records add column change_seq bigint default nextval('staging.change_seq');
-- (made NOT NULL by 014: DuckDB cannot add the constraint in the transaction that filled the column)
alter table meta.identity_runs add column change_seq bigint;  -- null: the next run compares everything
-- Records removed from staging (API deletes), with the change sequence of the removal.
create table if not exists staging.deleted_records (
    source_name       varchar not null,
    source_record_id  varchar not null,
    change_seq        bigint not null default nextval('staging.change_seq'),
    deleted_at        timestamptz not null
);

-- 2. No declared keys on the identity tables: an index is maintained on every delete and insert
--    and rewritten at every checkpoint, which cost an incremental run more than its own work.
--    The keys are checked by sql/checks/assert_identity_consistent.sql after every run instead.
create table core.identity_links_new (
    source_name       varchar not null,   -- key: (source_name, source_record_id), one row per staged record
    source_record_id  varchar not null,
    person_id         bigint not null,
    rule              varchar not null,
    score             double,
    linked_at         timestamptz not null,
    payload_sha256    varchar,
    staged_at         timestamptz,
    first_linked_at   timestamptz,
    record_key        varchar
);
insert into core.identity_links_new by name select * from core.identity_links;
drop table core.identity_links;
alter table core.identity_links_new rename to identity_links;

create table core.identity_edges_new (
    record_key_l  varchar not null,       -- key: (record_key_l, record_key_r, rule)
    record_key_r  varchar not null,
    rule          varchar not null,
    score         double,
    detail        varchar,
    created_at    timestamptz not null
);
insert into core.identity_edges_new by name select * from core.identity_edges;
drop table core.identity_edges;
alter table core.identity_edges_new rename to identity_edges;

create table core.persons_new as select * from core.persons limit 0;
alter table core.persons_new alter column person_id set not null;  -- key: person_id
alter table core.persons_new alter column record_count set not null;
alter table core.persons_new alter column is_referred set not null;
alter table core.persons_new alter column is_referred set default false;
alter table core.persons_new alter column updated_at set not null;
insert into core.persons_new by name select * from core.persons;
drop table core.persons;
alter table core.persons_new rename to persons;

-- 3. Match keys were inserted by position from a query that lists email_org before company_key, so
--    each held the other's value; they are inserted by name now, and stored rows are put right.
update core.identity_keys set company_key = email_org, email_org = company_key;
