-- inputs: core.segment_memberships
-- healthy when no (segment, person) has two open stays and no stay ends before it starts
select segment, person_id, count(*) filter (where exited_at is null) as open_stays,
       count(*) filter (where exited_at < entered_at) as backwards_stays
from core.segment_memberships
group by all
having count(*) filter (where exited_at is null) > 1 or count(*) filter (where exited_at < entered_at) > 0
