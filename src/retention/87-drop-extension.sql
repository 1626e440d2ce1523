-- DROP EXTENSION patsvc CASCADE drops the event triggers of 88-ddl-guards.sql with it, so
-- sql_drop never fires: refuse it up front.  A ddl_command_start trigger sees only the text
-- of the top-level statement (current_query()), not which extension is dropped, so in basic
-- mode it lets through only a top-level DROP EXTENSION whose text cannot name patsvc; one
-- that names it, or one run from dynamic SQL (a function, DO, EXECUTE), is refused while
-- patsvc holds data.  Hardened mode leaves the decision to its hook, which sees the objects
-- (and refuses while any table is protected, patsvc's own logs included).
--
-- "Holds data": a row pg_dump would save from patsvc's tables (each configuration table
-- with its dump filter: shipped reference rows and ready-made protections do not count),
-- or a patient key (patient_keys is kept out of dumps on purpose).  A table of the clinic's
-- that patsvc protects is such a row (protected_tables).  An install nothing was written
-- to can be dropped; one that holds anything cannot lose it this way.

-- Created with CREATE OR REPLACE: the upgrade from 0.1.0 (where the function exists) runs this file too.
CREATE OR REPLACE FUNCTION @extschema@._holds_data() RETURNS pg_catalog.text
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  t pg_catalog.regclass;
  c pg_catalog.text;
  found boolean;
BEGIN
  FOR t, c IN SELECT u.t, u.c
                FROM pg_catalog.pg_extension e,
                     ROWS FROM (pg_catalog.unnest(e.extconfig), pg_catalog.unnest(e.extcondition)) AS u(t, c)
               WHERE e.extname OPERATOR(pg_catalog.=) 'patsvc'
               ORDER BY u.t::pg_catalog.text
  LOOP
    CONTINUE WHEN (SELECT r.relkind FROM pg_catalog.pg_class r WHERE r.oid OPERATOR(pg_catalog.=) t)
                  OPERATOR(pg_catalog.<>) 'r';
    EXECUTE pg_catalog.format('SELECT EXISTS (SELECT 1 FROM ONLY %s %s)', t, COALESCE(c, '')) INTO found;
    IF found THEN
      RETURN t::pg_catalog.text;
    END IF;
  END LOOP;
  t := pg_catalog.to_regclass('@extschema@.patient_keys');
  IF t IS NOT NULL THEN
    EXECUTE pg_catalog.format('SELECT EXISTS (SELECT 1 FROM ONLY %s)', t) INTO found;
    IF found THEN
      RETURN t::pg_catalog.text;
    END IF;
  END IF;
  RETURN NULL;
END $$;
COMMENT ON FUNCTION @extschema@._holds_data() IS
  'the first of patsvc''s tables holding a row pg_dump would save (configuration tables with their dump filters), or patient_keys with a key; NULL when patsvc holds nothing (the DROP EXTENSION guard)';

CREATE OR REPLACE FUNCTION @extschema@._guard_drop_extension() RETURNS event_trigger
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  q text := pg_catalog.current_query();
  holding text;
BEGIN
  IF @extschema@.enforcement_level() = 'hardened' THEN
    RETURN;
  END IF;
  BEGIN
    holding := @extschema@._holds_data();
  EXCEPTION WHEN insufficient_privilege THEN
    holding := 'one of patsvc''s tables';   -- a role that may not read them cannot drop them either: refuse
  END;
  IF holding IS NULL THEN
    RETURN;
  END IF;
  IF q ~* 'patsvc' THEN
    RAISE EXCEPTION 'cannot drop extension patsvc while it holds data' USING ERRCODE = 'PS305',
      DETAIL = pg_catalog.format('%s has rows (and patsvc''s other tables may too); dropping patsvc would drop them, end the protection of protected tables and drop the certificates.', holding),
      HINT = 'Protected records leave only through patsvc.destroy_due(). To remove a trial install that holds data, drop the database.';
  END IF;
  -- escaped identifiers (U&"...") could spell patsvc without its letters
  IF q !~* '^\s*drop\s+extension\s' OR q ~* 'u&' THEN
    RAISE EXCEPTION 'cannot tell which extension this DROP EXTENSION drops while patsvc holds data'
      USING ERRCODE = 'PS305',
      DETAIL = 'Without shared_preload_libraries, patsvc sees only the text of the statement the client sent, and that text is not a DROP EXTENSION naming its extensions plainly.',
      HINT = 'Run DROP EXTENSION as a statement of its own that names the extension; patsvc itself cannot be dropped while it holds data.';
  END IF;
END $$;
COMMENT ON FUNCTION @extschema@._guard_drop_extension() IS
  'ddl_command_start event trigger (basic mode): refuses DROP EXTENSION naming patsvc, or run from dynamic SQL, while patsvc holds data (_holds_data())';
-- the event trigger itself is made by 88-ddl-guards.sql; an upgraded install has it already
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_catalog.pg_event_trigger WHERE evtname OPERATOR(pg_catalog.=) 'patsvc_guard_drop_extension') THEN
    COMMENT ON EVENT TRIGGER patsvc_guard_drop_extension IS 'patsvc retention: no DROP EXTENSION patsvc while it holds data';
  END IF;
END $$;
