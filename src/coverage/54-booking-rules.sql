-- Booking rules by appointment type, on every write of patsvc.appointments
-- (book, book_overbook, plain INSERT/UPDATE/COPY, reschedule, cancel,
-- set_status, series, waitlist claims, merge_patients): trigger
-- appointments_visits in C (src/coverage/booking.c).  What each booking
-- uses is written on the appointment itself (coverage_id, referral_id,
-- authorization_id), for the claim and for counting the visits left: a
-- booking writes no row but its own.

ALTER TABLE @extschema@.appointments
  ADD COLUMN coverage_id bigint REFERENCES @extschema@.coverages,
  ADD COLUMN referral_id bigint REFERENCES @extschema@.referrals,
  ADD COLUMN authorization_id bigint REFERENCES @extschema@.authorizations;
COMMENT ON COLUMN @extschema@.appointments.coverage_id IS
  'the coverage the visit is billed to (the authorization''s, else the primary in force on the date), for a type that requires coverage or authorization; set by trigger appointments_visits only (PS547)';
COMMENT ON COLUMN @extschema@.appointments.referral_id IS
  'the referral whose visit the booking uses (until it is cancelled, entered in error or a no-show that gives it back); set by trigger appointments_visits only (PS547)';
COMMENT ON COLUMN @extschema@.appointments.authorization_id IS
  'the prior authorization whose visit the booking uses (until it is cancelled, entered in error or a no-show that gives it back); set by trigger appointments_visits only (PS547)';
-- counting the visits used (the booking, the views, PS545) and what deleting an authorization,
-- referral or coverage checks (23503 while an appointment names it); partial: most appointments
-- name none
CREATE INDEX appointments_authorization ON @extschema@.appointments (authorization_id) WHERE authorization_id IS NOT NULL;
CREATE INDEX appointments_referral ON @extschema@.appointments (referral_id) WHERE referral_id IS NOT NULL;
CREATE INDEX appointments_coverage ON @extschema@.appointments (coverage_id) WHERE coverage_id IS NOT NULL;
COMMENT ON INDEX @extschema@.appointments_authorization IS 'the appointments that use a visit of an authorization: counted by each booking of it';
COMMENT ON INDEX @extschema@.appointments_referral IS 'the appointments that use a visit of a referral: counted by each booking of it';
COMMENT ON INDEX @extschema@.appointments_coverage IS 'the appointments billed to a coverage: what deleting it checks';
-- The trigger sets these columns only under the patient's visits lock, having read the
-- referenced rows in the latest committed state; changing or deleting a referral,
-- authorization or coverage takes the same lock (trigger visits_lock).  So PostgreSQL's
-- per-row RI_FKey_check triggers of these three keys are disabled: they would lock
-- (write) the authorization and coverage rows for every booking.  The referenced side
-- (deleting or re-keying a referral, authorization or coverage that an appointment names
-- fails with 23503) stays PostgreSQL's.
DO $$
DECLARE
  t name;
BEGIN
  FOR t IN SELECT tg.tgname FROM pg_catalog.pg_trigger tg
             JOIN pg_catalog.pg_constraint c ON c.oid = tg.tgconstraint
           WHERE tg.tgrelid = '@extschema@.appointments'::pg_catalog.regclass AND tg.tgisinternal
             AND c.confrelid IN ('@extschema@.coverages'::pg_catalog.regclass, '@extschema@.referrals'::pg_catalog.regclass,
                                 '@extschema@.authorizations'::pg_catalog.regclass)
             AND tg.tgfoid IN ('pg_catalog."RI_FKey_check_ins"'::pg_catalog.regproc,
                               'pg_catalog."RI_FKey_check_upd"'::pg_catalog.regproc)
  LOOP
    EXECUTE pg_catalog.format('ALTER TABLE @extschema@.appointments DISABLE TRIGGER %I', t);
  END LOOP;
END $$;

-- what a booking used, as billing reads it (start_encounter): one row per appointment that
-- names a coverage, referral or authorization
CREATE VIEW @extschema@.appointment_authorizations WITH (security_invoker = true) AS
  SELECT p.id AS appointment_id, p.authorization_id, p.referral_id, p.coverage_id,
         p.status IN ('cancelled', 'entered-in-error') AS given_back
    FROM @extschema@.appointments p
   WHERE p.authorization_id IS NOT NULL OR p.referral_id IS NOT NULL OR p.coverage_id IS NOT NULL;
COMMENT ON VIEW @extschema@.appointment_authorizations IS
  'what a booking of a type with requirements used, for the claim: its authorization, referral and coverage (columns of patsvc.appointments set by trigger appointments_visits); given_back: cancelled or entered in error, its visits are free again; runs with the caller''s rights';

CREATE VIEW @extschema@.authorization_visits WITH (security_invoker = true) AS
  SELECT a.id AS authorization_id, a.patient_id, a.payer_id, a.auth_number, a.status, a.valid,
         a.visits_approved, u.visits_used::integer AS visits_used,
         (a.visits_approved - u.visits_used)::integer AS visits_remaining
    FROM @extschema@.authorizations a
    CROSS JOIN LATERAL (SELECT count(*) AS visits_used FROM @extschema@.appointments p
                         WHERE p.authorization_id = a.id AND p.status NOT IN ('cancelled', 'entered-in-error')) u;
COMMENT ON VIEW @extschema@.authorization_visits IS
  'visits used (appointments naming the authorization, not cancelled or entered in error) and remaining per authorization; runs with the caller''s rights (SELECT on authorizations and appointments)';
CREATE VIEW @extschema@.referral_visits WITH (security_invoker = true) AS
  SELECT r.id AS referral_id, r.patient_id, r.referral_number, r.status, r.valid,
         r.visits_allowed, u.visits_used::integer AS visits_used,
         (r.visits_allowed - u.visits_used)::integer AS visits_remaining
    FROM @extschema@.referrals r
    CROSS JOIN LATERAL (SELECT count(*) AS visits_used FROM @extschema@.appointments p
                         WHERE p.referral_id = r.id AND p.status NOT IN ('cancelled', 'entered-in-error')) u;
COMMENT ON VIEW @extschema@.referral_visits IS
  'visits used (appointments naming the referral, not cancelled or entered in error) and remaining per referral; runs with the caller''s rights (SELECT on referrals and appointments)';

CREATE FUNCTION @extschema@.appointments_visits() RETURNS trigger
  AS 'MODULE_PATHNAME', 'patsvc_appointments_visits' LANGUAGE C;
COMMENT ON FUNCTION @extschema@.appointments_visits() IS
  'trigger of patsvc.appointments: a booking of a type with requirements needs coverage, verification, referral and authorization as its type says (PS540-PS543) and names the coverage, referral and authorization it uses (coverage_id, referral_id, authorization_id: PS547 for anyone else writing them); cancelling, entered-in-error, a no-show (if the type says so), moving out of them or deleting gives the visits back; exact under concurrency (the patient''s visits lock); only on patsvc.appointments (PS001)';
-- named to fire after scheduling's appointments_enforce (BEFORE triggers fire in name order)
CREATE TRIGGER appointments_visits
  BEFORE INSERT OR UPDATE OF status, starts_at, type_id, provider_id, coverage_id, referral_id, authorization_id OR DELETE
  ON @extschema@.appointments FOR EACH ROW EXECUTE FUNCTION @extschema@.appointments_visits();
COMMENT ON TRIGGER appointments_visits ON @extschema@.appointments IS
  'booking rules by appointment type (patsvc.appointment_type_requirements), referral and authorization visits (README, Coverage)';

CREATE FUNCTION @extschema@.authorizations_expiring(within interval DEFAULT '30 days')
  RETURNS TABLE (authorization_id bigint, patient_id bigint, payer_id bigint, auth_number text,
                 last_day date, visits_approved integer, visits_used integer, visits_remaining integer)
  LANGUAGE plpgsql STABLE
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF within IS NULL OR within < interval '0' OR within > interval '10 years' THEN
    RAISE EXCEPTION USING ERRCODE = '22023',
      MESSAGE = format('cannot list authorizations expiring within %s', coalesce(within::text, 'NULL')),
      HINT = 'Give an interval from 0 to 10 years, e.g. ''30 days''.';
  END IF;
  RETURN QUERY
    SELECT a.id, a.patient_id, a.payer_id, a.auth_number, upper(a.valid) - 1, a.visits_approved,
           u.used::integer, (a.visits_approved - u.used)::integer
      FROM @extschema@.authorizations a
      CROSS JOIN LATERAL (SELECT count(*) AS used FROM @extschema@.appointments p
                           WHERE p.authorization_id = a.id AND p.status NOT IN ('cancelled', 'entered-in-error')) u
     WHERE a.status = 'active'
       AND upper(a.valid) > current_date
       AND upper(a.valid) - 1 <= (current_date + within)::date
     ORDER BY upper(a.valid), a.id;
END $$;
COMMENT ON FUNCTION @extschema@.authorizations_expiring(interval) IS
  'the coordinator''s worklist: active authorizations whose last day of service is from today to today + within (default 30 days), soonest first, with visits approved, used and remaining; runs as the caller (SELECT on patsvc.authorizations); 22023 for an interval outside 0 to 10 years';
