-- Shared by the billing tests: the code sets in effect in late 2020 (FY2021
-- ICD-10-CM sample, HCPCS 2020 sample), the constructed NCCI PTP and MUE
-- files, a clinic (Boston, Dr Adams with an NPI), patients with coverage and
-- consent to treat, fees.  billing_cleanup.sql removes all of it.
SET client_min_messages = warning;
\set bl_h `cat test/fixtures/hcpcs-2020-anweb-sample.txt`
\set bl_i `cat test/fixtures/icd10cm-order-2021-sample.txt`
\set bl_p `cat test/data/ncci-ptp-practitioner-constructed.txt`
\set bl_m `cat test/data/mue-practitioner-constructed.csv`
\encoding WIN1252
SELECT import_hcpcs('2020', '2020-01-01', '2020-12-31', :'bl_h') > 0 AS hcpcs_loaded;
\encoding UTF8
SELECT import_icd10cm_order('FY2021', '2020-10-01', '2021-09-30', :'bl_i') > 0 AS icd10cm_loaded;
SELECT import_ncci_ptp('v261r0', :'bl_p') AS ptp_edits, import_mue('2020Q4', '2020-10-01', '2020-12-31', :'bl_m') AS mue_codes;
INSERT INTO locations (id, name, time_zone) VALUES (1, 'Boston', 'America/New_York');
INSERT INTO providers (id, name, npi) VALUES (1, 'Dr Adams', '1234567893'), (2, 'Dr Berg', NULL);
INSERT INTO patients (id, name) VALUES (1, 'Ann'), (2, 'Bob'), (3, 'Cid');
INSERT INTO appointment_types (id, code, duration_minutes) VALUES (1, 'visit', 30), (2, 'mri', 30), (3, 'specialist', 30);
INSERT INTO availability (provider_id, location_id, weekday, starts_local, ends_local)
SELECT p, 1, d, '00:00', '24:00' FROM generate_series(1, 2) p, generate_series(1, 7) d;
INSERT INTO payers (id, name, x12_payer_id, payer_type) VALUES (1, 'Medicare', '00430', 'medicare'), (2, 'Acme Health', '60054', 'commercial');
-- Ann: Medicare from 2020; Bob: Acme; Cid: Acme, no consent to treat
INSERT INTO coverages (id, patient_id, payer_id, member_id, valid, priority)
VALUES (1, 1, 1, '1EG4TE5MK73', '[2020-01-01,)', 1), (2, 2, 2, 'B1', '[2020-01-01,)', 1), (3, 3, 2, 'C1', '[2020-01-01,)', 1);
SELECT record_consent(1, 'treatment', '2020-01-05 15:00Z') IS NOT NULL AS ann_consent,
       record_consent(2, 'treatment', '2020-01-05 15:00Z') IS NOT NULL AS bob_consent;
INSERT INTO fee_schedule (code, payer_id, amount) VALUES ('G0008', NULL, 25.00), ('J1100', NULL, 3.50), ('J1100', 2, 4.25);
RESET client_min_messages;
