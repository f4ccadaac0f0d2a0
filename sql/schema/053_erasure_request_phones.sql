-- raw.erasure_requests.phone_norm: the request's phone in E.164, as staging keeps phones, stored once per request
-- by tasks/journey/consent.py key_addresses (nz.phone_frame: the punctuation people type ignored, '+1 (415)
-- 555-2671' is +14155552671; written with + and its country code, as no region can be assumed for a request),
-- which suppressions and erasure_persons compare: the phone as written matched no staged E.164 number, and
-- the person stayed contactable. A phone that cannot be read stays null, and the consent step names its request.
alter table raw.erasure_requests add column if not exists phone_norm varchar;

-- requests recorded before, written as E.164 already: as they were compared; key_addresses reads the rest
update raw.erasure_requests set phone_norm = phone where regexp_full_match(phone, '\+[1-9][0-9]{6,14}');
