-- 0.1.0 -> 0.2.0, changes that touch booked visits (issue 17, section 4): the
-- column needs_rebooking at the end of appointments (as in
-- src/scheduling/10-model.sql); grants: 99-roles.sql.
ALTER TABLE @extschema@.appointments ADD COLUMN needs_rebooking timestamptz;
COMMENT ON COLUMN @extschema@.appointments.needs_rebooking IS
  'when patsvc.apply_schedule_change left this booked visit outside the rules (time off, hours, type, resource kind); NULL otherwise, set NULL again when the visit is moved or stops holding time';
-- The rest: 81-rebooking.sql, a link to src/scheduling/70-rebooking.sql.
