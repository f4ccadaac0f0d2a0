-- staging.email_address(text): as 046, and an address at an internationalised domain (anna@müller.de,
-- anna@MÜLLER.de) is kept with its domain in IDNA form, the ASCII form mail servers use and most forms
-- write (anna@xn--mller-kva.de): the Unicode spelling was quarantined as email_syntax while the ASCII one
-- was staged, so one person's two records never linked, and a do-not-contact line or erasure request in
-- one spelling missed the person staged in the other. A label is lowercased and NFC-composed, then
-- Punycode-encoded (RFC 3492) after `xn--`; ASCII labels and a non-ASCII local part (zoë@, which needs
-- SMTPUTF8 and stays an email_syntax) are left as they are. No address staged before changes (email_syntax
-- refused every non-ASCII domain).
-- staging.punycode(label): RFC 3492 Punycode of one domain label holding a non-ASCII code point (the part
-- after `xn--` of its IDNA A-label: müller -> mller-kva); list_reduce walks the code points as the RFC's
-- loops do. tests/unit/test_normalize.py checks it against Python's punycode codec.
create or replace macro staging.punycode_digit(d) as chr((d + if(d < 26, 97, 22))::integer);  -- 0..25: a-z, 26..35: 0-9

create or replace macro staging.punycode_threshold(j, bias) as least(greatest(36 * j - bias, 1), 26);

-- the variable-length integer q, digit by digit (the RFC's `for k = base to infinity` loop; 15 digits hold any delta)
create or replace macro staging.punycode_digits(q, bias) as
    list_reduce(range(1, 16), lambda acc, j:
        if(acc.done, acc,
           [if(acc.q < t, {'q': acc.q, 'out': acc.out || staging.punycode_digit(acc.q), 'done': true},
               {'q': (acc.q - t) // (36 - t), 'out': acc.out || staging.punycode_digit(t + (acc.q - t) % (36 - t)), 'done': false})
            for t in [staging.punycode_threshold(j, bias)]][1]),
        {'q': q::bigint, 'out': '', 'done': false}).out;

-- the RFC's bias adaptation (its while loop runs at most 5 times for a 63-character label)
create or replace macro staging.punycode_bias(delta, points, is_first) as
    [a.k + (36 * a.d) // (a.d + 38)
     for a in [list_reduce(range(6), lambda acc, i: if(acc.d > 455, {'d': acc.d // 35, 'k': acc.k + 36}, acc),
                           {'d': if(is_first, delta // 700, delta // 2) + if(is_first, delta // 700, delta // 2) // points,
                            'k': 0::bigint})]][1];

create or replace macro staging.punycode(label) as
    list_reduce(
        list_sort(list_distinct([unicode(c)::bigint for c in string_split(label, '') if unicode(c) >= 128])),
        lambda st, m: list_reduce(
            [unicode(c)::bigint for c in string_split(label, '')],
            lambda s, c: case
                when c < s.n then {'n': s.n, 'delta': s.delta + 1, 'bias': s.bias, 'h': s.h, 'out': s.out}
                when c = s.n then {'n': s.n, 'delta': 0::bigint,
                                   'bias': staging.punycode_bias(s.delta, s.h + 1,
                                                                 s.h = length(regexp_replace(label, '[^\x{00}-\x{7f}]', '', 'g'))),
                                   'h': s.h + 1, 'out': s.out || staging.punycode_digits(s.delta, s.bias)}
                else s end,
            {'n': m, 'delta': st.delta + 1 + (m - st.n - 1) * (st.h + 1), 'bias': st.bias, 'h': st.h, 'out': st.out}),
        {'n': 127::bigint, 'delta': -1::bigint, 'bias': 72::bigint,
         'h': length(regexp_replace(label, '[^\x{00}-\x{7f}]', '', 'g'))::bigint,
         'out': regexp_replace(label, '[^\x{00}-\x{7f}]', '', 'g')
                || if(regexp_matches(label, '[\x{00}-\x{7f}]'), '-', '')}).out;

-- staging.email_idna(address): the address with each non-ASCII label of its domain (after the last @) in
-- IDNA form; an ASCII address, or one whose domain part is no single host name, is returned as it is
create or replace macro staging.email_idna(address) as
    case
        when address is null or strlen(address) = length(address)  -- ASCII: bytes = characters, no regex
             or not regexp_full_match(string_split(address, '@')[-1], '[^\s;,<>()"\[\]]+')
             or not contains(address, '@')
            then address
        else array_to_string(list_slice(string_split(address, '@'), 1, -2), '@') || '@'
             || array_to_string([if(regexp_matches(l, '[^\x{00}-\x{7f}]'), 'xn--' || staging.punycode(l), l)
                                 for l in string_split(nfc_normalize(string_split(address, '@')[-1]), '.')], '.')
    end;

create or replace macro staging.email_address(value) as
    staging.email_idna(nullif(rtrim(lower(trim(regexp_replace(
        translate(value,
                  '！＂＃＄％＆＇（）＊＋，－．／０１２３４５６７８９：；＜＝＞？＠ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ［＼］＾＿｀ａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ｛｜｝～。　',
                  '!"#$%&''()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\]^_`abcdefghijklmnopqrstuvwxyz{|}~. '),
        '^[\s\x{0b}\x{85}\x{2028}\x{2029}\x{200b}\x{feff}]*mailto:|^[\s\x{0b}\x{85}\x{2028}\x{2029}\x{200b}\x{feff}]+|[\s\x{0b}\x{85}\x{2028}\x{2029}\x{200b}\x{feff}]+$',
        '', 'gi'))), '.'), ''));
