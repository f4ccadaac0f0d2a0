-- A file of a full-export source (sources.yaml `full_export: true`) read as the source's current list
-- counts the staged records it deleted for leaving them out; null: a file not read as the current list
-- (not a full-export source, or an older file read after a newer one).
alter table meta.ingested_files add column rows_deleted_absent bigint;
