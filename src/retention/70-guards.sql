-- ---- guard triggers (C) ---------------------------------------------------
CREATE FUNCTION @extschema@.retention_guard_row() RETURNS trigger
  AS 'MODULE_PATHNAME', 'patsvc_retention_guard_row' LANGUAGE C;
COMMENT ON FUNCTION @extschema@.retention_guard_row() IS
  'AFTER row trigger of protected tables: DELETE refused (with the eligibility date, or the hold) outside patsvc.destroy_due(); UPDATE of patient or anchor refused when it would shorten retention';
CREATE FUNCTION @extschema@.is_destroying(relid oid) RETURNS boolean
  AS 'MODULE_PATHNAME', 'patsvc_is_destroying' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.is_destroying(oid) IS
  'true while patsvc.destroy_due() or destroy_early() deletes from this table in this session (the WHEN clause of the guard trigger)';
CREATE FUNCTION @extschema@.retention_guard_truncate() RETURNS trigger
  AS 'MODULE_PATHNAME', 'patsvc_retention_guard_truncate' LANGUAGE C;
COMMENT ON FUNCTION @extschema@.retention_guard_truncate() IS 'statement trigger: TRUNCATE of a protected table is refused';
CREATE FUNCTION @extschema@.append_only_guard() RETURNS trigger
  AS 'MODULE_PATHNAME', 'patsvc_append_only_guard' LANGUAGE C;
COMMENT ON FUNCTION @extschema@.append_only_guard() IS 'row trigger of patsvc''s ledgers: UPDATE and DELETE refused';
CREATE TRIGGER patsvc_registry_changed AFTER INSERT OR UPDATE OR DELETE ON @extschema@.protected_tables
  FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.cache_changed();
ALTER TABLE @extschema@.protected_tables ENABLE ALWAYS TRIGGER patsvc_registry_changed;
COMMENT ON TRIGGER patsvc_registry_changed ON @extschema@.protected_tables IS 'reloads the hardened-mode cache';

-- Ledgers are append-only in every mode: one function seals each of them.
CREATE FUNCTION @extschema@._seal_ledger(tbl regclass, why text) RETURNS void
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  -- why IS NULL: rows may change (through their own guard), the table is never truncated
  IF why IS NOT NULL THEN
    EXECUTE format('CREATE TRIGGER patsvc_append_only BEFORE UPDATE OR DELETE ON %s
                      FOR EACH ROW EXECUTE FUNCTION @extschema@.append_only_guard()', tbl);
    EXECUTE format('ALTER TABLE %s ENABLE ALWAYS TRIGGER patsvc_append_only', tbl);
    EXECUTE format('COMMENT ON TRIGGER patsvc_append_only ON %s IS %L', tbl, why);
  END IF;
  EXECUTE format('CREATE TRIGGER patsvc_no_truncate BEFORE TRUNCATE ON %s
                    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.retention_guard_truncate()', tbl);
  EXECUTE format('ALTER TABLE %s ENABLE ALWAYS TRIGGER patsvc_no_truncate', tbl);
  EXECUTE format('COMMENT ON TRIGGER patsvc_no_truncate ON %s IS %L', tbl, 'no TRUNCATE');
END $$;
REVOKE ALL ON FUNCTION @extschema@._seal_ledger(regclass, text) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@._seal_ledger(regclass, text) IS
  'install script helper: ENABLE ALWAYS triggers refusing UPDATE/DELETE (when a reason is given) and TRUNCATE on a patsvc ledger (internal)';
SELECT @extschema@._seal_ledger(t, why) FROM (VALUES
  ('@extschema@.retention_events'::regclass, 'the event log is append-only'),
  ('@extschema@.protected_tables'::regclass, 'a protection is never lifted'),
  ('@extschema@.retention_holds'::regclass, NULL)) AS l(t, why);
