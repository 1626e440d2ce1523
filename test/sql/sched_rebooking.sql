-- Changes that touch booked visits (issue 17, section 4): time off, changed or
-- removed hours, a longer type or a changed resource kind that would leave
-- future booked visits outside the rules is refused with PS211 listing their
-- ids; patsvc.apply_schedule_change applies it anyway, flags them
-- (needs_rebooking) and returns them; appointments_needing_rebooking() lists
-- them until they are moved or cancelled.
SET search_path = public, patsvc;
\set VERBOSITY default
\set SHOW_CONTEXT never
SET TimeZone = 'UTC';

INSERT INTO locations (id, name, time_zone) VALUES (1, 'Boston', 'America/New_York');
INSERT INTO providers (id, name) VALUES (1, 'Dr One'), (2, 'Dr Two');
INSERT INTO patients (id, name) VALUES (1, 'Ann'), (2, 'Bob'), (3, 'Cid');
INSERT INTO resources (id, name, kind) VALUES (1, 'Room 1', 'exam-room'), (2, 'Echo', 'ultrasound');
INSERT INTO appointment_types (id, code, duration_minutes, required_resource_kinds)
VALUES (1, 'visit', 30, '{}'), (2, 'room', 30, '{exam-room}');
-- 08:00 to 17:00 local (EDT, UTC-4 in these weeks) every day
INSERT INTO availability (id, provider_id, location_id, weekday, starts_local, ends_local)
SELECT 10 * p + d, p, 1, d, '08:00', '17:00' FROM generate_series(1, 2) p, generate_series(1, 7) d;
SELECT setval(pg_get_serial_sequence('patsvc.availability', 'id'), 100);
-- Monday 2027-03-15: 10:00 and 11:00 local with Dr One, 15:00 local in room 1 with Dr Two
INSERT INTO appointments (id, patient_id, provider_id, type_id, starts_at, resources) VALUES
  (101, 1, 1, 1, '2027-03-15 14:00Z', '{}'),
  (102, 2, 1, 1, '2027-03-15 15:00Z', '{}'),
  (103, 3, 2, 2, '2027-03-15 19:00Z', '{1}');
SELECT setval(pg_get_serial_sequence('patsvc.appointments', 'id'), 200);

-- ---- time off of a provider -------------------------------------------------
-- over both visits: refused, both listed (ids only), the hint names the function
INSERT INTO time_off (provider_id, during, reason) VALUES (1, '[2027-03-15 13:00Z, 2027-03-15 16:00Z)', 'sick');
-- beside them (the afternoon): accepted
INSERT INTO time_off (provider_id, during, reason) VALUES (1, '[2027-03-15 17:00Z, 2027-03-15 18:00Z)', 'meeting');
-- applied anyway: the visits stay booked, flagged, and are returned
SELECT apply_schedule_change($$INSERT INTO patsvc.time_off (provider_id, during, reason)
  VALUES (1, '[2027-03-15 13:00Z, 2027-03-15 16:00Z)', 'sick')$$) AS to_rebook;
SELECT appointment_id, provider_id, patient_id, starts_at, status, flagged_at IS NOT NULL AS flagged
  FROM appointments_needing_rebooking();
SELECT id, status, needs_rebooking IS NOT NULL AS flagged FROM appointments ORDER BY id;
-- the rules hold for new bookings: the time is off
SELECT book(3, 1, '2027-03-15 14:30Z', 'visit');
-- flagged visits do not block further changes (they are on the worklist already)
INSERT INTO time_off (provider_id, during, reason) VALUES (1, '[2027-03-15 14:00Z, 2027-03-15 14:30Z)', 'more');
-- moved: off the worklist (reschedule cancels the old one, the new one is unflagged)
SELECT reschedule(101, '2027-03-16 14:00Z') AS moved_to;
-- cancelled: off the worklist
SELECT cancel(102, 'provider sick');
SELECT appointment_id FROM appointments_needing_rebooking();
SELECT id, status, needs_rebooking IS NOT NULL AS flagged FROM appointments ORDER BY id;

-- ---- time off of a room ------------------------------------------------------
INSERT INTO time_off (resource_id, during, reason) VALUES (1, '[2027-03-15 19:15Z, 2027-03-15 20:00Z)', 'cleaning');
-- another room's time off at that time: accepted
INSERT INTO time_off (resource_id, during, reason) VALUES (2, '[2027-03-15 19:00Z, 2027-03-15 20:00Z)', 'service');
-- an update that moves time off onto the visit is checked as well
UPDATE time_off SET during = '[2027-03-15 19:00Z, 2027-03-15 19:10Z)', resource_id = 1 WHERE resource_id = 2;

-- ---- a resource's kind ---------------------------------------------------------
UPDATE resources SET kind = 'storage' WHERE id = 1;
UPDATE resources SET name = 'Room One' WHERE id = 1;   -- not the kind: not checked

-- ---- weekly hours ----------------------------------------------------------------
-- Dr Two's Monday ends at 14:00 local: the 15:00 visit would be outside
UPDATE availability SET ends_local = '14:00' WHERE provider_id = 2 AND weekday = 1;
DELETE FROM availability WHERE provider_id = 2 AND weekday = 1;
-- other days: nothing booked there, accepted
UPDATE availability SET ends_local = '14:00' WHERE provider_id = 2 AND weekday = 2;
-- added hours never leave a visit outside
INSERT INTO availability (provider_id, location_id, weekday, starts_local, ends_local) VALUES (2, 1, 1, '18:00', '20:00');

-- applied anyway: flagged; moving it inside the hours that are left takes it off the worklist
SELECT apply_schedule_change('UPDATE patsvc.availability SET ends_local = ''14:00'' WHERE provider_id = 2 AND weekday = 1') AS to_rebook;
SELECT appointment_id, starts_at FROM appointments_needing_rebooking();
UPDATE appointments SET starts_at = '2027-03-15 17:00Z' WHERE id = 103;
SELECT count(*) AS still_to_rebook FROM appointments_needing_rebooking();

-- ---- appointment types --------------------------------------------------------
-- 'room' three hours long: the 15:00 visit would end after 17:00
UPDATE appointment_types SET duration_minutes = 180 WHERE id = 2;
-- another requirement: it holds no ultrasound
UPDATE appointment_types SET required_resource_kinds = '{exam-room,ultrasound}' WHERE id = 2;
-- a change the visits still fit: accepted
UPDATE appointment_types SET duration_minutes = 45 WHERE id = 2;
-- a longer visit that would run into the patient's next one (same patient, 30 minutes later)
SELECT book(3, 2, '2027-03-16 14:00Z', 'visit') AS a, book(3, 2, '2027-03-16 14:30Z', 'visit') AS b;
UPDATE appointment_types SET duration_minutes = 40 WHERE id = 1;
-- applied anyway: the earlier one flagged (the later one, 40 minutes from 14:30, still fits), its end follows the new type
SELECT apply_schedule_change('UPDATE patsvc.appointment_types SET duration_minutes = 40 WHERE id = 1') AS to_rebook;
SELECT appointment_id, starts_at, ends_at FROM appointments_needing_rebooking();
-- a plain status change keeps the flag (a new start clears it: 103 above); moving an unflagged visit changes nothing there
SELECT set_status(203, 'arrived');
UPDATE appointments SET starts_at = '2027-03-16 16:00Z' WHERE id = 202;
SELECT appointment_id, status FROM appointments_needing_rebooking();

-- ---- a location's time zone ------------------------------------------------------
-- Boston's hours read in Los Angeles time start 3 hours later in UTC: the 10:00 visit (EDT) would be at 07:00 local
SELECT book(1, 1, '2027-03-19 12:30Z', 'visit') AS early;
UPDATE locations SET time_zone = 'America/Los_Angeles' WHERE id = 1;
UPDATE locations SET name = 'Boston office' WHERE id = 1;   -- not the zone: not checked

-- ---- overbooked visits: provider rules waived, so provider changes leave them alone
SELECT book_overbook(1, 2, '2027-03-17 03:00Z', 'visit', '{}', 'night call') AS overbooked;
INSERT INTO time_off (provider_id, during) VALUES (2, '[2027-03-17 02:00Z, 2027-03-17 04:00Z)');

-- ---- a long list: 60 visits, the detail names 50 and counts the rest ------------
INSERT INTO providers (id, name) VALUES (3, 'Dr Busy');
INSERT INTO availability (provider_id, location_id, weekday, starts_local, ends_local) SELECT 3, 1, d, '00:00', '24:00' FROM generate_series(1, 7) d;
INSERT INTO patients (id, name) SELECT 1000 + g, 'P' || g FROM generate_series(1, 60) g;
SELECT count(book(1000 + g, 3, '2027-03-18 04:00Z'::timestamptz + g * interval '1 hour', 'visit')) AS booked
  FROM generate_series(1, 60) g;
INSERT INTO time_off (provider_id, during) VALUES (3, '[2027-03-18 00:00Z, 2027-03-22 00:00Z)');

-- ---- apply_schedule_change takes one INSERT, UPDATE or DELETE -----------------
SELECT apply_schedule_change('SELECT 1');
SELECT apply_schedule_change('DELETE FROM patsvc.time_off WHERE false; DELETE FROM patsvc.time_off WHERE false');
SELECT apply_schedule_change('');
SELECT apply_schedule_change('not sql');
-- nothing to rebook: an empty worklist
SELECT apply_schedule_change('DELETE FROM patsvc.time_off WHERE reason = ''meeting''') AS to_rebook;
-- runs with the caller's rights
CREATE ROLE rebook_nobody;
GRANT USAGE ON SCHEMA patsvc TO rebook_nobody;
GRANT EXECUTE ON FUNCTION apply_schedule_change(text) TO rebook_nobody;
SET ROLE rebook_nobody;
SELECT patsvc.apply_schedule_change('DELETE FROM patsvc.time_off');
RESET ROLE;
DROP OWNED BY rebook_nobody;
DROP ROLE rebook_nobody;

SET client_min_messages = warning;
TRUNCATE reminders, reminder_rules, waitlist_offers, waitlist, appointments, appointment_resources, time_off, availability, appointment_types, resources,
         consents, patient_guardians, patients, providers, locations RESTART IDENTITY CASCADE;
RESET client_min_messages;
