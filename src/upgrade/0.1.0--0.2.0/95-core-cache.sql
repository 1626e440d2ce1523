-- 0.1.0 -> 0.2.0, core: every cache trigger runs cache_changed()
-- (src/core/10-cache.sql, created by 01-core-cache.sql), which replaces
-- 0.1.0's codeset_changed(), scheduling_cache_changed() and
-- _registry_changed().  Each trigger keeps its name, events, comment and
-- firing mode (ENABLE ALWAYS / REPLICA); only its function changes.
DO $$
DECLARE
  t record;
BEGIN
  FOR t IN
    SELECT tg.tgname, tg.tgrelid::pg_catalog.regclass AS tbl, tg.tgenabled,
           pg_catalog.pg_get_triggerdef(tg.oid) AS def
      FROM pg_catalog.pg_trigger tg
     WHERE tg.tgfoid IN ('@extschema@.codeset_changed()'::pg_catalog.regprocedure,
                         '@extschema@.scheduling_cache_changed()'::pg_catalog.regprocedure,
                         '@extschema@._registry_changed()'::pg_catalog.regprocedure)
  LOOP
    EXECUTE pg_catalog.regexp_replace(
      pg_catalog.replace(t.def, 'CREATE TRIGGER', 'CREATE OR REPLACE TRIGGER'),
      'EXECUTE FUNCTION \S+\(\)$', 'EXECUTE FUNCTION @extschema@.cache_changed()');
    -- CREATE OR REPLACE TRIGGER fires on origin again: restore the mode
    IF t.tgenabled = 'A' THEN
      EXECUTE pg_catalog.format('ALTER TABLE %s ENABLE ALWAYS TRIGGER %I', t.tbl, t.tgname);
    ELSIF t.tgenabled = 'R' THEN
      EXECUTE pg_catalog.format('ALTER TABLE %s ENABLE REPLICA TRIGGER %I', t.tbl, t.tgname);
    END IF;
  END LOOP;
END
$$;
DROP FUNCTION @extschema@.codeset_changed();
DROP FUNCTION @extschema@.scheduling_cache_changed();
DROP FUNCTION @extschema@._registry_changed();
