-- raw.provider_events.address_norm, raw.erasure_requests.email_norm: the address as staging reads it (lowercased,
-- no mailto:, staging.email_address; an internationalised domain in its IDNA form, nz.email_idna in Python), stored
-- once per row by tasks/journey/consent.py key_addresses (the consent step, each resolve run, and may_contact before
-- it answers), which the consent views compare: an unsubscribe or hard bounce for P1@Example.COM, or an erasure
-- request for anna@MÜLLER.de, matched no staged address. An SMS event's is its phone as given.
alter table raw.provider_events add column if not exists address_norm varchar;
alter table raw.erasure_requests add column if not exists email_norm varchar;

-- rows landed before: the ASCII ones read here; one holding a non-ASCII character is left null for key_addresses
update raw.provider_events set address_norm = coalesce(if(channel = 'email', staging.email_address(address), address), address)
where address is not null and strlen(address) = length(address);
update raw.erasure_requests set email_norm = coalesce(staging.email_address(email), email)
where email is not null and strlen(email) = length(email);
