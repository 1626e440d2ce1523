-- The clinic's use of what 0.2.0 added (consents, the consent-to-treat gate),
-- after test/ops/clinic.sql: that file includes this one, and
-- test/ops/ops_upgrade.sh runs it in a database updated from an older version
-- (whose clinic.sql ran with -v clinic_base_only=1), so both hold the same clinic.
SET search_path = public, patsvc;
SET TimeZone = 'UTC';
SET datestyle = ISO, YMD;
\set ON_ERROR_STOP 1

-- consents: to treat (one signed by a parent), a release of information, one revoked
UPDATE appointment_types SET requires_consent_to_treat = true WHERE code = 'visit';
SELECT record_consent(1, 'treatment', '2026-03-01 14:00Z') IS NOT NULL AS consent;
SELECT record_consent(2, 'treatment', '2026-03-01 14:10Z', 'guardian', 'Mia Lopez', 'parent',
                      document_ref => 'scan:2026-03-01/0042') IS NOT NULL AS consent;
SELECT record_consent(1, 'release-of-information', '2026-03-01 14:05Z', recipient => 'Mass General, medical records',
                      valid_until => '2027-03-01') IS NOT NULL AS consent;
SELECT record_consent(4, 'telehealth', '2026-03-02 09:00Z') AS telehealth \gset
UPDATE consents SET revoked_at = '2026-04-01 12:00Z', revoked_reason = 'withdrawn in writing' WHERE id = :telehealth;
SELECT set_status(id, 'arrived') IS NOT NULL AS arrived FROM appointments WHERE patient_id = 1 AND status = 'booked';

-- registration: patients registered with demographics, a confirmed look-alike,
-- a change of address, a nickname of the clinic's own
SELECT patient_mrn IS NOT NULL AS registered
  FROM register_patient('Okafor', 'Margaret', '1971-09-23', 'female', mobile_phone => '617 555 0173', zip => '02115');
SELECT patient_mrn IS NOT NULL AS registered
  FROM register_patient('Okafor', 'Peggy', '1971-09-23', 'female', confirm_new => true);
SELECT update_patient(id, '{"city": "Boston"}') FROM patients WHERE given_name = 'Margaret';
INSERT INTO given_name_variants (variant, name) VALUES ('gus', 'augustus'), ('augustus', 'augustus');
SELECT add_guardian(id, 'Mia Lopez', 'parent', phone => '617 555 0111') > 0 AS guardian FROM patients WHERE given_name = 'Peggy';

-- merging duplicates: "Maggie Okafor" registered again, with a consent; merged into Margaret
-- (patient_merges, patient_references and patients.merged_into go through dump and restore, the MRN keeps resolving)
SELECT patient_id AS maggie, patient_mrn AS maggie_mrn
  FROM register_patient('Okafor', 'Maggie', '1971-09-23', 'female', confirm_new => true) \gset
SELECT record_consent(:maggie, 'privacy-notice', '2026-03-03 10:00Z') IS NOT NULL AS consent;
-- the clinic's own recall list holds patient ids without a foreign key: registered, so merges move it
CREATE TABLE public.clinic_recalls (id bigint PRIMARY KEY, patient bigint NOT NULL, due date NOT NULL);
INSERT INTO patient_references (relid, column_name, note) VALUES ('public.clinic_recalls', 'patient', 'recall list');
INSERT INTO public.clinic_recalls VALUES (1, :maggie, '2026-09-01');
SELECT merge_patients(p.id, :maggie, 'same person, registered twice') IS NOT NULL AS merged
  FROM patients p WHERE p.given_name = 'Margaret';
SELECT patient_by_mrn(:'maggie_mrn') = (SELECT id FROM patients WHERE given_name = 'Margaret') AS alias_resolves;

-- coverage: payers, a plan held by the patient, a child on a parent's plan, Medicare, self-pay;
-- eligibility verified from a 271 and by phone
INSERT INTO payers (name, x12_payer_id, payer_type) VALUES ('ABC Company', '841610001', 'commercial'),
  ('Medicare Part B', '12502', 'medicare'), ('Self-pay', NULL, 'self_pay');
INSERT INTO coverages (patient_id, payer_id, member_id, group_number, valid, priority)
SELECT 1, id, '123456789', 'GOLD-123', '[2026-01-01,)', 1 FROM payers WHERE name = 'ABC Company';
INSERT INTO coverages (patient_id, payer_id, member_id, valid, priority, subscriber_relationship, subscriber_family,
                       subscriber_given, subscriber_birth_date, subscriber_sex)
SELECT 2, id, '123456789-02', '[2026-01-01,)', 1, '19', 'Lopez', 'Mia', '1984-02-29', 'female' FROM payers WHERE name = 'ABC Company';
INSERT INTO coverages (patient_id, payer_id, member_id, valid, priority)
SELECT 3, id, '1EG4-TE5-MK73', '[2015-01-01,)', 1 FROM payers WHERE payer_type = 'medicare';
INSERT INTO coverages (patient_id, payer_id, valid, priority)
SELECT 3, id, '[2015-01-01,)', 2 FROM payers WHERE payer_type = 'self_pay';
\if :{?fixtures}
\set x271_file :fixtures/x12/demo.271
\else
\set x271_file test/fixtures/x12/demo.271
\endif
\set x271 `cat :'x271_file'`
SELECT copay FROM record_eligibility_271((SELECT id FROM coverages WHERE patient_id = 1), :'x271', '2026-03-02');
SELECT active FROM record_eligibility_manual((SELECT id FROM coverages WHERE patient_id = 3 AND priority = 1), '2026-03-02',
                                             true, 'Front desk (phone)', copay => 0, reference => 'CALL-1');

-- booking requirements: an MRI type needing coverage, a referral and ABC's authorization (2 visits);
-- one booked (it uses a visit of each), one booked then cancelled (its visit given back)
INSERT INTO appointment_types (code, duration_minutes, required_resource_kinds, capacity) VALUES ('mri', 40, '{}', 1);
INSERT INTO appointment_type_requirements (type_id, requires_coverage, requires_referral, requires_authorization, service_code)
SELECT id, true, true, true, '70551' FROM appointment_types WHERE code = 'mri';
INSERT INTO referrals (patient_id, referring_npi, to_provider_id, reasons, visits_allowed, valid, referral_number)
VALUES (1, '1245319599', 1, '{R51.9}', 3, '[2027-03-01, 2027-06-30]', 'REF-1');
INSERT INTO authorizations (patient_id, payer_id, auth_number, service_codes, visits_approved, valid)
SELECT 1, id, 'ABC-PA-1', '{70551, 70553}', 2, '[2027-03-01, 2027-04-30]' FROM payers WHERE name = 'ABC Company';
SELECT book(1, 1, '2027-03-17 13:00Z', 'mri') IS NOT NULL AS mri_booked;
SELECT cancel(book(1, 1, '2027-03-17 15:00Z', 'mri'), 'patient asked to wait');

-- billing: NCCI edits and MUEs (CMS layouts), fees, a clinic's own place of service, a
-- superbill finalized by the scrubber and a draft one
SELECT import_ncci_ptp('v261r0', E'notice\r\nColumn 1\tColumn 2\r\nG0008\tJ1100\t\t20200101\t*\t1\tMisuse of column two code with column one code\r\n') AS ptp_edits;
SELECT import_mue('2020Q4', '2020-10-01', '2020-12-31',
                  E'"notice"\r\nHCPCS/CPT Code,Practitioner Services MUE Values,MUE Adjudication Indicator,MUE Rationale\r\nJ1100,20,3 Date of Service Edit: Clinical,Clinical: Data\r\n') AS mue_codes;
INSERT INTO fee_schedule (code, payer_id, amount) VALUES ('G0008', NULL, 25.00), ('J1100', NULL, 3.50);
INSERT INTO places_of_service (code, name) VALUES ('35', 'Clinic annex');
-- (in force that year only: behaviour.sql expects patient 3 to lack consent to treat in 2027)
SELECT record_consent(3, 'treatment', '2020-11-10 14:00Z', valid_until => '2020-12-31') IS NOT NULL AS consent;
INSERT INTO encounters (patient_id, service_date, rendering_npi, billing_npi, place_of_service, coverage_id)
SELECT 3, '2020-11-10', '1234567893', '1234567893', '11', id FROM coverages WHERE patient_id = 3 AND priority = 1
RETURNING id AS enc \gset
INSERT INTO encounter_diagnoses (encounter_id, seq, code) VALUES (:enc, 1, 'E11.9'), (:enc, 2, 'R05');
INSERT INTO encounter_lines (encounter_id, line, code, pointers) VALUES (:enc, 1, 'G0008', '{1}');
INSERT INTO encounter_lines (encounter_id, line, code, modifiers, pointers, units, ndc, drug_quantity, drug_unit)
VALUES (:enc, 2, 'J1100', '{XU}', '{2,1}', 8, '00009-0047-01', 2, 'ML');
SELECT finalize_encounter(:enc) IS NOT NULL AS finalized;
INSERT INTO encounters (patient_id, service_date, rendering_npi, billing_npi, place_of_service, coverage_id)
SELECT 3, '2020-11-12', '1234567893', '1234567893', '35', id FROM coverages WHERE patient_id = 3 AND priority = 1;

-- cryptographic erase: a protected table with two encrypted columns (ciphertext in the
-- dump, the keys backed up apart: ops_dump_restore.sh imports the vault into each copy)
CREATE TABLE public.lab_results (id int PRIMARY KEY, mrn text NOT NULL, taken date NOT NULL,
                                 result bytea, comment bytea);
SELECT protect('public.lab_results', 'tx_physician', 'mrn', 'taken');
SELECT encrypt_columns('public.lab_results', ARRAY['result', 'comment']);
INSERT INTO public.lab_results
SELECT v.id, v.mrn, v.taken, seal('public.lab_results', v.mrn, v.r), seal('public.lab_results', v.mrn, v.c)
  FROM (VALUES (1, 'MRN-100', DATE '2026-03-02', 'HbA1c 6.1 %', 'repeat in 6 months'),
               (2, 'MRN-200', DATE '2026-03-03', 'LDL 130 mg/dL', NULL)) v(id, mrn, taken, r, c);

-- payments ledger: Margaret pays on account and gets part of it back (ledger_entries; the
-- refund bumps ledger_locks); entries are append-only after a restore too (behaviour.sql)
SELECT post_patient_payment(p.id, 40.00, 'check', '1001') AS on_account FROM patients p WHERE p.given_name = 'Margaret' \gset
SELECT post_refund(:on_account, 15.00, 'check', '1002') IS NOT NULL AS refunded;
-- claims (bill-claim): the practice's claim identity, and an interchange control number used
INSERT INTO claim_providers (npi, entity_type, name, tax_id, taxonomy, address_line1, city, state, zip)
VALUES ('1234567893', 'organization', 'Harbor Family Practice', '043219876', '207Q00000X',
        '100 Harbor St', 'Boston', 'MA', '021101234');
SELECT nextval('claim_interchange_control') > 0 AS control_number_used;
-- records: an access request extended and fulfilled to a third party (a disclosure logged),
-- an amendment request still open (its hold), an accounting request, accesses logged
SELECT receive_access_request(p.id, '2026-03-05', 'third_party', 'Acme Life Insurance', '9 Elm St, Hartford CT',
                              form => 'paper', fee => 6.50) AS roi FROM patients p WHERE p.given_name = 'Margaret' \gset
SELECT extend_record_request(:roi, '2026-05-01', 'records in off-site storage', '2026-03-20') IS NOT NULL AS extended;
SELECT fulfill_record_request(:roi, '2026-04-10', disclosed_by => 'R. Clerk');
SELECT receive_amendment_request(p.id, 'the penicillin allergy is wrong', '2026-03-06') > 0 AS amendment
  FROM patients p WHERE p.given_name = 'Peggy';
SELECT receive_accounting_request(p.id, '2026-04-11') > 0 AS accounting FROM patients p WHERE p.given_name = 'Margaret';
SELECT set_app_user('dr.adams');
SELECT log_access(p.id, 'treatment', 'visit note') FROM patients p WHERE p.given_name IN ('Margaret', 'Peggy');
RESET patsvc.app_user;
