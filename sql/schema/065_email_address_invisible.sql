-- staging.email_address(text): as 046, and without the invisible characters inside an address (a zero-width
-- space, word joiner or byte-order mark a web page or spreadsheet left between its letters, a soft hyphen where a
-- browser could break it): `ann<U+200B>@x.io` was quarantined as email_syntax, or, without a phone, lost its
-- record's only contact. No address staged before changes (email_syntax refused them); the provider events and
-- erasure requests holding one are read again by the next consent step (tasks/journey/consent.py key_addresses).
create or replace macro staging.email_address(value) as
    nullif(rtrim(lower(trim(regexp_replace(
        translate(regexp_replace(value, '[\x{ad}\x{200b}\x{2060}\x{feff}]', '', 'g'),
                  '！＂＃＄％＆＇（）＊＋，－．／０１２３４５６７８９：；＜＝＞？＠ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ［＼］＾＿｀ａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ｛｜｝～。　',
                  '!"#$%&''()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\]^_`abcdefghijklmnopqrstuvwxyz{|}~. '),
        '^[\s\x{0b}\x{85}\x{2028}\x{2029}]*mailto:|^[\s\x{0b}\x{85}\x{2028}\x{2029}]+|[\s\x{0b}\x{85}\x{2028}\x{2029}]+$',
        '', 'gi'))), '.'), '');

update raw.provider_events set address_norm = null, mailbox = null
where channel = 'email' and regexp_matches(address, '[\x{ad}\x{200b}\x{2060}\x{feff}]');
update raw.erasure_requests set email_norm = null, email_mailbox = null
where regexp_matches(email, '[\x{ad}\x{200b}\x{2060}\x{feff}]');
