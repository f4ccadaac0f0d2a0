-- Inputs: temp identity_value_pairs (sql/core/identity_value_pairs.sql: every two holders of an identifier a
-- scored record holds, held by 2 to $max_share records, with whether their names agree). Grain: one row per
-- pair of records sharing a value whose names do not contradict each other (on a value held by clearly
-- different names: whose names are the same), per rule, with a scored record (the others were decided before).
-- Key: (record_key_l, record_key_r, rule).
with mixed as (  -- values two of whose holders have clearly different names (a household inbox or phone)
    select rule, value from identity_value_pairs group by all having not bool_and(agree)
)
select p.record_key_l, p.record_key_r, p.rule, null::double as score, null::varchar as detail
from identity_value_pairs as p
left join mixed as m using (rule, value)
-- on a mixed value only holders of the same name link: agreeing is not transitive, and a holder with no
-- name (or one agreeing with both) would join Mary Smith and John Doe through itself
where (p.scored_l or p.scored_r) and p.agree and (m.rule is null or p.same_name)
