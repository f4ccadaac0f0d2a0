-- staging.parse_time(text, day_first): as 033, with the order of a slashed numeric date set per
-- source (sources.yaml `date_order`): 05/03/2026 is 3 May for `mdy` (the default, as before) and
-- 5 March for `dmy` (UK, most of Europe, Latin America, India, Australia). A date that cannot be a
-- date in the declared order (15/03/2026 for mdy) is unparseable, so a wrong setting shows in the
-- quarantine instead of as shifted dates. Dotted dates (15.03.2026) are day-first in either order.
-- A value without a digit is no date: DuckDB's cast and strptime read the word 'epoch' as 1970-01-01.
drop macro if exists staging.parse_time;
create macro staging.parse_time(value, day_first := false) as
    list_filter([if(regexp_matches(value, '\d'), coalesce(
        try_cast(value as timestamptz),
        case when regexp_full_match(value, '\d{12,13}') then make_timestamptz(value::bigint * 1000)
             when regexp_full_match(value, '\d{9,10}') then make_timestamptz(value::bigint * 1000000) end,
        case when day_first
             then try_strptime(value, ['%d.%m.%y', '%d/%m/%y', '%d.%m.%y %H:%M', '%d/%m/%y %H:%M',
                                       '%d.%m.%Y', '%Y/%m/%d', '%d/%m/%Y', '%d.%m.%Y %H:%M', '%d/%m/%Y %H:%M'])
             else try_strptime(value, ['%d.%m.%y', '%m/%d/%y', '%d.%m.%y %H:%M', '%m/%d/%y %H:%M',
                                       '%d.%m.%Y', '%Y/%m/%d', '%m/%d/%Y', '%d.%m.%Y %H:%M', '%m/%d/%Y %H:%M'])
        end::timestamptz
    ), null)], lambda t: year(t) >= 1900)[1];
