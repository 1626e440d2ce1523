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
