-- Inputs: core.identity_keys, temp identity_scored_keys (match keys of the records scored this run);
-- $rare_name_max. Grain: one row per current record that can form a pair with a scored record
-- (scored records included): it shares an identifier (email, phone, LinkedIn URL, ATS person id:
-- shares_id, for the rule edges) or the keys of a blocking rule (shares_block, for Splink), with the
-- columns Splink compares, name_block and oversized_blocks 0 (set afterwards; sql/core/identity_splink_input.sql
-- has the same columns for a run that scores every record). Key: record_key.
-- One semi join per identifier and per rule of tasks/identity/model.py blocking_rules() (a unit test
-- checks): the same name blocks alone only when at most $rare_name_max records carry it (name_block), a
-- commoner name only with the same city. Each joins on one column, so DuckDB applies a Bloom filter of the
-- scored records' values inside the scan of the key table, and the wide columns are then read by row id
-- for the records that passed. A rule of several columns joins on the hash of its keys, and phone and
-- LinkedIn URL on theirs (for strings that share a prefix DuckDB picks a range filter that passes nearly
-- every record): core.identity_key_hashes (migration 073) made them as each record was keyed, and makes
-- the scored records' here, the swapped-name rule's with first and last name swapped. At 1M records and
-- 9,707 scored ones: 0.17 s where one pass of `exists` tests over every record took 0.29 s.
with scored as materialized (  -- the scored records, and the hash their last name as first name makes
    select k.*, struct_extract(core.identity_key_hashes(null, null, k.last_name_key, null, k.first_name_key, null, null,
                                                        null, null), 'hash_first_last') as hash_swapped
    from identity_scored_keys as k
),
names as materialized (  -- how many current records carry each scored record's name (exact but for 64-bit collisions)
    select hash_name, count(*) as n
    from core.identity_keys
    where hash_name in (select hash_name from scored where hash_name is not null)
    group by all
),
hits as (  -- kind: 1 scored, 2 shares an identifier, 4 shares a block
    select rowid as row_id, 1::utinyint as kind from core.identity_keys
        where record_key in (select record_key from scored)
    union all select rowid, 2 from core.identity_keys where email in (select email from scored where email is not null)
    union all select rowid, 2 from core.identity_keys
        where hash_phone in (select hash_phone from scored where hash_phone is not null)
    union all select rowid, 2 from core.identity_keys
        where hash_linkedin in (select hash_linkedin from scored where hash_linkedin is not null)
    union all select rowid, 2 from core.identity_keys
        where ats_person_id in (select ats_person_id from scored where ats_person_id is not null)
    -- the same name blocks alone only when few records carry it
    union all select rowid, 4 from core.identity_keys
        where hash_name in (select hash_name from names where n <= $rare_name_max)
    union all select rowid, 4 from core.identity_keys
        where hash_name_city in (select hash_name_city from scored where hash_name_city is not null)
    union all select rowid, 4 from core.identity_keys
        where hash_first_last in (select hash_swapped from scored where hash_swapped is not null)
    union all select rowid, 4 from core.identity_keys
        where email_local in (select email_local from scored where email_local is not null)
    union all select rowid, 4 from core.identity_keys
        where hash_first_postal in (select hash_first_postal from scored where hash_first_postal is not null)
    union all select rowid, 4 from core.identity_keys
        where hash_last_postal in (select hash_last_postal from scored where hash_last_postal is not null)
    union all select rowid, 4 from core.identity_keys
        where hash_first_company in (select hash_first_company from scored where hash_first_company is not null)
    union all select rowid, 4 from core.identity_keys
        where hash_last_company in (select hash_last_company from scored where hash_last_company is not null)
    union all select rowid, 4 from core.identity_keys
        where hash_last_org in (select hash_last_org from scored where hash_last_org is not null)
)
select o.* exclude (source_name, source_record_id, country, hash_phone, hash_linkedin, hash_name, hash_name_city,
                    hash_first_last, hash_first_postal, hash_last_postal, hash_first_company, hash_last_company, hash_last_org),
       f.bits & 1 <> 0 as is_scored, f.bits & 2 <> 0 as shares_id, f.bits & 4 <> 0 as shares_block,
       -- only a scored record's name can make a pair with a scored record
       case when n.n <= $rare_name_max then o.first_name_canon || ' ' || o.last_name_key end as name_block,
       0 as oversized_blocks
from (select row_id, bit_or(kind) as bits from hits group by row_id) as f
join core.identity_keys as o on o.rowid = f.row_id
left join names as n using (hash_name)
