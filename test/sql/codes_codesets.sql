-- Code sets by release: ICD-10-CM order files, billable by date of service.
SET search_path = public, patsvc;
\set VERBOSITY default
\set SHOW_CONTEXT never
SET DateStyle = ISO;

-- Nothing loaded yet: PS101, and the hint says what to load.
SELECT icd10cm_billable('R05', '2021-01-01');
\echo SQLSTATE :LAST_ERROR_SQLSTATE

-- The FY2021 sample (real lines of the CMS order file, CRLF) as a client loads it.
\set f `cat test/fixtures/icd10cm-order-2021-sample.txt`
SELECT import_icd10cm_order('FY2021', '2020-10-01', '2021-09-30', :'f') AS codes,
       (SELECT count(*) FROM regexp_split_to_table(:'f', E'\r\n') AS l WHERE l <> '') AS lines_in_file;
SELECT release, effective, code_count FROM icd10cm_release;
SELECT count(*) AS codes, count(*) FILTER (WHERE billable) AS billable FROM icd10cm_code WHERE release = 'FY2021';

-- Idempotent: the same release, dates and file again changes nothing (not even loaded_at).
CREATE TEMP TABLE before_reimport AS SELECT * FROM icd10cm_release;
SELECT import_icd10cm_order('FY2021', '2020-10-01', '2021-09-30', :'f') AS codes;
SELECT r.loaded_at = b.loaded_at AS same_loaded_at, r.code_count = b.code_count AS same_count
FROM icd10cm_release r JOIN before_reimport b USING (release);
-- LF line endings are read the same way as CRLF.
SELECT import_icd10cm_order('FY2021', '2020-10-01', '2021-09-30', replace(:'f', E'\r\n', E'\n')) AS codes_lf;

-- Billable on a date of service: leaf true, header false, absent false.
SELECT c AS code, icd10cm_billable(c::icd10cm, '2021-01-15') AS billable, kind
FROM (VALUES ('R05', 'leaf, 3 characters'), ('I10', 'leaf, 3 characters'),
             ('E11', 'header'), ('E11.9', 'leaf'), ('M1A.011', 'header'), ('M1A.0110', 'leaf'),
             ('T36.0X1A', 'placeholder X, 7th character'), ('T36.0X1', 'header'),
             ('C4A.0', 'letter category'), ('Z3A', 'header'), ('Z3A.01', 'leaf'),
             ('U07.1', 'chapter 22'), ('Y93.I1', 'letter at position 4'),
             ('E11.99', 'absent: E11.9 is a leaf'), ('A01.0', 'absent from the sample')) AS t(c, kind);
-- every code of the release: the lookup agrees with the table
SELECT count(*) AS codes, count(*) FILTER (WHERE icd10cm_billable(code, '2021-01-15') IS DISTINCT FROM billable) AS disagreements
FROM icd10cm_code WHERE release = 'FY2021';
-- the range is inclusive of both ends; outside it: PS101 naming the loaded releases
SELECT icd10cm_billable('R05', '2020-10-01') AS first_day, icd10cm_billable('R05', '2021-09-30') AS last_day;
SELECT icd10cm_billable('R05', '2020-09-30');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT icd10cm_billable('R05', '2021-10-01');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT icd10cm_billable('R05', 'infinity');
\echo SQLSTATE :LAST_ERROR_SQLSTATE

-- Descriptions (long), for headers too; NULL when absent.
SELECT c AS code, icd10cm_description(c::icd10cm, '2021-01-15') AS description
FROM (VALUES ('E11.9'), ('M1A.0110'), ('T36.0X1A'), ('E11'), ('E11.99')) AS t(c);
SELECT icd10cm_description('E11.9', '2019-01-01');
\echo SQLSTATE :LAST_ERROR_SQLSTATE

-- R05 across fiscal years.  icd10cm-order-2022-constructed.txt is MADE UP for
-- this test from real FY2021 lines: R05 with flag 0 plus the FY2022 leaves
-- R05.1..R05.9 (see test/fixtures/README.md).
\set f22 `cat test/fixtures/icd10cm-order-2022-constructed.txt`
SELECT import_icd10cm_order('FY2022', '2021-10-01', '2022-09-30', :'f22') AS codes;
SELECT c AS code, d AS date_of_service, icd10cm_billable(c::icd10cm, d::date) AS billable,
       icd10cm_description(c::icd10cm, d::date) AS description
FROM (VALUES ('R05', '2021-09-30'), ('R05', '2021-10-01'), ('R05.1', '2021-09-30'), ('R05.1', '2021-10-01'),
             ('R05.9', '2022-09-30')) AS t(c, d);

-- Overlapping ranges are refused (PS103), naming the other release.
SELECT import_icd10cm_order('FY2022-APR', '2022-04-01', '2022-12-31', :'f22');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- Bad release arguments (PS103)
SELECT import_icd10cm_order('FY2023', '2022-10-01', '2022-09-30', :'f22');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT import_icd10cm_order(NULL, '2022-10-01', '2023-09-30', :'f22');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT import_icd10cm_order('  ', '2022-10-01', '2023-09-30', :'f22');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT import_icd10cm_order('FY2023', NULL, '2023-09-30', :'f22');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT import_icd10cm_order('FY2023', '2022-10-01', '2023-09-30', NULL);
\echo SQLSTATE :LAST_ERROR_SQLSTATE

-- Cache invalidation within a session: re-importing FY2022 with other content
-- or dates replaces it, and the next lookup sees the change.
SELECT icd10cm_billable('R05', '2022-01-01') AS r05_before;
SELECT import_icd10cm_order('FY2022', '2021-10-01', '2022-09-30', :'f') AS codes_now;
SELECT icd10cm_billable('R05', '2022-01-01') AS r05_after, icd10cm_billable('R05.1', '2022-01-01') AS r05_1_after;
-- an open-ended release (effective_to NULL) covers every later date
SELECT import_icd10cm_order('FY2022', '2021-10-01', NULL, :'f22') AS codes_open_ended;
SELECT effective FROM icd10cm_release WHERE release = 'FY2022';
SELECT icd10cm_billable('R05', '2030-01-01') AS r05_2030, icd10cm_billable('R05.1', '2030-01-01') AS r05_1_2030;
-- a rolled-back import leaves the previous state, also in this backend's cache
BEGIN;
SELECT import_icd10cm_order('FY2022', '2021-10-01', NULL, :'f') AS codes_in_tx;
SELECT icd10cm_billable('R05', '2030-01-01') AS r05_in_tx;
ROLLBACK;
SELECT icd10cm_billable('R05', '2030-01-01') AS r05_after_rollback;
-- a DBA's plain DELETE also invalidates (statement trigger)
DELETE FROM icd10cm_release WHERE release = 'FY2022';
SELECT icd10cm_billable('R05', '2030-01-01');
\echo SQLSTATE :LAST_ERROR_SQLSTATE

-- Malformed lines: PS102 with the line number and what is wrong; nothing changes.
CREATE TEMP TABLE icd_lines AS
  SELECT n::int, l FROM regexp_split_to_table(:'f', E'\r\n') WITH ORDINALITY AS t(l, n) WHERE l <> '';
CREATE FUNCTION pg_temp.icd_file_with(line int, replacement text) RETURNS text LANGUAGE sql
  AS $$ SELECT string_agg(CASE WHEN n = line THEN replacement ELSE l END, E'\r\n' ORDER BY n) || E'\r\n'
        FROM icd_lines WHERE n <= 12 $$;
SELECT l AS line_5 FROM icd_lines WHERE n = 5;
SELECT import_icd10cm_order('FY2021', '2020-10-01', '2021-09-30', pg_temp.icd_file_with(5, 'X'));
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT import_icd10cm_order('FY2021', '2020-10-01', '2021-09-30',
                            pg_temp.icd_file_with(5, overlay(l placing '0A005' from 1))) FROM icd_lines WHERE n = 5;
SELECT import_icd10cm_order('FY2021', '2020-10-01', '2021-09-30',
                            pg_temp.icd_file_with(5, overlay(l placing '-' from 6))) FROM icd_lines WHERE n = 5;
SELECT import_icd10cm_order('FY2021', '2020-10-01', '2021-09-30',
                            pg_temp.icd_file_with(5, overlay(l placing '1A00   ' from 7))) FROM icd_lines WHERE n = 5;
SELECT import_icd10cm_order('FY2021', '2020-10-01', '2021-09-30',
                            pg_temp.icd_file_with(5, overlay(l placing 'A00.4  ' from 7))) FROM icd_lines WHERE n = 5;
SELECT import_icd10cm_order('FY2021', '2020-10-01', '2021-09-30',
                            pg_temp.icd_file_with(5, overlay(l placing ' A004  ' from 7))) FROM icd_lines WHERE n = 5;
SELECT import_icd10cm_order('FY2021', '2020-10-01', '2021-09-30',
                            pg_temp.icd_file_with(5, overlay(l placing '2' from 15))) FROM icd_lines WHERE n = 5;
SELECT import_icd10cm_order('FY2021', '2020-10-01', '2021-09-30',
                            pg_temp.icd_file_with(5, overlay(l placing repeat(' ', 60) from 17))) FROM icd_lines WHERE n = 5;
SELECT import_icd10cm_order('FY2021', '2020-10-01', '2021-09-30',
                            pg_temp.icd_file_with(5, rpad(substr(l, 1, 77), 90))) FROM icd_lines WHERE n = 5;
SELECT import_icd10cm_order('FY2021', '2020-10-01', '2021-09-30',
                            pg_temp.icd_file_with(5, (SELECT l FROM icd_lines WHERE n = 3)));
SELECT import_icd10cm_order('FY2021', '2020-10-01', '2021-09-30',
                            pg_temp.icd_file_with(5, l || E'\rmore')) FROM icd_lines WHERE n = 5;
SELECT import_icd10cm_order('FY2021', '2020-10-01', '2021-09-30', pg_temp.icd_file_with(5, ''));
SELECT import_icd10cm_order('FY2021', '2020-10-01', '2021-09-30', E'\r\n\r\n');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- FY2021 is as it was
SELECT code_count, (SELECT count(*) FROM icd10cm_code WHERE release = 'FY2021') AS rows FROM icd10cm_release WHERE release = 'FY2021';

-- Privileges: code sets are readable by everyone, written only through the
-- importers, which PUBLIC may not run; a DBA grants EXECUTE to a loader role.
SELECT t AS table_name, has_table_privilege('public', t, 'SELECT') AS public_select,
       has_table_privilege('public', t, 'INSERT') OR has_table_privilege('public', t, 'DELETE') AS public_write
FROM unnest(ARRAY['patsvc.icd10cm_release', 'patsvc.icd10cm_code', 'patsvc.hcpcs_release',
                  'patsvc.hcpcs_code', 'patsvc.hcpcs_modifier']) AS t;
SELECT f AS function, has_function_privilege('public', f, 'EXECUTE') AS public_execute
FROM unnest(ARRAY['patsvc.import_icd10cm_order(text,date,date,text)', 'patsvc.import_hcpcs(text,date,date,text)',
                  'patsvc.icd10cm_billable(patsvc.icd10cm,date)', 'patsvc.hcpcs_active(patsvc.hcpcs,date)',
                  'patsvc.icd10cm_description(patsvc.icd10cm,date)']) AS f;
CREATE ROLE regress_patsvc_clerk;
CREATE ROLE regress_patsvc_loader;
GRANT EXECUTE ON FUNCTION patsvc.import_icd10cm_order(text, date, date, text) TO regress_patsvc_loader;
SET ROLE regress_patsvc_clerk;
SELECT import_icd10cm_order('FY2020', '2019-10-01', '2020-09-30', :'f22');
INSERT INTO icd10cm_release VALUES ('FY2020', '[2019-10-01,2020-09-30]', 1, 'x');
SELECT icd10cm_billable('E11.9', '2021-01-01') AS clerk_can_look_up;
RESET ROLE;
SET ROLE regress_patsvc_loader;
SELECT import_icd10cm_order('FY2020', '2019-10-01', '2020-09-30', :'f22') AS loader_imports;
RESET ROLE;
DROP ROLE regress_patsvc_clerk;
REVOKE ALL ON FUNCTION patsvc.import_icd10cm_order(text, date, date, text) FROM regress_patsvc_loader;
DROP ROLE regress_patsvc_loader;

-- leave no code sets behind for other test files
DELETE FROM icd10cm_release;
