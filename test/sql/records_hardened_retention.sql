-- Hardened mode (shared_preload_libraries = patsvc) covers the logs' ready-made
-- protections as it covers the tables a clinic protects: the superuser's
-- bypasses of the disclosure and access logs' retention are refused by the
-- hooks (PS305), whatever the guard triggers would have said.
SET search_path = public, patsvc;
\set VERBOSITY default
\set SHOW_CONTEXT never
SELECT enforcement_level();
INSERT INTO patients (id, name) VALUES (751, 'Cleo Hardened');
SELECT log_access(751, 'treatment');
SELECT record_disclosure(751, 'County Court', 'visit notes', 'subpoena (copy on file)') > 0 AS recorded;
-- the triggers stay in place and enabled
ALTER TABLE patsvc.disclosure_log DISABLE TRIGGER patsvc_retention_guard;
ALTER TABLE patsvc.disclosure_log DISABLE TRIGGER disclosure_log_guard;
ALTER TABLE patsvc.access_log DISABLE TRIGGER ALL;
DROP TRIGGER patsvc_retention_guard ON patsvc.access_log;
-- replica mode (which skips triggers) changes nothing in them
SET session_replication_role = replica;
DELETE FROM patsvc.access_log WHERE patient_id = 751;
UPDATE patsvc.disclosure_log SET purpose = 'rewritten' WHERE patient_id = 751;
RESET session_replication_role;
-- nor do TRUNCATE and DROP
TRUNCATE patsvc.disclosure_log;
DROP TABLE patsvc.access_log;
SELECT (SELECT count(*) FROM patsvc.access_log WHERE patient_id = 751) AS accesses,
       (SELECT count(*) FROM patsvc.disclosure_log WHERE patient_id = 751) AS disclosures;
DELETE FROM patients WHERE id = 751;
