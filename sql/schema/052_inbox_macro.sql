-- core.inbox(address): the inbox an email address delivers to, which suppressions match on: core.mailbox()
-- (031, 032: no +tag, googlemail.com is gmail.com) and, at gmail.com, without the dots of the local part,
-- which Gmail ignores (anna.berg@gmail.com and annaberg@gmail.com are one inbox). Identity rules keep comparing
-- core.mailbox(), dots kept (docs/identity.md: folding them cost the generated data's precision); an opt-out
-- must not be weaker than what Gmail delivers: an unsubscribe or do-not-contact line for anna.berg@gmail.com
-- left annaberg@gmail.com, the same inbox, contactable. A phone is its own inbox.
create or replace macro core.inbox(value) as
    case
        when not contains(value, 'mail.com') then core.mailbox(value)  -- fast path: neither gmail.com nor googlemail.com
        when ends_with(core.mailbox(value), '@gmail.com')
            then coalesce(nullif(replace(split_part(core.mailbox(value), '@', 1), '.', ''), ''),
                          split_part(core.mailbox(value), '@', 1)) || '@gmail.com'
        else core.mailbox(value)
    end;

-- core.person_addresses.mailbox holds each address's inbox from now on (the consent step rebuilds the
-- table on every run); here for a warehouse not refreshed since
update core.person_addresses set mailbox = core.inbox(address) where mailbox is distinct from core.inbox(address);
