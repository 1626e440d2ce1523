-- ---- protected tables -----------------------------------------------------
CREATE TABLE @extschema@.protected_tables (
  relid          regclass PRIMARY KEY,
  policy_name    text NOT NULL REFERENCES @extschema@.retention_policies,
  patient_column name NOT NULL,
  anchor_column  name,
  protected_at   timestamptz NOT NULL DEFAULT now(),
  protected_by   text NOT NULL DEFAULT session_user,
  ready_made     boolean NOT NULL DEFAULT false
);
REVOKE ALL ON @extschema@.protected_tables FROM PUBLIC;
GRANT SELECT ON @extschema@.protected_tables TO PUBLIC;
COMMENT ON TABLE @extschema@.protected_tables IS
  'tables whose rows are under retention (append-only: a protection is never lifted)';
COMMENT ON COLUMN @extschema@.protected_tables.ready_made IS
  'protected by patsvc''s install script itself (its own logs, patsvc._protect_ready_made): not dumped by pg_dump (CREATE EXTENSION makes it again, triggers included), no event logged, protected_at and protected_by fixed';

CREATE FUNCTION @extschema@._protected(tbl regclass) RETURNS @extschema@.protected_tables
  LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE t @extschema@.protected_tables;
BEGIN
  SELECT * INTO t FROM @extschema@.protected_tables p WHERE p.relid = tbl;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'table "%" is not protected', tbl USING ERRCODE = 'PS307',
      HINT = 'Protect it first with patsvc.protect().';
  END IF;
  RETURN t;
END $$;
COMMENT ON FUNCTION @extschema@._protected(regclass) IS 'the protection of a table, or PS307 (internal)';

-- The checks of a new protection (protect() and _protect_ready_made()): returns the policy.
CREATE FUNCTION @extschema@._protect_check(tbl regclass, policy text, patient_column name, anchor_column name)
  RETURNS @extschema@.retention_policies LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  p @extschema@.retention_policies := @extschema@._policy(policy);
  kind "char";
BEGIN
  SELECT c.relkind INTO kind FROM pg_catalog.pg_class c WHERE c.oid = tbl;
  IF (SELECT c.relpersistence FROM pg_catalog.pg_class c WHERE c.oid = tbl) = 't' THEN
    RAISE EXCEPTION 'cannot protect temporary table "%"', tbl USING ERRCODE = 'wrong_object_type',
      DETAIL = 'A temporary table disappears at the end of the session, whatever its retention.',
      HINT = 'Protect permanent tables.';
  END IF;
  IF (SELECT c.relpersistence FROM pg_catalog.pg_class c WHERE c.oid = tbl) = 'u' THEN
    RAISE EXCEPTION 'cannot protect unlogged table "%"', tbl USING ERRCODE = 'wrong_object_type',
      DETAIL = 'An unlogged table comes back empty after a crash and never reaches WAL or replicas.',
      HINT = 'Make it logged first: ALTER TABLE ... SET LOGGED.';
  END IF;
  IF kind NOT IN ('r', 'p') THEN
    RAISE EXCEPTION '"%" is not a table', tbl USING ERRCODE = 'wrong_object_type',
      HINT = 'Protect ordinary or partitioned tables.';
  END IF;
  IF EXISTS (SELECT 1 FROM @extschema@.protected_tables t WHERE t.relid = tbl) THEN
    RAISE EXCEPTION 'table "%" is already protected', tbl USING ERRCODE = 'PS308',
      DETAIL = 'A protection is never changed or lifted.', HINT = 'Look it up in patsvc.protected_tables.';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a WHERE a.attrelid = tbl AND a.attname = patient_column
                 AND a.attnum > 0 AND NOT a.attisdropped) THEN
    RAISE EXCEPTION 'column "%" does not exist in table "%"', patient_column, tbl USING ERRCODE = 'undefined_column',
      HINT = 'Name the column holding the patient id.';
  END IF;
  IF p.anchor IN ('creation', 'column') AND anchor_column IS NULL THEN
    RAISE EXCEPTION 'policy "%" counts from a date column of the record, but no anchor column was given', policy
      USING ERRCODE = 'invalid_parameter_value', HINT = 'Pass anchor_column => the date (or timestamp) column to count from.';
  END IF;
  IF anchor_column IS NOT NULL AND NOT EXISTS (
       SELECT 1 FROM pg_catalog.pg_attribute a WHERE a.attrelid = tbl AND a.attname = anchor_column
          AND a.attnum > 0 AND NOT a.attisdropped
          AND a.atttypid IN ('date'::regtype, 'timestamp'::regtype, 'timestamptz'::regtype)) THEN
    RAISE EXCEPTION 'column "%" of table "%" is not a date or timestamp column', anchor_column, tbl
      USING ERRCODE = 'invalid_parameter_value', HINT = 'The anchor column must be of type date, timestamp or timestamptz.';
  END IF;
  RETURN p;
END $$;
COMMENT ON FUNCTION @extschema@._protect_check(regclass, text, name, name) IS
  'the checks of a new protection (a permanent ordinary or partitioned table, not yet protected, its patient and anchor columns); returns the policy, or raises (internal)';

-- The guard triggers of a protected table (protect() and _protect_ready_made()).
-- AFTER ROW, so a plain DELETE costs no tuple lock per row; the WHEN clause skips the
-- call while patsvc.destroy_due() itself deletes (the error of an AFTER trigger undoes
-- the whole statement all the same).  The table is named, not numbered, in the WHEN
-- clause: pg_dump writes it by name, so a restored trigger points at the restored table.
CREATE FUNCTION @extschema@._protect_guard_triggers(tbl regclass, patient_column name, anchor_column name)
  RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  EXECUTE format('CREATE TRIGGER patsvc_retention_guard AFTER DELETE OR UPDATE OF %s ON %s FOR EACH ROW '
                 'WHEN (NOT @extschema@.is_destroying(%L::pg_catalog.regclass)) '
                 'EXECUTE FUNCTION @extschema@.retention_guard_row(%L, %L)',
                 concat_ws(', ', quote_ident(patient_column), quote_ident(anchor_column)), tbl, tbl::text,
                 patient_column, coalesce(anchor_column, ''));
  EXECUTE format('CREATE TRIGGER patsvc_retention_no_truncate BEFORE TRUNCATE ON %s FOR EACH STATEMENT '
                 'EXECUTE FUNCTION @extschema@.retention_guard_truncate()', tbl);
  EXECUTE format('ALTER TABLE %s ENABLE ALWAYS TRIGGER patsvc_retention_guard', tbl);
  EXECUTE format('ALTER TABLE %s ENABLE ALWAYS TRIGGER patsvc_retention_no_truncate', tbl);
  EXECUTE format('COMMENT ON TRIGGER patsvc_retention_guard ON %s IS %L', tbl,
                 'patsvc retention: rows leave only through patsvc.destroy_due(); retention may not be shortened');
  EXECUTE format('COMMENT ON TRIGGER patsvc_retention_no_truncate ON %s IS %L', tbl, 'patsvc retention: no TRUNCATE');
END $$;
COMMENT ON FUNCTION @extschema@._protect_guard_triggers(regclass, name, name) IS
  'creates the retention guard triggers of a table being protected (internal)';

CREATE FUNCTION @extschema@.protect(tbl regclass, policy text, patient_column name, anchor_column name DEFAULT NULL)
  RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  p @extschema@.retention_policies := @extschema@._protect_check(tbl, policy, patient_column, anchor_column);
BEGIN
  PERFORM @extschema@._protect_guard_triggers(tbl, patient_column, anchor_column);
  INSERT INTO @extschema@.protected_tables (relid, policy_name, patient_column, anchor_column)
  VALUES (tbl, p.policy_name, patient_column, anchor_column);
END $$;
COMMENT ON FUNCTION @extschema@.protect(regclass, text, name, name) IS
  'puts a table under a retention policy (logged): its rows can then only be removed by patsvc.destroy_due() once eligible and unheld; for good';

-- Ready-made protections: patsvc's install script protects tables of its own (the
-- records area's disclosure and access logs), as it ships ready-made policies.  The
-- checks and the guard triggers are protect()'s; the triggers are made while CREATE
-- EXTENSION runs, so every install and every restore (which runs CREATE EXTENSION)
-- has them, though pg_dump never writes the triggers of an extension's tables.  The
-- row is marked ready_made: not dumped, no event (patsvc._log_change refuses such a
-- row outside patsvc's script), fixed protected_at and protected_by so that a
-- database and its restored copy hold the same row.
CREATE FUNCTION @extschema@._protect_ready_made(tbl regclass, policy text, patient_column name, anchor_column name)
  RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  p @extschema@.retention_policies := @extschema@._protect_check(tbl, policy, patient_column, anchor_column);
BEGIN
  IF NOT p.ready_made OR NOT EXISTS (
       SELECT 1 FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_extension e ON e.oid = d.refobjid
        WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = tbl
          AND d.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass AND d.deptype = 'e'
          AND e.extname = 'patsvc') THEN
    RAISE EXCEPTION 'table "%" cannot get a ready-made protection', tbl USING ERRCODE = 'PS305',
      DETAIL = 'Ready-made protections are for patsvc''s own tables under ready-made policies, made by its install script.',
      HINT = 'Protect your tables with patsvc.protect().';
  END IF;
  PERFORM @extschema@._protect_guard_triggers(tbl, patient_column, anchor_column);
  INSERT INTO @extschema@.protected_tables (relid, policy_name, patient_column, anchor_column, protected_at,
                                            protected_by, ready_made)
  VALUES (tbl, p.policy_name, patient_column, anchor_column, timestamptz '2026-12-01 00:00+00', 'patsvc', true);
END $$;
COMMENT ON FUNCTION @extschema@._protect_ready_made(regclass, text, name, name) IS
  'protects one of patsvc''s own tables under a ready-made policy, from patsvc''s install script alone (PS305 otherwise): protect()''s checks and guard triggers, a ready-made row (not dumped, no event) (internal)';
