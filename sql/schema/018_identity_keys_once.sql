-- `candor resolve --train` keyed every staged record, and the run after it keyed the records it
-- scored as new a second time: such a warehouse holds two match-key rows for them, which doubled
-- their counts against the identifier, block and rare-name limits. One row per record is kept
-- (both were computed alike), and keys a training left for records no run has linked yet go (the
-- run that links them keys them); links made meanwhile stay until `candor resolve --rescore`.
delete from core.identity_keys
where rowid not in (select min(rowid) from core.identity_keys group by record_key);
delete from core.identity_keys
where record_key not in (select record_key from core.identity_links);
