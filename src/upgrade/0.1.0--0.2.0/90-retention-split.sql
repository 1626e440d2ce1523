-- patsvc 0.1.0 -> 0.2.0: retention split by concern (issue 11, item 3).  The install
-- script's retention part is src/retention/NN-*.sql by concern; these are the objects that
-- changed with it, with the same definitions (CREATE OR REPLACE keeps privileges):
--  * one retain-until arithmetic: anchor_cutoff() asks compute_retain_until(), and the
--    destruction batches take a row's anchor date from retention_anchor_date();
--  * one hold check in the queries patsvc builds: _held_sql();
--  * one list of retention's tables, in C (src/retention/tables.c): _guard_ddl() asks
--    it through _retention_tables().

CREATE FUNCTION @extschema@._held_sql(patient text, relid text) RETURNS text
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE SET search_path = pg_catalog, pg_temp
  AS $$ SELECT pg_catalog.format(
    '(%1$s IN (SELECT h.patient_id FROM @extschema@.retention_holds h'
    ' WHERE h.released_at IS NULL AND h.patient_id IS NOT NULL AND (h.relid IS NULL OR h.relid = %2$s))'
    ' OR EXISTS (SELECT 1 FROM @extschema@.retention_holds h'
    ' WHERE h.released_at IS NULL AND h.patient_id IS NULL AND h.relid = %2$s))', $1, $2) $$;
REVOKE ALL ON FUNCTION @extschema@._held_sql(text, text) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@._held_sql(text, text) IS
  'the SQL text of the hold check of a row (its patient id expression, its protected table''s relid expression) in the queries patsvc builds (internal)';

CREATE FUNCTION @extschema@._retention_tables() RETURNS text[]
  AS 'MODULE_PATHNAME', 'patsvc_retention_tables' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@._retention_tables() IS
  'the names of retention''s own tables in patsvc''s schema (registry, ledgers, holds, policies, facts, archives), from the one list in C that the guards and hooks use (internal)';

CREATE OR REPLACE FUNCTION @extschema@.anchor_cutoff(period interval, as_of date) RETURNS date
  LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
DECLARE d date;
BEGIN
  -- infinity +/- anything is infinity: the loops below would never end
  IF NOT pg_catalog.isfinite(as_of) THEN
    RAISE EXCEPTION USING ERRCODE = '22008', MESSAGE = pg_catalog.format('as_of %s is not a finite date', as_of),
      HINT = 'Give a calendar date such as CURRENT_DATE.';
  END IF;
  d := (as_of - period)::date;  -- a first guess, made exact below
  WHILE @extschema@.compute_retain_until('column', period, NULL, NULL, NULL, NULL, NULL, d) > as_of LOOP
    d := d - 1;
  END LOOP;
  WHILE @extschema@.compute_retain_until('column', period, NULL, NULL, NULL, NULL, NULL, d + 1) <= as_of LOOP
    d := d + 1;
  END LOOP;
  RETURN d;
END $$;
COMMENT ON FUNCTION @extschema@.anchor_cutoff(interval, date) IS
  'the last anchor date whose retain-until (compute_retain_until, no patient facts, no minors rule) is on or before as_of; 22008 for an infinite as_of';

CREATE OR REPLACE FUNCTION @extschema@._status_query(relid oid, from_rel oid, cond text) RETURNS text
  LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
  AS $$ SELECT format(
    'SELECT t.tableoid AS row_table, t.ctid AS row_ctid, t.%1$I::text AS patient_id, a.anchor_date, a.retain_until, a.held'
    '  FROM %2$s t LEFT JOIN @extschema@.retention_patient_facts f ON f.patient_id = t.%1$I::text'
    '  CROSS JOIN LATERAL (SELECT'
    '       @extschema@.retention_anchor_date($1, $3, f.birth_date, f.death_date, f.last_encounter, %3$s) AS anchor_date,'
    '       @extschema@.compute_retain_until($1, $2, $3, $4, f.birth_date, f.death_date, f.last_encounter, %3$s) AS retain_until,'
    '       %5$s AS held) a'
    ' WHERE %4$s',
    t.patient_column, $2::regclass,
    CASE WHEN t.anchor_column IS NULL THEN 'NULL::date' ELSE format('t.%I::date', t.anchor_column) END,
    $3, @extschema@._held_sql(format('t.%I::text', t.patient_column), '$5'))
  FROM @extschema@.protected_tables t WHERE t.relid = $1 $$;
COMMENT ON FUNCTION @extschema@._status_query(oid, oid, text) IS
  'the SQL reading a protected table with each row''s retention status (internal)';

CREATE OR REPLACE FUNCTION @extschema@._destroy_batch_query(relid oid, leaf oid, early boolean) RETURNS text
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

CREATE OR REPLACE FUNCTION @extschema@._destroy_fast_batch(relid oid, leaf oid, early boolean) RETURNS text
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

CREATE OR REPLACE FUNCTION @extschema@._guard_ddl() RETURNS event_trigger
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
