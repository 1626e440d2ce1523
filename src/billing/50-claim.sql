-- ===== claims: CMS-1500 as jsonb, X12 837P (src/billing, bill-claim) =====
-- claim_headers() and claim_lines() derive every claim field from the
-- encounters, coverage and providers, once: claim_json() shapes them as the
-- CMS-1500 boxes, claim_837p() (C, src/billing/claim_837p.c) writes them as
-- an X12 005010X222A1 837P.  Both therefore agree field by field.

-- ---- providers as they appear on claims ------------------------------------
CREATE TABLE @extschema@.claim_providers (
  npi           @extschema@.npi PRIMARY KEY,
  entity_type   text NOT NULL DEFAULT 'organization' CHECK (entity_type IN ('person', 'organization')),
  name          text NOT NULL CHECK (btrim(name) <> ''),
  given_name    text,
  tax_id        text CHECK (tax_id ~ '^[0-9]{9}$'),
  taxonomy      text CHECK (taxonomy ~ '^[0-9]{3}[0-9A-Z]{6}X$'),
  address_line1 text,
  address_line2 text,
  city          text,
  state         text CHECK (state ~ '^[A-Z]{2}$'),
  zip           text CHECK (zip ~ '^[0-9]{5}([0-9]{4})?$'),
  CONSTRAINT claim_providers_given_name_check CHECK (given_name IS NULL OR entity_type = 'person')
);
COMMENT ON TABLE @extschema@.claim_providers IS
  'providers as claims name them (837P 2010AA billing, 2310A referring, 2310B rendering; CMS-1500 boxes 17, 24J, 25, 33): a billing provider needs tax id and a street address with a 9-digit ZIP; others need only a name';
COMMENT ON COLUMN @extschema@.claim_providers.npi IS 'National Provider Identifier the encounters use as billing, rendering or referring NPI';
COMMENT ON COLUMN @extschema@.claim_providers.entity_type IS 'person (NM102 1: name is the family name) or organization (NM102 2)';
COMMENT ON COLUMN @extschema@.claim_providers.name IS 'organization name, or a person''s family name';
COMMENT ON COLUMN @extschema@.claim_providers.given_name IS 'a person''s given name';
COMMENT ON COLUMN @extschema@.claim_providers.tax_id IS 'employer identification number (9 digits, no hyphen): REF*EI, box 25; required of a billing provider';
COMMENT ON COLUMN @extschema@.claim_providers.taxonomy IS 'health care provider taxonomy code (PRV*BI / PRV*PE), e.g. 207Q00000X';
COMMENT ON COLUMN @extschema@.claim_providers.address_line1 IS 'street address (N301; a billing provider''s is not a post office box)';
COMMENT ON COLUMN @extschema@.claim_providers.address_line2 IS 'second address line (N302)';
COMMENT ON COLUMN @extschema@.claim_providers.city IS 'city (N401)';
COMMENT ON COLUMN @extschema@.claim_providers.state IS 'two-letter state code (N402)';
COMMENT ON COLUMN @extschema@.claim_providers.zip IS 'ZIP code, 5 or 9 digits (N403); a billing provider''s has 9';
COMMENT ON CONSTRAINT claim_providers_given_name_check ON @extschema@.claim_providers IS 'only a person has a given name';
COMMENT ON CONSTRAINT claim_providers_tax_id_check ON @extschema@.claim_providers IS 'an EIN: 9 digits';
COMMENT ON CONSTRAINT claim_providers_taxonomy_check ON @extschema@.claim_providers IS 'a taxonomy code: 10 characters ending in X';
COMMENT ON CONSTRAINT claim_providers_state_check ON @extschema@.claim_providers IS 'USPS state code, upper case';
COMMENT ON CONSTRAINT claim_providers_zip_check ON @extschema@.claim_providers IS 'ZIP or ZIP+4, digits only';
COMMENT ON CONSTRAINT claim_providers_name_check ON @extschema@.claim_providers IS 'a name is not blank';
COMMENT ON CONSTRAINT claim_providers_entity_type_check ON @extschema@.claim_providers IS 'person or organization';
REVOKE ALL ON @extschema@.claim_providers FROM PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('@extschema@.claim_providers', '');

-- ---- interchange control numbers ------------------------------------------
CREATE SEQUENCE @extschema@.claim_interchange_control MINVALUE 1 MAXVALUE 999999999 CYCLE;
COMMENT ON SEQUENCE @extschema@.claim_interchange_control IS
  'interchange control numbers of the 837P files claim_837p writes (ISA13, GS06); 9 digits, cycling';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.claim_interchange_control', '');

-- ---- one rule: does an authorization cover a service line ----------------
CREATE FUNCTION @extschema@.authorization_covers(service_codes text[], codes text[]) RETURNS boolean
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN service_codes IS NULL OR pg_catalog.cardinality(service_codes) = 0
         OR codes OPERATOR(pg_catalog.<@) service_codes;
COMMENT ON FUNCTION @extschema@.authorization_covers(text[], text[]) IS
  'true when an authorization approving service_codes (none listed: every service) covers lines billed with codes';

-- ---- the claim fields, once ------------------------------------------------
CREATE FUNCTION @extschema@.claim_headers(encounters bigint[])
  RETURNS TABLE (encounter_id bigint, status text, service_date date, billing_npi text,
                 billing_entity text, billing_name text, billing_given text, billing_taxonomy text,
                 billing_tax_id text, billing_address1 text, billing_address2 text, billing_city text,
                 billing_state text, billing_zip text,
                 payer_id bigint, payer_name text, payer_x12_id text, payer_type text, claim_filing_code text,
                 payer_responsibility text, relationship_code text, member_id text, group_number text,
                 insured_family text, insured_given text, insured_middle text, insured_birth_date date,
                 insured_sex text,
                 patient_family text, patient_given text, patient_middle text, patient_birth_date date,
                 patient_sex text, patient_address1 text, patient_address2 text, patient_city text,
                 patient_state text, patient_zip text,
                 account_number text, total_charge numeric, place_of_service text, frequency_code text,
                 provider_signature text, assignment text, benefits_assigned text, release_of_information text,
                 claim_authorization text, referral_number text, diagnoses text[],
                 referring_npi text, referring_entity text, referring_name text, referring_given text,
                 rendering_npi text, rendering_entity text, rendering_name text, rendering_given text,
                 rendering_taxonomy text)
  LANGUAGE sql STABLE
BEGIN ATOMIC
  SELECT e.id, e.status, e.service_date, e.billing_npi::text,
         bp.entity_type, bp.name, bp.given_name, bp.taxonomy, bp.tax_id,
         bp.address_line1, bp.address_line2, bp.city, bp.state, bp.zip,
         py.id, py.name, py.x12_payer_id, py.payer_type,
         CASE py.payer_type WHEN 'medicare' THEN 'MB' WHEN 'medicaid' THEN 'MC' WHEN 'commercial' THEN 'CI' END,
         CASE c.priority WHEN 1 THEN 'P' WHEN 2 THEN 'S' WHEN 3 THEN 'T' END,
         coalesce(c.subscriber_relationship, '18'), c.member_id, c.group_number,
         CASE WHEN coalesce(c.subscriber_relationship, '18') = '18' THEN p.family_name ELSE c.subscriber_family END,
         CASE WHEN coalesce(c.subscriber_relationship, '18') = '18' THEN p.given_name ELSE c.subscriber_given END,
         CASE WHEN coalesce(c.subscriber_relationship, '18') = '18' THEN p.middle_name END,
         CASE WHEN coalesce(c.subscriber_relationship, '18') = '18' THEN p.birth_date ELSE c.subscriber_birth_date END,
         CASE coalesce(CASE WHEN coalesce(c.subscriber_relationship, '18') = '18' THEN p.sex ELSE c.subscriber_sex END, '')
           WHEN 'male' THEN 'M' WHEN 'female' THEN 'F' ELSE 'U' END,
         p.family_name, p.given_name, p.middle_name, p.birth_date,
         CASE p.sex WHEN 'male' THEN 'M' WHEN 'female' THEN 'F' ELSE 'U' END,
         p.address_line1, p.address_line2, p.city, p.state, p.zip,
         e.id::text, l.total, e.place_of_service, '1', 'Y', 'A', 'Y', 'Y',
         CASE WHEN @extschema@.authorization_covers(a.service_codes, l.codes) THEN a.auth_number END,
         r.referral_number, d.codes,
         e.referring_npi::text, coalesce(rf.entity_type, 'person'), coalesce(rf.name, rfp.name), rf.given_name,
         CASE WHEN e.rendering_npi IS DISTINCT FROM e.billing_npi THEN e.rendering_npi::text END,
         coalesce(rd.entity_type, 'person'), coalesce(rd.name, rdp.name), rd.given_name, rd.taxonomy
    FROM @extschema@.encounters e
    JOIN @extschema@.patients p ON p.id = e.patient_id
    LEFT JOIN @extschema@.claim_providers bp ON bp.npi = e.billing_npi
    LEFT JOIN @extschema@.coverages c ON c.id = e.coverage_id
    LEFT JOIN @extschema@.payers py ON py.id = c.payer_id
    LEFT JOIN @extschema@.authorizations a ON a.id = e.authorization_id
    LEFT JOIN @extschema@.referrals r ON r.id = e.referral_id
    LEFT JOIN @extschema@.claim_providers rf ON rf.npi = e.referring_npi
    LEFT JOIN @extschema@.providers rfp ON rfp.npi = e.referring_npi
    LEFT JOIN @extschema@.claim_providers rd ON rd.npi = e.rendering_npi
    LEFT JOIN @extschema@.providers rdp ON rdp.npi = e.rendering_npi
    LEFT JOIN (SELECT ed.encounter_id,
                      pg_catalog.array_agg(pg_catalog.replace(ed.code::text, '.', '') ORDER BY ed.seq) AS codes
                 FROM @extschema@.encounter_diagnoses ed WHERE ed.encounter_id = ANY (encounters)
                GROUP BY ed.encounter_id) d ON d.encounter_id = e.id
    LEFT JOIN (SELECT el.encounter_id, pg_catalog.sum(el.charge) AS total, pg_catalog.array_agg(el.code) AS codes
                 FROM @extschema@.encounter_lines el WHERE el.encounter_id = ANY (encounters)
                GROUP BY el.encounter_id) l ON l.encounter_id = e.id
   WHERE e.id = ANY (encounters)
   ORDER BY e.billing_npi, e.id;
END;
COMMENT ON FUNCTION @extschema@.claim_headers(bigint[]) IS
  'the claim-level fields of the encounters (CMS-1500 boxes 1-33, 837P loops 2000A-2310), by billing NPI and encounter: codes as claims write them (diagnoses without dots, sex M/F/U, SBR01 P/S/T, claim filing code MB/MC/CI); the authorization number here when it covers every line';

CREATE FUNCTION @extschema@.claim_lines(encounters bigint[])
  RETURNS TABLE (encounter_id bigint, line smallint, lx integer, code text, modifiers text[], charge numeric,
                 units numeric, place_of_service text, pointers integer[], service_date date,
                 ndc text, drug_quantity numeric, drug_unit text, line_authorization text)
  LANGUAGE sql STABLE
BEGIN ATOMIC
  SELECT el.encounter_id, el.line,
         pg_catalog.row_number() OVER w::integer,
         el.code, el.modifiers::text[], el.charge, el.units, NULL::text,
         -- a pointer is the position of its diagnosis among the claim's: the seq itself
         -- when the seqs are 1..n (the last one is their count), looked up otherwise
         CASE WHEN d.seqs[pg_catalog.cardinality(d.seqs)] = pg_catalog.cardinality(d.seqs)
              THEN el.pointers::integer[]
              ELSE ARRAY(SELECT pg_catalog.array_position(d.seqs, ptr.seq)
                           FROM pg_catalog.unnest(el.pointers) WITH ORDINALITY AS ptr(seq, o) ORDER BY ptr.o) END,
         e.service_date, pg_catalog.replace(el.ndc::text, '-', ''), el.drug_quantity, el.drug_unit,
         CASE WHEN NOT @extschema@.authorization_covers(a.service_codes, pg_catalog.array_agg(el.code) OVER encounter)
               AND @extschema@.authorization_covers(a.service_codes, ARRAY[el.code])
              THEN a.auth_number END
    FROM @extschema@.encounter_lines el
    JOIN @extschema@.encounters e ON e.id = el.encounter_id
    LEFT JOIN @extschema@.authorizations a ON a.id = e.authorization_id
    LEFT JOIN (SELECT ed.encounter_id, pg_catalog.array_agg(ed.seq ORDER BY ed.seq) AS seqs
                 FROM @extschema@.encounter_diagnoses ed WHERE ed.encounter_id = ANY (encounters)
                GROUP BY ed.encounter_id) d ON d.encounter_id = el.encounter_id
   WHERE el.encounter_id = ANY (encounters)
  WINDOW encounter AS (PARTITION BY el.encounter_id), w AS (encounter ORDER BY el.line)
   ORDER BY e.billing_npi, el.encounter_id, el.line;
END;
COMMENT ON FUNCTION @extschema@.claim_lines(bigint[]) IS
  'the service lines of the encounters (box 24, 837P loop 2400), in claim_headers'' order: pointers as positions 1-12 in the claim''s diagnoses, NDC in the 11-digit form without hyphens, the authorization number here when it covers only some of the lines (line-level REF*G1)';

-- ---- CMS-1500 as jsonb -----------------------------------------------------
CREATE FUNCTION @extschema@.claim_lines_json(encounter bigint) RETURNS jsonb
  LANGUAGE sql STABLE
BEGIN ATOMIC
  SELECT coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
           'line', l.lx,
           'service_date', l.service_date,
           'place_of_service', l.place_of_service,
           'procedure', pg_catalog.jsonb_build_object('code', l.code, 'modifiers', coalesce(l.modifiers, '{}')),
           'pointers', ARRAY(SELECT pg_catalog.chr(64 + p) FROM pg_catalog.unnest(l.pointers) WITH ORDINALITY AS u(p, o) ORDER BY u.o),
           'charge', l.charge,
           'units', l.units,
           'drug', CASE WHEN l.ndc IS NOT NULL THEN pg_catalog.jsonb_build_object(
                     'qualifier', 'N4', 'ndc', l.ndc, 'quantity', l.drug_quantity, 'unit', l.drug_unit) END,
           'authorization', l.line_authorization) ORDER BY l.lx), '[]'::jsonb)
    FROM @extschema@.claim_lines(ARRAY[encounter]) l;
END;
COMMENT ON FUNCTION @extschema@.claim_lines_json(bigint) IS
  'box 24 of claim_json(): the encounter''s service lines as a jsonb array';

CREATE FUNCTION @extschema@.claim_json(encounter bigint) RETURNS jsonb
  LANGUAGE plpgsql STABLE STRICT SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  result jsonb;
BEGIN
  SELECT pg_catalog.jsonb_build_object(
           'encounter_id', h.encounter_id,
           'status', h.status,
           'insurance_type', h.claim_filing_code,
           'payer', CASE WHEN h.payer_id IS NOT NULL THEN pg_catalog.jsonb_build_object(
                      'name', h.payer_name, 'payer_id', h.payer_x12_id, 'type', h.payer_type,
                      'responsibility', h.payer_responsibility) END,
           'insured', CASE WHEN h.payer_id IS NOT NULL THEN pg_catalog.jsonb_build_object(
                      'member_id', h.member_id,
                      'name', pg_catalog.jsonb_build_object('family', h.insured_family, 'given', h.insured_given,
                                                            'middle', h.insured_middle),
                      'birth_date', h.insured_birth_date, 'sex', h.insured_sex,
                      'group_number', h.group_number) END,
           'patient', pg_catalog.jsonb_build_object(
                      'name', pg_catalog.jsonb_build_object('family', h.patient_family, 'given', h.patient_given,
                                                            'middle', h.patient_middle),
                      'birth_date', h.patient_birth_date, 'sex', h.patient_sex,
                      'address', pg_catalog.jsonb_build_object('line1', h.patient_address1, 'line2', h.patient_address2,
                                                               'city', h.patient_city, 'state', h.patient_state,
                                                               'zip', h.patient_zip),
                      'relationship_to_insured', h.relationship_code),
           'release_of_information', h.release_of_information = 'Y',
           'benefits_assigned', h.benefits_assigned = 'Y',
           'referring_provider', CASE WHEN h.referring_npi IS NOT NULL THEN pg_catalog.jsonb_build_object(
                      'qualifier', 'DN', 'npi', h.referring_npi, 'name', h.referring_name,
                      'given', h.referring_given) END,
           'prior_authorization', h.claim_authorization,
           'referral_number', h.referral_number,
           'icd_indicator', '0',
           'diagnoses', ARRAY(SELECT pg_catalog.jsonb_build_object('letter', pg_catalog.chr(64 + o::integer), 'code', c)
                                FROM pg_catalog.unnest(h.diagnoses) WITH ORDINALITY AS d(c, o) ORDER BY d.o),
           'lines', @extschema@.claim_lines_json(h.encounter_id),
           'rendering_provider', pg_catalog.jsonb_build_object(
                      'npi', coalesce(h.rendering_npi, h.billing_npi),
                      'name', CASE WHEN h.rendering_npi IS NOT NULL THEN h.rendering_name ELSE h.billing_name END,
                      'given', CASE WHEN h.rendering_npi IS NOT NULL THEN h.rendering_given ELSE h.billing_given END),
           'tax_id', h.billing_tax_id,
           'account_number', h.account_number,
           'accept_assignment', h.assignment = 'A',
           'total_charge', h.total_charge,
           'provider_signature_on_file', h.provider_signature = 'Y',
           'billing_provider', pg_catalog.jsonb_build_object(
                      'npi', h.billing_npi, 'entity_type', h.billing_entity, 'name', h.billing_name,
                      'given', h.billing_given, 'taxonomy', h.billing_taxonomy,
                      'address', pg_catalog.jsonb_build_object('line1', h.billing_address1, 'line2', h.billing_address2,
                                                               'city', h.billing_city, 'state', h.billing_state,
                                                               'zip', h.billing_zip)),
           'place_of_service', h.place_of_service,
           'frequency_code', h.frequency_code,
           'service_date', h.service_date)
    INTO result
    FROM @extschema@.claim_headers(ARRAY[encounter]) h;
  IF result IS NULL THEN
    PERFORM @extschema@.unknown_encounter(encounter);
  END IF;
  RETURN result;
END
$$;
COMMENT ON FUNCTION @extschema@.claim_json(bigint) IS
  'the encounter''s claim as the CMS-1500 boxes (README "Claims"): payer, insured (1a, 4, 7, 11), patient (2, 3, 5, 6), referring provider (17), prior authorization (23), diagnoses A-L (21), lines with pointer letters and NDC (24), tax id (25), account (26), assignment (27), total (28), billing provider (33); the same fields claim_837p writes; PS607 for an unknown encounter';

-- ---- X12 837P --------------------------------------------------------------
CREATE FUNCTION @extschema@.claim_837p(encounters bigint[], sender_id text, sender_name text,
                                       receiver_id text, receiver_name text,
                                       contact_name text, contact_phone text,
                                       usage_indicator text DEFAULT 'T', created_at timestamptz DEFAULT NULL,
                                       resend boolean DEFAULT false)
  RETURNS text AS 'MODULE_PATHNAME', 'patsvc_claim_837p' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.claim_837p(bigint[], text, text, text, text, text, text, text, timestamptz, boolean) IS
  'an X12 005010X222A1 837P interchange of final encounters (one ST per billing provider and 5,000 claims); usage_indicator P (production) marks them submitted, T (test) changes nothing; resend takes submitted ones too; PS640 for an encounter that is not final, PS607 unknown, PS641-PS644 incomplete claim data (README "Claims")';
