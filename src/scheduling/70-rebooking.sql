-- Changes that touch booked visits (issue 17, section 4).  A change of time
-- off, weekly hours, an appointment type or a resource's kind that would
-- leave future booked visits outside the rules is refused (PS211, the ids in
-- the detail), unless made through apply_schedule_change, which flags them
-- (appointments.needs_rebooking) and returns them.  The rules are checked
-- by the same C code as bookings (rules.c), under the same per-key locks.

CREATE FUNCTION @extschema@.rebooking_check() RETURNS trigger
  AS 'MODULE_PATHNAME', 'patsvc_rebooking_check' LANGUAGE C;
COMMENT ON FUNCTION @extschema@.rebooking_check() IS
  'trigger: after a change of time off, weekly hours, an appointment type, a resource''s kind or a location''s time zone, takes the booking key lock of the provider or resource and rechecks the future booked visits it concerns with the booking rules; refuses the change with PS211 listing the visits that would need rebooking, or flags them inside patsvc.apply_schedule_change';

CREATE TRIGGER time_off_rebooking AFTER INSERT OR UPDATE ON @extschema@.time_off
  FOR EACH ROW EXECUTE FUNCTION @extschema@.rebooking_check();
COMMENT ON TRIGGER time_off_rebooking ON @extschema@.time_off IS
  'time off over booked visits is refused (PS211) or flags them (see function rebooking_check)';
CREATE TRIGGER availability_rebooking AFTER UPDATE OR DELETE ON @extschema@.availability
  FOR EACH ROW EXECUTE FUNCTION @extschema@.rebooking_check();
COMMENT ON TRIGGER availability_rebooking ON @extschema@.availability IS
  'hours changed or removed under booked visits are refused (PS211) or flag them (see function rebooking_check); added hours never do';
CREATE TRIGGER appointment_types_rebooking
  AFTER UPDATE OF duration_minutes, buffer_before_minutes, buffer_after_minutes, required_resource_kinds, capacity
  ON @extschema@.appointment_types FOR EACH ROW EXECUTE FUNCTION @extschema@.rebooking_check();
COMMENT ON TRIGGER appointment_types_rebooking ON @extschema@.appointment_types IS
  'a type change its booked visits no longer fit is refused (PS211) or flags them (see function rebooking_check)';
CREATE TRIGGER resources_rebooking AFTER UPDATE OF kind ON @extschema@.resources
  FOR EACH ROW EXECUTE FUNCTION @extschema@.rebooking_check();
COMMENT ON TRIGGER resources_rebooking ON @extschema@.resources IS
  'a kind change that leaves booked visits without a required kind is refused (PS211) or flags them (see function rebooking_check)';

CREATE TRIGGER locations_rebooking AFTER UPDATE OF time_zone ON @extschema@.locations
  FOR EACH ROW EXECUTE FUNCTION @extschema@.rebooking_check();
COMMENT ON TRIGGER locations_rebooking ON @extschema@.locations IS
  'another time zone that moves weekly hours away from booked visits there is refused (PS211) or flags them (see function rebooking_check)';

CREATE FUNCTION @extschema@.apply_schedule_change(change text) RETURNS bigint[]
  AS 'MODULE_PATHNAME', 'patsvc_apply_schedule_change' LANGUAGE C STRICT;
COMMENT ON FUNCTION @extschema@.apply_schedule_change(text) IS
  'runs one INSERT, UPDATE or DELETE (time off, hours, a type, a resource''s kind, a location''s time zone) with the caller''s rights even when it leaves booked visits outside the rules: those stay booked, flagged (needs_rebooking), and their ids are returned (sorted)';

CREATE FUNCTION @extschema@.appointments_needing_rebooking()
  RETURNS TABLE (appointment_id bigint, provider_id bigint, patient_id bigint, starts_at timestamptz,
                 ends_at timestamptz, status text, flagged_at timestamptz)
  LANGUAGE sql STABLE
  SET search_path = pg_catalog, pg_temp
AS $$
  SELECT a.id, a.provider_id, a.patient_id, a.starts_at, a.ends_at, a.status, a.needs_rebooking
    FROM @extschema@.appointments a
   WHERE a.needs_rebooking IS NOT NULL
   ORDER BY a.starts_at, a.id
$$;
COMMENT ON FUNCTION @extschema@.appointments_needing_rebooking() IS
  'the rebooking worklist: booked visits flagged by patsvc.apply_schedule_change and not yet moved or cancelled, earliest first (ids only); runs as the caller: needs SELECT on appointments';
