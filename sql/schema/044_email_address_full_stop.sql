-- staging.email_address(text): as 036, and without the full stops after the address: one copied
-- from a sentence ('write to ann@x.io.') was quarantined as email_syntax. No staged candidate or ATS
-- status address changes (email_syntax refused a final full stop); referrer addresses and
-- do-not-contact lines staged or listed with one lose it when next read.
create or replace macro staging.email_address(value) as
    nullif(rtrim(lower(trim(regexp_replace(value,
        '^[\s\x{0b}\x{85}\x{2028}\x{2029}\x{200b}\x{feff}]*mailto:|^[\s\x{0b}\x{85}\x{2028}\x{2029}\x{200b}\x{feff}]+|[\s\x{0b}\x{85}\x{2028}\x{2029}\x{200b}\x{feff}]+$',
        '', 'gi'))), '.'), '');
