-- Scheduling rules on patsvc.appointments: every rule's error, every status
-- transition, overbooking and its privilege, reschedule, free slots.
SET search_path = public, patsvc;
\set VERBOSITY default
\set SHOW_CONTEXT never
SET TimeZone = 'UTC';

INSERT INTO locations (id, name, time_zone) VALUES (1, 'Boston', 'America/New_York'), (2, 'Berlin', 'Europe/Berlin');
INSERT INTO locations (id, name, time_zone) VALUES (3, 'Nowhere', 'Mars/Olympus');
INSERT INTO locations (id, name, time_zone) VALUES (3, 'Nowhere', 'EST');
INSERT INTO providers (id, name, npi) VALUES (1, 'Dr Adams', '1234567893'), (2, 'Dr Berg', NULL), (3, 'Dr Cole', NULL);
INSERT INTO providers (id, name, npi) VALUES (4, 'Dr Bad', '12345');
INSERT INTO patients (id, name) VALUES (1, 'Ann'), (2, 'Bob'), (3, 'Cid'), (4, 'Dee'), (5, 'Eve');
INSERT INTO resources (id, name, kind, location_id)
VALUES (1, 'Room 1', 'exam-room', 1), (2, 'Ultrasound A', 'ultrasound', 1), (3, 'Room 2', 'exam-room', 1);
INSERT INTO appointment_types (id, code, duration_minutes, buffer_before_minutes, buffer_after_minutes,
                               required_resource_kinds, capacity)
VALUES (1, 'visit', 30, 0, 0, '{}', 1),
       (2, 'group', 60, 0, 0, '{}', 2),
       (3, 'echo', 30, 5, 10, '{ultrasound}', 1);
-- provider 1: Boston Mon-Fri 08:00-17:00; provider 2: Berlin every day; provider 3: Boston, from April only
INSERT INTO availability (provider_id, location_id, weekday, starts_local, ends_local)
SELECT 1, 1, d, '08:00', '17:00' FROM generate_series(1, 5) d;
INSERT INTO availability (provider_id, location_id, weekday, starts_local, ends_local)
SELECT 2, 2, d, '08:00', '17:00' FROM generate_series(1, 7) d;
INSERT INTO availability (provider_id, location_id, weekday, starts_local, ends_local, valid_from)
SELECT 3, 1, d, '09:00', '12:00', '2027-04-01' FROM generate_series(1, 5) d;

-- a booking fills in its end, held time and location; 2027-03-15 is a Monday, 09:00 EDT = 13:00Z
SELECT book(1, 1, '2027-03-15 13:00Z', 'visit') AS first;
SELECT id, patient_id, provider_id, starts_at, ends_at, held_from, held_until, location_id, status, overbook
FROM appointments;

-- rule 1, provider: overlapping time refused with 23P01 naming the blocking appointment, not its patient
SELECT book(2, 1, '2027-03-15 13:15Z', 'visit');
-- back to back is fine (half-open ranges)
SELECT book(2, 1, '2027-03-15 13:30Z', 'visit') AS back_to_back;
-- rule 1, patient: never in two places, even with another provider
SELECT book(1, 2, '2027-03-15 13:10Z', 'visit');
-- rule 1, resources, buffers included: echo holds 5 min before and 10 min after
SELECT book(3, 2, '2027-03-16 09:00Z', 'echo', '{2}') AS echo;
SELECT book(4, 1, '2027-03-16 13:45Z', 'echo', '{2}') AS echo_other_provider_later;
SELECT book(4, 1, '2027-03-16 13:40Z', 'visit', '{2}');
SELECT book(5, 2, '2027-03-16 09:40Z', 'visit');
SELECT book(5, 2, '2027-03-16 09:45Z', 'visit') AS after_buffer;
SELECT appointment_id, resource_id, held_from, held_until FROM appointment_resources ORDER BY 1, 2;
-- required resource kinds and unknown resources
SELECT book(4, 2, '2027-03-16 12:00Z', 'echo', '{1}');
SELECT book(4, 2, '2027-03-16 12:00Z', 'echo', '{2, 999}');
SELECT book(4, 2, '2027-03-16 12:00Z', 'nope');

-- rule 2, availability: before opening, on Saturday, before the rule is valid, across closing
SELECT book(3, 1, '2027-03-15 11:30Z', 'visit');
SELECT book(3, 1, '2027-03-20 14:00Z', 'visit');
SELECT book(3, 3, '2027-03-15 14:00Z', 'visit');
SELECT book(3, 3, '2027-04-01 13:00Z', 'visit') AS from_april;
SELECT book(3, 1, '2027-03-15 20:45Z', 'visit');
-- rule 2, time off for the provider and for a resource
INSERT INTO time_off (provider_id, during, reason) VALUES (1, '[2027-03-17 15:00Z, 2027-03-17 17:00Z)', 'training');
INSERT INTO time_off (resource_id, during, reason) VALUES (2, '[2027-03-18 07:00Z, 2027-03-18 09:00Z)', 'service');
SELECT book(3, 1, '2027-03-17 16:30Z', 'visit');
SELECT book(3, 1, '2027-03-17 17:00Z', 'visit') AS after_time_off;
SELECT book(3, 2, '2027-03-18 09:00Z', 'echo', '{2}');

-- rule 3, capacity: a group slot takes 2 patients of the same type and start, the third is refused
SELECT book(1, 2, '2027-03-19 08:00Z', 'group') IS NOT NULL AS group_1;
SELECT book(2, 2, '2027-03-19 08:00Z', 'group') IS NOT NULL AS group_2;
SELECT book(3, 2, '2027-03-19 08:00Z', 'group');
-- a group slot still conflicts with other visits and with a group at another start
SELECT book(3, 2, '2027-03-19 08:30Z', 'group');
SELECT book(3, 2, '2027-03-19 08:30Z', 'visit');

-- plain INSERT and COPY are checked exactly like book()
INSERT INTO appointments (patient_id, provider_id, type_id, starts_at) VALUES (4, 1, 1, '2027-03-15 13:20Z');
INSERT INTO appointments (patient_id, provider_id, type_id, starts_at)
VALUES (4, 2, 1, '2027-03-22 09:00Z'), (5, 2, 1, '2027-03-22 09:15Z');
COPY appointments (patient_id, provider_id, type_id, starts_at) FROM stdin;
4	2	1	2027-03-22 10:00Z
5	2	1	2027-03-22 10:10Z
\.
SELECT count(*) AS none_from_failed_statements FROM appointments WHERE starts_at >= '2027-03-22';
-- written end times are replaced by the derived ones
INSERT INTO appointments (patient_id, provider_id, type_id, starts_at, ends_at, held_from)
VALUES (4, 2, 1, '2027-03-22 11:00Z', '2027-03-22 18:00Z', '2027-03-22 00:00Z') RETURNING ends_at, held_from;
-- UPDATE that moves a visit onto another is refused; one that does not move it is not re-checked
UPDATE appointments SET starts_at = '2027-03-15 13:00Z' WHERE starts_at = '2027-03-15 13:30Z';
UPDATE appointments SET status = 'arrived' WHERE starts_at = '2027-03-15 13:30Z' RETURNING status;
-- the internal resource index refuses direct writes
INSERT INTO appointment_resources VALUES (1, 1, now(), now());
DELETE FROM appointment_resources;

-- rule 4, overbooking: not through a plain write, not with an empty reason
INSERT INTO appointments (patient_id, provider_id, type_id, starts_at, overbook, overbook_reason, overridden_by)
VALUES (3, 1, 1, '2027-03-15 13:00Z', true, 'squeeze', 'somebody');
SELECT book_overbook(3, 1, '2027-03-15 13:00Z', 'visit', '{}', '  ');
CREATE ROLE sched_front_desk;
CREATE ROLE sched_charge_nurse;
-- patsvc's group roles (README, Roles and privileges): overbooking is the scheduler's
GRANT patsvc_front_desk TO sched_front_desk;
GRANT patsvc_scheduler TO sched_charge_nurse;
SET SESSION AUTHORIZATION sched_front_desk;
SELECT book(3, 1, '2027-03-15 14:00Z', 'visit') IS NOT NULL AS front_desk_books;
SELECT book_overbook(3, 1, '2027-03-15 13:00Z', 'visit', '{}', 'urgent');
UPDATE appointments SET overbook = true, overbook_reason = 'me' WHERE starts_at = '2027-03-15 14:00Z';
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION sched_charge_nurse;
-- provider conflict, hours and time off are waived for the provider
SELECT book_overbook(3, 1, '2027-03-15 13:00Z', 'visit', '{}', 'urgent: chest pain') IS NOT NULL AS overbooked;
SELECT book_overbook(4, 1, '2027-03-17 16:00Z', 'visit', '{}', 'urgent during training') IS NOT NULL AS overbooked_time_off;
-- the patient rule is never waived, nor the resource rule
SELECT book_overbook(1, 1, '2027-03-15 13:00Z', 'visit', '{}', 'urgent');
SELECT book_overbook(5, 1, '2027-03-16 13:00Z', 'echo', '{2}', 'urgent');
RESET SESSION AUTHORIZATION;
SELECT patient_id, starts_at, overbook, overbook_reason, overridden_by FROM appointments WHERE overbook ORDER BY starts_at;
-- audit columns cannot be rewritten, an overbook cannot be moved
UPDATE appointments SET overridden_by = 'nobody', overbook_reason = 'none' WHERE overbook RETURNING overridden_by, overbook_reason;
UPDATE appointments SET starts_at = starts_at + interval '1 hour' WHERE overbook AND patient_id = 3;
SELECT set_status(id, 'arrived') FROM appointments WHERE overbook AND patient_id = 3;

-- cancel frees the time, but the overbooked visit keeps holding it: the slot is not sold a third time
SELECT cancel(id, 'patient called') FROM appointments WHERE patient_id = 1 AND starts_at = '2027-03-15 13:00Z';
SELECT book(5, 1, '2027-03-15 13:00Z', 'visit');
-- reschedule is atomic and links the new visit to the old one
SELECT book(5, 1, '2027-03-15 12:30Z', 'visit') IS NOT NULL AS booked_at_0830;
-- a refused reschedule changes nothing: the old visit stays booked, nothing is linked
SELECT reschedule(id, '2027-03-15 14:00Z') FROM appointments WHERE patient_id = 5 AND starts_at = '2027-03-15 12:30Z';
SELECT starts_at, status FROM appointments WHERE patient_id = 5 AND provider_id = 1 ORDER BY starts_at;
SELECT count(*) AS linked FROM appointments WHERE replaces IS NOT NULL;
SELECT reschedule(id, '2027-03-15 15:00Z') FROM appointments WHERE patient_id = 5 AND starts_at = '2027-03-15 12:30Z';
SELECT n.starts_at, o.status AS old_status, o.cancel_reason, n.status
FROM appointments n JOIN appointments o ON o.id = n.replaces
WHERE n.patient_id = 5 AND n.provider_id = 1;
-- moving to another provider, and onto its own old time shifted by 15 minutes
SELECT reschedule(id, '2027-03-15 15:15Z', 2) IS NOT NULL AS moved_to_berg FROM appointments
 WHERE patient_id = 5 AND provider_id = 1 AND starts_at = '2027-03-15 15:00Z' AND status = 'booked';
SELECT reschedule(id, '2027-03-15 15:30Z') IS NOT NULL AS shifted_into_own_time FROM appointments
 WHERE patient_id = 5 AND provider_id = 2 AND starts_at = '2027-03-15 15:15Z';
SELECT reschedule(999999, '2027-03-15 15:00Z');
SELECT reschedule(id, '2027-03-15 16:00Z') FROM appointments WHERE patient_id = 1 AND status = 'cancelled';
SELECT starts_at, status, provider_id FROM appointments WHERE patient_id = 5 AND starts_at::date = '2027-03-15' ORDER BY id;
SELECT set_status(1, 'done');
SELECT cancel(999999, 'x');

-- every status transition: rows = from, allowed = the statuses it may go to
CREATE TEMP TABLE transitions (from_status text, to_status text, ok boolean);
DO $$
DECLARE
  st text[] := '{proposed,pending,booked,arrived,checked-in,fulfilled,cancelled,noshow,entered-in-error,waitlist}';
  f text;
  t text;
  i int := 0;
  appt bigint;
BEGIN
  FOREACH f IN ARRAY st LOOP
    FOREACH t IN ARRAY st LOOP
      i := i + 1;
      INSERT INTO patsvc.appointments (patient_id, provider_id, type_id, starts_at, status)
      VALUES (4, 2, 1, timestamptz '2027-05-03 08:00Z' + i * interval '1 day', f) RETURNING id INTO appt;
      BEGIN
        PERFORM patsvc.set_status(appt, t);
        INSERT INTO transitions VALUES (f, t, true);
      EXCEPTION WHEN SQLSTATE 'PS205' THEN
        INSERT INTO transitions VALUES (f, t, false);
      END;
    END LOOP;
  END LOOP;
END $$;
SELECT from_status, string_agg(to_status, ', ' ORDER BY to_status) FILTER (WHERE ok AND to_status <> from_status) AS may_go_to
FROM transitions GROUP BY from_status ORDER BY from_status;
-- a transition into a time-holding status from a non-holding one does not exist, so no slot is ever revived
SELECT count(*) AS revivals FROM transitions
WHERE ok AND from_status IN ('cancelled', 'noshow', 'entered-in-error')
  AND to_status NOT IN ('cancelled', 'noshow', 'entered-in-error');

-- cancelling frees the resource too
SELECT cancel(id, 'device broken') FROM appointments WHERE patient_id = 3 AND starts_at = '2027-03-16 09:00Z';
SELECT appointment_id, resource_id FROM appointment_resources ORDER BY 1, 2;
SELECT book(4, 2, '2027-03-16 09:00Z', 'echo', '{2}') IS NOT NULL AS device_rebooked;

-- the SQLSTATE of each rule
CREATE FUNCTION pg_temp.sqlstate_of(stmt text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE stmt;
  RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE;
END $$;
SELECT rule, pg_temp.sqlstate_of(stmt) FROM (VALUES
  ('provider overlap', $$SELECT patsvc.book(4, 1, '2027-03-15 14:10Z', 'visit')$$),
  ('patient overlap', $$SELECT patsvc.book(3, 2, '2027-03-15 14:10Z', 'visit')$$),
  ('resource overlap', $$SELECT patsvc.book(1, 1, '2027-03-16 13:50Z', 'echo', '{2}')$$),
  ('outside hours', $$SELECT patsvc.book(4, 1, '2027-03-20 14:00Z', 'visit')$$),
  ('provider time off', $$SELECT patsvc.book(4, 1, '2027-03-17 15:00Z', 'visit')$$),
  ('resource time off', $$SELECT patsvc.book(4, 2, '2027-03-18 08:00Z', 'echo', '{2}')$$),
  ('capacity', $$SELECT patsvc.book(3, 2, '2027-03-19 08:00Z', 'group')$$),
  ('illegal transition', $$SELECT patsvc.set_status(1, 'booked')$$),
  ('plain overbook', $$UPDATE patsvc.appointments SET overbook = true, overbook_reason = 'x' WHERE id = 3$$),
  ('missing resource kind', $$SELECT patsvc.book(4, 2, '2027-03-16 12:00Z', 'echo')$$),
  ('unknown type', $$SELECT patsvc.book(4, 2, '2027-03-16 12:00Z', 'nope')$$),
  ('unknown status, plain INSERT', $$INSERT INTO patsvc.appointments (patient_id, provider_id, type_id, starts_at, status) VALUES (4, 1, 1, '2027-03-22 14:00Z', 'done')$$),
  ('NULL status', $$UPDATE patsvc.appointments SET status = NULL WHERE id = 1$$),
  ('NULL patient', $$INSERT INTO patsvc.appointments (patient_id, provider_id, type_id, starts_at) VALUES (NULL, 1, 1, '2027-03-22 14:00Z')$$),
  ('unknown patient', $$INSERT INTO patsvc.appointments (patient_id, provider_id, type_id, starts_at) VALUES (999, 1, 1, '2027-03-22 14:00Z')$$)) AS t(rule, stmt);
-- the messages of the foreign key (checked by the trigger) and of the status name
INSERT INTO appointments (patient_id, provider_id, type_id, starts_at) VALUES (999, 1, 1, '2027-03-22 14:00Z');
INSERT INTO appointments (patient_id, provider_id, type_id, starts_at, status) VALUES (4, 1, 1, '2027-03-22 14:00Z', 'done');
-- writes that skip the trigger (replica role) are checked by trigger appointments_replica_check, which fires
-- only then (ENABLE REPLICA)
SELECT tgname, tgenabled FROM pg_trigger WHERE tgrelid = 'appointments'::regclass AND NOT tgisinternal ORDER BY tgname;
SET session_replication_role = replica;
INSERT INTO appointments (patient_id, provider_id, type_id, location_id, starts_at, ends_at, held_from, held_until)
VALUES (4, 1, 1, 1, '2027-03-22 14:00Z', '2027-03-22 13:00Z', '2027-03-22 14:00Z', '2027-03-22 15:00Z');
INSERT INTO appointments (patient_id, provider_id, type_id, location_id, starts_at, ends_at, held_from, held_until)
VALUES (4, 1, 1, 1, '2027-03-22 14:00Z', '2027-03-22 15:00Z', '2027-03-22 14:00Z', '2027-03-23 15:00Z');
INSERT INTO appointments (patient_id, provider_id, type_id, location_id, starts_at, ends_at, held_from, held_until, overbook)
VALUES (4, 1, 1, 1, '2027-03-22 14:00Z', '2027-03-22 15:00Z', '2027-03-22 14:00Z', '2027-03-22 15:00Z', true);
INSERT INTO appointments (patient_id, provider_id, type_id, location_id, starts_at, ends_at, held_from, held_until, status)
VALUES (4, 1, 1, 1, '2027-03-22 14:00Z', '2027-03-22 15:00Z', '2027-03-22 14:00Z', '2027-03-22 15:00Z', 'done');
UPDATE appointments SET held_until = held_from + interval '25 hours' WHERE id = 1;
-- a consistent row passes (and is not checked against the rules: that is what replica mode is for)
BEGIN;
INSERT INTO appointments (patient_id, provider_id, type_id, location_id, starts_at, ends_at, held_from, held_until)
VALUES (4, 1, 1, 1, '2027-03-22 14:00Z', '2027-03-22 15:00Z', '2027-03-22 14:00Z', '2027-03-22 15:00Z') RETURNING status;
ROLLBACK;
RESET session_replication_role;

-- deleting an appointment checks that no appointment replaces it through an index, not a scan of the table
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT 1 FROM ONLY appointments x WHERE replaces = 1 FOR KEY SHARE OF x;
RESET enable_seqscan;

-- free slots honour hours, bookings, buffers and time off; next_available searches across providers
SELECT * FROM free_slots(1, '[2027-03-17 12:00Z, 2027-03-17 18:00Z)', 'visit');
SELECT * FROM free_slots(2, '[2027-03-19 07:00Z, 2027-03-19 10:00Z)', 'group');
SELECT * FROM next_available('{1,3}', '2027-03-19 20:00Z', 'visit', '{}', 3);
SELECT * FROM next_available('{1,2}', '2027-03-16 08:00Z', 'echo', '{2}', 2);
SELECT * FROM free_slots(1, '[2027-03-17 12:00Z,)', 'visit');
SELECT * FROM next_available('{1}', '2027-03-17 12:00Z', 'visit', '{}', 0);

-- nothing of this file stays behind
DROP OWNED BY sched_front_desk, sched_charge_nurse;
DROP ROLE sched_front_desk;
DROP ROLE sched_charge_nurse;
SET client_min_messages = warning;
TRUNCATE reminders, reminder_rules, waitlist_offers, waitlist, appointments, appointment_resources, time_off, availability, appointment_types, resources,
         consents, patient_guardians, patients, providers, locations RESTART IDENTITY CASCADE;
RESET client_min_messages;
