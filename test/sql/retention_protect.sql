-- Protecting a table, holds, destruction and certificates (basic mode: no preload).
SET search_path = public, patsvc;
\set VERBOSITY default
\set SHOW_CONTEXT never
SET datestyle = ISO, YMD;
SET intervalstyle = postgres;
SELECT enforcement_level();

CREATE ROLE regress_ret_owner;
CREATE ROLE regress_ret_officer;
CREATE ROLE regress_ret_governor;
CREATE SCHEMA ret_s AUTHORIZATION regress_ret_owner;
GRANT USAGE ON SCHEMA ret_s TO regress_ret_officer, regress_ret_governor;
GRANT EXECUTE ON FUNCTION destroy_due(regclass, date, text, text, text, integer, boolean),
                          place_hold(text, text, text, regclass), release_hold(bigint, text)
  TO regress_ret_officer;
GRANT EXECUTE ON FUNCTION destroy_early(regclass, text, text, text, text, text) TO regress_ret_governor;

SET ROLE regress_ret_owner;
CREATE TABLE ret_s.visits (id int PRIMARY KEY, mrn text NOT NULL, seen date NOT NULL, note text);
CREATE TABLE ret_s.letters (id int PRIMARY KEY, mrn text NOT NULL, written date NOT NULL, body text);
RESET ROLE;

-- protect: checks, then for good
SELECT protect('ret_s.visits', 'no_such_policy', 'mrn', 'seen');
SELECT protect('ret_s.visits', 'tx_physician', 'no_such_column', 'seen');
SELECT protect('ret_s.visits', 'tx_physician', 'mrn', 'note');
SELECT protect('ret_s.letters', 'hipaa_documentation', 'mrn');
CREATE TEMP TABLE ret_tmp (id int, mrn text, d date);
SELECT protect('ret_tmp', 'tx_physician', 'mrn', 'd');
SELECT protect('ret_s.visits', 'tx_physician', 'mrn', 'seen');
SELECT protect('ret_s.visits', 'fl_physician', 'mrn', 'seen');
SELECT create_policy('ret_gov_letters', 'correspondence', '3 years', 'column', 'governance', 'clinic policy (test)');
SELECT protect('ret_s.letters', 'ret_gov_letters', 'mrn', 'written');
SELECT relid::regclass, policy_name, patient_column, anchor_column FROM protected_tables
WHERE relid IN ('ret_s.visits'::regclass, 'ret_s.letters'::regclass) ORDER BY 1;
SELECT tgname, tgenabled FROM pg_trigger WHERE tgrelid = 'ret_s.visits'::regclass ORDER BY 1;

-- patients: an adult seen long ago, a child, an adult seen recently, a dead patient, one with no facts
INSERT INTO retention_patient_facts (patient_id, birth_date, death_date, last_encounter) VALUES
  ('MRN-ADULT-0001', '1960-02-29', NULL, '2012-04-02'),
  ('MRN-CHILD-0002', '2012-07-01', NULL, '2014-09-09'),
  ('MRN-RECENT-0003', '1975-05-05', NULL, '2024-01-15'),
  ('MRN-HELD-0004', '1950-01-01', '2010-01-01', '2009-12-01');
INSERT INTO ret_s.visits VALUES
  (1, 'MRN-ADULT-0001', '2011-03-01', 'NOTE-SECRET-hypertension'),
  (2, 'MRN-ADULT-0001', '2012-04-02', 'NOTE-SECRET-followup'),
  (3, 'MRN-CHILD-0002', '2014-09-09', 'NOTE-SECRET-otitis'),
  (4, 'MRN-RECENT-0003', '2024-01-15', 'NOTE-SECRET-checkup'),
  (5, 'MRN-HELD-0004', '2009-12-01', 'NOTE-SECRET-cardiology'),
  (6, 'MRN-UNKNOWN-0005', '2005-01-01', 'NOTE-SECRET-orphan');
INSERT INTO ret_s.letters VALUES
  (1, 'MRN-ADULT-0001', '2015-01-10', 'LETTER-SECRET-referral'),
  (2, 'MRN-RECENT-0003', '2025-06-01', 'LETTER-SECRET-results');
GRANT SELECT ON ret_s.visits, ret_s.letters TO regress_ret_officer;
-- destroy_due and destroy_early stand in for DELETE: whoever destroys holds it (the guard refuses plain DELETEs)
GRANT DELETE ON ret_s.visits, ret_s.letters TO regress_ret_officer, regress_ret_governor;

SELECT v.id, s.patient_id, s.anchor_date, s.retain_until, s.held
FROM retention_status('ret_s.visits') s JOIN ret_s.visits v ON v.ctid = s.row_ctid ORDER BY v.id;
SELECT retained_until('ret_s.visits', 'MRN-CHILD-0002') AS child_until_21,
       retained_until('ret_s.visits', 'MRN-RECENT-0003', '2024-01-15') AS recent;

-- DELETE: refused, with the date the record becomes eligible (or why not)
DELETE FROM ret_s.visits WHERE id = 4;
DELETE FROM ret_s.visits WHERE id = 3;
DELETE FROM ret_s.visits WHERE id = 6;
DELETE FROM ret_s.visits WHERE id = 1;
DO $$ BEGIN DELETE FROM ret_s.visits WHERE id = 4;
EXCEPTION WHEN SQLSTATE 'PS301' THEN RAISE NOTICE 'young record: SQLSTATE %', SQLSTATE; END $$;
-- UPDATE: other columns freely; anchor or patient only if retention does not shrink
UPDATE ret_s.visits SET note = 'NOTE-SECRET-checkup-amended' WHERE id = 4;
UPDATE ret_s.letters SET written = '2025-01-01' WHERE id = 2;
UPDATE ret_s.letters SET written = '2025-07-01' WHERE id = 2;
UPDATE ret_s.visits SET mrn = 'MRN-ADULT-0001' WHERE id = 4;
UPDATE ret_s.visits SET mrn = 'MRN-UNKNOWN-0009' WHERE id = 1;
UPDATE ret_s.visits SET mrn = 'MRN-ADULT-0001' WHERE id = 6;

-- holds: by patient (every protected table), by table; case reference and reason required
SET ROLE regress_ret_owner;
SELECT place_hold('CASE-9', 'owner without the grant', patient_id => 'MRN-HELD-0004');
RESET ROLE;
SET ROLE regress_ret_officer;
SELECT place_hold('', 'no case', patient_id => 'MRN-HELD-0004');
SELECT place_hold('CASE-1', 'litigation');
SELECT place_hold('CASE-1', 'litigation', tbl => 'pg_class');
SELECT place_hold('CASE-2024-17', 'malpractice claim', patient_id => 'MRN-HELD-0004') AS patient_hold \gset
SELECT place_hold('AUDIT-7', 'payer audit of letters', tbl => 'ret_s.letters') AS table_hold \gset
RESET ROLE;
DELETE FROM ret_s.visits WHERE id = 5;
UPDATE ret_s.visits SET mrn = 'MRN-ADULT-0001' WHERE id = 5;
DELETE FROM retention_holds;
UPDATE retention_holds SET reason = 'edited';
TRUNCATE retention_holds;
SELECT patient_id, relid::regclass, case_reference, reason, released_at IS NULL AS active
FROM retention_holds WHERE hold_id >= :patient_hold ORDER BY hold_id;

-- due as of today: eligible and not held
SELECT v.id, d.retain_until FROM retention_due('ret_s.visits') d JOIN ret_s.visits v ON v.ctid = d.row_ctid ORDER BY v.id;
SELECT count(*) AS letters_due FROM retention_due('ret_s.letters');

-- the implementation called directly (without the destroying flag): its DELETE is refused
SELECT _destroy('ret_s.visits', authorized_by => 'X', method => 'Y');
-- so are the pieces of a destruction: they refuse to run outside destroy_due()
SELECT _destroying_anchor(DATE '2001-01-01');
SELECT * FROM _destroy_ranges('ret_s.visits'::regclass, 'DELETE FROM ret_s.visits', 'ret_s.visits'::regclass,
                              DATE '2030-01-01', 10, 1);
SELECT * FROM _store_tokens(3);
SELECT * FROM _token_chunks();
SELECT count(*) AS visits_kept FROM ret_s.visits;
-- destroy_due: privileged, checked, dry run first
SET ROLE regress_ret_owner;
SELECT destroy_due('ret_s.visits', authorized_by => 'owner', method => 'deleted');
RESET ROLE;
SET ROLE regress_ret_officer;
SELECT destroy_due('ret_s.visits', authorized_by => '', method => 'deleted');
DO $$ BEGIN PERFORM patsvc.destroy_due('ret_s.visits', as_of => current_date + 1, authorized_by => 'A. Officer', method => 'deleted');
EXCEPTION WHEN invalid_parameter_value THEN RAISE NOTICE 'as_of in the future: SQLSTATE %', SQLSTATE; END $$;
SELECT destroy_due('ret_s.visits', authorized_by => 'A. Officer', method => 'deleted', dry_run => true);
SELECT count(*) AS still_there FROM ret_s.visits;
SELECT destroy_due('ret_s.visits', authorized_by => 'A. Officer', method => 'SQL DELETE, then VACUUM',
                   witness => 'B. Witness', batch_size => 1) AS cert \gset
SELECT destroy_due('ret_s.visits', authorized_by => 'A. Officer', method => 'SQL DELETE, then VACUUM');
SELECT id, mrn FROM ret_s.visits ORDER BY id;
RESET ROLE;
-- the hold ends: the held record is destroyed by the next run
SELECT release_hold(:patient_hold, '');
SELECT release_hold(:patient_hold, 'claim settled');
SELECT release_hold(:patient_hold, 'again');
SET ROLE regress_ret_officer;
SELECT destroy_due('ret_s.visits', authorized_by => 'A. Officer', method => 'SQL DELETE, then VACUUM') AS cert2 \gset
SELECT id, mrn FROM ret_s.visits ORDER BY id;
RESET ROLE;
SELECT event, hold_id IS NOT NULL AS has_hold, detail FROM retention_events
WHERE event LIKE 'hold%' AND hold_id >= :patient_hold ORDER BY event_id;

-- the certificates: counts, coarse years, tokens; chained; nothing from the destroyed rows
SELECT certificate_id = :cert AS first, table_name, record_class, policy_name, policy_mode, record_count,
       records_from_year, records_to_year, method, authorized_by, witness, statement,
       cardinality(certificate_tokens(token_set)) AS tokens, length(certificate_hash) AS hash_len
FROM destruction_certificates WHERE certificate_id IN (:cert, :cert2) ORDER BY certificate_id;
SELECT (SELECT previous_hash FROM destruction_certificates WHERE certificate_id = :cert2)
     = (SELECT certificate_hash FROM destruction_certificates WHERE certificate_id = :cert) AS chained;
-- the stored sha256 is that of the tokens, in order; token_set_digest reads it chunk by chunk
SELECT certificate_id = :cert AS first, tokens_digest(certificate_tokens(token_set)) = tokens_sha256 AS digest_ok,
       (token_set_digest(token_set)).tokens = record_count AS count_ok,
       (token_set_digest(token_set)).tokens_sha256 = tokens_sha256 AS chunked_digest_ok
FROM destruction_certificates WHERE certificate_id IN (:cert, :cert2) ORDER BY certificate_id;
SELECT (SELECT count(*) FROM destruction_certificates WHERE table_name LIKE 'ret\_s.%') AS certificates,
       (SELECT bool_and(ok) FROM verify_certificates()) AS chain_ok;
-- every value of every destroyed row, searched for in the whole certificate text
SELECT v AS leaked FROM (VALUES ('MRN-ADULT-0001'), ('MRN-HELD-0004'), ('MRN-CHILD-0002'),
         ('NOTE-SECRET-hypertension'), ('NOTE-SECRET-followup'), ('NOTE-SECRET-cardiology'),
         ('2011-03-01'), ('2012-04-02'), ('2009-12-01'), ('1960-02-29'), ('1950-01-01'), ('2010-01-01')) AS d(v)
WHERE EXISTS (SELECT 1 FROM destruction_certificates c WHERE c::text LIKE '%' || d.v || '%')
   OR EXISTS (SELECT 1 FROM destruction_tokens k WHERE k::text LIKE '%' || d.v || '%');
-- certificates are append-only
UPDATE destruction_certificates SET method = 'shredded' WHERE certificate_id = :cert;
DELETE FROM destruction_certificates WHERE certificate_id = :cert;
TRUNCATE destruction_certificates;
-- tampering below the triggers (a superuser disabling the DDL guard, then them) is detected by the chain
BEGIN;
ALTER EVENT TRIGGER patsvc_guard_ddl DISABLE;
ALTER TABLE destruction_certificates DISABLE TRIGGER patsvc_append_only;
UPDATE destruction_certificates SET record_count = record_count + 1 WHERE certificate_id = :cert;
SELECT certificate_id = :cert AS tampered, ok, problem FROM verify_certificates() WHERE NOT ok;
ROLLBACK;
BEGIN;
ALTER EVENT TRIGGER patsvc_guard_ddl DISABLE;
ALTER TABLE destruction_certificates DISABLE TRIGGER patsvc_append_only;
DELETE FROM destruction_certificates WHERE certificate_id = :cert;
SELECT certificate_id = :cert2 AS next_one, ok, problem FROM verify_certificates() WHERE NOT ok;
ROLLBACK;
-- the tokens are append-only too, and tampering with them below the triggers is detected
UPDATE destruction_tokens SET record_tokens = record_tokens[2:];
BEGIN;
ALTER EVENT TRIGGER patsvc_guard_ddl DISABLE;
ALTER TABLE destruction_tokens DISABLE TRIGGER patsvc_append_only;
UPDATE destruction_tokens k SET record_tokens = ARRAY[gen_random_uuid()]
 WHERE k.token_set = (SELECT c.token_set FROM destruction_certificates c WHERE c.certificate_id = :cert);
SELECT certificate_id = :cert AS tampered, ok, problem FROM verify_certificates() WHERE NOT ok;
ROLLBACK;


-- governance: early destruction only through destroy_early, granted separately, with a reason
SELECT count(*) AS letters FROM ret_s.letters;
SET ROLE regress_ret_officer;
SELECT destroy_early('ret_s.letters', 'MRN-ADULT-0001', 'patient request', 'A. Officer', 'deleted');
RESET ROLE;
SET ROLE regress_ret_governor;
SELECT destroy_early('ret_s.letters', 'MRN-ADULT-0001', '', 'C. Governor', 'deleted');
-- the table hold on letters still stands: nothing goes
SELECT destroy_early('ret_s.letters', 'MRN-ADULT-0001', 'court order 2026-118 to erase', 'C. Governor', 'deleted');
RESET ROLE;
SELECT release_hold(:table_hold, 'audit closed');
SET ROLE regress_ret_governor;
SELECT destroy_early('ret_s.letters', 'MRN-ADULT-0001', 'court order 2026-118 to erase', 'C. Governor', 'deleted') AS early \gset
-- compliance: never early, whoever asks
SELECT destroy_early('ret_s.visits', 'MRN-RECENT-0003', 'patient request', 'C. Governor', 'deleted');
RESET ROLE;
SELECT destroy_early('ret_s.visits', 'MRN-RECENT-0003', 'superuser asks', 'root', 'deleted');
SELECT id, mrn FROM ret_s.letters ORDER BY id;
SELECT policy_mode, record_count, statement, early_reason FROM destruction_certificates WHERE certificate_id = :early;
SELECT event, detail = format('certificate %s: court order 2026-118 to erase', :early) AS names_certificate
FROM retention_events WHERE event = 'early destruction';
SELECT (SELECT count(*) FROM destruction_certificates WHERE table_name LIKE 'ret\_s.%') AS certificates,
       (SELECT bool_and(ok) FROM verify_certificates()) AS chain_ok;

-- destroy_due refuses a table with another DELETE trigger (it would run with the destroying flag set)
SET ROLE regress_ret_owner;
CREATE TABLE ret_s.audited (id int PRIMARY KEY, mrn text NOT NULL, written date NOT NULL);
CREATE FUNCTION ret_s.copy_out() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN OLD; END$$;
CREATE TRIGGER copy_out AFTER DELETE ON ret_s.audited FOR EACH ROW EXECUTE FUNCTION ret_s.copy_out();
RESET ROLE;
SELECT protect('ret_s.audited', 'ret_gov_letters', 'mrn', 'written');
INSERT INTO ret_s.audited VALUES (1, 'MRN-AUD-1', '2001-01-01');
SELECT destroy_due('ret_s.audited', authorized_by => 'A. Officer', method => 'deleted');
SELECT count(*) AS kept FROM ret_s.audited;

-- a foreign key referencing a protected table: its AFTER DELETE trigger is not patsvc's, so
-- destroy_due's own DELETEs keep the whole trigger list; a referenced row stops the run
SET ROLE regress_ret_owner;
CREATE TABLE ret_s.orders (id int PRIMARY KEY, mrn text NOT NULL, written date NOT NULL);
CREATE TABLE ret_s.order_items (id int PRIMARY KEY, order_id int REFERENCES ret_s.orders);
RESET ROLE;
SELECT protect('ret_s.orders', 'ret_gov_letters', 'mrn', 'written');
INSERT INTO ret_s.orders VALUES (1, 'MRN-ORD-1', '2001-01-01'), (2, 'MRN-ORD-2', '2001-06-01');
INSERT INTO ret_s.order_items VALUES (1, 2);
SELECT destroy_due('ret_s.orders', authorized_by => 'A. Officer', method => 'deleted');
SELECT count(*) AS kept FROM ret_s.orders;
DELETE FROM ret_s.order_items;
SELECT destroy_due('ret_s.orders', authorized_by => 'A. Officer', method => 'deleted') IS NOT NULL AS certified;
SELECT count(*) AS left_over FROM ret_s.orders;
-- after a destruction, in the same session, a plain DELETE is refused as before
INSERT INTO ret_s.orders VALUES (3, 'MRN-ORD-3', '2001-01-01');
DELETE FROM ret_s.orders WHERE id = 3;
INSERT INTO ret_s.audited VALUES (2, 'MRN-AUD-2', '2001-01-01');
DELETE FROM ret_s.audited WHERE id = 2;
SELECT (SELECT count(*) FROM ret_s.orders) AS orders, (SELECT count(*) FROM ret_s.audited) AS audited;

-- the fast form keeps held records: a patient hold, then a hold on the whole table
SET ROLE regress_ret_owner;
CREATE TABLE ret_s.memos (id int PRIMARY KEY, mrn text NOT NULL, written date NOT NULL);
RESET ROLE;
SELECT protect('ret_s.memos', 'ret_gov_letters', 'mrn', 'written');
INSERT INTO ret_s.memos VALUES (1, 'MRN-MEMO-1', '2001-01-01'), (2, 'MRN-MEMO-2', '2001-01-01'),
  (3, 'MRN-MEMO-2', '2002-01-01'), (4, 'MRN-MEMO-3', '2003-01-01');
SELECT place_hold('CASE-MEMO', 'subpoena', patient_id => 'MRN-MEMO-2') AS memo_hold \gset
SELECT destroy_due('ret_s.memos', authorized_by => 'A. Officer', method => 'deleted') AS memo_cert \gset
SELECT id, mrn FROM ret_s.memos ORDER BY id;
SELECT record_count, records_from_year, records_to_year FROM destruction_certificates WHERE certificate_id = :memo_cert;
SELECT place_hold('AUDIT-MEMO', 'audit of memos', tbl => 'ret_s.memos') AS memo_table_hold \gset
SELECT release_hold(:memo_hold, 'subpoena answered');
SELECT destroy_due('ret_s.memos', authorized_by => 'A. Officer', method => 'deleted');
SELECT count(*) AS memos_kept FROM ret_s.memos;
SELECT release_hold(:memo_table_hold, 'audit closed');
SELECT destroy_due('ret_s.memos', authorized_by => 'A. Officer', method => 'deleted') AS memo_cert2 \gset
SELECT count(*) AS memos_left FROM ret_s.memos;
SELECT record_count, records_from_year, records_to_year FROM destruction_certificates WHERE certificate_id = :memo_cert2;

-- anchors through a protected table: majority (birth + 18) and death
SELECT create_policy('ret_majority', 'pediatric records', '3 years', 'majority', 'compliance', 'test rule', majority_age => 18);
SELECT create_policy('ret_death', 'estate records', '2 years', 'death', 'compliance', 'test rule');
CREATE TABLE ret_s.peds (id int PRIMARY KEY, mrn text NOT NULL);
CREATE TABLE ret_s.estate (id int PRIMARY KEY, mrn text NOT NULL);
SELECT protect('ret_s.peds', 'ret_majority', 'mrn');
SELECT protect('ret_s.estate', 'ret_death', 'mrn');
INSERT INTO retention_patient_facts VALUES ('MRN-KID-1', '2000-05-05', NULL, '2010-01-01'),
  ('MRN-KID-2', '2010-05-05', NULL, '2012-01-01'), ('MRN-LATE-1', '1930-01-01', '2019-06-30', '2019-06-01'),
  ('MRN-LIVE-1', '1940-01-01', NULL, '2020-01-01');
INSERT INTO ret_s.peds VALUES (1, 'MRN-KID-1'), (2, 'MRN-KID-2');
INSERT INTO ret_s.estate VALUES (1, 'MRN-LATE-1'), (2, 'MRN-LIVE-1');
SELECT 'peds' AS t, patient_id, retain_until FROM retention_status('ret_s.peds')
UNION ALL SELECT 'estate', patient_id, retain_until FROM retention_status('ret_s.estate') ORDER BY 1, 2;
SELECT destroy_due('ret_s.peds', authorized_by => 'A. Officer', method => 'deleted') IS NOT NULL AS peds_certified,
       destroy_due('ret_s.estate', authorized_by => 'A. Officer', method => 'deleted') IS NOT NULL AS estate_certified;
SELECT 'peds' AS t, mrn FROM ret_s.peds UNION ALL SELECT 'estate', mrn FROM ret_s.estate ORDER BY 1, 2;
-- the death anchor moves only later: recording a death starts the clock
UPDATE retention_patient_facts SET death_date = '2020-02-01' WHERE patient_id = 'MRN-LIVE-1';
SELECT patient_id, retain_until FROM retention_status('ret_s.estate');
SELECT (SELECT count(*) FROM destruction_certificates WHERE table_name LIKE 'ret\_s.%') AS certificates,
       (SELECT bool_and(ok) FROM verify_certificates()) AS chain_ok;

-- archive before destroy: the same statement copies the rows out, the certificate has their sha256
CREATE TABLE ret_s.labs (id int PRIMARY KEY, mrn text NOT NULL, drawn date NOT NULL, result text);
CREATE TABLE ret_s.labs_archive (LIKE ret_s.labs INCLUDING ALL);
CREATE TABLE ret_s.bad_archive (id int, mrn text);
SELECT set_archive('ret_s.labs', 'ret_s.labs_archive');
SELECT create_policy('ret_labs', 'laboratory results', '20 years', 'column', 'governance', 'test rule');
SELECT protect('ret_s.labs', 'ret_labs', 'mrn', 'drawn');
SELECT set_archive('ret_s.labs', 'ret_s.bad_archive');
SELECT set_archive('ret_s.labs', 'ret_s.labs_archive');
SELECT set_archive('ret_s.labs', 'ret_s.labs_archive');
INSERT INTO ret_s.labs VALUES (1, 'MRN-LAB-1', '2001-02-03', 'LAB-SECRET-1'),
  (2, 'MRN-LAB-2', '2002-03-04', 'LAB-SECRET-2'), (3, 'MRN-LAB-3', '2025-01-01', 'LAB-SECRET-3');
-- the archive refuses a row (id 2 is already there): nothing is destroyed
INSERT INTO ret_s.labs_archive VALUES (2, 'MRN-LAB-2', '2002-03-04', 'LAB-SECRET-2');
SELECT destroy_due('ret_s.labs', authorized_by => 'A. Officer', method => 'archived, then deleted');
SELECT id FROM ret_s.labs ORDER BY id;
DELETE FROM ret_s.labs_archive;
SELECT destroy_due('ret_s.labs', authorized_by => 'A. Officer', method => 'archived, then deleted') AS lab_cert \gset
SELECT id FROM ret_s.labs ORDER BY id;
SELECT id, mrn, result FROM ret_s.labs_archive ORDER BY id;
SELECT archive_table, record_count,
       archive_sha256 = encode(sha256(convert_to(
         (SELECT encode(sha256(convert_to(string_agg(a::text, E'\n' ORDER BY a::text), 'UTF8')), 'hex')
            FROM ret_s.labs_archive a), 'UTF8')), 'hex') AS digest_matches_archive,
       c::text LIKE '%SECRET%' OR c::text LIKE '%MRN-LAB%' AS leaks
FROM destruction_certificates c WHERE certificate_id = :lab_cert;
SELECT (SELECT bool_and(ok) FROM verify_certificates()) AS chain_ok;

-- an unlogged table comes back empty after a crash and never reaches replicas: not protectable
CREATE UNLOGGED TABLE ret_s.scratch (id int, mrn text NOT NULL, written date NOT NULL);
SELECT protect('ret_s.scratch', 'hipaa_documentation', 'mrn', 'written');
