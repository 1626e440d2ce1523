\echo
\echo '=== 3b. Registration: the front desk registers the day''s new patients ==='
SET search_path = public, patsvc;
-- (part 3 wrote its patients with explicit ids; registration numbers after them)
SELECT setval(pg_get_serial_sequence('patsvc.patients', 'id'), (SELECT max(id) FROM patients)) AS last_id \gset
-- A new patient, fields as typed at the desk: normalized, an MRN with a check digit
SELECT * FROM register_patient('Okafor', 'Margaret', '1971-09-23', 'female', mobile_phone => '+1 (617) 555-0173',
                               email => 'M.Okafor@Example.ORG', state => 'ma', zip => '021151234');
SELECT id, mrn, name, mobile_phone, email, state, zip FROM patients WHERE family_name = 'Okafor';
-- She comes back a month later; the new clerk types "Peggy Okafer": caught inside the insert
SELECT * FROM register_patient('Okafer', 'Peggy', '1971-09-23', 'female');
-- Found by the MRN on her card, typed loosely
SELECT patient_by_mrn(lower(mrn)) AS found FROM patients WHERE family_name = 'Okafor';
-- A mistyped MRN is caught by its check digit
SELECT patient_by_mrn('P000000019');
-- Twins: same birth date and phone, different given names: not flagged
SELECT patient_mrn FROM register_patient('Okafor', 'Daniel', '2015-04-02', 'male', home_phone => '617 555 0199');
SELECT patient_mrn FROM register_patient('Okafor', 'Grace', '2015-04-02', 'female', home_phone => '617 555 0199');
-- Same name and birth date as a registered patient, but a different person: the clerk confirms
SELECT * FROM register_patient('Okafor', 'Daniel', '2015-04-02', 'male');
SELECT patient_mrn IS NOT NULL AS registered FROM register_patient('Okafor', 'Daniel', '2015-04-02', 'male', confirm_new => true);
SELECT id, mrn, distinct_confirmed_by FROM patients WHERE given_name = 'Daniel' ORDER BY id;
-- A change of address is kept with who made it
SELECT update_patient(id, '{"address_line1": "12 Elm St", "city": "Boston"}') FROM patients WHERE family_name = 'Okafor' AND given_name = 'Margaret';
SELECT changed_by, old_values, new_values FROM patient_changes ORDER BY id;
-- Another clerk registered "Peggy Okafer" anyway (confirm_new) and booked her a visit; records staff
-- find the duplicate and merge her into Margaret: the visit moves, her MRN keeps finding Margaret,
-- the merge is audited, and nothing new can be written for the merged record
SELECT patient_id AS peggy, patient_mrn AS peggy_mrn
  FROM register_patient('Okafer', 'Peggy', '1971-09-23', 'female', confirm_new => true) \gset
SELECT book(:peggy, 1, '2027-03-18 18:00Z', 'visit') AS peggy_visit \gset
SELECT merge_patients(id, :peggy, 'same person: Peggy is a nickname of Margaret, family name misspelled') AS merge_id
  FROM patients WHERE family_name = 'Okafor' AND given_name = 'Margaret';
SELECT id, patient_id, starts_at FROM appointments WHERE id = :peggy_visit;
SELECT patient_by_mrn(:'peggy_mrn') AS peggy_card_finds, (SELECT id FROM patients WHERE given_name = 'Margaret') AS margaret;
SELECT survivor, duplicate, reason, merged_by, moved FROM patient_merges;
SELECT book(:peggy, 1, '2027-03-19 18:00Z', 'visit');
