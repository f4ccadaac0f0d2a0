-- staging.parse_time(text, day_first): as 035, with DuckDB's own cast taken only when it reads a year
-- from 1900 on. The cast reads a slashed date with a two-digit year as year/month/day (`01/02/26` is
-- 0001-02-26); the 1900 floor then made it unparseable before the source's mm/dd/yy or dd/mm/yy was
-- tried, so a US export's `1/2/26` was quarantined although two-digit years are 20xx.
drop macro if exists staging.parse_time;
create macro staging.parse_time(value, day_first := false) as
    list_filter([if(regexp_matches(value, '\d'), coalesce(
        list_filter([try_cast(value as timestamptz)], lambda t: year(t) >= 1900)[1],
        case when regexp_full_match(value, '\d{12,13}') then make_timestamptz(value::bigint * 1000)
             when regexp_full_match(value, '\d{9,10}') then make_timestamptz(value::bigint * 1000000) end,
        case when day_first
             then try_strptime(value, ['%d.%m.%y', '%d/%m/%y', '%d.%m.%y %H:%M', '%d/%m/%y %H:%M',
                                       '%d.%m.%Y', '%Y/%m/%d', '%d/%m/%Y', '%d.%m.%Y %H:%M', '%d/%m/%Y %H:%M'])
             else try_strptime(value, ['%d.%m.%y', '%m/%d/%y', '%d.%m.%y %H:%M', '%m/%d/%y %H:%M',
                                       '%d.%m.%Y', '%Y/%m/%d', '%m/%d/%Y', '%d.%m.%Y %H:%M', '%m/%d/%Y %H:%M'])
        end::timestamptz
    ), null)], lambda t: year(t) >= 1900)[1];
