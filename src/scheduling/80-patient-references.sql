-- Scheduling's columns holding patients.id (appointments, waitlist):
-- merge_patients (registry, 70-merge.sql) finds them by their foreign keys
-- and moves their rows; here they get the guard that refuses a row naming a
-- merged patient (PS422), as every referencing column of patsvc does.
CREATE TRIGGER patient_reference_guard BEFORE INSERT OR UPDATE OF patient_id ON @extschema@.appointments
  FOR EACH ROW EXECUTE FUNCTION @extschema@.patient_reference_guard('patient_id');
COMMENT ON TRIGGER patient_reference_guard ON @extschema@.appointments IS 'no visit of a merged patient (PS422)';
CREATE TRIGGER patient_reference_guard BEFORE INSERT OR UPDATE OF patient_id ON @extschema@.waitlist
  FOR EACH ROW EXECUTE FUNCTION @extschema@.patient_reference_guard('patient_id');
COMMENT ON TRIGGER patient_reference_guard ON @extschema@.waitlist IS 'no waitlist entry of a merged patient (PS422)';
