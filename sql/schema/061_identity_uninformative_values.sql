-- The email, phone and LinkedIn URL values Splink must see as missing (held by more than
-- CANDOR_IDENTITY_MAX_KEY_SHARE records, or by clearly different names: tasks/identity/resolve.py
-- _drop_uninformative_identifiers), one row per (kind, value), kept up to date by every resolve run for
-- the values its scored records hold (their holders are all in the run's input). A later run reads it
-- for the values of its neighbours, whose other holders it does not read: until 2026-11-28 it counted
-- those within the neighbours, and a household phone held outside them kept its Splink weight.
-- meta.identity_runs.values_stored: the run left this table complete; the first run after this
-- migration fills it from every record's keys.
create table if not exists core.identity_uninformative_values (
    kind    varchar not null,   -- email | phone | linkedin_url
    value   varchar not null,
    common  boolean not null    -- held by more than the share limit (else: by clearly different names)
);
alter table meta.identity_runs add column values_stored boolean default false;
