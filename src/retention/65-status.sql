-- ---- status of rows -------------------------------------------------------
-- Used by the row guard trigger (which calls it as the owner of patsvc's tables): retain-until
-- and hold of one row.  It runs with its caller's rights: called directly it would tell any
-- patient's dates and holds, so it refuses roles that may not read the facts and holds.
CREATE FUNCTION @extschema@.row_retention_status(relid oid, patient_id text, anchor_value text,
                                                 OUT retain_until date, OUT held boolean, OUT policy_name text)
  LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF NOT (pg_catalog.has_table_privilege('@extschema@.retention_patient_facts', 'SELECT')
          AND pg_catalog.has_table_privilege('@extschema@.retention_holds', 'SELECT')) THEN
    RAISE EXCEPTION USING ERRCODE = '42501', MESSAGE = 'permission denied for function row_retention_status',
      DETAIL = 'It shows the retention dates and holds of any patient id.',
      HINT = 'It is the guard trigger''s: to call it directly a role needs SELECT on patsvc.retention_patient_facts and patsvc.retention_holds.';
  END IF;
  SELECT @extschema@.compute_retain_until(p.anchor, p.period, p.majority_age, p.minors_until_age,
                                          f.birth_date, f.death_date, f.last_encounter, $3::date),
         EXISTS (SELECT 1 FROM @extschema@.retention_holds h
                  WHERE h.released_at IS NULL AND (h.relid IS NULL OR h.relid = t.relid)
                    AND (h.patient_id IS NULL OR h.patient_id = $2)),
         p.policy_name
    INTO retain_until, held, policy_name
    FROM @extschema@.protected_tables t
    JOIN @extschema@.retention_policies p ON p.policy_name = t.policy_name
    LEFT JOIN @extschema@.retention_patient_facts f ON f.patient_id = $2
   WHERE t.relid IN (SELECT $1 UNION ALL SELECT a.relid FROM pg_catalog.pg_partition_ancestors($1) a)
     AND pg_catalog.has_table_privilege(session_user, $1, 'SELECT, UPDATE, DELETE');
END $$;
COMMENT ON FUNCTION @extschema@.row_retention_status(oid, text, text) IS
  'retain-until date, hold and policy of a row of a protected table (or of a partition of one), from its patient id and anchor value (for the guard trigger, which calls it as the owner; needs a privilege on the table, and SELECT on retention_patient_facts and retention_holds: 42501)';

-- The query reading a protected table (or one of its partitions, from_rel) with each row's
-- anchor date, retain-until and hold, filtered by cond (SQL text written by patsvc itself).
-- Identifiers are quoted by format(); values are parameters: $1 anchor kind, $2 period,
-- $3 majority age, $4 minors age, $5 protected relid, $6.. used by cond.
CREATE FUNCTION @extschema@._status_query(relid oid, from_rel oid, cond text) RETURNS text
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

CREATE FUNCTION @extschema@.retention_status(tbl regclass)
  RETURNS TABLE (row_ctid tid, patient_id text, anchor_date date, retain_until date, held boolean)
  AS 'MODULE_PATHNAME', 'patsvc_retention_status' LANGUAGE C STABLE STRICT
  SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.retention_status(regclass) IS
  'every row of a protected table the caller may read (SELECT on it; its row-level security applies: 42501) by ctid, with its patient id, anchor date, retain-until date (first day it may be destroyed; NULL: unknown, kept) and hold';

CREATE FUNCTION @extschema@.retention_due(tbl regclass, as_of date DEFAULT CURRENT_DATE)
  RETURNS TABLE (row_ctid tid, patient_id text, anchor_date date, retain_until date)
  LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
  AS $$ SELECT s.row_ctid, s.patient_id, s.anchor_date, s.retain_until
          FROM @extschema@.retention_status($1) s
         WHERE s.retain_until <= $2 AND NOT s.held $$;
COMMENT ON FUNCTION @extschema@.retention_due(regclass, date) IS
  'rows of a protected table eligible for destruction on as_of and not held: what patsvc.destroy_due() would destroy';

CREATE FUNCTION @extschema@.retained_until(tbl regclass, patient_id text, anchor_value date DEFAULT NULL) RETURNS date
  LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  result date;
BEGIN
  -- the answer follows from a patient's birth, death and last-encounter dates, for any patient id
  IF NOT (pg_catalog.has_table_privilege(tbl, 'SELECT')
          AND pg_catalog.has_table_privilege('@extschema@.retention_patient_facts', 'SELECT')) THEN
    RAISE EXCEPTION USING ERRCODE = '42501', MESSAGE = 'permission denied for function retained_until',
      DETAIL = 'It shows dates computed from a patient''s birth, death and last-encounter dates.',
      HINT = 'Grant the role SELECT on patsvc.retention_patient_facts and on the table.';
  END IF;
  SELECT @extschema@.compute_retain_until(p.anchor, p.period, p.majority_age, p.minors_until_age,
                                          f.birth_date, f.death_date, f.last_encounter, $3)
    INTO result
    FROM @extschema@.protected_tables t
    JOIN @extschema@.retention_policies p ON p.policy_name = t.policy_name
    LEFT JOIN @extschema@.retention_patient_facts f ON f.patient_id = $2
   WHERE t.relid = $1;
  RETURN result;
END $$;
COMMENT ON FUNCTION @extschema@.retained_until(regclass, text, date) IS
  'first date a record of this table for this patient (with this anchor value) may be destroyed; NULL when unknown; needs SELECT on the table and on patsvc.retention_patient_facts (42501)';
