-- The disclosure log and the access log (records): recording, the accounting
-- (exclusions left out, the since date, merged patients included), the
-- application user, who may read and write what, append-only for every role,
-- the logs kept when the patients' rows go.
-- In a database of its own: requests place retention holds and merges write the
-- merge audit, both append-only, which the later files of the shared database
-- (registry, retention) must not see.
SELECT current_database() AS regress_db \gset
SET client_min_messages = warning;
DROP DATABASE IF EXISTS regress_records_logs;
RESET client_min_messages;
CREATE DATABASE regress_records_logs;
\c regress_records_logs
SET client_min_messages = warning;
CREATE EXTENSION patsvc CASCADE;
RESET client_min_messages;
SET search_path = public, patsvc;
\set VERBOSITY default
\set SHOW_CONTEXT never
SET TimeZone = 'UTC';
SET DateStyle = ISO, YMD;

INSERT INTO patients (id, name) VALUES (731, 'Gus Log'), (732, 'Hal Dup'), (733, 'Ivy Other');
SELECT coalesce(max(id), 0) AS d0 FROM disclosure_log \gset
SELECT coalesce(max(id), 0) AS l0 FROM access_log \gset

-- ---- disclosures ----------------------------------------------------------------------
SELECT record_disclosure(731, 'Massachusetts DPH', 'immunization history', 'public health reporting (164.512(b))',
                         '2021-03-15', '250 Washington St, Boston MA', disclosed_by => 'Nurse Kim') > 0 AS recorded;
SELECT record_disclosure(731, 'Blue Cross', 'claim for the visit of 2022-01-10', 'payment', '2022-01-12',
                         excluded_as => 'payment') > 0 AS recorded;
SELECT record_disclosure(731, 'Dr Ortho', 'referral letter and x-ray', 'treatment', '2022-02-01',
                         excluded_as => 'treatment') > 0 AS recorded;
SELECT record_disclosure(731, 'Gus Log', 'copy of his chart', 'the patient''s own request', '2022-03-01',
                         excluded_as => 'individual') > 0 AS recorded;
SELECT record_disclosure(731, 'Suffolk County Court', 'visit notes of 2019', 'subpoena 2019-CV-1182 (copy on file)',
                         '2019-06-30') > 0 AS recorded;
-- the application user is the default discloser
SELECT set_app_user('clerk.rosa');
SELECT record_disclosure(732, 'State Auditor', 'billing records of 2023', 'health oversight audit (164.512(d))',
                         '2023-05-05') > 0 AS recorded;
RESET patsvc.app_user;
-- the accounting: exclusions left out, oldest first; since limits it
SELECT disclosed_on, recipient_name, recipient_address, description, purpose, disclosed_by
  FROM disclosures(731, '2015-01-01');
SELECT disclosed_on, recipient_name FROM disclosures(731, '2020-01-01');
SELECT count(*) AS in_accounting_default_six_years FROM disclosures(731);
SELECT disclosed_by FROM disclosure_log WHERE patient_id = 732;
-- refusals
SELECT record_disclosure(739, 'X', 'y', 'z', '2022-01-01');
SELECT record_disclosure(731, ' ', 'y', 'z', '2022-01-01');
SELECT record_disclosure(731, 'X', NULL, 'z', '2022-01-01');
SELECT record_disclosure(731, 'X', 'y', '', '2022-01-01');
SELECT record_disclosure(731, 'X', 'y', 'z', '2999-01-01');
SELECT record_disclosure(731, 'X', 'y', 'z', '2022-01-01', excluded_as => 'marketing');

-- ---- the access log -------------------------------------------------------------------
SELECT log_access(731, 'check-in');
SELECT set_app_user('dr.adams') AS app_user;
SELECT current_setting('patsvc.app_user') AS setting;
SELECT log_access(731, 'treatment', 'visit note 2024-05-02');
SELECT log_access(733, 'billing');
SELECT set_app_user('front.desk.2');
SELECT log_access(732, 'treatment');
-- refusals: unknown patient, no purpose, bad application user
SELECT log_access(739, 'treatment');
SELECT log_access(NULL, 'treatment');
SELECT log_access(731, '');
SELECT log_access(731, '  ');
SELECT log_access(731, NULL);
SELECT set_app_user('   ');
SELECT set_app_user(NULL);
SELECT set_app_user(repeat('x', 201));
SELECT set_app_user(E'dr.adams\nforged line');
SELECT current_setting('patsvc.app_user') AS unchanged;
RESET patsvc.app_user;
SELECT session_role = session_user AS session_user_recorded, app_user, purpose, detail
  FROM access_history(731, '-infinity') ORDER BY accessed_at, app_user NULLS FIRST;
-- accessed_at is the transaction's time: the history from now on is empty
SELECT count(*) AS since_tomorrow FROM access_history(731, now() + interval '1 day');

-- ---- a merge: the logs keep the original id; the survivor's history and accounting include the duplicate's
SELECT merge_patients(731, 732, 'same person') IS NOT NULL AS merged;
SELECT patient_id, recipient_name FROM disclosures(731, '2015-01-01') ORDER BY disclosed_on;
SELECT patient_id, purpose, app_user FROM access_history(731, '-infinity') ORDER BY patient_id, app_user NULLS FIRST;
SELECT count(*) AS duplicate_alone FROM disclosures(732, '2015-01-01');
-- no new entry names the merged duplicate
SELECT record_disclosure(732, 'X', 'y', 'z', '2022-01-01');

-- ---- append-only, for every role (the owner included) ---------------------------------
UPDATE disclosure_log SET recipient_name = 'someone else' WHERE id > :d0;
DELETE FROM disclosure_log WHERE id > :d0;
TRUNCATE disclosure_log;
UPDATE access_log SET purpose = 'nothing to see' WHERE id > :l0;
DELETE FROM access_log WHERE id > :l0;
TRUNCATE access_log;

-- ---- privileges -------------------------------------------------------------------------
-- the front desk logs its accesses but reads neither log nor the history
SET ROLE patsvc_front_desk;
SELECT set_app_user('front.desk.3');
SELECT log_access(733, 'check-in');
SELECT count(*) FROM access_log;
SELECT count(*) FROM access_history(733);
SELECT count(*) FROM disclosures(733);
SELECT record_disclosure(733, 'X', 'y', 'z', '2022-01-01');
INSERT INTO access_log (patient_id, session_role, purpose) VALUES (733, 'someone', 'forged');
RESET ROLE;
RESET patsvc.app_user;
-- records staff record disclosures and read the accounting, not the access log
SET ROLE patsvc_records;
SELECT record_disclosure(733, 'Workers'' comp carrier', 'injury visit notes', 'workers'' compensation (164.512(l))',
                         '2024-02-02') > 0 AS recorded;
SELECT recipient_name, disclosed_by = session_user AS by_session_user FROM disclosures(733, '2015-01-01');
SELECT count(*) FROM access_history(733);
UPDATE disclosure_log SET purpose = 'x' WHERE patient_id = 733;
RESET ROLE;
-- the privacy officer reads both logs and the history
SET ROLE patsvc_privacy_officer;
SELECT purpose, app_user FROM access_history(733, '-infinity') ORDER BY app_user NULLS FIRST;
SELECT count(*) > 0 AS reads_disclosure_log FROM disclosure_log;
SELECT log_access(733, 'privacy review');
DELETE FROM access_log WHERE patient_id = 733;
RESET ROLE;
-- PUBLIC: nothing
CREATE ROLE records_test_nobody;
SET ROLE records_test_nobody;
SELECT log_access(733, 'curious');
SELECT count(*) FROM disclosures(733);
SELECT count(*) FROM patsvc.access_log;
RESET ROLE;
DROP ROLE records_test_nobody;

-- ---- the logs outlive the patients' rows --------------------------------------------
SET client_min_messages = warning;
TRUNCATE record_requests, patients CASCADE;
RESET client_min_messages;
SELECT count(*) AS disclosures_kept FROM disclosure_log WHERE id > :d0;
SELECT count(*) AS accesses_kept FROM access_log WHERE id > :l0;

\c :regress_db
DROP DATABASE regress_records_logs;
