-- ---- facts from the registry and the schedule -----------------------------
-- A registered patient's birth date and date of death (patsvc.patients) and
-- the date of each fulfilled visit (patsvc.appointments) feed the patient
-- facts retention counts from, so "last encounter", minors and death-anchored
-- policies count right without a clerk typing facts.  Facts only move later:
-- a correction of a birth date to an earlier day leaves the fact where it was
-- (retention is then counted from the later date, the longer way).
-- The facts of a registered patient are kept under two keys: the patient's
-- id as text (tables whose patient column references patients.id) and the
-- medical record number (tables keyed by the MRN as text).

-- C (src/retention/facts.c), as the trigger below: every registration runs
-- them.  Not SECURITY DEFINER: its callers run as the owner (the trigger,
-- visits.c for fulfilled visits, the update from 0.1.0).
CREATE FUNCTION @extschema@._record_patient_facts(patient bigint, mrn text, birth date, death date, encounter date)
  RETURNS void AS 'MODULE_PATHNAME', 'patsvc_record_patient_facts' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@._record_patient_facts(bigint, text, date, date, date) IS
  'records a registered patient''s birth, death or encounter date as retention facts, under the id and the MRN, each only moving later (called by trigger retention_facts and, for fulfilled visits, by appointments_enforce through retention''s C (visits.c), both as the owner: whoever registers or checks out needs no right on the facts)';

CREATE FUNCTION @extschema@._patient_facts_from_registry() RETURNS trigger
  AS 'MODULE_PATHNAME', 'patsvc_patient_facts_from_registry' LANGUAGE C;
COMMENT ON FUNCTION @extschema@._patient_facts_from_registry() IS
  'trigger: a patient''s birth date and date of death become retention facts (under id and MRN), written as the owner of retention_patient_facts';
-- (no WHEN: a patient without birth and death date is skipped by the
-- function, where a WHEN clause would be read again for every statement)
CREATE TRIGGER retention_facts AFTER INSERT OR UPDATE OF birth_date, deceased_date, mrn ON @extschema@.patients
  FOR EACH ROW EXECUTE FUNCTION @extschema@._patient_facts_from_registry();
COMMENT ON TRIGGER retention_facts ON @extschema@.patients IS
  'birth and death dates feed retention_patient_facts (only moving later)';

-- A fulfilled visit's date (its local date where it took place) is recorded
-- by C on scheduling's hook (src/retention/visits.c, called by trigger
-- appointments_enforce for a row written as fulfilled): a trigger of
-- retention's own on appointments cost every booking its WHEN.

-- Visits fulfilled before these facts were kept (a database updated from
-- 0.1.0): their latest date is each patient's last encounter.
SELECT count(@extschema@._record_patient_facts(v.patient_id, p.mrn, NULL, NULL, v.last_visit)) AS patients_with_visits
  FROM (SELECT a.patient_id,
               max((a.starts_at AT TIME ZONE COALESCE(l.time_zone, pg_catalog.current_setting('TimeZone')))::date) AS last_visit
          FROM @extschema@.appointments a LEFT JOIN @extschema@.locations l ON l.id = a.location_id
         WHERE a.status = 'fulfilled'
         GROUP BY a.patient_id) v
  JOIN @extschema@.patients p ON p.id = v.patient_id;
