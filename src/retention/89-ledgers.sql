-- ---- ledgers are written by patsvc alone ----------------------------------
-- Certificates, tokens, events and holds take rows only from patsvc's own C code
-- (destroy_due/destroy_early, place_hold/release_hold, the event triggers below), from
-- patsvc's install and update scripts, and from a restore (a superuser in replica mode,
-- into a table that held no row before the statement): src/retention/ledgers.c.
CREATE FUNCTION @extschema@._ledger_guard() RETURNS trigger
  AS 'MODULE_PATHNAME', 'patsvc_ledger_guard' LANGUAGE C;
COMMENT ON FUNCTION @extschema@._ledger_guard() IS
  'BEFORE INSERT (and UPDATE) row trigger of patsvc''s certificates, tokens, events and holds: refuses every row patsvc''s own functions did not write (a restore by a superuser in replica mode into an empty table excepted)';

-- The event log's entries for changes of the other retention tables, written by a trigger
-- (so there is an event for every change, and none without one).
CREATE FUNCTION @extschema@._log_change() RETURNS trigger
  AS 'MODULE_PATHNAME', 'patsvc_log_change' LANGUAGE C;
COMMENT ON FUNCTION @extschema@._log_change() IS
  'AFTER row trigger of retention_policies, retention_patient_facts, protected_tables and retention_archives: logs each change in patsvc.retention_events (rows inserted in replica mode, and facts changed there, were logged where they were written)';
-- The two row triggers of retention's tables, made by one loop: patsvc_by_patsvc_only
-- (BEFORE: only patsvc writes the ledgers) and patsvc_log_change (AFTER: every change logged).
DO $$
DECLARE
  l record;
BEGIN
  FOR l IN SELECT * FROM (VALUES
    ('patsvc_by_patsvc_only', 'BEFORE', 'destruction_certificates', 'INSERT', '_ledger_guard',
     'certificates are issued by destroy_due() and destroy_early() alone'),
    ('patsvc_by_patsvc_only', 'BEFORE', 'destruction_tokens', 'INSERT', '_ledger_guard',
     'tokens are drawn by the destruction that issues their certificate'),
    ('patsvc_by_patsvc_only', 'BEFORE', 'retention_events', 'INSERT', '_ledger_guard',
     'events are written by patsvc alone'),
    ('patsvc_by_patsvc_only', 'BEFORE', 'retention_holds', 'INSERT OR UPDATE', '_ledger_guard',
     'holds are placed by place_hold() and released by release_hold() alone'),
    ('patsvc_log_change', 'AFTER', 'retention_policies', 'INSERT OR UPDATE OR DELETE', '_log_change',
     'logs policies created, changed and dropped'),
    ('patsvc_log_change', 'AFTER', 'retention_patient_facts', 'INSERT OR UPDATE', '_log_change',
     'logs patient facts recorded and changed'),
    ('patsvc_log_change', 'AFTER', 'protected_tables', 'INSERT', '_log_change', 'logs tables protected'),
    ('patsvc_log_change', 'AFTER', 'retention_archives', 'INSERT', '_log_change', 'logs archives set'))
    AS v(tg, timing, t, ops, fn, why)
  LOOP
    EXECUTE pg_catalog.format('CREATE TRIGGER %I %s %s ON @extschema@.%I FOR EACH ROW EXECUTE FUNCTION @extschema@.%I()',
                              l.tg, l.timing, l.ops, l.t, l.fn);
    EXECUTE pg_catalog.format('ALTER TABLE @extschema@.%I ENABLE ALWAYS TRIGGER %I', l.t, l.tg);
    EXECUTE pg_catalog.format('COMMENT ON TRIGGER %I ON @extschema@.%I IS %L', l.tg, l.t, l.why);
  END LOOP;
END $$;
