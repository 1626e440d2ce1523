-- Consent gate (registration): an appointment type can require consent to
-- treat in force on the visit's date before the visit is arrived or
-- checked-in, or goes straight to fulfilled (PS401).  The visit's date is the
-- local date of starts_at in its location's time zone (the session's when the
-- appointment has no location, as overbooks may).  Consents are the
-- registry's (src/registry/50-consent.sql); this file runs after scheduling's
-- tables exist.

ALTER TABLE @extschema@.appointment_types ADD COLUMN requires_consent_to_treat boolean NOT NULL DEFAULT false;
COMMENT ON COLUMN @extschema@.appointment_types.requires_consent_to_treat IS
  'visits of this type become arrived, checked-in or fulfilled only with consent to treat in force on the visit''s local date (trigger appointments_gate_consent, PS401)';

CREATE FUNCTION @extschema@.appointments_consent_gate() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
  SET DateStyle = 'ISO, YMD'   -- dates in messages as 2027-03-15, whatever the session's style
AS $$
DECLARE
  type_code text;
  needs     boolean;
  zone      text;
  visit_on  date;
BEGIN
  -- SECURITY DEFINER: on any table but appointments it would read consents for whoever attached it
  IF TG_RELID <> '@extschema@.appointments'::regclass::oid THEN
    RAISE EXCEPTION USING ERRCODE = 'PS001',
      MESSAGE = format('trigger function patsvc.appointments_consent_gate() cannot run on table "%s"', TG_TABLE_NAME),
      DETAIL = 'It works only on patsvc.appointments, where patsvc attaches it.',
      HINT = format('Drop trigger "%s" from table "%s"; patsvc''s trigger functions are not for other tables.',
                    TG_NAME, TG_TABLE_NAME);
  END IF;
  -- the INSERT trigger's WHEN lets through every status but booked (the cheapest test
  -- on the booking path): only these three are gated
  IF NEW.status NOT IN ('arrived', 'checked-in', 'fulfilled') THEN
    RETURN NEW;
  END IF;
  SELECT t.code, t.requires_consent_to_treat INTO type_code, needs
    FROM @extschema@.appointment_types t WHERE t.id = NEW.type_id;
  IF NOT coalesce(needs, false) THEN
    RETURN NEW;
  END IF;
  SELECT l.time_zone INTO zone FROM @extschema@.locations l WHERE l.id = NEW.location_id;
  visit_on := (NEW.starts_at AT TIME ZONE coalesce(zone, current_setting('TimeZone')))::date;
  -- FOR SHARE: a revocation committing meanwhile is waited for and seen (or, under
  -- REPEATABLE READ, ends this transaction with 40001); one that starts later waits for it
  PERFORM FROM @extschema@.consents c
   WHERE c.patient_id = NEW.patient_id AND c.consent_type = 'treatment'
     AND @extschema@.consent_covers(c, visit_on)
   LIMIT 1 FOR SHARE;
  IF NOT FOUND THEN
    RAISE EXCEPTION USING ERRCODE = 'PS401',
      MESSAGE = format('appointment %s cannot become %s without consent to treat in force on %s',
                       NEW.id, NEW.status, visit_on),
      DETAIL = format('Appointment type "%s" requires consent to treat (consent type treatment) in force on the visit''s date, in the time zone of its location.',
                      type_code),
      HINT = 'Record the patient''s consent to treat with patsvc.record_consent(patient, ''treatment'', signed_at, ...), then set the status again.';
  END IF;
  RETURN NEW;
END $$;
COMMENT ON FUNCTION @extschema@.appointments_consent_gate() IS
  'trigger: refuses (PS401) an appointment of a type requiring consent to treat that becomes arrived, checked-in or fulfilled without consent to treat in force on its local date; locks the consent it relies on (FOR SHARE) against a concurrent revocation';

-- After appointments_enforce (triggers fire in name order), so the status
-- transition is legal and the location derived; WHEN keeps bookings, moves
-- and cancellations from calling it.  PostgreSQL prepares a trigger's WHEN
-- again for every INSERT statement, and every booking is one: the INSERT
-- trigger's WHEN is the one comparison "not booked" (an IN list cost a
-- booking about 4 us, this about 1.5 us of some 36 us, best of 7 rounds).
CREATE TRIGGER appointments_gate_consent BEFORE INSERT ON @extschema@.appointments
  FOR EACH ROW WHEN (NEW.status <> 'booked')
  EXECUTE FUNCTION @extschema@.appointments_consent_gate();
COMMENT ON TRIGGER appointments_gate_consent ON @extschema@.appointments IS
  'a visit written directly as arrived, checked-in or fulfilled needs consent to treat when its type requires it (see function appointments_consent_gate)';
CREATE TRIGGER appointments_gate_consent_status BEFORE UPDATE OF status ON @extschema@.appointments
  FOR EACH ROW WHEN (NEW.status IS DISTINCT FROM OLD.status
                     AND (NEW.status IN ('arrived', 'checked-in')
                          OR (NEW.status = 'fulfilled' AND OLD.status NOT IN ('arrived', 'checked-in'))))
  EXECUTE FUNCTION @extschema@.appointments_consent_gate();
COMMENT ON TRIGGER appointments_gate_consent_status ON @extschema@.appointments IS
  'a visit becoming arrived or checked-in, or fulfilled without either, needs consent to treat when its type requires it (see function appointments_consent_gate)';
