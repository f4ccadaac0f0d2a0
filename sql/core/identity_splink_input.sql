-- Inputs: core.identity_keys, temp identity_scored; $scored_only: true = only the new/changed
-- records, false = all the others. Grain: one row per record with the columns the Splink model
-- compares. Key: record_key.
select record_key, first_name_key, last_name_key, full_name_key, first_name_canon, email, email_local,
       phone, linkedin_url, city_key, postal_key, country, company_key, email_org, title_key
from core.identity_keys
where (record_key in (select record_key from identity_scored)) = $scored_only
