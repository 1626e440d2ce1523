-- ===== billing: encounters, the superbill (src/billing) =====
-- An encounter is what was done for a patient on a date of service: its
-- diagnoses (CMS-1500 box 21, A-L) and service lines (box 24) pointing at
-- them.  It starts as a draft; finalizing runs the claim scrubber
-- (30-scrubber.sql) and refuses any error; after that only its status moves:
--   draft -> final -> submitted -> paid | denied;  draft, final, submitted, denied -> void.
-- Codes are typed (icd10cm, cpt/hcpcs, code_modifier, npi, ndc), so a
-- malformed one never gets in (22P02); everything the scrubber flags can be
-- written to a draft and is refused only when it becomes final.

-- ---- place of service: the CMS list, extendable -----------------------------
CREATE TABLE @extschema@.places_of_service (
  code    text PRIMARY KEY CHECK (code ~ '^[0-9]{2}$'),
  name    text NOT NULL CHECK (pg_catalog.btrim(name) <> ''),
  shipped boolean NOT NULL DEFAULT false
);
COMMENT ON TABLE @extschema@.places_of_service IS
  'place of service codes (CMS-1500 box 24B, 837P CLM05-1): the CMS list shipped with patsvc (shipped = true) and codes a clinic adds';
COMMENT ON COLUMN @extschema@.places_of_service.code IS 'two-digit CMS place of service code (11 office, 02 telehealth, ...)';
COMMENT ON COLUMN @extschema@.places_of_service.name IS 'the code''s name';
COMMENT ON COLUMN @extschema@.places_of_service.shipped IS
  'true for the rows patsvc ships (the CMS list; not dumped, the extension recreates them); false for a clinic''s own';
INSERT INTO @extschema@.places_of_service (code, name, shipped)
SELECT v.code, v.name, true FROM (VALUES
  -- CMS Place of Service code set (from tuva-health/tuva's copy, Apache-2.0; 27 added, see README)
  ('01', 'Pharmacy'),
    ('02', 'Telehealth (provided other than in patient''s home)'),
    ('03', 'School'),
    ('04', 'Homeless Shelter'),
    ('05', 'Indian Health Service (free standing facility)'),
    ('06', 'Indian Health Service (provider-based facility)'),
    ('07', 'Tribal 638 (free-standing facility)'),
    ('08', 'Tribal 638 (provider-based facility)'),
    ('09', 'Prison or correctional facility'),
    ('10', 'Telehealth (provided in patient''s home)'),
    ('11', 'Office'),
    ('12', 'Home'),
    ('13', 'Assisted Living Facility'),
    ('14', 'Group Home'),
    ('15', 'Mobile Unit'),
    ('16', 'Temporary Lodging'),
    ('17', 'Walk-in Retail Health Clinic'),
    ('18', 'Place of Employment Worksite'),
    ('19', 'Off Campus Outpatient Hospital'),
    ('20', 'Urgent Care Facility'),
    ('21', 'Inpatient Hospital'),
    ('22', 'On Campus Outpatient Hospital'),
    ('23', 'Emergency Room Hospital'),
    ('24', 'Ambulatory Surgical Center'),
    ('25', 'Birthing Center'),
    ('26', 'Military Treatment Facility'),
    ('27', 'Outreach Site/Street'),
    ('31', 'Skilled Nursing Facility'),
    ('32', 'Nursing Facility'),
    ('33', 'Custodial Care Facility'),
    ('34', 'Hospice'),
    ('41', 'Ambulance - Land'),
    ('42', 'Ambulance - Air or Water'),
    ('49', 'Independent Clinic'),
    ('50', 'Federally Qualified Health Center'),
    ('51', 'Inpatient Psychiatric Facility'),
    ('52', 'Psychiatric Facility - Partial Hospitalization'),
    ('53', 'Community Mental Health Center'),
    ('54', 'Intermediate Care Facility / Individuals with intellectual disabilities'),
    ('55', 'Residential Substance Abuse Treatment Center'),
    ('56', 'Psychiatric Residential Treatment Center'),
    ('57', 'Non-residential Substance Abuse Treatment Facility'),
    ('58', 'Non-residential Opioid Treatment Facility'),
    ('60', 'Mass Immunization Center'),
    ('61', 'Comprehensive Inpatient Rehabilitation Facility'),
    ('62', 'Comprehensive Outpatient Rehabilitation Facility'),
    ('65', 'End-stage Renal Disease Treatment Facility'),
    ('71', 'Public Health Clinic'),
    ('72', 'Rural Health Clinic'),
    ('81', 'Independent Laboratory'),
    ('99', 'Other Place of Service')
) AS v(code, name);
SELECT pg_catalog.pg_extension_config_dump('@extschema@.places_of_service', 'WHERE NOT shipped');

-- The shipped rows are the extension's (not dumped): a clinic adds its own.
CREATE FUNCTION @extschema@.places_of_service_guard() RETURNS trigger
  LANGUAGE plpgsql
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  PERFORM @extschema@._trigger_bound(TG_RELID, TG_NAME, 'places_of_service_guard', '@extschema@.places_of_service'::pg_catalog.regclass);
  IF (TG_OP <> 'INSERT' AND OLD.shipped) OR (TG_OP <> 'DELETE' AND NEW.shipped) THEN
    RAISE EXCEPTION USING ERRCODE = 'PS608',
      MESSAGE = format('place of service %s is part of the CMS list patsvc ships', coalesce(OLD.code, NEW.code)),
      HINT = 'Add the clinic''s own codes with shipped = false; the CMS list changes with a new patsvc version.';
  END IF;
  RETURN coalesce(NEW, OLD);
END $$;
COMMENT ON FUNCTION @extschema@.places_of_service_guard() IS
  'trigger on places_of_service: the shipped CMS rows are not changed or deleted, and a clinic''s rows are not marked shipped (PS608)';
CREATE TRIGGER places_of_service_guard BEFORE INSERT OR UPDATE OR DELETE ON @extschema@.places_of_service
  FOR EACH ROW EXECUTE FUNCTION @extschema@.places_of_service_guard();
COMMENT ON TRIGGER places_of_service_guard ON @extschema@.places_of_service IS 'keeps the shipped CMS list as shipped';
REVOKE ALL ON @extschema@.places_of_service FROM PUBLIC;
GRANT SELECT ON @extschema@.places_of_service TO PUBLIC;

-- ---- fee schedule: the default charge of a code, per payer or for all -------
CREATE TABLE @extschema@.fee_schedule (
  code     text NOT NULL,
  payer_id bigint REFERENCES @extschema@.payers ON DELETE CASCADE,
  amount   numeric(12,2) NOT NULL CHECK (amount >= 0),
  UNIQUE NULLS NOT DISTINCT (code, payer_id)
);
COMMENT ON TABLE @extschema@.fee_schedule IS
  'the practice''s charge for a procedure code: a service line written without a charge gets the fee for the encounter''s payer, else the fee with payer_id NULL';
COMMENT ON COLUMN @extschema@.fee_schedule.code IS 'CPT or HCPCS code, canonical (99213, J1100)';
COMMENT ON COLUMN @extschema@.fee_schedule.payer_id IS 'the payer this fee is for; NULL: the default fee';
COMMENT ON COLUMN @extschema@.fee_schedule.amount IS 'the charge in dollars (numeric, never float)';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.fee_schedule', '');
REVOKE ALL ON @extschema@.fee_schedule FROM PUBLIC;

-- ---- encounters ------------------------------------------------------------
CREATE TABLE @extschema@.encounters (
  id               bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  patient_id       bigint NOT NULL REFERENCES @extschema@.patients,
  appointment_id   bigint REFERENCES @extschema@.appointments,
  service_date     date NOT NULL,
  rendering_npi    @extschema@.npi,
  billing_npi      @extschema@.npi,
  referring_npi    @extschema@.npi,
  place_of_service text REFERENCES @extschema@.places_of_service,
  coverage_id      bigint REFERENCES @extschema@.coverages,
  authorization_id bigint REFERENCES @extschema@.authorizations,
  referral_id      bigint REFERENCES @extschema@.referrals,
  status           text NOT NULL DEFAULT 'draft'
                   CHECK (status IN ('draft', 'final', 'submitted', 'paid', 'denied', 'void')),
  created_at       timestamptz NOT NULL DEFAULT pg_catalog.now(),
  finalized_at     timestamptz
);
CREATE INDEX encounters_patient_date ON @extschema@.encounters (patient_id, service_date);
-- one live encounter per visit (a voided one may be started again)
CREATE UNIQUE INDEX encounters_appointment ON @extschema@.encounters (appointment_id)
  WHERE appointment_id IS NOT NULL AND status <> 'void';
COMMENT ON TABLE @extschema@.encounters IS
  'the superbill: what was done for a patient on a date of service, billed to a coverage; status draft -> final -> submitted -> paid / denied, or void (transitions enforced)';
COMMENT ON COLUMN @extschema@.encounters.patient_id IS 'the patient (patients.id)';
COMMENT ON COLUMN @extschema@.encounters.appointment_id IS 'the visit it was started from (start_encounter); NULL for an encounter on its own';
COMMENT ON COLUMN @extschema@.encounters.service_date IS 'date of service (the visit''s date in its location''s time zone)';
COMMENT ON COLUMN @extschema@.encounters.rendering_npi IS 'NPI of the provider who rendered the services (837P 2310B)';
COMMENT ON COLUMN @extschema@.encounters.billing_npi IS 'NPI the claim is billed under (CMS-1500 box 33a, 837P 2010AA)';
COMMENT ON COLUMN @extschema@.encounters.referring_npi IS 'NPI of the referring provider when a referral applies (box 17b)';
COMMENT ON COLUMN @extschema@.encounters.place_of_service IS 'CMS place of service code (places_of_service), box 24B';
COMMENT ON COLUMN @extschema@.encounters.coverage_id IS 'the coverage billed (coverages.id)';
COMMENT ON COLUMN @extschema@.encounters.authorization_id IS 'the prior authorization used (authorizations.id), box 23';
COMMENT ON COLUMN @extschema@.encounters.referral_id IS 'the referral used (referrals.id)';
COMMENT ON COLUMN @extschema@.encounters.status IS
  'draft (editable), final (scrubbed, locked), submitted, paid, denied, void; legal transitions only (README, Billing)';
COMMENT ON COLUMN @extschema@.encounters.created_at IS 'when the encounter was started';
COMMENT ON COLUMN @extschema@.encounters.finalized_at IS 'when it became final (set by the trigger)';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.encounters', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.encounters_id_seq', '');
REVOKE ALL ON @extschema@.encounters FROM PUBLIC;

CREATE TABLE @extschema@.encounter_diagnoses (
  encounter_id bigint NOT NULL REFERENCES @extschema@.encounters ON DELETE CASCADE,
  seq          smallint NOT NULL CHECK (seq BETWEEN 1 AND 12),
  code         @extschema@.icd10cm NOT NULL,
  PRIMARY KEY (encounter_id, seq)
);
COMMENT ON TABLE @extschema@.encounter_diagnoses IS
  'an encounter''s diagnoses in order, CMS-1500 box 21: seq 1..12 is letter A..L (diagnosis_letter); seq 1 is the first-listed';
COMMENT ON COLUMN @extschema@.encounter_diagnoses.encounter_id IS 'the encounter';
COMMENT ON COLUMN @extschema@.encounter_diagnoses.seq IS 'position 1..12 (A..L); service lines point at it';
COMMENT ON COLUMN @extschema@.encounter_diagnoses.code IS 'ICD-10-CM code';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.encounter_diagnoses', '');
REVOKE ALL ON @extschema@.encounter_diagnoses FROM PUBLIC;

CREATE TABLE @extschema@.encounter_lines (
  encounter_id   bigint NOT NULL REFERENCES @extschema@.encounters ON DELETE CASCADE,
  line           smallint NOT NULL CHECK (line BETWEEN 1 AND 50),
  code           text NOT NULL,
  procedure_kind text NOT NULL CHECK (procedure_kind IN ('cpt', 'hcpcs')),
  modifiers      @extschema@.code_modifier[] NOT NULL DEFAULT '{}' CHECK (pg_catalog.cardinality(modifiers) <= 4),
  pointers       smallint[] NOT NULL DEFAULT '{}',
  units          numeric NOT NULL DEFAULT 1,
  charge         numeric(12,2) NOT NULL,
  ndc            @extschema@.ndc,
  drug_quantity  numeric,
  drug_unit      text CHECK (drug_unit IN ('F2', 'GR', 'ME', 'ML', 'UN')),
  PRIMARY KEY (encounter_id, line)
);
COMMENT ON TABLE @extschema@.encounter_lines IS
  'an encounter''s service lines (CMS-1500 box 24, 837P 2400): procedure, modifiers, diagnosis pointers, units, charge, drug';
COMMENT ON COLUMN @extschema@.encounter_lines.encounter_id IS 'the encounter';
COMMENT ON COLUMN @extschema@.encounter_lines.line IS 'line number 1..50 (837P allows 50 service lines)';
COMMENT ON COLUMN @extschema@.encounter_lines.code IS
  'CPT or HCPCS Level II code, checked and made canonical when written (22P02 when malformed)';
COMMENT ON COLUMN @extschema@.encounter_lines.procedure_kind IS 'cpt or hcpcs: derived from the code when written';
COMMENT ON COLUMN @extschema@.encounter_lines.modifiers IS 'up to 4 modifiers (box 24D), in order';
COMMENT ON COLUMN @extschema@.encounter_lines.pointers IS
  'diagnosis pointers (box 24E): 1-4 seqs of encounter_diagnoses, primary first (the scrubber checks them)';
COMMENT ON COLUMN @extschema@.encounter_lines.units IS 'days or units (box 24G)';
COMMENT ON COLUMN @extschema@.encounter_lines.charge IS
  'charge of the line in dollars (box 24F); written NULL: the fee schedule''s amount for the code times the units';
COMMENT ON COLUMN @extschema@.encounter_lines.ndc IS 'National Drug Code of a drug line (box 24 shaded area, 837P LIN03)';
COMMENT ON COLUMN @extschema@.encounter_lines.drug_quantity IS 'quantity of the drug given (837P CTP04)';
COMMENT ON COLUMN @extschema@.encounter_lines.drug_unit IS
  'unit of the drug quantity: F2 international unit, GR gram, ME milligram, ML milliliter, UN unit (837P CTP05-1)';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.encounter_lines', '');
REVOKE ALL ON @extschema@.encounter_lines FROM PUBLIC;

-- merge_patients (registry) finds patient_id by its foreign key and moves the
-- rows; the guard refuses a new encounter naming a merged patient (PS422).
CREATE TRIGGER patient_reference_guard BEFORE INSERT OR UPDATE OF patient_id ON @extschema@.encounters
  FOR EACH ROW EXECUTE FUNCTION @extschema@.patient_reference_guard('patient_id');
COMMENT ON TRIGGER patient_reference_guard ON @extschema@.encounters IS 'no encounter of a merged patient (PS422)';
