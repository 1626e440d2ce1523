-- The rule of every trigger function of patsvc's: it runs only on the tables
-- patsvc attaches it to (PS001 otherwise, one message).  The C trigger
-- functions check it in C (patsvc_trigger_bound); the PL/pgSQL ones call this
-- first, with their TG_RELID and TG_NAME.
CREATE FUNCTION @extschema@._trigger_bound(tg_relid pg_catalog.oid, tg_name pg_catalog.name, fn pg_catalog.text,
                                           VARIADIC tables pg_catalog.regclass[])
  RETURNS void AS 'MODULE_PATHNAME', 'patsvc_trigger_bound_sql' LANGUAGE C STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@._trigger_bound(pg_catalog.oid, pg_catalog.name, pg_catalog.text, pg_catalog.regclass[]) IS
  'for patsvc''s PL/pgSQL trigger functions: returns when the trigger (tg_relid, tg_name) fires on one of tables, raises PS001 naming the trigger to drop otherwise';
