-- Buffers (turnover time) are held by the provider and the room, not by the
-- patient: a booking inside the previous visit's after-buffer is refused, one
-- right after it is fine, and free_slots leaves out a slot whose own buffers
-- would reach into a booking.  (A mutation run found no test that failed
-- when the overlap check or free_slots ignored buffers.)
SET search_path = public, patsvc;
SET TimeZone = 'UTC';
SET DateStyle = ISO, YMD;
\set VERBOSITY default
\set SHOW_CONTEXT never
INSERT INTO locations (id, name, time_zone) VALUES (961, 'Buffer clinic', 'UTC');
INSERT INTO providers (id, name) VALUES (961, 'Dr. Buffer'), (962, 'Dr. Other');
INSERT INTO patients (id, name) SELECT g, 'Buffer patient ' || g FROM generate_series(961, 964) g;
INSERT INTO appointment_types (id, code, duration_minutes, buffer_before_minutes, buffer_after_minutes)
VALUES (961, 'buf-clean', 30, 0, 15), (962, 'buf-prep', 30, 10, 0), (963, 'buf-none', 30, 0, 0);
INSERT INTO availability (provider_id, location_id, weekday, starts_local, ends_local)
VALUES (961, 961, 1, '08:00', '12:00'), (962, 961, 1, '08:00', '12:00');   -- Mondays

-- 09:00-09:30 visit, provider and room held until 09:45
SELECT book(961, 961, '2027-03-15 09:00Z', 'buf-clean') IS NOT NULL AS booked;
SELECT held_from, held_until FROM appointments WHERE provider_id = 961;
-- inside the after-buffer: refused for the provider (another patient)
SELECT book(962, 961, '2027-03-15 09:40Z', 'buf-none');
-- right at its end: fine
SELECT book(962, 961, '2027-03-15 09:45Z', 'buf-none') IS NOT NULL AS booked_after_buffer;
-- 10:20-10:50 (no buffers), then a visit whose own before-buffer (10 minutes) would reach
-- back into it: refused at 10:55 (held from 10:45), fine at 11:00 (held from 10:50)
SELECT book(963, 961, '2027-03-15 10:20Z', 'buf-none') IS NOT NULL AS booked_10_20;
SELECT book(964, 961, '2027-03-15 10:55Z', 'buf-prep');
SELECT book(964, 961, '2027-03-15 11:00Z', 'buf-prep') IS NOT NULL AS booked_11_00;
-- the patient is not held by buffers: seen by another provider right when the visit ends
SELECT book(961, 962, '2027-03-15 09:30Z', 'buf-none') IS NOT NULL AS patient_free_after_visit;
SELECT provider_id, held_from, held_until, starts_at, ends_at FROM appointments
WHERE provider_id IN (961, 962) ORDER BY starts_at, provider_id;

-- free_slots of a buffered type: a candidate's own buffers must not reach into a booking
-- (buf-clean at 08:30 would hold until 09:15, into the 09:00 visit: not offered; buf-prep
-- at 11:30 would be held from 11:20, into the 11:00 one: not offered)
SELECT * FROM free_slots(961, '[2027-03-15 08:00Z, 2027-03-15 12:00Z)', 'buf-clean');
SELECT * FROM free_slots(961, '[2027-03-15 08:00Z, 2027-03-15 12:00Z)', 'buf-prep');
SELECT * FROM free_slots(961, '[2027-03-15 08:00Z, 2027-03-15 12:00Z)', 'buf-none');

-- the next file starts from an empty schedule, with ids from 1
SET client_min_messages = warning;
TRUNCATE reminders, reminder_rules, waitlist_offers, waitlist, appointments, appointment_resources, time_off,
         availability, appointment_types, resources, consents, patient_guardians, patients, providers, locations RESTART IDENTITY CASCADE;
RESET client_min_messages;
