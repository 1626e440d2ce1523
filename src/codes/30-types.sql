-- Code types: what each one is, and the functions a biller reaches for.
-- The I/O, operators, operator classes and casts of every type come from
-- src/codes/codetype.sql.in.

COMMENT ON TYPE @extschema@.icd10cm IS
  'ICD-10-CM diagnosis code (E11.9, T36.0X1A); well-formed only: billability depends on the release, see icd10cm_billable';
COMMENT ON TYPE @extschema@.hcpcs IS
  'HCPCS Level II code (J1100): a letter A-V and 4 digits; activity depends on the release, see hcpcs_active';

CREATE FUNCTION @extschema@.icd10cm_category(@extschema@.icd10cm) RETURNS @extschema@.icd10cm
  AS 'MODULE_PATHNAME', 'patsvc_icd10cm_category' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.icd10cm_category(@extschema@.icd10cm) IS
  'the 3-character category of an ICD-10-CM code: E11.9 -> E11';
CREATE FUNCTION @extschema@.icd10cm_chapter(@extschema@.icd10cm) RETURNS integer
  AS 'MODULE_PATHNAME', 'patsvc_icd10cm_chapter' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.icd10cm_chapter(@extschema@.icd10cm) IS
  'ICD-10-CM chapter number (1-22, FY2021 ranges compared as strings, so C4A is 2 and O9A is 15); NULL when the category lies in no chapter';

COMMENT ON TYPE @extschema@.icd10pcs IS
  'ICD-10-PCS procedure code (0DTJ4ZZ): exactly 7 of 0-9 and A-Z except I and O; well-formed only';

CREATE FUNCTION @extschema@.icd10pcs_section(@extschema@.icd10pcs) RETURNS text
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  RETURN pg_catalog.substr($1::text, 1, 1);
COMMENT ON FUNCTION @extschema@.icd10pcs_section(@extschema@.icd10pcs) IS
  'section of an ICD-10-PCS code (its 1st character): 0DTJ4ZZ -> 0';

CREATE FUNCTION @extschema@.icd10pcs_section_name(@extschema@.icd10pcs) RETURNS text
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  RETURN CASE pg_catalog.substr($1::text, 1, 1)
    WHEN '0' THEN 'Medical and Surgical'
    WHEN '1' THEN 'Obstetrics'
    WHEN '2' THEN 'Placement'
    WHEN '3' THEN 'Administration'
    WHEN '4' THEN 'Measurement and Monitoring'
    WHEN '5' THEN 'Extracorporeal or Systemic Assistance and Performance'
    WHEN '6' THEN 'Extracorporeal or Systemic Therapies'
    WHEN '7' THEN 'Osteopathic'
    WHEN '8' THEN 'Other Procedures'
    WHEN '9' THEN 'Chiropractic'
    WHEN 'B' THEN 'Imaging'
    WHEN 'C' THEN 'Nuclear Medicine'
    WHEN 'D' THEN 'Radiation Therapy'
    WHEN 'F' THEN 'Physical Rehabilitation and Diagnostic Audiology'
    WHEN 'G' THEN 'Mental Health'
    WHEN 'H' THEN 'Substance Abuse Treatment'
    WHEN 'X' THEN 'New Technology'
  END;
COMMENT ON FUNCTION @extschema@.icd10pcs_section_name(@extschema@.icd10pcs) IS
  'name of the ICD-10-PCS section (0 Medical and Surgical ... X New Technology); NULL for a character that is no section';

COMMENT ON TYPE @extschema@.cpt IS
  'CPT code, shape only (99213, 3074F, 0042T, 0001U, 0002M): 5 digits, or 4 digits and F, T, U or M';

CREATE FUNCTION @extschema@.cpt_category(@extschema@.cpt) RETURNS text
  AS 'MODULE_PATHNAME', 'patsvc_cpt_category' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.cpt_category(@extschema@.cpt) IS
  'CPT category from the shape: I (5 digits), II (..F), III (..T), PLA (..U, proprietary laboratory analyses), MAAA (..M, multianalyte assays)';

COMMENT ON TYPE @extschema@.code_modifier IS
  'CPT or HCPCS procedure modifier (25, LT, GA, F1): 2 letters or digits';

COMMENT ON TYPE @extschema@.npi IS
  'National Provider Identifier (1234567893): 10 digits starting with 1 or 2, Luhn check digit with the 80840 prefix';

CREATE FUNCTION @extschema@.npi_check_digit(text) RETURNS integer
  AS 'MODULE_PATHNAME', 'patsvc_npi_check_digit' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.npi_check_digit(text) IS
  'check digit completing a 9-digit NPI body (starting with 1 or 2): 123456789 -> 3; raises 22P02 for anything else';

COMMENT ON TYPE @extschema@.ndc IS
  'National Drug Code, stored and shown as the 11-digit 5-4-2 billing form (01234-5678-90); accepts 4-4-2, 5-3-2, 5-4-1 with hyphens and 5-4-2 with or without';

CREATE FUNCTION @extschema@.ndc_to_837(@extschema@.ndc) RETURNS text
  AS 'MODULE_PATHNAME', 'patsvc_ndc_to_837' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ndc_to_837(@extschema@.ndc) IS
  'the 11 digits without hyphens, as sent with qualifier N4 in the 837 LIN segment: 01234-5678-90 -> 01234567890';

CREATE FUNCTION @extschema@.ndc_labeler(@extschema@.ndc) RETURNS text
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  RETURN pg_catalog.split_part($1::text, '-', 1);
COMMENT ON FUNCTION @extschema@.ndc_labeler(@extschema@.ndc) IS
  'labeler segment (5 digits) of an NDC in 5-4-2 form: the firm that makes or distributes the drug';

CREATE FUNCTION @extschema@.ndc_product(@extschema@.ndc) RETURNS text
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  RETURN pg_catalog.split_part($1::text, '-', 2);
COMMENT ON FUNCTION @extschema@.ndc_product(@extschema@.ndc) IS
  'product segment (4 digits) of an NDC in 5-4-2 form: strength, dosage form and formulation';

CREATE FUNCTION @extschema@.ndc_package(@extschema@.ndc) RETURNS text
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  RETURN pg_catalog.split_part($1::text, '-', 3);
COMMENT ON FUNCTION @extschema@.ndc_package(@extschema@.ndc) IS
  'package segment (2 digits) of an NDC in 5-4-2 form: package size and type';

COMMENT ON TYPE @extschema@.mbi IS
  'Medicare Beneficiary Identifier (1EG4TE5MK73): 11 characters by position, letters other than S L O I B Z; dashes of the card form accepted on input';

CREATE FUNCTION @extschema@.mbi_format_dashed(@extschema@.mbi) RETURNS text
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  RETURN pg_catalog.substr($1::text, 1, 4) OPERATOR(pg_catalog.||) '-'
    OPERATOR(pg_catalog.||) pg_catalog.substr($1::text, 5, 3) OPERATOR(pg_catalog.||) '-'
    OPERATOR(pg_catalog.||) pg_catalog.substr($1::text, 8, 4);
COMMENT ON FUNCTION @extschema@.mbi_format_dashed(@extschema@.mbi) IS
  'MBI with dashes as printed on the Medicare card: 1EG4TE5MK73 -> 1EG4-TE5-MK73 (for display only; store and send the type)';
