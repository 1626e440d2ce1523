-- ---- holds ----------------------------------------------------------------
CREATE TABLE @extschema@.retention_holds (
  hold_id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  patient_id     text,
  relid          regclass,
  case_reference text NOT NULL CHECK (btrim(case_reference) <> ''),
  reason         text NOT NULL CHECK (btrim(reason) <> ''),
  placed_by      text NOT NULL DEFAULT session_user,
  placed_at      timestamptz NOT NULL DEFAULT now(),
  released_by    text,
  released_at    timestamptz,
  release_reason text,
  CHECK (patient_id IS NOT NULL OR relid IS NOT NULL),
  CHECK ((released_at IS NULL) = (release_reason IS NULL))
);
CREATE INDEX retention_holds_active_patient ON @extschema@.retention_holds (patient_id) WHERE released_at IS NULL;
COMMENT ON INDEX @extschema@.retention_holds_active_patient IS 'active holds by patient (the hold check of guards and destructions)';
REVOKE ALL ON @extschema@.retention_holds FROM PUBLIC;
COMMENT ON TABLE @extschema@.retention_holds IS
  'legal holds, by patient (all protected tables), by table, or both; a held record is never deletable nor destroyed';

CREATE FUNCTION @extschema@._hold_guard() RETURNS trigger
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF TG_OP = 'DELETE' OR OLD.released_at IS NOT NULL OR NEW.released_at IS NULL
     OR (NEW.patient_id, NEW.relid, NEW.case_reference, NEW.reason, NEW.placed_by, NEW.placed_at)
        IS DISTINCT FROM (OLD.patient_id, OLD.relid, OLD.case_reference, OLD.reason, OLD.placed_by, OLD.placed_at) THEN
    RAISE EXCEPTION 'hold % can only be released, once', OLD.hold_id
      USING ERRCODE = 'PS305', DETAIL = 'Holds are never deleted or edited; releasing one records who, when and why.',
            HINT = 'Use patsvc.release_hold().';
  END IF;
  RETURN NEW;
END $$;
COMMENT ON FUNCTION @extschema@._hold_guard() IS 'trigger: a hold is never deleted or edited, only released once';
CREATE TRIGGER patsvc_hold_guard BEFORE UPDATE OR DELETE ON @extschema@.retention_holds
  FOR EACH ROW EXECUTE FUNCTION @extschema@._hold_guard();
ALTER TABLE @extschema@.retention_holds ENABLE ALWAYS TRIGGER patsvc_hold_guard;
COMMENT ON TRIGGER patsvc_hold_guard ON @extschema@.retention_holds IS 'holds are only released, never deleted';

CREATE FUNCTION @extschema@.is_held(relid oid, patient_id text) RETURNS boolean
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
  AS $$ SELECT EXISTS (SELECT 1 FROM @extschema@.retention_holds h
                        WHERE h.released_at IS NULL
                          AND (h.relid IS NULL OR h.relid = $1)
                          AND (h.patient_id IS NULL OR h.patient_id = $2)) $$;
REVOKE ALL ON FUNCTION @extschema@.is_held(oid, text) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.is_held(oid, text) IS
  'true when an active hold covers this patient''s records in this table (internal)';

-- The hold check of the queries patsvc builds (retention status, destruction batches), written
-- once: SQL text true when an active hold covers the row whose patient id (text) is the
-- expression patient, in the protected table the expression relid names.  A hold by patient
-- is looked up through its index (retention_holds_active_patient), a hold of the whole table
-- once per statement.
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

CREATE FUNCTION @extschema@.place_hold(case_reference text, reason text, patient_id text DEFAULT NULL,
                                       tbl regclass DEFAULT NULL) RETURNS bigint
  AS 'MODULE_PATHNAME', 'patsvc_place_hold' LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
REVOKE ALL ON FUNCTION @extschema@.place_hold(text, text, text, regclass) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.place_hold(text, text, text, regclass) IS
  'places a legal hold on a patient''s records (all protected tables), on a table, or on a patient in a table; returns the hold id; logged; the only way a hold is placed';

CREATE FUNCTION @extschema@.release_hold(hold bigint, reason text) RETURNS void
  AS 'MODULE_PATHNAME', 'patsvc_release_hold' LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
REVOKE ALL ON FUNCTION @extschema@.release_hold(bigint, text) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.release_hold(bigint, text) IS
  'releases an active legal hold, with a reason, recording the session user as released_by; logged; the only way a hold ends';
