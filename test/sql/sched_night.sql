-- Night shifts (issue 17, section 3): a weekly hours row whose ends_local is
-- not after its starts_local ends the next day and belongs to the weekday it
-- starts on; visits across local midnight inside it are accepted; each night's
-- real length follows the location's zone (DST nights in New York and
-- Berlin); the slot search (C) equals its SQL reference; rows are never merged;
-- refused rows get an explained error, also with session_replication_role = replica.
SET search_path = public, patsvc;
\set VERBOSITY default
\set SHOW_CONTEXT never
SET TimeZone = 'UTC';

INSERT INTO locations (id, name, time_zone) VALUES (91, 'New York', 'America/New_York'), (92, 'Berlin', 'Europe/Berlin');
INSERT INTO providers (id, name) VALUES (91, 'Dr Night NY'), (92, 'Dr Night Berlin'), (93, 'Dr Split'),
  (94, 'Dr One Monday'), (95, 'Dr Adjacent');
INSERT INTO patients (id, name) VALUES (91, 'Nina'), (92, 'Omar');
INSERT INTO appointment_types (id, code, duration_minutes) VALUES (91, 'night-visit', 20);

-- ---- rows ----------------------------------------------------------------
-- the obvious single row: every night 22:00 to 06:00 the next morning
INSERT INTO availability (provider_id, location_id, weekday, starts_local, ends_local)
SELECT p, l, d, '22:00', '06:00' FROM (VALUES (91, 91), (92, 92)) AS x(p, l), generate_series(1, 7) d;
-- the old form still works: Monday 22:00 to 24:00 and Tuesday 00:00 to 06:00
INSERT INTO availability (provider_id, location_id, weekday, starts_local, ends_local)
VALUES (93, 91, 1, '22:00', '24:00'), (93, 91, 2, '00:00', '06:00');
-- a night shift valid on one Monday only (2027-01-11)
INSERT INTO availability (provider_id, location_id, weekday, starts_local, ends_local, valid_from, valid_until)
VALUES (94, 91, 1, '22:00', '06:00', '2027-01-11', '2027-01-11');
-- adjacent rows are not merged: Monday 22:00 to 06:00 and Tuesday 06:00 to 12:00
INSERT INTO availability (provider_id, location_id, weekday, starts_local, ends_local)
VALUES (95, 91, 1, '22:00', '06:00'), (95, 91, 2, '06:00', '12:00');
SELECT provider_id, weekday, starts_local, ends_local FROM availability WHERE provider_id IN (91, 93, 94, 95)
  AND weekday <= 2 ORDER BY id;

-- refused rows: equal times (empty or 24 hours?), a start at 24:00; the error names the
-- constraint, explains the night-shift reading and says what to write
INSERT INTO availability (provider_id, location_id, weekday, starts_local, ends_local) VALUES (91, 91, 3, '08:00', '08:00');
INSERT INTO availability (provider_id, location_id, weekday, starts_local, ends_local) VALUES (91, 91, 3, '24:00', '06:00');
UPDATE availability SET ends_local = starts_local WHERE provider_id = 93 AND weekday = 1;
-- the same explained error where PostgreSQL's replica mode skips ordinary triggers (restores,
-- logical replication): the trigger fires always, and the CHECK behind it states the same rule
SET session_replication_role = replica;
INSERT INTO availability (provider_id, location_id, weekday, starts_local, ends_local) VALUES (91, 91, 3, '00:00', '00:00');
-- a night shift written in replica mode is accepted and read as one (Wednesday 23:00 to Thursday 01:00)
INSERT INTO availability (provider_id, location_id, weekday, starts_local, ends_local) VALUES (93, 91, 3, '23:00', '01:00');
RESET session_replication_role;
SELECT book(92, 93, '2027-01-14 04:50Z', 'night-visit') IS NOT NULL AS replica_row_wednesday_2350;
ALTER TABLE availability DISABLE TRIGGER availability_check_hours;
INSERT INTO availability (provider_id, location_id, weekday, starts_local, ends_local) VALUES (91, 91, 3, '06:00', '06:00');
ALTER TABLE availability ENABLE ALWAYS TRIGGER availability_check_hours;
SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
 WHERE conrelid = 'availability'::regclass AND contype = 'c' ORDER BY conname;

-- ---- bookings across midnight (New York, January: EST, UTC-5) -------------
-- Monday 2027-01-11 23:50 to Tuesday 00:10 local: inside Monday's night shift
SELECT book(91, 91, '2027-01-12 04:50Z', 'night-visit') AS across_midnight \gset
SELECT starts_at AT TIME ZONE 'America/New_York' AS local_start, ends_at AT TIME ZONE 'America/New_York' AS local_end,
       location_id
  FROM appointments WHERE id = :across_midnight;
-- Tuesday 05:40 to 06:00: ends with the shift
SELECT book(91, 91, '2027-01-12 10:40Z', 'night-visit') IS NOT NULL AS booked_0540_0600;
-- Tuesday 05:50 to 06:10: past the end of the shift; the detail names the row and its end
SELECT book(92, 91, '2027-01-12 10:50Z', 'night-visit');
-- a night shift belongs to the weekday it starts on: provider 94 works the night of Monday
-- 2027-01-11 only, so Tuesday 05:00 is inside it and Monday 02:00 (Sunday's night) is not
SELECT book(91, 94, '2027-01-12 10:00Z', 'night-visit') IS NOT NULL AS booked_tuesday_0500;
SELECT book(91, 94, '2027-01-11 07:00Z', 'night-visit');
SELECT book(91, 94, '2027-01-19 10:00Z', 'night-visit');
-- the old two rows: each half books, a visit across midnight is refused with a hint to use one row
SELECT book(91, 93, '2027-01-12 03:00Z', 'night-visit') IS NOT NULL AS split_monday_2200;
SELECT book(91, 93, '2027-01-12 06:00Z', 'night-visit') IS NOT NULL AS split_tuesday_0100;
SELECT book(92, 93, '2027-01-12 04:50Z', 'night-visit');
-- rows are not merged: 05:50 to 06:10 needs both of provider 95's rows
SELECT book(92, 95, '2027-01-12 10:50Z', 'night-visit');
SELECT book(92, 95, '2027-01-12 11:00Z', 'night-visit') IS NOT NULL AS adjacent_tuesday_0600;

-- ---- slots across midnight: C equals its SQL reference ---------------------
\i test/lib/ref_candidate_slots.sql
-- candidates, every provider, four weeks over both DST changes of each zone, and odd windows
SELECT v.p AS provider, w.w AS search_window,
       (SELECT array_agg(s ORDER BY s) FROM candidate_slots(v.p, w.w, 91) s)
         IS NOT DISTINCT FROM (SELECT array_agg(s ORDER BY s) FROM ref_candidate_slots(v.p, w.w, 91) s) AS same_as_sql,
       (SELECT count(*) FROM candidate_slots(v.p, w.w, 91)) AS slots
FROM (VALUES (91), (92), (93), (94), (95)) AS v(p),
     (VALUES (tstzrange('2027-01-04', '2027-02-01')), (tstzrange('2027-03-06', '2027-04-03')),
             (tstzrange('2027-10-23', '2027-11-20')), (tstzrange('2027-01-12 05:00Z', '2027-01-12 07:05Z')),
             (tstzrange('2027-01-12 04:59Z', '2027-01-12 05:00Z'))) AS w(w)
ORDER BY 1, 2;
-- every night of 2027 in zones whose clocks change at local midnight (Santiago), by 30 minutes
-- (Lord Howe), a zone named like a fixed abbreviation (CET) and Kathmandu (+05:45); odd hours
-- (23:30 to 00:30, 18:00 to 17:59:59.6) and a 45-minute type
INSERT INTO locations (id, name, time_zone) VALUES (93, 'Santiago', 'America/Santiago'),
  (94, 'Lord Howe', 'Australia/Lord_Howe'), (95, 'Abbreviation-named', 'CET'), (96, 'Kathmandu', 'Asia/Kathmandu');
INSERT INTO providers (id, name) SELECT p, 'Night ' || p FROM generate_series(96, 99) p;
INSERT INTO appointment_types (id, code, duration_minutes) VALUES (92, 'night-45', 45);
INSERT INTO availability (provider_id, location_id, weekday, starts_local, ends_local)
SELECT 96 + l, 93 + l, d, h.s, h.e
FROM generate_series(0, 3) l, generate_series(1, 7) d,
     (VALUES (time '22:00', time '06:00'), ('23:30', '00:30'), ('18:00', '17:59:59.6')) AS h(s, e)
WHERE (d + l) % 3 <> 0 OR h.s = '22:00';
SELECT p AS provider, t AS type_id, count(c) AS slots,
       array_agg(c ORDER BY c) IS NOT DISTINCT FROM
         (SELECT array_agg(s ORDER BY s) FROM ref_candidate_slots(p, tstzrange('2026-12-30', '2028-01-02'), t) s)
         AS same_as_sql
FROM generate_series(96, 99) p, generate_series(91, 92) t
     LEFT JOIN LATERAL candidate_slots(p, tstzrange('2026-12-30', '2028-01-02'), t) c ON true
GROUP BY p, t ORDER BY p, t;

-- free slots: the candidates less the bookings (Monday night, provider 91)
SELECT (SELECT array_agg(s ORDER BY s) FROM free_slots(91, '[2027-01-11 00:00Z, 2027-01-14 00:00Z)', 'night-visit') s)
       IS NOT DISTINCT FROM
       (SELECT array_agg(s ORDER BY s) FROM ref_candidate_slots(91, '[2027-01-11 00:00Z, 2027-01-14 00:00Z)', 91) s
         WHERE NOT EXISTS (SELECT FROM appointments a WHERE a.provider_id = 91 AND a.status = 'booked'
                            AND tstzrange(a.held_from, a.held_until) && s)) AS free_slots_same_as_sql;
SELECT s AS free_around_midnight
  FROM free_slots(91, '[2027-01-12 04:00Z, 2027-01-12 06:00Z)', 'night-visit') s;
-- next_available runs on past midnight, into the next local date
SELECT * FROM next_available('{91,93}', '2027-01-12 04:30Z', 'night-visit', '{}', 5);

-- ---- DST nights: each night's real length from its local wall times -------
-- Saturday night shifts: New York 2027-03-13/14 (spring forward, 02:00 -> 03:00: 7 real hours) and
-- 2027-11-06/07 (fall back, 02:00 -> 01:00: 9 real hours); Berlin 2027-03-27/28 and 2027-10-30/31
-- likewise; the nights before and after for comparison.  Slots are wall-clock steps: nonexistent
-- times move forward (duplicates drop), ambiguous ones read as standard time, as in SQL.
SELECT p AS provider, d AS night_of,
       min(lower(s)) AS first_slot, max(upper(s)) AS last_end, count(*) AS slots,
       max(upper(s)) - min(lower(s)) AS span
FROM (VALUES (91, '2027-03-06'), (91, '2027-03-13'), (91, '2027-03-20'),
             (91, '2027-10-30'), (91, '2027-11-06'), (91, '2027-11-13'),
             (92, '2027-03-20'), (92, '2027-03-27'), (92, '2027-04-03'),
             (92, '2027-10-23'), (92, '2027-10-30'), (92, '2027-11-06')) AS v(p, d),
     LATERAL (SELECT l.time_zone FROM locations l WHERE l.id = v.p) AS z,
     LATERAL free_slots(v.p, tstzrange((d::date + time '12:00') AT TIME ZONE z.time_zone,
                                       (d::date + 1 + time '12:00') AT TIME ZONE z.time_zone), 'night-visit') AS s
GROUP BY p, d ORDER BY p, d::date;
-- the trigger agrees at each end of those nights: the last 20 minutes book, 10 minutes later do not
SELECT book(91, 91, '2027-03-14 09:40Z', 'night-visit') IS NOT NULL AS ny_spring_0540_edt;
SELECT book(92, 91, '2027-03-14 09:50Z', 'night-visit');
SELECT book(91, 91, '2027-11-07 10:40Z', 'night-visit') IS NOT NULL AS ny_fall_0540_est;
SELECT book(92, 91, '2027-11-07 10:50Z', 'night-visit');
SELECT book(91, 92, '2027-03-28 03:40Z', 'night-visit') IS NOT NULL AS berlin_spring_0540_cest;
SELECT book(92, 92, '2027-03-28 03:50Z', 'night-visit');
SELECT book(91, 92, '2027-10-31 04:40Z', 'night-visit') IS NOT NULL AS berlin_fall_0540_cet;
SELECT book(92, 92, '2027-10-31 04:50Z', 'night-visit');
-- the start of each night, and both 01:30 of the New York fall-back night (the repeated hour is worked)
SELECT book(92, 91, '2027-03-14 03:00Z', 'night-visit') IS NOT NULL AS ny_spring_2200_est;
SELECT book(92, 91, '2027-03-14 02:40Z', 'night-visit');
SELECT book(92, 91, '2027-11-07 05:30Z', 'night-visit') IS NOT NULL AS ny_fall_0130_edt;
SELECT book(92, 91, '2027-11-07 06:30Z', 'night-visit') IS NOT NULL AS ny_fall_0130_est;
SELECT book(92, 92, '2027-10-30 20:00Z', 'night-visit') IS NOT NULL AS berlin_fall_2200_cest;
SELECT book(92, 92, '2027-10-30 19:40Z', 'night-visit');
SELECT provider_id, starts_at, ends_at, location_id FROM appointments WHERE provider_id IN (91, 92) ORDER BY starts_at;

SET client_min_messages = warning;
TRUNCATE reminders, reminder_rules, waitlist_offers, waitlist, appointments, appointment_resources, time_off, availability, appointment_types, resources,
         consents, patient_guardians, patients, providers, locations RESTART IDENTITY CASCADE;
RESET client_min_messages;
DROP FUNCTION ref_candidate_slots(bigint, tstzrange, bigint);
