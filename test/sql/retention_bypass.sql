-- The bypass matrix: every known way around a BEFORE DELETE trigger, and around
-- the ledgers (certificates, tokens, events, holds) being written by patsvc
-- alone, tried as the table owner and as a superuser.  Each attempt runs in a
-- subtransaction that is rolled back, so "ALLOWED" means the command went
-- through (a hole in this mode); the rows of the protected tables and of the
-- ledgers are counted before and after each attempt, inside it, and what
-- changed is shown beside ALLOWED.
-- The same file runs in basic mode (retention_bypass) and, as retention_hardened_bypass,
-- in a cluster with shared_preload_libraries = patsvc; the expected outputs differ.
SET search_path = public, patsvc;
\set VERBOSITY default
\set SHOW_CONTEXT never
SET datestyle = ISO, YMD;
SELECT enforcement_level();

-- The rows an attempt could add or remove, counted as the superuser (so the
-- owner's attempts are counted too); null where the table is no longer found.
CREATE FUNCTION public.bypass_counts() RETURNS jsonb
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  c record;
  n bigint;
  counts jsonb := '{}';
BEGIN
  FOR c IN SELECT * FROM (VALUES
    ('rec', 'ret_b.rec', 'count(*)'), ('part', 'ret_b.part', 'count(*)'),
    ('certificates', 'patsvc.destruction_certificates', 'count(*)'),
    ('tokens', 'patsvc.destruction_tokens', 'coalesce(sum(cardinality(record_tokens)), 0)'),
    ('events', 'patsvc.retention_events', 'count(*)'),
    ('active holds', 'patsvc.retention_holds', 'count(*) FILTER (WHERE released_at IS NULL)')) AS v(k, t, e)
  LOOP
    n := NULL;
    IF to_regclass(c.t) IS NOT NULL THEN
      EXECUTE format('SELECT %s FROM %s', c.e, c.t) INTO n;
    END IF;
    counts := counts || jsonb_build_object(c.k, n);
  END LOOP;
  RETURN counts;
END $$;
-- what changed between two counts: "part -1, certificates +1", "rec missing"
CREATE FUNCTION public.bypass_changes(a jsonb, b jsonb) RETURNS text LANGUAGE sql AS $$
  SELECT string_agg(k || CASE WHEN b->>k IS NULL THEN ' missing'
                              ELSE ' ' || CASE WHEN (b->>k)::bigint > (a->>k)::bigint THEN '+' ELSE '' END
                                   || ((b->>k)::bigint - (a->>k)::bigint) END, ', ' ORDER BY o)
    FROM unnest(ARRAY['rec', 'part', 'certificates', 'tokens', 'events', 'active holds']) WITH ORDINALITY AS u(k, o)
   WHERE (a->k) IS DISTINCT FROM (b->k) $$;

CREATE FUNCTION public.bypass_attempt(VARIADIC stmts text[]) RETURNS text
  LANGUAGE plpgsql AS $$
DECLARE
  s text;
  before jsonb := public.bypass_counts();
BEGIN
  FOREACH s IN ARRAY stmts LOOP
    EXECUTE s;
  END LOOP;
  RAISE EXCEPTION '%', coalesce(' (' || public.bypass_changes(before, public.bypass_counts()) || ')', '')
    USING ERRCODE = 'ZZ000';
EXCEPTION WHEN OTHERS THEN
  IF SQLSTATE = 'ZZ000' THEN
    RETURN 'ALLOWED' || SQLERRM;
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
-- the ledgers hold rows before the matrix (a restore writes only into empty ones):
-- a destruction in another table (its certificate, tokens and event) and a hold
CREATE SCHEMA ret_l;
CREATE TABLE ret_l.old_notes (id int PRIMARY KEY, mrn text NOT NULL, written date NOT NULL);
SELECT protect('ret_l.old_notes', 'ret_b_rule', 'mrn', 'written');
INSERT INTO ret_l.old_notes VALUES (1, 'MRN-L-1', '2001-01-01'), (2, 'MRN-L-2', '2002-02-02');
SELECT destroy_due('ret_l.old_notes', authorized_by => 'test', method => 'deleted') IS NOT NULL AS certified;
SELECT place_hold('BYPASS-HOLD-1', 'bypass test hold', patient_id => 'MRN-B-9') AS byp_hold \gset
-- the table owner may write the ledgers, as a role a DBA granted that (through a
-- group, so DROP OWNED BY the owner leaves the grant alone): patsvc refuses its rows
CREATE ROLE regress_byp_ledger_writer;
GRANT SELECT, INSERT, UPDATE ON patsvc.destruction_certificates, patsvc.destruction_tokens,
  patsvc.retention_events, patsvc.retention_holds TO regress_byp_ledger_writer;
GRANT regress_byp_ledger_writer TO regress_byp_owner;
SELECT public.bypass_counts() AS counts_before \gset

-- a made-up certificate of two records of ret_b.rec, and its two tokens (token set 990001)
CREATE FUNCTION pg_temp.forged_tokens() RETURNS text LANGUAGE sql AS $$
  SELECT 'INSERT INTO patsvc.destruction_tokens VALUES (990001, 0, ''{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11,b0eebc99-9c0b-4ef8-bb6d-6bb9bd380a12}'')' $$;
CREATE FUNCTION pg_temp.forged_certificate() RETURNS text LANGUAGE sql AS $$
  SELECT 'INSERT INTO patsvc.destruction_certificates (certificate_id, destroyed_at, table_name, record_class,'
         ' policy_name, policy_mode, record_count, method, authorized_by, executed_by, statement, token_set,'
         ' tokens_sha256, previous_hash, certificate_hash)'
         ' VALUES (0, now(), ''ret_b.rec'', ''bypass test records'', ''ret_b_rule'', ''compliance'', 2, ''deleted'','
         ' ''HIM manager'', ''postgres'', ''destroyed in the normal course of business, under the retention schedule'','
         ' 990001, patsvc.tokens_digest(''{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11,b0eebc99-9c0b-4ef8-bb6d-6bb9bd380a12}''),'
         ' '''', '''')' $$;

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
  ('33 make a fact unknown, record it earlier', ARRAY['UPDATE patsvc.retention_patient_facts SET death_date = NULL WHERE patient_id = ''MRN-B-1''', 'UPDATE patsvc.retention_patient_facts SET death_date = ''2001-01-01'' WHERE patient_id = ''MRN-B-1'''], 'superuser'),
  -- ledgers that accept made-up history (issue 16, item 6)
  ('34 INSERT a certificate of records never destroyed', ARRAY[pg_temp.forged_certificate()], 'both'),
  ('35 INSERT tokens of one''s choosing', ARRAY[pg_temp.forged_tokens()], 'both'),
  ('36 INSERT an event', ARRAY['INSERT INTO patsvc.retention_events (event, hold_id, detail) VALUES (''hold released'', 1, ''made up'')'], 'both'),
  ('37 INSERT a hold', ARRAY['INSERT INTO patsvc.retention_holds (patient_id, case_reference, reason) VALUES (''MRN-B-1'', ''MADE-UP-1'', ''made up'')'], 'both'),
  ('38 UPDATE a hold to released', ARRAY['UPDATE patsvc.retention_holds SET released_at = now(), released_by = ''a judge'', release_reason = ''made up'' WHERE case_reference = ''BYPASS-HOLD-1'''], 'both'),
  ('39 replica mode, INSERT an event', ARRAY['SET LOCAL session_replication_role = replica', 'INSERT INTO patsvc.retention_events (event, detail) VALUES (''hold released'', ''made up'')'], 'superuser'),
  ('40 replica mode, INSERT a certificate and its tokens', ARRAY['SET LOCAL session_replication_role = replica', pg_temp.forged_tokens(), pg_temp.forged_certificate()], 'superuser'),
  ('41 disable the ledger trigger, INSERT a certificate', ARRAY['ALTER TABLE patsvc.destruction_certificates DISABLE TRIGGER patsvc_by_patsvc_only', pg_temp.forged_certificate()], 'superuser'),
  ('42 disable the DDL guard and the ledger triggers, INSERT a certificate and its tokens', ARRAY['ALTER EVENT TRIGGER patsvc_guard_ddl DISABLE', 'ALTER TABLE patsvc.destruction_tokens DISABLE TRIGGER patsvc_by_patsvc_only', 'ALTER TABLE patsvc.destruction_certificates DISABLE TRIGGER patsvc_by_patsvc_only', pg_temp.forged_tokens(), pg_temp.forged_certificate()], 'superuser'),
  ('43 CREATE RULE on the holds adding an event, place a hold', ARRAY['CREATE RULE forge AS ON INSERT TO patsvc.retention_holds DO ALSO INSERT INTO patsvc.retention_events (event, detail) VALUES (''hold released'', ''made up'')', 'SELECT patsvc.place_hold(''CASE-R'', ''rule test'', patient_id => ''MRN-B-9'')'], 'superuser'),
  ('44 CREATE TRIGGER adding an event to patsvc''s events, place a hold', ARRAY['CREATE FUNCTION public.forge() RETURNS trigger LANGUAGE plpgsql AS $f$BEGIN INSERT INTO patsvc.retention_events (event, detail) VALUES (''hold released'', ''made up''); RETURN NULL; END$f$', 'CREATE TRIGGER forge AFTER INSERT ON patsvc.retention_events FOR EACH ROW WHEN (NEW.detail <> ''made up'') EXECUTE FUNCTION public.forge()', 'SELECT patsvc.place_hold(''CASE-T'', ''trigger test'', patient_id => ''MRN-B-9'')'], 'superuser')
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
BEGIN; \set VERBOSITY terse
DROP EXTENSION patsvc CASCADE;
ROLLBACK; \set VERBOSITY default
DROP EXTENSION IF EXISTS regress_no_such_extension;
DO $$ BEGIN EXECUTE 'DROP EXTENSION IF EXISTS regress_no_such_extension'; END $$;

-- nothing above stuck: the rows are all still there, the ledgers as they were
SELECT (SELECT count(*) FROM ret_b.rec) AS rec_rows, (SELECT count(*) FROM ret_b.part) AS part_rows;
SELECT bypass_changes(:'counts_before', bypass_counts()) AS ledgers_changed;

-- a hold ends only through release_hold(): the releasing role (not free text) and an event
SELECT release_hold(:byp_hold, 'bypass test over');
SELECT released_by = session_user AS released_by_the_session_user, release_reason
FROM retention_holds WHERE hold_id = :byp_hold;
SELECT event, detail FROM retention_events WHERE hold_id = :byp_hold ORDER BY event_id;
-- every certificate is matched with the record of its destruction
SELECT count(*) AS certificates, bool_and(ok) AS all_ok FROM verify_certificates();
-- Where a forged certificate gets in (basic mode: a superuser disables the DDL guard,
-- then the ledger triggers, and inserts a certificate of records never destroyed,
-- chained, with tokens whose count and sha256 match), verify_certificates() finds no
-- record of its destruction.  In hardened mode it does not get in.
CREATE FUNCTION pg_temp.forge_then_verify() RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
  found text[];
BEGIN
  BEGIN
    ALTER EVENT TRIGGER patsvc_guard_ddl DISABLE;
    ALTER TABLE patsvc.destruction_tokens DISABLE TRIGGER patsvc_by_patsvc_only;
    ALTER TABLE patsvc.destruction_certificates DISABLE TRIGGER patsvc_by_patsvc_only;
    EXECUTE pg_temp.forged_tokens();
    EXECUTE pg_temp.forged_certificate();
    found := ARRAY(SELECT format('%s: ok = %s, %s',
                                CASE WHEN v.certificate_id = c.certificate_id THEN 'the forged certificate'
                                     ELSE 'certificate ' || v.certificate_id END, v.ok, v.problem)
                     FROM patsvc.verify_certificates() v
                     LEFT JOIN patsvc.destruction_certificates c ON c.token_set = 990001
                    WHERE NOT v.ok);
    RAISE EXCEPTION 'undo' USING ERRCODE = 'ZZ000';
  EXCEPTION WHEN OTHERS THEN
    IF SQLSTATE <> 'ZZ000' THEN
      found := ARRAY['refused ' || SQLSTATE || ': ' || SQLERRM];
    END IF;
  END;
  RETURN QUERY SELECT unnest(found);
END $$;
SELECT * FROM pg_temp.forge_then_verify() AS forged;


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
-- a superuser editing the catalog to switch a ledger's trigger off: the next session
UPDATE pg_catalog.pg_trigger SET tgenabled = 'D'
WHERE tgrelid = 'patsvc.retention_events'::regclass AND tgname = 'patsvc_by_patsvc_only';
\c
SET search_path = public, patsvc;
\set SHOW_CONTEXT never
SET datestyle = ISO, YMD;
SELECT bypass_attempt('INSERT INTO patsvc.retention_events (event, detail) VALUES (''hold released'', ''made up'')')
  AS catalog_edit_then_insert_event;
UPDATE pg_catalog.pg_trigger SET tgenabled = 'A'
WHERE tgrelid = 'patsvc.retention_events'::regclass AND tgname = 'patsvc_by_patsvc_only';
\c
SET search_path = public, patsvc;
\set SHOW_CONTEXT never
SET datestyle = ISO, YMD;
-- the keys of cryptographic erase: deleting one destroys a patient's encrypted columns, so their
-- guard cannot be switched off and the tables cannot be emptied (renaming: refused in hardened
-- mode; basic mode lets a superuser rename patsvc's tables, README "Basic and hardened mode")
SELECT bypass_attempt('ALTER TABLE patsvc.patient_keys DISABLE TRIGGER USER') AS disable_key_guard;
SELECT bypass_attempt('ALTER TABLE patsvc.patient_keys DISABLE TRIGGER ALL') AS disable_key_triggers;
SELECT bypass_attempt('TRUNCATE patsvc.patient_keys') AS truncate_keys;
SELECT bypass_attempt('ALTER TABLE patsvc.patient_keys RENAME TO keys2') AS rename_keys;
SELECT bypass_attempt('ALTER TABLE patsvc.encrypted_columns DISABLE TRIGGER USER') AS disable_encrypted_columns_guard;
-- the one way that works in both modes: destroy_due, for what is due
SELECT patsvc.destroy_due('ret_b.rec', authorized_by => 'test', method => 'deleted') IS NOT NULL AS certified;
SELECT patsvc.destroy_due('ret_b.part', authorized_by => 'test', method => 'deleted') IS NOT NULL AS certified;
SELECT id, mrn FROM ret_b.rec ORDER BY id;
SELECT tableoid::regclass, id, mrn FROM ret_b.part ORDER BY id;
SELECT table_name, record_count, records_from_year FROM patsvc.destruction_certificates
WHERE table_name LIKE 'ret_b.%' ORDER BY certificate_id;
SELECT count(*) AS certificates, bool_and(ok) AS all_ok FROM verify_certificates();
DROP FUNCTION public.bypass_attempt(text[]);
DROP FUNCTION public.bypass_changes(jsonb, jsonb);
DROP FUNCTION public.bypass_counts();
