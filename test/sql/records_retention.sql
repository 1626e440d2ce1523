-- The logs' retention (records on retention's ready-made protections): the
-- disclosure log and the access log are protected by patsvc's install script
-- under the ready-made policy hipaa_documentation (6 years from each entry):
-- the protection as every install has it, what may not make one, entries past
-- 6 years leaving only through destroy_due() with a certificate, younger ones,
-- late entries and held ones staying, the patient's other records destroyed
-- while the log stays, no early destruction.
-- In a database of its own: destructions write certificates and events, which
-- the later files of the shared database must not see.
SELECT current_database() AS regress_db \gset
SET client_min_messages = warning;
DROP DATABASE IF EXISTS regress_records_retention;
RESET client_min_messages;
CREATE DATABASE regress_records_retention;
\c regress_records_retention
SET client_min_messages = warning;
CREATE EXTENSION patsvc CASCADE;
RESET client_min_messages;
SET search_path = public, patsvc;
\set VERBOSITY default
\set SHOW_CONTEXT never
SET TimeZone = 'UTC';
SET DateStyle = ISO, YMD;

-- ---- the ready-made protections ---------------------------------------------------
SELECT relid, policy_name, patient_column, anchor_column, protected_at, protected_by, ready_made
  FROM protected_tables ORDER BY relid::text;
SELECT policy_name, period, anchor, mode, ready_made FROM retention_policies WHERE policy_name = 'hipaa_documentation';
-- no event for them (every install has them, like the ready-made policies)
SELECT count(*) AS protection_events FROM retention_events WHERE event = 'table protected';
-- the guard triggers, as CREATE EXTENSION makes them (a restore runs it too)
SELECT tgrelid::regclass AS log, tgname, tgenabled FROM pg_trigger
 WHERE tgrelid IN ('disclosure_log'::regclass, 'access_log'::regclass) AND NOT tgisinternal
 ORDER BY tgrelid::regclass::text, tgname;
-- pg_dump leaves the ready-made rows out, as it does the ready-made policies
SELECT c.relname, x.condition
  FROM pg_extension e, unnest(e.extconfig, e.extcondition) AS x(relid, condition)
  JOIN pg_class c ON c.oid = x.relid
 WHERE e.extname = 'patsvc' AND c.relname IN ('protected_tables', 'retention_policies', 'disclosure_log', 'access_log')
 ORDER BY 1;

-- ---- nobody else makes or changes one ---------------------------------------------
SELECT protect('disclosure_log', 'hipaa_documentation', 'patient_id', 'recorded_at');
CREATE TABLE public.clinic_log (patient_id bigint NOT NULL, written_on date NOT NULL);
-- not patsvc's table
SELECT _protect_ready_made('public.clinic_log', 'hipaa_documentation', 'patient_id', 'written_on');
-- patsvc's table, but a policy of the clinic's
SELECT create_policy('rr_clinic_notes', 'clinic notes', '1 year', 'column', 'governance', 'clinic policy (test)');
SELECT _protect_ready_made('patsvc.record_requests', 'rr_clinic_notes', 'patient_id', 'received_on');
-- a ready-made row written by hand: refused (it would be neither logged nor dumped)
INSERT INTO protected_tables (relid, policy_name, patient_column, anchor_column, ready_made)
VALUES ('public.clinic_log', 'hipaa_documentation', 'patient_id', 'written_on', true);
SELECT count(*) AS clinic_log_protected FROM protected_tables WHERE relid = 'public.clinic_log'::regclass;

-- ---- entries of every age ---------------------------------------------------------
INSERT INTO patients (id, name) VALUES (741, 'Ada Old'), (742, 'Ben Young');
-- written as they were: the superuser backdates recorded_at / accessed_at
INSERT INTO disclosure_log (patient_id, disclosed_on, recipient_name, description, purpose, disclosed_by, recorded_at)
VALUES (741, current_date - interval '7 years', 'County Court', 'visit notes', 'subpoena (copy on file)', 'Nurse Kim',
        now() - interval '7 years'),
       (741, current_date - interval '6 years 1 day', 'State Registry', 'immunizations', 'public health', 'Nurse Kim',
        now() - interval '6 years 1 day'),
       (742, current_date - interval '6 years' + interval '1 day', 'State Registry', 'immunizations', 'public health', 'Nurse Kim',
        now() - interval '6 years' + interval '1 day'),
       (742, current_date - interval '1 year', 'Insurer', 'claim', 'payment', 'Clerk Rosa', now() - interval '1 year');
-- a late entry: disclosed 7 years ago, recorded today; its 6 years count from today
SELECT record_disclosure(742, 'Auditor', 'billing records', 'health oversight audit', (current_date - interval '7 years')::date) > 0
       AS late_entry;
INSERT INTO access_log (patient_id, accessed_at, session_role, purpose)
VALUES (741, now() - interval '8 years', 'front_desk', 'check-in'),
       (742, now() - interval '6 years' + interval '1 day', 'front_desk', 'check-in'),
       (742, now() - interval '2 years', 'doctor', 'treatment');
SELECT log_access(742, 'treatment');

-- ---- still append-only, old entries included --------------------------------------
DELETE FROM disclosure_log WHERE patient_id = 741;
UPDATE disclosure_log SET purpose = 'x' WHERE patient_id = 741;
TRUNCATE access_log;
SET ROLE patsvc_privacy_officer;
DELETE FROM access_log WHERE accessed_at < now() - interval '6 years';
RESET ROLE;

-- ---- the patient's other records go, the logs stay --------------------------------
CREATE TABLE public.visit_notes (id serial PRIMARY KEY, patient_id bigint NOT NULL, written_on date NOT NULL, note text);
SELECT protect('public.visit_notes', 'rr_clinic_notes', 'patient_id', 'written_on');
INSERT INTO visit_notes (patient_id, written_on, note)
VALUES (742, current_date - 800, 'sprained ankle'), (742, current_date - 500, 'follow-up');
SELECT destroy_due('public.visit_notes', authorized_by => 'Privacy Officer', method => 'deleted') IS NOT NULL AS notes_certified;
SELECT count(*) AS notes_left FROM visit_notes WHERE patient_id = 742;
-- the patient's erasure request does not take the logs: compliance, no early destruction
SELECT destroy_early('patsvc.disclosure_log', '742', 'patient asked for erasure', 'Privacy Officer', 'deleted');
SELECT count(*) AS disclosures_of_742 FROM disclosure_log WHERE patient_id = 742;

-- ---- a hold keeps even entries past their 6 years ---------------------------------
SELECT place_hold('RR-2026-1', 'complaint under investigation', '741', 'patsvc.access_log') AS hold \gset

-- ---- past 6 years: destroy_due, by the privacy officer, with a certificate --------
SELECT count(*) AS disclosures_due FROM retention_due('patsvc.disclosure_log', current_date);
SET ROLE patsvc_privacy_officer;
SELECT destroy_due('patsvc.disclosure_log', authorized_by => 'Privacy Officer', method => 'deleted, vacuumed') AS cert \gset
SELECT destroy_due('patsvc.access_log', authorized_by => 'Privacy Officer', method => 'deleted, vacuumed') IS NULL
       AS access_nothing_due;
RESET ROLE;
SELECT table_name, record_class, policy_name, policy_mode, record_count, authorized_by
  FROM destruction_certificates WHERE certificate_id = :cert;
SELECT patient_id, recipient_name, disclosed_on < current_date - interval '6 years' AS disclosed_over_6_years_ago
  FROM disclosure_log ORDER BY id;
SELECT event, table_name FROM retention_events WHERE event NOT LIKE 'policy%' ORDER BY event_id;
-- released, the held entry goes too
SELECT release_hold(:hold, 'investigation closed');
SET ROLE patsvc_privacy_officer;
SELECT destroy_due('patsvc.access_log', authorized_by => 'Privacy Officer', method => 'deleted') IS NOT NULL AS access_certified;
RESET ROLE;
SELECT patient_id, purpose FROM access_log ORDER BY id;
SELECT bool_and(ok) AS chain_ok, count(*) AS certificates FROM verify_certificates();

\c :regress_db
DROP DATABASE regress_records_retention;
