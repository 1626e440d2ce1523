-- Coverage, part B: what a booking of each appointment type needs (issue 13).
-- One row per type that needs something; a type without a row needs nothing.
-- The rules are enforced on patsvc.appointments by trigger
-- appointments_visits (src/coverage/booking.c, 54-booking-rules.sql).

CREATE FUNCTION @extschema@.is_service_code(code text) RETURNS boolean
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  SET search_path = pg_catalog, pg_temp
  RETURN @extschema@.is_valid_cpt(code) OR @extschema@.is_valid_hcpcs(code);
COMMENT ON FUNCTION @extschema@.is_service_code(text) IS
  'is the text a well-formed CPT or HCPCS Level II code (the codes a visit is billed as and an authorization approves)';

CREATE TABLE @extschema@.appointment_type_requirements (
  type_id                bigint PRIMARY KEY REFERENCES @extschema@.appointment_types,
  requires_coverage      boolean NOT NULL DEFAULT false,
  requires_verification  boolean NOT NULL DEFAULT false,
  requires_referral      boolean NOT NULL DEFAULT false,
  requires_authorization boolean NOT NULL DEFAULT false,
  service_code           text,
  give_back_on_noshow    boolean NOT NULL DEFAULT false
);
REVOKE ALL ON @extschema@.appointment_type_requirements FROM PUBLIC;
COMMENT ON TABLE @extschema@.appointment_type_requirements IS
  'what a booking of an appointment type needs (coverage in force, a good eligibility verification, a referral, a prior authorization); no row: nothing; enforced on every write of patsvc.appointments by trigger appointments_visits';
COMMENT ON COLUMN @extschema@.appointment_type_requirements.requires_coverage IS
  'a coverage in force on the date of service (patsvc.coverage_on; a self-pay coverage counts: self-pay is a coverage choice)';
COMMENT ON COLUMN @extschema@.appointment_type_requirements.requires_verification IS
  'an active eligibility verification good on the date of service (patsvc.eligibility_on)';
COMMENT ON COLUMN @extschema@.appointment_type_requirements.requires_referral IS
  'an active referral of the patient to the provider (or to a specialty) valid on the date, with a visit left; the booking uses one';
COMMENT ON COLUMN @extschema@.appointment_type_requirements.requires_authorization IS
  'an active prior authorization of a payer of a coverage in force, approving service_code on the date, with a visit left; the booking uses one';
COMMENT ON COLUMN @extschema@.appointment_type_requirements.service_code IS
  'CPT or HCPCS code the visit is billed as: matched against patsvc.authorizations.service_codes; required with requires_authorization';
COMMENT ON COLUMN @extschema@.appointment_type_requirements.give_back_on_noshow IS
  'a no-show gives the visit back to its authorization and referral (cancellations always do)';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.appointment_type_requirements', '');

CREATE FUNCTION @extschema@.appointment_type_requirements_check() RETURNS trigger
  LANGUAGE plpgsql
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  PERFORM @extschema@._trigger_bound(TG_RELID, TG_NAME, 'appointment_type_requirements_check', '@extschema@.appointment_type_requirements'::pg_catalog.regclass);
  IF NEW.service_code IS NOT NULL AND NOT @extschema@.is_service_code(NEW.service_code) THEN
    RAISE EXCEPTION USING ERRCODE = '22P02',
      MESSAGE = format('service code "%s" of appointment type %s is not a CPT or HCPCS code', NEW.service_code, NEW.type_id),
      HINT = 'Use a CPT code (five digits, or four digits and F, T, U or M) or a HCPCS Level II code (a letter A-V and four digits).';
  END IF;
  IF NEW.requires_authorization AND NEW.service_code IS NULL THEN
    RAISE EXCEPTION USING ERRCODE = 'PS544',
      MESSAGE = format('appointment type %s requires a prior authorization but has no service code', NEW.type_id),
      DETAIL = 'Authorizations approve service codes; a booking is matched to one by the code its type is billed as.',
      HINT = 'Set service_code to the CPT or HCPCS code the visit is billed as.';
  END IF;
  RETURN NEW;
END $$;
COMMENT ON FUNCTION @extschema@.appointment_type_requirements_check() IS
  'trigger: a service code is a CPT or HCPCS code (22P02), and a type requiring authorization has one (PS544)';
CREATE TRIGGER appointment_type_requirements_check BEFORE INSERT OR UPDATE ON @extschema@.appointment_type_requirements
  FOR EACH ROW EXECUTE FUNCTION @extschema@.appointment_type_requirements_check();
COMMENT ON TRIGGER appointment_type_requirements_check ON @extschema@.appointment_type_requirements IS
  'see function appointment_type_requirements_check';

-- the booking trigger caches each type's requirements per backend (booking.c)
CREATE TRIGGER appointment_type_requirements_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
  ON @extschema@.appointment_type_requirements
  FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.cache_changed();
COMMENT ON TRIGGER appointment_type_requirements_changed ON @extschema@.appointment_type_requirements IS
  'drops every backend''s cached requirements (trigger appointments_visits) when the table changes';
CREATE TRIGGER replica_changed AFTER INSERT OR UPDATE OR DELETE
  ON @extschema@.appointment_type_requirements
  FOR EACH ROW EXECUTE FUNCTION @extschema@.cache_changed();
ALTER TABLE @extschema@.appointment_type_requirements ENABLE REPLICA TRIGGER replica_changed;
COMMENT ON TRIGGER replica_changed ON @extschema@.appointment_type_requirements IS
  'drops cached requirements for rows applied by logical replication (whose apply worker fires no statement trigger)';
