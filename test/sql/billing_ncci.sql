-- NCCI PTP and MUE importers: the official practitioner layouts (notice and
-- wrapped header lines, CSV with a quoted notice record), idempotence per
-- release and file, a release in several files, every malformed line refused
-- with its number and nothing imported, arguments, privileges.
SET search_path = public, patsvc;
\set VERBOSITY default
\set SHOW_CONTEXT never
SET DateStyle = ISO;
\set p `cat test/data/ncci-ptp-practitioner-constructed.txt`
\set m `cat test/data/mue-practitioner-constructed.csv`

-- PTP: 6 edits after a notice line, an empty line and a header wrapped over 4 lines
SELECT import_ncci_ptp('v261r0', :'p') AS edits;
SELECT line_number, column_one, column_two, prior_1996, effective, deletion, modifier_indicator, rationale
FROM ncci_ptp ORDER BY line_number;
-- the same file again: a no-op
SELECT import_ncci_ptp('v261r0', :'p') AS edits_again, (SELECT count(*) FROM ncci_ptp) AS rows;
-- a second file of the release (f2) adds its edits
SELECT import_ncci_ptp('v261r0', E'notice\r\nColumn 1\tColumn 2\r\nJ0129\tJ1100\t\t20200101\t*\t0\tMutually exclusive procedures\r\n') AS f2_edits;
SELECT count(*) AS rows, count(DISTINCT file_md5) AS files, count(DISTINCT release) AS releases FROM ncci_ptp;

-- malformed lines: each refused with its line number, nothing imported
CREATE TEMP TABLE ptp_lines AS
  SELECT n::int, l FROM regexp_split_to_table(:'p', E'\r\n') WITH ORDINALITY AS t(l, n);
CREATE FUNCTION pg_temp.ptp_with(line int, replacement text) RETURNS text LANGUAGE sql
  AS $$ SELECT string_agg(CASE WHEN n = line THEN replacement ELSE l END, E'\r\n' ORDER BY n) FROM ptp_lines $$;
CREATE TEMP TABLE ptp_bad (what text, line text);
INSERT INTO ptp_bad VALUES
  ('6 columns', E'G0008\tJ0129\t\t20200101\t*\t0'),
  ('8 columns', E'G0008\tJ0129\t\t20200101\t*\t0\twhy\textra'),
  ('column one', E'G008\tJ0129\t\t20200101\t*\t0\twhy'),
  ('column two', E'G0008\tj0129\t\t20200101\t*\t0\twhy'),
  ('column 3', E'G0008\tJ0129\tx\t20200101\t*\t0\twhy'),
  ('effective date', E'G0008\tJ0129\t\t20200230\t*\t0\twhy'),
  ('deletion date', E'G0008\tJ0129\t\t20200101\t2020-06-01\t0\twhy'),
  ('deletion before effective', E'G0008\tJ0129\t\t20200101\t20191231\t0\twhy'),
  ('modifier indicator', E'G0008\tJ0129\t\t20200101\t*\t2\twhy');
CREATE FUNCTION pg_temp.import_error(file text, OUT state text, OUT message text) LANGUAGE plpgsql AS $$
BEGIN
  PERFORM import_ncci_ptp('bad', file);
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT;
END $$;
SELECT b.what, e.state, e.message FROM ptp_bad b, LATERAL pg_temp.import_error(pg_temp.ptp_with(9, b.line)) e;
-- an edit line in the data where the file goes on with more notice text
SELECT * FROM pg_temp.import_error(pg_temp.ptp_with(12, 'End of file notice'));
SELECT import_ncci_ptp('bad', E'just a notice\r\n');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT import_ncci_ptp('bad', pg_temp.ptp_with(9, E'G0008\tJ0129\t\t20200101\t*\t3\twhy'));
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT import_ncci_ptp(' ', :'p');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT import_ncci_ptp('v1', NULL);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT count(*) AS releases_still FROM ncci_ptp_release;

-- MUE: the quoted notice runs over two lines and holds a doubled quote; a rationale holds a comma
SELECT import_mue('2020Q4', '2020-10-01', '2020-12-31', :'m') AS codes;
SELECT release, code, mue_value, mai, adjudication, rationale FROM mue ORDER BY code;
SELECT release, effective, code_count FROM mue_release;
SELECT import_mue('2020Q4', '2020-10-01', '2020-12-31', :'m') AS codes_again;
-- replaced: same release, another file
SELECT import_mue('2020Q4', '2020-10-01', '2020-12-31', replace(:'m', 'G0008,1,', 'G0008,2,')) AS replaced;
SELECT code, mue_value FROM mue WHERE code = 'G0008';
CREATE TEMP TABLE mue_bad (what text, find text, replacement text);
INSERT INTO mue_bad VALUES
  ('value', 'J1100,20,', 'J1100,2O,'),
  ('negative value', 'J1100,20,', 'J1100,-2,'),
  ('indicator', '3 Date of Service Edit: Clinical,"Clinical', '4 Date of Service Edit: Clinical,"Clinical'),
  ('indicator without a digit', '3 Date of Service Edit: Clinical,"Clinical', 'Date of Service Edit: Clinical,"Clinical'),
  ('3 fields', ',CMS Policy', ''),
  ('5 fields', ',CMS Policy', ',CMS Policy,x'),
  ('code', 'Q2034,', 'Q203,'),
  ('duplicate code', 'Q2034,', 'G0008,'),
  ('text after a quote', '"Clinical: Data, Prescribing Information"', '"Clinical: Data"x'),
  ('unclosed quote', '"Clinical: Data, Prescribing Information"', '"Clinical: Data, Prescribing Information');
CREATE FUNCTION pg_temp.mue_error(file text, OUT state text, OUT message text) LANGUAGE plpgsql AS $$
BEGIN
  PERFORM import_mue('bad', '2019-01-01', '2019-03-31', file);
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT;
END $$;
SELECT b.what, e.state, e.message FROM mue_bad b, LATERAL pg_temp.mue_error(replace(:'m', b.find, b.replacement)) e;
SELECT import_mue('bad', '2019-01-01', '2019-03-31', replace(:'m', 'Q2034,1,', 'Q2034,x,'));
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT count(*) AS mue_releases_still FROM mue_release;
-- the next quarter, open-ended
SELECT import_mue('2021Q1', '2021-01-01', NULL, :'m') AS next_quarter;
SELECT release, effective, code_count FROM mue_release ORDER BY effective;
SELECT import_mue('2021Q2', '2021-03-01', '2021-06-30', :'m');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT import_mue('2021Q2', '2021-06-30', '2021-04-01', :'m');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT import_mue('2021Q2', NULL, NULL, :'m');
\echo SQLSTATE :LAST_ERROR_SQLSTATE


-- the importers are the admin's; everybody reads the edits
CREATE ROLE regress_ncci_admin LOGIN IN ROLE patsvc_admin;
CREATE ROLE regress_ncci_biller LOGIN IN ROLE patsvc_biller;
SET ROLE regress_ncci_biller;
SELECT import_ncci_ptp('v2', :'p');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT count(*) AS edits_visible FROM ncci_ptp;
SET ROLE regress_ncci_admin;
SELECT import_mue('2021Q1', '2021-01-01', NULL, :'m') AS admin_loads;
RESET ROLE;
DROP ROLE regress_ncci_admin, regress_ncci_biller;

DELETE FROM ncci_ptp_release;
DELETE FROM mue_release;
