-- inputs: core.segment_current (this run's members), core.segment_memberships (open stays)
-- grain: one row per (segment, person) entering or exiting in this run; key (segment, person_id)
with open_stays as (
    select segment, person_id from core.segment_memberships where exited_at is null
)
select coalesce(c.segment, o.segment) as segment, coalesce(c.person_id, o.person_id) as person_id,
       o.person_id is null as is_entering, c.person_id is null as is_exiting
from core.segment_current c
full join open_stays o on o.segment = c.segment and o.person_id = c.person_id
where c.person_id is null or o.person_id is null
