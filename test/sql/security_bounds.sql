-- Issue 10, part 2: what the reading functions show to whom, bounded work, binary input.
-- Every block below failed before the fix (a leak, an internal error, a hang or the wrong SQLSTATE).
SET search_path = public, patsvc;
\set VERBOSITY default
\set SHOW_CONTEXT never
\set sqlstate '\\echo SQLSTATE :LAST_ERROR_SQLSTATE'
SET datestyle = ISO, YMD;
SET TimeZone = 'UTC';
-- only a hang guard: the fixed functions answer at once; before the fix some ran for ever
SET statement_timeout = '30s';

CREATE ROLE regress_sb_nobody;
CREATE ROLE regress_sb_desk;
CREATE ROLE regress_sb_clerk;
CREATE ROLE regress_sb_records;
GRANT SELECT ON appointments, appointment_types, availability, locations TO regress_sb_desk;
-- EXECUTE on every patsvc function (more than any patsvc role has), so what is
-- shown below is each function's own check of the rights it reveals
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA patsvc TO regress_sb_nobody, regress_sb_desk, regress_sb_clerk, regress_sb_records;

INSERT INTO locations (id, name, time_zone) VALUES (951, 'SB office', 'UTC');
INSERT INTO providers (id, name) VALUES (951, 'SB provider');
INSERT INTO patients (id, name) VALUES (951, 'SB patient');
INSERT INTO appointment_types (id, code, duration_minutes) VALUES (951, 'sb-visit', 60);
-- Mondays 09:00-12:00; 2027-03-15 is a Monday, booked at 10:00
INSERT INTO availability (provider_id, location_id, weekday, starts_local, ends_local)
VALUES (951, 951, 1, '09:00', '12:00');
SELECT book(951, 951, '2027-03-15 10:00Z', 'sb-visit') IS NOT NULL AS booked;
-- an appointment's resources and random_tokens are bounded before any work
SELECT book(951, 951, '2027-03-15 11:00Z', 'sb-visit', ARRAY(SELECT generate_series(1, 101)::bigint));
SELECT cardinality(random_tokens(1000001));

-- 1. schedules: busy and free times only for roles that may read appointments (42501),
--    the hours only for roles that may read availability
SET SESSION AUTHORIZATION regress_sb_nobody;
SELECT slot_is_free(951, '2027-03-15 10:00Z', 951);
:sqlstate
SELECT * FROM free_slots_sweep(951, '[2027-03-15,2027-03-16)', 951);
:sqlstate
SELECT * FROM next_available_sweep('{951}', '2027-03-15 00:00Z', 951, '{}', 3);
:sqlstate
SELECT * FROM candidate_slots(951, '[2027-03-15,2027-03-16)', 951);
:sqlstate
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_sb_desk;
SELECT slot_is_free(951, '2027-03-15 10:00Z', 951) AS ten_free, slot_is_free(951, '2027-03-15 11:00Z', 951) AS eleven_free;
SELECT * FROM free_slots(951, '[2027-03-15,2027-03-16)', 'sb-visit');
SELECT * FROM next_available('{951}', '2027-03-15 00:00Z', 'sb-visit', '{}', 3);
SELECT * FROM candidate_slots(951, '[2027-03-15,2027-03-16)', 951);
RESET SESSION AUTHORIZATION;

-- 2. bounded work, refused before it starts: one window rule (check_search_window) for
--    every search, capped arrays and results, finite times (22023, 22008)
SELECT count(*) FROM candidate_slots(951, '[2027-01-01,294276-12-31)', 951);
:sqlstate
SELECT count(*) FROM free_slots_sweep(951, '[2027-01-01,294276-12-31)', 951);
:sqlstate
SELECT count(*) FROM free_slots_sweep(951, '[4713-01-01 BC,2027-01-01)', 951);
:sqlstate
SELECT count(*) FROM candidate_slots(951, '[4000-01-01 BC,294276-12-20)', 951);
:sqlstate
SELECT count(*) FROM candidate_slots(951, 'empty', 951);
:sqlstate
SELECT count(*) FROM candidate_slots(951, '[2027-03-15,)', 951);
:sqlstate
SELECT count(*) FROM free_slots_sweep(951, '[-infinity,2027-01-01)', 951);
:sqlstate
SELECT count(*) FROM candidate_slots(951, '[294276-12-20,294276-12-30)', 951);
:sqlstate
SELECT check_search_window('[2027-03-01,2028-04-05)');
:sqlstate
SELECT check_search_window('[2027-03-01,2028-04-04)') AS four_hundred_days_pass;
SELECT check_search_window(NULL);
:sqlstate
SELECT count(*) AS slots_in_400_days FROM candidate_slots(951, '[2027-03-01,2028-04-04)', 951);
SELECT join_waitlist(951, 951, 'sb-visit', '[2027-03-15,)');
:sqlstate
SELECT join_waitlist(951, 951, 'sb-visit', '[2027-03-15,294276-12-31)');
:sqlstate
SELECT join_waitlist(951, 951, 'sb-visit', '[2027-03-15,2027-04-15)') IS NOT NULL AS waits;
SELECT count(*) FROM next_available_sweep(ARRAY(SELECT generate_series(1, 200000)::bigint), '2027-03-15', 951, '{}', 1);
:sqlstate
SELECT count(*) FROM next_available_sweep('{951}', '2027-03-15', 951, ARRAY(SELECT generate_series(1, 200000)::bigint), 1);
:sqlstate
SELECT count(*) FROM next_available_sweep('{951}', '2027-03-15', 951, '{}', 1001);
:sqlstate
SELECT count(*) FROM next_available_sweep('{951}', '294276-12-20', 951, '{}', 1);
:sqlstate
-- (other tests' providers are in the range too: the count depends on them, the answer must come)
SELECT count(*) > 0 AS found FROM next_available_sweep(ARRAY(SELECT generate_series(1, 1000)::bigint), '2027-03-15', 951, '{}', 1000);
SELECT slot_is_free(951, 'infinity', 951);
:sqlstate
SELECT slot_is_free(951, '-infinity', 951);
:sqlstate
SELECT slot_is_free(951, '2027-03-15 11:00Z', 951, ARRAY(SELECT generate_series(1, 101)::bigint));
:sqlstate
SELECT anchor_cutoff('7 years', '-infinity');
:sqlstate
SELECT anchor_cutoff('7 years', 'infinity');
:sqlstate
SELECT anchor_cutoff('7 years', '2027-03-15') AS last_anchor_due;

-- 3. retention: status as the caller reads the table (row-level security applies);
--    dates of arbitrary patient ids only to roles that may read the patient facts
CREATE SCHEMA sb_s;
CREATE TABLE sb_s.notes (id int PRIMARY KEY, mrn text NOT NULL, seen date NOT NULL, clinic text NOT NULL);
INSERT INTO sb_s.notes VALUES (1, 'MRN-SB-A', '2012-04-02', 'north'), (2, 'MRN-SB-B', '2014-09-09', 'south');
SELECT protect('sb_s.notes', 'tx_physician', 'mrn', 'seen');
INSERT INTO retention_patient_facts (patient_id, birth_date, death_date, last_encounter) VALUES
  ('MRN-SB-A', '1960-02-29', NULL, '2012-04-02'),
  ('MRN-SB-B', '2012-07-01', NULL, '2014-09-09'),
  ('MRN-SB-OTHER', '1970-01-01', NULL, '2020-01-01');
ALTER TABLE sb_s.notes ENABLE ROW LEVEL SECURITY;
CREATE POLICY north_only ON sb_s.notes FOR SELECT TO regress_sb_clerk USING (clinic = 'north');
CREATE POLICY north_delete ON sb_s.notes FOR DELETE TO regress_sb_clerk USING (clinic = 'north');
CREATE POLICY every_row ON sb_s.notes FOR SELECT TO regress_sb_records USING (true);
GRANT USAGE ON SCHEMA sb_s TO regress_sb_nobody, regress_sb_clerk, regress_sb_records;
GRANT SELECT, DELETE ON sb_s.notes TO regress_sb_clerk;
GRANT SELECT ON sb_s.notes, retention_patient_facts TO regress_sb_records;

SET SESSION AUTHORIZATION regress_sb_clerk;
SELECT id, mrn FROM sb_s.notes;
SELECT patient_id, anchor_date, retain_until, held FROM retention_status('sb_s.notes') ORDER BY 1;
SELECT patient_id FROM retention_due('sb_s.notes', '2100-01-01') ORDER BY 1;
SELECT retained_until('sb_s.notes', 'MRN-SB-OTHER');
:sqlstate
SELECT * FROM row_retention_status('sb_s.notes'::regclass, 'MRN-SB-OTHER', '2020-01-01');
:sqlstate
-- the guard trigger still finds the row's status (it asks as the owner of patsvc's tables)
DELETE FROM sb_s.notes WHERE id = 1;
:sqlstate
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_sb_nobody;
SELECT * FROM retention_status('sb_s.notes');
:sqlstate
SELECT retained_until('sb_s.notes', 'MRN-SB-OTHER');
:sqlstate
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_sb_records;
SELECT patient_id, retain_until FROM retention_status('sb_s.notes') ORDER BY 1;
SELECT retained_until('sb_s.notes', 'MRN-SB-B') AS child_until_21,
       retained_until('sb_s.notes', 'MRN-SB-OTHER', '2020-01-01') AS other;
RESET SESSION AUTHORIZATION;
SELECT retain_until, held, policy_name FROM row_retention_status('sb_s.notes'::regclass, 'MRN-SB-A', '2012-04-02');
SELECT * FROM retention_status('pg_class');
:sqlstate
-- an infinite as_of is refused before any lock (it made the cutoff search loop for ever)
SELECT destroy_due('sb_s.notes', as_of => '-infinity', authorized_by => 'regress', method => 'none');
:sqlstate
SELECT destroy_due('sb_s.notes', as_of => 'infinity', authorized_by => 'regress', method => 'none');
:sqlstate
SELECT count(*) AS notes_kept FROM sb_s.notes;

-- 4. binary input is validated like text: an empty field, invalid UTF-8 or a zero byte is 22P02
CREATE TEMP TABLE sb_raw (v bytea);
CREATE TEMP TABLE sb_dx (dx icd10cm);
CREATE TEMP TABLE sb_npi (pr npi);
INSERT INTO sb_raw VALUES ('\x');
\copy sb_raw TO 'results/security_bounds-empty.bin' (FORMAT binary)
\copy sb_dx FROM 'results/security_bounds-empty.bin' (FORMAT binary)
\set VERBOSITY sqlstate
\copy sb_dx FROM 'results/security_bounds-empty.bin' (FORMAT binary)
\copy sb_npi FROM 'results/security_bounds-empty.bin' (FORMAT binary)
\set VERBOSITY default
UPDATE sb_raw SET v = '\x01c328';
\copy sb_raw TO 'results/security_bounds-utf8.bin' (FORMAT binary)
\copy sb_dx FROM 'results/security_bounds-utf8.bin' (FORMAT binary)
\set VERBOSITY sqlstate
\copy sb_dx FROM 'results/security_bounds-utf8.bin' (FORMAT binary)
\set VERBOSITY default
UPDATE sb_raw SET v = '\x0145313100';
\copy sb_raw TO 'results/security_bounds-nul.bin' (FORMAT binary)
\copy sb_dx FROM 'results/security_bounds-nul.bin' (FORMAT binary)
\set VERBOSITY sqlstate
\copy sb_dx FROM 'results/security_bounds-nul.bin' (FORMAT binary)
\set VERBOSITY default
UPDATE sb_raw SET v = '\x01' || convert_to('E11.9', 'UTF8');
\copy sb_raw TO 'results/security_bounds-good.bin' (FORMAT binary)
\copy sb_dx FROM 'results/security_bounds-good.bin' (FORMAT binary)
SELECT dx FROM sb_dx;

-- nothing of this file stays behind but the protected table (protection is for good)
RESET statement_timeout;
REVOKE ALL ON sb_s.notes FROM regress_sb_clerk, regress_sb_records;
DROP POLICY north_only ON sb_s.notes;
DROP POLICY north_delete ON sb_s.notes;
DROP POLICY every_row ON sb_s.notes;
REVOKE ALL ON SCHEMA sb_s FROM regress_sb_nobody, regress_sb_clerk, regress_sb_records;
DROP OWNED BY regress_sb_nobody, regress_sb_desk, regress_sb_clerk, regress_sb_records;
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA patsvc FROM regress_sb_nobody, regress_sb_desk, regress_sb_clerk, regress_sb_records;
DROP ROLE regress_sb_nobody, regress_sb_desk, regress_sb_clerk, regress_sb_records;
DELETE FROM waitlist WHERE provider_id = 951;
DELETE FROM appointments WHERE provider_id = 951;
DELETE FROM availability WHERE provider_id = 951;
DELETE FROM appointment_types WHERE id = 951;
DELETE FROM patients WHERE id = 951;
DELETE FROM providers WHERE id = 951;
DELETE FROM locations WHERE id = 951;

