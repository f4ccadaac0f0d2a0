-- Source renames (sources.yaml `renamed_from`). A rename is applied by the first ingest run whose
-- sources.yaml declares it and the run before did not (tasks/renames.py): meta.source_renames_declared
-- holds the renames the last run's sources.yaml declared (key: new_name), meta.source_renames one row
-- per rename applied, `seq` counting the runs that renamed (names swapped are two rows of one seq).
create table if not exists meta.source_renames (
    seq         integer not null,
    old_name    varchar not null,
    new_name    varchar not null,
    records     bigint not null,        -- staged candidate records it moved
    renamed_at  timestamptz not null
);
create table if not exists meta.source_renames_declared (
    old_name    varchar not null,
    new_name    varchar not null
);
