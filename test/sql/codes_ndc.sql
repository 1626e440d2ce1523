-- NDC: the three 10-digit patterns and the 11-digit billing form.
\set VERBOSITY default
SET search_path = public, patsvc;
SELECT v::patsvc.ndc AS canonical, patsvc.ndc_to_837(v::patsvc.ndc) AS for_837, v
FROM (VALUES ('1234-5678-90'), ('12345-678-90'), ('12345-6789-0'), ('12345-6789-01'),
             ('12345678901'), (' 0002-0800-01 '), ('00002-800-01'), ('00002080001'),
             ('99999-9999-99'), ('00000-0000-00')) AS t(v);
SELECT patsvc.ndc_labeler(c), patsvc.ndc_product(c), patsvc.ndc_package(c)
FROM (VALUES ('12345-678-90'), ('1234-5678-90')) AS t(v), LATERAL (SELECT v::patsvc.ndc) AS x(c);

-- every rule broken once
SELECT patsvc.is_valid_ndc(v) AS ok, v
FROM (VALUES ('1234567890'), ('1234-567-89'), ('12345-67890-1'), ('123456789012'), ('123456789'),
             ('1234-5678'), ('12-34-56-78'), ('1234A-5678-90'), ('12345 6789 01'), ('1234--5678-9'),
             (''), ('   ')) AS t(v);
SELECT '1234567890'::patsvc.ndc;
SELECT '1234-567-89'::patsvc.ndc;
SELECT '12345-67890-1'::patsvc.ndc;
SELECT '123456789012'::patsvc.ndc;
SELECT '1234-5678'::patsvc.ndc;
SELECT '12-34-56-78'::patsvc.ndc;
SELECT '1234A-5678-90'::patsvc.ndc;
SELECT ''::patsvc.ndc;
DO $$ BEGIN PERFORM '1234567890'::patsvc.ndc;
EXCEPTION WHEN invalid_text_representation THEN RAISE NOTICE 'SQLSTATE %', SQLSTATE; END $$;

-- order is the order of the canonical text
SELECT array_agg(c ORDER BY c)::text[] AS sorted,
       array_agg(c::text ORDER BY c::text COLLATE "C") AS text_sorted
FROM (VALUES ('12345-6789-0'), ('1234-5678-90'), ('12345-678-90'), ('00002-0800-01'), ('99999-9999-99'),
             ('50090-0001-00')) AS t(v), LATERAL (SELECT v::patsvc.ndc) AS x(c);
-- two spellings of one billing code are equal
SELECT '0002-0800-01'::patsvc.ndc = '00002-800-01', '00002080001'::patsvc.ndc = '0002-0800-01';

-- hashing agrees with equality
SET enable_sort = off;
EXPLAIN (COSTS OFF)
SELECT c, count(*) FROM (VALUES ('1234-5678-90'), ('01234567890'), ('01234-5678-90'), ('12345-678-90')) AS t(v),
  LATERAL (SELECT v::patsvc.ndc) AS x(c) GROUP BY c ORDER BY c;
SELECT c, count(*) FROM (VALUES ('1234-5678-90'), ('01234567890'), ('01234-5678-90'), ('12345-678-90')) AS t(v),
  LATERAL (SELECT v::patsvc.ndc) AS x(c) GROUP BY c ORDER BY c;
RESET enable_sort;

-- casts: text -> ndc on assignment, ndc -> text
CREATE TEMP TABLE drug (ndc patsvc.ndc PRIMARY KEY);
INSERT INTO drug SELECT v FROM (VALUES ('1234-5678-90'::text), ('12345-6789-0')) AS t(v);
SELECT ndc, ndc::text AS as_text, pg_typeof(ndc::text) FROM drug ORDER BY 1;
INSERT INTO drug VALUES ('1234567890');
SELECT count(*) FROM drug;

-- binary COPY round trip, and binary input validated like text
SELECT patsvc.ndc_send('1234-5678-90');
\copy drug TO 'results/ndc.bin' (FORMAT binary)
CREATE TEMP TABLE drug2 (LIKE drug);
\copy drug2 FROM 'results/ndc.bin' (FORMAT binary)
SELECT (SELECT array_agg(ndc ORDER BY 1) FROM drug) = (SELECT array_agg(ndc ORDER BY 1) FROM drug2) AS same;
CREATE TEMP TABLE raw_ndc (v text);
INSERT INTO raw_ndc VALUES (chr(1) || '1234-567-89');
\copy raw_ndc TO 'results/ndc-bad.bin' (FORMAT binary)
\copy drug2 FROM 'results/ndc-bad.bin' (FORMAT binary)
SELECT count(*) FROM drug2;
