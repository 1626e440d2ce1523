-- Encounters, the superbill: codes checked and made canonical when written,
-- fees by payer, the status transitions and the lock on non-drafts,
-- start_encounter from a visit, places of service, privileges.
SET search_path = public, patsvc;
\set VERBOSITY default
\set SHOW_CONTEXT never
SET TimeZone = 'UTC';
SET DateStyle = ISO;
\i test/lib/billing_setup.sql

-- places of service: the CMS list with 27 added, extendable by the clinic, the shipped rows kept
SELECT count(*) AS shipped, min(code), max(code), bool_or(code = '27') AS has_27 FROM places_of_service WHERE shipped;
SELECT code, name FROM places_of_service WHERE code IN ('02', '10', '11', '27');
INSERT INTO places_of_service (code, name) VALUES ('35', 'Clinic annex (our own)');
UPDATE places_of_service SET name = 'Doctor''s office' WHERE code = '11';
\echo SQLSTATE :LAST_ERROR_SQLSTATE
DELETE FROM places_of_service WHERE code = '11';
\echo SQLSTATE :LAST_ERROR_SQLSTATE
INSERT INTO places_of_service (code, name, shipped) VALUES ('36', 'Pretend CMS', true);
\echo SQLSTATE :LAST_ERROR_SQLSTATE

-- an encounter on its own; lines: codes checked and canonical, kind derived, charge from the fees
INSERT INTO encounters (id, patient_id, service_date, rendering_npi, billing_npi, place_of_service, coverage_id)
VALUES (1, 1, '2020-11-10', '1234567893', '1234567893', '11', 1), (2, 2, '2020-11-10', '1234567893', '1234567893', '35', 2);
INSERT INTO encounter_diagnoses (encounter_id, seq, code) VALUES (1, 1, 'e119'), (1, 2, 'R05'), (2, 1, 'R05');
INSERT INTO encounter_lines (encounter_id, line, code, pointers, units) VALUES (1, 1, ' g0008 ', '{1}', 1);
INSERT INTO encounter_lines (encounter_id, line, code, modifiers, pointers, units, ndc, drug_quantity, drug_unit)
VALUES (1, 2, 'J1100', '{xu}', '{2,1}', 8, '0009-0047-01', 2, 'ML'), (2, 1, 'J1100', '{}', '{1}', 2, '00009-0047-01', 1, 'ML');
INSERT INTO encounter_lines (encounter_id, line, code, pointers, charge) VALUES (1, 3, '99213', '{1}', 120.00);
SELECT encounter_id, line, code, procedure_kind, modifiers, pointers, units, charge, ndc, drug_quantity, drug_unit
FROM encounter_lines ORDER BY 1, 2;
SELECT seq, diagnosis_letter(seq), code FROM encounter_diagnoses WHERE encounter_id = 1 ORDER BY seq;
-- malformed codes are refused at once (22P02), with the type's hint
INSERT INTO encounter_lines (encounter_id, line, code, pointers, charge) VALUES (1, 4, 'J11', '{1}', 1);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
INSERT INTO encounter_lines (encounter_id, line, code, pointers, charge) VALUES (1, 4, '9921', '{1}', 1);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
INSERT INTO encounter_diagnoses (encounter_id, seq, code) VALUES (1, 3, 'E11.9.');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
INSERT INTO encounter_lines (encounter_id, line, code, modifiers, pointers, charge) VALUES (1, 4, 'G0008', '{-25}', '{1}', 1);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
INSERT INTO encounter_lines (encounter_id, line, code, modifiers, pointers, charge) VALUES (1, 4, 'G0008', '{25,59,XU,LT,RT}', '{1}', 1);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
INSERT INTO encounter_lines (encounter_id, line, code, pointers, charge, drug_unit) VALUES (1, 4, 'J1100', '{1}', 1, 'MG');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
INSERT INTO encounter_diagnoses (encounter_id, seq, code) VALUES (1, 13, 'R05');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- no charge and no fee for the code
INSERT INTO encounter_lines (encounter_id, line, code, pointers) VALUES (1, 4, 'A0021', '{1}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE

-- transitions: created as a draft only; draft -> final -> submitted -> paid / denied; -> void
INSERT INTO encounters (patient_id, service_date, status) VALUES (1, '2020-11-10', 'final');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT from_status, string_agg(to_status, ', ' ORDER BY to_status) AS may_become
FROM unnest('{draft,final,submitted,paid,denied,void}'::text[]) f(from_status),
     unnest('{draft,final,submitted,paid,denied,void}'::text[]) t(to_status)
WHERE encounter_transition_legal(from_status, to_status) GROUP BY 1 ORDER BY 1;
UPDATE encounter_lines SET charge = 0 WHERE encounter_id = 1 AND line = 3;
DELETE FROM encounter_lines WHERE encounter_id = 1 AND line = 3;
SELECT set_encounter_status(1, 'submitted');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT finalize_encounter(1) IS NOT NULL AS finalized;
SELECT id, status, finalized_at IS NOT NULL AS stamped FROM encounters WHERE id = 1;
-- a final encounter is locked: header, diagnoses, lines; not deleted; not back to draft
UPDATE encounters SET place_of_service = '22' WHERE id = 1;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
UPDATE encounters SET finalized_at = now() WHERE id = 1;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
UPDATE encounter_lines SET units = 2 WHERE encounter_id = 1 AND line = 1;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
INSERT INTO encounter_lines (encounter_id, line, code, pointers) VALUES (1, 5, 'G0008', '{1}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
DELETE FROM encounter_diagnoses WHERE encounter_id = 1;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
UPDATE encounter_lines SET encounter_id = 1 WHERE encounter_id = 2;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
DELETE FROM encounters WHERE id = 1;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT set_encounter_status(1, 'draft');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT set_encounter_status(1, 'submitted') AS was, set_encounter_status(1, 'denied') AS was, set_encounter_status(1, 'void') AS was;
SELECT set_encounter_status(1, 'paid');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT set_encounter_status(99, 'void');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT set_encounter_status(2, 'shipped');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- a draft is deleted with its rows
DELETE FROM encounters WHERE id = 2;
SELECT count(*) AS rows_of_2 FROM encounter_lines WHERE encounter_id = 2;

-- start_encounter: from a visit, with the coverage, authorization and referral the booking used
INSERT INTO appointments (id, patient_id, provider_id, type_id, starts_at) VALUES
  (10, 1, 1, 1, '2020-11-11 03:30Z'),   -- 22:30 on 2020-11-10 in Boston
  (11, 2, 1, 1, '2020-11-12 15:00Z'), (12, 2, 2, 1, '2020-11-12 16:00Z'), (13, 3, 1, 1, '2020-11-12 17:00Z');
UPDATE appointments SET location_id = 1 WHERE id = 10;
INSERT INTO referrals (id, patient_id, referring_npi, to_specialty, visits_allowed, valid, referral_number)
VALUES (1, 2, '1356320139', 'endocrinology', 3, '[2020-11-01,2021-02-01)', 'R-77');
INSERT INTO authorizations (id, patient_id, payer_id, coverage_id, auth_number, service_codes, visits_approved, valid)
VALUES (1, 2, 2, 2, 'PA-2020-114', '{G0008}', 2, '[2020-11-01,2021-02-01)');
-- what the booking used, as coverage's trigger records it on the appointment (set here without booking rules)
SET session_replication_role = replica;
UPDATE appointments SET authorization_id = 1, referral_id = 1, coverage_id = 2 WHERE id = 11;
RESET session_replication_role;
SELECT start_encounter(10) AS ann_enc \gset
SELECT start_encounter(10) = :ann_enc AS same_again;
SELECT start_encounter(11, '02', '1285849489') AS bob_enc \gset
SELECT patient_id, appointment_id, service_date, rendering_npi, billing_npi, referring_npi, place_of_service,
       coverage_id, authorization_id, referral_id, status
FROM encounters WHERE id IN (:ann_enc, :bob_enc) ORDER BY id;
-- the payer's fee for Bob (Acme), the default for Ann
INSERT INTO encounter_lines (encounter_id, line, code, pointers, units) VALUES (:ann_enc, 1, 'J1100', '{1}', 2), (:bob_enc, 1, 'J1100', '{1}', 2);
SELECT encounter_id, charge FROM encounter_lines WHERE encounter_id IN (:ann_enc, :bob_enc) ORDER BY 1;
SELECT start_encounter(12);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
UPDATE appointments SET status = 'cancelled', cancel_reason = 'patient called' WHERE id = 13;
SELECT start_encounter(13);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT start_encounter(999);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- a voided encounter: the visit may be billed again
SELECT set_encounter_status(:ann_enc, 'void') AS was;
SELECT start_encounter(10) <> :ann_enc AS new_encounter;

-- privileges: the front desk starts encounters and reads none; the biller writes them; records read
CREATE ROLE regress_bill_desk LOGIN IN ROLE patsvc_front_desk;
CREATE ROLE regress_bill_biller LOGIN IN ROLE patsvc_biller;
CREATE ROLE regress_bill_records LOGIN IN ROLE patsvc_records;
CREATE ROLE regress_bill_nobody LOGIN;
INSERT INTO appointments (id, patient_id, provider_id, type_id, starts_at) VALUES (14, 1, 1, 1, '2020-11-13 15:00Z');
SET ROLE regress_bill_desk;
SELECT start_encounter(14) > 0 AS desk_started;
SELECT count(*) FROM encounters;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT * FROM claim_problems(1);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SET ROLE regress_bill_biller;
SELECT id AS desk_enc FROM encounters WHERE appointment_id = 14 \gset
INSERT INTO encounter_diagnoses VALUES (:desk_enc, 1, 'R05');
INSERT INTO encounter_lines (encounter_id, line, code, pointers) VALUES (:desk_enc, 1, 'G0008', '{1}');
SELECT rule FROM claim_problems(:desk_enc);
SELECT finalize_encounter(:desk_enc) IS NOT NULL AS biller_finalized;
SELECT code, amount FROM fee_schedule ORDER BY 1, 2;
INSERT INTO fee_schedule VALUES ('G0009', NULL, 20);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SET ROLE regress_bill_records;
SELECT count(*) > 0 AS records_read FROM encounters;
UPDATE encounters SET status = 'void' WHERE id = :desk_enc;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SET ROLE regress_bill_nobody;
SELECT count(*) FROM encounter_lines;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT start_encounter(14);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT count(*) AS public_reads_places FROM places_of_service;
SELECT count(*) AS public_reads_rules FROM claim_rules();
RESET ROLE;
DROP ROLE regress_bill_desk, regress_bill_biller, regress_bill_records, regress_bill_nobody;

\i test/lib/billing_cleanup.sql
