-- Issue 10, items 1-3 and the internal error of item 6: patsvc's trigger
-- functions attached where they do not belong.  An ordinary role cannot even
-- attach them (no EXECUTE for PUBLIC); a role that can (the owner, or a
-- privacy officer for the retention guards) gets PS001 before the function
-- reads a column, writes a patsvc table or takes a lock.
SET search_path = public, patsvc;
\set VERBOSITY default
\set SHOW_CONTEXT never
SET TimeZone = 'UTC';

-- a visit with reminders, and a patient on the waitlist, to see that nothing moves
INSERT INTO locations (id, name, time_zone) VALUES (91, 'Attack office', 'UTC');
INSERT INTO providers (id, name) VALUES (91, 'Dr Target');
INSERT INTO patients (id, name) VALUES (91, 'Pat'), (92, 'Wes');
INSERT INTO appointment_types (id, code, duration_minutes) VALUES (91, 'atk-visit', 30);
INSERT INTO availability (provider_id, location_id, weekday, starts_local, ends_local)
SELECT 91, 91, d, '08:00', '17:00' FROM generate_series(1, 7) d;
INSERT INTO reminder_rules (type_id, lead_time, channel) VALUES (91, '1 day', 'sms');
SELECT book(91, 91, '2027-05-03 09:00Z', 'atk-visit') AS visit \gset
SELECT join_waitlist(92, 91, 'atk-visit', '[2027-05-03 08:00Z, 2027-05-03 17:00Z)') IS NOT NULL AS wes_waits;
UPDATE reminders SET claimed_at = '2027-05-02 09:00Z', claimed_by = 'sender' WHERE appointment_id = :visit;
CREATE TEMP TABLE reminders_before AS SELECT * FROM reminders WHERE appointment_id = :visit;

CREATE ROLE regress_sec_nobody;          -- only what PostgreSQL gives every role
CREATE ROLE regress_sec_officer IN ROLE patsvc_privacy_officer;

-- 1. An ordinary role: a temporary table named like patsvc's, its columns of other
--    types (resources a bigint, where the trigger reads an array), and no trigger
--    function of patsvc may be attached to it.
SET SESSION AUTHORIZATION regress_sec_nobody;
CREATE TEMP TABLE appointments (
  id text, patient_id text, provider_id integer[], type_id text, location_id text, starts_at text,
  ends_at text, held_from text, held_until text, resources bigint, status integer, overbook text,
  overbook_reason integer, overridden_by integer, cancel_reason integer, replaces text, series_id text,
  created_at text);
DO $$
DECLARE
  f regprocedure;
BEGIN
  FOR f IN SELECT p.oid FROM pg_proc p
            WHERE p.pronamespace = 'patsvc'::regnamespace AND p.prorettype = 'trigger'::regtype
            ORDER BY p.proname
  LOOP
    BEGIN
      EXECUTE format('CREATE TRIGGER attack AFTER INSERT OR UPDATE OR DELETE ON pg_temp.appointments'
                     ' FOR EACH ROW EXECUTE FUNCTION %s', f);
      RAISE NOTICE '% attached!', f;
      EXECUTE 'DROP TRIGGER attack ON pg_temp.appointments';
    EXCEPTION WHEN insufficient_privilege THEN
      RAISE NOTICE '%: % (%)', f, SQLERRM, SQLSTATE;
    END;
  END LOOP;
END $$;
-- the SECURITY DEFINER triggers by hand: refused at CREATE TRIGGER
CREATE TRIGGER make_offers AFTER UPDATE ON appointments FOR EACH ROW EXECUTE FUNCTION patsvc.waitlist_offer_freed_time();
CREATE TRIGGER block_bookings BEFORE DELETE ON appointments FOR EACH ROW EXECUTE FUNCTION patsvc.referenced_key_guard();
-- so the delete takes no lock on patsvc.appointments
BEGIN;
INSERT INTO pg_temp.appointments (id) VALUES ('1');
DELETE FROM pg_temp.appointments;
SELECT count(*) AS share_locks_on_appointments FROM pg_locks
 WHERE pid = pg_backend_pid() AND locktype = 'relation' AND relation = 'patsvc.appointments'::regclass
   AND mode = 'ShareLock';
COMMIT;
DROP TABLE pg_temp.appointments;
RESET SESSION AUTHORIZATION;

-- 2. Attached anyway (by a superuser here, who has EXECUTE): every C trigger
--    function refuses the temporary table before it reads a column, with PS001.
CREATE TEMP TABLE appointments (
  id text, patient_id text, provider_id integer[], type_id text, location_id text, starts_at text,
  ends_at text, held_from text, held_until text, resources bigint, status integer, overbook text,
  overbook_reason integer, overridden_by integer, cancel_reason integer, replaces text, series_id text,
  created_at text);
INSERT INTO pg_temp.appointments (id, resources, status) VALUES ('1', 7, 3);
CREATE TRIGGER attack BEFORE INSERT OR UPDATE OR DELETE ON pg_temp.appointments
  FOR EACH ROW EXECUTE FUNCTION patsvc.appointments_enforce();
-- every column the trigger reads is set, each of another type (without the check: SIGSEGV)
INSERT INTO pg_temp.appointments VALUES ('2', '1', '{1}', '1', '1', 'x', 'x', 'x', 'x', 8, 4, 'f', 1, 1, 1, '1', '1', 'x');
INSERT INTO pg_temp.appointments (id, resources, status) VALUES ('2', 8, 4);
UPDATE pg_temp.appointments SET status = 5;
DELETE FROM pg_temp.appointments;
DROP TRIGGER attack ON pg_temp.appointments;
CREATE TRIGGER attack BEFORE INSERT OR UPDATE ON pg_temp.appointments
  FOR EACH ROW EXECUTE FUNCTION patsvc.appointments_replica_check();
INSERT INTO pg_temp.appointments (id, resources, status) VALUES ('2', 8, 4);
DROP TRIGGER attack ON pg_temp.appointments;
CREATE TRIGGER attack BEFORE INSERT ON pg_temp.appointments
  FOR EACH ROW EXECUTE FUNCTION patsvc.appointment_resources_guard();
INSERT INTO pg_temp.appointments (id) VALUES ('2');
DROP TRIGGER attack ON pg_temp.appointments;
-- the reference guard: no SHARE lock on patsvc.appointments, and no internal
-- error (XX000 "invalid attnum") on a table without an id column
CREATE TRIGGER attack BEFORE UPDATE OR DELETE ON pg_temp.appointments
  FOR EACH ROW EXECUTE FUNCTION patsvc.referenced_key_guard();
DO $$
BEGIN
  BEGIN
    DELETE FROM pg_temp.appointments;
  EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'delete refused: % (%)', SQLERRM, SQLSTATE;
  END;
  RAISE NOTICE 'SHARE lock on patsvc.appointments held: %',
    EXISTS (SELECT FROM pg_locks WHERE pid = pg_backend_pid() AND locktype = 'relation'
             AND relation = 'patsvc.appointments'::regclass AND mode = 'ShareLock');
END $$;
CREATE TEMP TABLE no_id (n integer);
INSERT INTO no_id VALUES (1);
CREATE TRIGGER attack BEFORE UPDATE ON no_id FOR EACH ROW EXECUTE FUNCTION patsvc.referenced_key_guard();
UPDATE no_id SET n = 2;
DROP TRIGGER attack ON pg_temp.appointments;
-- statement triggers that invalidate caches
CREATE TRIGGER attack AFTER INSERT ON pg_temp.appointments FOR EACH STATEMENT EXECUTE FUNCTION patsvc.references_changed();
INSERT INTO pg_temp.appointments (id) VALUES ('3');
DROP TRIGGER attack ON pg_temp.appointments;
CREATE TRIGGER attack AFTER INSERT ON pg_temp.appointments FOR EACH STATEMENT EXECUTE FUNCTION patsvc.cache_changed();
INSERT INTO pg_temp.appointments (id) VALUES ('3');
DROP TRIGGER attack ON pg_temp.appointments;
CREATE TRIGGER attack BEFORE UPDATE ON pg_temp.appointments FOR EACH ROW EXECUTE FUNCTION patsvc.append_only_guard();
UPDATE pg_temp.appointments SET status = 6;
DROP TRIGGER attack ON pg_temp.appointments;

-- 3. The SECURITY DEFINER triggers attached anyway: refused, patsvc's tables unchanged
--    (the reminder keeps its due date and claim, no waitlist offer, no NOTIFY).
LISTEN patsvc_waitlist;
CREATE TEMP TABLE fake_visit (id bigint, type_id bigint, provider_id bigint, starts_at timestamptz, status text);
INSERT INTO fake_visit VALUES (:visit, 91, 91, '2027-05-03 16:00Z', 'booked');
CREATE TRIGGER make_offers AFTER UPDATE ON fake_visit FOR EACH ROW EXECUTE FUNCTION patsvc.waitlist_offer_freed_time();
INSERT INTO fake_visit VALUES (:visit, 91, 91, '2027-05-03 09:00Z', 'booked');
UPDATE fake_visit SET status = 'cancelled';
SELECT (SELECT string_agg(r::text, ';' ORDER BY r.id) FROM reminders r WHERE r.appointment_id = :visit)
       = (SELECT string_agg(b::text, ';' ORDER BY b.id) FROM reminders_before b) AS reminders_unchanged,
       (SELECT count(*) FROM waitlist_offers o JOIN waitlist w ON w.id = o.waitlist_id WHERE w.patient_id = 92) AS offers,
       (SELECT status FROM waitlist WHERE patient_id = 92) AS wes;
UNLISTEN patsvc_waitlist;

-- 4. The retention guards, attached by a privacy officer (who has EXECUTE on them for
--    patsvc.protect()) to a table that is not protected: refused, PS001.
SET SESSION AUTHORIZATION regress_sec_officer;
CREATE TEMP TABLE my_notes (patient_id text, written date);
INSERT INTO my_notes VALUES ('91', '2020-01-01');
CREATE TRIGGER attack AFTER DELETE OR UPDATE ON my_notes FOR EACH ROW
  EXECUTE FUNCTION patsvc.retention_guard_row('patient_id', 'written');
DELETE FROM my_notes;
UPDATE my_notes SET patient_id = '92';
DROP TRIGGER attack ON my_notes;
CREATE TRIGGER attack BEFORE TRUNCATE ON my_notes FOR EACH STATEMENT EXECUTE FUNCTION patsvc.retention_guard_truncate();
TRUNCATE my_notes;
DROP TRIGGER attack ON my_notes;
CREATE TRIGGER attack AFTER UPDATE ON my_notes FOR EACH ROW EXECUTE FUNCTION patsvc.append_only_guard();
DROP TABLE my_notes;
RESET SESSION AUTHORIZATION;

-- the server survived all of it, and the real triggers still work on their tables
SELECT cancel(:visit, 'attack over');
SELECT count(*) AS offers_to_wes FROM waitlist_offers o JOIN waitlist w ON w.id = o.waitlist_id WHERE w.patient_id = 92;

DROP TABLE pg_temp.appointments, no_id, fake_visit, reminders_before;
DROP ROLE regress_sec_nobody, regress_sec_officer;
