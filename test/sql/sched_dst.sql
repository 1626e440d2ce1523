-- Weekly hours are wall-clock times in the location's zone: DST change days
-- give the right UTC slots, whatever the session's TimeZone.
SET search_path = public, patsvc;
\set VERBOSITY default
\set SHOW_CONTEXT never
SET TimeZone = 'Asia/Tokyo';   -- deliberately neither zone

INSERT INTO locations (id, name, time_zone) VALUES (11, 'New York', 'America/New_York'), (12, 'Berlin', 'Europe/Berlin');
INSERT INTO providers (id, name) VALUES (11, 'Dr NY'), (12, 'Dr Berlin'), (13, 'Dr Night');
INSERT INTO patients (id, name) VALUES (11, 'Pat');
INSERT INTO appointment_types (id, code, duration_minutes) VALUES (11, 'dst-visit', 30);
INSERT INTO availability (provider_id, location_id, weekday, starts_local, ends_local)
SELECT p, l, d, '08:00', '17:00' FROM (VALUES (11, 11), (12, 12)) AS x(p, l), generate_series(1, 7) d;
-- a night shift across the change hour (01:00-04:00 local)
INSERT INTO availability (provider_id, location_id, weekday, starts_local, ends_local)
SELECT 13, 11, 7, '01:00', '04:00';

-- first and last slot and slot count per day, shown in UTC: the day before, the change day, the day after
SELECT p AS provider, d::date AS local_date,
       min(lower(s)) AT TIME ZONE 'UTC' AS first_slot_utc, max(upper(s)) AT TIME ZONE 'UTC' AS last_end_utc,
       count(*) AS slots
FROM (VALUES (11, '2027-03-13'), (11, '2027-03-14'), (11, '2027-03-15'),
             (11, '2027-11-06'), (11, '2027-11-07'), (11, '2027-11-08'),
             (12, '2027-03-27'), (12, '2027-03-28'), (12, '2027-03-29'),
             (12, '2027-10-30'), (12, '2027-10-31'), (12, '2027-11-01')) AS v(p, d),
     LATERAL (SELECT l.time_zone FROM availability a JOIN locations l ON l.id = a.location_id
              WHERE a.provider_id = v.p LIMIT 1) AS z,
     LATERAL free_slots(v.p, tstzrange(d::date::timestamp AT TIME ZONE z.time_zone,
                                       (d::date + 1)::timestamp AT TIME ZONE z.time_zone), 'dst-visit') AS s
GROUP BY p, d ORDER BY p, d;

-- booking on the change days: 08:00 local is accepted, 07:30 local refused
SELECT book(11, 11, '2027-03-14 12:00Z', 'dst-visit') IS NOT NULL AS ny_spring_0800_edt;
SELECT book(11, 11, '2027-03-14 11:30Z', 'dst-visit');
SELECT book(11, 11, '2027-11-07 13:00Z', 'dst-visit') IS NOT NULL AS ny_fall_0800_est;
SELECT book(11, 11, '2027-11-07 12:30Z', 'dst-visit');
SELECT book(11, 12, '2027-03-28 06:00Z', 'dst-visit') IS NOT NULL AS berlin_spring_0800_cest;
SELECT book(11, 12, '2027-03-28 05:30Z', 'dst-visit');
SELECT book(11, 12, '2027-10-31 15:30Z', 'dst-visit') IS NOT NULL AS berlin_fall_1630_cet;
SELECT book(11, 12, '2027-10-31 16:00Z', 'dst-visit');
-- the session zone does not matter
SET TimeZone = 'America/Los_Angeles';
SELECT count(*) AS slots_ny_spring_day FROM free_slots(11, '[2027-03-14 04:00Z, 2027-03-15 04:00Z)', 'dst-visit');
SET TimeZone = 'UTC';
SELECT count(*) AS slots_ny_spring_day FROM free_slots(11, '[2027-03-14 04:00Z, 2027-03-15 04:00Z)', 'dst-visit');

-- night shift 01:00-04:00 local: on the spring day 02:00-03:00 does not exist (3 hours of wall clock,
-- 2 real hours); on the fall day 01:00-02:00 happens twice and PostgreSQL reads an ambiguous local time
-- as standard time, so the shift starts at the second 01:00
SELECT s AS night_slots_spring FROM free_slots(13, '[2027-03-14 00:00Z, 2027-03-15 00:00Z)', 'dst-visit') s;
SELECT s AS night_slots_fall FROM free_slots(13, '[2027-11-07 00:00Z, 2027-11-08 00:00Z)', 'dst-visit') s;

-- next_available expands the hours the same way (in C): the first slots after midnight UTC on the
-- change days, and the night shift across the gap and into the next week
SELECT * FROM next_available('{11}', '2027-03-14 00:00Z', 'dst-visit', '{}', 2);
SELECT * FROM next_available('{12}', '2027-10-31 00:00Z', 'dst-visit', '{}', 1);
SELECT * FROM next_available('{13}', '2027-03-14 00:00Z', 'dst-visit', '{}', 5);
SELECT * FROM next_available('{13}', '2027-11-07 00:00Z', 'dst-visit', '{}', 1);

SET client_min_messages = warning;
TRUNCATE reminders, reminder_rules, waitlist_offers, waitlist, appointments, appointment_resources, time_off, availability, appointment_types, resources,
         consents, patient_guardians, patients, providers, locations RESTART IDENTITY CASCADE;
RESET client_min_messages;
