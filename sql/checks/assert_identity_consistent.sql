-- core.identity_links holds one row per record; every linked person has a golden record whose
-- record_count matches its links, and no golden record is left without links.
select 'duplicate link' as problem, source_name || ':' || source_record_id as item, count(*) as n
from core.identity_links group by all having count(*) > 1
union all
select 'count mismatch', cast(coalesce(p.person_id, l.person_id) as varchar), coalesce(l.n, 0)
from core.persons as p
full outer join (select person_id, count(*) as n from core.identity_links group by person_id) as l using (person_id)
where p.record_count is distinct from l.n
