-- A resolve run counts the records staged again with their match keys unchanged (refreshed: golden
-- record rebuilt, nothing scored) beside the ones it scored; runs before this count none.
alter table meta.identity_runs add column records_refreshed bigint default 0;
