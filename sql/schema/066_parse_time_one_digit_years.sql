-- staging.parse_time(text, day_first, tz): as 049, and a slashed or dotted date whose year is one digit
-- (`1/2/3`, `5.3.6`: junk in a date column, or a form's counter) is unparseable; strptime's %y took the
-- digit as a two-digit year, so `1/2/3` was staged as 2003-01-02. Dates staged before keep their time;
-- such a record is read so when its source sends it again.
drop macro if exists staging.parse_time;
create macro staging.parse_time(value, day_first := false, tz := 'UTC') as
    list_filter([if(regexp_matches(value, '\d'), coalesce(
        list_filter([if(tz = 'UTC' or regexp_matches(value, '(?i)\d:\d\d(?::\d\d(?:[.,]\d+)?)?\s*(?:z|[+-]\d|[a-z]{3})'),
                        try_cast(value as timestamptz),
                        -- the timestamp cast drops a trailing word (`10:00 PM` is 10:00): only what the zoned cast reads
                        if(try_cast(value as timestamptz) is null, null, timezone(tz, try_cast(value as timestamp))))],
                    lambda t: year(t) >= 1900)[1],
        case when regexp_full_match(value, '\d{12,13}(\.\d+)?') then make_timestamptz((value::decimal(19, 6) * 1000)::bigint)
             when regexp_full_match(value, '\d{9,10}(\.\d+)?') then make_timestamptz((value::decimal(19, 6) * 1000000)::bigint) end,
        timezone(tz, case when regexp_matches(value, '^\s*\d{1,2}[./]\d{1,2}[./]\d(?:\s|$)') then null
             when day_first
             then try_strptime(value, ['%d.%m.%y', '%d/%m/%y', '%d.%m.%y %H:%M', '%d/%m/%y %H:%M',
                                       '%d.%m.%Y', '%Y/%m/%d', '%d/%m/%Y', '%d.%m.%Y %H:%M', '%d/%m/%Y %H:%M'])
             else try_strptime(value, ['%d.%m.%y', '%m/%d/%y', '%d.%m.%y %H:%M', '%m/%d/%y %H:%M',
                                       '%d.%m.%Y', '%Y/%m/%d', '%m/%d/%Y', '%d.%m.%Y %H:%M', '%m/%d/%Y %H:%M'])
        end)
    ), null)], lambda t: year(t) >= 1900)[1];
