\echo
\echo '=== 5. Coverage: payers, a family''s plan, eligibility verified from a 271 ==='
SET search_path = public, patsvc;
SET TimeZone = 'UTC';
SET datestyle = ISO, YMD;
-- The admin keeps the payers: a commercial plan (its X12 payer id), Medicare, and self-pay
INSERT INTO payers (name, x12_payer_id, payer_type) VALUES ('ABC Company', '841610001', 'commercial'),
  ('Medicare Part B', '12502', 'medicare'), ('Self-pay', NULL, 'self_pay')
RETURNING id, name, x12_payer_id, payer_type;
SELECT id AS abc FROM payers WHERE name = 'ABC Company' \gset
SELECT id AS margaret FROM patients WHERE given_name = 'Margaret' AND family_name = 'Okafor' \gset
SELECT min(id) AS daniel FROM patients WHERE given_name = 'Daniel' AND family_name = 'Okafor' \gset
-- Margaret holds the plan (relationship 18: the patient is the subscriber); Daniel, 11, is on it as
-- her child (19: the patient is the subscriber's child, so the subscriber named is Margaret)
INSERT INTO coverages (patient_id, payer_id, member_id, group_number, valid, priority)
VALUES (:margaret, :abc, '123456789', 'GOLD-123', '[2026-01-01,)', 1) RETURNING id AS margaret_coverage \gset
INSERT INTO coverages (patient_id, payer_id, member_id, group_number, valid, priority, subscriber_relationship,
                       subscriber_family, subscriber_given, subscriber_birth_date, subscriber_sex)
VALUES (:daniel, :abc, '123456789-02', 'GOLD-123', '[2026-01-01,)', 1, '19', 'Okafor', 'Margaret', '1971-09-23', 'female')
RETURNING id AS daniel_coverage \gset
-- the direction inverted (the "parent" younger than the child) is caught
INSERT INTO coverages (patient_id, payer_id, member_id, valid, priority, subscriber_relationship, subscriber_family,
                       subscriber_given, subscriber_birth_date)
VALUES (:margaret, :abc, '123456789', '[2026-01-01,)', 2, '19', 'Okafor', 'Daniel', '2015-04-02');
-- a second primary plan in force on the same days is refused (end the first one, or make it secondary)
INSERT INTO coverages (patient_id, payer_id, member_id, valid, priority)
VALUES (:margaret, :abc, 'X-555', '[2027-01-01,)', 1);
-- a Medicare member id must be an MBI
INSERT INTO coverages (patient_id, payer_id, member_id, valid, priority)
SELECT :margaret, id, '123-45-6789A', '[2026-01-01,)', 2 FROM payers WHERE payer_type = 'medicare';
SELECT id, payer_id, member_id, subscriber_relationship, priority FROM coverage_on(:margaret, '2027-03-18');

-- The front desk verifies Margaret's eligibility for her visit on 2027-03-18: the payer's 271 is
-- parsed and stored with its raw text: the plan is active, a $10.00 copay per office visit in network
\set demo271 `cat test/fixtures/x12/demo.271`
SELECT service_date, source, trace_number, active, plan_begin, copay, rejection_code
  FROM record_eligibility_271(:margaret_coverage, :'demo271', '2027-03-18');
-- a damaged 271 is refused, naming the segment and element, and nothing is stored
SELECT record_eligibility_271(:margaret_coverage, replace(:'demo271', '*27*10.00*', '*27*10,00*'), '2027-03-18');
-- Daniel's is checked by phone
SELECT service_date, source, checked_by, trace_number, active, copay, deductible_remaining
  FROM record_eligibility_manual(:daniel_coverage, '2027-03-18', true, 'Front desk (phone)', copay => 10,
                                 deductible => 500, deductible_remaining => 320, reference => 'CALL-88121');
-- What the front desk sees at check-in: the latest verification good for the day (30 days by default)
SELECT v.coverage_id, v.service_date, v.source, v.active, v.copay
  FROM eligibility_on(:margaret, '2027-03-18') v;
SELECT count(*) AS still_good_a_month_later FROM eligibility_on(:margaret, '2027-04-18');
