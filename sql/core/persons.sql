-- Inputs: temp person_records (sql/core/person_records.sql: the records of the persons in scope and
-- their staging rows), staging.candidate_records, temp identity_free_mail (personal mailbox domains),
-- macro identity_own_mailbox (register_lookups); $now. Grain: one golden record per person in scope that still has records.
-- Key: person_id. Survivorship rules are documented in docs/identity.md; ties between records go to
-- the greater record key, so a golden record does not depend on the order records are read in.
with fetched as (  -- the wide columns joined by row id, which DuckDB pushes down into the staging scan
    select l.person_id, l.record_key, l.first_linked_at, s.*,
           -- the mailbox apart: core.mailbox() inlined inside identity_own_mailbox() was planned three times
           core.mailbox(s.email) as mailbox
    from person_records as l
    join staging.candidate_records as s on s.rowid = l.row_id
),
records as (
    select s.* exclude (first_linked_at, first_sent_at, mailbox),
           coalesce(s.applied_at, s.staged_at) as seen_at,
           -- a record staged again (a nightly export whose tags changed) was first seen when its source first
           -- sent it (first_sent_at, stamped at ingest from raw.source_records, which keeps every version: one run
           -- over all versions as a run after each), and no later than the run that first linked it
           coalesce(s.applied_at, least(s.staged_at, s.first_linked_at, s.first_sent_at)) as first_seen_at,
           split_part(s.email, '@', 2) in (select domain from identity_free_mail) as is_personal_email,
           -- a placeholder (test@gmail.com) or a referral's referrer's own address is not the person's: the
           -- sender writes to the golden email (it was Bob's when he typed his address for Ann, and personal)
           s.email is not null and identity_own_mailbox(s.mailbox, s.referrer_email) is not null as is_own_email,
           coalesce(s.referrer_email, s.referrer_name, s.referrer_employee_id) is not null as names_referrer,
           names_referrer or s.channel = 'referral' as is_referral,
           -- a referral form's consent field is what the referrer ticked, and a referrer cannot consent for
           -- someone: the person's own records only, as core.consents (it gave a referred person a "yes")
           s.source_kind <> 'referrals' as is_own_consent
    from fetched as s
),
ranked as (  -- survivorship orders as integers, cheaper to compare in every arg_max than structs:
    -- recency orders a person's records by when they were seen, ties to the greater record key (numbered
    -- per person: ranks are only compared within one, and the numbering is spread over threads); a
    -- preference (fuller name, personal email, mobile phone) is put in the bits above it
    select *, (recency + (length(concat_ws(' ', first_name, last_name)) << 32)) as name_rank,
           (recency + (is_personal_email::bigint << 32)) as email_rank,
           -- mobile, then a phone that may take SMS (fixed_line_or_mobile: every US or Canadian number;
           -- voip, unknown), then a fixed line, then any other type (tasks/normalize.py stages phonenumbers'
           -- toll-free, premium-rate, shared-cost, pager, UAN … as 'other': seldom a person's own phone);
           -- sql/core/contactability.sql refuses SMS to the last two
           (recency + ((case when phone_type = 'mobile' then 3
                             when phone_type is null or phone_type in ('fixed_line_or_mobile', 'voip') then 2
                             when phone_type = 'fixed_line' then 1
                             else 0 end)::bigint << 32)) as phone_rank
    from (select *, row_number() over (partition by person_id order by seen_at, record_key) as recency from records)
),
golden as (  -- one pass: every rule is an aggregate over the person's records
    select
        person_id,
        arg_max(trim(concat_ws(' ', first_name, last_name)), name_rank)
            filter (where first_name is not null or last_name is not null) as display_name,
        -- arg_max_null where a field must come from the same record as another (names, phone type)
        arg_max_null(first_name, name_rank) filter (where first_name is not null or last_name is not null) as first_name,
        arg_max_null(last_name, name_rank) filter (where first_name is not null or last_name is not null) as last_name,
        arg_max(email, email_rank) filter (where is_own_email) as email,
        arg_max(phone, phone_rank) filter (where phone is not null) as phone,
        arg_max_null(phone_type, phone_rank) filter (where phone is not null) as phone_type,
        -- the most recent record that says where the person is, taken as a whole
        arg_max(struct_pack(street, city, region, postal_code, country), recency)
            filter (where coalesce(street, city, region, postal_code, country) is not null) as loc,
        arg_max(current_title, recency) filter (where current_title is not null) as current_title,
        arg_max(current_company, recency) filter (where current_company is not null) as current_company,
        arg_max(linkedin_url, recency) filter (where linkedin_url is not null) as linkedin_url,
        list_sort(list_distinct(flatten(list(skills)))) as skills,
        list_sort(list_distinct(flatten(list(tags)))) as tags,
        list_sort(list_distinct(list(source_name))) as sources,
        list_sort(list_distinct(list(channel))) as channels,
        count(*)::integer as record_count,
        min(first_seen_at) as first_seen_at,
        max(seen_at) as last_seen_at,
        coalesce(bool_or(is_referral), false) as is_referred,
        -- referral credit: every field from the earliest record that names a referrer (arg_min skips
        -- nulls, and gave one referrer's name with a later referrer's email), earliest as first_seen_at
        -- (by recency, a referral with no date staged again after an edit went behind a later referrer's)
        arg_min_null(referrer_email, (first_seen_at, recency)) filter (where names_referrer) as first_referrer_email,
        arg_min_null(referrer_name, (first_seen_at, recency)) filter (where names_referrer) as first_referrer_name,
        arg_min_null(referrer_employee_id, (first_seen_at, recency)) filter (where names_referrer)
            as first_referrer_employee_id,
        min(first_seen_at) filter (where is_referral) as referred_at,
        -- most restrictive: any "no" wins, then any "yes"; null only when none of the person's own records says
        case when bool_or(not consent_email) filter (where is_own_consent) then false
             when bool_or(consent_email) filter (where is_own_consent) then true end as consent_email,
        case when bool_or(not consent_sms) filter (where is_own_consent) then false
             when bool_or(consent_sms) filter (where is_own_consent) then true end as consent_sms
    from ranked
    group by person_id
)
select
    person_id,
    -- without its words of no letter of any script ('Ann @' is Ann: a form's junk after a name that has a
    -- letter, so staging kept it), the letter test of rule name_has_letter (tasks/normalize.py has_letter)
    nullif(array_to_string(list_filter(string_split(display_name, ' '), lambda w: regexp_matches(w, '\p{L}')), ' '), '')
        as display_name,
    first_name, last_name, email, phone, phone_type,
    loc.street as street, loc.city as city, loc.region as region, loc.postal_code as postal_code, loc.country as country,
    current_title, current_company, linkedin_url, skills, tags, sources, channels, record_count, first_seen_at,
    last_seen_at, is_referred, first_referrer_email, first_referrer_name, first_referrer_employee_id, referred_at,
    consent_email, consent_sms, $now::timestamptz as updated_at
from golden
