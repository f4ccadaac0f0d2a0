-- inputs: core.person_merges (merge and split history), core.persons (live ids)
-- grain: one row per (person id in the history, live person now holding records that were once under
-- it), merges and splits followed to the end; key (person_id, successor_id). is_merged: reached by
-- merges alone, the one id a merged-away person lives on as (what its attachments follow); a split
-- adds the part that left, so a person-level suppression holds for every part. Each step is one of a
-- later run than the step before: a split the survivor made before the merge took none of the merged
-- id's records (followed regardless of time, an unsubscribe held for a part that left weeks before).
-- The history is per id, not per record: a split the survivor makes after the merge is followed even
-- when the part that left took none of the merged id's records (docs/identity.md: errs towards suppressing)
with recursive moves (person_id, successor_id, is_merged, run_id) as (
    select person_id, into_person_id, kind = 'merge', run_id
    from core.person_merges
    where kind in ('merge', 'split')
    union  -- not `union all`: several paths may reach one successor in one run
    select m.person_id, h.into_person_id, m.is_merged and h.kind = 'merge', h.run_id
    from moves as m
    join core.person_merges as h
      on h.person_id = m.successor_id and h.kind in ('merge', 'split') and h.run_id > m.run_id
)
select distinct person_id, successor_id, is_merged
from moves
where successor_id in (select person_id from core.persons)
  and successor_id <> person_id
