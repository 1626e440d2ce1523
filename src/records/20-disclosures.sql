-- ---- disclosures (45 CFR 164.528) ------------------------------------------------
-- Every disclosure of a patient's information: the date, the recipient's name
-- and address, a brief description, the purpose (or a copy of the request),
-- who disclosed it.  Disclosures the accounting leaves out (treatment, payment,
-- health care operations, to the individual) may be recorded too, marked
-- excluded_as; patsvc.disclosures() leaves them out.
--
-- The log is append-only (trigger disclosure_log_guard, PS706: no UPDATE,
-- DELETE or TRUNCATE, for any role), kept 6 years from each entry under the
-- ready-made retention policy hipaa_documentation (entries leave only through
-- patsvc.destroy_due(), with a certificate), and outlives the patient's records: it
-- has no foreign key to patients (destroying or truncating them leaves it as
-- it is) and keeps the patient id it was written with.  A merge does not move
-- its rows: disclosures(survivor) includes the entries of every patient
-- merged into the survivor (patients.merged_into), so the accounting is
-- whole and each entry still says which record it came from.
CREATE TABLE @extschema@.disclosure_log (
  id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  patient_id        bigint NOT NULL,
  disclosed_on      date NOT NULL,
  recipient_name    text NOT NULL,
  recipient_address text,
  description       text NOT NULL,
  purpose           text NOT NULL,
  excluded_as       text,
  disclosed_by      text NOT NULL,
  request_id        bigint,
  recorded_by       name NOT NULL DEFAULT session_user,
  recorded_at       timestamptz NOT NULL DEFAULT pg_catalog.now(),
  CONSTRAINT disclosure_log_excluded_check CHECK (excluded_as IN ('treatment', 'payment', 'operations', 'individual')),
  CONSTRAINT disclosure_log_text_check CHECK (pg_catalog.btrim(recipient_name) <> '' AND pg_catalog.btrim(description) <> ''
    AND pg_catalog.btrim(purpose) <> '' AND pg_catalog.btrim(disclosed_by) <> '')
);
CREATE INDEX disclosure_log_patient ON @extschema@.disclosure_log (patient_id, disclosed_on);
REVOKE ALL ON @extschema@.disclosure_log FROM PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('@extschema@.disclosure_log', '');
SELECT pg_catalog.pg_extension_config_dump(
  pg_catalog.pg_get_serial_sequence('@extschema@.disclosure_log', 'id')::pg_catalog.regclass, '');
COMMENT ON TABLE @extschema@.disclosure_log IS
  'every disclosure of a patient''s information (45 CFR 164.528): append-only (PS706), kept 6 years from recorded_at (ready-made protection, policy hipaa_documentation: leaves only through destroy_due), no foreign key to patients (it outlives the records it speaks of); written by record_disclosure, read through disclosures()';
COMMENT ON COLUMN @extschema@.disclosure_log.patient_id IS 'the patient (patients.id) as it was when disclosed; not moved by merges (disclosures() reads merged patients too)';
COMMENT ON COLUMN @extschema@.disclosure_log.disclosed_on IS 'the date of the disclosure';
COMMENT ON COLUMN @extschema@.disclosure_log.recipient_name IS 'the name of the entity or person who received the information';
COMMENT ON COLUMN @extschema@.disclosure_log.recipient_address IS 'their address, if known';
COMMENT ON COLUMN @extschema@.disclosure_log.description IS 'a brief description of the information disclosed';
COMMENT ON COLUMN @extschema@.disclosure_log.purpose IS 'a brief statement of the purpose, or a copy (or reference) of the written request';
COMMENT ON COLUMN @extschema@.disclosure_log.excluded_as IS
  'NULL: in the accounting; else why the accounting leaves it out: treatment, payment, operations, individual (45 CFR 164.528(a)(1))';
COMMENT ON COLUMN @extschema@.disclosure_log.disclosed_by IS 'who disclosed it (the application user, else the session user, unless given)';
COMMENT ON COLUMN @extschema@.disclosure_log.request_id IS 'the record request it answered (record_requests.id; no foreign key, the log outlives requests)';
COMMENT ON COLUMN @extschema@.disclosure_log.recorded_by IS 'session user who recorded it';
COMMENT ON COLUMN @extschema@.disclosure_log.recorded_at IS 'when it was recorded';
COMMENT ON CONSTRAINT disclosure_log_excluded_check ON @extschema@.disclosure_log IS 'the exclusions of 45 CFR 164.528(a)(1) patsvc knows';
COMMENT ON CONSTRAINT disclosure_log_text_check ON @extschema@.disclosure_log IS 'recipient, description, purpose and discloser are given';
COMMENT ON INDEX @extschema@.disclosure_log_patient IS 'the accounting: one patient''s disclosures by date';

-- ---- append-only logs (disclosure_log, access_log) ----------------------------------
CREATE FUNCTION @extschema@._records_log_guard() RETURNS trigger
  LANGUAGE plpgsql
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  empty boolean;
BEGIN
  PERFORM @extschema@._trigger_bound(TG_RELID, TG_NAME, '_records_log_guard', '@extschema@.disclosure_log'::pg_catalog.regclass, '@extschema@.access_log'::pg_catalog.regclass);
  IF TG_OP = 'TRUNCATE' THEN
    EXECUTE format('SELECT NOT EXISTS (SELECT FROM %s)', TG_RELID::regclass) INTO empty;
    IF empty THEN
      RETURN NULL;
    END IF;
  END IF;
  RAISE EXCEPTION USING ERRCODE = 'PS706',
    MESSAGE = format('%s is append-only (%s refused)', TG_TABLE_NAME, TG_OP),
    DETAIL = 'The log is evidence for the patient and the privacy officer: entries are kept as written, at least 6 years.',
    HINT = 'Record a correcting entry instead; entries past their retention leave through patsvc.destroy_due().';
END $$;
COMMENT ON FUNCTION @extschema@._records_log_guard() IS
  'trigger: disclosure_log and access_log are append-only: UPDATE, DELETE (but by patsvc.destroy_due(), the WHEN clause of the DELETE trigger), and TRUNCATE holding rows are refused (PS706), for every role';
CREATE TRIGGER disclosure_log_guard BEFORE UPDATE ON @extschema@.disclosure_log
  FOR EACH ROW EXECUTE FUNCTION @extschema@._records_log_guard();
ALTER TABLE @extschema@.disclosure_log ENABLE ALWAYS TRIGGER disclosure_log_guard;
COMMENT ON TRIGGER disclosure_log_guard ON @extschema@.disclosure_log IS 'the disclosure log is append-only (PS706)';
-- DELETE: AFTER ROW (no row lock), and skipped while patsvc.destroy_due() destroys this log's
-- entries past their retention (the log's protection, below): the only DELETE let through.
CREATE TRIGGER disclosure_log_guard_delete AFTER DELETE ON @extschema@.disclosure_log FOR EACH ROW
  WHEN (NOT @extschema@.is_destroying('@extschema@.disclosure_log'::pg_catalog.regclass))
  EXECUTE FUNCTION @extschema@._records_log_guard();
ALTER TABLE @extschema@.disclosure_log ENABLE ALWAYS TRIGGER disclosure_log_guard_delete;
COMMENT ON TRIGGER disclosure_log_guard_delete ON @extschema@.disclosure_log IS
  'no DELETE from the disclosure log (PS706) but by patsvc.destroy_due() of the entries past their retention';
CREATE TRIGGER disclosure_log_guard_truncate BEFORE TRUNCATE ON @extschema@.disclosure_log
  FOR EACH STATEMENT EXECUTE FUNCTION @extschema@._records_log_guard();
ALTER TABLE @extschema@.disclosure_log ENABLE ALWAYS TRIGGER disclosure_log_guard_truncate;
COMMENT ON TRIGGER disclosure_log_guard_truncate ON @extschema@.disclosure_log IS 'TRUNCATE of the disclosure log holding rows is refused (PS706)';
-- Kept 6 years from each entry's recording (HIPAA documentation, 45 CFR 164.316(b)(2),
-- 164.530(j)), whatever becomes of the patient's records: a ready-made protection of
-- the retention area, so entries leave only through patsvc.destroy_due(), with a certificate.
SELECT @extschema@._protect_ready_made('@extschema@.disclosure_log', 'hipaa_documentation', 'patient_id', 'recorded_at');

-- ---- recording and reading ------------------------------------------------------------
CREATE FUNCTION @extschema@.record_disclosure(patient bigint, recipient_name text, description text, purpose text,
    disclosed_on date DEFAULT CURRENT_DATE, recipient_address text DEFAULT NULL,
    excluded_as text DEFAULT NULL, disclosed_by text DEFAULT NULL, request_id bigint DEFAULT NULL)
  RETURNS bigint
  LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  new_id bigint;
BEGIN
  PERFORM @extschema@._records_check_patient(patient);
  PERFORM @extschema@._records_check_day('disclosed_on', disclosed_on, NULL);
  PERFORM @extschema@._records_check_text('recipient_name', recipient_name, 'Name who received the information.');
  PERFORM @extschema@._records_check_text('description', description, 'Describe briefly what was disclosed.');
  PERFORM @extschema@._records_check_text('purpose', purpose, 'State the purpose, or quote or reference the written request.');
  IF excluded_as NOT IN ('treatment', 'payment', 'operations', 'individual') THEN
    RAISE EXCEPTION USING ERRCODE = '22023',
      MESSAGE = format('unknown exclusion "%s"', excluded_as),
      DETAIL = 'The accounting leaves out disclosures for treatment, payment, operations and to the individual.',
      HINT = 'Pass excluded_as => NULL (in the accounting), ''treatment'', ''payment'', ''operations'' or ''individual''.';
  END IF;
  INSERT INTO @extschema@.disclosure_log AS d (patient_id, disclosed_on, recipient_name, recipient_address,
                                               description, purpose, excluded_as, disclosed_by, request_id)
  VALUES (patient, disclosed_on, recipient_name, recipient_address, description, purpose, excluded_as,
          coalesce(nullif(pg_catalog.btrim(disclosed_by), ''), nullif(pg_catalog.current_setting('patsvc.app_user', true), ''),
                   session_user::text),
          request_id)
  RETURNING d.id INTO new_id;
  RETURN new_id;
END $$;
COMMENT ON FUNCTION @extschema@.record_disclosure(bigint, text, text, text, date, text, text, text, bigint) IS
  'records a disclosure of a patient''s information (append-only disclosure_log); disclosed_by defaults to the application user (set_app_user), else the session user; returns its id';

CREATE FUNCTION @extschema@.disclosures(patient bigint,
    since date DEFAULT (CURRENT_DATE - interval '6 years')::date)
  RETURNS TABLE (disclosed_on date, recipient_name text, recipient_address text, description text, purpose text,
                 disclosed_by text, patient_id bigint, disclosure_id bigint)
  LANGUAGE plpgsql STABLE STRICT SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  RETURN QUERY
  SELECT d.disclosed_on, d.recipient_name, d.recipient_address, d.description, d.purpose, d.disclosed_by,
         d.patient_id, d.id
    FROM @extschema@.disclosure_log d
   WHERE d.patient_id IN (SELECT disclosures.patient
                          UNION ALL
                          SELECT m.id FROM @extschema@.patients m WHERE m.merged_into = disclosures.patient)
     AND d.disclosed_on >= since
     AND d.excluded_as IS NULL
   ORDER BY d.disclosed_on, d.id;
END $$;
COMMENT ON FUNCTION @extschema@.disclosures(bigint, date) IS
  'the accounting of disclosures of a patient (45 CFR 164.528) since a date (default 6 years back): every disclosure not excluded (treatment, payment, operations, to the individual), of the patient and of every patient merged into it, by date';
