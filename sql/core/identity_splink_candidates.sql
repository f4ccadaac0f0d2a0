-- Inputs: core.identity_keys, temp identity_scored (records scored this run). Grain: one row per
-- other current record that shares the keys of some blocking rule with a scored record: only those
-- can form a pair with one, so an incremental run hands Splink these instead of the whole warehouse.
-- Key: record_key. One join per rule of tasks/identity/model.py blocking_rules() (a unit test checks).
with new as (
    select * from core.identity_keys where record_key in (select record_key from identity_scored)
),
joined as (
    select o.record_key from core.identity_keys as o semi join new as n
        on o.first_name_canon = n.first_name_canon and o.last_name_key = n.last_name_key
    union
    select o.record_key from core.identity_keys as o semi join new as n
        on o.first_name_key = n.last_name_key and o.last_name_key = n.first_name_key
    union
    select o.record_key from core.identity_keys as o semi join new as n on o.email_local = n.email_local
    union
    select o.record_key from core.identity_keys as o semi join new as n
        on o.first_name_key = n.first_name_key and o.postal_key = n.postal_key
    union
    select o.record_key from core.identity_keys as o semi join new as n
        on o.last_name_key = n.last_name_key and o.postal_key = n.postal_key
    union
    select o.record_key from core.identity_keys as o semi join new as n
        on o.first_name_key = n.first_name_key and o.company_key = n.company_key
    union
    select o.record_key from core.identity_keys as o semi join new as n
        on o.last_name_key = n.last_name_key and o.company_key = n.company_key
    union
    select o.record_key from core.identity_keys as o semi join new as n
        on o.last_name_key = n.last_name_key and o.email_org = n.email_org
)
select record_key from joined
where record_key not in (select record_key from identity_scored)
