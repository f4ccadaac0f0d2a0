-- Inputs: temp identity_scored_keys (match keys of new/changed records), temp identity_splink_input
-- (their neighbours: shares_id marks records sharing an identifier with one); $max_share caps
-- how many records one value may link (shared inboxes, office phones, placeholder numbers); macro
-- identity_names_agree (tasks/identity/resolve.py register_lookups). Grain: one
-- row per pair of records sharing a value whose names do not contradict each other (on a value
-- held by clearly different names: whose names are the same), per rule.
-- Key: (record_key_l, record_key_r, rule).
with values_ as (
    select 'email' as rule, record_key, email as value from identity_scored_keys where email is not null
    union all select 'phone', record_key, phone from identity_scored_keys where phone is not null
    union all select 'linkedin', record_key, linkedin_url from identity_scored_keys where linkedin_url is not null
    union all select 'ats_person_id', record_key, ats_person_id from identity_scored_keys where ats_person_id is not null
),
holders as (  -- every current record holding one of those values, with its names
    select h.* from (
        select record_key, is_scored, first_name_key, first_name_canon, last_name_key, full_name_key,
               email, phone, linkedin_url as linkedin, ats_person_id
        from identity_splink_input
        where shares_id
    ) unpivot (value for rule in (email, phone, linkedin, ats_person_id)) as h
    semi join values_ as v using (rule, value)
),
usable as (
    select rule, value from holders group by all having count(*) between 2 and $max_share
),
pairs as materialized (  -- every two holders of a usable value, the names compared once
    select a.rule, a.value, a.record_key as record_key_l, b.record_key as record_key_r,
           a.is_scored or b.is_scored as is_scored,
           -- a shared identifier between two clearly different names (a household phone, a shared
           -- inbox) is no link (identity_names_agree, tasks/identity/resolve.py register_lookups),
           -- and no evidence for Splink either (resolve.py _drop_uninformative_identifiers);
           -- nicknames, typos and swapped names agree
           identity_names_agree(a.first_name_key, a.first_name_canon, a.last_name_key, a.full_name_key,
                                b.first_name_key, b.first_name_canon, b.last_name_key, b.full_name_key) as agree,
           a.first_name_canon = b.first_name_canon and a.last_name_key = b.last_name_key as same_name
    from holders as a
    join holders as b on a.rule = b.rule and a.value = b.value and a.record_key < b.record_key
    where (a.rule, a.value) in (select (rule, value) from usable)
),
mixed as (  -- values two of whose holders have clearly different names (a household inbox or phone)
    select rule, value from pairs group by all having not bool_and(agree)
)
select p.record_key_l, p.record_key_r, p.rule, null::double as score, null::varchar as detail
from pairs as p
left join mixed as m using (rule, value)
-- a pair with a scored record (the others were decided before); on a mixed value only holders of
-- the same name link: agreeing is not transitive, and a holder with no name (or one agreeing with
-- both) would join Mary Smith and John Doe through itself
where p.is_scored and p.agree and (m.rule is null or p.same_name)
