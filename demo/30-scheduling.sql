\echo
\echo '=== 3. Scheduling: a clinic day in Boston and Berlin, no double booking, ever ==='
SET search_path = public, patsvc;
SET TimeZone = 'UTC';
-- Two offices in two time zones; hours are local wall-clock time
INSERT INTO locations (id, name, time_zone) VALUES (1, 'Boston Main St', 'America/New_York'), (2, 'Berlin Mitte', 'Europe/Berlin');
INSERT INTO providers (id, name, npi) VALUES (1, 'Dr. Alice Adams', '1234567893'), (2, 'Dr. Bernd Berg', NULL);
INSERT INTO patients (id, name) VALUES (1, 'Ann Lee'), (2, 'Bo Diaz'), (3, 'Cy Park'), (4, 'Di Roth'), (5, 'Ed Wu');
INSERT INTO resources (id, name, kind, location_id) VALUES (1, 'Exam room 1', 'exam-room', 1), (2, 'Ultrasound', 'ultrasound', 1);
INSERT INTO appointment_types (id, code, duration_minutes, buffer_after_minutes, required_resource_kinds, capacity)
VALUES (1, 'visit', 20, 0, '{}', 1), (2, 'echo', 30, 10, '{ultrasound}', 1), (3, 'diabetes-class', 60, 0, '{}', 8);
-- Dr. Adams: Boston, Mon-Fri 08:00-17:00 New York time; Dr. Berg: Berlin, Mon-Sat 08:00-16:00 Berlin time
INSERT INTO availability (provider_id, location_id, weekday, starts_local, ends_local)
SELECT 1, 1, d, time '08:00', time '17:00' FROM generate_series(1, 5) d
UNION ALL SELECT 2, 2, d, time '08:00', time '16:00' FROM generate_series(1, 6) d;
INSERT INTO reminder_rules (type_id, lead_time, channel) VALUES (1, '1 day', 'sms'), (2, '2 hours', 'sms');

-- Morning bookings (Monday 2027-03-15; New York is on summer time since Sunday: 09:00 EDT = 13:00Z)
SELECT book(1, 1, '2027-03-15 13:00Z', 'visit') AS ann;
SELECT book(2, 1, '2027-03-15 13:20Z', 'echo', '{2}') AS bo_echo;
SELECT book(3, 2, '2027-03-15 09:00Z', 'visit') AS cy_in_berlin;   -- 10:00 in Berlin

-- The same slot again, for another patient: refused, naming the rule, the dimension and the blocking
-- appointment, never the other patient
SELECT book(4, 1, '2027-03-15 13:10Z', 'visit');
-- The echo holds the ultrasound 10 minutes after it ends (cleaning): the device is not free at 13:55
SELECT book(4, 2, '2027-03-15 13:55Z', 'echo', '{2}');
-- Ann cannot be in Boston and Berlin at once, whatever the provider
SELECT book(1, 2, '2027-03-15 13:10Z', 'visit');
-- Out of hours: 07:30 in New York
SELECT book(4, 1, '2027-03-15 11:30Z', 'visit');

-- Plain SQL gets no back door: the same trigger checks INSERT, UPDATE and COPY
INSERT INTO appointments (patient_id, provider_id, type_id, starts_at) VALUES (4, 1, 1, '2027-03-15 13:05Z');
INSERT INTO appointments (patient_id, provider_id, type_id, starts_at, overbook, overbook_reason)
VALUES (4, 1, 1, '2027-03-15 13:05Z', true, 'I am busy');

-- An urgent patient: overbooking is a privilege the DBA grants, and it is audited
CREATE ROLE demo_front_desk;
CREATE ROLE demo_charge_nurse;
-- patsvc's group roles (README, Roles and privileges): overbooking is the scheduler's
GRANT patsvc_front_desk TO demo_front_desk;
GRANT patsvc_scheduler TO demo_charge_nurse;
SET SESSION AUTHORIZATION demo_front_desk;
SELECT book_overbook(5, 1, '2027-03-15 13:00Z', 'visit', '{}', 'urgent: chest pain');
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION demo_charge_nurse;
SELECT book_overbook(5, 1, '2027-03-15 13:00Z', 'visit', '{}', 'urgent: chest pain') AS ed_overbooked;
RESET SESSION AUTHORIZATION;
SELECT id, patient_id, starts_at, overbook, overbook_reason, overridden_by FROM appointments WHERE overbook;

-- Di waits for any visit with Dr. Adams this morning
LISTEN patsvc_waitlist;
SELECT join_waitlist(4, 1, 'visit', '[2027-03-15 12:00Z, 2027-03-15 16:00Z)') AS di_waits;
-- Ann cancels: her 09:00 is still held by Ed's overbooked visit, so nothing is offered
SELECT cancel(id, 'patient called in sick') FROM appointments WHERE patient_id = 1 AND provider_id = 1;
SELECT count(*) AS offers FROM waitlist_offers;
-- Bo's echo moves to the afternoon (the old one is cancelled and linked only because the new one
-- booked); his 09:20 is free now and offered to Di, with a notification
SELECT reschedule(id, '2027-03-15 18:00Z') AS bo_new_echo FROM appointments WHERE patient_id = 2 AND status = 'booked';
SELECT id, starts_at, status, replaces FROM appointments WHERE patient_id = 2 ORDER BY id;
SELECT o.id AS offer, w.patient_id, o.slot, o.freed_by FROM waitlist_offers o JOIN waitlist w ON w.id = o.waitlist_id;

-- Free 20-minute slots of Dr. Adams this morning (UTC), and the next slots across both providers
SELECT * FROM free_slots(1, '[2027-03-15 12:00Z, 2027-03-15 15:00Z)', 'visit') LIMIT 6;
SELECT * FROM next_available('{1,2}', '2027-03-15 14:00Z', 'visit', '{}', 3);

-- A weekly diabetes class for Cy, 4 Mondays: at 14:00 New York time it would collide with Bo's new
-- echo once, so nothing is booked and the conflict is listed; at 15:00 all four book, at the same
-- local time every week across the DST change (20:00Z before it, 19:00Z after)
SELECT book_series(3, 1, '2027-03-08 19:00Z', 'diabetes-class', 4) AS series;
SELECT book_series(3, 1, '2027-03-08 20:00Z', 'diabetes-class', 4) AS series;
SELECT starts_at, starts_at AT TIME ZONE 'America/New_York' AS new_york FROM appointments WHERE series_id IS NOT NULL ORDER BY 1;

-- Reminders due the evening before: claimed once (SKIP LOCKED), never for the cancelled visit
SELECT reminder, appointment, channel, due_at, starts_at FROM claim_due_reminders('2027-03-14 20:00Z', 10);
SELECT count(*) AS claimed_again FROM claim_due_reminders('2027-03-14 20:00Z', 10);

-- Urgency: an urgent request for Dr. Adams this morning: free slots and, where the day is full, the
-- times an overbook could take (advice; booking those needs book_overbook)
SELECT * FROM next_available_urgent('{1}', '2027-03-15 12:00Z', 'visit', '{}', 4);

-- FHIR out: Bo's moved echo as an R4 Appointment, and two free slots as a searchset Bundle
SELECT jsonb_pretty(appointment_fhir(id)) FROM appointments WHERE patient_id = 2 AND status = 'booked' AND replaces IS NOT NULL;
SELECT jsonb_pretty(slots_fhir(1, '[2027-03-15 14:00Z, 2027-03-15 14:40Z)', 'visit'));
