-- staging.parse_time(text): a source's timestamp text as timestamptz, the one reading every staging
-- model uses (applied_at of candidates, changed_at of ATS stage changes): ISO 8601 (with or without
-- zone), epoch milliseconds or seconds, and the day-first / month-first forms the feeds write.
-- Two-digit years come first ('15.03.26' is 2026; %Y would read it as the year 26); a year before
-- 1900 that is left (ISO '26-03-15') counts as unparseable, not as a date in antiquity.
create or replace macro staging.parse_time(value) as
    list_filter([coalesce(
        try_cast(value as timestamptz),
        case when regexp_full_match(value, '\d{12,13}') then make_timestamptz(value::bigint * 1000)
             when regexp_full_match(value, '\d{9,10}') then make_timestamptz(value::bigint * 1000000) end,
        try_strptime(value, ['%d.%m.%y', '%m/%d/%y', '%d.%m.%y %H:%M', '%m/%d/%y %H:%M',
                             '%d.%m.%Y', '%Y/%m/%d', '%m/%d/%Y', '%d.%m.%Y %H:%M', '%m/%d/%Y %H:%M'])::timestamptz
    )], lambda t: year(t) >= 1900)[1];
