-- Scheduling's columns holding patients.id (appointments, waitlist):
-- merge_patients (registry, 70-merge.sql) finds them by their foreign keys
-- and moves their rows; a row naming a merged patient is refused (PS422), as
-- in every referencing column of patsvc: for appointments by trigger
-- appointments_enforce (the registry's registry_refuse_merged_patient, C:
-- it is the booking path), for the waitlist by the registry's trigger.
CREATE TRIGGER patient_reference_guard BEFORE INSERT OR UPDATE OF patient_id ON @extschema@.waitlist
  FOR EACH ROW EXECUTE FUNCTION @extschema@.patient_reference_guard('patient_id');
COMMENT ON TRIGGER patient_reference_guard ON @extschema@.waitlist IS 'no waitlist entry of a merged patient (PS422)';
