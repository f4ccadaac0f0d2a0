-- Inputs: temp identity_scored_keys (match keys of the records scored this run), temp identity_splink_input
-- (their neighbours: shares_id marks the records sharing an identifier with one). Grain: one row per identifier
-- value a scored record holds (email, phone, LinkedIn URL, ATS person id) per current record holding it, with
-- that record's names: every holder of the value, which the neighbour scan finds. Key: (rule, value, record_key).
-- The rule edges (sql/core/identity_value_pairs.sql, identity_rule_edges.sql), the earlier holders of values
-- grown common or mixed (tasks/identity/resolve.py _rescore_holders_of_values_grown_common) and the values that
-- identify nobody (_drop_uninformative_identifiers) read it: one unpivot of the neighbours, one count per value.
with values_ as (
    select 'email' as rule, email as value from identity_scored_keys where email is not null
    union all select 'phone', phone from identity_scored_keys where phone is not null
    union all select 'linkedin', linkedin_url from identity_scored_keys where linkedin_url is not null
    union all select 'ats_person_id', ats_person_id from identity_scored_keys where ats_person_id is not null
)
select h.* from (
    select record_key, is_scored, first_name_key, first_name_canon, last_name_key, full_name_key,
           email, phone, linkedin_url as linkedin, ats_person_id
    from identity_splink_input
    where shares_id
) unpivot (value for rule in (email, phone, linkedin, ats_person_id)) as h
semi join values_ as v using (rule, value)
