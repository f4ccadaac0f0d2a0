-- Inputs: staging.candidate_records, temp identity_scored (new/changed records), $since (a change
-- sequence all of them lie above, 0 to read all of staging),
-- temp identity_nicknames (name_key, canon_key), temp identity_free_mail (personal mailbox domains),
-- macro identity_own_mailbox (register_lookups: a placeholder's or a referral's referrer's address is none). Grain: one row per scored record with the match
-- keys the rules and Splink compare, in core.identity_keys' column order (email: the mailbox it reaches), and last the
-- hashes of the phone, the LinkedIn URL and the multi-column blocking rules' keys (core.identity_key_hashes,
-- migration 073). Key: record_key (source_name:source_record_id).
with mailboxes as (
    select s.*, core.mailbox(s.email) as mailbox  -- the mailbox it reaches (sql/schema/031)
    from staging.candidate_records as s
    join identity_scored as i using (source_name, source_record_id)
    where s.change_seq > $since  -- scored records lie above it: older row groups are skipped
),
staged as (
    -- a placeholder (test@test.com, noreply@acme.io) is nobody's address, and a referral's own referrer
    -- address in its candidate's field is the referrer's (macro identity_own_mailbox): no key, no local
    -- part, no employer; under CANDOR_IDENTITY_MAX_KEY_SHARE holders whose names agreed by one word were one person
    select m.* exclude (mailbox), p.mailbox_address, split_part(p.mailbox_address, '@', 2) as domain
    from mailboxes as m,
    lateral (select identity_own_mailbox(m.mailbox, m.referrer_email) as mailbox_address) as p
),
records as (
    select
        s.source_name || ':' || s.source_record_id as record_key,
        s.source_name,
        s.source_record_id,
        s.mailbox_address as email,
        s.phone,
        s.linkedin_url,
        s.source_name || ':' || s.ats_person_id as ats_person_id,  -- an ATS id is one system's: keyed by source
        nullif(s.first_name_key, '') as first_name_key,
        nullif(s.last_name_key, '') as last_name_key,
        nullif(s.full_name_key, '') as full_name_key,
        regexp_replace(split_part(s.mailbox_address, '@', 1), '[._+-]', '', 'g') as email_local_raw,
        -- "Denver, CO" from job-board locations; "Remote" is not a place
        left(nullif(nullif(lower(trim(split_part(s.city, ',', 1))), ''), 'remote'), 100) as city_key,
        nullif(upper(replace(s.postal_code, ' ', '')), '') as postal_key,
        s.country,
        left(nullif(regexp_replace(lower(s.current_company), '[^a-z0-9]+', '', 'g'), ''), 100) as company_key,
        -- a work address names the employer: acme.com ~ "Acme Inc"
        case when s.domain not in (select domain from identity_free_mail)
             then nullif(regexp_replace(split_part(s.domain, '.', 1), '[^a-z0-9]', '', 'g'), '')
        end as email_org,
        -- free text is compared on its first 100 characters: Jaro-Winkler grows with the square of
        -- the length (8,000-character titles took a 200-record run 17.5 s; 100,000 never finished)
        left(nullif(trim(regexp_replace(lower(s.current_title), '[^a-z0-9]+', ' ', 'g')), ''), 100) as title_key
    from staged as s
),
keyed as (
    select
        r.* exclude (email_local_raw),
        coalesce(n.canon_key, r.first_name_key) as first_name_canon,
        -- a local part made of the person's own name (plus the single digit providers append to
        -- repeats, john.smith2) says nothing the name does not
        case when regexp_matches(r.email_local_raw, '[0-9]{2}')
                  or not (contains(r.email_local_raw, regexp_replace(coalesce(r.last_name_key, '~'), '[^a-z]', '', 'g'))
                          or contains(r.email_local_raw, regexp_replace(coalesce(r.first_name_key, '~'), '[^a-z]', '', 'g')))
             then nullif(r.email_local_raw, '') end as email_local
    from records as r
    left join identity_nicknames as n on n.name_key = r.first_name_key
)
select *, unnest(core.identity_key_hashes(phone, linkedin_url, first_name_key, first_name_canon, last_name_key, city_key,
                                          postal_key, company_key, email_org))
from keyed
