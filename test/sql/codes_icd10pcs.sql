-- ICD-10-PCS input, output, errors, ordering, section helpers.
\set VERBOSITY default
SET search_path = public, patsvc;
SELECT v::patsvc.icd10pcs AS canonical, v
FROM (VALUES ('0DTJ4ZZ'), ('0dtj4zz'), ('  0LB50ZZ '), ('XW033E5'), ('B2111ZZ'), ('GZ3ZZZZ'),
             ('0000000'), ('ZZZZZZZ')) AS t(v);

-- every rule broken once
SELECT patsvc.is_valid_icd10pcs(v) AS ok, v
FROM (VALUES ('0LB50Z'), ('0LB50ZZZ'), ('0LB5OZZ'), ('0IB50ZZ'), ('0lb5ozz'), ('0LB5-ZZ'),
             ('0LB.0ZZ'), (''), ('  '), ('0LB 0ZZ')) AS t(v);
SELECT '0LB50Z'::patsvc.icd10pcs;
SELECT '0LB50ZZZ'::patsvc.icd10pcs;
SELECT '0LB5OZZ'::patsvc.icd10pcs;
SELECT '0IB50ZZ'::patsvc.icd10pcs;
SELECT '0LB5-ZZ'::patsvc.icd10pcs;
SELECT ''::patsvc.icd10pcs;
DO $$ BEGIN PERFORM '0IB50ZZ'::patsvc.icd10pcs;
EXCEPTION WHEN invalid_text_representation THEN RAISE NOTICE 'SQLSTATE %', SQLSTATE; END $$;

-- order is the order of the canonical text
SELECT array_agg(c ORDER BY c)::text[] AS sorted,
       array_agg(c::text ORDER BY c::text COLLATE "C") AS text_sorted
FROM (VALUES ('XW033E5'), ('0DTJ4ZZ'), ('0DTJ0ZZ'), ('B2111ZZ'), ('0LB50ZZ'), ('9WB0XZZ'),
             ('0DTJ4Z9'), ('HZ2ZZZZ')) AS t(v), LATERAL (SELECT v::patsvc.icd10pcs) AS x(c);
SELECT '0dtj4zz'::patsvc.icd10pcs = '0DTJ4ZZ', '0DTJ4ZZ'::patsvc.icd10pcs < '0DTJ4ZZ',
       '0DTJ4ZZ'::patsvc.icd10pcs < 'XW033E5';

-- section helpers
SELECT c, patsvc.icd10pcs_section(c), patsvc.icd10pcs_section_name(c)
FROM (VALUES ('0DTJ4ZZ'), ('10D00Z1'), ('B2111ZZ'), ('XW033E5'), ('GZ3ZZZZ'), ('AZZZZZZ')) AS t(v),
  LATERAL (SELECT v::patsvc.icd10pcs) AS x(c);

-- hashing agrees with equality
SET enable_sort = off;
EXPLAIN (COSTS OFF)
SELECT c, count(*) FROM (VALUES ('0DTJ4ZZ'), ('0dtj4zz'), (' 0DTJ4ZZ'), ('0LB50ZZ')) AS t(v),
  LATERAL (SELECT v::patsvc.icd10pcs) AS x(c) GROUP BY c ORDER BY c;
SELECT c, count(*) FROM (VALUES ('0DTJ4ZZ'), ('0dtj4zz'), (' 0DTJ4ZZ'), ('0LB50ZZ')) AS t(v),
  LATERAL (SELECT v::patsvc.icd10pcs) AS x(c) GROUP BY c ORDER BY c;
RESET enable_sort;

-- casts: text -> icd10pcs on assignment, icd10pcs -> text
CREATE TEMP TABLE px (code patsvc.icd10pcs PRIMARY KEY);
INSERT INTO px SELECT v FROM (VALUES ('0dtj4zz'::text), ('xw033e5')) AS t(v);
SELECT code, code::text AS as_text, pg_typeof(code::text) FROM px ORDER BY 1;
INSERT INTO px VALUES ('0OB50ZZ');
SELECT count(*) FROM px;

-- binary: version byte 1 + canonical text; binary COPY round trip
SELECT patsvc.icd10pcs_send('0dtj4zz');
\copy px TO 'results/icd10pcs.bin' (FORMAT binary)
CREATE TEMP TABLE px2 (LIKE px);
\copy px2 FROM 'results/icd10pcs.bin' (FORMAT binary)
SELECT (SELECT array_agg(code ORDER BY 1) FROM px) = (SELECT array_agg(code ORDER BY 1) FROM px2) AS same;
-- binary input is validated like text
CREATE TEMP TABLE raw_pcs (v text);
INSERT INTO raw_pcs VALUES (chr(1) || '0IB50ZZ');
\copy raw_pcs TO 'results/icd10pcs-bad.bin' (FORMAT binary)
\copy px2 FROM 'results/icd10pcs-bad.bin' (FORMAT binary)
SELECT count(*) FROM px2;
