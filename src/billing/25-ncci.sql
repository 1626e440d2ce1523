-- ---- NCCI procedure-to-procedure edits and medically unlikely edits ---------
-- Loaded from the practitioner files as CMS ships them (src/billing/ncci.c);
-- read by the scrubber through a per-backend cache (dropped by cache_changed).
-- Reference data without patient information: SELECT for everyone, writes
-- only through the importers.

CREATE TABLE @extschema@.ncci_ptp_release (
  release   @extschema@.code_set_release PRIMARY KEY,
  loaded_at timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp()
);
COMMENT ON TABLE @extschema@.ncci_ptp_release IS
  'loaded NCCI PTP releases (practitioner edits, e.g. v261r0); the scrubber uses the one loaded last, whose files carry every edit with its effective and deletion dates';
COMMENT ON COLUMN @extschema@.ncci_ptp_release.release IS 'release name given at import (CMS version, e.g. v261r0)';
COMMENT ON COLUMN @extschema@.ncci_ptp_release.loaded_at IS 'when its first file was loaded';

CREATE TABLE @extschema@.ncci_ptp (
  release            text NOT NULL REFERENCES @extschema@.ncci_ptp_release ON DELETE CASCADE,
  file_md5           text NOT NULL,
  line_number        integer NOT NULL,
  column_one         text NOT NULL,
  column_two         text NOT NULL,
  prior_1996         boolean NOT NULL,
  effective          date NOT NULL,
  deletion           date,
  modifier_indicator smallint NOT NULL CHECK (modifier_indicator IN (0, 1, 9)),
  rationale          text NOT NULL,
  PRIMARY KEY (release, file_md5, line_number)
);
CREATE INDEX ncci_ptp_pair ON @extschema@.ncci_ptp (column_one, column_two);
COMMENT ON TABLE @extschema@.ncci_ptp IS
  'NCCI practitioner procedure-to-procedure edits, one row per line of the CMS files (a release ships in several files; a pair may repeat with other dates)';
COMMENT ON COLUMN @extschema@.ncci_ptp.release IS 'the release';
COMMENT ON COLUMN @extschema@.ncci_ptp.file_md5 IS 'md5 of the file the row came from: importing the same file again is a no-op';
COMMENT ON COLUMN @extschema@.ncci_ptp.line_number IS 'line in that file';
COMMENT ON COLUMN @extschema@.ncci_ptp.column_one IS 'column one code (paid)';
COMMENT ON COLUMN @extschema@.ncci_ptp.column_two IS 'column two code (denied with the column one code unless bypassed)';
COMMENT ON COLUMN @extschema@.ncci_ptp.prior_1996 IS 'column 3 "*": the edit existed before 1996';
COMMENT ON COLUMN @extschema@.ncci_ptp.effective IS 'first date of service the edit applies to';
COMMENT ON COLUMN @extschema@.ncci_ptp.deletion IS 'deletion date (the edit no longer applies from that date of service); NULL for * (not deleted)';
COMMENT ON COLUMN @extschema@.ncci_ptp.modifier_indicator IS
  '0 no modifier bypasses the edit, 1 an NCCI-associated modifier on the column two code bypasses it, 9 not applicable (a deleted edit)';
COMMENT ON COLUMN @extschema@.ncci_ptp.rationale IS 'PTP edit rationale as CMS states it';

CREATE TABLE @extschema@.mue_release (
  release    @extschema@.code_set_release PRIMARY KEY,
  effective  @extschema@.code_set_effective NOT NULL,
  code_count integer NOT NULL CHECK (code_count > 0),
  file_md5   text NOT NULL,
  loaded_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
  EXCLUDE USING gist (effective WITH &&)
);
COMMENT ON TABLE @extschema@.mue_release IS
  'loaded practitioner MUE tables, each in effect for a range of dates of service (quarterly); ranges never overlap';
COMMENT ON COLUMN @extschema@.mue_release.release IS 'release name given at import (e.g. 2021Q1)';
COMMENT ON COLUMN @extschema@.mue_release.effective IS 'dates of service it applies to; open upper bound: no end yet';
COMMENT ON COLUMN @extschema@.mue_release.code_count IS 'number of codes in the file';
COMMENT ON COLUMN @extschema@.mue_release.file_md5 IS 'md5 of the file: the same release, dates and file again is a no-op';
COMMENT ON COLUMN @extschema@.mue_release.loaded_at IS 'when it was (re)loaded';

CREATE TABLE @extschema@.mue (
  release        text NOT NULL REFERENCES @extschema@.mue_release ON DELETE CASCADE,
  code           text NOT NULL,
  mue_value      integer NOT NULL CHECK (mue_value >= 0),
  mai            smallint NOT NULL CHECK (mai BETWEEN 1 AND 3),
  adjudication   text NOT NULL,
  rationale      text NOT NULL,
  PRIMARY KEY (release, code)
);
COMMENT ON TABLE @extschema@.mue IS 'medically unlikely edits: the most units of a code per patient per date of service';
COMMENT ON COLUMN @extschema@.mue.release IS 'the release';
COMMENT ON COLUMN @extschema@.mue.code IS 'CPT or HCPCS code';
COMMENT ON COLUMN @extschema@.mue.mue_value IS 'the most units';
COMMENT ON COLUMN @extschema@.mue.mai IS
  'MUE adjudication indicator: 1 per claim line, 2 per date of service (policy, absolute), 3 per date of service (clinical)';
COMMENT ON COLUMN @extschema@.mue.adjudication IS 'the indicator''s text in the file (1 Line Edit, 2 Date of Service Edit: Policy, ...)';
COMMENT ON COLUMN @extschema@.mue.rationale IS 'MUE rationale as CMS states it';

REVOKE ALL ON @extschema@.ncci_ptp_release, @extschema@.ncci_ptp, @extschema@.mue_release, @extschema@.mue FROM PUBLIC;
GRANT SELECT ON @extschema@.ncci_ptp_release, @extschema@.ncci_ptp, @extschema@.mue_release, @extschema@.mue TO PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('@extschema@.ncci_ptp_release', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.ncci_ptp', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.mue_release', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.mue', '');

CREATE TRIGGER ncci_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON @extschema@.ncci_ptp_release
  FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.cache_changed();
CREATE TRIGGER ncci_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON @extschema@.ncci_ptp
  FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.cache_changed();
CREATE TRIGGER ncci_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON @extschema@.mue_release
  FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.cache_changed();
CREATE TRIGGER ncci_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON @extschema@.mue
  FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.cache_changed();
COMMENT ON TRIGGER ncci_changed ON @extschema@.ncci_ptp_release IS 'drops every backend''s cached NCCI edits';
COMMENT ON TRIGGER ncci_changed ON @extschema@.ncci_ptp IS 'drops every backend''s cached NCCI edits';
COMMENT ON TRIGGER ncci_changed ON @extschema@.mue_release IS 'drops every backend''s cached MUEs';
COMMENT ON TRIGGER ncci_changed ON @extschema@.mue IS 'drops every backend''s cached MUEs';
-- rows applied by logical replication fire no statement trigger (src/scheduling/50-replicas.sql)
DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['ncci_ptp_release', 'ncci_ptp', 'mue_release', 'mue'] LOOP
    EXECUTE pg_catalog.format('CREATE TRIGGER ncci_replica_changed AFTER INSERT OR UPDATE OR DELETE ON @extschema@.%I'
                              ' FOR EACH ROW EXECUTE FUNCTION @extschema@.cache_changed()', t);
    EXECUTE pg_catalog.format('ALTER TABLE @extschema@.%I ENABLE REPLICA TRIGGER ncci_replica_changed', t);
    EXECUTE pg_catalog.format('COMMENT ON TRIGGER ncci_replica_changed ON @extschema@.%I IS %L', t,
      'rows applied by logical replication (session_replication_role = replica) drop every backend''s cached NCCI edits and MUEs, as trigger ncci_changed does for ordinary writes');
  END LOOP;
END $$;

CREATE FUNCTION @extschema@.import_ncci_ptp(release text, file text) RETURNS integer
  AS 'MODULE_PATHNAME', 'patsvc_import_ncci_ptp'
  LANGUAGE C VOLATILE PARALLEL UNSAFE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.import_ncci_ptp(text, text) IS
  'loads one file of an NCCI practitioner PTP release as CMS ships it (tab-delimited, notice and wrapped header lines first, 7 columns); returns its number of edits; a release''s other files add to it, the same file again is a no-op; a malformed line raises PS606 with its number and nothing is imported';
REVOKE ALL ON FUNCTION @extschema@.import_ncci_ptp(text, text) FROM PUBLIC;

CREATE FUNCTION @extschema@.import_mue(release text, effective_from date, effective_to date, file text) RETURNS integer
  AS 'MODULE_PATHNAME', 'patsvc_import_mue'
  LANGUAGE C VOLATILE PARALLEL UNSAFE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.import_mue(text, date, date, text) IS
  'loads (or replaces) a practitioner MUE table as CMS ships it (CSV, quoted notice record and header first; code, MUE value, adjudication indicator text whose leading digit is the MAI, rationale), in effect on dates of service effective_from..effective_to (inclusive; NULL: open-ended); returns the number of codes; the same release, dates and file again is a no-op; a malformed line raises PS606 with its number and nothing is imported';
REVOKE ALL ON FUNCTION @extschema@.import_mue(text, date, date, text) FROM PUBLIC;
