-- staging.deleted_records keeps the consent values a record had when its source deleted it, and when they were
-- stated (staging.candidate_records.consent_*_at, migration 068): a record that comes back (a full export listing it
-- again, an ATS restoring it) with the same value keeps that date (sql/staging/consent_dates.sql), as a record
-- staged again does. Without them its "no" was dated the day it came back, and revoked a re-subscribe given since.
-- Rows written before carry none (the record's values were not kept): a record deleted before this migration that
-- comes back has its consent dated when it comes back, as a changed value is.
alter table staging.deleted_records add column if not exists consent_email boolean;
alter table staging.deleted_records add column if not exists consent_sms boolean;
alter table staging.deleted_records add column if not exists consent_email_at timestamptz;
alter table staging.deleted_records add column if not exists consent_sms_at timestamptz;
