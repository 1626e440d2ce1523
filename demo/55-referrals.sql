\echo
\echo '=== 5b. Referrals and prior authorizations: what a booking of each type needs ==='
SET search_path = public, patsvc;
SET TimeZone = 'UTC';
SET datestyle = ISO, YMD;
SELECT id AS margaret FROM patients WHERE given_name = 'Margaret' AND family_name = 'Okafor' \gset
SELECT id AS abc FROM payers WHERE name = 'ABC Company' \gset
-- The admin says what each type needs: a brain MRI (billed as CPT 70551) needs coverage in force,
-- a referral and the payer's prior authorization; a no-show keeps the visit it used
INSERT INTO appointment_types (id, code, duration_minutes, required_resource_kinds, capacity)
VALUES (10, 'mri-brain', 40, '{}', 1);
INSERT INTO appointment_type_requirements (type_id, requires_coverage, requires_referral, requires_authorization,
                                           service_code)
VALUES (10, true, true, true, '70551');
-- Without a referral, the booking is refused and the message says what is missing
SELECT book(:margaret, 1, '2027-03-16 14:00Z', 'mri-brain');
-- Margaret's GP (NPI 1245319599) refers her to Dr. Adams for headaches (R51.9), 3 visits until June
INSERT INTO referrals (patient_id, referring_npi, to_provider_id, reasons, visits_allowed, valid, referral_number)
VALUES (:margaret, '1245319599', 1, '{R51.9}', 3, '[2027-03-01, 2027-06-30]', 'REF-2027-0042')
RETURNING id AS referral, referral_number \gset
-- Still refused: ABC has not authorized the MRI yet (the detail says why)
SELECT book(:margaret, 1, '2027-03-16 14:00Z', 'mri-brain');
-- ABC authorizes 2 MRIs (70551, 70553) in March and April
INSERT INTO authorizations (patient_id, payer_id, auth_number, service_codes, visits_approved, valid)
VALUES (:margaret, :abc, 'ABC-PA-77123', '{70551, 70553}', 2, '[2027-03-01, 2027-04-30]')
RETURNING id AS authorization, auth_number \gset
-- The first MRI books, and uses one visit of the authorization and of the referral
SELECT book(:margaret, 1, '2027-03-16 14:00Z', 'mri-brain') AS first_mri \gset
SELECT auth_number, visits_approved, visits_used, visits_remaining FROM authorization_visits WHERE authorization_id = :authorization;
-- The follow-up MRI takes the last visit: what the claim will read is recorded with the booking
SELECT book(:margaret, 1, '2027-04-13 14:00Z', 'mri-brain') AS follow_up \gset
SELECT x.appointment_id, a.auth_number, r.referral_number, r.referring_npi, c.member_id
  FROM appointment_authorizations x
  JOIN authorizations a ON a.id = x.authorization_id
  JOIN referrals r ON r.id = x.referral_id
  JOIN coverages c ON c.id = x.coverage_id
 WHERE x.appointment_id IN (:first_mri, :follow_up) ORDER BY 1;
-- A third MRI is refused: both approved visits are booked
SELECT book(:margaret, 1, '2027-04-20 14:00Z', 'mri-brain');
-- Margaret cancels the follow-up: its visit goes back to the authorization (and the referral) ...
SELECT cancel(:follow_up, 'patient asked to wait');
SELECT auth_number, visits_used, visits_remaining FROM authorization_visits WHERE authorization_id = :authorization;
SELECT referral_number, visits_used, visits_remaining FROM referral_visits WHERE referral_id = :referral;
-- ... so the later date books now
SELECT book(:margaret, 1, '2027-04-20 14:00Z', 'mri-brain') IS NOT NULL AS booked_later;
-- Moving the first MRI within the authorization's dates keeps its visit (reschedule books anew)
SELECT reschedule(:first_mri, '2027-03-17 14:00Z') AS moved_mri \gset
SELECT auth_number, visits_used, visits_remaining FROM authorization_visits WHERE authorization_id = :authorization;
-- The coordinator's worklist: authorizations whose dates end within 60 days of today (none in 2026)
SELECT * FROM authorizations_expiring('60 days');
