-- A resolve run checks that the match-key hashes core.identity_keys holds are what this DuckDB's hash() and
-- core.identity_key_hashes() make of the keys (tasks/identity/resolve.py key_hashes_current). It compared the
-- table's first 2,048 rows with the macro's values, every run: 15 ms at 1M records (the first block of 19
-- columns, and the macro planned). It now compares the hash of the macro's value for fixed keys with the one
-- stored here when every record's hashes were last made or found current: a DuckDB whose hash() differs, or
-- the macro defined anew, gives another, and the run hashes every record's keys again. Empty until a run
-- stores it; the first run after this migration compares the rows, once.
create table if not exists meta.identity_key_hash_probe (probe ubigint not null);
