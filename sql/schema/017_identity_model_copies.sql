-- A model version can be a copy of an earlier one: `candor resolve --use-model N` goes back to the
-- shipped default or an earlier training by storing it again as the newest version (origin
-- 'restored', copied_from N), so the versions stay a history and every run names the one it used.
alter table meta.identity_models add column copied_from integer;
