-- inputs: core.person_merges (merge and split history), core.identity_record_moves (the records each moved),
-- core.identity_links, core.persons (live ids), meta.identity_record_moves_since
-- grain: one row per (person id in the history, live person now holding records that were once under
-- it); key (person_id, successor_id). is_merged: reached by merges alone, the one id a merged-away person
-- lives on as (what its attachments follow); a split adds the part that left, so a person-level
-- suppression holds for every part. Followed by records: a part that left is a successor only if it
-- holds a record that was under the id (person 2 merged into 1, then 1's own record split off as 3: 3
-- is no successor of 2, as a split the survivor made before the merge); a record its source deleted and
-- staged again is still the record it was (its move from the id it was in when deleted). An id whose records moved in a
-- run before migration 071 (no record moves kept) is followed by ids, each step in a later run than the
-- one before, and then by the records of each id it reaches, which errs towards suppressing.
with recursive moves (person_id, successor_id, is_merged, run_id) as (
    select person_id, into_person_id, kind = 'merge', run_id
    from core.person_merges
    where kind in ('merge', 'split')
    union  -- not `union all`: several paths may reach one successor in one run
    select m.person_id, h.into_person_id, m.is_merged and h.kind = 'merge', h.run_id
    from moves as m
    join core.person_merges as h
      on h.person_id = m.successor_id and h.kind in ('merge', 'split') and h.run_id > m.run_id
),
legacy as (  -- ids whose records moved in a run before migration 071 (none kept)
    select person_id from core.person_merges where run_id < (select run_id from meta.identity_record_moves_since)
),
by_ids as (  -- merges alone for every id; every path for an id whose records moved before migration 071
    select person_id, successor_id, is_merged
    from moves
    where is_merged or person_id in (select person_id from legacy)
),
was_under as (  -- each id a moved record has been under (a record never moved is under its person only)
    select record_key, from_person_id as person_id from core.identity_record_moves
    union select record_key, to_person_id from core.identity_record_moves
),
last_moved as (  -- the id each moved record's last move took it to
    select record_key, arg_max(to_person_id, run_id) as person_id from core.identity_record_moves group by all
),
by_records as (  -- every move of a record, a deletion and return between included, leads to where it is now; one
    -- whose last move does not (deleted before migration 060 kept its id, and back elsewhere) starts afresh
    select distinct u.person_id, l.person_id as successor_id, false as is_merged
    from was_under as u
    join core.identity_links as l using (record_key)
    join last_moved as m on m.record_key = l.record_key and m.person_id = l.person_id
),
legacy_records as (  -- and such an id reaches whoever holds a record now that was under it or an id its path
    -- reaches (a record of a merged-away id, deleted after the migration and back elsewhere, moved from the survivor)
    select i.person_id, r.successor_id, false as is_merged
    from (select person_id, successor_id from by_ids where person_id in (select person_id from legacy)
          union select person_id, person_id from legacy) as i
    join by_records as r on r.person_id = i.successor_id
)
select person_id, successor_id, bool_or(is_merged) as is_merged
from (select * from by_ids union all select * from by_records union all select * from legacy_records)
where successor_id in (select person_id from core.persons)
  and successor_id <> person_id
group by all
