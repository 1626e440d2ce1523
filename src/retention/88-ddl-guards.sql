-- ---- event triggers: what basic mode can do against DDL -------------------
CREATE FUNCTION @extschema@.enforcement_level() RETURNS text
  AS 'MODULE_PATHNAME', 'patsvc_enforcement_level' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.enforcement_level() IS
  'hardened when patsvc was loaded through shared_preload_libraries (executor, utility and object-access hooks active), basic otherwise (triggers and event triggers only)';

CREATE FUNCTION @extschema@._guard_drop() RETURNS event_trigger
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE what text;
BEGIN
  SELECT d.object_identity INTO what FROM pg_catalog.pg_event_trigger_dropped_objects() d
   WHERE d.object_type = 'trigger' AND d.object_identity LIKE 'patsvc\_retention\_%' LIMIT 1;
  IF what IS NOT NULL THEN
    RAISE EXCEPTION 'cannot drop protected records (%)', what USING ERRCODE = 'PS305',
      DETAIL = 'The command would drop a protected table or its retention guard (DROP TABLE, DROP SCHEMA ... CASCADE, DROP EXTENSION ... CASCADE, DROP TRIGGER).',
      HINT = 'Records of protected tables leave only through patsvc.destroy_due().';
  END IF;
END $$;
COMMENT ON FUNCTION @extschema@._guard_drop() IS
  'sql_drop event trigger: refuses any command that drops a protected table or its retention guard trigger';

-- Retention's own tables are listed once, in C (src/retention/tables.c): SQL asks it.
CREATE FUNCTION @extschema@._retention_tables() RETURNS text[]
  AS 'MODULE_PATHNAME', 'patsvc_retention_tables' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@._retention_tables() IS
  'the names of retention''s own tables in patsvc''s schema (registry, ledgers, holds, policies, facts, archives), from the one list in C that the guards and hooks use (internal)';

CREATE FUNCTION @extschema@._guard_ddl() RETURNS event_trigger
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  broken regclass;
  unlogged regclass;
  created oid[] := ARRAY(SELECT c.objid FROM pg_catalog.pg_event_trigger_ddl_commands() c
                          WHERE c.command_tag = 'CREATE TRIGGER');
BEGIN
  -- retention's own tables are altered by patsvc's scripts only: a renamed
  -- registry or ledger would leave the checks below (and patsvc's functions)
  -- looking for it
  IF EXISTS (SELECT 1 FROM pg_catalog.pg_event_trigger_ddl_commands() c
              WHERE NOT c.in_extension AND c.command_tag = 'ALTER TABLE'
                AND c.object_type IN ('table', 'table column', 'table constraint')
                AND pg_catalog.split_part(c.object_identity, '.', 1) = '@extschema@'
                AND pg_catalog.split_part(c.object_identity, '.', 2) = ANY (@extschema@._retention_tables())) THEN
    RAISE EXCEPTION 'cannot alter patsvc''s retention tables' USING ERRCODE = 'PS305',
      DETAIL = 'patsvc finds its registry, ledgers and holds by name; renaming or changing one would switch retention off.',
      HINT = 'Upgrade patsvc with ALTER EXTENSION patsvc UPDATE.';
  END IF;
  IF EXISTS (SELECT 1 FROM pg_catalog.pg_event_trigger_ddl_commands() c
              WHERE NOT c.in_extension AND c.object_type = 'function' AND c.schema_name = '@extschema@')
     AND EXISTS (SELECT 1 FROM @extschema@.protected_tables) THEN
    RAISE EXCEPTION 'cannot replace or alter functions of patsvc while records are protected' USING ERRCODE = 'PS305',
      DETAIL = 'patsvc''s functions enforce retention; changing them would switch the protection off.',
      HINT = 'Upgrade patsvc with ALTER EXTENSION patsvc UPDATE.';
  END IF;
  -- A guard trigger that exists must be ENABLE ALWAYS and call its patsvc function;
  -- one that does not exist yet is tolerated (a restore registers the table with the
  -- data, then creates its triggers, then enables them ALWAYS), as is the trigger the
  -- current CREATE TRIGGER command made (it is set ALWAYS by the next command).
  SELECT t.relid::regclass INTO broken FROM @extschema@.protected_tables t
   WHERE EXISTS (SELECT 1 FROM pg_catalog.pg_trigger g
                  WHERE g.tgrelid = t.relid AND g.tgname IN ('patsvc_retention_guard', 'patsvc_retention_no_truncate')
                    AND ((g.tgenabled <> 'A' AND g.oid <> ALL (created))
                         OR g.tgfoid <> CASE g.tgname WHEN 'patsvc_retention_guard'
                                          THEN '@extschema@.retention_guard_row()'::pg_catalog.regprocedure
                                          ELSE '@extschema@.retention_guard_truncate()'::pg_catalog.regprocedure END))
      OR NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a
                      WHERE a.attrelid = t.relid AND a.attname = t.patient_column AND NOT a.attisdropped)
      OR (t.anchor_column IS NOT NULL AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a
                      WHERE a.attrelid = t.relid AND a.attname = t.anchor_column AND NOT a.attisdropped))
   LIMIT 1;
  SELECT t.relid::regclass INTO unlogged FROM @extschema@.protected_tables t
    JOIN pg_catalog.pg_class c ON c.oid = t.relid WHERE c.relpersistence <> 'p' LIMIT 1;
  IF unlogged IS NOT NULL THEN
    RAISE EXCEPTION 'cannot make protected table "%" unlogged', unlogged USING ERRCODE = 'PS305',
      DETAIL = 'An unlogged table comes back empty after a crash and never reaches WAL, backups taken from it or replicas.',
      HINT = 'Keep protected tables logged.';
  END IF;
  IF broken IS NOT NULL THEN
    RAISE EXCEPTION 'cannot disable, rename or replace the retention triggers or columns of protected table "%"', broken
      USING ERRCODE = 'PS305',
            DETAIL = 'The patsvc guard triggers of a protected table must stay ENABLE ALWAYS, and its patient and anchor columns must keep their names.',
            HINT = 'Leave the patsvc_retention_* triggers and the protected columns as protect() found them.';
  END IF;
END $$;
COMMENT ON FUNCTION @extschema@._guard_ddl() IS
  'ddl_command_end event trigger: refuses DDL that disables, renames or re-points the guard triggers of protected tables, renames their patient and anchor columns or makes them unlogged, and replacing patsvc functions while records are protected';

CREATE EVENT TRIGGER patsvc_guard_drop ON sql_drop EXECUTE FUNCTION @extschema@._guard_drop();
ALTER EVENT TRIGGER patsvc_guard_drop ENABLE ALWAYS;
COMMENT ON EVENT TRIGGER patsvc_guard_drop IS 'patsvc retention: protected tables and their guards cannot be dropped';
CREATE EVENT TRIGGER patsvc_guard_ddl ON ddl_command_end
  WHEN TAG IN ('ALTER TABLE', 'ALTER TRIGGER', 'CREATE FUNCTION', 'ALTER FUNCTION', 'CREATE TRIGGER')
  EXECUTE FUNCTION @extschema@._guard_ddl();
ALTER EVENT TRIGGER patsvc_guard_ddl ENABLE ALWAYS;
COMMENT ON EVENT TRIGGER patsvc_guard_ddl IS 'patsvc retention: guard triggers stay ENABLE ALWAYS, patsvc functions stay as installed';

-- DROP EXTENSION patsvc: see 87-drop-extension.sql for the function.
CREATE EVENT TRIGGER patsvc_guard_drop_extension ON ddl_command_start WHEN TAG IN ('DROP EXTENSION')
  EXECUTE FUNCTION @extschema@._guard_drop_extension();
ALTER EVENT TRIGGER patsvc_guard_drop_extension ENABLE ALWAYS;
COMMENT ON EVENT TRIGGER patsvc_guard_drop_extension IS 'patsvc retention: no DROP EXTENSION patsvc while it holds data';
