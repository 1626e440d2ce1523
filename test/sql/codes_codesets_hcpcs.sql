-- Code sets by release: HCPCS Level II alpha-numeric files, active by date of service.
SET search_path = public, patsvc;
\set VERBOSITY default
\set SHOW_CONTEXT never
SET DateStyle = ISO;

SELECT hcpcs_active('J1100', '2020-06-01');
\echo SQLSTATE :LAST_ERROR_SQLSTATE

-- The sample holds real records of the 2020 file, with its disclaimer preamble,
-- which is Windows-1252 text (a right quote, byte 0x92): the client says so,
-- and the server converts to the database encoding.
\set h `cat test/fixtures/hcpcs-2020-anweb-sample.txt`
\encoding WIN1252
CREATE TEMP TABLE hc_lines AS
  SELECT n::int, l FROM regexp_split_to_table(:'h', E'\r\n') WITH ORDINALITY AS t(l, n);
-- the file again, with line number `line` replaced (0: unchanged)
CREATE FUNCTION pg_temp.hc_file_with(line int, replacement text) RETURNS text LANGUAGE sql
  AS $$ SELECT string_agg(CASE WHEN n = line THEN replacement ELSE l END, E'\r\n' ORDER BY n)
        FROM hc_lines $$;
SELECT import_hcpcs('2020', '2020-01-01', '2020-12-31', :'h') AS codes,
       (SELECT count(*) FROM hc_lines WHERE substr(l, 11, 1) = '3') AS code_records_in_file;
SELECT release, effective, code_count, modifier_count,
       (SELECT count(*) FROM hc_lines WHERE substr(l, 11, 1) = '7') AS modifier_records_in_file
FROM hcpcs_release;
-- the preamble: the lines before the first record
SELECT n, length(l) AS length, substr(l, 1, 40) AS starts FROM hc_lines WHERE n < 11 ORDER BY n;
-- idempotent
SELECT import_hcpcs('2020', '2020-01-01', '2020-12-31', pg_temp.hc_file_with(0, NULL)) AS codes_again,
       pg_temp.hc_file_with(0, NULL) = :'h' AS same_file;
\encoding UTF8

-- Codes: continuation records (id 4) are joined to the long description with a blank.
SELECT code, seqnum, long_description, short_description, add_date, action_effective_date, termination_date, action_code
FROM hcpcs_code WHERE code IN ('A0021', 'J1100', 'A7011') ORDER BY code;
SELECT modifier, long_description, short_description FROM hcpcs_modifier WHERE modifier IN ('AD', 'A1') ORDER BY 1;
SELECT count(*) AS codes, count(termination_date) AS terminated,
       max(length(long_description)) > 80 AS continued_beyond_80
FROM hcpcs_code;

-- Active: in the release, on or after ADD DT, on or before TERM DT (the last
-- day the code may be used).  A7011 was terminated 2015-12-31: inactive in 2020.
-- U0001 (COVID-19 lab test) was added after the annual 2020 file: absent.
SELECT c AS code, hcpcs_active(c::hcpcs, '2020-06-01') AS active
FROM (VALUES ('J1100'), ('A0021'), ('A7011'), ('U0001'), ('J9999')) AS t(c);
SELECT count(*) FILTER (WHERE hcpcs_active(code, '2020-06-01') <> (termination_date IS NULL)) AS disagreements
FROM hcpcs_code;
SELECT hcpcs_active('J1100', '2021-01-01');
\echo SQLSTATE :LAST_ERROR_SQLSTATE

-- Before and after a termination date inside the release: J1100's record is
-- CONSTRUCTED here with ADD DT 2020-04-01 and TERM DT 2020-06-30 (the real
-- record: added 1982-01-01, not terminated); re-importing invalidates the cache.
SELECT import_hcpcs('2020', '2020-01-01', '2020-12-31',
                    pg_temp.hc_file_with(n, overlay(overlay(l placing '20200401' from 269) placing '20200630' from 285))) AS codes
FROM hc_lines WHERE l LIKE 'J1100%';
SELECT d AS date_of_service, hcpcs_active('J1100', d::date) AS active
FROM (VALUES ('2020-03-31'), ('2020-04-01'), ('2020-06-30'), ('2020-07-01')) AS t(d);

-- Windows-1252 in a description: A0021's comma CONSTRUCTED into a right quote
-- (byte 0x92 in the file).  Columns are counted in the file's bytes, so the
-- short description and dates after it are still found.
SELECT import_hcpcs('2020', '2020-01-01', '2020-12-31',
                    pg_temp.hc_file_with(n, overlay(l placing convert_from('\x92', 'WIN1252') from 29))) AS codes
FROM hc_lines WHERE l LIKE 'A0021%';
SELECT code, position(U&'\2019' IN long_description) AS quote_at, length(long_description), short_description, add_date
FROM hcpcs_code WHERE code = 'A0021';

-- The preamble rule: lines before the first record are skipped; a file
-- without a preamble loads the same.
SELECT import_hcpcs('2020', '2020-01-01', '2020-12-31',
                    (SELECT string_agg(l, E'\r\n' ORDER BY n) FROM hc_lines WHERE n >= 10)) AS codes_without_preamble;
-- more than 50 preamble lines: refused
SELECT import_hcpcs('2020', '2020-01-01', '2020-12-31', repeat(E'Disclaimer text\r\n', 51) || pg_temp.hc_file_with(0, NULL));
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- a line shaped like a record but of the wrong length is not preamble
SELECT import_hcpcs('2020', '2020-01-01', '2020-12-31', pg_temp.hc_file_with(10, substr(l, 1, 300)))
FROM hc_lines WHERE n = 10;

-- Malformed records: PS102 with the line number; nothing changes.
SELECT import_hcpcs('2020', '2020-01-01', '2020-12-31', pg_temp.hc_file_with(n, overlay(l placing '5' from 11)))
FROM hc_lines WHERE l LIKE 'J1100%';
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT import_hcpcs('2020', '2020-01-01', '2020-12-31', pg_temp.hc_file_with(n, overlay(l placing 'W1234' from 1)))
FROM hc_lines WHERE l LIKE 'J1100%';
SELECT import_hcpcs('2020', '2020-01-01', '2020-12-31', pg_temp.hc_file_with(n, overlay(l placing ' J110' from 1)))
FROM hc_lines WHERE l LIKE 'J1100%';
SELECT import_hcpcs('2020', '2020-01-01', '2020-12-31', pg_temp.hc_file_with(n, overlay(l placing '001X0' from 6)))
FROM hc_lines WHERE l LIKE 'J1100%';
SELECT import_hcpcs('2020', '2020-01-01', '2020-12-31', pg_temp.hc_file_with(n, overlay(l placing '20201301' from 269)))
FROM hc_lines WHERE l LIKE 'J1100%';
SELECT import_hcpcs('2020', '2020-01-01', '2020-12-31', pg_temp.hc_file_with(n, overlay(l placing '2020-6-1' from 285)))
FROM hc_lines WHERE l LIKE 'J1100%';
SELECT import_hcpcs('2020', '2020-01-01', '2020-12-31', pg_temp.hc_file_with(n, overlay(l placing '1' from 293)))
FROM hc_lines WHERE l LIKE 'J1100%';
SELECT import_hcpcs('2020', '2020-01-01', '2020-12-31', pg_temp.hc_file_with(n, overlay(l placing repeat(' ', 80) from 12)))
FROM hc_lines WHERE l LIKE 'J1100%';
SELECT import_hcpcs('2020', '2020-01-01', '2020-12-31', pg_temp.hc_file_with(n, overlay(l placing ' A!' from 3)))
FROM hc_lines WHERE l LIKE '   AD001007%';
-- a duplicate code, an orphan continuation, a continuation of another code
SELECT import_hcpcs('2020', '2020-01-01', '2020-12-31',
                    pg_temp.hc_file_with(n, (SELECT l FROM hc_lines WHERE l LIKE 'A0021%')))
FROM hc_lines WHERE l LIKE 'J1100%';
SELECT import_hcpcs('2020', '2020-01-01', '2020-12-31',
                    pg_temp.hc_file_with(n, overlay((SELECT l FROM hc_lines WHERE l LIKE '   AD002008%') placing '   A1' from 1)))
FROM hc_lines WHERE l LIKE 'J1100%';
SELECT import_hcpcs('2020', '2020-01-01', '2020-12-31',
                    pg_temp.hc_file_with(n, overlay(l placing '   AC' from 1)))
FROM hc_lines WHERE l LIKE '   AD002008%';
SELECT import_hcpcs('2020', '2020-01-01', '2020-12-31', E'just a preamble\r\n');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT code_count, (SELECT count(*) FROM hcpcs_code) AS rows FROM hcpcs_release;

DELETE FROM hcpcs_release;
