#!/usr/bin/env bash
# icd10cm_billable(code, date) over 1,000,000 (code, date of service) rows vs
# the same answer from a join against the reference tables (release by date
# range, then code), same cluster, same run, best of 3 each, serial plans.
# Also times the import of both full CMS files against the 5 s budget.
# Run by tools/bench.sh inside a throw-away cluster (cwd: repository root).
set -euo pipefail
cms=${PATSVC_CMS_DIR:-../shared/data/cms}
icd=$cms/icd10cm-order-2021.txt
hcpcs=$cms/hcpcs-2020-anweb.txt
if [ ! -f "$icd" ] || [ ! -f "$hcpcs" ]; then
    echo "note: CMS files not found in $cms; using the shipped samples (numbers are not comparable)"
    icd=test/fixtures/icd10cm-order-2021-sample.txt
    hcpcs=test/fixtures/hcpcs-2020-anweb-sample.txt
fi

# BENCH_ROWS: only to smoke-test this script quickly; results use the default.
rows=${BENCH_ROWS:-1000000}

psql -X -q -v ON_ERROR_STOP=1 -v icd="$icd" -v hcpcs="$hcpcs" -v rows="$rows" <<'SQL'
CREATE EXTENSION IF NOT EXISTS patsvc;
SET search_path = public, patsvc;
SET max_parallel_workers_per_gather = 0;

-- import times, measured in the server (the file is already in a psql variable)
\set f `cat :'icd'`
SELECT clock_timestamp() AS t0 \gset
SELECT import_icd10cm_order('FY2021', '2020-10-01', '2021-09-30', :'f') AS icd_codes \gset
SELECT round(extract(epoch FROM clock_timestamp() - :'t0'::timestamptz) * 1000) AS icd_ms \gset
\encoding WIN1252
\set h `cat :'hcpcs'`
SELECT clock_timestamp() AS t0 \gset
SELECT import_hcpcs('2020', '2020-01-01', '2020-12-31', :'h') AS hcpcs_codes \gset
SELECT round(extract(epoch FROM clock_timestamp() - :'t0'::timestamptz) * 1000) AS hcpcs_ms \gset
\encoding UTF8
-- a second fiscal year, so both ways have to pick the release by date
\set f22 `cat test/fixtures/icd10cm-order-2022-constructed.txt`
SELECT import_icd10cm_order('FY2022', '2021-10-01', '2022-09-30', :'f22') AS fy2022_codes \gset

-- 1,000,000 rows of real FY2021 codes (headers and leaves), dates of service
-- spread over FY2021 and most of FY2022
CREATE TABLE bench_codes AS
  SELECT row_number() OVER (ORDER BY code) AS i, code FROM icd10cm_code WHERE release = 'FY2021';
SELECT count(*) AS ncodes FROM bench_codes \gset
CREATE TABLE bench_claims AS
  SELECT c.code, date '2020-10-01' + (g % 700) AS dos
  FROM generate_series(1, :rows) AS g
  JOIN bench_codes c ON c.i = 1 + (hashint4(g) & 2147483647) % :ncodes;
VACUUM ANALYZE bench_claims;
ANALYZE icd10cm_code;
ANALYZE icd10cm_release;

CREATE FUNCTION pg_temp.best_of_3(q text, OUT ms float8, OUT answer bigint) LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz; a bigint;
BEGIN
  ms := 'infinity';
  FOR i IN 1..3 LOOP
    t0 := clock_timestamp();
    EXECUTE q INTO a;
    ms := least(ms, extract(epoch FROM clock_timestamp() - t0) * 1000);
    answer := a;
  END LOOP;
END $$;

SELECT ms AS fn_ms, answer AS fn_answer FROM pg_temp.best_of_3(
  $q$SELECT count(*) FILTER (WHERE icd10cm_billable(code, dos)) FROM bench_claims$q$) \gset
SELECT ms AS join_ms, answer AS join_answer FROM pg_temp.best_of_3(
  $q$SELECT count(*) FILTER (WHERE c.billable)
     FROM bench_claims x
     JOIN icd10cm_release r ON r.effective @> x.dos
     LEFT JOIN icd10cm_code c ON c.release = r.release AND c.code = x.code$q$) \gset

SELECT format('RESULT icd10cm_billable(code, date) over %s rows: %sx the join against icd10cm_release + icd10cm_code (target >= 2x) [function %s ms, join %s ms, best of 3, serial; billable rows %s and %s%s]',
              to_char(:rows, 'FM9,999,999,999'), round((:join_ms / :fn_ms)::numeric, 2), round(:fn_ms::numeric), round(:join_ms::numeric),
              :fn_answer, :join_answer, CASE WHEN :fn_answer = :join_answer THEN '' ELSE ' -- ANSWERS DIFFER' END) AS line \gset
\echo :line
SELECT format('RESULT import_icd10cm_order of %s (%s codes): %sx faster than the 5 s budget (target >= 1x) [%s ms]',
              :'icd', :icd_codes, round(5000 / greatest(:icd_ms, 1)::numeric, 2), :icd_ms) AS line \gset
\echo :line
SELECT format('RESULT import_hcpcs of %s (%s codes): %sx faster than the 5 s budget (target >= 1x) [%s ms]',
              :'hcpcs', :hcpcs_codes, round(5000 / greatest(:hcpcs_ms, 1)::numeric, 2), :hcpcs_ms) AS line \gset
\echo :line
SQL
