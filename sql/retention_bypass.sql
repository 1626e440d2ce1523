-- The bypass matrix: every known way around a BEFORE DELETE trigger, tried as the
-- table owner and as a superuser.  Each attempt runs in a subtransaction that is
-- rolled back, so "ALLOWED" means the command went through (a hole in this mode).
-- The same file runs in basic mode (retention_bypass) and, as hardened_retention_bypass,
-- in a cluster with shared_preload_libraries = patsvc; the expected outputs differ.
SET search_path = public, patsvc;
\set VERBOSITY default
\set SHOW_CONTEXT never
SET datestyle = ISO, YMD;
SELECT enforcement_level();

CREATE FUNCTION public.bypass_attempt(VARIADIC stmts text[]) RETURNS text
  LANGUAGE plpgsql AS $$
DECLARE s text;
BEGIN
  FOREACH s IN ARRAY stmts LOOP
    EXECUTE s;
  END LOOP;
  RAISE EXCEPTION 'went through' USING ERRCODE = 'ZZ000';
EXCEPTION WHEN OTHERS THEN
  IF SQLSTATE = 'ZZ000' THEN
    RETURN 'ALLOWED';
  END IF;
  RETURN 'refused ' || SQLSTATE || ': ' || SQLERRM;
END $$;

CREATE ROLE regress_byp_owner;
CREATE SCHEMA ret_b AUTHORIZATION regress_byp_owner;
SET ROLE regress_byp_owner;
CREATE TABLE ret_b.rec (id int PRIMARY KEY, mrn text NOT NULL, written date NOT NULL, note text);
CREATE TABLE ret_b.part (id int, mrn text NOT NULL, written date NOT NULL) PARTITION BY RANGE (written);
CREATE TABLE ret_b.part_2010 PARTITION OF ret_b.part FOR VALUES FROM ('2010-01-01') TO ('2020-01-01');
CREATE TABLE ret_b.part_2020 PARTITION OF ret_b.part FOR VALUES FROM ('2020-01-01') TO ('2030-01-01');
RESET ROLE;
SELECT create_policy('ret_b_rule', 'bypass test records', '10 years', 'column', 'compliance', 'test rule');
SELECT protect('ret_b.rec', 'ret_b_rule', 'mrn', 'written');
SELECT protect('ret_b.part', 'ret_b_rule', 'mrn', 'written');
INSERT INTO ret_b.rec VALUES (1, 'MRN-B-1', '2024-03-01', 'young'), (2, 'MRN-B-2', '2010-03-01', 'old');
INSERT INTO ret_b.part VALUES (1, 'MRN-B-1', '2012-03-01'), (2, 'MRN-B-2', '2024-03-01');
INSERT INTO retention_patient_facts (patient_id, birth_date, death_date, last_encounter)
VALUES ('MRN-B-1', '1950-01-01', '2020-05-05', '2020-01-01');
SELECT tgrelid::regclass, tgname, tgenabled FROM pg_trigger
WHERE tgrelid IN ('ret_b.part'::regclass, 'ret_b.part_2010'::regclass, 'ret_b.part_2020'::regclass) ORDER BY 1, 2;

-- the matrix: every attempt once; "who" says whether the table owner, a
-- superuser or both try it (09 differs: a superuser may also set replica)
-- (a temporary function: the owner role may call it without any grant).  The
-- statements run through EXECUTE, so the text of the statement that started
-- them (current_query()) does not name patsvc.
CREATE FUNCTION pg_temp.bypass_matrix() RETURNS TABLE (n text, s text[], who text) LANGUAGE sql AS $$ VALUES
  ('01 DELETE a young row', ARRAY['DELETE FROM ret_b.rec WHERE id = 1'], 'both'),
  ('02 DELETE an eligible row', ARRAY['DELETE FROM ret_b.rec WHERE id = 2'], 'both'),
  ('03 TRUNCATE', ARRAY['TRUNCATE ret_b.rec'], 'both'),
  ('04 SET session_replication_role, DELETE', ARRAY['SET LOCAL session_replication_role = replica', 'DELETE FROM ret_b.rec'], 'both'),
  ('05 set_config(replica), DELETE', ARRAY['SELECT set_config(''session_replication_role'', ''replica'', true)', 'DELETE FROM ret_b.rec'], 'both'),
  ('06 UPDATE shortening retention', ARRAY['UPDATE ret_b.rec SET written = ''2001-01-01'' WHERE id = 1'], 'both'),
  ('07 DISABLE TRIGGER guard', ARRAY['ALTER TABLE ret_b.rec DISABLE TRIGGER patsvc_retention_guard', 'DELETE FROM ret_b.rec'], 'both'),
  ('08 DISABLE TRIGGER ALL', ARRAY['ALTER TABLE ret_b.rec DISABLE TRIGGER ALL', 'DELETE FROM ret_b.rec'], 'both'),
  ('09 ENABLE (origin-only) TRIGGER', ARRAY['ALTER TABLE ret_b.rec ENABLE TRIGGER patsvc_retention_guard'], 'owner'),
  ('09 ENABLE (origin-only) TRIGGER, replica, DELETE', ARRAY['ALTER TABLE ret_b.rec ENABLE TRIGGER patsvc_retention_guard', 'SET LOCAL session_replication_role = replica', 'DELETE FROM ret_b.rec'], 'superuser'),
  ('10 replace guard function', ARRAY['CREATE OR REPLACE FUNCTION patsvc.retention_guard_row() RETURNS trigger LANGUAGE plpgsql AS $f$BEGIN RETURN OLD; END$f$'], 'both'),
  ('10b rename guard function', ARRAY['ALTER FUNCTION patsvc.retention_guard_row() RENAME TO guard_off'], 'both'),
  ('11 DROP TRIGGER guard', ARRAY['DROP TRIGGER patsvc_retention_guard ON ret_b.rec'], 'both'),
  ('12 DROP TABLE', ARRAY['DROP TABLE ret_b.rec'], 'both'),
  ('13 DROP SCHEMA CASCADE', ARRAY['DROP SCHEMA ret_b CASCADE'], 'both'),
  ('14 DROP OWNED', ARRAY['DROP OWNED BY regress_byp_owner'], 'both'),
  ('15 disable event trigger, DROP TABLE', ARRAY['ALTER EVENT TRIGGER patsvc_guard_drop DISABLE', 'DROP TABLE ret_b.rec'], 'both'),
  ('16 DROP EXTENSION patsvc CASCADE', ARRAY['DROP EXTENSION patsvc CASCADE'], 'both'),
  ('17 DETACH PARTITION, DELETE', ARRAY['ALTER TABLE ret_b.part DETACH PARTITION ret_b.part_2010', 'DELETE FROM ret_b.part_2010'], 'both'),
  ('18 DELETE from a partition', ARRAY['DELETE FROM ret_b.part_2020'], 'both'),
  ('19 DROP COLUMN', ARRAY['ALTER TABLE ret_b.rec DROP COLUMN note'], 'both'),
  ('20 ALTER COLUMN TYPE USING NULL', ARRAY['ALTER TABLE ret_b.rec ALTER COLUMN note TYPE int USING NULL'], 'both'),
  ('21 UPDATE content to NULL', ARRAY['UPDATE ret_b.rec SET note = NULL'], 'both'),
  ('21b RENAME the anchor column', ARRAY['ALTER TABLE ret_b.rec RENAME COLUMN written TO w'], 'both'),
  ('22 DELETE FROM patsvc.protected_tables', ARRAY['DELETE FROM patsvc.protected_tables'], 'both'),
  ('23 disable ledger trigger, DELETE registry', ARRAY['ALTER TABLE patsvc.protected_tables DISABLE TRIGGER patsvc_append_only', 'DELETE FROM patsvc.protected_tables'], 'superuser'),
  ('24 disable patsvc event triggers, DROP SCHEMA', ARRAY['ALTER EVENT TRIGGER patsvc_guard_drop DISABLE', 'ALTER EVENT TRIGGER patsvc_guard_ddl DISABLE', 'DROP SCHEMA ret_b CASCADE'], 'superuser'),
  ('25 SET UNLOGGED', ARRAY['ALTER TABLE ret_b.rec SET UNLOGGED'], 'both'),
  ('26 SET ACCESS METHOD', ARRAY['ALTER TABLE ret_b.rec SET ACCESS METHOD heap'], 'both'),
  ('27 rename patsvc''s schema', ARRAY['ALTER SCHEMA patsvc RENAME TO patsvc_off'], 'superuser'),
  ('28 rename the registry''s primary key', ARRAY['ALTER INDEX patsvc.protected_tables_pkey RENAME TO registry_key'], 'superuser'),
  ('29 rename the certificates table', ARRAY['ALTER TABLE patsvc.destruction_certificates RENAME TO certificates_off'], 'superuser'),
  ('30 rename a patsvc event trigger, disable it, DROP TABLE', ARRAY['ALTER EVENT TRIGGER patsvc_guard_drop RENAME TO guard_off', 'ALTER EVENT TRIGGER guard_off DISABLE', 'DROP TABLE ret_b.rec'], 'superuser'),
  ('31 move a patsvc table to another schema', ARRAY['ALTER TABLE patsvc.retention_holds SET SCHEMA public'], 'superuser'),
  ('32 delete a patient fact, record it earlier', ARRAY['DELETE FROM patsvc.retention_patient_facts WHERE patient_id = ''MRN-B-1''', 'INSERT INTO patsvc.retention_patient_facts VALUES (''MRN-B-1'', ''1950-01-01'', ''2001-01-01'', ''2001-01-01'')'], 'both'),
  ('33 make a fact unknown, record it earlier', ARRAY['UPDATE patsvc.retention_patient_facts SET death_date = NULL WHERE patient_id = ''MRN-B-1''', 'UPDATE patsvc.retention_patient_facts SET death_date = ''2001-01-01'' WHERE patient_id = ''MRN-B-1'''], 'superuser')
$$;

-- as the table owner
SET ROLE regress_byp_owner;
SELECT n, bypass_attempt(VARIADIC s) AS result FROM pg_temp.bypass_matrix() WHERE who <> 'superuser' ORDER BY n;
RESET ROLE;

-- as a superuser
SELECT n, bypass_attempt(VARIADIC s) AS result FROM pg_temp.bypass_matrix() WHERE who <> 'owner' ORDER BY n;

-- DROP EXTENSION typed as a statement of its own: patsvc refused in both
-- modes (basic: the event trigger reads the statement text; hardened: the
-- hook); another extension is let through; from dynamic SQL basic mode cannot
-- tell which extension it is and refuses (matrix row 16 above does the same)
BEGIN;
DROP EXTENSION patsvc CASCADE;
ROLLBACK;
DROP EXTENSION IF EXISTS regress_no_such_extension;
DO $$ BEGIN EXECUTE 'DROP EXTENSION IF EXISTS regress_no_such_extension'; END $$;

-- nothing above stuck: the rows are all still there
SELECT (SELECT count(*) FROM ret_b.rec) AS rec_rows, (SELECT count(*) FROM ret_b.part) AS part_rows;

-- a superuser editing the catalog: the next session sees the guard disabled
UPDATE pg_catalog.pg_trigger SET tgenabled = 'D'
WHERE tgrelid = 'ret_b.rec'::regclass AND tgname = 'patsvc_retention_guard';
\c
SET search_path = public, patsvc;
\set SHOW_CONTEXT never
SET datestyle = ISO, YMD;
SELECT bypass_attempt('DELETE FROM ret_b.rec WHERE id = 1') AS catalog_edit_then_delete;
UPDATE pg_catalog.pg_trigger SET tgenabled = 'A'
WHERE tgrelid = 'ret_b.rec'::regclass AND tgname = 'patsvc_retention_guard';
\c
SET search_path = public, patsvc;
\set SHOW_CONTEXT never
SET datestyle = ISO, YMD;
SELECT bypass_attempt('DELETE FROM ret_b.rec WHERE id = 1') AS guard_restored;
-- the same with the BEFORE TRUNCATE guard: with it disabled in the catalog, only
-- hardened mode's hook is left to refuse TRUNCATE
UPDATE pg_catalog.pg_trigger SET tgenabled = 'D'
WHERE tgrelid = 'ret_b.rec'::regclass AND tgname = 'patsvc_retention_no_truncate';
\c
SET search_path = public, patsvc;
\set SHOW_CONTEXT never
SET datestyle = ISO, YMD;
SELECT bypass_attempt('TRUNCATE ret_b.rec') AS catalog_edit_then_truncate;
UPDATE pg_catalog.pg_trigger SET tgenabled = 'A'
WHERE tgrelid = 'ret_b.rec'::regclass AND tgname = 'patsvc_retention_no_truncate';
\c
SET search_path = public, patsvc;
\set SHOW_CONTEXT never
SET datestyle = ISO, YMD;
-- the one way that works in both modes: destroy_due, for what is due
SELECT patsvc.destroy_due('ret_b.rec', authorized_by => 'test', method => 'deleted') IS NOT NULL AS certified;
SELECT patsvc.destroy_due('ret_b.part', authorized_by => 'test', method => 'deleted') IS NOT NULL AS certified;
SELECT id, mrn FROM ret_b.rec ORDER BY id;
SELECT tableoid::regclass, id, mrn FROM ret_b.part ORDER BY id;
SELECT table_name, record_count, records_from_year FROM patsvc.destruction_certificates
WHERE table_name LIKE 'ret_b.%' ORDER BY certificate_id;
DROP FUNCTION public.bypass_attempt(text[]);
