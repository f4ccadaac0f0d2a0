-- Inputs: core.identity_keys, temp identity_scored_keys (match keys of the records scored this run);
-- $rare_name_max. Grain: one row per current record that can form a pair with a scored record
-- (scored records included): it shares an identifier (email, phone, LinkedIn URL, ATS person id:
-- shares_id, for the rule edges) or the keys of a blocking rule (shares_block, for Splink), with the
-- columns Splink compares, name_block and oversized_blocks 0 (set afterwards; sql/core/identity_splink_input.sql
-- has the same columns for a run that scores every record). Key: record_key.
-- An incremental run reads the key table once here. One `exists` per rule of
-- tasks/identity/model.py blocking_rules() (a unit test checks): the same name blocks alone only
-- when at most $rare_name_max records carry it (name_block), a commoner name only with the same city.
with flagged as (  -- the columns the rules and Splink compare (not source_name, source_record_id, country)
    select o.* exclude (source_name, source_record_id, country),
        o.record_key in (select record_key from identity_scored_keys) as is_scored,
        coalesce(o.email in (select email from identity_scored_keys)
                 or o.phone in (select phone from identity_scored_keys)
                 or o.linkedin_url in (select linkedin_url from identity_scored_keys)
                 or o.ats_person_id in (select ats_person_id from identity_scored_keys), false) as shares_id,
        exists (select 1 from identity_scored_keys as n
                where o.first_name_canon = n.first_name_canon and o.last_name_key = n.last_name_key) as shares_name,
        exists (select 1 from identity_scored_keys as n
                where o.first_name_canon = n.first_name_canon and o.last_name_key = n.last_name_key
                  and o.city_key = n.city_key)
        or exists (select 1 from identity_scored_keys as n
                   where o.first_name_key = n.last_name_key and o.last_name_key = n.first_name_key)
        or exists (select 1 from identity_scored_keys as n where o.email_local = n.email_local)
        or exists (select 1 from identity_scored_keys as n
                   where o.first_name_key = n.first_name_key and o.postal_key = n.postal_key)
        or exists (select 1 from identity_scored_keys as n
                   where o.last_name_key = n.last_name_key and o.postal_key = n.postal_key)
        or exists (select 1 from identity_scored_keys as n
                   where o.first_name_key = n.first_name_key and o.company_key = n.company_key)
        or exists (select 1 from identity_scored_keys as n
                   where o.last_name_key = n.last_name_key and o.company_key = n.company_key)
        or exists (select 1 from identity_scored_keys as n
                   where o.last_name_key = n.last_name_key and o.email_org = n.email_org) as shares_other_block
    from core.identity_keys as o
),
names as (  -- how many current records carry each scored record's name (exact: counted over all keys)
    select first_name_canon, last_name_key, count(*) as n
    from core.identity_keys
    semi join identity_scored_keys using (first_name_canon, last_name_key)
    group by all
),
neighbours as (
    select f.* exclude (shares_name, shares_other_block),
           f.shares_other_block or (f.shares_name and n.n <= $rare_name_max) as shares_block,
           -- only a scored record's name can make a pair with a scored record
           case when n.n <= $rare_name_max then f.first_name_canon || ' ' || f.last_name_key end as name_block,
           0 as oversized_blocks
    -- the name counts joined only to records that may pair (a join over every record cost 0.02 s at 1M)
    from (select * from flagged where is_scored or shares_id or shares_name or shares_other_block) as f
    left join names as n using (first_name_canon, last_name_key)
)
select * from neighbours where is_scored or shares_id or shares_block
