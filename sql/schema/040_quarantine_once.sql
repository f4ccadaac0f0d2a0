-- A record's version is quarantined once per rule it breaks. Full exports and API full scans list
-- every record again, and each listing added the same quarantine rows: staging.quarantine grew by
-- them every run. A quarantine row now carries the hash of the payload it judged; a row whose record
-- was quarantined with that payload under that rule before gets no new one, and its batch counts
-- it in rows_quarantined_before (read = staged + quarantined still holds; the quarantine table
-- holds rows_quarantined - rows_quarantined_before of the batch's rows).
alter table staging.quarantine add column payload_sha256 varchar;
alter table meta.ingested_files add column rows_quarantined_before bigint default 0;
-- rows quarantined before: the raw version their batch brought (a version brought again, and
-- quarantined again, has no raw row of that batch and stays without a hash: the first one has it)
update staging.quarantine q set payload_sha256 = r.payload_sha256
from raw.source_records r
where r.source_name = q.source_name and r.batch_id = q.batch_id and r.row_number = q.row_number
  and r.source_record_id = q.source_record_id;
