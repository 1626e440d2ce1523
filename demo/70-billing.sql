\echo
\echo '=== 7. Billing: the superbill, the claim scrubber, NCCI edits ==='
SET search_path = public, patsvc;
SET TimeZone = 'UTC';
SET DateStyle = ISO;
-- The edits CMS publishes each quarter: NCCI procedure-to-procedure pairs and medically unlikely
-- edits, loaded from the practitioner files as CMS ships them (constructed examples with HCPCS
-- codes only: CPT content is licensed)
\set ptp `cat test/data/ncci-ptp-practitioner-constructed.txt`
\set mue `cat test/data/mue-practitioner-constructed.csv`
SELECT import_ncci_ptp('v261r0', :'ptp') AS ptp_edits, import_mue('2020Q4', '2020-10-01', '2020-12-31', :'mue') AS mue_codes;
-- The practice's fees, and the CMS place-of-service list (shipped; the clinic may add its own)
INSERT INTO fee_schedule (code, payer_id, amount) VALUES ('G0008', NULL, 25.00), ('J1100', NULL, 3.50);
SELECT code, name FROM places_of_service WHERE code IN ('02', '10', '11', '27') ORDER BY code;

-- The code sets loaded in section 2 cover late 2020, so this walk-through bills a visit of then:
-- Ann Lee came to Dr. Adams on Tuesday 2020-11-10 for a flu shot and a dexamethasone injection.
-- Her Medicare coverage and her consent to treat (scanned from paper) are on file.
INSERT INTO payers (name, x12_payer_id, payer_type) VALUES ('Medicare Part B (J-K)', '13202', 'medicare') RETURNING id AS medicare \gset
INSERT INTO coverages (patient_id, payer_id, member_id, valid, priority)
SELECT 1, :medicare, '1EG4TE5MK73', '[2020-01-01,2021-01-01)', 1 WHERE NOT EXISTS (SELECT FROM coverage_on(1, '2020-11-10'));
SELECT record_consent(1, 'treatment', '2020-11-10 14:50Z', document_ref => 'scan:2020-11-10/0031') IS NOT NULL AS ann_consent;
SELECT book(1, 1, '2020-11-10 15:00Z', 'visit') AS ann_2020 \gset
SELECT set_status(:ann_2020, 'arrived');
SELECT set_status(:ann_2020, 'checked-in');

-- At check-out the front desk starts the superbill: patient, date of service (local), Dr. Adams's
-- NPI, place of service 11 (office), the coverage in force
SELECT start_encounter(:ann_2020) AS enc \gset
SELECT id, patient_id, service_date, rendering_npi, billing_npi, place_of_service, coverage_id, status
FROM encounters WHERE id = :enc;
-- The biller codes it: diagnoses A-L, lines pointing at them (the charge comes from the fees)
INSERT INTO encounter_diagnoses (encounter_id, seq, code) VALUES (:enc, 1, 'E11'), (:enc, 2, 'R05');
INSERT INTO encounter_lines (encounter_id, line, code, pointers, units) VALUES (:enc, 1, 'G0008', '{1}', 1);
INSERT INTO encounter_lines (encounter_id, line, code, modifiers, pointers, units, ndc, drug_quantity, drug_unit)
VALUES (:enc, 2, 'J1100', '{XU}', '{2,3}', 8, '0009-0047-01', 2, 'ML');
SELECT line, code, procedure_kind, modifiers, pointers, units, charge, ndc, drug_quantity, drug_unit
FROM encounter_lines WHERE encounter_id = :enc ORDER BY line;
-- A malformed code never gets in (22P02, with the expected form)
INSERT INTO encounter_lines (encounter_id, line, code, pointers) VALUES (:enc, 3, 'J11OO', '{1}');

-- The scrubber lists every problem with its rule; finalizing is refused with the list
SELECT * FROM claim_problems(:enc) ORDER BY line NULLS FIRST, rule;
SELECT finalize_encounter(:enc);
-- E11 is a category header, not billable: the coder picks E11.9; line 2 points at diagnosis C,
-- which does not exist: it should point at B (cough) and A
UPDATE encounter_diagnoses SET code = 'E11.9' WHERE encounter_id = :enc AND seq = 1;
UPDATE encounter_lines SET pointers = '{2,1}' WHERE encounter_id = :enc AND line = 2;
SELECT * FROM claim_problems(:enc);
SELECT finalize_encounter(:enc) IS NOT NULL AS finalized;
SELECT id, status, finalized_at IS NOT NULL AS finalized_at_set FROM encounters WHERE id = :enc;
-- Final means locked: a change is refused; only the status moves on (submitted, paid or denied, void)
UPDATE encounter_lines SET units = 10 WHERE encounter_id = :enc AND line = 2;

-- The NCCI pair G0008/J1100 allows a bypass (indicator 1): without the XU modifier it is flagged,
-- and 30 units of J1100 exceed its MUE of 20 per date of service
SELECT start_encounter(book(1, 1, '2020-11-12 15:00Z', 'visit')) AS enc2 \gset
INSERT INTO encounter_diagnoses (encounter_id, seq, code) VALUES (:enc2, 1, 'R05');
INSERT INTO encounter_lines (encounter_id, line, code, pointers, units, ndc, drug_quantity, drug_unit)
VALUES (:enc2, 1, 'G0008', '{1}', 1, NULL, NULL, NULL), (:enc2, 2, 'J1100', '{1}', 30, '00009-0047-01', 6, 'ML');
SELECT * FROM claim_problems(:enc2) ORDER BY line NULLS FIRST, rule;

-- The clinic day's visits are in the future (and after the loaded code sets): a superbill can be
-- started for Bo's rescheduled echo this afternoon, but not finalized before the date of service
SELECT start_encounter(id) AS bo_enc FROM appointments WHERE patient_id = 2 AND starts_at = '2027-03-15 18:00Z' \gset
SELECT * FROM claim_problems(:bo_enc) ORDER BY line NULLS FIRST, rule;

-- Every rule, with its stable id
SELECT rule, severity, description FROM claim_rules() ORDER BY rule;
