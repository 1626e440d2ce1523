-- Waitlist offers on freed time, and reminders: due once, never stale.
SET search_path = public, patsvc;
\set VERBOSITY default
\set SHOW_CONTEXT never
SET TimeZone = 'UTC';

INSERT INTO locations (id, name, time_zone) VALUES (31, 'Boston', 'America/New_York');
INSERT INTO providers (id, name) VALUES (31, 'Dr Wait');
INSERT INTO patients (id, name) VALUES (31, 'Ann'), (32, 'Bob'), (33, 'Cid'), (34, 'Dee');
INSERT INTO appointment_types (id, code, duration_minutes) VALUES (31, 'w-visit', 30), (32, 'w-long', 60);
INSERT INTO availability (provider_id, location_id, weekday, starts_local, ends_local)
SELECT 31, 31, d, '08:00', '17:00' FROM generate_series(1, 5) d;
INSERT INTO reminder_rules (type_id, lead_time, channel) VALUES (31, '1 day', 'sms'), (31, '2 hours', 'email');

SELECT book(31, 31, '2027-03-15 13:00Z', 'w-visit') AS ann, book(32, 31, '2027-03-15 13:30Z', 'w-visit') AS bob;
-- Cid waits for any 30-minute visit that morning, Dee (later) too; Dee also waits for a long visit
SELECT join_waitlist(33, 31, 'w-visit', '[2027-03-15 12:00Z, 2027-03-15 16:00Z)') AS cid_waits;
SELECT join_waitlist(34, 31, 'w-visit', '[2027-03-15 12:00Z, 2027-03-15 16:00Z)') AS dee_waits;
SELECT join_waitlist(34, 31, 'w-long', '[2027-03-15 12:00Z, 2027-03-15 16:00Z)') AS dee_waits_long;
-- Ann cancels: the longest-waiting matching patient (Cid) gets the offer
SELECT cancel(id, 'sick') FROM appointments WHERE patient_id = 31;
SELECT o.id, w.patient_id, o.slot, o.freed_by FROM waitlist_offers o JOIN waitlist w ON w.id = o.waitlist_id;
SELECT patient_id, type_id, status FROM waitlist ORDER BY id;
-- Bob reschedules: his old start goes to Dee's older entry (one offer per freed start)
SELECT reschedule(id, '2027-03-15 15:00Z') IS NOT NULL AS bob_moved FROM appointments WHERE patient_id = 32;
SELECT w.patient_id, w.type_id, o.slot FROM waitlist_offers o JOIN waitlist w ON w.id = o.waitlist_id ORDER BY o.id;
-- moving a visit by 15 minutes does not offer its old start: the check runs at commit
SELECT book(31, 31, '2027-03-15 19:00Z', 'w-visit') IS NOT NULL AS ann_at_3pm;
SELECT join_waitlist(33, 31, 'w-visit', '[2027-03-15 18:00Z, 2027-03-15 20:00Z)') AS cid_waits_again;
SELECT reschedule(id, '2027-03-15 19:15Z') IS NOT NULL AS ann_moved FROM appointments
 WHERE patient_id = 31 AND starts_at = '2027-03-15 19:00Z';
SELECT count(*) AS offers FROM waitlist_offers;
-- a cancellation outside every window offers nothing
SELECT book(31, 31, '2027-03-16 19:00Z', 'w-visit') IS NOT NULL AS ann_rebooked;
SELECT cancel(id, 'sick again') FROM appointments WHERE patient_id = 31 AND starts_at = '2027-03-16 19:00Z';
SELECT count(*) AS offers FROM waitlist_offers;

-- reminders: created from the type's rules at booking (Ann's and Bob's first visits, Bob's new one)
SELECT a.patient_id, rr.channel, r.due_at, r.for_start FROM reminders r
  JOIN appointments a ON a.id = r.appointment_id JOIN reminder_rules rr ON rr.id = r.rule_id
 ORDER BY r.due_at, a.patient_id, rr.channel;
-- due at 2027-03-15 11:00Z: only reminders of live appointments at their current start; cancelled ones never
SELECT a.patient_id, c.channel, c.due_at, c.starts_at
  FROM claim_due_reminders('2027-03-15 11:00Z', 10) c JOIN appointments a ON a.id = c.appointment
 ORDER BY c.due_at, c.channel;
-- claimed once: asking again returns nothing more until the next is due
SELECT count(*) AS again FROM claim_due_reminders('2027-03-15 11:00Z', 10);
-- a visit moved by UPDATE gets reminders for its new start only
SELECT book(33, 31, '2027-03-17 14:00Z', 'w-visit') IS NOT NULL AS cid_booked;
UPDATE appointments SET starts_at = '2027-03-18 14:00Z' WHERE patient_id = 33 AND status = 'booked';
SELECT count(*) AS due_on_17th FROM claim_due_reminders('2027-03-17 13:00Z', 10);
SELECT c.channel, c.due_at, c.starts_at FROM claim_due_reminders('2027-03-18 13:00Z', 10) c ORDER BY c.due_at;
-- max limits one claim
SELECT book(34, 31, '2027-03-19 14:00Z', 'w-visit') IS NOT NULL AS dee_booked;
SELECT count(*) AS first_claim FROM claim_due_reminders('2027-03-19 13:00Z', 1);
SELECT count(*) AS second_claim FROM claim_due_reminders('2027-03-19 13:00Z', 1);
-- the trigger's condition (appointment_gets_reminders): an appointment written in a status that holds no
-- time, or of a type without rules, gets no reminders; a proposed one (it holds time) does
INSERT INTO appointments (patient_id, provider_id, type_id, starts_at, status) VALUES
  (31, 31, 31, '2027-03-22 14:00Z', 'cancelled'), (32, 31, 31, '2027-03-22 15:00Z', 'noshow'),
  (33, 31, 31, '2027-03-22 16:00Z', 'proposed'), (34, 31, 32, '2027-03-22 17:00Z', 'booked');
SELECT a.status, a.type_id, count(r.id) AS reminders FROM appointments a LEFT JOIN reminders r ON r.appointment_id = a.id
 WHERE a.starts_at >= '2027-03-22' GROUP BY a.id ORDER BY a.starts_at;
-- lead times are elapsed time whatever the session's zone: Israel's clocks go forward on Friday
-- 2027-03-26 at 00:00Z, so a day before that Friday's 13:00Z visit is 13:00Z on Thursday (24 hours),
-- not 14:00Z (the same local time)
SET TimeZone = 'Asia/Jerusalem';
SELECT book(31, 31, '2027-03-26 13:00Z', 'w-visit') AS ann_friday \gset
SET TimeZone = 'UTC';
SELECT rr.lead_time, r.due_at, r.for_start FROM reminders r JOIN reminder_rules rr ON rr.id = r.rule_id
 WHERE r.appointment_id = :ann_friday ORDER BY r.due_at;
-- an INSERT of an existing id that ON CONFLICT skips leaves that appointment's reminders as they were
INSERT INTO appointments (id, patient_id, provider_id, type_id, starts_at)
VALUES (:ann_friday, 31, 31, 31, '2027-03-29 13:00Z') ON CONFLICT (id) DO NOTHING;
SELECT count(*) AS reminders, min(for_start) AS for_start FROM reminders WHERE appointment_id = :ann_friday;
-- moving it by type: due again for the same start, unclaimed
UPDATE reminders SET claimed_at = '2027-03-20', claimed_by = 'x' WHERE appointment_id = :ann_friday;
UPDATE appointments SET type_id = 31 WHERE id = :ann_friday;
SELECT count(*) FILTER (WHERE claimed_at IS NULL) AS unclaimed FROM reminders WHERE appointment_id = :ann_friday;
-- the reminders' foreign key to appointments is checked at commit (they are written before the row)
BEGIN;
INSERT INTO reminders (appointment_id, rule_id, due_at, for_start)
SELECT 999999, id, '2027-03-01', '2027-03-02' FROM reminder_rules LIMIT 1;
SELECT count(*) AS written_for_now FROM reminders WHERE appointment_id = 999999;
COMMIT;
SELECT count(*) AS none_kept FROM reminders WHERE appointment_id = 999999;

SET client_min_messages = warning;
TRUNCATE reminders, reminder_rules, waitlist_offers, waitlist, appointments, appointment_resources, time_off,
         availability, appointment_types, resources, consents, patient_guardians, patients, providers, locations RESTART IDENTITY CASCADE;
RESET client_min_messages;
