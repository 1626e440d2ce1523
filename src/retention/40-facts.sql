-- ---- patient facts --------------------------------------------------------
CREATE TABLE @extschema@.retention_patient_facts (
  patient_id     text PRIMARY KEY,
  birth_date     date,
  death_date     date,
  last_encounter date,
  CHECK (death_date >= birth_date),
  CHECK (last_encounter >= birth_date)
);
REVOKE ALL ON @extschema@.retention_patient_facts FROM PUBLIC;
COMMENT ON TABLE @extschema@.retention_patient_facts IS
  'the patient facts retention is counted from (birth, death, last encounter), keyed by the patient id as text; a missing fact keeps the records; a recorded one only moves later';

-- C (src/retention/facts.c): every registration writes two facts
CREATE FUNCTION @extschema@._facts_guard() RETURNS trigger
  AS 'MODULE_PATHNAME', 'patsvc_facts_guard' LANGUAGE C;
COMMENT ON FUNCTION @extschema@._facts_guard() IS
  'trigger: a patient''s birth, death or last-encounter date, once recorded, only moves later (no delete, no return to unknown); patsvc_log_change logs every recording and change';
CREATE TRIGGER patsvc_facts_guard BEFORE INSERT OR UPDATE OR DELETE ON @extschema@.retention_patient_facts
  FOR EACH ROW EXECUTE FUNCTION @extschema@._facts_guard();
ALTER TABLE @extschema@.retention_patient_facts ENABLE ALWAYS TRIGGER patsvc_facts_guard;
COMMENT ON TRIGGER patsvc_facts_guard ON @extschema@.retention_patient_facts IS
  'patient facts may only lengthen retention, and every change is logged';
