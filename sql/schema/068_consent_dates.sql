-- staging.candidate_records.consent_email_at, consent_sms_at: when the record's consent value was stated, which
-- core.consents dates the record's statements by (docs/journey.md). Ingest sets it when a value is first staged (the
-- record's applied_at, else its staging time) or changes (the staging time of the version that changed it), and keeps
-- it while the record is staged again with the same value (sql/staging/consent_dates.sql). Before, a statement was
-- dated coalesce(applied_at, staged_at): a full export lists an undated ATS record again whenever its stage or tags
-- change, so a "no" to SMS from months ago was dated today and revoked the START the person had texted since.
alter table staging.candidate_records add column if not exists consent_email_at timestamptz;
alter table staging.candidate_records add column if not exists consent_sms_at timestamptz;

-- rows staged before: the date their statements had (which version first said the value is not known here: the raw
-- payloads name the source's own fields); a record staged again before the upgrade keeps that version's staging time
update staging.candidate_records set consent_email_at = coalesce(applied_at, staged_at) where consent_email is not null;
update staging.candidate_records set consent_sms_at = coalesce(applied_at, staged_at) where consent_sms is not null;
