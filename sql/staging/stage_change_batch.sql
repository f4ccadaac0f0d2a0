-- Normalizes one batch of ATS stage-change rows. Inputs: temp batch_read.
-- Grain: one row per row of the file batch. Key: row_number. Params: $now.
with
source as (
    select * from batch_read
),

parsed as (
    select
        b.*,
        -- two-digit years first ('15.03.26' is 2026; %Y would read it as the year 26); a year before
        -- 1900 that is left (ISO '26-03-15') counts as unparseable, not as a date in antiquity
        list_filter([coalesce(
            try_cast(b.changed_at as timestamptz),
            case when regexp_full_match(b.changed_at, '\d{12,13}') then make_timestamptz(b.changed_at::bigint * 1000)
                 when regexp_full_match(b.changed_at, '\d{9,10}') then make_timestamptz(b.changed_at::bigint * 1000000) end,
            try_strptime(b.changed_at, ['%d.%m.%y', '%m/%d/%y', '%d.%m.%y %H:%M', '%m/%d/%y %H:%M',
                                       '%d.%m.%Y', '%Y/%m/%d', '%m/%d/%Y', '%d.%m.%Y %H:%M', '%m/%d/%Y %H:%M'])::timestamptz
        )], lambda t: year(t) >= 1900)[1] as changed_ts
    from source as b
)

select
    row_number,
    source_record_id,
    ats_person_id,
    nullif(lower(trim(regexp_replace(email, '^mailto:', '', 'i'))), '') as email,
    job_id,
    stage,
    changed_ts as changed_at,
    changed_at as changed_at_raw,
    case when changed_at is not null and changed_ts is null then changed_at end as changed_at_unparsed,
    case when changed_ts > $now then changed_at end as changed_at_future,
    coalesce(ats_person_id, nullif(lower(trim(email)), '')) as person_key,
    -- the id on every row that shares it, so a row-wise expectation can flag all of them
    case when count(*) over (partition by source_record_id) > 1 then source_record_id end as record_id_repeated
from parsed
