-- Coverage, booking rules by appointment type: every requirement and its
-- SQLSTATE, referrals and prior authorizations used by bookings on every
-- write path, visits given back, the coordinator's worklist.
SET search_path = public, patsvc;
\set VERBOSITY default
\set SHOW_CONTEXT never
SET TimeZone = 'UTC';

INSERT INTO locations (id, name, time_zone) VALUES (1, 'Boston', 'America/New_York');
INSERT INTO providers (id, name, npi) VALUES (1, 'Dr Adams', '1234567893'), (2, 'Dr Berg', NULL);
INSERT INTO patients (id, name) VALUES (1, 'Ann'), (2, 'Bob'), (3, 'Cid'), (4, 'Dee');
INSERT INTO appointment_types (id, code, duration_minutes, buffer_before_minutes, buffer_after_minutes,
                               required_resource_kinds, capacity)
VALUES (1, 'visit', 30, 0, 0, '{}', 1), (2, 'covered', 30, 0, 0, '{}', 1), (3, 'verified', 30, 0, 0, '{}', 1),
       (4, 'specialist', 30, 0, 0, '{}', 1), (5, 'mri', 30, 0, 0, '{}', 1);
INSERT INTO availability (provider_id, location_id, weekday, starts_local, ends_local)
SELECT p, 1, d, '00:00', '24:00' FROM generate_series(1, 2) p, generate_series(1, 7) d;
INSERT INTO payers (id, name, x12_payer_id, payer_type)
VALUES (1, 'Acme Health', '60054', 'commercial'), (2, 'Self pay', NULL, 'self_pay'), (3, 'Other Health', '12345', 'commercial');
-- Ann: Acme for 2027; Bob: self-pay; Cid: Acme in March only; Dee: nothing
INSERT INTO coverages (id, patient_id, payer_id, member_id, valid, priority)
VALUES (1, 1, 1, 'A1', '[2027-01-01, 2028-01-01)', 1), (2, 2, 2, NULL, '[2027-01-01, 2028-01-01)', 1),
       (3, 3, 1, 'C1', '[2027-03-01, 2027-04-01)', 1);

-- requirements: bad service codes, authorization without a service code
INSERT INTO appointment_type_requirements (type_id, requires_authorization, service_code) VALUES (5, true, 'MRI');
INSERT INTO appointment_type_requirements (type_id, requires_authorization) VALUES (5, true);
INSERT INTO appointment_type_requirements (type_id, requires_coverage) VALUES (2, true);
INSERT INTO appointment_type_requirements (type_id, requires_verification) VALUES (3, true);
INSERT INTO appointment_type_requirements (type_id, requires_referral, give_back_on_noshow) VALUES (4, true, true);
INSERT INTO appointment_type_requirements (type_id, requires_coverage, requires_authorization, service_code)
VALUES (5, true, true, '70551');

-- a type that requires nothing books as before, and records nothing
SELECT book(4, 1, '2027-03-15 13:00Z', 'visit') IS NOT NULL AS booked_visit;
SELECT count(*) AS recorded FROM appointment_authorizations;

-- coverage: Dee has none (PS540); Bob's self-pay is a coverage; Cid's ends with March
SELECT book(4, 1, '2027-03-15 14:00Z', 'covered');
SELECT book(2, 1, '2027-03-15 14:00Z', 'covered') IS NOT NULL AS self_pay_is_coverage;
SELECT book(3, 1, '2027-04-01 14:00Z', 'covered');
-- the date of service is the local date: 03:30Z on April 1st is still March 31st in Boston
SELECT book(3, 1, '2027-04-01 03:30Z', 'covered') IS NOT NULL AS local_date;
SELECT p.patient_id, x.coverage_id, x.authorization_id, x.referral_id
  FROM appointment_authorizations x JOIN appointments p ON p.id = x.appointment_id ORDER BY p.id;
-- every write path: a plain INSERT, and moving a booking out of the coverage
INSERT INTO appointments (patient_id, provider_id, type_id, starts_at, ends_at, held_from, held_until)
VALUES (4, 1, 2, '2027-03-16 14:00Z', '2027-03-16 14:30Z', '2027-03-16 14:00Z', '2027-03-16 14:30Z');
UPDATE appointments SET starts_at = '2027-04-02 14:00Z' WHERE patient_id = 3;
SELECT reschedule(id, '2027-04-02 14:00Z') FROM appointments WHERE patient_id = 3;
-- a proposed visit needs nothing until it books
INSERT INTO appointments (patient_id, provider_id, type_id, starts_at, ends_at, held_from, held_until, status)
VALUES (4, 1, 2, '2027-03-17 14:00Z', '2027-03-17 14:30Z', '2027-03-17 14:00Z', '2027-03-17 14:30Z', 'proposed');
SELECT set_status(id, 'booked') FROM appointments WHERE patient_id = 4 AND status = 'proposed';

-- verification: Ann has coverage but no verification (PS541); Dee has no coverage at all (PS540 first)
SELECT book(1, 1, '2027-03-15 15:00Z', 'verified');
SELECT book(4, 1, '2027-03-15 15:00Z', 'verified');
SELECT (record_eligibility_manual(1, '2027-03-15', false, 'front desk')).active AS recorded_active;
SELECT book(1, 1, '2027-03-15 15:00Z', 'verified');
SELECT (record_eligibility_manual(1, '2027-03-15', true, 'front desk')).active AS recorded_active;
SELECT book(1, 1, '2027-03-15 15:00Z', 'verified') IS NOT NULL AS verified;

-- referrals: validation of the rows
INSERT INTO referrals (patient_id, referring_npi, to_provider_id, reasons, visits_allowed, valid)
VALUES (1, '1234567893', 1, '{M54.5}', 0, '[2027-03-01, 2027-06-01)');
INSERT INTO referrals (patient_id, referring_npi, reasons, visits_allowed, valid)
VALUES (1, '1234567893', '{M54.5}', 2, '[2027-03-01, 2027-06-01)');
INSERT INTO referrals (patient_id, referring_npi, to_provider_id, reasons, visits_allowed, valid)
VALUES (1, '1234567893', 1, '{M54.5}', 2, '[2027-03-01,)');
INSERT INTO referrals (patient_id, referring_npi, to_provider_id, reasons, visits_allowed, valid)
VALUES (1, '1234567893', 1, '{M5}', 2, '[2027-03-01, 2027-06-01)');
INSERT INTO referrals (patient_id, referring_npi, to_provider_id, reasons, visits_allowed, valid, status)
VALUES (1, '1234567893', 1, '{M54.5}', 2, '[2027-03-01, 2027-06-01)', 'approved');
-- no referral yet (PS542 with the reason)
SELECT book(1, 1, '2027-03-22 14:00Z', 'specialist');
-- Ann: referred to Dr Adams for 2 visits; to any provider of cardiology for 1
INSERT INTO referrals (id, patient_id, referring_npi, to_provider_id, to_specialty, reasons, visits_allowed, valid, referral_number)
VALUES (1, 1, '1234567893', 1, NULL, '{M54.5}', 2, '[2027-03-01, 2027-06-01)', 'R-1'),
       (2, 1, '1234567893', NULL, 'cardiology', '{I10}', 1, '[2027-03-01, 2027-06-01)', 'R-2');
SELECT book(1, 1, '2027-03-22 14:00Z', 'specialist') IS NOT NULL AS first_referred;
SELECT book(1, 1, '2027-03-23 14:00Z', 'specialist') IS NOT NULL AS second_referred;
-- Dr Adams's referral is used up: the specialty one serves any provider, then none is left
SELECT book(1, 1, '2027-03-24 14:00Z', 'specialist') AS specialty_booking \gset
SELECT referral_id FROM appointment_authorizations WHERE appointment_id = :specialty_booking;
SELECT book(1, 2, '2027-03-25 14:00Z', 'specialist');
SELECT referral_id, visits_allowed, visits_used, visits_remaining FROM referral_visits ORDER BY 1;
-- a referral cannot allow fewer visits than are booked (PS545); roles cannot write the counter
UPDATE referrals SET visits_allowed = 1 WHERE id = 1;
-- a no-show of this type gives the visit back; cancelling too
SELECT set_status(a.id, 'noshow') FROM appointments a
 WHERE a.patient_id = 1 AND a.type_id = 4 AND a.starts_at = '2027-03-22 14:00Z';
SELECT cancel(a.id, 'patient called') FROM appointments a
 WHERE a.patient_id = 1 AND a.type_id = 4 AND a.starts_at = '2027-03-24 14:00Z';
SELECT referral_id, visits_used, visits_remaining FROM referral_visits ORDER BY 1;

-- prior authorizations: validation
INSERT INTO authorizations (patient_id, payer_id, auth_number, service_codes, visits_approved, valid)
VALUES (1, 1, 'PA-0', '{70551, MRI}', 1, '[2027-03-01, 2027-04-01)');
INSERT INTO authorizations (patient_id, payer_id, auth_number, service_codes, visits_approved, valid)
VALUES (1, 1, 'PA-0', '{}', 1, '[2027-03-01, 2027-04-01)');
INSERT INTO authorizations (patient_id, payer_id, coverage_id, auth_number, service_codes, visits_approved, valid)
VALUES (1, 1, 2, 'PA-0', '{70551}', 1, '[2027-03-01, 2027-04-01)');
-- none yet: PS543; Dee has no coverage: PS540
SELECT book(1, 1, '2027-03-15 16:00Z', 'mri');
SELECT book(4, 1, '2027-03-15 16:00Z', 'mri');
-- Ann: PA-1 (2 visits, to April 1st) and PA-2 (1 visit, to March 20th: expires first, used first);
-- PA-3 from a payer Ann has no coverage with
INSERT INTO authorizations (id, patient_id, payer_id, coverage_id, auth_number, service_codes, visits_approved, valid)
VALUES (1, 1, 1, 1, 'PA-1', '{70551, 70553}', 2, '[2027-03-01, 2027-04-01)'),
       (2, 1, 1, NULL, 'PA-2', '{70551}', 1, '[2027-03-01, 2027-03-21)'),
       (3, 1, 3, NULL, 'PA-3', '{70551}', 5, '[2027-03-01, 2027-04-01)');
SELECT book(1, 1, '2027-03-15 16:00Z', 'mri') AS mri1 \gset
SELECT authorization_id, coverage_id FROM appointment_authorizations WHERE appointment_id = :mri1;
SELECT book(1, 1, '2027-03-16 16:00Z', 'mri') AS mri2 \gset
SELECT book(1, 1, '2027-03-17 16:00Z', 'mri') AS mri3 \gset
SELECT book(1, 1, '2027-03-18 16:00Z', 'mri');
SELECT authorization_id, visits_approved, visits_used, visits_remaining FROM authorization_visits ORDER BY 1;
-- re-loading a booking that exists (INSERT ... ON CONFLICT (id) DO NOTHING, as a sync job does) takes
-- no visit and is not refused, though every visit is used
INSERT INTO appointments (id, patient_id, provider_id, type_id, location_id, starts_at)
SELECT id, patient_id, provider_id, type_id, location_id, starts_at FROM appointments WHERE id = :mri2
ON CONFLICT (id) DO NOTHING;
SELECT authorization_id AS id, visits_used FROM authorization_visits ORDER BY 1;
-- out of PA-2's dates only PA-1 serves (and it is used up): refused with the reason
SELECT book(1, 1, '2027-03-25 16:00Z', 'mri');
-- rescheduling within the range keeps the visit of the same authorization
SELECT reschedule(:mri1, '2027-03-19 16:00Z') AS mri1b \gset
SELECT authorization_id FROM appointment_authorizations WHERE appointment_id = :mri1b;
SELECT authorization_id AS id, visits_used FROM authorization_visits ORDER BY 1;
-- rescheduling out of PA-2's range: it gives PA-2's visit back, but PA-1 has none left: refused, nothing changes
SELECT reschedule(:mri1b, '2027-03-26 16:00Z');
-- cancelling gives a visit back; then the move out of range takes PA-1's freed visit
SELECT cancel(:mri2, 'not needed');
SELECT reschedule(:mri1b, '2027-03-26 16:00Z') AS mri1c \gset
SELECT authorization_id FROM appointment_authorizations WHERE appointment_id = :mri1c;
SELECT authorization_id AS id, visits_used FROM authorization_visits ORDER BY 1;
-- a plain UPDATE moving a booking re-checks and keeps its authorization when it still covers it
UPDATE appointments SET starts_at = '2027-03-27 16:00Z' WHERE id = :mri1c;
SELECT authorization_id AS id, visits_used FROM authorization_visits ORDER BY 1;
-- deleting an appointment gives its visit back
DELETE FROM appointments WHERE id = :mri3;
SELECT authorization_id AS id, visits_used FROM authorization_visits ORDER BY 1;
-- a no-show of a type that keeps the visit keeps it; entered-in-error gives it back
SELECT set_status(:mri1c, 'noshow');
SELECT authorization_id AS id, visits_used FROM authorization_visits ORDER BY 1;
SELECT set_status(:mri1c, 'entered-in-error');
SELECT authorization_id AS id, visits_used FROM authorization_visits ORDER BY 1;
-- booking again takes the visit given back; an authorization approves at least one visit
SELECT book(1, 1, '2027-03-15 16:00Z', 'mri') IS NOT NULL AS rebooked;
UPDATE authorizations SET visits_approved = 0 WHERE id = 2;
-- what the claim reads
SELECT x.appointment_id = :mri1c AS moved_one, a.auth_number, x.given_back
  FROM appointment_authorizations x JOIN authorizations a ON a.id = x.authorization_id
 ORDER BY x.appointment_id;
-- a deleted authorization named by an appointment: 23503 (the appointment keeps what it used)
DELETE FROM authorizations WHERE id = 2;

-- the worklist (relative to today's date: the rows are moved around it)
UPDATE authorizations SET valid = daterange(current_date, current_date + 10) WHERE id = 2;
UPDATE authorizations SET valid = daterange(current_date - 10, current_date + 40) WHERE id = 1;
SELECT authorization_id, auth_number, last_day - current_date AS days_left, visits_remaining
  FROM authorizations_expiring('30 days');
SELECT authorization_id FROM authorizations_expiring('60 days');
SELECT * FROM authorizations_expiring('-1 day');

-- a refusal caught by an exception block leaves no way to write what a booking uses
DO $$
BEGIN
  BEGIN
    PERFORM patsvc.book(4, 1, '2027-03-20 16:00Z', 'mri');
  EXCEPTION WHEN SQLSTATE 'PS540' THEN
    RAISE NOTICE 'refused: %', SQLERRM;
  END;
  UPDATE patsvc.appointments SET authorization_id = 3 WHERE authorization_id = 1;
END $$;
-- nor can the table's owner write them by hand (PS547), on INSERT or UPDATE
UPDATE appointments SET authorization_id = NULL WHERE id = :mri1c;
INSERT INTO appointments (patient_id, provider_id, type_id, starts_at, coverage_id)
VALUES (2, 1, 1, '2027-03-29 16:00Z', 1);

-- rights: the front desk books a type with requirements without rights on what the trigger writes;
-- nobody writes the visit counters or what a booking used
CREATE ROLE cov_desk IN ROLE patsvc_front_desk;
CREATE ROLE cov_biller IN ROLE patsvc_biller;
SET ROLE cov_desk;
SELECT book(2, 1, '2027-03-18 16:00Z', 'covered') IS NOT NULL AS desk_booked;
UPDATE appointments SET referral_id = 1 WHERE patient_id = 2;
INSERT INTO appointment_authorizations (appointment_id) VALUES (1);
RESET ROLE;
SET ROLE cov_biller;
UPDATE authorizations SET status = 'active' WHERE id = 1;
UPDATE authorizations SET visits_approved = 0 WHERE id = 1;
INSERT INTO authorizations (patient_id, payer_id, auth_number, service_codes, visits_approved, valid)
VALUES (2, 2, 'SP-1', '{99213}', 3, '[2027-03-01, 2027-04-01)') RETURNING auth_number;
SELECT auth_number, visits_used, visits_remaining FROM authorization_visits WHERE auth_number = 'SP-1';
SELECT count(*) AS listed FROM authorizations_expiring('60 days');
DELETE FROM appointment_type_requirements;
RESET ROLE;
DROP OWNED BY cov_desk, cov_biller;
DROP ROLE cov_desk;
DROP ROLE cov_biller;

-- the trigger functions refuse other tables
CREATE TABLE public.not_appointments (id bigint);
CREATE TRIGGER t AFTER INSERT ON public.not_appointments FOR EACH ROW EXECUTE FUNCTION patsvc.appointments_visits();
INSERT INTO public.not_appointments VALUES (1);
DROP TABLE public.not_appointments;

-- nothing of this file stays behind
SET client_min_messages = warning;
TRUNCATE authorizations, referrals, appointment_type_requirements,
         eligibility_verifications, coverages, payers, appointments, appointment_resources, availability,
         appointment_types, patients, providers, locations RESTART IDENTITY CASCADE;
RESET client_min_messages;
