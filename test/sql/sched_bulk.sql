-- Bulk writes: one statement with thousands of distinct keys stays within the
-- lock table (keys share hashed lock buckets), and rows of one statement are
-- checked against each other.
SET search_path = public, patsvc;
\set VERBOSITY default
\set SHOW_CONTEXT never
SET TimeZone = 'UTC';

INSERT INTO locations (id, name, time_zone) VALUES (41, 'Bulk', 'Europe/Berlin');
INSERT INTO providers (id, name) SELECT p, 'Provider ' || p FROM generate_series(41, 140) p;
INSERT INTO patients (id, name) SELECT p, 'Patient ' || p FROM generate_series(1001, 9000) p;
INSERT INTO resources (id, name, kind) SELECT r, 'Room ' || r, 'exam-room' FROM generate_series(41, 140) r;
INSERT INTO appointment_types (id, code, duration_minutes) VALUES (41, 'bulk', 20);
INSERT INTO availability (provider_id, location_id, weekday, starts_local, ends_local)
SELECT p, 41, d, '08:00', '17:00' FROM generate_series(41, 140) p, generate_series(1, 7) d;

-- 8,000 appointments (08:00-17:00 Berlin = 06:00-15:00Z in June, 27 slots a day), 100 providers, 8,000 patients, 100 rooms, in one statement
INSERT INTO appointments (patient_id, provider_id, type_id, starts_at, resources)
SELECT 1001 + i, 41 + i % 100, 41, timestamptz '2027-06-01 06:00Z' + (i / 100 / 27) * interval '1 day'
       + (i / 100 % 27) * interval '20 minutes', ARRAY[41 + i % 100]
FROM generate_series(0, 7999) i;
SELECT count(*) AS booked, count(DISTINCT patient_id) AS patients, min(starts_at), max(starts_at) FROM appointments;
SELECT count(*) AS resource_holds FROM appointment_resources;

-- two rows of one statement that overlap each other: the statement fails as a whole
INSERT INTO appointments (patient_id, provider_id, type_id, starts_at)
VALUES (1001, 41, 41, '2027-06-10 08:00Z'), (1002, 41, 41, '2027-06-10 08:10Z');
SELECT count(*) AS booked_after FROM appointments WHERE starts_at >= '2027-06-10';

SET client_min_messages = warning;
TRUNCATE reminders, reminder_rules, waitlist_offers, waitlist, appointments, appointment_resources, time_off,
         availability, appointment_types, resources, consents, patient_guardians, patients, providers, locations RESTART IDENTITY CASCADE;
RESET client_min_messages;
