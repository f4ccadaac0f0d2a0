-- ATS API connectors: ids listed by a full scan in progress, so the scan can tell (when it ends,
-- even after a crash and resume) which staged records the source no longer has (deletions).
create table if not exists meta.api_seen_ids (
    source_name       varchar not null,
    source_record_id  varchar not null
);
