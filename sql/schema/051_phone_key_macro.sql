-- staging.phone_key(text): a phone number written with its +country code, without the punctuation people type
-- around it ('+1 (415) 555-2671', '+1.415.555.2671' -> '+14155552671'), as tasks/normalize.py phone_key reads it;
-- anything else as given, trimmed. For inputs the consent views read live, where phonenumbers cannot run: an
-- erasure request by '+1 (415) 555-2671' matched no staged +14155552671 and the person stayed contactable.
create or replace macro staging.phone_key(value) as
    if(regexp_full_match(trim(value), '\+[\d\s().\-/]+'), '+' || regexp_replace(value, '\D', '', 'g'), trim(value));
