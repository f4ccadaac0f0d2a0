-- staging.candidate_records keeps when its source first sent each record (first_sent_at: the earliest
-- ingest of any version raw.source_records holds of it), which ingest now stamps on every row it stages.
-- A record without an application date was first seen then (sql/core/persons.sql): a resolve run read
-- raw.source_records for the undated records of every person it rewrote (0.04 s a run at 1M records:
-- both key strings of every raw row), where the staging row it already fetches now says it. Filled here
-- from raw.source_records as a run would have found it; null for a record raw holds no version of.
alter table staging.candidate_records add column first_sent_at timestamptz;
update staging.candidate_records as s set first_sent_at = r.first_sent_at
from (select source_name, source_record_id, min(ingested_at) as first_sent_at
      from raw.source_records where op = 'upsert' group by all) as r
where r.source_name = s.source_name and r.source_record_id = s.source_record_id;
