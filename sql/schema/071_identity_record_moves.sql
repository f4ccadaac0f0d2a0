-- Which records each merge or split moved, so that core.person_successors follows records, not ids: person 2
-- merged into 1, then 1's own record a:2 split off as 3; by ids 3 was a successor of 2 (2's unsubscribe held
-- for 3), though none of 2's records went there. One row per record a run moved from one person id to another
-- while it stayed linked (a merge or a split); a new record, a deleted one and one coming back are no move.
create table if not exists core.identity_record_moves (
    record_key      varchar not null,   -- source_name:source_record_id
    source_name     varchar not null,
    from_person_id  bigint not null,
    to_person_id    bigint not null,
    run_id          integer not null,
    moved_at        timestamptz not null
);

-- Runs before this migration left no rows: an id merged away, split or retired in one of them (a
-- core.person_merges row of a run before the first run after this migration) is followed by ids as before.
create table if not exists meta.identity_record_moves_since as
select coalesce(max(run_id), 0) + 1 as run_id from meta.identity_runs;
