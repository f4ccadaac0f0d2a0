-- staging.email_address(text): as 044, and an address typed in full-width characters (a Japanese or
-- Chinese input method: ａｎｎ＠ｘ．ｉｏ, with 。 for the dot) is read as the ASCII address it spells; such
-- addresses were quarantined as email_syntax. No address staged before changes (email_syntax refused
-- every full-width character); referrer addresses, do-not-contact lines and erasure requests written
-- so match their people when next read.
create or replace macro staging.email_address(value) as
    nullif(rtrim(lower(trim(regexp_replace(
        translate(value,
                  '！＂＃＄％＆＇（）＊＋，－．／０１２３４５６７８９：；＜＝＞？＠ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ［＼］＾＿｀ａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ｛｜｝～。　',
                  '!"#$%&''()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\]^_`abcdefghijklmnopqrstuvwxyz{|}~. '),
        '^[\s\x{0b}\x{85}\x{2028}\x{2029}\x{200b}\x{feff}]*mailto:|^[\s\x{0b}\x{85}\x{2028}\x{2029}\x{200b}\x{feff}]+|[\s\x{0b}\x{85}\x{2028}\x{2029}\x{200b}\x{feff}]+$',
        '', 'gi'))), '.'), '');
