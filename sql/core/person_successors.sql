-- inputs: core.person_merges (merge and split history), core.persons (live ids)
-- grain: one row per (person id in the history, live person now holding records that were once under
-- it), merges and splits followed to the end; key (person_id, successor_id). is_merged: reached by
-- merges alone, the one id a merged-away person lives on as (what its attachments follow); a split
-- adds the part that left, so a person-level suppression holds for every part.
with recursive moves (person_id, successor_id, is_merged) as (
    select person_id, into_person_id, kind = 'merge'
    from core.person_merges
    where kind in ('merge', 'split')
    union  -- not `union all`: a split merged back later (override removed) makes a cycle
    select m.person_id, h.into_person_id, m.is_merged and h.kind = 'merge'
    from moves as m
    join core.person_merges as h on h.person_id = m.successor_id and h.kind in ('merge', 'split')
)
select distinct person_id, successor_id, is_merged
from moves
where successor_id in (select person_id from core.persons)
  and successor_id <> person_id
