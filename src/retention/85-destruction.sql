-- ---- destruction ----------------------------------------------------------
-- The end of a batch statement: count and anchor range, and with an archive, the insert
-- into it and the sha256 of the archived rows' text (sorted, newline-joined).
CREATE FUNCTION @extschema@._destroy_batch_tail(archive oid) RETURNS text
  LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
  AS $$ SELECT CASE WHEN $1 IS NULL THEN
    ' SELECT count(*) AS n, min(d.anchor_date) AS lo_anchor, max(d.anchor_date) AS hi_anchor, NULL::text AS digest FROM d'
  ELSE format(
    ', a AS (INSERT INTO %s SELECT (d.r).* FROM d)'
    ' SELECT count(*) AS n, min(d.anchor_date) AS lo_anchor, max(d.anchor_date) AS hi_anchor,'
    '        pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to('
    '          pg_catalog.string_agg(d.r::text, E''\n'' ORDER BY d.r::text), ''UTF8'')), ''hex'') AS digest FROM d',
    $1::regclass) END $$;
COMMENT ON FUNCTION @extschema@._destroy_batch_tail(oid) IS 'the end of the SQL of one destruction batch (internal)';

-- One batch of a destruction: deletes the eligible, unheld rows of a block range of one
-- leaf relation and returns their count and anchor-date range.
-- Eligibility and holds are evaluated on the row being deleted (t), so a row changed by a
-- concurrent transaction is re-checked on its new version under the row lock (EvalPlanQual);
-- a row whose patient changed meanwhile is kept.  Parameters as in _status_query, plus
-- $6 as_of, $7/$8 the block range, $9 the patient of an early destruction, $10 the last
-- anchor date whose anchor + period falls on or before as_of (policies without patient facts).
CREATE FUNCTION @extschema@._destroy_batch_query(relid oid, leaf oid, early boolean) RETURNS text
  LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
  AS $$ SELECT CASE WHEN NOT $3 AND p.anchor IN ('creation', 'column') AND p.minors_until_age IS NULL THEN
  -- the policy needs no patient facts: no join
  format(
    'WITH d AS (DELETE FROM ONLY %1$s t'
    '  WHERE t.ctid >= $7 AND t.ctid < $8'
    '    AND NOT %2$s'
    '    AND %3$s <= $10'
    '  RETURNING %3$s AS anchor_date%4$s)%5$s',
    $2::regclass, @extschema@._held_sql(format('t.%I::text', t.patient_column), '$5'),
    format('@extschema@.retention_anchor_date($1, $3, NULL, NULL, NULL, t.%I::date)', t.anchor_column),
    CASE WHEN a.archive_relid IS NOT NULL THEN ', t AS r' ELSE '' END, @extschema@._destroy_batch_tail(a.archive_relid))
  ELSE format(
    'WITH d AS (DELETE FROM ONLY %1$s t USING ('
    '    SELECT l.ctid AS c, l.%2$I::text AS pid, f.birth_date, f.death_date, f.last_encounter'
    '      FROM ONLY %1$s l LEFT JOIN @extschema@.retention_patient_facts f ON f.patient_id = l.%2$I::text'
    '     WHERE l.ctid >= $7 AND l.ctid < $8) s'
    '  WHERE t.ctid = s.c AND t.ctid >= $7 AND t.ctid < $8 AND s.pid = t.%2$I::text'
    '    AND NOT %7$s'
    '    AND %4$s'
    '  RETURNING @extschema@.retention_anchor_date($1, $3, s.birth_date, s.death_date, s.last_encounter, %3$s) AS anchor_date%5$s)%6$s',
    $2::regclass, t.patient_column,
    CASE WHEN t.anchor_column IS NULL THEN 'NULL::date' ELSE format('t.%I::date', t.anchor_column) END,
    CASE WHEN $3 THEN format('t.%I::text = $9', t.patient_column)
         ELSE format('@extschema@.compute_retain_until($1, $2, $3, $4, s.birth_date, s.death_date, s.last_encounter, %s) <= $6',
                     CASE WHEN t.anchor_column IS NULL THEN 'NULL::date' ELSE format('t.%I::date', t.anchor_column) END) END,
    CASE WHEN a.archive_relid IS NOT NULL THEN ', t AS r' ELSE '' END, @extschema@._destroy_batch_tail(a.archive_relid),
    @extschema@._held_sql(format('t.%I::text', t.patient_column), '$5'))
  END
  FROM @extschema@.protected_tables t JOIN @extschema@.retention_policies p ON p.policy_name = t.policy_name
  LEFT JOIN @extschema@.retention_archives a ON a.relid = t.relid
 WHERE t.relid = $1 $$;
COMMENT ON FUNCTION @extschema@._destroy_batch_query(oid, oid, boolean) IS
  'the SQL of one destruction batch (internal)';

-- The fast form of a batch, for the common case (the policy needs no patient facts, no
-- archive, not an early destruction): a RETURNING clause and a CTE cost as much per row as
-- the deletion itself, so the DELETE returns nothing; its last condition,
-- patsvc._destroying_anchor(anchor), notes the anchor date of each row it lets go (the
-- certificate states their range).  patsvc._destroy_ranges() runs it once per block range,
-- planned once per leaf.  The hold check is left out when no active hold covers the table:
-- _destroy holds a SHARE lock on retention_holds, so none can be placed until it commits.
-- Parameters: $1 the protected relid, $2/$3 the block range (TIDs), $4 the last anchor date
-- whose anchor + period falls on or before as_of.
CREATE FUNCTION @extschema@._destroy_fast_batch(relid oid, leaf oid, early boolean) RETURNS text
  LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
  AS $$ SELECT format('DELETE FROM ONLY %1$s t WHERE t.ctid >= $2 AND t.ctid < $3'
                      ' AND CASE WHEN %2$s <= $4%3$s THEN @extschema@._destroying_anchor(%2$s) ELSE false END',
                      $2::regclass,
                      -- the anchor kind is a constant: the planner folds this to the anchor column
                      format('@extschema@.retention_anchor_date(%L, NULL, NULL, NULL, NULL, t.%I::date)',
                             p.anchor, t.anchor_column),
                      CASE WHEN EXISTS (SELECT 1 FROM @extschema@.retention_holds h
                                         WHERE h.released_at IS NULL AND (h.relid IS NULL OR h.relid = $1))
                           THEN ' AND NOT ' || @extschema@._held_sql(format('t.%I::text', t.patient_column), '$1')
                           ELSE '' END)
          FROM @extschema@.protected_tables t JOIN @extschema@.retention_policies p ON p.policy_name = t.policy_name
         WHERE t.relid = $1 AND NOT $3 AND p.anchor IN ('creation', 'column') AND p.minors_until_age IS NULL
           AND NOT EXISTS (SELECT 1 FROM @extschema@.retention_archives a WHERE a.relid = t.relid) $$;
COMMENT ON FUNCTION @extschema@._destroy_fast_batch(oid, oid, boolean) IS
  'the SQL of one destruction batch in its fast form (a DELETE without RETURNING that notes the anchor dates it destroys); NULL when the table needs the general form (internal)';

CREATE FUNCTION @extschema@._destroying_anchor(date) RETURNS boolean
  AS 'MODULE_PATHNAME', 'patsvc_destroying_anchor' LANGUAGE C VOLATILE STRICT;
REVOKE ALL ON FUNCTION @extschema@._destroying_anchor(date) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@._destroying_anchor(date) IS
  'last condition of a fast destruction batch: notes the anchor date of a row being destroyed and returns true; refused outside patsvc.destroy_due() (internal)';

CREATE FUNCTION @extschema@._destroy_ranges(leaf oid, delete_sql text, relid oid, cutoff date, nblocks bigint,
                                            step bigint, OUT n bigint, OUT lo_anchor date, OUT hi_anchor date)
  AS 'MODULE_PATHNAME', 'patsvc_destroy_ranges' LANGUAGE C VOLATILE STRICT;
REVOKE ALL ON FUNCTION @extschema@._destroy_ranges(oid, text, oid, date, bigint, bigint) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@._destroy_ranges(oid, text, oid, date, bigint, bigint) IS
  'runs a fast destruction batch (patsvc._destroy_fast_batch) once per block range of step blocks, planned once, and returns the rows deleted and their anchor-date range; refused outside patsvc.destroy_due() (internal)';

-- The implementation behind destroy_due() and destroy_early(): only these C wrappers call it,
-- with the destroying flag set for tbl; called directly, its DELETEs are refused.
CREATE FUNCTION @extschema@._destroy(tbl regclass, as_of date DEFAULT CURRENT_DATE, authorized_by text DEFAULT NULL,
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
REVOKE ALL ON FUNCTION @extschema@._destroy(regclass, date, text, text, text, integer, boolean, text, text) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@._destroy(regclass, date, text, text, text, integer, boolean, text, text) IS
  'implementation of destroy_due() and destroy_early() (internal: its DELETEs succeed only inside them)';

CREATE FUNCTION @extschema@.destroy_due(tbl regclass, as_of date DEFAULT CURRENT_DATE, authorized_by text DEFAULT NULL,
                                        method text DEFAULT NULL, witness text DEFAULT NULL,
                                        batch_size integer DEFAULT 10000, dry_run boolean DEFAULT false)
  RETURNS bigint AS 'MODULE_PATHNAME', 'patsvc_destroy_due'
  LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
REVOKE ALL ON FUNCTION @extschema@.destroy_due(regclass, date, text, text, text, integer, boolean) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.destroy_due(regclass, date, text, text, text, integer, boolean) IS
  'destroys every record of a protected table eligible on as_of and not held, in batches, and returns the certificate id (NULL when nothing was due, and for a dry run, which only counts); the only way rows of a protected table are deleted';

CREATE FUNCTION @extschema@.destroy_early(tbl regclass, patient_id text, reason text, authorized_by text,
                                          method text, witness text DEFAULT NULL)
  RETURNS bigint AS 'MODULE_PATHNAME', 'patsvc_destroy_early'
  LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
REVOKE ALL ON FUNCTION @extschema@.destroy_early(regclass, text, text, text, text, text) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.destroy_early(regclass, text, text, text, text, text) IS
  'governance mode only: destroys a patient''s unheld records of a protected table before their retention ends, with a mandatory reason; certificate and log entry; grant it separately from destroy_due()';
