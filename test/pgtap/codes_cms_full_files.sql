-- Every billable code of an ICD-10-CM order file and every code of a HCPCS
-- alpha-numeric file passes type input and round-trips text -> type -> text,
-- the importers load every code, and the cached lookups agree with the file.
-- Always on the shipped fixtures; on the full 2021/2020 CMS files when
-- $PATSVC_CMS_DIR (default ../shared/data/cms) holds them, skipped otherwise.
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS patsvc;
BEGIN;
SELECT plan(16);
SET search_path = public, patsvc;

\set cms `echo "${PATSVC_CMS_DIR:-../shared/data/cms}"`
\set have_cms `test -f :'cms'/icd10cm-order-2021.txt && test -f :'cms'/hcpcs-2020-anweb.txt && echo true || echo false`

-- The lines of a file: number, text without CR.
CREATE FUNCTION pg_temp.file_lines(content text) RETURNS TABLE (n bigint, l text) LANGUAGE sql AS $$
  SELECT n, rtrim(l, E'\r') FROM regexp_split_to_table(content, E'\n') WITH ORDINALITY AS t(l, n)
  WHERE rtrim(l, E'\r') <> '' $$;

-- Four checks of an ICD-10-CM order file loaded as release FY2021.
CREATE FUNCTION pg_temp.icd10cm_checks(content text, what text) RETURNS SETOF text LANGUAGE plpgsql AS $$
BEGIN
  CREATE TEMP TABLE icd_file ON COMMIT DROP AS
    SELECT rtrim(substr(l, 7, 7)) AS code, substr(l, 15, 1) = '1' AS billable FROM pg_temp.file_lines(content);
  RETURN NEXT is(import_icd10cm_order('FY2021', '2020-10-01', '2021-09-30', content),
                 (SELECT count(*)::int FROM icd_file), what || ': the import loads every line');
  RETURN NEXT is((SELECT count(*) FROM icd_file WHERE billable AND NOT is_valid_icd10cm(code)), 0::bigint,
                 what || ': every billable code passes icd10cm input');
  RETURN NEXT is((SELECT count(*) FROM icd_file WHERE billable AND replace(code::icd10cm::text, '.', '') <> code),
                 0::bigint, what || ': every billable code round-trips text -> icd10cm -> text');
  RETURN NEXT is((SELECT count(*) FROM icd_file
                  WHERE icd10cm_billable(code::icd10cm, '2021-03-01') IS DISTINCT FROM billable),
                 0::bigint, what || ': icd10cm_billable agrees with the file''s flag for every code');
  DELETE FROM icd10cm_release WHERE release = 'FY2021';
  DROP TABLE icd_file;
END $$;

-- Four checks of a HCPCS file loaded as release 2020.
CREATE FUNCTION pg_temp.hcpcs_checks(content text, what text) RETURNS SETOF text LANGUAGE plpgsql AS $$
BEGIN
  CREATE TEMP TABLE hcpcs_file ON COMMIT DROP AS
    SELECT substr(l, 1, 5) AS code, nullif(btrim(substr(l, 285, 8)), '') AS term
    FROM pg_temp.file_lines(content) WHERE substr(l, 11, 1) = '3' AND substr(l, 6, 5) ~ '^[0-9]{5}$';
  RETURN NEXT is(import_hcpcs('2020', '2020-01-01', '2020-12-31', content),
                 (SELECT count(*)::int FROM hcpcs_file), what || ': the import loads every code record');
  RETURN NEXT is((SELECT count(*) FROM hcpcs_file WHERE NOT is_valid_hcpcs(code)), 0::bigint,
                 what || ': every code passes hcpcs input');
  RETURN NEXT is((SELECT count(*) FROM hcpcs_file WHERE code::hcpcs::text <> code), 0::bigint,
                 what || ': every code round-trips text -> hcpcs -> text');
  RETURN NEXT is((SELECT count(*) FROM hcpcs_file
                  WHERE hcpcs_active(code::hcpcs, '2020-06-01') IS DISTINCT FROM (term IS NULL OR term >= '20200601')),
                 0::bigint, what || ': hcpcs_active agrees with the file''s termination dates');
  DELETE FROM hcpcs_release WHERE release = '2020';
  DROP TABLE hcpcs_file;
END $$;

-- The shipped fixtures: always.  The HCPCS text is Windows-1252.
\set icd `cat test/fixtures/icd10cm-order-2021-sample.txt`
SELECT pg_temp.icd10cm_checks(:'icd', 'fixture icd10cm-order-2021-sample.txt');
\encoding WIN1252
\set hcpcs `cat test/fixtures/hcpcs-2020-anweb-sample.txt`
SELECT pg_temp.hcpcs_checks(:'hcpcs', 'fixture hcpcs-2020-anweb-sample.txt');
\encoding UTF8

\if :have_cms
\set icd `cat :'cms'/icd10cm-order-2021.txt`
SELECT pg_temp.icd10cm_checks(:'icd', 'CMS icd10cm-order-2021.txt');
\encoding WIN1252
\set hcpcs `cat :'cms'/hcpcs-2020-anweb.txt`
SELECT pg_temp.hcpcs_checks(:'hcpcs', 'CMS hcpcs-2020-anweb.txt');
\encoding UTF8
\else
SELECT skip('the CMS files are not in PATSVC_CMS_DIR (' || :'cms' || ')', 8);
\endif

SELECT * FROM finish();
ROLLBACK;
