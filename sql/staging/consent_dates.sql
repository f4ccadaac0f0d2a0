-- inputs: batch_ok (the batch's records about to be staged), staging.candidate_records (their staged versions, $source),
-- staging.deleted_records (the version each had when its source deleted it, for one that comes back); $now
-- grain: one row per record of the batch; key source_record_id
-- when each consent value was stated: kept while the record is staged again, or comes back after a delete, with the
-- same value (an export lists it again when its stage or tags change: not the person saying it again); a value first
-- staged is dated at the application (applied_at), else now; a changed value (or one the earlier version lacked) now
with staged as (
    select source_record_id, consent_email, consent_email_at, consent_sms, consent_sms_at
    from staging.candidate_records
    where source_name = $source and source_record_id in (select source_record_id from batch_ok)
),
deleted as (           -- a record not staged now: the version its last delete removed
    select source_record_id, consent_email, consent_email_at, consent_sms, consent_sms_at
    from staging.deleted_records
    where source_name = $source and source_record_id in (select source_record_id from batch_ok)
    qualify row_number() over (partition by source_record_id order by change_seq desc) = 1
),
prior as (
    select * from staged
    union all
    select * from deleted anti join staged using (source_record_id)
)
select o.source_record_id,
       case when o.consent_email is null then null
            when o.consent_email = p.consent_email then p.consent_email_at
            when p.source_record_id is null then coalesce(o.applied_at, $now)
            else $now end as consent_email_at,
       case when o.consent_sms is null then null
            when o.consent_sms = p.consent_sms then p.consent_sms_at
            when p.source_record_id is null then coalesce(o.applied_at, $now)
            else $now end as consent_sms_at
from batch_ok o
left join prior p using (source_record_id)
