-- The privilege matrix (issue 10; README, Roles and privileges): every role's
-- right on every patsvc function, table and sequence, from the catalog.  A
-- new object, or a changed grant, shows up here as a diff: decide who gets it
-- in src/security/10-roles.sql and accept the new line deliberately.
-- Then real calls as a login member of each role along the key paths.
SET search_path = public, patsvc;
\set VERBOSITY default
\set SHOW_CONTEXT never
SET TimeZone = 'UTC';

-- the group roles: NOLOGIN, no attributes, members of nothing
SELECT r.rolname, r.rolcanlogin, r.rolsuper, r.rolcreaterole, r.rolcreatedb, r.rolbypassrls, r.rolinherit,
       (SELECT count(*) FROM pg_auth_members m WHERE m.member = r.oid) AS member_of,
       shobj_description(r.oid, 'pg_authid') AS job
FROM pg_roles r WHERE r.rolname LIKE 'patsvc\_%' ORDER BY 1;

CREATE TEMP VIEW matrix_roles(col, role) AS VALUES
  (1, 'public'), (2, 'patsvc_front_desk'), (3, 'patsvc_scheduler'), (4, 'patsvc_biller'),
  (5, 'patsvc_records'), (6, 'patsvc_privacy_officer'), (7, 'patsvc_admin');

-- code types: every I/O, comparison and validity function of the 8 types is PUBLIC's
SELECT t.typname AS code_type, count(*) AS functions,
       bool_and(has_function_privilege('public', p.oid, 'EXECUTE')) AS all_public
FROM pg_proc p JOIN pg_type t ON t.typnamespace = p.pronamespace
  AND t.typname IN ('icd10cm', 'icd10pcs', 'cpt', 'hcpcs', 'code_modifier', 'npi', 'ndc', 'mbi')
  AND (p.proname ~ ('^' || t.typname || '_(in|out|recv|send|eq|ne|lt|le|gt|ge|cmp|sortsupport|hash|hash_extended)$')
       OR p.proname = 'is_valid_' || t.typname)
WHERE p.pronamespace = 'patsvc'::regnamespace
GROUP BY 1 ORDER BY 1;

-- every other function: X = may execute (PUBLIC's right counts for every role)
SELECT p.oid::regprocedure AS function,
       max(CASE WHEN m.col = 1 AND has_function_privilege(m.role, p.oid, 'EXECUTE') THEN 'X' ELSE '' END) AS "PUBLIC",
       max(CASE WHEN m.col = 2 AND has_function_privilege(m.role, p.oid, 'EXECUTE') THEN 'X' ELSE '' END) AS front_desk,
       max(CASE WHEN m.col = 3 AND has_function_privilege(m.role, p.oid, 'EXECUTE') THEN 'X' ELSE '' END) AS scheduler,
       max(CASE WHEN m.col = 4 AND has_function_privilege(m.role, p.oid, 'EXECUTE') THEN 'X' ELSE '' END) AS biller,
       max(CASE WHEN m.col = 5 AND has_function_privilege(m.role, p.oid, 'EXECUTE') THEN 'X' ELSE '' END) AS records,
       max(CASE WHEN m.col = 6 AND has_function_privilege(m.role, p.oid, 'EXECUTE') THEN 'X' ELSE '' END) AS privacy,
       max(CASE WHEN m.col = 7 AND has_function_privilege(m.role, p.oid, 'EXECUTE') THEN 'X' ELSE '' END) AS admin,
       CASE WHEN p.prosecdef THEN 'definer' ELSE '' END AS security
FROM pg_proc p CROSS JOIN matrix_roles m
WHERE p.pronamespace = 'patsvc'::regnamespace
  AND p.proname !~ '^(icd10cm|icd10pcs|cpt|hcpcs|code_modifier|npi|ndc|mbi)_(in|out|recv|send|eq|ne|lt|le|gt|ge|cmp|sortsupport|hash|hash_extended)$'
  AND p.proname !~ '^is_valid_(icd10cm|icd10pcs|cpt|hcpcs|code_modifier|npi|ndc|mbi)$'
GROUP BY p.oid, p.prosecdef ORDER BY p.oid::regprocedure::text COLLATE "C";

-- tables and sequences: r SELECT, a INSERT, w UPDATE, d DELETE, D TRUNCATE,
-- x REFERENCES, t TRIGGER; for sequences U USAGE, r SELECT, w UPDATE
CREATE TEMP VIEW matrix_privs(rel, col, privs) AS
SELECT c.oid, m.col,
       CASE WHEN c.relkind = 'S' THEN
         concat(CASE WHEN has_sequence_privilege(m.role, c.oid, 'USAGE') THEN 'U' END,
                CASE WHEN has_sequence_privilege(m.role, c.oid, 'SELECT') THEN 'r' END,
                CASE WHEN has_sequence_privilege(m.role, c.oid, 'UPDATE') THEN 'w' END)
       ELSE
         concat(CASE WHEN has_table_privilege(m.role, c.oid, 'SELECT') THEN 'r' END,
                CASE WHEN has_table_privilege(m.role, c.oid, 'INSERT') THEN 'a' END,
                CASE WHEN has_table_privilege(m.role, c.oid, 'UPDATE') THEN 'w' END,
                CASE WHEN has_table_privilege(m.role, c.oid, 'DELETE') THEN 'd' END,
                CASE WHEN has_table_privilege(m.role, c.oid, 'TRUNCATE') THEN 'D' END,
                CASE WHEN has_table_privilege(m.role, c.oid, 'REFERENCES') THEN 'x' END,
                CASE WHEN has_table_privilege(m.role, c.oid, 'TRIGGER') THEN 't' END)
       END
FROM pg_class c CROSS JOIN matrix_roles m
WHERE c.relnamespace = 'patsvc'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f');
SELECT c.relname AS relation, c.relkind AS kind,
       max(CASE WHEN v.col = 1 THEN v.privs END) AS "PUBLIC",
       max(CASE WHEN v.col = 2 THEN v.privs END) AS front_desk,
       max(CASE WHEN v.col = 3 THEN v.privs END) AS scheduler,
       max(CASE WHEN v.col = 4 THEN v.privs END) AS biller,
       max(CASE WHEN v.col = 5 THEN v.privs END) AS records,
       max(CASE WHEN v.col = 6 THEN v.privs END) AS privacy,
       max(CASE WHEN v.col = 7 THEN v.privs END) AS admin
FROM matrix_privs v JOIN pg_class c ON c.oid = v.rel
GROUP BY c.relname, c.relkind ORDER BY c.relname COLLATE "C";

-- no column-level grants anywhere (they would escape the matrix above)
SELECT a.attrelid::regclass AS relation, a.attname AS column_with_its_own_acl
FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
WHERE c.relnamespace = 'patsvc'::regnamespace AND a.attacl IS NOT NULL ORDER BY 1, 2;

-- ---- real calls, as a login member of each role ---------------------------
INSERT INTO locations (id, name, time_zone) VALUES (95, 'Matrix office', 'UTC');
INSERT INTO providers (id, name) VALUES (95, 'Dr Matrix');
INSERT INTO patients (id, name) VALUES (95, 'Mia'), (96, 'Max');
INSERT INTO appointment_types (id, code, duration_minutes) VALUES (95, 'mx-visit', 30);
INSERT INTO availability (provider_id, location_id, weekday, starts_local, ends_local)
SELECT 95, 95, d, '08:00', '17:00' FROM generate_series(1, 7) d;
INSERT INTO reminder_rules (type_id, lead_time, channel) VALUES (95, '1 day', 'sms');

CREATE ROLE regress_mx_desk LOGIN IN ROLE patsvc_front_desk;
CREATE ROLE regress_mx_sched LOGIN IN ROLE patsvc_scheduler;
CREATE ROLE regress_mx_biller LOGIN IN ROLE patsvc_biller;
CREATE ROLE regress_mx_records LOGIN IN ROLE patsvc_records;
CREATE ROLE regress_mx_privacy LOGIN IN ROLE patsvc_privacy_officer;
CREATE ROLE regress_mx_admin LOGIN IN ROLE patsvc_admin;
CREATE ROLE regress_mx_nobody LOGIN;

-- front desk: registers, books, moves, cancels, looks for slots; no overbook, no calendars
SET SESSION AUTHORIZATION regress_mx_desk;
INSERT INTO patients (id, name) VALUES (97, 'New patient');
SELECT book(95, 95, '2027-06-07 09:00Z', 'mx-visit') AS desk_visit \gset
SELECT reschedule(:desk_visit, '2027-06-07 10:00Z') AS desk_visit \gset
SELECT book_series(96, 95, '2027-06-08 09:00Z', 'mx-visit', 2) IS NOT NULL AS series_booked;
SELECT count(*) AS free_slots FROM free_slots(95, '[2027-06-07 08:00Z, 2027-06-07 12:00Z)', 'mx-visit');
SELECT provider, slot FROM next_available('{95}', '2027-06-07 08:00Z', 'mx-visit');
SELECT join_waitlist(97, 95, 'mx-visit', '[2027-06-07 08:00Z, 2027-06-07 17:00Z)') IS NOT NULL AS waiting;
SELECT cancel(:desk_visit, 'patient called');
SELECT book_overbook(96, 95, '2027-06-07 09:00Z', 'mx-visit', '{}', 'urgent');
INSERT INTO availability (provider_id, location_id, weekday, starts_local, ends_local) VALUES (95, 95, 1, '18:00', '19:00');
SELECT count(*) FROM reminders;
SELECT count(*) FROM retention_patient_facts;
RESET SESSION AUTHORIZATION;

-- scheduler: calendars, overbooking, reminders
SET SESSION AUTHORIZATION regress_mx_sched;
INSERT INTO time_off (provider_id, during, reason) VALUES (95, '[2027-06-09 08:00Z, 2027-06-09 12:00Z)', 'training');
SELECT book_overbook(96, 95, '2027-06-07 11:00Z', 'mx-visit', '{}', 'urgent: fever') IS NOT NULL AS overbooked;
RESET SESSION AUTHORIZATION;
-- book_overbook stands in for INSERT on appointments: EXECUTE alone is not enough
GRANT EXECUTE ON FUNCTION book_overbook(bigint, bigint, timestamptz, text, bigint[], text) TO regress_mx_biller;
SET SESSION AUTHORIZATION regress_mx_biller;
SELECT book_overbook(96, 95, '2027-06-07 11:30Z', 'mx-visit', '{}', 'urgent');
RESET SESSION AUTHORIZATION;
REVOKE EXECUTE ON FUNCTION book_overbook(bigint, bigint, timestamptz, text, bigint[], text) FROM regress_mx_biller;
SET SESSION AUTHORIZATION regress_mx_sched;
SELECT count(*) AS claimed FROM claim_due_reminders('2027-06-06 12:00Z', 10);
INSERT INTO patients (id, name) VALUES (98, 'Not mine to register');
RESET SESSION AUTHORIZATION;

-- biller: reads what was booked; writes nothing, calls no scheduling function
SET SESSION AUTHORIZATION regress_mx_biller;
SELECT a.starts_at, p.name AS patient, v.name AS provider, t.code, a.status
FROM appointments a JOIN patients p ON p.id = a.patient_id JOIN providers v ON v.id = a.provider_id
JOIN appointment_types t ON t.id = a.type_id WHERE a.provider_id = 95 ORDER BY a.starts_at, p.name;
SELECT book(95, 95, '2027-06-10 09:00Z', 'mx-visit');
UPDATE appointments SET status = 'fulfilled' WHERE provider_id = 95;
RESET SESSION AUTHORIZATION;

-- records: patient facts and retention status; no writes to the schedule
SET SESSION AUTHORIZATION regress_mx_records;
INSERT INTO retention_patient_facts (patient_id, birth_date) VALUES ('95', '1980-02-03');
SELECT retention_status('patsvc.appointments');
SELECT cancel(1, 'no');
SELECT count(*) FROM retention_holds;
RESET SESSION AUTHORIZATION;

-- privacy officer: holds, certificates, the event log; no patient data
SET SESSION AUTHORIZATION regress_mx_privacy;
SELECT place_hold('case 95', 'records requested by counsel', patient_id => '95') AS hold \gset
SELECT release_hold(:hold, 'case closed');
SELECT event FROM retention_events WHERE hold_id = :hold ORDER BY event_id;
SELECT count(*) >= 0 AS verified FROM verify_certificates();
SELECT count(*) FROM patients;
SELECT destroy_early('patsvc.appointments', '95', 'no', 'me', 'deleted');
-- destroy_due stands in for DELETE on the table: not granted here, refused before anything runs
SELECT destroy_due('patsvc.appointments', authorized_by => 'me', method => 'deleted');
RESET SESSION AUTHORIZATION;

-- a privacy officer who owns a table protects it and runs its retention end to end
-- (the role stays: a protected table is never dropped)
CREATE ROLE regress_mx_notes_owner LOGIN IN ROLE patsvc_privacy_officer;
CREATE SCHEMA mx_notes AUTHORIZATION regress_mx_notes_owner;
SET SESSION AUTHORIZATION regress_mx_notes_owner;
CREATE TABLE mx_notes.notes (id int PRIMARY KEY, mrn text NOT NULL, written date NOT NULL);
CREATE TABLE mx_notes.notes_archive (LIKE mx_notes.notes);
INSERT INTO mx_notes.notes VALUES (1, 'MX-A', '2010-01-01'), (2, 'MX-B', '2025-01-01');
SELECT create_policy('mx_notes', 'clinic notes', '5 years', 'creation', 'governance', 'house rule');
SELECT protect('mx_notes.notes', 'mx_notes', 'mrn', 'written');
SELECT set_archive('mx_notes.notes', 'mx_notes.notes_archive');
DELETE FROM mx_notes.notes WHERE id = 2;
SELECT patient_id, anchor_date, retain_until, held FROM retention_status('mx_notes.notes') ORDER BY patient_id;
SELECT destroy_due('mx_notes.notes', authorized_by => 'M. Officer', method => 'deleted') IS NOT NULL AS certified;
SELECT id, mrn FROM mx_notes.notes_archive;
SELECT bool_and(ok) AS chain_ok FROM verify_certificates();
UPDATE retention_policies SET period = '6 years' WHERE policy_name = 'mx_notes';
RESET SESSION AUTHORIZATION;

-- admin: sets up the practice and loads code sets; sees no patient
SET SESSION AUTHORIZATION regress_mx_admin;
INSERT INTO providers (id, name) VALUES (99, 'Dr New');
UPDATE appointment_types SET buffer_after_minutes = 5 WHERE id = 95;
DELETE FROM providers WHERE id = 99;
SELECT count(*) FROM patients;
SELECT count(*) FROM appointments;
RESET SESSION AUTHORIZATION;

-- anyone: code sets and code types; nothing with patient data
SET SESSION AUTHORIZATION regress_mx_nobody;
SELECT 'e11.9'::icd10cm AS code, is_valid_npi('1234567893') AS npi_ok, count(*) >= 0 AS code_set_readable
FROM icd10cm_code;
SELECT count(*) FROM retention_archives;
SELECT count(*) FROM appointments;
SELECT book(95, 95, '2027-06-10 09:00Z', 'mx-visit');
SELECT slot_is_free(95, '2027-06-10 09:00Z', 95);
SELECT retained_until('patsvc.appointments', '95');
RESET SESSION AUTHORIZATION;

-- (a recorded fact stays: facts are never deleted)
DROP ROLE regress_mx_desk, regress_mx_sched, regress_mx_biller, regress_mx_records, regress_mx_privacy,
  regress_mx_admin, regress_mx_nobody;
