-- Payloads with their keys in sorted order. CSV rows used to keep the file's column order, so the
-- same export with its columns reordered hashed differently and re-versioned, restaged and
-- re-resolved every record; the CSV reader now writes keys sorted, as the JSON readers always did.
-- This puts the payloads stored before in that order and carries their new hashes to every table
-- that compares them (staging, identity links), so neither the next ingest of an unchanged file
-- nor the next resolve run sees a change. Only the order of keys changes, never a key or a value;
-- change sequences are left as they are (nothing was restaged).
create temp table payload_rehash as
with unsorted as (
    select distinct payload_sha256 as old_sha, payload::varchar as old_payload
    from raw.source_records
    where json_type(payload) = 'OBJECT' and json_keys(payload) <> list_sort(json_keys(payload))
),
sorted as (
    select old_sha,
           to_json(map_from_entries(list_sort(map_entries(
               json_transform(old_payload, '"MAP(VARCHAR, JSON)"')))))::varchar as new_payload
    from unsorted
)
select old_sha, new_payload, sha256(new_payload) as new_sha from sorted;

update raw.source_records r set payload = p.new_payload::json, payload_sha256 = p.new_sha
from payload_rehash p where r.payload_sha256 = p.old_sha;
update staging.candidate_records s set payload_sha256 = p.new_sha
from payload_rehash p where s.payload_sha256 = p.old_sha;
update staging.stage_changes s set payload_sha256 = p.new_sha
from payload_rehash p where s.payload_sha256 = p.old_sha;
update core.identity_links l set payload_sha256 = p.new_sha
from payload_rehash p where l.payload_sha256 = p.old_sha;
drop table payload_rehash;
