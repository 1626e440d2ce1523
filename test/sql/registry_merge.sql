-- Merging duplicate patients: every row naming the duplicate moves to the
-- survivor (appointments, waitlist, consents, a clinic's registered table),
-- a double booking of the survivor refuses the whole merge, the duplicate's
-- MRN resolves to the survivor, the merge is audited (append-only), merged
-- patients take no new rows and are not offered as likely duplicates.
SET search_path = public, patsvc;
\set VERBOSITY default
\set SHOW_CONTEXT never
SET TimeZone = 'UTC';
SET client_min_messages = warning;
TRUNCATE patients, consents, patient_guardians, patient_changes, patient_distinct_pairs, patient_merges, reminders, waitlist_offers,
         waitlist, appointments, appointment_resources RESTART IDENTITY CASCADE;
RESET client_min_messages;
SELECT setval('patsvc.patient_mrn_seq', 1, false) AS mrn_from;

INSERT INTO locations (id, name, time_zone) VALUES (1, 'Boston', 'America/New_York');
INSERT INTO providers (id, name) VALUES (1, 'Dr Adams'), (2, 'Dr Baker');
INSERT INTO appointment_types (id, code, duration_minutes) VALUES (1, 'visit', 30);
INSERT INTO availability (provider_id, location_id, weekday, starts_local, ends_local)
SELECT p, 1, d, time '08:00', time '18:00' FROM generate_series(1, 7) d, generate_series(1, 2) p;

-- Margaret Okafor, and the same woman registered again as "Peggy Okafer" (the clerk confirmed)
SELECT patient_id AS margaret, patient_mrn AS margaret_mrn
  FROM register_patient('Okafor', 'Margaret', '1971-09-23', 'female', mobile_phone => '617 555 0173') \gset
SELECT patient_id AS peggy, patient_mrn AS peggy_mrn
  FROM register_patient('Okafer', 'Peggy', '1971-09-23', 'female', confirm_new => true) \gset
SELECT :margaret AS margaret, :'margaret_mrn' AS margaret_mrn, :peggy AS peggy, :'peggy_mrn' AS peggy_mrn;
-- Peggy's visits: one overlaps Margaret's (different providers), one does not
SELECT book(:margaret, 1, '2027-03-15 14:00Z', 'visit') AS m_visit;
SELECT book(:peggy, 2, '2027-03-15 14:15Z', 'visit') AS p_overlapping \gset
SELECT book(:peggy, 2, '2027-03-16 14:00Z', 'visit') AS p_visit;
SELECT join_waitlist(:peggy, 1, 'visit', '[2027-04-01, 2027-04-30)') AS p_waiting;
SELECT record_consent(:peggy, 'treatment', '2026-06-01 15:00Z') AS p_consent;
SELECT record_consent(:margaret, 'privacy-notice', '2026-06-01 15:00Z') AS m_consent;

-- ---- refused before anything moves --------------------------------------------
SELECT merge_patients(:margaret, :margaret, 'same person');
SELECT merge_patients(:margaret, :peggy, '  ');
SELECT merge_patients(:margaret, :peggy, NULL);
SELECT merge_patients(:margaret, 999, 'same person');
SELECT merge_patients(999, :peggy, 'same person');
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT merge_patients(:margaret, :peggy, 'same person');
ROLLBACK;

-- ---- the survivor would be double-booked: refused, nothing moved -------------
SELECT merge_patients(:margaret, :peggy, 'same person, registered twice');
SELECT patient_id, count(*) FROM appointments GROUP BY 1 ORDER BY 1;
SELECT patient_id, count(*) FROM consents GROUP BY 1 ORDER BY 1;
SELECT count(*) AS merges FROM patient_merges;
SELECT id, merged_into FROM patients ORDER BY id;
-- a cancelled visit holds no time: now the merge goes through
SELECT cancel(:p_overlapping, 'booked twice');
-- a visit of Peggy's left outside the rules by a schedule change moves with her and stays on the
-- rebooking worklist (a new patient alone checks the patient's rule only)
SELECT apply_schedule_change($$INSERT INTO patsvc.time_off (provider_id, during, reason)
                               VALUES (2, '[2027-03-16 13:00Z, 2027-03-16 16:00Z)', 'course')$$) AS to_rebook;
SELECT merge_patients(:margaret, :peggy, 'same person, registered twice') AS merge_id \gset
SELECT id, patient_id, status, starts_at, needs_rebooking IS NOT NULL AS to_rebook FROM appointments ORDER BY id;
SELECT id, patient_id FROM waitlist ORDER BY id;
SELECT id, patient_id, consent_type, revoked_at FROM consents ORDER BY id;
SELECT id, merged_into, mrn = :'peggy_mrn' AS keeps_mrn FROM patients ORDER BY id;
SELECT id = :merge_id AS same_id, survivor, duplicate, reason, merged_by = session_user AS by_me, moved
  FROM patient_merges;
-- Peggy's MRN (her card) finds Margaret
SELECT patient_by_mrn(:'peggy_mrn') = :margaret AS peggy_card_finds_margaret,
       patient_by_mrn(:'margaret_mrn') = :margaret AS margaret_card;
SELECT mrn = :'peggy_mrn' AS peggy_mrn, patient_id, merge_id = :merge_id AS this_merge FROM patient_mrn_aliases;
-- her history shows the merge like any change
SELECT patient_id, new_values FROM patient_changes WHERE patient_id = :peggy ORDER BY id;

-- ---- a merged patient takes nothing new ----------------------------------------------
SELECT book(:peggy, 2, '2027-03-17 14:00Z', 'visit');
SELECT join_waitlist(:peggy, 1, 'visit', '[2027-04-01, 2027-04-30)');
SELECT record_consent(:peggy, 'telehealth', '2026-06-01 15:00Z');
UPDATE appointments SET patient_id = :peggy WHERE patient_id = :margaret;
SELECT update_patient(:peggy, '{"city": "Boston"}');
SELECT merge_patients(:margaret, :peggy, 'again');
SELECT merge_patients(:peggy, :margaret, 'the other way');
-- merged_into is the merge's; consents move only inside one
UPDATE patients SET merged_into = NULL WHERE id = :peggy;
UPDATE patients SET merged_into = :peggy WHERE id = :margaret;
UPDATE consents SET patient_id = :peggy WHERE patient_id = :margaret;
INSERT INTO patients (name, merged_into) VALUES ('Nobody', :margaret);
-- the audit is append-only
UPDATE patient_merges SET reason = 'oops';
DELETE FROM patient_merges;
TRUNCATE patient_merges;
-- duplicate detection offers Margaret, not the merged Peggy (same birth date, similar name)
SELECT * FROM register_patient('Okafor', 'Peggy', '1971-09-23', 'female');

-- ---- a merge of the survivor carries the earlier duplicate's MRN along ------------------
CREATE TABLE public.clinic_notes (id bigint PRIMARY KEY, pat bigint, note text);
CREATE TABLE public.clinic_log (pat bigint, line text);
INSERT INTO patient_references (relid, column_name, note) VALUES ('public.clinic_notes', 'nope', 'x');
INSERT INTO patient_references (relid, column_name, note) VALUES ('public.clinic_notes', 'note', 'x');
INSERT INTO patient_references (relid, column_name, note)
VALUES ('public.clinic_notes', 'pat', 'paper notes'), ('public.clinic_log', 'pat', 'a log without a key');
SELECT patient_id AS mags FROM register_patient('Okafor-Reyes', 'Maggie', '1971-09-23', 'female', confirm_new => true) \gset
INSERT INTO clinic_notes VALUES (1, :margaret, 'allergic to penicillin'), (2, :mags, 'new address');
INSERT INTO clinic_log VALUES (:margaret, 'called'), (:margaret, 'called back');
SELECT * FROM patient_reference_columns();
SELECT merge_patients(:mags, :margaret, 'married name, registered again') AS merge2 \gset
SELECT id, merged_into FROM patients ORDER BY id;
SELECT patient_by_mrn(:'peggy_mrn') = :mags AS peggy_card_finds_mags, patient_by_mrn(:'margaret_mrn') = :mags AS margaret_card;
SELECT patient_id, count(*) FROM appointments GROUP BY 1 ORDER BY 1;
SELECT * FROM clinic_notes ORDER BY id;
SELECT * FROM clinic_log ORDER BY line;
SELECT survivor, duplicate, moved FROM patient_merges WHERE id = :merge2;
SELECT mrn, patient_id FROM patient_mrn_aliases ORDER BY mrn;
-- a clinic's table takes the same guard (README); attached wrongly, it says so
CREATE TRIGGER patient_reference_guard BEFORE INSERT OR UPDATE OF pat ON clinic_notes
  FOR EACH ROW EXECUTE FUNCTION patsvc.patient_reference_guard('pat');
INSERT INTO clinic_notes VALUES (3, :peggy, 'late note');
INSERT INTO clinic_notes VALUES (3, :mags, 'late note');
CREATE TRIGGER wrong_column BEFORE INSERT ON clinic_notes FOR EACH ROW EXECUTE FUNCTION patsvc.patient_reference_guard('note');
INSERT INTO clinic_notes VALUES (4, :mags, 'x');
DROP TRIGGER wrong_column ON clinic_notes;
CREATE TRIGGER wrong_time AFTER INSERT ON clinic_notes FOR EACH ROW EXECUTE FUNCTION patsvc.patient_reference_guard('pat');
INSERT INTO clinic_notes VALUES (4, :mags, 'x');
DROP TRIGGER wrong_time ON clinic_notes;

-- ---- retention: the survivor's facts become the later of both (inside a transaction rolled back:
-- facts are never deleted)
BEGIN;
-- (ids no earlier file used: facts of earlier files' patients stay, under their ids)
SELECT setval(pg_get_serial_sequence('patsvc.patients', 'id'), 990000) AS skipped \gset
SELECT patient_id AS ret_s FROM register_patient('Quinn', 'Ada', '1950-02-03', 'female') \gset
SELECT patient_id AS ret_d FROM register_patient('Quin', 'Addie', '1950-02-03', 'female', confirm_new => true) \gset
-- (registration recorded both birth dates as facts already: the visits and the death are added)
UPDATE retention_patient_facts SET last_encounter = '2019-05-01' WHERE patient_id = :'ret_s';
UPDATE retention_patient_facts SET death_date = '2024-01-09', last_encounter = '2023-11-30' WHERE patient_id = :'ret_d';
SELECT merge_patients(:ret_s, :ret_d, 'same person') > 0 AS merged;
SELECT patient_id = :'ret_s' AS survivor, death_date, last_encounter   -- (birth dates: ids are reused after the RESTART IDENTITY above, facts never are)
  FROM retention_patient_facts WHERE patient_id IN (:'ret_s', :'ret_d') ORDER BY 1 DESC;
ROLLBACK;

-- ---- every column of patsvc holding patient ids refuses merged patients ------------------
-- (appointments.patient_id by appointments_enforce, which asks the registry in C: a booking
-- then runs one trigger; its refusal is tested above, book() and the UPDATE)
SELECT c.relid, c.column_name, c.source,
       EXISTS (SELECT FROM pg_trigger t JOIN pg_proc f ON f.oid = t.tgfoid
                WHERE t.tgrelid = c.relid AND f.pronamespace = 'patsvc'::regnamespace AND t.tgenabled = 'O'
                  AND ((f.proname = 'patient_reference_guard' AND encode(t.tgargs, 'escape') = c.column_name || '\000')
                       OR (f.proname = 'appointments_enforce' AND (c.relid, c.column_name) = ('patsvc.appointments'::regclass, 'patient_id'))))
         AS guarded
  FROM patient_reference_columns() c
 WHERE c.relid IN (SELECT oid FROM pg_class WHERE relnamespace = 'patsvc'::regnamespace)
 ORDER BY 1, 2;

-- ---- who merges: records staff; the front desk cannot ------------------------------
CREATE ROLE regress_merge_desk IN ROLE patsvc_front_desk;
CREATE ROLE regress_merge_records IN ROLE patsvc_records;
SELECT patient_id AS twin FROM register_patient('Okafor', 'Grace', '2015-04-02', 'female') \gset
SELECT patient_id AS twin2 FROM register_patient('Okafor', 'Gracie', '2015-04-02', 'female', confirm_new => true) \gset
SET ROLE regress_merge_desk;
SELECT merge_patients(:twin, :twin2, 'same child');
SELECT count(*) AS desk_sees_merges FROM patient_merges;
RESET ROLE;
SET ROLE regress_merge_records;
SELECT merge_patients(:twin, :twin2, 'same child') > 0 AS records_merged;
UPDATE patient_merges SET reason = 'x';
RESET ROLE;

-- nothing of this file stays behind (consents and the audit go only in replica mode, as restores write)
DROP ROLE regress_merge_desk, regress_merge_records;
DROP TABLE clinic_notes, clinic_log;
DELETE FROM patient_references;
SET session_replication_role = replica;
DELETE FROM consents;
DELETE FROM patient_merges;
RESET session_replication_role;
SET client_min_messages = warning;
TRUNCATE reminders, reminder_rules, waitlist_offers, waitlist, appointments, appointment_resources, availability, time_off, appointment_types,
         resources, consents, patient_guardians, patient_changes, patient_distinct_pairs, patient_merges, patients, providers, locations RESTART IDENTITY CASCADE;
RESET client_min_messages;
SELECT setval('patsvc.patient_mrn_seq', 1, false) AS mrn_reset;
