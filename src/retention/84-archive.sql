-- ---- archive before destroy -----------------------------------------------
CREATE TABLE @extschema@.retention_archives (
  relid         regclass PRIMARY KEY REFERENCES @extschema@.protected_tables,
  archive_relid regclass NOT NULL,
  set_at        timestamptz NOT NULL DEFAULT now(),
  set_by        text NOT NULL DEFAULT session_user
);
REVOKE ALL ON @extschema@.retention_archives FROM PUBLIC;
COMMENT ON TABLE @extschema@.retention_archives IS
  'protected tables whose rows are copied to an archive table (possibly a foreign table) by the same statement that destroys them; set once';
SELECT @extschema@._seal_ledger('@extschema@.retention_archives', 'an archive is set once');

CREATE FUNCTION @extschema@.set_archive(tbl regclass, archive regclass) RETURNS void
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  PERFORM @extschema@._protected(tbl);
  IF EXISTS (SELECT 1 FROM @extschema@.retention_archives a WHERE a.relid = tbl) THEN
    RAISE EXCEPTION 'table "%" already has an archive', tbl USING ERRCODE = 'PS313',
      DETAIL = 'The archive of a protected table is set once.', HINT = 'Look it up in patsvc.retention_archives.';
  END IF;
  IF (SELECT array_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod) ORDER BY a.attnum)
        FROM pg_catalog.pg_attribute a WHERE a.attrelid = tbl AND a.attnum > 0 AND NOT a.attisdropped)
     IS DISTINCT FROM
     (SELECT array_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod) ORDER BY a.attnum)
        FROM pg_catalog.pg_attribute a WHERE a.attrelid = archive AND a.attnum > 0 AND NOT a.attisdropped) THEN
    RAISE EXCEPTION 'archive "%" does not match table "%"', archive, tbl USING ERRCODE = 'PS313',
      DETAIL = 'An archive needs the same columns, with the same types, in the same order.',
      HINT = 'Create it with CREATE TABLE archive (LIKE tbl), or a foreign table of the same shape.';
  END IF;
  INSERT INTO @extschema@.retention_archives (relid, archive_relid) VALUES (tbl, archive);
END $$;
COMMENT ON FUNCTION @extschema@.set_archive(regclass, regclass) IS
  'from now on, destroy_due() copies the rows it destroys into this archive table (same columns) in the same statement, and records a sha256 of them in the certificate';
