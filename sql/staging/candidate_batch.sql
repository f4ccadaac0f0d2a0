-- Normalizes one batch of candidate rows. Inputs: temp batch_read (raw canonical text), and the
-- per-distinct-value lookups name_lookup, name_split, phone_lookup, phone_abroad_lookup, country_lookup.
-- Grain: one row per row of the file batch. Key: row_number. Params: $now, $day_first (the source's date_order is dmy), $timezone (the source's).
with
source as (
    select * from batch_read
),

addressed as (
    select b.*, staging.email_address(b.email) as email_one  -- sql/schema/046
    from source as b
),

renamed as (
    select
        b.* exclude (email_one),
        -- a field holding more than an address ('a@x.io; b@y.io', '"Ann" <ann@x.io>', 'ann@x.io (home)')
        -- is staged as the address it starts with, or the one in angle brackets (the field as given
        -- stays in email_raw); it was quarantined. Not an address after other words: 'john smith@x.io'
        -- is a typo, and smith@x.io may be someone else's
        case when regexp_matches(b.email_one, '[\s;,<>()]')
             then coalesce(rtrim(coalesce(nullif(regexp_extract(b.email_one, '^([^\s<>;,()"]+@[^\s<>;,()"]+)[\s;,(]', 1), ''),
                                          nullif(regexp_extract(b.email_one, '<([^\s<>;,()"]+@[^\s<>;,()"]+)>', 1), '')), '.'),
                           b.email_one)
             else b.email_one end as email_norm,
        staging.parse_time(b.applied_at, $day_first, $timezone) as applied_ts,  -- sql/schema/049
        regexp_extract(trim(b.linkedin_url), '(?i)linkedin\.com/in/([^/?#\s]+)', 1) as linkedin_slug
    from addressed as b
),

normalized as (
    select
        r.row_number,
        r.source_record_id,
        r.email as email_raw,
        r.email_norm as email,
        r.phone as phone_raw,
        -- a number invalid in the source's region, read in the record's own country (tasks/staging.py)
        coalesce(p.phone, pa.phone) as phone, coalesce(p.phone_country, pa.phone_country) as phone_country,
        coalesce(p.phone_type, pa.phone_type) as phone_type,
        coalesce(fn.display, s.first_name) as first_name,
        coalesce(ln.display, s.last_name) as last_name,
        coalesce(full_n.display, nullif(concat_ws(' ', coalesce(fn.display, s.first_name), coalesce(ln.display, s.last_name)), '')) as full_name,
        coalesce(fn.key, s.first_name_key) as first_name_key,
        coalesce(ln.key, s.last_name_key) as last_name_key,
        -- a full name given alone is keyed without its titles and suffixes (name_split)
        coalesce(s.full_name_key, full_n.key, nullif(concat_ws(' ', coalesce(fn.key, s.first_name_key), coalesce(ln.key, s.last_name_key)), '')) as full_name_key,
        r.street, r.city, r.region, r.postal_code,
        c.code as country,
        r.current_title, r.current_company,
        r.linkedin_url as linkedin_raw,
        case when regexp_full_match(trim(r.linkedin_url), '(?i)(?:https?://)?(?:[a-z]{2,3}\.)?linkedin\.com/in/([^/?#\s]+)/?(?:[?#].*)?')
             -- a browser's copy spells letters beyond ASCII in %-escapes (jos%C3%A9 is josé): decoded, so both are one
             -- profile; escapes that decode to no text or to control characters (a copy cut after %C3, a %00) stay as written
             then 'https://www.linkedin.com/in/' || nfc_normalize(lower(
                 if(coalesce(not regexp_matches(try(url_decode(r.linkedin_slug)), '[[:cntrl:]]'), false),
                    try(url_decode(r.linkedin_slug)), r.linkedin_slug))) end as linkedin_url,
        r.skills as skills_raw,
        r.tags as tags_raw,
        r.job_id, r.job_title,
        r.applied_ts as applied_at,
        case when r.applied_at is not null and r.applied_ts is null then r.applied_at end as applied_at_unparsed,
        case when r.applied_ts > $now then r.applied_at end as applied_at_future,
        r.stage, r.ats_person_id,
        staging.email_address(r.referrer_email) as referrer_email,
        -- a referrer name or employee id of only zero-width spaces, byte-order marks or blanks names nobody: a
        -- referral giving no other referrer was staged as referred, its credit to an invisible name
        nullif(regexp_replace(r.referrer_name, '^[\s\x{a0}\x{200b}\x{2060}\x{feff}]+|[\s\x{a0}\x{200b}\x{2060}\x{feff}]+$', '', 'g'), '') as referrer_name,
        nullif(regexp_replace(r.referrer_employee_id, '^[\s\x{a0}\x{200b}\x{2060}\x{feff}]+|[\s\x{a0}\x{200b}\x{2060}\x{feff}]+$', '', 'g'), '') as referrer_employee_id,
        r.referral_relationship, r.referral_note,
        r.not_text,  -- a field given a JSON object: rule field_type (files.load_objects)
        lower(r.consent_email) as consent_email_raw,
        lower(r.consent_sms) as consent_sms_raw
    from renamed as r
    left join phone_lookup as p on p.raw = r.phone
    left join phone_abroad_lookup as pa on pa.raw = r.phone and pa.country = r.country
    left join name_lookup as fn on fn.raw = r.first_name
    left join name_lookup as ln on ln.raw = r.last_name
    left join name_lookup as full_n on full_n.raw = r.full_name
    left join name_split as s on s.raw = r.full_name and r.first_name is null and r.last_name is null
    left join country_lookup as c on c.raw = r.country
)

select
    n.* exclude (skills_raw, tags_raw),
    list_filter(sk, lambda x, i: list_position(sk, x) = i) as skills,
    list_filter(tg, lambda x, i: list_position(tg, x) = i) as tags,
    case when list_contains($true_words, n.consent_email_raw) then true when list_contains($false_words, n.consent_email_raw) then false end as consent_email,
    case when list_contains($true_words, n.consent_sms_raw) then true when list_contains($false_words, n.consent_sms_raw) then false end as consent_sms,
    -- the address read, not the cell: a tab, a zero-width space or a lone dot is no address, and such a row
    -- without a phone was staged with no contact
    coalesce(n.email, n.phone_raw) as contact_raw,
    case when n.phone_raw is not null and n.phone is null then n.phone_raw end as phone_invalid,
    coalesce(n.referrer_email, n.referrer_name, n.referrer_employee_id) as referrer_any,
    -- the id on every row that shares it, so a row-wise expectation can flag all of them
    case when count(*) over (partition by n.source_record_id) > 1 then n.source_record_id end as record_id_repeated
from normalized as n,
-- skills and tags: split, each item read by staging.list_item (sql/schema/067), empty items left out
lateral (select nullif(list_filter(list_transform(regexp_split_to_array(coalesce(n.skills_raw, ''), '[;,|]'),
                                                  lambda s: staging.list_item(s)),
                                   lambda s: s <> ''), []) as sk,
                nullif(list_filter(list_transform(regexp_split_to_array(coalesce(n.tags_raw, ''), '[;,|]'),
                                                  lambda s: staging.list_item(s)),
                                   lambda s: s <> ''), []) as tg)
