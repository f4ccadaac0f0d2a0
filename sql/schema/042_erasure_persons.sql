-- The persons an erasure request by address (email or phone) reached when a resolve run first saw
-- it. The request asks to forget a human: it holds for them after the record carrying the address
-- leaves them (an ATS anonymizes it on the same request) while they keep other records.
-- person_id null: the address reached no one then (the request still suppresses whoever is known
-- by the address later); every request is matched once. Key: (request_id, person_id).
create table if not exists core.erasure_persons (
    request_id  varchar not null,
    person_id   bigint,
    matched_at  timestamptz not null
);
