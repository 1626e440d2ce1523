-- 0.1.0 -> 0.2.0, night shifts (issue 17, section 3): weekly hours may cross
-- local midnight; the same statements as src/scheduling/10-model.sql.  Rows of
-- 0.1.0 all end after they start, so they pass the new CHECK as they are.
ALTER TABLE @extschema@.availability DROP CONSTRAINT availability_check;
ALTER TABLE @extschema@.availability ADD CONSTRAINT availability_check
  CHECK (starts_local < '24:00' AND ends_local <> starts_local);
COMMENT ON COLUMN @extschema@.availability.weekday IS
  'ISO weekday of the local date the hours start on: 1 = Monday .. 7 = Sunday (a night shift belongs to the day it starts)';
COMMENT ON COLUMN @extschema@.availability.ends_local IS
  'end of the hours; not after starts_local: the next day (22:00 to 06:00 is a night shift), 24:00: the end of the weekday';
COMMENT ON CONSTRAINT availability_check ON @extschema@.availability IS
  'hours start before 24:00 and have a length: an end before the start is the next day (trigger availability_check_hours raises the explained error)';
CREATE FUNCTION @extschema@.availability_check_hours() RETURNS trigger
  AS 'MODULE_PATHNAME', 'patsvc_availability_check_hours' LANGUAGE C;
COMMENT ON FUNCTION @extschema@.availability_check_hours() IS
  'trigger: refuses weekly hours without a length or starting at 24:00 with 23514 naming availability_check, a detail and a hint (an end not after the start is a night shift ending the next day)';
-- a trigger function: no role is granted it (src/security/10-roles.sql revokes it from PUBLIC)
REVOKE ALL ON FUNCTION @extschema@.availability_check_hours() FROM PUBLIC;
CREATE TRIGGER availability_check_hours BEFORE INSERT OR UPDATE OF starts_local, ends_local
  ON @extschema@.availability FOR EACH ROW EXECUTE FUNCTION @extschema@.availability_check_hours();
ALTER TABLE @extschema@.availability ENABLE ALWAYS TRIGGER availability_check_hours;
COMMENT ON TRIGGER availability_check_hours ON @extschema@.availability IS
  'explains a refused row of weekly hours before CHECK availability_check refuses it (fires always, also for replicas)';
