-- A small clinic with every pillar in use, for the operations tests
-- (dump/restore, upgrade): code sets, locations, providers, patients, rooms,
-- hours, time off, types, bookings (one overbooked, a series, a reschedule,
-- a cancellation that made a waitlist offer), reminders (some claimed), a
-- protected table with facts, a hold, a released hold, a destruction with its
-- certificate and tokens, an archive; then what later versions added
-- (clinic_0.2.0.sql: consents).  Up to that part it uses only the 0.1.0 API,
-- so with -v clinic_base_only=1 it also loads into a 0.1.0 database.  Run with
-- psql -v ON_ERROR_STOP=1 -v fixtures=<folder of test/fixtures>.
SET search_path = public, patsvc;
\pset tuples_only on
SET TimeZone = 'UTC';
SET datestyle = ISO, YMD;
\set ON_ERROR_STOP 1

-- code sets
\set f `cat :fixtures/icd10cm-order-2021-sample.txt`
SELECT import_icd10cm_order('FY2021', '2020-10-01', '2021-09-30', :'f') > 0 AS icd_loaded;
\set f22 `cat :fixtures/icd10cm-order-2022-constructed.txt`
SELECT import_icd10cm_order('FY2022', '2021-10-01', '2022-09-30', :'f22') > 0 AS icd22_loaded;
\encoding WIN1252
\set h `cat :fixtures/hcpcs-2020-anweb-sample.txt`
SELECT import_hcpcs('2020', '2020-01-01', '2020-12-31', :'h') > 0 AS hcpcs_loaded;
\encoding UTF8

-- scheduling (ids from the identity columns, so the sequences move)
INSERT INTO locations (name, time_zone) VALUES ('Boston Main St', 'America/New_York'), ('Berlin Mitte', 'Europe/Berlin');
INSERT INTO providers (name, npi) VALUES ('Dr. Alice Adams', '1234567893'), ('Dr. Bernd Berg', NULL);
INSERT INTO patients (name) SELECT 'Patient ' || g FROM generate_series(1, 12) g;
INSERT INTO resources (name, kind, location_id) VALUES ('Exam room 1', 'exam-room', 1), ('Ultrasound', 'ultrasound', 1);
INSERT INTO appointment_types (code, duration_minutes, buffer_after_minutes, required_resource_kinds, capacity)
VALUES ('visit', 20, 0, '{}', 1), ('echo', 30, 10, '{ultrasound}', 1), ('diabetes-class', 60, 0, '{}', 8);
INSERT INTO availability (provider_id, location_id, weekday, starts_local, ends_local)
SELECT 1, 1, d, time '08:00', time '17:00' FROM generate_series(1, 5) d
UNION ALL SELECT 2, 2, d, time '08:00', time '16:00' FROM generate_series(1, 6) d;
INSERT INTO time_off (provider_id, during, reason)
VALUES (2, '[2027-03-17 00:00Z, 2027-03-18 00:00Z)', 'conference');
INSERT INTO reminder_rules (type_id, lead_time, channel) VALUES (1, '1 day', 'sms'), (2, '2 hours', 'sms');

SELECT book(1, 1, '2027-03-15 13:00Z', 'visit') IS NOT NULL AS booked;
SELECT book(2, 1, '2027-03-15 13:20Z', 'echo', '{2}') IS NOT NULL AS booked;
SELECT book(3, 2, '2027-03-15 09:00Z', 'visit') IS NOT NULL AS booked;
SELECT book(6, 1, '2027-03-16 14:00Z', 'visit') IS NOT NULL AS booked;
SELECT book_overbook(5, 1, '2027-03-15 13:00Z', 'visit', '{}', 'urgent: chest pain') IS NOT NULL AS overbooked;
SELECT join_waitlist(4, 1, 'visit', '[2027-03-15 12:00Z, 2027-03-15 16:00Z)') IS NOT NULL AS waiting;
SELECT reschedule(id, '2027-03-15 18:00Z') IS NOT NULL AS rescheduled
FROM appointments WHERE patient_id = 2 AND status = 'booked';
SELECT book_series(3, 1, '2027-03-08 20:00Z', 'diabetes-class', 4) IS NOT NULL AS series;
SELECT set_status(id, 'checked-in') IS NOT NULL AS checked_in FROM appointments WHERE patient_id = 6;
SELECT count(*) > 0 AS claimed FROM claim_due_reminders('2027-03-14 20:00Z', 2);
SELECT count(*) AS offers FROM waitlist_offers;

-- retention
CREATE TABLE public.visit_notes (id int PRIMARY KEY, mrn text NOT NULL, seen date NOT NULL, note text);
CREATE TABLE public.visit_notes_archive (LIKE public.visit_notes);
SELECT protect('public.visit_notes', 'tx_physician', 'mrn', 'seen');
SELECT set_archive('public.visit_notes', 'public.visit_notes_archive');
INSERT INTO retention_patient_facts (patient_id, birth_date, last_encounter) VALUES
  ('MRN-100', '1958-03-14', '2014-06-02'), ('MRN-200', '2011-09-30', '2016-02-11'),
  ('MRN-300', '1984-12-01', '2024-05-20'), ('MRN-400', '1950-01-01', '2010-01-01');
INSERT INTO public.visit_notes VALUES
  (1, 'MRN-100', '2013-01-15', 'hypertension follow-up'), (2, 'MRN-100', '2014-06-02', 'medication review'),
  (3, 'MRN-200', '2016-02-11', 'otitis media'), (4, 'MRN-300', '2024-05-20', 'annual physical'),
  (5, 'MRN-400', '2009-05-05', 'old note'), (6, 'MRN-400', '2010-01-01', 'last visit');
SELECT place_hold('CLAIM-2026-031', 'malpractice claim filed', patient_id => 'MRN-100') IS NOT NULL AS held;
SELECT place_hold('AUDIT-7', 'payer audit', patient_id => 'MRN-200') AS audit_hold \gset
SELECT release_hold(:audit_hold, 'audit closed');
SELECT destroy_due('public.visit_notes', as_of => '2026-12-01', authorized_by => 'HIM manager',
                   method => 'deleted; VACUUM', witness => 'compliance officer') IS NOT NULL AS destroyed;
SELECT id FROM public.visit_notes ORDER BY id;
-- a record due later (its patient's facts arrive after the destruction)
INSERT INTO retention_patient_facts (patient_id, birth_date, last_encounter) VALUES ('MRN-500', '1940-02-02', '2012-03-03');
INSERT INTO public.visit_notes VALUES (7, 'MRN-500', '2012-03-03', 'discharge summary');

-- what later versions add (test/ops/ops_upgrade.sh loads an older version's clinic
-- with -v clinic_base_only=1 and this part after updating it)
\if :{?clinic_base_only}
\else
\ir clinic_0.2.0.sql
\endif
