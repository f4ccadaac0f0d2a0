-- An ATS person id means something only inside the system that issued it: two sources' ids
-- ("1001" in one ATS export and in another) are different people. The match key is now
-- source_name:id (sql/core/identity_keys.sql); keys stored before are put in that form here.
-- Links an earlier run made between sources by such an id stay until `candor resolve --rescore`.
update core.identity_keys
set ats_person_id = source_name || ':' || ats_person_id
where ats_person_id is not null;
