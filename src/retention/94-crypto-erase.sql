-- ---- cryptographic erase ----------------------------------------------------
-- Chosen bytea columns of a protected table hold ciphertext under a per-patient key
-- (src/retention/crypto.c).  The keys live in patient_keys, which is deliberately NOT
-- registered with pg_extension_config_dump: pg_dump carries the ciphertext only, and the
-- keys are backed up separately (export_patient_keys / import_patient_keys) on a short
-- rotation.  Destroying a patient's last encrypted record destroys the key, and so every
-- copy of those columns that was made without the key table.
CREATE TABLE @extschema@.patient_keys (
  patient_id text PRIMARY KEY,
  key        bytea NOT NULL CHECK (pg_catalog.length(key) = 64),
  created_at timestamptz NOT NULL DEFAULT now()
);
REVOKE ALL ON @extschema@.patient_keys FROM PUBLIC;
COMMENT ON TABLE @extschema@.patient_keys IS
  'per-patient keys of encrypted columns (AES-256 and HMAC-SHA256 halves), keyed like retention_patient_facts; written only by patsvc''s functions; deliberately not dumped by pg_dump: back it up with export_patient_keys()';

CREATE TABLE @extschema@.encrypted_columns (
  relid       regclass NOT NULL,
  column_name name NOT NULL,
  registered_at timestamptz NOT NULL DEFAULT now(),
  registered_by text NOT NULL DEFAULT session_user,
  PRIMARY KEY (relid, column_name)
);
REVOKE ALL ON @extschema@.encrypted_columns FROM PUBLIC;
GRANT SELECT ON @extschema@.encrypted_columns TO PUBLIC;
COMMENT ON TABLE @extschema@.encrypted_columns IS
  'bytea columns of protected tables that hold patsvc ciphertext (append-only: a registration is never changed or removed)';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.encrypted_columns', '');

CREATE FUNCTION @extschema@._crypto_guard() RETURNS trigger
  AS 'MODULE_PATHNAME', 'patsvc_crypto_guard' LANGUAGE C;
COMMENT ON FUNCTION @extschema@._crypto_guard() IS
  'trigger of patient_keys (rows only from patsvc''s functions) and encrypted_columns (append-only); neither is truncated';
DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['patient_keys', 'encrypted_columns'] LOOP
    EXECUTE pg_catalog.format('CREATE TRIGGER patsvc_crypto_guard BEFORE INSERT OR UPDATE OR DELETE ON @extschema@.%I'
                              ' FOR EACH ROW EXECUTE FUNCTION @extschema@._crypto_guard()', t);
    EXECUTE pg_catalog.format('CREATE TRIGGER patsvc_crypto_no_truncate BEFORE TRUNCATE ON @extschema@.%I'
                              ' FOR EACH STATEMENT EXECUTE FUNCTION @extschema@._crypto_guard()', t);
    EXECUTE pg_catalog.format('ALTER TABLE @extschema@.%I ENABLE ALWAYS TRIGGER patsvc_crypto_guard', t);
    EXECUTE pg_catalog.format('ALTER TABLE @extschema@.%I ENABLE ALWAYS TRIGGER patsvc_crypto_no_truncate', t);
    EXECUTE pg_catalog.format('COMMENT ON TRIGGER patsvc_crypto_guard ON @extschema@.%I IS %L', t,
                              CASE t WHEN 'patient_keys' THEN 'keys are made, shredded and imported by patsvc''s functions alone'
                                     ELSE 'registrations of encrypted columns are never changed or removed' END);
    EXECUTE pg_catalog.format('COMMENT ON TRIGGER patsvc_crypto_no_truncate ON @extschema@.%I IS %L', t,
                              'never truncated');
  END LOOP;
END $$;

CREATE FUNCTION @extschema@.encrypt_columns(tbl regclass, columns text[]) RETURNS void
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  t @extschema@.protected_tables := @extschema@._protected(tbl);
  c text;
  typ oid;
BEGIN
  IF NOT pg_catalog.pg_has_role((SELECT r.relowner FROM pg_catalog.pg_class r WHERE r.oid = tbl), 'USAGE') THEN
    RAISE EXCEPTION 'must be owner of table %', tbl USING ERRCODE = 'insufficient_privilege',
      HINT = 'The owner of the protected table registers its encrypted columns.';
  END IF;
  IF EXISTS (SELECT 1 FROM @extschema@.retention_archives a WHERE a.relid = tbl) THEN
    RAISE EXCEPTION 'table "%" has an archive', tbl USING ERRCODE = 'PS324',
      DETAIL = 'Its archive would receive ciphertext that the cryptographic erase makes unreadable.',
      HINT = 'Encrypt the columns of tables without an archive.';
  END IF;
  IF columns IS NULL OR pg_catalog.cardinality(columns) = 0 THEN
    RAISE EXCEPTION 'no columns given' USING ERRCODE = 'invalid_parameter_value',
      HINT = 'Pass the bytea columns to encrypt, e.g. ARRAY[''diagnosis'', ''notes''].';
  END IF;
  FOREACH c IN ARRAY columns LOOP
    SELECT a.atttypid INTO typ FROM pg_catalog.pg_attribute a
     WHERE a.attrelid = tbl AND a.attname = c AND a.attnum > 0 AND NOT a.attisdropped;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'column "%" of table "%" does not exist', c, tbl USING ERRCODE = 'undefined_column';
    END IF;
    IF typ <> 'bytea'::regtype OR c = t.patient_column OR c = t.anchor_column THEN
      RAISE EXCEPTION 'column "%" of table "%" cannot be encrypted', c, tbl USING ERRCODE = 'PS324',
        DETAIL = 'Encrypted columns are bytea and are neither the patient nor the anchor column.',
        HINT = 'Make the column bytea (ciphertext from patsvc.seal()).';
    END IF;
    INSERT INTO @extschema@.encrypted_columns (relid, column_name) VALUES (tbl, c) ON CONFLICT DO NOTHING;
  END LOOP;
END $$;
COMMENT ON FUNCTION @extschema@.encrypt_columns(regclass, text[]) IS
  'registers bytea columns of a protected table (its owner) as holding patsvc.seal() ciphertext: the patients'' keys are destroyed with their last such record';

CREATE FUNCTION @extschema@.seal(tbl regclass, patient_id text, plaintext text) RETURNS bytea
  AS 'MODULE_PATHNAME', 'patsvc_seal' LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION @extschema@.seal(regclass, text, text) IS
  'ciphertext of plaintext under the patient''s key (made on first use), for an encrypted column of tbl; needs INSERT or UPDATE on tbl';

CREATE FUNCTION @extschema@.unseal(tbl regclass, patient_id text, ciphertext bytea) RETURNS text
  AS 'MODULE_PATHNAME', 'patsvc_unseal' LANGUAGE C STABLE STRICT;
COMMENT ON FUNCTION @extschema@.unseal(regclass, text, bytea) IS
  'plaintext of an encrypted column of tbl; PS321 when the patient''s key was shredded, PS322 when the value is not the patient''s ciphertext; needs SELECT on tbl';

CREATE FUNCTION @extschema@._shred_keys(tbl regclass) RETURNS bigint
  AS 'MODULE_PATHNAME', 'patsvc_shred_keys' LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION @extschema@._shred_keys(regclass) IS
  'inside destroy_due()/destroy_early(): destroys the keys of patients with no encrypted record left and no active hold, logs it, returns their number (internal)';

CREATE FUNCTION @extschema@.shred_patient(patient_id text, reason text) RETURNS boolean
  AS 'MODULE_PATHNAME', 'patsvc_shred_patient' LANGUAGE C VOLATILE
  SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.shred_patient(text, text) IS
  'destroys the key of a patient without encrypted records and holds (PS323 otherwise), logged; false when the patient has no key';

CREATE FUNCTION @extschema@.export_patient_keys() RETURNS bytea
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  SELECT pg_catalog.convert_to(coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
           'patient_id', k.patient_id, 'key', pg_catalog.encode(k.key, 'hex'), 'created_at', k.created_at)
           ORDER BY k.patient_id), '[]'::jsonb)::text, 'UTF8')
    FROM @extschema@.patient_keys k
$$;
COMMENT ON FUNCTION @extschema@.export_patient_keys() IS
  'the key vault (every current patient key) for a key backup kept apart from the data backups, on a short rotation; granted to no role';

CREATE FUNCTION @extschema@.import_patient_keys(vault bytea) RETURNS bigint
  AS 'MODULE_PATHNAME', 'patsvc_import_patient_keys' LANGUAGE C VOLATILE STRICT
  SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.import_patient_keys(bytea) IS
  'adds the keys of a vault from export_patient_keys() that this database lacks (after a restore), logged; returns how many; granted to no role';

-- A merge of duplicate patients (registry's merge_patients) moves the duplicate's rows to the
-- survivor: their encrypted values are re-sealed under the survivor's key.
CREATE FUNCTION @extschema@._crypto_merge_rekey() RETURNS trigger
  AS 'MODULE_PATHNAME', 'patsvc_crypto_merge_rekey' LANGUAGE C;
COMMENT ON FUNCTION @extschema@._crypto_merge_rekey() IS
  'trigger of patients: when a patient is merged, re-seals the moved encrypted values under the survivor''s key (logged)';
CREATE TRIGGER crypto_merge_rekey AFTER UPDATE OF merged_into ON @extschema@.patients
  FOR EACH ROW WHEN (OLD.merged_into IS NULL AND NEW.merged_into IS NOT NULL)
  EXECUTE FUNCTION @extschema@._crypto_merge_rekey();
COMMENT ON TRIGGER crypto_merge_rekey ON @extschema@.patients IS
  'a merged patient''s encrypted values, moved to the survivor, are re-sealed under the survivor''s key';
