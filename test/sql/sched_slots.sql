-- The one expansion of weekly hours (C, slots.c) against its definition in
-- SQL, and next_available against the same search written in SQL: same
-- rows, on DST days of several zones, zones named like abbreviations, a
-- local midnight that does not exist, validity ranges, two locations, odd
-- hours, bookings, buffers, time off, group capacity and resources.
-- Everything happens in one transaction that is rolled back.
SET search_path = public, patsvc;
\set SHOW_CONTEXT never
SET TimeZone = 'Pacific/Auckland';   -- neither of the zones below
-- sequences are not rolled back: remember them, put them back at the end (ids in later files)
CREATE TEMP TABLE slots_sequences AS
SELECT format('%I.%I', schemaname, sequencename) AS seq, last_value, start_value FROM pg_sequences WHERE schemaname = 'patsvc';
BEGIN;

-- candidate_slots as it was written in SQL (created in public, rolled back with the rest)
\i test/lib/ref_candidate_slots.sql

-- next_available written in SQL: those candidates of each provider in the
-- 92 days after the start, earliest first (ties by provider), each probed
-- with slot_is_free (the trigger's rules), until enough are free
CREATE FUNCTION pg_temp.sql_next_available(providers bigint[], after timestamptz, type_code text,
                                           resources bigint[], max_results int)
  RETURNS TABLE(provider bigint, slot tstzrange) LANGUAGE plpgsql STABLE
AS $$
DECLARE
  type_id bigint := patsvc.appointment_type_id(type_code);
  c record;
BEGIN
  FOR c IN SELECT p, s FROM (SELECT DISTINCT unnest(providers) AS p) u,
                  ref_candidate_slots(p, tstzrange(after, after + interval '2208 hours'), type_id) s
           ORDER BY lower(s), p LOOP
    IF patsvc.slot_is_free(c.p, lower(c.s), type_id, resources) THEN
      provider := c.p;
      slot := c.s;
      RETURN NEXT;
      max_results := max_results - 1;
      EXIT WHEN max_results = 0;
    END IF;
  END LOOP;
END $$;

INSERT INTO locations (id, name, time_zone) VALUES
  (701, 'New York', 'America/New_York'), (702, 'Berlin', 'Europe/Berlin'),
  (703, 'Abbreviation-named', 'CET'),            -- AT TIME ZONE reads CET as the fixed +01 abbreviation
  (704, 'Lord Howe', 'Australia/Lord_Howe'),     -- 30-minute DST shift
  (705, 'Santiago', 'America/Santiago'),         -- clocks change at local midnight
  (706, 'Kathmandu', 'Asia/Kathmandu');          -- +05:45, no DST
INSERT INTO providers (id, name) SELECT p, 'Provider ' || p FROM generate_series(701, 709) p;
INSERT INTO patients (id, name) SELECT p, 'Patient ' || p FROM generate_series(701, 720) p;
INSERT INTO resources (id, name, kind, location_id) VALUES (701, 'Scanner', 'scanner', 701), (702, 'Room', 'exam-room', 701);
INSERT INTO appointment_types (id, code, duration_minutes, buffer_before_minutes, buffer_after_minutes,
                               required_resource_kinds, capacity)
VALUES (701, 'slots-20', 20, 0, 0, '{}', 1), (702, 'slots-45', 45, 0, 0, '{}', 1),
       (703, 'slots-buffered', 30, 10, 15, '{}', 1), (704, 'slots-group', 60, 0, 0, '{}', 2),
       (705, 'slots-scan', 30, 0, 0, '{scanner}', 1);
-- providers 701-706: one location each, all day and a night shift across the change hours
INSERT INTO availability (provider_id, location_id, weekday, starts_local, ends_local)
SELECT 700 + l, 700 + l, d, h.s, h.e
FROM generate_series(1, 6) l, generate_series(1, 7) d,
     (VALUES (time '00:00', time '24:00'), ('01:00', '05:00'), ('08:00', '08:59:59.6')) AS h(s, e);
-- provider 707: New York and Berlin on the same days (shared starts are one slot)
INSERT INTO availability (provider_id, location_id, weekday, starts_local, ends_local)
SELECT 707, l, d, '06:00', '18:00' FROM (VALUES (701), (702)) x(l), generate_series(1, 7) d;
-- provider 708: weekdays, valid from 2027-03-10 to 2027-11-10 only
INSERT INTO availability (provider_id, location_id, weekday, starts_local, ends_local, valid_from, valid_until)
SELECT 708, 701, d, '09:00', '12:30', '2027-03-10', '2027-11-10' FROM generate_series(1, 5) d;
-- provider 709: Berlin, Sundays only
INSERT INTO availability (provider_id, location_id, weekday, starts_local, ends_local)
VALUES (709, 702, 7, '10:00', '14:00');

-- 1. candidate_slots equals its SQL definition for every provider and type, all of 2027 and around
SELECT p AS provider, t AS type_id, count(c) AS slots,
       array_agg(c ORDER BY c) IS NOT DISTINCT FROM
       (SELECT array_agg(s ORDER BY s) FROM ref_candidate_slots(p, tstzrange('2026-12-30', '2028-01-02'), t) s)
         AS same_as_sql
FROM generate_series(701, 709) p, generate_series(701, 703) t
     LEFT JOIN LATERAL candidate_slots(p, tstzrange('2026-12-30', '2028-01-02'), t) c ON true
GROUP BY p, t ORDER BY p, t;

-- on the change days themselves (window = the local day), in UTC
SET LOCAL TimeZone = 'UTC';
SELECT v.p AS provider, v.d AS local_date, count(*) AS slots, min(lower(c)) AS first_start, max(lower(c)) AS last_start,
       count(*) = (SELECT count(*) FROM ref_candidate_slots(v.p, w.w, 702)) AS same_count_as_sql
FROM (VALUES (701, date '2027-03-14'), (701, '2027-11-07'), (702, '2027-03-28'), (702, '2027-10-31'),
             (703, '2027-03-28'), (704, '2027-04-04'), (704, '2027-10-03'), (705, '2027-04-04'), (705, '2027-09-05'))
       AS v(p, d),
     LATERAL (SELECT tstzrange(v.d::timestamp AT TIME ZONE l.time_zone, (v.d + 1)::timestamp AT TIME ZONE l.time_zone) AS w
              FROM locations l WHERE l.id = v.p) AS w,
     LATERAL candidate_slots(v.p, w.w, 702) c
GROUP BY v.p, v.d, w.w ORDER BY v.p, v.d;
SET LOCAL TimeZone = 'Pacific/Auckland';

-- unknown type: no slots (empty and unbounded windows are refused: test/sql/security_bounds.sql)
SELECT (SELECT count(*) FROM candidate_slots(701, tstzrange('2027-03-01', '2027-03-02'), 799)) AS unknown_type;

-- 2. bookings, time off, a full group slot, a booked scanner
SELECT count(book(700 + g, 700 + 1 + g % 3, s, 'slots-20') IS NOT NULL) AS booked
FROM generate_series(1, 12) g,
     LATERAL (SELECT timestamptz '2027-03-14 04:00Z' + g * interval '20 minutes' AS s) x;
SELECT book(715, 707, '2027-03-14 10:00Z', 'slots-buffered') IS NOT NULL AS buffered,
       book(716, 707, '2027-03-14 12:00Z', 'slots-group') IS NOT NULL AS group_1,
       book(717, 707, '2027-03-14 12:00Z', 'slots-group') IS NOT NULL AS group_2,
       book(718, 708, '2027-03-15 13:00Z', 'slots-scan', '{701}') IS NOT NULL AS scanner;
-- (708's time off covers visits booked above: applied anyway, they stay booked, flagged for rebooking)
SELECT apply_schedule_change($$INSERT INTO patsvc.time_off (provider_id, during, reason) VALUES
  (701, '[2027-03-14 06:00Z, 2027-03-14 09:00Z)', 'training'), (708, '[2027-03-15 14:00Z, 2027-03-16 14:00Z)', 'away')$$) AS to_rebook;
INSERT INTO time_off (resource_id, during, reason) VALUES (701, '[2027-03-16 13:00Z, 2027-03-16 16:00Z)', 'service');
-- long booked runs (more taken candidates than next_available probes one by one):
-- provider 706 (Kathmandu) 20 hours of 20-minute visits from 2027-05-03 00:00 local,
-- then 34 full group hours from 2027-05-10 00:00 local and one group hour with a place left
SELECT count(book(703, 706, timestamptz '2027-05-03 00:00+05:45' + g * interval '20 minutes', 'slots-20') IS NOT NULL)
       AS booked_run
FROM generate_series(0, 59) g;
SELECT count(book(p, 706, timestamptz '2027-05-10 00:00+05:45' + g * interval '1 hour', 'slots-group') IS NOT NULL)
       AS booked_group_places
FROM generate_series(0, 34) g, (VALUES (704), (705)) AS x(p)
WHERE g < 34 OR p = 704;
-- a third run, 2027-05-05 00:00-20:00 local, with holes that no longer hold time (cancelled,
-- no-show, entered in error) just past the first 32 refusals, inside the first bulk read, and
-- later: next_available reads the run's index entries in bulk, and the rows only of the entries
-- a candidate overlaps
SELECT count(book(703, 706, timestamptz '2027-05-05 00:00+05:45' + g * interval '20 minutes', 'slots-20') IS NOT NULL)
       AS booked_run_with_holes
FROM generate_series(0, 59) g;
SELECT count(*) AS holes
FROM (SELECT CASE h.status WHEN 'cancelled' THEN cancel(a.id, 'slots test')::text ELSE set_status(a.id, h.status)::text END
      FROM (VALUES (33, 'cancelled'), (35, 'noshow'), (50, 'entered-in-error')) AS h(g, status)
      JOIN appointments a ON a.provider_id = 706
                         AND a.starts_at = timestamptz '2027-05-05 00:00+05:45' + h.g * interval '20 minutes') x;

-- a required ultrasound (resource 703), busy, off 3 hours, off all week,
-- across providers of several zones, two of them on night shifts (rows
-- crossing local midnight); a second ultrasound (704) off since forever
INSERT INTO resources (id, name, kind, location_id) VALUES (703, 'Ultrasound', 'ultrasound', 701),
                                                           (704, 'Ultrasound 2', 'ultrasound', 701);
INSERT INTO appointment_types (id, code, duration_minutes, buffer_before_minutes, buffer_after_minutes,
                               required_resource_kinds, capacity)
VALUES (706, 'slots-us', 30, 5, 10, '{ultrasound}', 1), (707, 'slots-us-group', 60, 0, 0, '{ultrasound}', 2);
INSERT INTO providers (id, name) SELECT p, 'Provider ' || p FROM generate_series(710, 713) p;
INSERT INTO availability (provider_id, location_id, weekday, starts_local, ends_local)
SELECT p, l, d, s, e
FROM (VALUES (710, 701, time '08:00', time '17:00'), (711, 702, '07:00', '15:00'),
             (712, 704, '22:00', '06:00'), (713, 701, '20:00', '04:00')) AS h(p, l, s, e),
     generate_series(1, 7) d;
-- busy: the ultrasound held back to back 2027-06-07 13:00Z-20:15Z (nine visits, 45 minutes held each)
SELECT count(book(719, 710, timestamptz '2027-06-07 13:05Z' + g * interval '45 minutes', 'slots-us', '{703}') IS NOT NULL)
       AS ultrasound_busy
FROM generate_series(0, 8) g;
-- one place of a group slot: other providers may share that start (same type), no other start;
-- the room held by a visit of another type
SELECT book(720, 711, '2027-06-09 12:00Z', 'slots-us-group', '{703}') IS NOT NULL AS ultrasound_group_place,
       book(711, 712, '2027-06-07 14:00Z', 'slots-20', '{702}') IS NOT NULL AS room_held;
INSERT INTO time_off (resource_id, during, reason) VALUES
  (703, '[2027-06-08 13:00Z, 2027-06-08 16:00Z)', 'off 3 hours'),
  (703, '[2027-06-14 00:00Z, 2027-06-21 00:00Z]', 'off all week'),
  (703, '(2027-04-03 12:00Z, 2027-04-04 16:25Z]', 'off over a DST change'),
  (704, '(, 2027-06-10 14:00Z]', 'off since forever');

-- 3. next_available equals the SQL search: same rows, in the same order
CREATE TEMP TABLE na_cases (id int, providers bigint[], after timestamptz, type_code text, resources bigint[], max_results int);
INSERT INTO na_cases VALUES
  (1, '{701,702,703,704,705,706,707,708,709}', '2027-03-14 04:00Z', 'slots-20', '{}', 40),
  (2, '{701,702,703}', '2027-03-14 05:50Z', 'slots-20', '{}', 25),
  (3, '{707}', '2027-03-14 09:00Z', 'slots-buffered', '{}', 12),
  (4, '{707}', '2027-03-14 11:00Z', 'slots-group', '{}', 3),
  (5, '{708}', '2027-03-15 12:00Z', 'slots-scan', '{701}', 6),
  (6, '{708,707}', '2027-03-16 12:00Z', 'slots-scan', '{701}', 5),
  (7, '{708}', '2027-03-15 13:00Z', 'slots-scan', '{}', 1),
  (8, '{704,705}', '2027-04-03 10:00Z', 'slots-45', '{}', 60),
  (9, '{705}', '2027-09-04 02:00Z', 'slots-45', '{}', 30),
  (10, '{709,702,703}', '2027-10-30 20:00Z', 'slots-45', '{}', 20),
  (11, '{708}', '2027-11-09 12:00Z', 'slots-20', '{}', 30),
  (12, '{708,708,799}', '2027-01-01 00:00Z', 'slots-20', '{}', 2),
  (13, '{799}', '2027-01-01 00:00Z', 'slots-20', '{}', 2),
  (14, '{706}', '2027-05-02 18:00Z', 'slots-20', '{}', 5),
  (15, '{706,701}', '2027-05-02 18:15Z', 'slots-buffered', '{}', 20),
  (16, '{706}', '2027-05-09 18:00Z', 'slots-group', '{}', 3),
  (17, '{706}', '2027-05-09 18:00Z', 'slots-20', '{}', 3),
  (18, '{710,711,712,713}', '2027-06-07 12:00Z', 'slots-us', '{703}', 40),
  (19, '{713,712,711,710}', '2027-06-08 12:00Z', 'slots-us', '{703}', 30),
  (20, '{710,711,712,713}', '2027-06-13 23:00Z', 'slots-us', '{703}', 10),
  (21, '{710,711,712,713}', '2027-06-09 11:00Z', 'slots-us-group', '{703}', 10),
  (22, '{712,713,710}', '2027-06-07 00:00Z', 'slots-us', '{703,702}', 40),
  (23, '{712,713}', '2027-06-06 18:00Z', 'slots-20', '{}', 40),
  (24, '{712,713,710}', '2027-04-03 08:00Z', 'slots-us', '{703}', 40),
  (25, '{710,711}', '2027-06-09 12:00Z', 'slots-us', '{704}', 5),
  (26, '{710,711}', '2027-06-09 12:00Z', 'slots-us', '{704,703}', 5),
  (27, '{710}', '2027-06-13 12:00Z', 'slots-us', '{703,799}', 2),
  (28, '{710,711,712,713}', '2027-06-07 12:00Z', 'slots-us', '{702}', 5),
  (29, '{706}', '2027-05-04 18:15Z', 'slots-20', '{}', 4),
  (30, '{706,701}', '2027-05-04 18:15Z', 'slots-buffered', '{}', 6);
SELECT id, (SELECT count(*) FROM next_available(providers, after, type_code, resources, max_results)) AS found,
       (SELECT array_agg(n ORDER BY ord) FROM next_available(providers, after, type_code, resources, max_results)
               WITH ORDINALITY AS n(provider, slot, ord))
       IS NOT DISTINCT FROM
       (SELECT array_agg(n ORDER BY ord) FROM pg_temp.sql_next_available(providers, after, type_code, resources, max_results)
               WITH ORDINALITY AS n(provider, slot, ord)) AS same_as_sql
FROM na_cases ORDER BY id;

-- 4. free_slots equals the candidates the probe (slot_is_free, the trigger's
-- rules) finds free: long booked runs, buffers, group places, time off, night shifts
SELECT v.p AS provider, v.t AS type_id, count(f) AS free,
       array_agg(f ORDER BY f) IS NOT DISTINCT FROM
       (SELECT array_agg(c ORDER BY c) FROM candidate_slots(v.p, v.w, v.t) c
        WHERE slot_is_free(v.p, lower(c), v.t, '{}')) AS same_as_probe
FROM (VALUES (701, 701, tstzrange('2027-03-13', '2027-03-17')), (706, 701, tstzrange('2027-05-01', '2027-05-12')),
             (706, 704, tstzrange('2027-05-08', '2027-05-13')), (707, 703, tstzrange('2027-03-13', '2027-03-16')),
             (707, 704, tstzrange('2027-03-13', '2027-03-16')), (708, 705, tstzrange('2027-03-14', '2027-03-18')),
             (710, 706, tstzrange('2027-06-06', '2027-06-11')), (712, 701, tstzrange('2027-04-01', '2027-04-08')),
             (712, 701, tstzrange('2027-06-05', '2027-06-09')), (713, 706, tstzrange('2027-06-05', '2027-06-09')))
       AS v(p, t, w)
     LEFT JOIN LATERAL free_slots(v.p, v.w, (SELECT code FROM appointment_types WHERE id = v.t)) f ON true
GROUP BY v.p, v.t, v.w ORDER BY v.p, v.t, v.w;

-- a few of them spelled out (UTC)
SET LOCAL TimeZone = 'UTC';
SELECT * FROM next_available('{701,702,703}', '2027-03-14 05:50Z', 'slots-20', '{}', 4);
SELECT * FROM next_available('{707}', '2027-03-14 11:00Z', 'slots-group', '{}', 3);
SELECT * FROM next_available('{708}', '2027-11-09 12:00Z', 'slots-20', '{}', 30) ORDER BY slot DESC LIMIT 2;
SELECT * FROM next_available('{706}', '2027-05-02 18:00Z', 'slots-20', '{}', 2);
SELECT * FROM next_available('{706}', '2027-05-09 18:00Z', 'slots-group', '{}', 2);
SELECT * FROM next_available('{706}', '2027-05-04 18:15Z', 'slots-20', '{}', 4);

-- a start that is not a finite time
SELECT * FROM next_available('{701}', 'infinity', 'slots-20');
ROLLBACK;
SELECT count(setval(seq, coalesce(last_value, start_value), last_value IS NOT NULL)) > 0 AS sequences_restored
FROM slots_sequences;
DROP TABLE slots_sequences;
