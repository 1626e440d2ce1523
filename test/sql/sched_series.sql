-- Recurring series: same local time every week across DST, all or nothing,
-- every conflicting occurrence reported.
SET search_path = public, patsvc;
\set VERBOSITY default
\set SHOW_CONTEXT never
SET TimeZone = 'UTC';

INSERT INTO locations (id, name, time_zone) VALUES (21, 'New York', 'America/New_York');
INSERT INTO providers (id, name) VALUES (21, 'Dr Weekly');
INSERT INTO patients (id, name) VALUES (21, 'Sam'), (22, 'Tia');
INSERT INTO appointment_types (id, code, duration_minutes) VALUES (21, 'therapy', 45);
INSERT INTO availability (provider_id, location_id, weekday, starts_local, ends_local)
SELECT 21, 21, d, '08:00', '17:00' FROM generate_series(1, 5) d;

-- Mondays 09:00 New York from 2027-03-01: 14:00Z before DST (03-14), 13:00Z after
SELECT book_series(21, 21, '2027-03-01 14:00Z', 'therapy', 4) AS series;
SELECT starts_at, series_id FROM appointments WHERE patient_id = 21 ORDER BY starts_at;

-- another patient: a series at 10:00 books; one at 09:30 hits Sam twice and her own single visit
-- once: nothing of it is booked and each conflicting occurrence is listed
SELECT book_series(22, 21, '2027-03-01 15:00Z', 'therapy', 3, 7) AS tia_series;
SELECT book(22, 21, '2027-03-29 13:30Z', 'therapy') IS NOT NULL AS tia_single;
SELECT book_series(22, 21, '2027-03-15 13:30Z', 'therapy', 4, 7);
SELECT series_id, count(*) AS rows FROM appointments WHERE patient_id = 22 GROUP BY series_id ORDER BY series_id;
SELECT book_series(22, 21, '2027-03-01 15:00Z', 'therapy', 0);
SELECT book_series(22, 21, '2027-03-01 15:00Z', 'therapy', 2, 7, '{}', 'Mars/Base');

SET client_min_messages = warning;
TRUNCATE reminders, reminder_rules, waitlist_offers, waitlist, appointments, appointment_resources, time_off, availability, appointment_types, resources,
         consents, patient_guardians, patients, providers, locations RESTART IDENTITY CASCADE;
RESET client_min_messages;
SELECT setval('series_id_seq', 1, false) IS NOT NULL AS reset;
