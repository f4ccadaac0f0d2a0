-- staging.email_address(text): an email field as staging keeps it — lowercased, without a `mailto:`
-- and without the blanks around it, null when empty. trim() alone drops spaces (no-break ones too)
-- but not a tab, a line break, a zero-width space or a byte-order mark, which spreadsheets leave at
-- the end of a cell: those made a good address fail email_syntax, while the JSON readers (Python's
-- strip) took the same address. One definition for candidates' and referrers' addresses and the
-- ATS status feeds' person keys.
create or replace macro staging.email_address(value) as
    nullif(lower(trim(regexp_replace(value,
        '^[\s\x{0b}\x{85}\x{2028}\x{2029}\x{200b}\x{feff}]*mailto:|^[\s\x{0b}\x{85}\x{2028}\x{2029}\x{200b}\x{feff}]+|[\s\x{0b}\x{85}\x{2028}\x{2029}\x{200b}\x{feff}]+$',
        '', 'gi'))), '');
