-- inputs: core.contactability
-- grain: one row per channel, decision and reason
select channel, is_allowed, reason, count(*)::integer as persons
from core.contactability
group by all
order by channel, is_allowed desc, persons desc
