-- Inputs: core.identity_links, staging.candidate_records, temp identity_dirty_persons (person_id),
-- temp identity_free_mail (personal mailbox domains); $now. Grain: one golden record per person in identity_dirty_persons that still has records.
-- Key: person_id. Survivorship rules are documented in docs/identity.md; ties between records go to
-- the greater record key, so a golden record does not depend on the order records are read in.
with linked as (
    select l.person_id, l.record_key, s.rowid as row_id
    from core.identity_links as l
    join identity_dirty_persons as d using (person_id)
    join staging.candidate_records as s using (source_name, source_record_id)
),
records as (  -- the wide columns joined by row id, which DuckDB pushes down into the staging scan
    select l.person_id, l.record_key, s.*,
           coalesce(s.applied_at, s.staged_at) as seen_at,
           split_part(s.email, '@', 2) in (select domain from identity_free_mail) as is_personal_email,
           s.referrer_email is not null or s.referrer_name is not null or s.referrer_employee_id is not null
               or s.channel = 'referral' as is_referral
    from linked as l
    join staging.candidate_records as s on s.rowid = l.row_id
),
ranked as (  -- survivorship orders as integers (ranking by structs costs 3 µs a record in the group by):
    -- recency orders records by when they were seen, ties to the greater record key; a preference
    -- (fuller name, personal email, mobile phone) is put in the bits above it
    select *, (recency + (length(concat_ws(' ', first_name, last_name)) << 32)) as name_rank,
           (recency + (is_personal_email::bigint << 32)) as email_rank,
           (recency + (coalesce(phone_type = 'mobile', false)::bigint << 32)) as phone_rank
    from (select *, row_number() over (order by seen_at, record_key) as recency from records)
),
referrals as (
    select person_id,
           arg_min(referrer_email, recency) as first_referrer_email,
           arg_min(referrer_name, recency) as first_referrer_name,
           arg_min(referrer_employee_id, recency) as first_referrer_employee_id,
           min(seen_at) as referred_at
    from ranked where is_referral group by person_id
),
located as (  -- the most recent record that says where the person is, taken as a whole
    select person_id,
           arg_max(struct_pack(street, city, region, postal_code, country), recency) as loc
    from ranked
    where coalesce(street, city, region, postal_code, country) is not null
    group by person_id
),
skills as (
    select person_id, list_sort(list_distinct(flatten(list(skills)))) as skills,
           list_sort(list_distinct(flatten(list(tags)))) as tags
    from ranked group by person_id
)
select  -- arg_max_null where a field must come from the same record as another (first and last name, phone type)
    r.person_id,
    arg_max(trim(concat_ws(' ', first_name, last_name)), name_rank)
        filter (where first_name is not null or last_name is not null) as display_name,
    arg_max_null(first_name, name_rank)
        filter (where first_name is not null or last_name is not null) as first_name,
    arg_max_null(last_name, name_rank)
        filter (where first_name is not null or last_name is not null) as last_name,
    arg_max(email, email_rank) filter (where email is not null) as email,
    arg_max(phone, phone_rank) filter (where phone is not null) as phone,
    arg_max_null(phone_type, phone_rank) filter (where phone is not null) as phone_type,
    any_value(lo.loc.street) as street,
    any_value(lo.loc.city) as city,
    any_value(lo.loc.region) as region,
    any_value(lo.loc.postal_code) as postal_code,
    any_value(lo.loc.country) as country,
    arg_max(current_title, recency) filter (where current_title is not null) as current_title,
    arg_max(current_company, recency) filter (where current_company is not null) as current_company,
    arg_max(linkedin_url, recency) filter (where linkedin_url is not null) as linkedin_url,
    any_value(sk.skills) as skills,
    any_value(sk.tags) as tags,
    list_sort(list_distinct(list(r.source_name))) as sources,
    list_sort(list_distinct(list(r.channel))) as channels,
    count(*)::integer as record_count,
    min(seen_at) as first_seen_at,
    max(seen_at) as last_seen_at,
    any_value(rf.person_id) is not null as is_referred,
    any_value(rf.first_referrer_email) as first_referrer_email,
    any_value(rf.first_referrer_name) as first_referrer_name,
    any_value(rf.first_referrer_employee_id) as first_referrer_employee_id,
    any_value(rf.referred_at) as referred_at,
    -- most restrictive: any "no" wins, then any "yes"; null only when no record says
    case when bool_or(consent_email = false) then false when bool_or(consent_email) then true end as consent_email,
    case when bool_or(consent_sms = false) then false when bool_or(consent_sms) then true end as consent_sms,
    $now::timestamptz as updated_at
from ranked as r
left join located as lo using (person_id)
left join skills as sk using (person_id)
left join referrals as rf using (person_id)
group by r.person_id
