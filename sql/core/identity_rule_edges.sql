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
        select record_key, first_name_key, first_name_canon, last_name_key, full_name_key,
               email, phone, linkedin_url as linkedin, ats_person_id
        from identity_splink_input
        where shares_id
    ) unpivot (value for rule in (email, phone, linkedin, ats_person_id)) as h
    semi join values_ as v using (rule, value)
),
usable as (
    select rule, value from holders group by all having count(*) between 2 and $max_share
),
names as (  -- a scored record holds its own value, so every record of a pair is among the holders
    select distinct record_key, first_name_key, first_name_canon, last_name_key, full_name_key from holders
),
mixed as (  -- usable values two of whose holders have clearly different names (a household inbox or phone)
    select a.rule, a.value
    from holders as a
    join holders as b on a.rule = b.rule and a.value = b.value and a.record_key < b.record_key
    where (a.rule, a.value) in (select (rule, value) from usable)
      and not identity_names_agree(a.first_name_key, a.first_name_canon, a.last_name_key, a.full_name_key,
                                   b.first_name_key, b.first_name_canon, b.last_name_key, b.full_name_key)
    group by all
),
pairs as (
    select distinct least(v.record_key, h.record_key) as record_key_l,
           greatest(v.record_key, h.record_key) as record_key_r, v.rule, v.value
    from values_ as v
    join usable as u using (rule, value)
    join holders as h using (rule, value)
    where h.record_key <> v.record_key
)
select p.record_key_l, p.record_key_r, p.rule, null::double as score, null::varchar as detail
from pairs as p
join names as l on l.record_key = p.record_key_l
join names as r on r.record_key = p.record_key_r
left join mixed as m using (rule, value)
-- a shared identifier between two clearly different names (a household phone, a shared inbox) is
-- no link (identity_names_agree, tasks/identity/resolve.py register_lookups), and no evidence for
-- Splink either (resolve.py _drop_uninformative_identifiers); nicknames, typos and swapped names agree.
-- On such a mixed value only holders of the same name link: agreeing is not transitive, and a holder
-- with no name (or one agreeing with both) would join Mary Smith and John Doe through itself.
where identity_names_agree(l.first_name_key, l.first_name_canon, l.last_name_key, l.full_name_key,
                           r.first_name_key, r.first_name_canon, r.last_name_key, r.full_name_key)
  and (m.rule is null or (l.first_name_canon = r.first_name_canon and l.last_name_key = r.last_name_key))
