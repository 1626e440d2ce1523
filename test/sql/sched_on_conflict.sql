-- INSERT ... ON CONFLICT on patsvc.appointments: a row that is not inserted leaves nothing behind (no
-- resource hold keeping a room, no reminder); DO UPDATE moves the visit with its hold; a plain INSERT of a
-- taken id is 23505.  (Concurrent inserts of one id: isolation spec sched_on_conflict.)
SET search_path = patsvc, public;
SET TimeZone = 'UTC';
INSERT INTO locations (id, name, time_zone) VALUES (9301, 'Conflict clinic', 'America/New_York');
INSERT INTO providers (id, name) VALUES (9301, 'Dr Conflict'), (9302, 'Dr Other');
INSERT INTO patients (id, name) VALUES (9301, 'Ann Conflict'), (9302, 'Bo Conflict'), (9303, 'Cy Conflict');
INSERT INTO resources (id, name, kind, location_id) VALUES (9301, 'Ultrasound C', 'ultrasound-c', 9301);
INSERT INTO appointment_types (id, code, duration_minutes, required_resource_kinds)
VALUES (9301, 'echo-c', 30, '{ultrasound-c}');
INSERT INTO availability (provider_id, location_id, weekday, starts_local, ends_local)
SELECT p, 9301, d, '08:00', '17:00' FROM generate_series(1, 5) d, generate_series(9301, 9302) p;
INSERT INTO reminder_rules (type_id, lead_time, channel) VALUES (9301, '1 day', 'sms');
INSERT INTO appointments (id, patient_id, provider_id, type_id, location_id, starts_at, resources)
VALUES (9301, 9301, 9301, 9301, 9301, '2027-03-15 13:00Z', '{9301}');
CREATE TEMP VIEW holds AS
  SELECT a.patient_id, h.held_from, a.starts_at AS appointment_starts
    FROM appointment_resources h LEFT JOIN appointments a ON a.id = h.appointment_id
   WHERE h.resource_id = 9301 ORDER BY h.held_from;
TABLE holds;
SELECT count(*) AS reminders FROM reminders r JOIN appointments a ON a.id = r.appointment_id WHERE a.type_id = 9301;
-- DO NOTHING with a taken id at another time: skipped, and the ultrasound stays free then
INSERT INTO appointments (id, patient_id, provider_id, type_id, location_id, starts_at, resources)
VALUES (9301, 9302, 9302, 9301, 9301, '2027-03-15 15:00Z', '{9301}') ON CONFLICT (id) DO NOTHING;
TABLE holds;
SELECT count(*) AS reminders FROM reminders r JOIN appointments a ON a.id = r.appointment_id WHERE a.type_id = 9301;
SELECT book(9303, 9302, '2027-03-15 15:00Z', 'echo-c', '{9301}') > 0 AS ultrasound_free_at_15;
-- DO UPDATE moves the visit: its hold moves with it
INSERT INTO appointments (id, patient_id, provider_id, type_id, location_id, starts_at, resources)
VALUES (9301, 9301, 9301, 9301, 9301, '2027-03-15 16:00Z', '{9301}')
ON CONFLICT (id) DO UPDATE SET starts_at = excluded.starts_at;
TABLE holds;
-- a plain INSERT of a taken id: 23505, nothing left
INSERT INTO appointments (id, patient_id, provider_id, type_id, location_id, starts_at, resources)
VALUES (9301, 9302, 9302, 9301, 9301, '2027-03-15 14:00Z', '{9301}');
TABLE holds;
-- one id twice in one statement: the second row is skipped with nothing left
INSERT INTO appointments (id, patient_id, provider_id, type_id, location_id, starts_at, resources)
VALUES (9302, 9302, 9302, 9301, 9301, '2027-03-16 14:00Z', '{9301}'),
       (9302, 9302, 9302, 9301, 9301, '2027-03-16 15:00Z', '{9301}') ON CONFLICT (id) DO NOTHING;
TABLE holds;
-- DO NOTHING inside a data-modifying CTE and from plpgsql: skipped, nothing left (the trigger probes
-- the id only while a statement with ON CONFLICT runs; these are found in the plan's subplans and
-- in SPI's statements)
WITH ins AS (INSERT INTO appointments (id, patient_id, provider_id, type_id, location_id, starts_at, resources)
             VALUES (9301, 9302, 9302, 9301, 9301, '2027-03-17 14:00Z', '{9301}') ON CONFLICT (id) DO NOTHING
             RETURNING id)
SELECT count(*) AS inserted FROM ins;
DO $$
BEGIN
  INSERT INTO patsvc.appointments (id, patient_id, provider_id, type_id, location_id, starts_at, resources)
  VALUES (9301, 9302, 9302, 9301, 9301, '2027-03-17 15:00Z', '{9301}') ON CONFLICT (id) DO NOTHING;
END $$;
TABLE holds;
-- a new session whose first statement, the one that loads patsvc's library, is such an INSERT
-- (it started before patsvc's executor hooks were there): skipped, nothing left
\c
INSERT INTO patsvc.appointments (id, patient_id, provider_id, type_id, location_id, starts_at, resources)
VALUES (9301, 9302, 9302, 9301, 9301, '2027-03-18 14:00Z', '{9301}') ON CONFLICT (id) DO NOTHING;
SET search_path = patsvc, public;
SET TimeZone = 'UTC';
CREATE TEMP VIEW holds AS
  SELECT a.patient_id, h.held_from, a.starts_at AS appointment_starts
    FROM appointment_resources h LEFT JOIN appointments a ON a.id = h.appointment_id
   WHERE h.resource_id = 9301 ORDER BY h.held_from;
TABLE holds;
-- clean up
SET client_min_messages = warning;
DELETE FROM reminders WHERE appointment_id IN (SELECT id FROM appointments WHERE type_id = 9301);
DELETE FROM appointments WHERE type_id = 9301;
DELETE FROM reminder_rules WHERE type_id = 9301;
DELETE FROM availability WHERE location_id = 9301;
DELETE FROM appointment_types WHERE id = 9301;
DELETE FROM resources WHERE id = 9301;
DELETE FROM patients WHERE id BETWEEN 9301 AND 9303;
DELETE FROM providers WHERE id IN (9301, 9302);
DELETE FROM locations WHERE id = 9301;
RESET client_min_messages;
DROP VIEW holds;
