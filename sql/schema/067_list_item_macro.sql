-- staging.list_item(text): one item of a skills or tags field as staging keeps it (sql/staging/candidate_batch.sql
-- splits the field on ; , |): without zero-width spaces, word joiners and byte-order marks (as names,
-- tasks/normalize.py), blanks collapsed to one space, trimmed, lowercased. Written out once for both lists; a
-- macro is expanded where it is used, so ingest runs the same expression as before.
create or replace macro staging.list_item(value) as
    lower(trim(regexp_replace(regexp_replace(value, '[\x{200b}\x{2060}\x{feff}]', '', 'g'), '\s+', ' ', 'g')));
