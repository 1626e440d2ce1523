-- book() writes its row without SPI or an INSERT plan (core: patsvc_direct_insert).  It must
-- behave exactly as the INSERT it stands for: the caller's privileges, defaults and the sequence
-- in column order, the priority domain, every row trigger (also one a DBA adds, before and
-- after), a trigger returning NULL, bookings made by one statement seeing each other, a
-- read-only transaction; and where the direct path cannot go (statement triggers, rules,
-- row-level security) book() runs the statement instead, with the same result.
SET search_path = patsvc, public;
SET TimeZone = 'UTC';
\set VERBOSITY default
\set SHOW_CONTEXT never
INSERT INTO locations (id, name, time_zone) VALUES (9401, 'Direct clinic', 'America/New_York');
INSERT INTO providers (id, name) VALUES (9401, 'Dr Direct'), (9402, 'Dr Second');
INSERT INTO patients (id, name) VALUES (9401, 'Ann Direct'), (9402, 'Bo Direct'), (9403, 'Cy Direct'), (9404, 'Di Direct');
INSERT INTO resources (id, name, kind, location_id) VALUES (9401, 'Room D', 'exam-room', 9401);
INSERT INTO appointment_types (id, code, duration_minutes) VALUES (9401, 'direct-visit', 30);
INSERT INTO availability (provider_id, location_id, weekday, starts_local, ends_local)
SELECT p, 9401, d, '08:00', '17:00' FROM generate_series(1, 5) d, generate_series(9401, 9402) p;

-- the row: given columns, the defaults (status, created_at, priority, overbook), the derived times
SELECT book(9401, 9401, '2027-04-05 13:00Z', 'direct-visit', '{9401}') AS first \gset
SELECT patient_id, provider_id, type_id, location_id, starts_at, ends_at, held_from, held_until, resources, status,
       overbook, priority, created_at <= now() AS created_by_default, :first > 0 AS has_id
  FROM appointments WHERE id = :first;
SELECT resource_id, held_from, held_until FROM appointment_resources WHERE appointment_id = :first;

-- a priority outside the domain: the domain's error, after the id was drawn (as the INSERT's
-- target list draws it first); nothing written
SELECT last_value AS seq_before FROM appointments_id_seq \gset
SELECT book(9402, 9401, '2027-04-05 14:00Z', 'direct-visit', '{}', 'whenever');
SELECT last_value - :seq_before AS ids_drawn, count(*) FILTER (WHERE patient_id = 9402) AS rows_written
  FROM appointments_id_seq, appointments GROUP BY last_value;

-- bookings made by one statement see each other (the command counter advances between rows):
-- the second overlaps the first and is refused, which undoes the statement
\set VERBOSITY terse
SELECT book(9402, 9402, t, 'direct-visit') IS NOT NULL AS booked
  FROM (VALUES (timestamptz '2027-04-05 15:00Z'), ('2027-04-05 15:10Z')) v(t);
\set VERBOSITY default
SELECT count(*) AS bo_booked FROM appointments WHERE patient_id = 9402;

-- a read-only transaction: the executor's refusal
BEGIN READ ONLY;
SELECT book(9403, 9402, '2027-04-06 13:00Z', 'direct-visit');
ROLLBACK;

-- row triggers a DBA adds fire: BEFORE (may change the row or skip it) and AFTER
CREATE TABLE public.direct_log (appointment_id bigint, note text);
CREATE FUNCTION public.direct_before() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.patient_id = 9404 THEN RETURN NULL; END IF;           -- skipped: book() returns NULL
  NEW.cancel_reason := 'set by a BEFORE trigger';
  RETURN NEW;
END $$;
CREATE FUNCTION public.direct_after() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO public.direct_log VALUES (NEW.id, 'after insert, status ' || NEW.status);
  RETURN NULL;
END $$;
CREATE TRIGGER zz_direct_before BEFORE INSERT ON appointments FOR EACH ROW EXECUTE FUNCTION public.direct_before();
CREATE TRIGGER zz_direct_after AFTER INSERT ON appointments FOR EACH ROW EXECUTE FUNCTION public.direct_after();
SELECT book(9403, 9402, '2027-04-06 13:00Z', 'direct-visit') AS cy \gset
SELECT cancel_reason, status FROM appointments WHERE id = :cy;
SELECT note FROM direct_log WHERE appointment_id = :cy;
SELECT book(9404, 9402, '2027-04-06 14:00Z', 'direct-visit') IS NULL AS skipped_returns_null;
SELECT count(*) AS di_rows FROM appointments WHERE patient_id = 9404;
DROP TRIGGER zz_direct_before ON appointments;
DROP TRIGGER zz_direct_after ON appointments;

-- a statement trigger: book() runs the INSERT statement (the trigger fires once per call)
CREATE FUNCTION public.direct_statement() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO public.direct_log VALUES (NULL, 'statement ' || TG_WHEN);
  RETURN NULL;
END $$;
CREATE TRIGGER zz_direct_statement BEFORE INSERT ON appointments FOR EACH STATEMENT EXECUTE FUNCTION public.direct_statement();
SELECT book(9404, 9402, '2027-04-06 15:00Z', 'direct-visit') IS NOT NULL AS booked_through_statement;
SELECT note, count(*) FROM direct_log WHERE appointment_id IS NULL GROUP BY note;
DROP TRIGGER zz_direct_statement ON appointments;

-- a refusal by the rules is the same error either way, and leaves nothing
\set VERBOSITY terse
SELECT book(9401, 9402, '2027-04-06 13:10Z', 'direct-visit');
\set VERBOSITY default
SELECT count(*) AS ann_rows FROM appointments WHERE patient_id = 9401;

-- privileges: a role that may not insert is refused before anything is drawn; row-level
-- security on appointments is applied (the statement's path)
CREATE ROLE regress_direct_reader;
GRANT USAGE ON SCHEMA patsvc TO regress_direct_reader;
GRANT SELECT ON appointments, appointment_types TO regress_direct_reader;
GRANT EXECUTE ON FUNCTION appointment_type_id(text), book(bigint, bigint, timestamptz, text, bigint[], text)
  TO regress_direct_reader;
SELECT last_value AS seq_before FROM appointments_id_seq \gset
SET ROLE regress_direct_reader;
SELECT book(9401, 9401, '2027-04-07 13:00Z', 'direct-visit');
RESET ROLE;
SELECT last_value - :seq_before AS ids_drawn FROM appointments_id_seq;
CREATE ROLE regress_direct_booker;
GRANT patsvc_scheduler TO regress_direct_booker;
ALTER TABLE appointments ENABLE ROW LEVEL SECURITY;
CREATE POLICY direct_only_9401 ON appointments TO regress_direct_booker
  USING (provider_id = 9401) WITH CHECK (provider_id = 9401);
SET ROLE regress_direct_booker;
SELECT book(9401, 9401, '2027-04-07 13:00Z', 'direct-visit') IS NOT NULL AS allowed_by_policy;
SELECT book(9402, 9402, '2027-04-07 13:00Z', 'direct-visit');
RESET ROLE;
DROP POLICY direct_only_9401 ON appointments;
ALTER TABLE appointments DISABLE ROW LEVEL SECURITY;
SELECT patient_id, provider_id, starts_at FROM appointments WHERE starts_at = '2027-04-07 13:00Z' ORDER BY patient_id;

-- clean up: the next files of the shared database start from empty tables and ids
DROP FUNCTION public.direct_before(), public.direct_after(), public.direct_statement();
DROP TABLE direct_log;
REVOKE ALL ON appointments, appointment_types FROM regress_direct_reader;
REVOKE ALL ON FUNCTION appointment_type_id(text), book(bigint, bigint, timestamptz, text, bigint[], text)
  FROM regress_direct_reader;
REVOKE ALL ON SCHEMA patsvc FROM regress_direct_reader;
DROP ROLE regress_direct_reader;
DROP ROLE regress_direct_booker;
SET client_min_messages = warning;
TRUNCATE reminders, reminder_rules, waitlist_offers, waitlist, appointments, appointment_resources, time_off,
         availability, appointment_types, resources, consents, patient_guardians, patients, providers, locations RESTART IDENTITY CASCADE;
RESET client_min_messages;
