#!/usr/bin/env bash
# claim_problems(encounter) over every encounter (5 lines, 4 diagnoses each;
# the full FY2021 ICD-10-CM and HCPCS 2020 loaded; an NCCI PTP release of
# >= 100,000 pairs and an MUE table over every HCPCS code, both in the CMS
# layouts, imported by import_ncci_ptp / import_mue) vs the same checks as
# plain SQL joins over all encounters at once (test/lib/ref_claim_problems.sql,
# which billing_scrubber's test checks finds the same problems), same cluster,
# same run, best of 3 each, serial plans; the two answers are compared
# (multiset of encounter, line, rule).
# Run by tools/bench.sh inside a throw-away cluster (cwd: repository root).
# BENCH_ENCOUNTERS: the size (default 100,000); BENCH_PAIRS: PTP pairs (default 120,000).
set -euo pipefail
cms=${PATSVC_CMS_DIR:-../shared/data/cms}
icd=$cms/icd10cm-order-2021.txt
hcpcs=$cms/hcpcs-2020-anweb.txt
if [ ! -f "$icd" ] || [ ! -f "$hcpcs" ]; then
    echo "note: CMS files not found in $cms; using the shipped samples (numbers are not comparable)"
    icd=test/fixtures/icd10cm-order-2021-sample.txt
    hcpcs=test/fixtures/hcpcs-2020-anweb-sample.txt
fi
encounters=${BENCH_ENCOUNTERS:-100000}
pairs=${BENCH_PAIRS:-120000}

psql -X -q -v ON_ERROR_STOP=1 -v icd="$icd" -v hcpcs="$hcpcs" -v n="$encounters" -v pairs="$pairs" <<'SQL'
CREATE EXTENSION IF NOT EXISTS patsvc;
SET search_path = public, patsvc;
SET max_parallel_workers_per_gather = 0;
-- both ways without JIT: compiling the reference query costs seconds that a DBA would turn off
SET jit = off;
\set f `cat :'icd'`
SELECT import_icd10cm_order('FY2021', '2020-10-01', '2021-09-30', :'f') > 0 AS icd_loaded \gset
\encoding WIN1252
\set h `cat :'hcpcs'`
SELECT import_hcpcs('2020', '2020-01-01', '2020-12-31', :'h') > 0 AS hcpcs_loaded \gset
\encoding UTF8

-- an NCCI PTP file and an MUE table in the CMS layouts over the HCPCS codes (the real edits
-- hold CPT codes, which patsvc cannot ship): random pairs, 1 in 3 bypassable (indicator 1),
-- 1 in 10 deleted, repeated pairs with older dates
CREATE TABLE bench_hcpcs AS SELECT row_number() OVER (ORDER BY code) AS i, code::text AS code FROM hcpcs_code WHERE release = '2020';
SELECT count(*) AS nh FROM bench_hcpcs \gset
SELECT E'CPT only copyright notice (bench)\r\nColumn 1\tColumn 2\t*=in existence\tEffective\tDeletion\tModifier\tPTP Edit Rationale\r\n\t\tprior to 1996\tDate\tDate\t0=not allowed\t\r\n'
       || string_agg(concat_ws(E'\t', a.code, b.code, CASE WHEN g % 7 = 0 THEN '*' ELSE '' END,
                               CASE WHEN g % 13 = 0 THEN '20150101' ELSE '20200101' END,
                               CASE WHEN g % 10 = 0 THEN '20200601' WHEN g % 13 = 0 THEN '20200101' ELSE '*' END,
                               CASE WHEN g % 3 = 0 THEN '1' ELSE '0' END, 'Mutually exclusive procedures'), E'\r\n') || E'\r\n'
       AS ptp_file
FROM generate_series(1, :pairs) g
JOIN bench_hcpcs a ON a.i = 1 + (hashint4(g) & 2147483647) % :nh
JOIN bench_hcpcs b ON b.i = 1 + (hashint4(-g) & 2147483647) % :nh
WHERE a.code <> b.code \gset
SELECT clock_timestamp() AS t0 \gset
SELECT import_ncci_ptp('bench-v1', :'ptp_file') AS ptp_edits \gset
SELECT round(extract(epoch FROM clock_timestamp() - :'t0'::timestamptz) * 1000) AS ptp_ms \gset
SELECT E'"notice, (bench)"\r\nHCPCS/CPT Code,Practitioner Services MUE Values,MUE Adjudication Indicator,MUE Rationale\r\n'
       || string_agg(concat_ws(',', code, 1 + i % 20,
                               CASE i % 3 WHEN 0 THEN '1 Line Edit' WHEN 1 THEN '2 Date of Service Edit: Policy'
                                          ELSE '3 Date of Service Edit: Clinical' END, 'Clinical: Data'), E'\r\n') AS mue_file
FROM bench_hcpcs \gset
SELECT import_mue('bench-2020Q4', '2020-10-01', '2020-12-31', :'mue_file') AS mue_codes \gset

-- the practice: patients with coverage (1 in 50 not in force) and consent to treat (1 in 40 none)
INSERT INTO patients (id, name) SELECT g, 'Patient ' || g FROM generate_series(1, :n / 5) g;
INSERT INTO payers (id, name, x12_payer_id, payer_type) VALUES (1, 'Acme Health', '60054', 'commercial');
INSERT INTO coverages (patient_id, payer_id, member_id, valid, priority)
SELECT g, 1, 'M' || g, CASE WHEN g % 50 = 0 THEN '[2021-01-01,)' ELSE '[2020-01-01,)' END::daterange, 1
FROM generate_series(1, :n / 5) g;
INSERT INTO consents (patient_id, consent_type, signed_at, signed_by, valid_from)
SELECT g, 'treatment', '2020-01-02 12:00Z', 'patient', '2020-01-02' FROM generate_series(1, :n / 5) g WHERE g % 40 <> 0;

-- encounters in Oct-Dec 2020: 4 diagnoses from the whole FY2021 code set (headers included),
-- 5 lines of HCPCS codes (terminated ones included), pointers now and then dangling or repeated
CREATE TABLE bench_icd AS SELECT row_number() OVER (ORDER BY code) AS i, code FROM icd10cm_code WHERE release = 'FY2021';
SELECT count(*) AS ni FROM bench_icd \gset
-- bulk load: the rows are written as the triggers would leave them (codes canonical, kind, charge)
SET session_replication_role = replica;
INSERT INTO encounters (id, patient_id, service_date, rendering_npi, billing_npi, place_of_service, coverage_id)
SELECT g, 1 + g % (:n / 5), date '2020-10-01' + g % 92, '1234567893', '1234567893', '11', 1 + g % (:n / 5)
FROM generate_series(1, :n) g;
INSERT INTO encounter_diagnoses (encounter_id, seq, code)
SELECT e, s, c.code FROM generate_series(1, :n) e CROSS JOIN generate_series(1, 4) s
JOIN bench_icd c ON c.i = 1 + (hashint4(e * 16 + s) & 2147483647) % :ni;
INSERT INTO encounter_lines (encounter_id, line, code, procedure_kind, modifiers, pointers, units, charge, ndc, drug_quantity, drug_unit)
SELECT e, l, h.code, 'hcpcs',
       CASE WHEN r % 4 = 0 THEN '{59}' WHEN r % 17 = 0 THEN '{25,25}' ELSE '{}' END::code_modifier[],
       CASE WHEN r % 23 = 0 THEN ARRAY[1, 5] WHEN r % 29 = 0 THEN ARRAY[2, 2] ELSE ARRAY[1 + r % 4, 1 + (r / 4) % 4] END::smallint[],
       1 + r % 3, 10.00,
       CASE WHEN h.code LIKE 'J%' AND r % 5 <> 0 THEN '00009-0047-01'::ndc END,
       CASE WHEN h.code LIKE 'J%' AND r % 5 <> 0 THEN 1 END, CASE WHEN h.code LIKE 'J%' AND r % 5 <> 0 THEN 'ML' END
FROM generate_series(1, :n) e CROSS JOIN generate_series(1, 5) l
     CROSS JOIN LATERAL (SELECT hashint4(e * 8 + l) & 2147483647 AS r) x
JOIN bench_hcpcs h ON h.i = 1 + x.r % :nh;
RESET session_replication_role;
VACUUM ANALYZE;
\i test/lib/ref_claim_problems.sql

CREATE FUNCTION pg_temp.best_of_3(q text, OUT ms float8, OUT answer text) LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz;
BEGIN
  ms := 'infinity';
  FOR i IN 1..3 LOOP
    t0 := clock_timestamp();
    EXECUTE q INTO answer;
    ms := least(ms, extract(epoch FROM clock_timestamp() - t0) * 1000);
  END LOOP;
END $$;
-- the answer of each: how many problems, and a hash of the multiset (encounter, line, rule)
SELECT ms AS fn_ms, answer AS fn_answer FROM pg_temp.best_of_3(
  $q$SELECT count(*) || ' problems, hash ' || sum(hashtext(concat(e.id, ':', p.line, ':', p.rule))::numeric)
     FROM encounters e CROSS JOIN LATERAL claim_problems(e.id) p$q$) \gset
SELECT ms AS sql_ms, answer AS sql_answer FROM pg_temp.best_of_3(
  $q$SELECT count(*) || ' problems, hash ' || sum(hashtext(concat(r.encounter_id, ':', r.line, ':', r.rule))::numeric)
     FROM ref_claim_problems r$q$) \gset
SELECT string_agg(rule || ' ' || n, ', ' ORDER BY rule) AS mix
FROM (SELECT p.rule, count(*) AS n FROM encounters e CROSS JOIN LATERAL claim_problems(e.id) p GROUP BY 1) t \gset
\echo problems by rule: :mix
SELECT format('RESULT claim_problems over %s encounters (5 lines, 4 diagnoses; %s PTP edits, %s MUE codes): %sx the same checks as plain SQL joins (target >= 3x) [function %s ms, SQL %s ms, best of 3, serial; %s and %s%s]',
              to_char(:n, 'FM9,999,999'), :ptp_edits, :mue_codes, round((:sql_ms / :fn_ms)::numeric, 2),
              round(:fn_ms::numeric), round(:sql_ms::numeric), :'fn_answer', :'sql_answer',
              CASE WHEN :'fn_answer' = :'sql_answer' THEN '' ELSE ' -- ANSWERS DIFFER' END) AS line \gset
\echo :line
SELECT format('RESULT import_ncci_ptp of %s edits: %s edits/s [%s ms]', :ptp_edits,
              round(:ptp_edits * 1000 / greatest(:ptp_ms, 1)::numeric), :ptp_ms) AS line \gset
\echo :line
SQL
