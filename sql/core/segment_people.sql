-- inputs: core.persons, core.person_stages, core.contactability, core.provider_events_resolved; $now, $half_life_days
-- grain: one row per person; key person_id. The fields segments filter on (docs/journey.md documents each;
-- `where:` predicates in segments.yaml may use any column). Engagement score formula: docs/journey.md.
with engagement as (   -- replies and inbound SMS weigh 3, clicks 1; each halves every $half_life_days
    select person_id,
           sum(if(event_kind = 'clicked', 1.0, 3.0)
               * pow(0.5, greatest(epoch($now::timestamptz) - epoch(occurred_at), 0) / 86400.0 / $half_life_days)
           ) as score,
           count(*) filter (where occurred_at > $now::timestamptz - interval 90 day) as engagements_90d
    from core.provider_events_resolved
    where person_id is not null
      and (event_kind = 'clicked' or (event_kind in ('replied', 'inbound_sms') and keyword_action is null))
    group by person_id
),
reach as (
    select person_id,
           bool_or(is_allowed) filter (where channel = 'email') as is_email_allowed,
           bool_or(is_allowed) filter (where channel = 'sms') as is_sms_allowed
    from core.contactability
    group by person_id
),
titled as (
    select person_id, lower(current_title) as title_key from core.persons
)
select p.person_id, p.display_name,
       p.current_title as title, t.title_key,
       case   -- first match wins, most specific first; null when there is no title
           when t.title_key is null then null
           when regexp_matches(t.title_key, '\b(chief|cto|ceo|cio|vp|vice president)\b') then 'executive'
           when regexp_matches(t.title_key, '\b(director|head of)\b') then 'director'
           when regexp_matches(t.title_key, '\bprincipal\b') then 'principal'
           when regexp_matches(t.title_key, '\bstaff\b') then 'staff'
           when regexp_matches(t.title_key, '(manager|leiter)') then 'manager'
           when regexp_matches(t.title_key, '\blead\b') then 'lead'
           when regexp_matches(t.title_key, '\b(senior|sr)\b') then 'senior'
           when regexp_matches(t.title_key, '\b(intern|internship|praktikant|werkstudent)\b') then 'intern'
           when regexp_matches(t.title_key, '\b(junior|jr|graduate|entry)\b') then 'junior'
           else 'mid'
       end as seniority,
       coalesce(p.skills, []::varchar[]) as skills,
       coalesce(p.tags, []::varchar[]) as tags,
       p.country, p.region, p.city,
       coalesce(p.sources, []::varchar[]) as sources,
       coalesce(p.channels, []::varchar[]) as channels,
       p.is_referred,
       s.current_stage, s.furthest_stage,
       s.discovered_at, s.contacted_at, s.engaged_at, s.applied_at, s.interviewing_at, s.offered_at, s.hired_at,
       s.rejected_at, s.withdrew_at, s.unsubscribed_at, s.do_not_contact_at, s.last_engaged_at,
       s.open_applications,
       round(coalesce(e.score, 0), 2) as engagement_score,
       coalesce(e.engagements_90d, 0) as engagements_90d,
       -- back in process through a feed's application, which no ATS row closes, is no silver medalist either
       s.interviewing_at is not null and s.hired_at is null and s.open_applications = 0
           and s.current_stage not in ('applied', 'interviewing', 'offered') as is_silver_medalist,
       s.hired_at is not null as is_hired_alumni,
       coalesce(r.is_email_allowed, false) as is_email_allowed,
       coalesce(r.is_sms_allowed, false) as is_sms_allowed,
       p.first_seen_at, p.last_seen_at
from core.persons p
join titled t using (person_id)
left join core.person_stages s using (person_id)
left join engagement e using (person_id)
left join reach r using (person_id)
