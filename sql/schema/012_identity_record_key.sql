-- The record key identity joins on (source_name:source_record_id), stored on the link so that
-- incremental runs do not rebuild it for every link of the warehouse.
alter table core.identity_links add column record_key varchar;
update core.identity_links set record_key = source_name || ':' || source_record_id;
