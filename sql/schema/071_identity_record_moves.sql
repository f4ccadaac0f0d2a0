-- Which records each merge or split moved, so that core.person_successors follows records, not ids: person 2
-- merged into 1, then 1's own record a:2 split off as 3; by ids 3 was a successor of 2 (2's unsubscribe held
-- for 3), though none of 2's records went there. One row per record a run put into another person id than the
-- one it was in: a merge or a split, or a record its source deleted coming back into another person than the one
-- it was in when deleted (core.identity_gone_links); a new record, a deleted one and one revived are no move.
create table if not exists core.identity_record_moves (
    record_key      varchar not null,   -- source_name:source_record_id
    source_name     varchar not null,
    from_person_id  bigint not null,
    to_person_id    bigint not null,
    run_id          integer not null,
    moved_at        timestamptz not null
);

-- Runs before this migration left no rows: an id merged away, split or retired in one of them (a
-- core.person_merges row of a run before the first run after this migration) is followed by ids as before,
-- and by the records of each id it reaches.
create table if not exists meta.identity_record_moves_since as
select coalesce(max(run_id), 0) + 1 as run_id from meta.identity_runs;
