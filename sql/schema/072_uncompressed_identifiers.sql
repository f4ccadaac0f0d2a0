-- The identifier columns that hold a value per record, which every resolve run reads in full to find a
-- batch's records among all of them (the neighbour scan, the links and edges of the records it touches, the
-- golden records' staging rows), are stored uncompressed: DuckDB's DICT_FSST decodes a column of distinct strings
-- at about half the speed of reading it plain, and a read of a few scattered rows decodes whole vectors. At 1M
-- records, single-threaded: identity_keys.email 39.6 -> 17.5 ms, phone 33.0 -> 17.7, record_key 24.8 -> 10.5,
-- identity_edges.record_key_l 19.9 -> 8.3, staging email fetched for 21,307 scattered rows 44.1 -> 13.2 ms;
-- an incremental run of 10,000 records on 1M took 5-8% less (docs/identity.md). The cost is space: the 1M
-- bench warehouse is 765 MiB instead of 620. Low-cardinality columns (names, cities, sources) stay
-- dictionary-compressed, which reads faster than plain. DuckDB keeps a column's compression in its table
-- definition and cannot alter it, so each table is written again (a 1M warehouse: about 7 s).
create table staging.candidate_records__072 (
    source_name varchar not null,
    source_record_id varchar not null using compression uncompressed,
    source_kind varchar not null,
    channel varchar not null,
    batch_id varchar not null,
    file_path varchar,
    row_number bigint,
    payload_sha256 varchar not null,
    staged_at timestamptz not null,
    email_raw varchar,
    email varchar using compression uncompressed,
    phone_raw varchar,
    phone varchar using compression uncompressed,
    phone_country varchar,
    phone_type varchar,
    first_name varchar,
    last_name varchar,
    full_name varchar,
    first_name_key varchar,
    last_name_key varchar,
    full_name_key varchar,
    street varchar,
    city varchar,
    region varchar,
    postal_code varchar,
    country varchar,
    current_title varchar,
    current_company varchar,
    linkedin_url varchar using compression uncompressed,
    skills varchar[],
    tags varchar[],
    job_id varchar,
    job_title varchar,
    applied_at timestamptz,
    stage varchar,
    ats_person_id varchar,
    referrer_email varchar,
    referrer_name varchar,
    referrer_employee_id varchar,
    referral_relationship varchar,
    referral_note varchar,
    consent_email boolean,
    consent_sms boolean,
    change_seq bigint default nextval('staging.change_seq') not null,
    consent_email_at timestamptz,
    consent_sms_at timestamptz
);
insert into staging.candidate_records__072 select * from staging.candidate_records;
drop table staging.candidate_records;
alter table staging.candidate_records__072 rename to candidate_records;

create table core.identity_keys__072 (
    record_key varchar not null using compression uncompressed,
    source_name varchar not null,
    source_record_id varchar not null,
    email varchar using compression uncompressed,
    phone varchar using compression uncompressed,
    linkedin_url varchar using compression uncompressed,
    ats_person_id varchar,
    first_name_key varchar,
    last_name_key varchar,
    full_name_key varchar using compression uncompressed,
    city_key varchar,
    postal_key varchar,
    country varchar,
    company_key varchar,
    email_org varchar,
    title_key varchar,
    first_name_canon varchar,
    email_local varchar
);
insert into core.identity_keys__072 select * from core.identity_keys;
drop table core.identity_keys;
alter table core.identity_keys__072 rename to identity_keys;

create table core.identity_links__072 (
    source_name varchar not null,
    source_record_id varchar not null,
    person_id bigint not null,
    "rule" varchar not null,
    score double,
    linked_at timestamptz not null,
    payload_sha256 varchar,
    staged_at timestamptz,
    first_linked_at timestamptz,
    record_key varchar using compression uncompressed
);
insert into core.identity_links__072 select * from core.identity_links;
drop table core.identity_links;
alter table core.identity_links__072 rename to identity_links;

create table core.identity_edges__072 (
    record_key_l varchar not null using compression uncompressed,
    record_key_r varchar not null using compression uncompressed,
    "rule" varchar not null,
    score double,
    detail varchar,
    created_at timestamptz not null,
    model_version integer
);
insert into core.identity_edges__072 select * from core.identity_edges;
drop table core.identity_edges;
alter table core.identity_edges__072 rename to identity_edges;
