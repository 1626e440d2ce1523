-- Merged patients (registry's merge_patients): the duplicate's records now
-- belong to the survivor, so the survivor's retention facts become the later
-- of both for each fact (facts only move later: retention is never
-- shortened by a merge).  The duplicate's own row of facts stays as it was
-- (facts are never deleted).  Facts keyed by another system's identifier (an
-- MRN) are not touched: their tables do not reference patients.
CREATE FUNCTION @extschema@.retention_merge_facts() RETURNS trigger
  LANGUAGE plpgsql
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  PERFORM @extschema@._trigger_bound(TG_RELID, TG_NAME, 'retention_merge_facts', '@extschema@.patient_merges'::pg_catalog.regclass);
  INSERT INTO @extschema@.retention_patient_facts AS f (patient_id, birth_date, death_date, last_encounter)
  SELECT NEW.survivor::text, d.birth_date, d.death_date, d.last_encounter
    FROM @extschema@.retention_patient_facts d
   WHERE d.patient_id = NEW.duplicate::text
  ON CONFLICT (patient_id) DO UPDATE
    SET birth_date = greatest(f.birth_date, excluded.birth_date),
        death_date = greatest(f.death_date, excluded.death_date),
        last_encounter = greatest(f.last_encounter, excluded.last_encounter);
  RETURN NULL;
END $$;
COMMENT ON FUNCTION @extschema@.retention_merge_facts() IS
  'trigger: when a duplicate patient is merged, the survivor''s retention facts (birth, death, last encounter) become the later of the two patients'' for each fact';
CREATE TRIGGER retention_merge_facts AFTER INSERT ON @extschema@.patient_merges
  FOR EACH ROW EXECUTE FUNCTION @extschema@.retention_merge_facts();
COMMENT ON TRIGGER retention_merge_facts ON @extschema@.patient_merges IS
  'a merge hands the duplicate''s retention facts to the survivor, only ever later (see function retention_merge_facts)';
