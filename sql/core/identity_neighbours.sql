-- Inputs: core.identity_keys, temp identity_scored_keys (match keys of the records scored this run).
-- Grain: one row per current record that shares an identifier (email, phone, LinkedIn URL, ATS
-- person id) or the keys of a blocking rule with a scored record (scored records included), with
-- shares_id / shares_block saying which and is_scored marking the scored ones. Only these can form a pair with a scored record, so an
-- incremental run reads the key table once here and hands the rule edges and Splink these rows.
-- Key: record_key. One `exists` per rule of tasks/identity/model.py blocking_rules() (a unit test
-- checks; name_block is covered by the first).
with flagged as (
    select o.*,
        o.record_key in (select record_key from identity_scored_keys) as is_scored,
        coalesce(o.email in (select email from identity_scored_keys)
                 or o.phone in (select phone from identity_scored_keys)
                 or o.linkedin_url in (select linkedin_url from identity_scored_keys)
                 or o.ats_person_id in (select ats_person_id from identity_scored_keys), false) as shares_id,
        exists (select 1 from identity_scored_keys as n
                where o.first_name_canon = n.first_name_canon and o.last_name_key = n.last_name_key)
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
                   where o.last_name_key = n.last_name_key and o.email_org = n.email_org) as shares_block
    from core.identity_keys as o
)
select * from flagged where shares_id or shares_block
