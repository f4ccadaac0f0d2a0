-- Inputs: temp identity_value_holders (sql/core/identity_value_holders.sql); $max_share caps how many records
-- one value may link (shared inboxes, office phones, placeholder numbers); macro identity_names_agree
-- (tasks/identity/resolve.py register_lookups). Grain: one row per two holders of a value held by 2 to
-- $max_share records, their names compared once. Key: (rule, value, record_key_l, record_key_r), record_key_l
-- the smaller.
-- agree: a shared identifier between two clearly different names (a household phone, a shared inbox) is
-- no link (sql/core/identity_rule_edges.sql), and no evidence for Splink either (resolve.py
-- _drop_uninformative_identifiers); nicknames, typos and swapped names agree. same_name: the same first name
-- (nicknames folded) and last name. scored_l, scored_r: whether each holder is scored this run.
with usable as (
    select rule, value from identity_value_holders group by all having count(*) between 2 and $max_share
)
select a.rule, a.value, a.record_key as record_key_l, b.record_key as record_key_r,
       a.is_scored as scored_l, b.is_scored as scored_r,
       identity_names_agree(a.first_name_key, a.first_name_canon, a.last_name_key, a.full_name_key,
                            b.first_name_key, b.first_name_canon, b.last_name_key, b.full_name_key) as agree,
       a.first_name_canon = b.first_name_canon and a.last_name_key = b.last_name_key as same_name
from identity_value_holders as a
join identity_value_holders as b on a.rule = b.rule and a.value = b.value and a.record_key < b.record_key
where (a.rule, a.value) in (select (rule, value) from usable)
