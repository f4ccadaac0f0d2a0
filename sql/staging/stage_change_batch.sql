-- Normalizes one batch of ATS stage-change rows. Inputs: temp batch_read.
-- Grain: one row per row of the file batch. Key: row_number. Params: $now, $day_first (the source's date_order is dmy), $timezone (the source's).
with
source as (
    select * from batch_read
),

parsed as (
    select
        b.*,
        staging.parse_time(b.changed_at, $day_first, $timezone) as changed_ts  -- sql/schema/049
    from source as b
)

select
    row_number,
    source_record_id,
    ats_person_id,
    staging.email_address(email) as email,  -- sql/schema/044
    job_id,
    stage,
    changed_ts as changed_at,
    changed_at as changed_at_raw,
    case when changed_at is not null and changed_ts is null then changed_at end as changed_at_unparsed,
    case when changed_ts > $now then changed_at end as changed_at_future,
    coalesce(ats_person_id, staging.email_address(email)) as person_key,
    not_text,  -- a field given a JSON object: rule field_type (files.load_objects)
    -- the id on every row that shares it, so a row-wise expectation can flag all of them
    case when count(*) over (partition by source_record_id) > 1 then source_record_id end as record_id_repeated
from parsed
