-- staging.parse_time(text, day_first, tz): as 043, with a time written without an offset (a date
-- alone included) read as wall-clock time in `tz`, the source's `timezone` (default UTC). An export
-- from an org in India writes local times: read as UTC they were 5h30 late, and those of the last
-- 5h30 before a run quarantined as in the future. A value with an offset or a zone name keeps it;
-- epoch seconds and milliseconds are UTC. A local time in a DST change (02:30 on a spring-forward
-- night does not exist, 01:30 on a fall-back night happens twice) is read at the standard-time offset.
drop macro if exists staging.parse_time;
create macro staging.parse_time(value, day_first := false, tz := 'UTC') as
    list_filter([if(regexp_matches(value, '\d'), coalesce(
        list_filter([if(tz = 'UTC' or regexp_matches(value, '(?i)\d:\d\d(?::\d\d(?:[.,]\d+)?)?\s*(?:z|[+-]\d|[a-z]{3})'),
                        try_cast(value as timestamptz),
                        -- the timestamp cast drops a trailing word (`10:00 PM` is 10:00): only what the zoned cast reads
                        if(try_cast(value as timestamptz) is null, null, timezone(tz, try_cast(value as timestamp))))],
                    lambda t: year(t) >= 1900)[1],
        case when regexp_full_match(value, '\d{12,13}') then make_timestamptz(value::bigint * 1000)
             when regexp_full_match(value, '\d{9,10}') then make_timestamptz(value::bigint * 1000000) end,
        timezone(tz, case when day_first
             then try_strptime(value, ['%d.%m.%y', '%d/%m/%y', '%d.%m.%y %H:%M', '%d/%m/%y %H:%M',
                                       '%d.%m.%Y', '%Y/%m/%d', '%d/%m/%Y', '%d.%m.%Y %H:%M', '%d/%m/%Y %H:%M'])
             else try_strptime(value, ['%d.%m.%y', '%m/%d/%y', '%d.%m.%y %H:%M', '%m/%d/%y %H:%M',
                                       '%d.%m.%Y', '%Y/%m/%d', '%m/%d/%Y', '%d.%m.%Y %H:%M', '%m/%d/%Y %H:%M'])
        end)
    ), null)], lambda t: year(t) >= 1900)[1];
