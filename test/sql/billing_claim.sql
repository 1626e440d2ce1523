-- Claim output: claim_json (the CMS-1500 boxes) and claim_837p (X12
-- 005010X222A1), read back: envelopes and their counts, loops, pointers,
-- NDC form, the shipped samples' structure, refusals, production mode.
SET search_path = public, patsvc;
\set VERBOSITY default
\set SHOW_CONTEXT never
SET TimeZone = 'UTC';
SET DateStyle = ISO;

-- ---- setup: code sets of the date of service (2020-11-02), practice, patients, coverage
\set f `cat test/fixtures/icd10cm-order-2021-sample.txt`
SELECT import_icd10cm_order('FY2021', '2020-10-01', '2021-09-30', :'f') > 0 AS icd10cm_loaded;
\set h `cat test/fixtures/hcpcs-2020-anweb-sample.txt`
\encoding WIN1252
SELECT import_hcpcs('2020', '2020-01-01', '2020-12-31', :'h') > 0 AS hcpcs_loaded;
\encoding UTF8

INSERT INTO providers (id, name, npi) VALUES (901, 'Jim Hendrix', '1122333341'), (902, 'Ann Lee', '1497758544');
INSERT INTO claim_providers (npi, entity_type, name, given_name, tax_id, taxonomy, address_line1, city, state, zip)
VALUES ('1234567893', 'organization', 'Associates in Medicine', NULL, '587654321', '207Q00000X',
        '1313 Las Vegas Boulevard', 'Las Vegas', 'NV', '891090001'),
       ('1122333341', 'person', 'Hendrix', 'Jim', NULL, '208D00000X', NULL, NULL, NULL, NULL),
       ('1003000126', 'person', 'Referrer', 'Rita', NULL, NULL, NULL, NULL, NULL, NULL);
INSERT INTO patients (id, name, family_name, given_name, middle_name, birth_date, sex,
                      address_line1, city, state, zip)
VALUES (901, 'Steve Vaughn', 'Vaughn', 'Steve', 'R', '1943-05-01', 'male', '236 Diamond St', 'Las Vegas', 'NV', '89109'),
       (902, 'Ted Smith', 'Smith', 'Ted', NULL, '2012-05-01', 'male', '236 N Main St', 'Miami', 'FL', '33413'),
       (903, 'Una Ortiz', 'Ortiz', 'Una', NULL, '1980-02-03', 'female', '9 Elm St', 'Reno', 'NV', '89501');
INSERT INTO payers (id, name, x12_payer_id, payer_type)
VALUES (901, 'R&R Health Plan', 'PLANID12345', 'commercial'),
       (902, 'Medicare Part B', 'SMNV0', 'medicare'),
       (903, 'Self pay', NULL, 'self_pay');
INSERT INTO coverages (id, patient_id, payer_id, member_id, group_number, subscriber_relationship,
                       subscriber_family, subscriber_given, subscriber_birth_date, subscriber_sex, valid, priority)
VALUES (901, 901, 902, '1EG4TE5MK73', NULL, '18', NULL, NULL, NULL, NULL, '[2020-01-01,)', 1),
       (902, 902, 901, 'JS00111223333', '2222-SJ', '19', 'Smith', 'Jane', '1975-03-04', 'female', '[2020-01-01,)', 1),
       (903, 903, 903, NULL, NULL, '18', NULL, NULL, NULL, NULL, '[2020-01-01,)', 1);
INSERT INTO authorizations (id, patient_id, payer_id, coverage_id, auth_number, service_codes, visits_approved, valid)
VALUES (901, 901, 902, 901, 'AUTH901', '{}', 5, '[2020-10-01,2020-12-31]'),
       (902, 902, 901, 902, 'AUTH902J', '{J1100}', 1, '[2020-10-01,2020-12-31]');
INSERT INTO referrals (id, patient_id, referring_npi, reasons, visits_allowed, valid, referral_number)
VALUES (901, 901, '1003000126', '{E11.9}', 3, '[2020-10-01,2020-12-31]', 'REF-77');
SELECT count(record_consent(p, 'treatment', '2020-10-01 10:00Z')) AS consents FROM unnest('{901,903}'::bigint[]) p;
SELECT record_consent(902, 'treatment', '2020-10-01 10:00Z', 'guardian', 'Jane Smith', 'parent') > 0 AS minor_consent;

-- 901: Medicare, the patient is the subscriber, referral, an authorization for every line, a drug line
-- 902: a child on a parent's plan; the authorization covers only the drug (line-level REF*G1)
-- 903: twelve diagnoses, pointers to the last ones
-- 904: a draft; 905: self-pay
INSERT INTO encounters (id, patient_id, service_date, rendering_npi, billing_npi, referring_npi, place_of_service,
                        coverage_id, authorization_id, referral_id)
VALUES (901, 901, '2020-11-02', '1122333341', '1234567893', '1003000126', '11', 901, 901, 901),
       (902, 902, '2020-11-02', '1234567893', '1234567893', NULL, '11', 902, 902, NULL),
       (903, 901, '2020-11-03', '1122333341', '1234567893', NULL, '11', 901, NULL, NULL),
       (904, 901, '2020-11-04', '1122333341', '1234567893', NULL, '11', 901, NULL, NULL),
       (905, 903, '2020-11-02', '1122333341', '1234567893', NULL, '11', 903, NULL, NULL);
INSERT INTO encounter_diagnoses (encounter_id, seq, code)
VALUES (901, 1, 'E11.9'), (901, 2, 'I10'), (901, 3, 'Z00.00'),
       (902, 1, 'J06.9'), (902, 2, 'R05'),
       (904, 1, 'I10'), (905, 1, 'I10');
INSERT INTO encounter_diagnoses (encounter_id, seq, code)
SELECT 903, n, c FROM unnest('{E11.9,I10,J06.9,R05,E11.65,E78.5,I25.10,J45.909,K21.9,M54.5,N39.0,R51}'::text[])
  WITH ORDINALITY AS d(c, n);
INSERT INTO encounter_lines (encounter_id, line, code, modifiers, pointers, units, charge, ndc, drug_quantity, drug_unit)
VALUES (901, 1, '99214', '{25}', '{1,2}', 1, 120.00, NULL, NULL, NULL),
       (901, 2, 'J1100', '{}', '{1}', 1, 53.37, '00026-0635-12', 10, 'ML'),
       (902, 1, '99213', '{}', '{1,2}', 1, 80.00, NULL, NULL, NULL),
       (902, 2, 'J1100', '{}', '{1}', 2, 20.50, '0026-0635-12', 2, 'ML'),
       (903, 1, '99215', '{25,59}', '{9,10,11,12}', 1, 200.00, NULL, NULL, NULL),
       (903, 2, 'G0008', '{}', '{12}', 1, 25.00, NULL, NULL, NULL),
       (904, 1, '99213', '{}', '{1}', 1, 80.00, NULL, NULL, NULL),
       (905, 1, '99213', '{}', '{1}', 1, 80.00, NULL, NULL, NULL);
SELECT e, finalize_encounter(e) IS NOT NULL AS final FROM unnest('{901,902,903,905}'::bigint[]) e;
