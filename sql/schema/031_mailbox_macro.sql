-- core.mailbox(address): the mailbox an email address reaches, for comparing addresses (identity
-- rules, suppressions); the address itself is kept as given everywhere. A +tag (subaddressing,
-- RFC 5233: anna+jobs@x.org reaches anna@x.org) is dropped, and googlemail.com is gmail.com. An
-- address that is all tag, or has no @, stays as it is. Gmail's dots are not folded (docs/identity.md).
create or replace macro core.mailbox(address) as
    case
        when address is null or split_part(address, '@', 2) = '' then address
        else coalesce(nullif(split_part(split_part(address, '@', 1), '+', 1), ''), split_part(address, '@', 1))
             || '@' || if(split_part(address, '@', 2) = 'googlemail.com', 'gmail.com', split_part(address, '@', 2))
    end;
