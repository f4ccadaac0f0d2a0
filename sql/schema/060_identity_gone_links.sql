-- The person each record deleted by its source was linked to when it went (one row per deleted record
-- not staged again since), so that a record coming back gets that id back while the id holds no records
-- (tasks/identity/resolve.py: a full export leaving a record out one night retired its person, and the
-- record came back the next as a new person). Deletions resolved before this migration left no such row.
create table if not exists core.identity_gone_links (
    record_key       varchar not null,      -- source_name:source_record_id
    source_name      varchar not null,
    source_record_id varchar not null,
    person_id        bigint not null,       -- the id the record held when its deletion was resolved
    linked_at        timestamptz,           -- when it joined that person (its link's linked_at)
    first_linked_at  timestamptz,           -- its link's first_linked_at
    gone_at          timestamptz not null,  -- the resolve run that took the deletion in
    run_id           integer not null
);

-- core.person_merges.kind gains `revive` (an id that had no records holds one again: reason record_returned),
-- and each run counts them.
alter table meta.identity_runs add column revived bigint default 0;
