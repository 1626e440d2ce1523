-- Retention facts follow the registry and the schedule: birth and death dates
-- of registered patients and the dates of fulfilled visits become
-- retention_patient_facts, under the patient's id and MRN, only moving later.
SET search_path = public, patsvc;
\set VERBOSITY default
\set SHOW_CONTEXT never
SET TimeZone = 'UTC';
SET DateStyle = ISO, YMD;

INSERT INTO patients (id, family_name, given_name, birth_date, sex, mrn)
VALUES (880001, 'Facts', 'Fiona', '2012-05-06', 'female', 'EXT880001'),
       (880002, 'Facts', 'Frank', NULL, 'male', 'EXT880002');
-- under the id and under the MRN; a patient without dates has no facts
SELECT patient_id, birth_date, death_date, last_encounter FROM retention_patient_facts
 WHERE patient_id IN ('880001', 'EXT880001', '880002', 'EXT880002') ORDER BY patient_id;

-- a correction to an earlier birth date leaves the fact at the later one (longer retention)
UPDATE patients SET birth_date = '2012-05-01' WHERE id = 880001;
-- a later one moves it
UPDATE patients SET birth_date = '2012-06-06' WHERE id = 880001;
-- a death
UPDATE patients SET deceased_date = '2026-01-02' WHERE id = 880001;
SELECT patient_id, birth_date, death_date, last_encounter FROM retention_patient_facts
 WHERE patient_id IN ('880001', 'EXT880001') ORDER BY patient_id;

-- fulfilled visits: the local date where the visit took place (23:30 in Los Angeles is the day before in UTC)
INSERT INTO locations (id, name, time_zone) VALUES (88, 'Facts LA', 'America/Los_Angeles');
INSERT INTO providers (id, name) VALUES (88, 'Dr Facts');
INSERT INTO appointment_types (id, code, duration_minutes) VALUES (88, 'facts-visit', 30);
INSERT INTO availability (id, provider_id, location_id, weekday, starts_local, ends_local)
SELECT 880 + d, 88, 88, d, '00:00', '24:00' FROM generate_series(1, 7) d;   -- explicit ids: later files count theirs from 1
INSERT INTO appointments (id, patient_id, provider_id, type_id, location_id, starts_at, resources)
VALUES (88001, 880002, 88, 88, 88, '2025-03-04 07:00Z', '{}'),   -- 2025-03-03 23:00 in Los Angeles
       (88002, 880002, 88, 88, 88, '2025-01-10 18:00Z', '{}');
SELECT count(*) AS facts_before_visit FROM retention_patient_facts WHERE patient_id IN ('880002', 'EXT880002');
UPDATE appointments SET status = 'fulfilled' WHERE id = 88001;
SELECT patient_id, last_encounter FROM retention_patient_facts WHERE patient_id IN ('880002', 'EXT880002') ORDER BY 1;
-- an earlier visit fulfilled afterwards does not move it back
UPDATE appointments SET status = 'fulfilled' WHERE id = 88002;
-- a visit inserted as fulfilled (history loaded from another system) counts too
INSERT INTO appointments (id, patient_id, provider_id, type_id, location_id, starts_at, resources, status)
VALUES (88003, 880002, 88, 88, 88, '2025-06-01 16:00Z', '{}', 'fulfilled');
-- (recorded while the row is written, by appointments_enforce calling retention: a write that
-- fails afterwards, here on the primary key, records nothing)
INSERT INTO appointments (id, patient_id, provider_id, type_id, location_id, starts_at, resources, status)
VALUES (88003, 880002, 88, 88, 88, '2025-09-01 16:00Z', '{}', 'fulfilled');
SELECT patient_id, last_encounter FROM retention_patient_facts WHERE patient_id IN ('880002', 'EXT880002') ORDER BY 1;
-- each recording is in the retention event log
SELECT count(*) > 0 AS logged FROM retention_events WHERE detail LIKE '%880002%' OR detail LIKE '%EXT880002%';

-- the trigger functions are bound to their tables
CREATE TABLE pg_temp.not_patients (id bigint, mrn text, birth_date date, deceased_date date);
CREATE TRIGGER attack AFTER INSERT ON pg_temp.not_patients FOR EACH ROW EXECUTE FUNCTION patsvc._patient_facts_from_registry();
INSERT INTO pg_temp.not_patients VALUES (1, 'X', '2000-01-01', NULL);

-- clean up what can be removed (facts stay: they only move later)
DELETE FROM appointments WHERE id IN (88001, 88002, 88003);
DELETE FROM availability WHERE provider_id = 88;
DELETE FROM appointment_types WHERE id = 88;
DELETE FROM providers WHERE id = 88;
DELETE FROM locations WHERE id = 88;
DELETE FROM patients WHERE id IN (880001, 880002);
