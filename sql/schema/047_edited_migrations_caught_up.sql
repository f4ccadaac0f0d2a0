-- Migrations 013 and 018 were edited after warehouses had applied them, and the runner never runs an
-- applied migration again: a warehouse that applied 013 as first written (0893704) has no
-- staging.deleted_records, so every resolve run failed on it; one that applied 018 as first written
-- (5e8d3ea) may still hold match keys a training left for records no run has linked. This does what
-- the later texts added (a no-op on a warehouse that ran them), then records the checksums of the
-- texts it now matches, so opening it no longer warns that 013 or 018 changed after being applied.
create table if not exists staging.deleted_records (
    source_name       varchar not null,
    source_record_id  varchar not null,
    change_seq        bigint not null default nextval('staging.change_seq'),
    deleted_at        timestamptz not null
);
delete from core.identity_keys
where record_key not in (select record_key from core.identity_links);
-- the sha256 of 013 as written at 0893704 and at 1cf8d39, then of its text since 66acf41
update meta.schema_migrations set checksum = 'fed8186f55bc3a2c534a7d6fc40974d859a9c404f30a0acc2e04ce84ac96de92'
where version = '013_identity_incremental'
  and checksum in ('4d4394170f8da7261c9d48069d6cb087050d3e7c198f7f2fa8e5c50b09857b7a',
                   '203748e669a9aa7cb0e7ee56be8f01f0dda8fc4febab7d9e193aa1883c04fdff');
-- the sha256 of 018 as written at 5e8d3ea, then of its text since 5b8373e
update meta.schema_migrations set checksum = '4258e0fe2da625328b7ade741f49ca1dd141142bccc35aa6736fdf50a3c50fc1'
where version = '018_identity_keys_once'
  and checksum = 'd720852354163013ced4d13eb74e9ac02edc4d48ff29f2a903f769720cf01e5f';
