\echo
\echo '=== 2. Code sets by release: is this code billable on this date of service? ==='
SET search_path = public, patsvc;
SET DateStyle = ISO;
-- The official CMS ICD-10-CM order file (FY2021) when :cms_dir has it, else the shipped sample of it.
\set icd_file :cms_dir/icd10cm-order-2021.txt
\set have_file `test -f :'icd_file' && echo true || echo false`
\if :have_file
\else
\set icd_file :cms_dir/icd10cm-order-2021-sample.txt
\endif
\echo loading :icd_file
-- The clerk's psql reads the file on the client; the server needs no file access.
\set f `cat :'icd_file'`
SELECT import_icd10cm_order('FY2021', '2020-10-01', '2021-09-30', :'f') AS fy2021_codes;
-- Loading the same release again changes nothing and returns the same count
SELECT import_icd10cm_order('FY2021', '2020-10-01', '2021-09-30', :'f') AS fy2021_codes_again;
-- FY2022 made R05 (cough) a header with leaves R05.1-R05.9.  This FY2022 file is
-- CONSTRUCTED from real lines for the demo (test/fixtures/README.md).
\set f22 `cat test/fixtures/icd10cm-order-2022-constructed.txt`
SELECT import_icd10cm_order('FY2022', '2021-10-01', '2022-09-30', :'f22') AS fy2022_codes;
SELECT release, effective, code_count FROM icd10cm_release ORDER BY effective;

-- Same code, two dates of service: billable in FY2021, a header in FY2022
SELECT code, dos AS date_of_service, icd10cm_billable(code, dos) AS billable, icd10cm_description(code, dos) AS description
FROM (VALUES ('R05'::icd10cm, '2021-06-01'::date), ('R05', '2022-06-01'), ('R05.1', '2022-06-01')) AS t(code, dos);
-- A header is well-formed but not billable; a code absent from the release is not billable either
SELECT code, icd10cm_billable(code, '2021-06-01') AS billable, icd10cm_description(code, '2021-06-01') AS description
FROM (VALUES ('E11'::icd10cm), ('E11.9'), ('M1A.011'), ('M1A.0110'), ('E11.99')) AS t(code);
-- A date no loaded release covers is an error, not a guess (SQLSTATE PS101)
SELECT icd10cm_billable('E11.9', '2019-06-01');

-- HCPCS Level II: the 2020 alpha-numeric file (Windows-1252, with a disclaimer preamble that is skipped)
\set hcpcs_file :cms_dir/hcpcs-2020-anweb.txt
\set have_file `test -f :'hcpcs_file' && echo true || echo false`
\if :have_file
\else
\set hcpcs_file :cms_dir/hcpcs-2020-anweb-sample.txt
\endif
\encoding WIN1252
\set h `cat :'hcpcs_file'`
SELECT import_hcpcs('2020', '2020-01-01', '2020-12-31', :'h') AS hcpcs_2020_codes;
\encoding UTF8
-- A7011 is still in the file but was terminated (TERM DT = last usable day)
SELECT code, hcpcs_active(code, '2020-06-01') AS active_2020_06_01, termination_date, long_description
FROM hcpcs_code WHERE code IN ('J1100', 'A7011') ORDER BY code;

-- A day's claim lines checked in one pass (the lookups are cached per backend)
SELECT claim, dx, dos, icd10cm_billable(dx, dos) AS dx_billable
FROM (VALUES (1, 'E11.9'::icd10cm, '2021-03-02'::date), (2, 'E11', '2021-03-02'),
             (3, 'R05', '2021-09-30'), (4, 'R05', '2021-10-01'), (5, 'U07.1', '2021-01-05')) AS t(claim, dx, dos);
-- A malformed file is refused with the line number, and nothing changes (SQLSTATE PS102)
SELECT import_icd10cm_order('FY2021', '2020-10-01', '2021-09-30', replace(:'f', '00005 A01     0', '00005 A01     2'));
