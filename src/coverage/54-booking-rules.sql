-- Booking rules by appointment type, on every write of patsvc.appointments
-- (book, book_overbook, plain INSERT/UPDATE/COPY, reschedule, cancel,
-- set_status, series, waitlist claims, merge_patients): trigger
-- appointments_coverage in C (src/coverage/booking.c).  What each booking
-- used is recorded in appointment_authorizations, for the claim.

CREATE TABLE @extschema@.appointment_authorizations (
  appointment_id   bigint PRIMARY KEY REFERENCES @extschema@.appointments,
  authorization_id bigint REFERENCES @extschema@.authorizations,
  referral_id      bigint REFERENCES @extschema@.referrals,
  coverage_id      bigint REFERENCES @extschema@.coverages,
  returned_at      timestamptz
);
-- what deleting an authorization, referral or coverage checks (23503 while a record references
-- it); plain indexes, not partial ones: PostgreSQL prepares a partial index's predicate again for
-- every statement that inserts, and every booking of a type with requirements inserts here
CREATE INDEX appointment_authorizations_authorization ON @extschema@.appointment_authorizations (authorization_id);
CREATE INDEX appointment_authorizations_referral ON @extschema@.appointment_authorizations (referral_id);
CREATE INDEX appointment_authorizations_coverage ON @extschema@.appointment_authorizations (coverage_id);
REVOKE ALL ON @extschema@.appointment_authorizations FROM PUBLIC;
COMMENT ON TABLE @extschema@.appointment_authorizations IS
  'what a booking of a type with requirements used, for the claim: its authorization, referral and coverage (written by trigger appointments_coverage only)';
COMMENT ON COLUMN @extschema@.appointment_authorizations.authorization_id IS 'the prior authorization whose visit the booking uses';
COMMENT ON COLUMN @extschema@.appointment_authorizations.referral_id IS 'the referral whose visit the booking uses';
COMMENT ON COLUMN @extschema@.appointment_authorizations.coverage_id IS 'the coverage the visit is billed to (the authorization''s, else the primary in force on the date)';
COMMENT ON COLUMN @extschema@.appointment_authorizations.returned_at IS
  'when the visit was given back (cancelled, entered in error, a no-show of a type that gives it back, moved out of what it used); NULL while it uses its visits';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.appointment_authorizations', '');
-- The trigger writes a row only while it holds the rows it references (the appointment it
-- is writing, the authorization and referral FOR UPDATE, the coverage FOR KEY SHARE), so
-- PostgreSQL's per-row RI_FKey_check triggers of this table are disabled: they would read
-- and lock the same rows again for every booking.  The referenced side (deleting or
-- re-keying an authorization, referral, coverage or appointment that a record references
-- fails with 23503) stays PostgreSQL's.
DO $$
DECLARE
  t name;
BEGIN
  FOR t IN SELECT tg.tgname FROM pg_catalog.pg_trigger tg
           WHERE tg.tgrelid = '@extschema@.appointment_authorizations'::pg_catalog.regclass AND tg.tgisinternal
             AND tg.tgfoid IN ('pg_catalog."RI_FKey_check_ins"'::pg_catalog.regproc,
                               'pg_catalog."RI_FKey_check_upd"'::pg_catalog.regproc)
  LOOP
    EXECUTE pg_catalog.format('ALTER TABLE @extschema@.appointment_authorizations DISABLE TRIGGER %I', t);
  END LOOP;
END $$;

CREATE FUNCTION @extschema@.appointments_coverage() RETURNS trigger
  AS 'MODULE_PATHNAME', 'patsvc_appointments_coverage' LANGUAGE C;
COMMENT ON FUNCTION @extschema@.appointments_coverage() IS
  'trigger of patsvc.appointments: a booking of a type with requirements needs coverage, verification, referral and authorization as its type says (PS540-PS543) and uses a visit of its referral and authorization; cancelling, entered-in-error, a no-show (if the type says so), moving out of them or deleting gives it back; only on patsvc.appointments (PS001)';
CREATE TRIGGER appointments_coverage AFTER INSERT OR UPDATE OF status, starts_at, type_id, provider_id
  ON @extschema@.appointments FOR EACH ROW EXECUTE FUNCTION @extschema@.appointments_coverage();
COMMENT ON TRIGGER appointments_coverage ON @extschema@.appointments IS
  'booking rules by appointment type (patsvc.appointment_type_requirements), referral and authorization visits (README, Coverage)';
CREATE TRIGGER appointments_coverage_delete BEFORE DELETE ON @extschema@.appointments
  FOR EACH ROW EXECUTE FUNCTION @extschema@.appointments_coverage();
COMMENT ON TRIGGER appointments_coverage_delete ON @extschema@.appointments IS
  'a deleted appointment gives its visits back and drops its appointment_authorizations row';

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
           a.visits_used, a.visits_approved - a.visits_used
      FROM @extschema@.authorizations a
     WHERE a.status = 'active'
       AND upper(a.valid) > current_date
       AND upper(a.valid) - 1 <= (current_date + within)::date
     ORDER BY upper(a.valid), a.id;
END $$;
COMMENT ON FUNCTION @extschema@.authorizations_expiring(interval) IS
  'the coordinator''s worklist: active authorizations whose last day of service is from today to today + within (default 30 days), soonest first, with visits approved, used and remaining; runs as the caller (SELECT on patsvc.authorizations); 22023 for an interval outside 0 to 10 years';
