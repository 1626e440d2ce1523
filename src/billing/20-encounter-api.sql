-- ---- encounter API -----------------------------------------------------------

CREATE FUNCTION @extschema@.unknown_encounter(encounter bigint) RETURNS void
  AS 'MODULE_PATHNAME', 'patsvc_unknown_encounter' LANGUAGE C VOLATILE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.unknown_encounter(bigint) IS
  'internal: raises PS607 for an encounter id that does not exist; every function that names an encounter reports it this way';

-- The superbill of a visit: patient, date (local to the visit's location),
-- rendering NPI (the visit's provider); billing NPI and place of service as
-- given (defaults: the rendering NPI, 11 office); the coverage, authorization
-- and referral the booking used (appointment_authorizations), the referral's
-- NPI as referring provider, else the primary coverage in force that day.  A
-- visit has one live encounter: asking again returns it.
CREATE FUNCTION @extschema@.start_encounter(appointment bigint, place_of_service text DEFAULT '11',
                                            billing_npi @extschema@.npi DEFAULT NULL) RETURNS bigint
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  a record;
  used record;
  existing bigint;
  enc bigint;
BEGIN
  SELECT ap.id, ap.patient_id, ap.status, ap.starts_at, p.npi,
         (ap.starts_at AT TIME ZONE coalesce(l.time_zone, current_setting('TimeZone')))::date AS visit_on
    INTO a
    FROM @extschema@.appointments ap
    JOIN @extschema@.providers p ON p.id = ap.provider_id
    LEFT JOIN @extschema@.locations l ON l.id = ap.location_id
   WHERE ap.id = start_encounter.appointment
     FOR SHARE OF ap;
  IF NOT FOUND THEN
    RAISE EXCEPTION USING ERRCODE = 'PS604', MESSAGE = format('appointment %s does not exist', appointment),
      HINT = 'Start the encounter from an appointment id of patsvc.appointments.';
  END IF;
  IF a.status NOT IN ('booked', 'arrived', 'checked-in', 'fulfilled') THEN
    RAISE EXCEPTION USING ERRCODE = 'PS604',
      MESSAGE = format('appointment %s is %s: there is nothing to bill', appointment, a.status),
      HINT = 'Start an encounter from a visit that is booked, arrived, checked-in or fulfilled.';
  END IF;
  IF a.npi IS NULL THEN
    RAISE EXCEPTION USING ERRCODE = 'PS604',
      MESSAGE = format('the provider of appointment %s has no NPI', appointment),
      HINT = 'Record the provider''s NPI in patsvc.providers, then start the encounter.';
  END IF;
  SELECT e.id INTO existing FROM @extschema@.encounters e
   WHERE e.appointment_id = start_encounter.appointment AND e.status <> 'void';
  IF FOUND THEN
    RETURN existing;
  END IF;
  SELECT aa.coverage_id, aa.authorization_id, aa.referral_id, r.referring_npi INTO used
    FROM (SELECT) AS one
    LEFT JOIN @extschema@.appointment_authorizations aa ON aa.appointment_id = start_encounter.appointment
    LEFT JOIN @extschema@.referrals r ON r.id = aa.referral_id;
  INSERT INTO @extschema@.encounters (patient_id, appointment_id, service_date, rendering_npi, billing_npi,
                                      referring_npi, place_of_service, coverage_id, authorization_id, referral_id)
  VALUES (a.patient_id, a.id, a.visit_on, a.npi, coalesce(start_encounter.billing_npi, a.npi), used.referring_npi,
          start_encounter.place_of_service,
          coalesce(used.coverage_id, (SELECT c.id FROM @extschema@.coverage_on(a.patient_id, a.visit_on) c LIMIT 1)),
          used.authorization_id, used.referral_id)
  RETURNING id INTO enc;
  RETURN enc;
END $$;
COMMENT ON FUNCTION @extschema@.start_encounter(bigint, text, @extschema@.npi) IS
  'starts the superbill (a draft encounter) of a visit: its patient, its date in its location''s time zone, the provider''s NPI as rendering and (by default) billing NPI, place of service (default 11 office), the coverage, authorization and referral (and its referring NPI) the booking used, else the primary coverage in force; returns the id, the existing one if the visit has a live encounter; PS604 for a visit that did not or will not happen, or a provider without NPI';

CREATE FUNCTION @extschema@.set_encounter_status(encounter bigint, status text) RETURNS text
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  old_status text;
BEGIN
  SELECT e.status INTO old_status FROM @extschema@.encounters e WHERE e.id = encounter FOR UPDATE;
  IF NOT FOUND THEN
    PERFORM @extschema@.unknown_encounter(encounter);
  END IF;
  UPDATE @extschema@.encounters e SET status = set_encounter_status.status WHERE e.id = encounter;
  RETURN old_status;
END $$;
COMMENT ON FUNCTION @extschema@.set_encounter_status(bigint, text) IS
  'moves an encounter to another status along the legal transitions (PS602 otherwise; final runs the scrubber, PS603); returns the status it had; PS607 for an unknown encounter';

CREATE FUNCTION @extschema@.finalize_encounter(encounter bigint) RETURNS timestamptz
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  at timestamptz;
BEGIN
  PERFORM @extschema@.set_encounter_status(encounter, 'final');
  SELECT e.finalized_at INTO at FROM @extschema@.encounters e WHERE e.id = encounter;
  RETURN at;
END $$;
COMMENT ON FUNCTION @extschema@.finalize_encounter(bigint) IS
  'makes a draft encounter final: refused with PS603 and every problem in the detail while claim_problems lists an error, PS602 unless it is a draft, PS607 for an unknown encounter; returns finalized_at';
