-- ---- scheduled jobs (README "Replicas and backups" / "Scheduled jobs (pg_cron)") ----
-- One call a scheduler (pg_cron, cron + psql) runs every night: destroy_due() of every
-- protected table, with who authorized it on each certificate.
CREATE FUNCTION @extschema@.destroy_due_all(authorized_by text, method text, as_of date DEFAULT CURRENT_DATE,
                                            witness text DEFAULT NULL)
  RETURNS TABLE(table_name regclass, certificate_id bigint)
  LANGUAGE plpgsql
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  t regclass;
BEGIN
  IF authorized_by IS NULL OR btrim(authorized_by) = '' OR method IS NULL OR btrim(method) = '' THEN
    RAISE EXCEPTION 'destroy_due_all needs authorized_by and method' USING ERRCODE = '22023',
      HINT = 'Name who authorized the scheduled destruction (e.g. ''pg_cron nightly job, approved by the HIM manager'') and the method.';
  END IF;
  FOR t IN SELECT p.relid::regclass FROM @extschema@.protected_tables p ORDER BY p.relid::regclass::text LOOP
    table_name := t;
    certificate_id := @extschema@.destroy_due(t, as_of => destroy_due_all.as_of,
                                              authorized_by => destroy_due_all.authorized_by,
                                              method => destroy_due_all.method, witness => destroy_due_all.witness);
    RETURN NEXT;
  END LOOP;
END $$;
REVOKE ALL ON FUNCTION @extschema@.destroy_due_all(text, text, date, text) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.destroy_due_all(text, text, date, text) IS
  'destroy_due() of every protected table in one transaction (a scheduled job: all tables or none), each certificate recording authorized_by and method; returns each table with its certificate id (NULL when nothing was due); the caller needs EXECUTE on destroy_due()';
