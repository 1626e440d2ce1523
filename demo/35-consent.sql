\echo
\echo '=== 3b. Registration: consent to treat before the visit starts ==='
SET search_path = public, patsvc;
SET TimeZone = 'UTC';
SET datestyle = ISO, YMD;
-- The practice decides that regular visits need consent to treat in force on the visit's date
UPDATE appointment_types SET requires_consent_to_treat = true WHERE code = 'visit';
-- Cy arrives in Berlin for his 10:00 visit: no consent to treat on file, so the front desk cannot
-- check him in (the error names the visit and what is missing, nothing about Cy)
SELECT set_status(id, 'arrived') FROM appointments WHERE patient_id = 3 AND type_id = 1 AND status = 'booked';
-- Cy signed the consent form when he registered, but nobody recorded it: the front desk does now.
-- Bo is a minor: his mother signed his consent to treat and the privacy notice acknowledgement.
SELECT record_consent(3, 'treatment', '2026-11-20 15:00Z', document_ref => 'scan:2026-11-20/0007') AS cy_consent;
SELECT record_consent(2, 'treatment', '2026-09-01 14:00Z', 'guardian', 'Mia Diaz', 'parent') AS bo_consent;
SELECT record_consent(2, 'privacy-notice', '2026-09-01 14:01Z', 'guardian', 'Mia Diaz', 'parent') AS bo_npp;
-- A consent is checked like any other record: the guardian must be named, with a relationship
SELECT record_consent(2, 'release-of-information', '2026-09-01 14:02Z', 'guardian', recipient => 'Lincoln Elementary, school nurse');
-- Now Cy can be checked in
SELECT set_status(id, 'arrived') FROM appointments WHERE patient_id = 3 AND type_id = 1 AND status = 'booked';
SELECT set_status(id, 'checked-in') FROM appointments WHERE patient_id = 3 AND type_id = 1 AND status = 'arrived';
-- In force on a date (a local date): from the day it was signed, not before
SELECT consent_in_force(3, 'treatment', '2027-03-15') AS cy_visit_day, consent_in_force(3, 'treatment', '2026-11-19') AS cy_before_signing,
       consent_in_force(2, 'telehealth', '2027-03-15') AS bo_telehealth;
-- Consents are evidence: they are never edited or deleted, only revoked (once, with a reason)
UPDATE consents SET signer_name = 'Mia Diaz-Lee' WHERE patient_id = 2;
DELETE FROM consents WHERE patient_id = 2;
SELECT revoke_consent(id, 'signed on the wrong form') IS NOT NULL AS revoked FROM consents WHERE patient_id = 2 AND consent_type = 'privacy-notice';
SELECT id, patient_id, consent_type, signed_by, signer_name, signer_relationship, valid_from, valid_until,
       revoked_reason FROM consents ORDER BY id;
