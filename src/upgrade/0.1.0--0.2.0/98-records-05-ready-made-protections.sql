-- 0.2.0: ready-made protections (src/retention/50-protect.sql, 85-destruction.sql,
-- 95-backups.sql): patsvc's install script protects its own disclosure and access logs
-- (src/records) under the ready-made policy hipaa_documentation.
ALTER TABLE @extschema@.protected_tables ADD COLUMN ready_made boolean NOT NULL DEFAULT false;
COMMENT ON COLUMN @extschema@.protected_tables.ready_made IS
  'protected by patsvc''s install script itself (its own logs, patsvc._protect_ready_made): not dumped by pg_dump (CREATE EXTENSION makes it again, triggers included), no event logged, protected_at and protected_by fixed';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.protected_tables', 'WHERE NOT ready_made');

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

CREATE OR REPLACE FUNCTION @extschema@.protect(tbl regclass, policy text, patient_column name, anchor_column name DEFAULT NULL)
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

-- The implementation behind destroy_due() and destroy_early(): only these C wrappers call it,
-- with the destroying flag set for tbl; called directly, its DELETEs are refused.
CREATE OR REPLACE FUNCTION @extschema@._destroy(tbl regclass, as_of date DEFAULT CURRENT_DATE, authorized_by text DEFAULT NULL,
                                     method text DEFAULT NULL, witness text DEFAULT NULL,
                                     batch_size integer DEFAULT 10000, dry_run boolean DEFAULT false,
                                     early_patient text DEFAULT NULL, early_reason text DEFAULT NULL)
  RETURNS bigint LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  t @extschema@.protected_tables := @extschema@._protected(tbl);
  p @extschema@.retention_policies := @extschema@._policy(t.policy_name);
  early boolean := early_patient IS NOT NULL OR early_reason IS NOT NULL;
  cond text;
  leaf oid;
  nblocks bigint;
  step bigint;
  lo bigint;
  batch record;
  total bigint := 0;
  first_anchor date;
  last_anchor date;
  cutoff date;
  q text;
  fast_delete text;
  digests text := '';
  archive regclass := (SELECT a.archive_relid FROM @extschema@.retention_archives a WHERE a.relid = tbl);
  cert bigint;
  shredded bigint;
BEGIN
  IF coalesce(btrim(authorized_by), '') = '' OR coalesce(btrim(method), '') = '' THEN
    RAISE EXCEPTION 'destruction needs authorized_by and method' USING ERRCODE = 'invalid_parameter_value',
      HINT = 'Name who authorized the destruction and the method (e.g. ''deleted, vacuumed'').';
  END IF;
  IF as_of IS NULL OR batch_size IS NULL OR batch_size < 1 THEN
    RAISE EXCEPTION 'invalid as_of or batch_size' USING ERRCODE = 'invalid_parameter_value',
      HINT = 'Give a date and a positive batch size.';
  END IF;
  IF as_of > CURRENT_DATE THEN
    RAISE EXCEPTION 'as_of % is in the future', as_of USING ERRCODE = 'invalid_parameter_value',
      DETAIL = 'Records cannot be destroyed as if it were a later day.', HINT = 'Use today''s date or an earlier one.';
  END IF;
  IF early THEN
    IF p.mode <> 'governance' THEN
      RAISE EXCEPTION 'policy "%" is in compliance mode: no early destruction', p.policy_name USING ERRCODE = 'PS306',
        DETAIL = 'Compliance-mode records are kept until their retention ends, whoever asks.',
        HINT = 'Wait until the records are eligible and use patsvc.destroy_due().';
    END IF;
    IF early_patient IS NULL OR coalesce(btrim(early_reason), '') = '' THEN
      RAISE EXCEPTION 'early destruction needs a patient and a reason' USING ERRCODE = 'invalid_parameter_value',
        HINT = 'Pass the patient whose records go and why they must go before their retention ends.';
    END IF;
  END IF;
  -- Any other DELETE trigger or rule could act while the destroying flag is set: refuse.
  -- Tables patsvc protects itself (ready_made) keep their own guards, patsvc's functions.
  IF EXISTS (SELECT 1 FROM pg_catalog.pg_trigger g
              WHERE g.tgrelid IN (SELECT relid FROM pg_catalog.pg_partition_tree(tbl) UNION SELECT tbl)
                AND NOT g.tgisinternal AND (g.tgtype::integer & 8) <> 0
                AND g.tgfoid <> '@extschema@.retention_guard_row()'::pg_catalog.regprocedure
                AND NOT (t.ready_made AND EXISTS (
                  SELECT 1 FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_extension e ON e.oid = d.refobjid
                   WHERE d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND d.objid = g.tgfoid
                     AND d.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass AND d.deptype = 'e'
                     AND e.extname = 'patsvc')))
     OR EXISTS (SELECT 1 FROM pg_catalog.pg_rewrite r
                 WHERE r.ev_class IN (SELECT relid FROM pg_catalog.pg_partition_tree(tbl) UNION SELECT tbl)
                   AND r.rulename <> '_RETURN') THEN
    RAISE EXCEPTION 'table "%" has other DELETE triggers or rules', tbl USING ERRCODE = 'PS312',
      DETAIL = 'They would run inside the destruction with its rights.',
      HINT = 'Drop the other DELETE triggers and rules of the protected table first.';
  END IF;

  -- One destruction per table at a time; holds and patient facts cannot change under us.
  PERFORM pg_catalog.pg_advisory_xact_lock(1347572803, tbl::oid::integer);
  LOCK TABLE @extschema@.retention_holds, @extschema@.retention_patient_facts IN SHARE MODE;

  cutoff := @extschema@.anchor_cutoff(p.period, as_of);
  cond := CASE WHEN early THEN format('t.%I::text = $9 AND NOT a.held', t.patient_column)
               ELSE 'a.retain_until <= $6 AND NOT a.held' END;
  IF dry_run THEN
    EXECUTE format('SELECT count(*) FROM (%s) s', @extschema@._status_query(tbl, tbl, cond)) INTO total
      USING p.anchor, p.period, p.majority_age, p.minors_until_age, t.relid, as_of, NULL::tid, NULL::tid, early_patient;
    RAISE NOTICE 'dry run: % record(s) of "%" would be destroyed', total, tbl;
    RETURN NULL;
  END IF;

  FOR leaf IN SELECT pt.relid FROM pg_catalog.pg_partition_tree(tbl) pt WHERE pt.isleaf
              UNION SELECT tbl::oid WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_partition_tree(tbl) pt WHERE pt.isleaf)
  LOOP
    -- Batches are block ranges (TID range scans), about batch_size rows each.
    nblocks := pg_catalog.pg_relation_size(leaf) / pg_catalog.current_setting('block_size')::bigint;
    SELECT greatest(1, batch_size / greatest(1, CASE WHEN c.relpages > 0 AND c.reltuples > 0
                                                     THEN c.reltuples / c.relpages ELSE 50 END)::bigint)
      INTO step FROM pg_catalog.pg_class c WHERE c.oid = leaf;
    fast_delete := @extschema@._destroy_fast_batch(tbl, leaf, early);
    IF fast_delete IS NOT NULL THEN
      SELECT r.n, r.lo_anchor, r.hi_anchor, NULL::text AS digest INTO batch
        FROM @extschema@._destroy_ranges(leaf, fast_delete, t.relid, cutoff, nblocks, step) r;
      total := total + batch.n;
      first_anchor := least(first_anchor, batch.lo_anchor);
      last_anchor := greatest(last_anchor, batch.hi_anchor);
      CONTINUE;
    END IF;
    lo := 0;
    q := @extschema@._destroy_batch_query(tbl, leaf, early);
    WHILE lo < nblocks LOOP
      EXECUTE q INTO batch
        USING p.anchor, p.period, p.majority_age, p.minors_until_age, t.relid, as_of,
              format('(%s,0)', lo)::tid, format('(%s,0)', lo + step)::tid, early_patient, cutoff;
      IF batch.n > 0 THEN
        total := total + batch.n;
        digests := digests || batch.digest;
        first_anchor := least(first_anchor, batch.lo_anchor);
        last_anchor := greatest(last_anchor, batch.hi_anchor);
      END IF;
      lo := lo + step;
    END LOOP;
  END LOOP;

  IF total = 0 THEN
    RAISE NOTICE 'nothing to destroy in "%"', tbl;
    RETURN NULL;
  END IF;
  -- the tokens, then the certificate naming them (their number is its record count) and the
  -- record of the destruction in the event log: written by patsvc's C code alone
  PERFORM @extschema@._store_tokens(total::integer);
  -- cryptographic erase: the keys of patients whose last encrypted record went (crypto.c)
  shredded := @extschema@._shred_keys(tbl);
  cert := @extschema@._certify(tbl, p.record_class, p.policy_name, p.mode,
            extract(year FROM first_anchor)::integer, extract(year FROM last_anchor)::integer, method, authorized_by,
            witness,
            CASE WHEN early THEN 'destroyed before the end of retention under a governance policy, for the reason recorded'
                 ELSE 'destroyed in the normal course of business, under the retention schedule' END
            || CASE WHEN shredded > 0
                    THEN format('; the keys of %s patient(s) were destroyed with their last encrypted records (cryptographic erase)', shredded)
                    ELSE '' END,
            early_reason, archive::text,
            CASE WHEN archive IS NOT NULL THEN encode(sha256(convert_to(digests, 'UTF8')), 'hex') END);
  RETURN cert;
END $$;
