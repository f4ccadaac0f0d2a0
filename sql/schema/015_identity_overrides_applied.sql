-- The override pairs (identity_overrides.yaml) the last resolve run applied, so the next run can
-- undo a pair that was taken out of the file: a removed cannot-link merges its parts back, a
-- removed must-link lets them part. One row per pair, l < r.
create table if not exists meta.identity_overrides_applied (
    kind          varchar not null,      -- must_link | cannot_link
    record_key_l  varchar not null,
    record_key_r  varchar not null
);
