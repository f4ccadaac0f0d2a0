-- core.identity_links holds one row per record, and core.identity_keys one row per linked record
-- (counted, not compared key by key: that would cost a pass over a million keys); every linked
-- person has a golden record whose record_count matches its links, and no golden record is left
-- without links. An id merged away is merged once and holds no records again, and a record that ever
-- moved is in the person its last move (core.identity_record_moves) took it to: a record changes
-- person only by a move (core.person_successors and what follows it rely on both).
select 'duplicate link' as problem, source_name || ':' || source_record_id as item, count(*) as n
from core.identity_links group by all having count(*) > 1
union all
select 'match keys vs links', 'core.identity_keys', (select count(*) from core.identity_keys)
where (select count(*) from core.identity_keys) <> (select count(*) from core.identity_links)
union all
select 'count mismatch', cast(coalesce(p.person_id, l.person_id) as varchar), coalesce(l.n, 0)
from core.persons as p
full outer join (select person_id, count(*) as n from core.identity_links group by person_id) as l using (person_id)
where p.record_count is distinct from l.n
union all
select 'merged id holds records', cast(m.person_id as varchar), count(*)
from core.person_merges as m join core.identity_links as l using (person_id)
where m.kind = 'merge' group by all
union all
select 'merged twice', cast(person_id as varchar), count(*)
from core.person_merges where kind = 'merge' group by all having count(*) > 1
union all
select 'record not where its last move took it', m.record_key, m.person_id
from (select record_key, arg_max(to_person_id, run_id) as person_id from core.identity_record_moves group by all) as m
join core.identity_links as l using (record_key)
where l.person_id <> m.person_id
