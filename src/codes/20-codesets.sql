-- ===== code sets by release (src/codes/import_icd10cm.c, import_hcpcs.c, codeset_lookup.c) =====
-- Official CMS code sets, one row per release with its effective date range,
-- and their codes.  No patient data: SELECT is granted to PUBLIC.  Writes go
-- only through the import functions (SECURITY DEFINER, EXECUTE revoked from
-- PUBLIC; a DBA grants them to a loader role).

-- The two columns every release table has, with their rules in one place.
CREATE DOMAIN @extschema@.code_set_release AS text
  CHECK (pg_catalog.btrim(VALUE) <> '' AND pg_catalog.length(VALUE) <= 64);
COMMENT ON DOMAIN @extschema@.code_set_release IS
  'name of a loaded code-set release, given at import (e.g. FY2021, 2020-ANNUAL): not blank, at most 64 characters';
CREATE DOMAIN @extschema@.code_set_effective AS daterange
  CHECK (NOT pg_catalog.isempty(VALUE) AND NOT pg_catalog.lower_inf(VALUE));
COMMENT ON DOMAIN @extschema@.code_set_effective IS
  'dates of service a release applies to: not empty, with a first day; an open upper bound means no end yet';
-- ACTION CD of the HCPCS file, on codes and modifiers alike
CREATE DOMAIN @extschema@.hcpcs_action_code AS text CHECK (VALUE ~ '^[A-Z]$');
COMMENT ON DOMAIN @extschema@.hcpcs_action_code IS
  'ACTION CD of an HCPCS record: one capital letter (N no change, A added, C long description changed, D discontinued, P payment change, S short description changed, and others)';

CREATE TABLE @extschema@.icd10cm_release (
  release    @extschema@.code_set_release PRIMARY KEY,
  effective  @extschema@.code_set_effective NOT NULL,
  code_count integer NOT NULL CHECK (code_count > 0),
  file_md5   text NOT NULL,
  loaded_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
  EXCLUDE USING gist (effective WITH &&)
);
COMMENT ON TABLE @extschema@.icd10cm_release IS
  'loaded ICD-10-CM releases (order files), each in effect for a date range; ranges never overlap';
COMMENT ON COLUMN @extschema@.icd10cm_release.release IS 'release name given at import, e.g. FY2021';
COMMENT ON COLUMN @extschema@.icd10cm_release.effective IS
  'dates of service the release applies to, [effective_from, effective_to]; open upper bound: no end yet';
COMMENT ON COLUMN @extschema@.icd10cm_release.code_count IS 'number of codes (headers and billable) in the file';
COMMENT ON COLUMN @extschema@.icd10cm_release.file_md5 IS 'md5 of the imported file contents: re-importing the same file is a no-op';
COMMENT ON COLUMN @extschema@.icd10cm_release.loaded_at IS 'when the release was (re)loaded';

CREATE TABLE @extschema@.icd10cm_code (
  release           text NOT NULL REFERENCES @extschema@.icd10cm_release ON DELETE CASCADE,
  code              @extschema@.icd10cm NOT NULL,
  order_number      integer NOT NULL,
  billable          boolean NOT NULL,
  short_description text NOT NULL,
  long_description  text NOT NULL,
  PRIMARY KEY (release, code)
);
COMMENT ON TABLE @extschema@.icd10cm_code IS 'the codes of each ICD-10-CM release, from its order file';
COMMENT ON COLUMN @extschema@.icd10cm_code.release IS 'the release this code belongs to';
COMMENT ON COLUMN @extschema@.icd10cm_code.code IS 'the code (columns 7-13 of the file, stored canonical: E11.9)';
COMMENT ON COLUMN @extschema@.icd10cm_code.order_number IS 'order number in the file (columns 1-5)';
COMMENT ON COLUMN @extschema@.icd10cm_code.billable IS
  'flag 1 in the file: valid for HIPAA submission (a leaf); false: a header';
COMMENT ON COLUMN @extschema@.icd10cm_code.short_description IS 'short description (columns 17-76)';
COMMENT ON COLUMN @extschema@.icd10cm_code.long_description IS 'long description (column 78 on)';

CREATE TABLE @extschema@.hcpcs_release (
  release        @extschema@.code_set_release PRIMARY KEY,
  effective      @extschema@.code_set_effective NOT NULL,
  code_count     integer NOT NULL CHECK (code_count > 0),
  modifier_count integer NOT NULL CHECK (modifier_count >= 0),
  file_md5       text NOT NULL,
  loaded_at      timestamptz NOT NULL DEFAULT pg_catalog.now(),
  EXCLUDE USING gist (effective WITH &&)
);
COMMENT ON TABLE @extschema@.hcpcs_release IS
  'loaded HCPCS Level II releases (alpha-numeric files), each in effect for a date range; ranges never overlap';
COMMENT ON COLUMN @extschema@.hcpcs_release.release IS 'release name given at import, e.g. 2020-ANNUAL or 2020-APR';
COMMENT ON COLUMN @extschema@.hcpcs_release.effective IS
  'dates of service the release applies to, [effective_from, effective_to]; open upper bound: no end yet';
COMMENT ON COLUMN @extschema@.hcpcs_release.code_count IS 'number of procedure codes (record id 3)';
COMMENT ON COLUMN @extschema@.hcpcs_release.modifier_count IS 'number of modifiers (record id 7)';
COMMENT ON COLUMN @extschema@.hcpcs_release.file_md5 IS 'md5 of the imported file contents: re-importing the same file is a no-op';
COMMENT ON COLUMN @extschema@.hcpcs_release.loaded_at IS 'when the release was (re)loaded';

CREATE TABLE @extschema@.hcpcs_code (
  release               text NOT NULL REFERENCES @extschema@.hcpcs_release ON DELETE CASCADE,
  code                  @extschema@.hcpcs NOT NULL,
  seqnum                integer NOT NULL,
  long_description      text NOT NULL,
  short_description     text NOT NULL,
  add_date              date,
  action_effective_date date,
  termination_date      date,
  action_code           @extschema@.hcpcs_action_code,
  PRIMARY KEY (release, code)
);
COMMENT ON TABLE @extschema@.hcpcs_code IS
  'HCPCS Level II procedure codes of each release (record id 3, long description continued by record id 4)';
COMMENT ON COLUMN @extschema@.hcpcs_code.release IS 'the release this code belongs to';
COMMENT ON COLUMN @extschema@.hcpcs_code.code IS 'the HCPCS Level II code (columns 1-5)';
COMMENT ON COLUMN @extschema@.hcpcs_code.seqnum IS 'SEQNUM (columns 6-10)';
COMMENT ON COLUMN @extschema@.hcpcs_code.long_description IS
  'long description: columns 12-91 of the code record and of its continuation records, joined by a blank';
COMMENT ON COLUMN @extschema@.hcpcs_code.short_description IS 'short description (columns 92-119)';
COMMENT ON COLUMN @extschema@.hcpcs_code.add_date IS 'ADD DT: date the code was added to HCPCS; not active before it';
COMMENT ON COLUMN @extschema@.hcpcs_code.action_effective_date IS 'ACT EFF DT: date the action code took effect';
COMMENT ON COLUMN @extschema@.hcpcs_code.termination_date IS
  'TERM DT: last date of service the code may be used (inclusive); NULL: not terminated';
COMMENT ON COLUMN @extschema@.hcpcs_code.action_code IS
  'ACTION CD: N no change, A added, C long description changed, D discontinued, P payment change, S short description changed (and others)';

CREATE TABLE @extschema@.hcpcs_modifier (
  release               text NOT NULL REFERENCES @extschema@.hcpcs_release ON DELETE CASCADE,
  modifier              text NOT NULL CHECK (modifier ~ '^[0-9A-Z]{2}$'),
  seqnum                integer NOT NULL,
  long_description      text NOT NULL,
  short_description     text NOT NULL,
  add_date              date,
  action_effective_date date,
  termination_date      date,
  action_code           @extschema@.hcpcs_action_code,
  PRIMARY KEY (release, modifier)
);
COMMENT ON TABLE @extschema@.hcpcs_modifier IS
  'HCPCS Level II modifiers of each release (record id 7, long description continued by record id 8)';
COMMENT ON COLUMN @extschema@.hcpcs_modifier.release IS 'the release this modifier belongs to';
COMMENT ON COLUMN @extschema@.hcpcs_modifier.modifier IS 'the 2-character modifier (columns 4-5)';
COMMENT ON COLUMN @extschema@.hcpcs_modifier.seqnum IS 'SEQNUM (columns 6-10)';
COMMENT ON COLUMN @extschema@.hcpcs_modifier.short_description IS 'short description (columns 92-119)';
COMMENT ON COLUMN @extschema@.hcpcs_modifier.add_date IS 'ADD DT: date the modifier was added to HCPCS';
COMMENT ON COLUMN @extschema@.hcpcs_modifier.action_effective_date IS 'ACT EFF DT: date the action code took effect';
COMMENT ON COLUMN @extschema@.hcpcs_modifier.action_code IS 'ACTION CD, as for codes';
COMMENT ON COLUMN @extschema@.hcpcs_modifier.long_description IS
  'long description: columns 12-91 of the modifier record and its continuation records, joined by a blank';
COMMENT ON COLUMN @extschema@.hcpcs_modifier.termination_date IS
  'TERM DT: last date of service the modifier may be used (inclusive); NULL: not terminated';

-- Code sets are public reference data; writes only through the importers.
REVOKE ALL ON @extschema@.icd10cm_release, @extschema@.icd10cm_code,
              @extschema@.hcpcs_release, @extschema@.hcpcs_code, @extschema@.hcpcs_modifier FROM PUBLIC;
GRANT SELECT ON @extschema@.icd10cm_release, @extschema@.icd10cm_code,
                @extschema@.hcpcs_release, @extschema@.hcpcs_code, @extschema@.hcpcs_modifier TO PUBLIC;

-- Any change to a code-set table drops every backend's cached releases.

CREATE TRIGGER codeset_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON @extschema@.icd10cm_release
  FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.cache_changed();
CREATE TRIGGER codeset_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON @extschema@.icd10cm_code
  FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.cache_changed();
CREATE TRIGGER codeset_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON @extschema@.hcpcs_release
  FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.cache_changed();
CREATE TRIGGER codeset_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON @extschema@.hcpcs_code
  FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.cache_changed();
CREATE TRIGGER codeset_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON @extschema@.hcpcs_modifier
  FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.cache_changed();
COMMENT ON TRIGGER codeset_changed ON @extschema@.icd10cm_release IS 'drops cached ICD-10-CM releases in every backend';
COMMENT ON TRIGGER codeset_changed ON @extschema@.icd10cm_code IS 'drops cached ICD-10-CM releases in every backend';
COMMENT ON TRIGGER codeset_changed ON @extschema@.hcpcs_release IS 'drops cached HCPCS releases in every backend';
COMMENT ON TRIGGER codeset_changed ON @extschema@.hcpcs_code IS 'drops cached HCPCS releases in every backend';
COMMENT ON TRIGGER codeset_changed ON @extschema@.hcpcs_modifier IS 'drops cached HCPCS releases in every backend';

-- Importers: file CONTENTS in, number of codes out.
CREATE FUNCTION @extschema@.import_icd10cm_order(release text, effective_from date, effective_to date,
                                                 order_file text) RETURNS integer
  AS 'MODULE_PATHNAME', 'patsvc_import_icd10cm_order'
  LANGUAGE C VOLATILE PARALLEL UNSAFE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.import_icd10cm_order(text, date, date, text) IS
  'loads (or replaces) an ICD-10-CM release from the contents of a CMS order file, in effect on dates of service '
  'effective_from..effective_to (inclusive; NULL: open-ended); returns the number of codes; a malformed line '
  'raises PS102 with its number and changes nothing; the same release, dates and file again is a no-op';
REVOKE ALL ON FUNCTION @extschema@.import_icd10cm_order(text, date, date, text) FROM PUBLIC;

CREATE FUNCTION @extschema@.import_hcpcs(release text, effective_from date, effective_to date,
                                         anweb_file text) RETURNS integer
  AS 'MODULE_PATHNAME', 'patsvc_import_hcpcs'
  LANGUAGE C VOLATILE PARALLEL UNSAFE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.import_hcpcs(text, date, date, text) IS
  'loads (or replaces) a HCPCS Level II release from the contents of a CMS alpha-numeric (ANWEB) file, in effect on '
  'dates of service effective_from..effective_to (inclusive; NULL: open-ended); returns the number of procedure codes; '
  'skips the disclaimer preamble before the first record; a malformed record raises PS102 with its line number';
REVOKE ALL ON FUNCTION @extschema@.import_hcpcs(text, date, date, text) FROM PUBLIC;

-- Lookups by date of service (cached per backend).
CREATE FUNCTION @extschema@.icd10cm_billable(@extschema@.icd10cm, date) RETURNS boolean
  AS 'MODULE_PATHNAME', 'patsvc_icd10cm_billable' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.icd10cm_billable(@extschema@.icd10cm, date) IS
  'true when the code is billable (a leaf) in the ICD-10-CM release in effect on the date of service; false for a '
  'header or a code absent from it; PS101 when no loaded release covers the date';

CREATE FUNCTION @extschema@.hcpcs_active(@extschema@.hcpcs, date) RETURNS boolean
  AS 'MODULE_PATHNAME', 'patsvc_hcpcs_active' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.hcpcs_active(@extschema@.hcpcs, date) IS
  'true when the code is in the HCPCS release in effect on the date of service, on or after its add date and on or '
  'before its termination date; PS101 when no loaded release covers the date';

CREATE FUNCTION @extschema@.icd10cm_description(@extschema@.icd10cm, date) RETURNS text
  AS 'MODULE_PATHNAME', 'patsvc_icd10cm_description' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.icd10cm_description(@extschema@.icd10cm, date) IS
  'long description of the code in the ICD-10-CM release in effect on the date (NULL when absent); PS101 when no '
  'loaded release covers the date';

-- Loaded releases are data, not extension objects: pg_dump keeps them.
SELECT pg_catalog.pg_extension_config_dump('@extschema@.icd10cm_release', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.icd10cm_code', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.hcpcs_release', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.hcpcs_code', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.hcpcs_modifier', '');
