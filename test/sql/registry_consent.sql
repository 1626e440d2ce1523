-- Consent records (registry) and the consent-to-treat gate on appointments:
-- every rule and its error, revocation, in force on dates, the gate on a
-- status change and on a direct INSERT, time zones, privileges.
SET search_path = public, patsvc;
\set VERBOSITY default
\set SHOW_CONTEXT never
SET TimeZone = 'UTC';

INSERT INTO locations (id, name, time_zone) VALUES (1, 'Boston', 'America/New_York'), (2, 'Berlin', 'Europe/Berlin');
INSERT INTO providers (id, name) VALUES (1, 'Dr Adams'), (2, 'Dr Berg');
INSERT INTO patients (id, name) VALUES (1, 'Ann'), (2, 'Bob'), (3, 'Cid'), (4, 'Dee'), (5, 'Eve'), (6, 'Fay');
-- a new column of appointment types, false unless set
INSERT INTO appointment_types (id, code, duration_minutes) VALUES (1, 'visit', 30), (2, 'flu-shot', 10);
SELECT code, requires_consent_to_treat FROM appointment_types ORDER BY id;
UPDATE appointment_types SET requires_consent_to_treat = true WHERE code = 'visit';
-- Boston every day 08:00-24:00 New York time, Berlin every day 08:00-17:00
INSERT INTO availability (provider_id, location_id, weekday, starts_local, ends_local)
SELECT 1, 1, d, time '08:00', time '24:00' FROM generate_series(1, 7) d
UNION ALL SELECT 2, 2, d, time '08:00', time '17:00' FROM generate_series(1, 7) d;

-- ---- recording --------------------------------------------------------------
-- the patient signs alone; a guardian or representative is named with a relationship
SELECT record_consent(1, 'treatment', '2026-06-01 15:00Z') AS ann_treatment;
SELECT record_consent(2, 'treatment', '2026-06-01 15:00Z', 'guardian', 'Mia Lopez', 'parent',
                      document_ref => 'scan:2026-06-01/0042') AS bob_treatment_by_parent;
SELECT record_consent(3, 'treatment', '2026-05-01 10:00Z', 'representative', 'Sam Park', 'power-of-attorney',
                      valid_from => '2026-05-03', valid_until => '2026-12-31') AS cid_treatment_for_2026;
SELECT record_consent(1, 'release-of-information', '2026-06-01 15:05Z', recipient => 'Dr Ruth Ortho, Mass General')
  AS ann_roi;
SELECT record_consent(1, 'privacy-notice', '2026-06-01 15:06Z') AS ann_npp;
SELECT record_consent(4, 'privacy-notice', '2026-06-01 15:06Z') AS dee_npp_only;
SELECT record_consent(1, 'financial-responsibility', '2026-06-01 15:07Z') AS ann_financial;
SELECT record_consent(1, 'telehealth', '2026-06-01 15:08Z', valid_until => '2026-11-30') AS ann_telehealth;
SELECT id, patient_id, consent_type, recipient, signed_at, signed_by, signer_name, signer_relationship,
       valid_from, valid_until, document_ref, revoked_at, recorded_by = session_user AS recorded_by_me
FROM consents ORDER BY id;
-- valid_from is the date of signing in the session's time zone: 02:00Z on June 2 is June 1 in New York
SET TimeZone = 'America/New_York';
SELECT record_consent(5, 'privacy-notice', '2026-06-02 02:00Z') AS eve_npp \gset
SET TimeZone = 'UTC';
SELECT record_consent(5, 'financial-responsibility', '2026-06-02 02:00Z') AS eve_financial \gset
SELECT id, signed_at, valid_from FROM consents WHERE id IN (:eve_npp, :eve_financial) ORDER BY id;

-- every rule, by record_consent: PS403 names what is wrong; nothing is written
SELECT count(*) AS consents_before_errors FROM consents;
SELECT record_consent(NULL, 'treatment', '2026-06-01 15:00Z');
SELECT record_consent(1, 'surgery', '2026-06-01 15:00Z');
SELECT record_consent(1, NULL, '2026-06-01 15:00Z');
SELECT record_consent(1, 'release-of-information', '2026-06-01 15:00Z');
SELECT record_consent(1, 'release-of-information', '2026-06-01 15:00Z', recipient => '  ');
SELECT record_consent(1, 'treatment', '2026-06-01 15:00Z', recipient => 'Dr Ruth Ortho');
SELECT record_consent(1, 'treatment', NULL);
SELECT record_consent(1, 'treatment', 'infinity');
SELECT record_consent(1, 'treatment', clock_timestamp() + interval '1 hour');
SELECT record_consent(1, 'treatment', '2026-06-01 15:00Z', 'neighbour');
SELECT record_consent(1, 'treatment', '2026-06-01 15:00Z', NULL);
SELECT record_consent(1, 'treatment', '2026-06-01 15:00Z', 'patient', 'Ann');
SELECT record_consent(1, 'treatment', '2026-06-01 15:00Z', 'patient', NULL, 'parent');
SELECT record_consent(2, 'treatment', '2026-06-01 15:00Z', 'guardian');
SELECT record_consent(2, 'treatment', '2026-06-01 15:00Z', 'guardian', ' ', 'parent');
SELECT record_consent(2, 'treatment', '2026-06-01 15:00Z', 'guardian', 'Mia Lopez');
SELECT record_consent(2, 'treatment', '2026-06-01 15:00Z', 'guardian', 'Mia Lopez', 'mother');
SELECT record_consent(1, 'treatment', '2026-06-01 15:00Z', valid_from => '2026-05-31');
SELECT record_consent(1, 'treatment', '2026-06-01 15:00Z', valid_from => '-infinity');
SELECT record_consent(1, 'treatment', '2026-06-01 15:00Z', valid_until => '2026-05-31');
SELECT record_consent(1, 'treatment', '2026-06-01 15:00Z', valid_until => 'infinity');
SELECT record_consent(1, 'treatment', '2026-06-01 15:00Z', document_ref => '');
SELECT record_consent(99, 'treatment', '2026-06-01 15:00Z');
-- the same rules for a plain INSERT: a revocation cannot come with the consent; patsvc sets who and when
INSERT INTO consents (patient_id, consent_type, signed_at, signed_by) VALUES (1, 'surgery', '2026-06-01 15:00Z', 'patient');
INSERT INTO consents (patient_id, consent_type, signed_at, signed_by, revoked_at, revoked_reason)
VALUES (1, 'treatment', '2026-06-01 15:00Z', 'patient', '2026-06-02 15:00Z', 'withdrawn');
INSERT INTO consents (patient_id, consent_type, signed_at, signed_by, recorded_by, recorded_at)
VALUES (6, 'privacy-notice', '2026-06-01 15:00Z', 'patient', 'someone_else', '2020-01-01')
RETURNING id, valid_from, recorded_by = session_user AS recorded_by_me, recorded_at = now() AS recorded_now;
SELECT count(*) AS consents_after_errors FROM consents;

-- ---- consents are evidence -----------------------------------------------------
UPDATE consents SET consent_type = 'telehealth' WHERE id = 1;
UPDATE consents SET valid_until = '2026-12-31' WHERE id = 1;
UPDATE consents SET revoked_reason = 'no time given' WHERE id = 1;
UPDATE consents SET revoked_at = '2026-09-01 12:00Z', revoked_reason = 'withdrawn', valid_until = '2026-09-01' WHERE id = 1;
DELETE FROM consents WHERE id = 1;
TRUNCATE consents;
SET client_min_messages = warning;   -- quiet: the tables it cascades to grow as areas refer to patients
TRUNCATE consents, patients CASCADE;
RESET client_min_messages;
-- revoking: a time after the signature and not in the future, a reason; then never again
UPDATE consents SET revoked_at = '2026-05-31 12:00Z', revoked_reason = 'withdrawn' WHERE id = 1;
UPDATE consents SET revoked_at = '2999-01-01 00:00Z', revoked_reason = 'withdrawn' WHERE id = 1;
UPDATE consents SET revoked_at = '-infinity', revoked_reason = 'withdrawn' WHERE id = 1;
UPDATE consents SET revoked_at = '2026-09-01 12:00Z' WHERE id = 1;
UPDATE consents SET revoked_at = '2026-09-01 12:00Z', revoked_reason = ' ' WHERE id = 1;
-- 23:30 in New York on September 1 is September 2 in UTC: the revoking session's date counts
SET TimeZone = 'America/New_York';
UPDATE consents SET revoked_at = '2026-09-02 03:30Z', revoked_reason = 'withdrawn in writing' WHERE id = 1
RETURNING id, revoked_on, revoked_reason, revoked_by = session_user AS revoked_by_me;
SET TimeZone = 'UTC';
UPDATE consents SET revoked_at = NULL, revoked_reason = NULL WHERE id = 1;
UPDATE consents SET revoked_at = '2026-09-03 12:00Z', revoked_reason = 'again' WHERE id = 1;
SELECT revoke_consent(1, 'again');
-- revoke_consent: now, with a reason, for a known consent
SELECT revoke_consent(:eve_npp, NULL);
SELECT revoke_consent(:eve_npp, '');
SELECT revoke_consent(NULL, 'withdrawn');
SELECT revoke_consent(999, 'withdrawn');
SELECT r >= now() AND r <= clock_timestamp() AS revoked_now FROM revoke_consent(:eve_npp, 'withdrawn by phone') r;
SELECT revoked_on = current_date AS today, revoked_reason, revoked_by = session_user AS by_me
FROM consents WHERE id = :eve_npp;
SELECT revoke_consent(:eve_npp, 'withdrawn again');

-- ---- in force on a date --------------------------------------------------------------
-- Cid: 2026-05-03 .. 2026-12-31; Ann: from 2026-06-01, revoked on 2026-09-01 (New York date)
SELECT d, consent_in_force(3, 'treatment', d) AS cid, consent_in_force(1, 'treatment', d) AS ann,
       consent_in_force(2, 'treatment', d) AS bob, consent_in_force(4, 'treatment', d) AS dee_none
FROM unnest('{2026-05-02,2026-05-03,2026-05-31,2026-06-01,2026-08-31,2026-09-01,2026-12-31,2027-01-01}'::date[]) d;
-- another type does not count: Ann's privacy-notice and release are still in force, her telehealth ended
SELECT consent_in_force(1, 'privacy-notice', '2027-03-15') AS npp, consent_in_force(1, 'release-of-information', '2027-03-15') AS roi,
       consent_in_force(1, 'telehealth', '2026-11-30') AS tele_last_day, consent_in_force(1, 'telehealth', '2026-12-01') AS tele_after;
SELECT consent_in_force(1, 'surgery', '2027-03-15');
SELECT consent_in_force(1, NULL, '2027-03-15') AS null_type, consent_in_force(NULL, 'treatment', '2027-03-15') AS null_patient;
SELECT consent_in_force(99, 'treatment', '2027-03-15') AS unknown_patient, consent_in_force(2, 'treatment', 'infinity') AS at_infinity;

-- ---- the gate: consent to treat before arrived / checked-in ------------------------------------
-- 2027-03-15 is a Monday; 13:00Z is 09:00 in New York
SELECT book(2, 1, '2027-03-15 13:00Z', 'visit') AS bob_visit \gset
SELECT book(4, 1, '2027-03-15 14:00Z', 'visit') AS dee_visit \gset
SELECT book(4, 1, '2027-03-15 14:30Z', 'flu-shot') AS dee_flu \gset
SELECT book(1, 1, '2027-03-15 15:00Z', 'visit') AS ann_visit \gset
SELECT book(3, 1, '2027-03-15 16:00Z', 'visit') AS cid_visit \gset
-- Bob's parent consented: arrived, checked-in, fulfilled
SELECT set_status(:bob_visit, 'arrived');
SELECT set_status(:bob_visit, 'checked-in');
SELECT set_status(:bob_visit, 'fulfilled');
-- Dee only acknowledged the privacy notice: no consent to treat, whatever the status
SELECT set_status(:dee_visit, 'arrived');
SELECT set_status(:dee_visit, 'checked-in');
SELECT set_status(:dee_visit, 'fulfilled');
UPDATE appointments SET status = 'checked-in' WHERE id = :dee_visit;
-- a type that does not require consent
SELECT set_status(:dee_flu, 'checked-in');
-- Ann revoked hers, Cid's ended on 2026-12-31; a status that is not a check-in needs none
SELECT set_status(:ann_visit, 'arrived');
SELECT set_status(:cid_visit, 'checked-in');
SELECT set_status(:ann_visit, 'noshow');
-- with consent recorded, the same check-in goes through
SELECT record_consent(4, 'treatment', '2026-06-01 15:00Z') AS dee_treatment;
SELECT set_status(:dee_visit, 'checked-in');
SELECT id, patient_id, status FROM appointments ORDER BY id;
-- the visit's date is local to its location: 02:00Z on March 16 is 22:00 on March 15 in New York,
-- and Eve's consent ends on March 15
SELECT record_consent(5, 'treatment', '2026-06-01 15:00Z', valid_until => '2027-03-15') AS eve_treatment \gset
SELECT book(5, 1, '2027-03-16 02:00Z', 'visit') AS eve_late \gset
SELECT book(5, 1, '2027-03-16 12:00Z', 'visit') AS eve_next_day \gset
SELECT set_status(:eve_late, 'checked-in');
SELECT set_status(:eve_next_day, 'checked-in');
-- once checked in, the visit is fulfilled even if the consent was revoked meanwhile
SELECT revoke_consent(:eve_treatment, 'withdrawn after the visit') IS NOT NULL AS revoked;
SELECT set_status(:eve_late, 'fulfilled');
SELECT status FROM appointments WHERE id = :eve_late;
-- the gate also guards a visit written directly as arrived, checked-in or fulfilled
INSERT INTO appointments (patient_id, provider_id, type_id, starts_at, status) VALUES (6, 1, 1, '2027-03-17 13:00Z', 'arrived');
INSERT INTO appointments (patient_id, provider_id, type_id, starts_at, status) VALUES (6, 1, 1, '2027-03-17 13:00Z', 'fulfilled');
INSERT INTO appointments (patient_id, provider_id, type_id, starts_at, status) VALUES (6, 1, 2, '2027-03-17 13:00Z', 'arrived')
RETURNING patient_id, status;
INSERT INTO appointments (patient_id, provider_id, type_id, starts_at, status) VALUES (4, 1, 1, '2027-03-17 14:00Z', 'checked-in')
RETURNING patient_id, status;
-- a visit that does not start yet needs no consent
INSERT INTO appointments (patient_id, provider_id, type_id, starts_at, status) VALUES (6, 1, 1, '2027-03-17 15:00Z', 'pending')
RETURNING patient_id, status;
-- a change of another column of a checked-in visit is not a check-in
UPDATE appointments SET priority = 'urgent' WHERE patient_id = 4 AND status = 'checked-in' AND starts_at = '2027-03-17 14:00Z'
RETURNING patient_id, priority;

-- ---- privileges: the front desk records and revokes; the scheduler checks in without reading consents ----
CREATE ROLE regress_consent_desk LOGIN IN ROLE patsvc_front_desk;
CREATE ROLE regress_consent_sched LOGIN IN ROLE patsvc_scheduler;
CREATE ROLE regress_consent_biller LOGIN IN ROLE patsvc_biller;
SET ROLE regress_consent_desk;
SELECT record_consent(6, 'treatment', '2026-06-01 15:00Z') AS fay_treatment \gset
SELECT consent_type, recorded_by = session_user AS recorded_by_me FROM consents WHERE id = :fay_treatment;
SELECT revoke_consent(:fay_treatment, 'signed the wrong form') IS NOT NULL AS revoked;
UPDATE consents SET document_ref = 'scan:x' WHERE id = :fay_treatment;
DELETE FROM consents WHERE id = :fay_treatment;
SELECT record_consent(6, 'treatment', '2026-06-01 15:10Z') IS NOT NULL AS fay_treatment_again;
RESET ROLE;
SET ROLE regress_consent_sched;
SELECT count(*) FROM consents;
SELECT consent_in_force(6, 'treatment', '2027-03-18') AS fay_in_force;
SELECT book(6, 1, '2027-03-18 13:00Z', 'visit') AS fay_visit \gset
SELECT set_status(:fay_visit, 'checked-in');
SELECT record_consent(6, 'telehealth', '2026-06-01 15:00Z');
RESET ROLE;
SET ROLE regress_consent_biller;
SELECT consent_in_force(6, 'treatment', '2027-03-18') AS fay_in_force;
SELECT count(*) FROM consents;
RESET ROLE;

-- trigger functions refuse other tables (PS001)
CREATE TABLE consent_lookalike (id int);
CREATE TRIGGER lookalike BEFORE INSERT ON consent_lookalike FOR EACH ROW EXECUTE FUNCTION patsvc.consents_guard();
INSERT INTO consent_lookalike VALUES (1);
DROP TRIGGER lookalike ON consent_lookalike;
CREATE TRIGGER lookalike BEFORE INSERT ON consent_lookalike FOR EACH ROW EXECUTE FUNCTION patsvc.appointments_consent_gate();
INSERT INTO consent_lookalike VALUES (1);
DROP TABLE consent_lookalike;

-- nothing of this file stays behind: consents go only with session_replication_role = replica
-- (what restores use; the guard does not fire), and an empty consents table may be truncated
DROP ROLE regress_consent_desk, regress_consent_sched, regress_consent_biller;
SET session_replication_role = replica;
DELETE FROM consents;
RESET session_replication_role;
SET client_min_messages = warning;
TRUNCATE reminders, reminder_rules, waitlist_offers, waitlist, appointments, appointment_resources, time_off, availability,
         appointment_types, resources, consents, patient_guardians, patients, providers, locations RESTART IDENTITY CASCADE;
RESET client_min_messages;
