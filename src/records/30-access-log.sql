-- ---- the access log ------------------------------------------------------------
-- One row each time an application opens a patient's record:
-- patsvc.log_access(patient, purpose, detail) (C, a plan kept per backend),
-- recording the session user and the application user the application gave
-- for the session (patsvc.set_app_user, the setting patsvc.app_user).
-- Append-only (PS706), kept 6 years from each access (ready-made protection,
-- policy hipaa_documentation: leaves only through patsvc.destroy_due()), no
-- foreign key to patients (it outlives the records),
-- read by the privacy officer through access_history() ("who looked at my
-- record"), which includes the patients merged into the one asked about.
CREATE TABLE @extschema@.access_log (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  patient_id   bigint NOT NULL,
  accessed_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
  session_role name NOT NULL,
  app_user     text,
  purpose      text NOT NULL,
  detail       text
);
CREATE INDEX access_log_patient ON @extschema@.access_log (patient_id, accessed_at);
REVOKE ALL ON @extschema@.access_log FROM PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('@extschema@.access_log', '');
SELECT pg_catalog.pg_extension_config_dump(
  pg_catalog.pg_get_serial_sequence('@extschema@.access_log', 'id')::pg_catalog.regclass, '');
COMMENT ON TABLE @extschema@.access_log IS
  'who opened which patient''s record, when and why: append-only (PS706), kept 6 years from accessed_at (ready-made protection, policy hipaa_documentation: leaves only through destroy_due), no foreign key to patients; written by log_access, read through access_history()';
COMMENT ON COLUMN @extschema@.access_log.patient_id IS 'the patient (patients.id) whose record was opened; not moved by merges (access_history() reads merged patients too)';
COMMENT ON COLUMN @extschema@.access_log.accessed_at IS 'when (start of the transaction that logged it)';
COMMENT ON COLUMN @extschema@.access_log.session_role IS 'the database session user who opened it';
COMMENT ON COLUMN @extschema@.access_log.app_user IS 'the application''s user for the session (patsvc.set_app_user), NULL when none was given';
COMMENT ON COLUMN @extschema@.access_log.purpose IS 'why the record was opened (e.g. treatment, billing, check-in)';
COMMENT ON COLUMN @extschema@.access_log.detail IS 'what was opened, if the application says (a screen, a document)';
COMMENT ON INDEX @extschema@.access_log_patient IS 'one patient''s accesses by time (access_history)';

CREATE TRIGGER access_log_guard BEFORE UPDATE ON @extschema@.access_log
  FOR EACH ROW EXECUTE FUNCTION @extschema@._records_log_guard();
ALTER TABLE @extschema@.access_log ENABLE ALWAYS TRIGGER access_log_guard;
COMMENT ON TRIGGER access_log_guard ON @extschema@.access_log IS 'the access log is append-only (PS706)';
CREATE TRIGGER access_log_guard_delete AFTER DELETE ON @extschema@.access_log FOR EACH ROW
  WHEN (NOT @extschema@.is_destroying('@extschema@.access_log'::pg_catalog.regclass))
  EXECUTE FUNCTION @extschema@._records_log_guard();
ALTER TABLE @extschema@.access_log ENABLE ALWAYS TRIGGER access_log_guard_delete;
COMMENT ON TRIGGER access_log_guard_delete ON @extschema@.access_log IS
  'no DELETE from the access log (PS706) but by patsvc.destroy_due() of the entries past their retention';
CREATE TRIGGER access_log_guard_truncate BEFORE TRUNCATE ON @extschema@.access_log
  FOR EACH STATEMENT EXECUTE FUNCTION @extschema@._records_log_guard();
ALTER TABLE @extschema@.access_log ENABLE ALWAYS TRIGGER access_log_guard_truncate;
COMMENT ON TRIGGER access_log_guard_truncate ON @extschema@.access_log IS 'TRUNCATE of the access log holding rows is refused (PS706)';
-- Kept 6 years from each access (HIPAA documentation, 45 CFR 164.316(b)(2), 164.530(j)),
-- like the disclosure log: entries leave only through patsvc.destroy_due().
SELECT @extschema@._protect_ready_made('@extschema@.access_log', 'hipaa_documentation', 'patient_id', 'accessed_at');

CREATE FUNCTION @extschema@.set_app_user(app_user text) RETURNS text
  AS 'MODULE_PATHNAME', 'patsvc_set_app_user' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.set_app_user(text) IS
  'names the application''s user for the rest of the session (setting patsvc.app_user; RESET or DISCARD ALL clear it): log_access and record_disclosure record it beside the session user; 1 to 200 characters, no control characters (22023)';

CREATE FUNCTION @extschema@.log_access(patient bigint, purpose text, detail text DEFAULT NULL) RETURNS void
  AS 'MODULE_PATHNAME', 'patsvc_log_access' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.log_access(bigint, text, text) IS
  'logs that the session''s user opened a patient''s record (append-only access_log: patient, time, session user, application user, purpose, detail); the patient must exist (PS705), the purpose be given (22023); writes as the log''s owner';

CREATE FUNCTION @extschema@.access_history(patient bigint,
    since timestamptz DEFAULT pg_catalog.now() - interval '6 years')
  RETURNS TABLE (accessed_at timestamptz, session_role name, app_user text, purpose text, detail text, patient_id bigint)
  LANGUAGE plpgsql STABLE STRICT SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  RETURN QUERY
  SELECT a.accessed_at, a.session_role, a.app_user, a.purpose, a.detail, a.patient_id
    FROM @extschema@.access_log a
   WHERE a.patient_id IN (SELECT access_history.patient
                          UNION ALL
                          SELECT m.id FROM @extschema@.patients m WHERE m.merged_into = access_history.patient)
     AND a.accessed_at >= since
   ORDER BY a.accessed_at, a.id;
END $$;
COMMENT ON FUNCTION @extschema@.access_history(bigint, timestamptz) IS
  'who opened a patient''s record since a time (default 6 years back), of the patient and of every patient merged into it, oldest first: for the privacy officer and the patient''s "who looked at my record"';
