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

CREATE FUNCTION @extschema@._facts_guard() RETURNS trigger
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF TG_RELID <> '@extschema@.retention_patient_facts'::pg_catalog.regclass THEN
    RAISE EXCEPTION 'trigger function @extschema@._facts_guard() cannot run on table "%"', TG_TABLE_NAME
      USING ERRCODE = 'PS001', DETAIL = 'It works only on @extschema@.retention_patient_facts, where patsvc attaches it.',
            HINT = pg_catalog.format('Drop trigger "%s" from table "%s".', TG_NAME, TG_TABLE_NAME);
  END IF;
  -- Deleting a fact and recording it again, or making it unknown and then known,
  -- would move it earlier by another path: a fact once known stays, and only moves later.
  IF TG_OP = 'DELETE' OR NEW.patient_id <> OLD.patient_id
     OR NEW.birth_date < OLD.birth_date OR NEW.death_date < OLD.death_date OR NEW.last_encounter < OLD.last_encounter
     OR (NEW.birth_date IS NULL AND OLD.birth_date IS NOT NULL)
     OR (NEW.death_date IS NULL AND OLD.death_date IS NOT NULL)
     OR (NEW.last_encounter IS NULL AND OLD.last_encounter IS NOT NULL) THEN
    RAISE EXCEPTION 'this change of retention facts could shorten retention'
      USING ERRCODE = 'PS304',
            DETAIL = 'Birth, death and last-encounter dates, once recorded, may only move later; they are never deleted or made unknown again, and the patient id cannot change.',
            HINT = 'Record a later date.';
  END IF;
  RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$;
COMMENT ON FUNCTION @extschema@._facts_guard() IS
  'trigger: a patient''s birth, death or last-encounter date, once recorded, only moves later (no delete, no return to unknown); patsvc_log_change logs every recording and change';
CREATE TRIGGER patsvc_facts_guard BEFORE INSERT OR UPDATE OR DELETE ON @extschema@.retention_patient_facts
  FOR EACH ROW EXECUTE FUNCTION @extschema@._facts_guard();
ALTER TABLE @extschema@.retention_patient_facts ENABLE ALWAYS TRIGGER patsvc_facts_guard;
COMMENT ON TRIGGER patsvc_facts_guard ON @extschema@.retention_patient_facts IS
  'patient facts may only lengthen retention, and every change is logged';
