\echo
\echo '=== 4. Evening: records the law says to keep, and records whose time has come ==='
SET search_path = public, patsvc;
SET datestyle = ISO, YMD;
-- Which protection is active?  basic = triggers and event triggers; hardened = patsvc
-- preloaded (shared_preload_libraries), whose hooks also stop superusers.
SELECT enforcement_level();
-- Texas: 7 years after the last treatment; minors until 21 or 7 years, whichever is longer
SELECT policy_name, period, anchor, minors_until_age, mode, source
FROM retention_policies WHERE policy_name = 'tx_physician';
-- A period without a unit is refused: '7' what?
SELECT create_policy('demo_bad', 'demo', '7', 'last_encounter', 'compliance', 'none');

-- The clinic's visit notes go under the Texas rule
CREATE TABLE demo_visit_notes (id int PRIMARY KEY, mrn text NOT NULL, seen date NOT NULL, note text);
SELECT protect('demo_visit_notes', 'tx_physician', 'mrn', 'seen');
INSERT INTO retention_patient_facts (patient_id, birth_date, last_encounter) VALUES
  ('MRN-D-100', '1958-03-14', '2014-06-02'),   -- adult, last seen 2014
  ('MRN-D-200', '2011-09-30', '2016-02-11'),   -- a child when last seen
  ('MRN-D-300', '1984-12-01', '2024-05-20');   -- seen last year
INSERT INTO demo_visit_notes VALUES
  (1, 'MRN-D-100', '2013-01-15', 'hypertension follow-up'),
  (2, 'MRN-D-100', '2014-06-02', 'medication review'),
  (3, 'MRN-D-200', '2016-02-11', 'otitis media'),
  (4, 'MRN-D-300', '2024-05-20', 'annual physical');
-- Each note's retain-until: the first day it may be destroyed
SELECT v.id, s.patient_id, s.anchor_date, s.retain_until
FROM retention_status('demo_visit_notes') s JOIN demo_visit_notes v ON v.ctid = s.row_ctid ORDER BY v.id;

-- Deleting a young record is refused, with the date it becomes eligible
DELETE FROM demo_visit_notes WHERE id = 4;
-- So is TRUNCATE, and so is deleting an old one by hand: only destroy_due() removes rows
TRUNCATE demo_visit_notes;
DELETE FROM demo_visit_notes WHERE id = 1;

-- A malpractice claim names patient MRN-D-100: hold every record of that patient
SELECT place_hold('CLAIM-2026-031', 'malpractice claim filed', patient_id => 'MRN-D-100') AS hold \gset
SELECT count(*) AS due_now FROM retention_due('demo_visit_notes');
-- The claim settles; the hold is released (both are logged)
SELECT release_hold(:hold, 'claim settled');
SELECT event, detail FROM retention_events WHERE hold_id = :hold ORDER BY event_id;
-- Holds and the log are written by patsvc alone: releasing a hold by hand, or an
-- invented event, is refused (even for a superuser, in hardened mode)
UPDATE retention_holds SET released_at = now(), released_by = 'someone', release_reason = 'by hand'
WHERE released_at IS NULL;
INSERT INTO retention_events (event, detail) VALUES ('hold released', 'made up');

-- Destroy what is due: a dry run first, then the real run, which issues a certificate
SELECT destroy_due('demo_visit_notes', authorized_by => 'HIM manager', method => 'deleted; VACUUM',
                   dry_run => true);
SELECT destroy_due('demo_visit_notes', authorized_by => 'HIM manager', method => 'deleted; VACUUM',
                   witness => 'compliance officer') AS certificate \gset
SELECT id, mrn FROM demo_visit_notes ORDER BY id;
-- The certificate: counts, coarse years, random tokens; no MRN, name or date of a patient
SELECT certificate_id, table_name, policy_name, record_count, records_from_year, records_to_year,
       method, authorized_by, witness, statement, cardinality(certificate_tokens(token_set)) AS tokens,
       left(certificate_hash, 16) || '...' AS hash
FROM destruction_certificates WHERE certificate_id = :certificate;
-- The chain of certificates checks out, and each has the record of its destruction in the log
SELECT * FROM verify_certificates();
SELECT event, table_name, detail FROM retention_events WHERE event = 'records destroyed' ORDER BY event_id;
-- Deleted tuples stay in the table file until VACUUM reclaims the space (and in WAL and
-- backups until those expire): run VACUUM after destruction
VACUUM demo_visit_notes;
