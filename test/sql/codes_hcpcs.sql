-- HCPCS Level II: input, output, errors, ordering.
\set VERBOSITY default
SET search_path = public, patsvc;
SELECT v::patsvc.hcpcs AS canonical, v
FROM (VALUES ('J1100'), ('j0129'), (' G0008 '), ('A0021'), ('U0001'), ('V5299'), ('a0000')) AS t(v);

-- every rule broken once
SELECT patsvc.is_valid_hcpcs(v) AS ok, v
FROM (VALUES ('W1234'), ('J012'), ('J01290'), ('10129'), ('J01A9'), ('J-129'), (''), ('  '),
             ('J 129')) AS t(v);
SELECT 'W1234'::patsvc.hcpcs;
SELECT 'J012'::patsvc.hcpcs;
SELECT 'J01290'::patsvc.hcpcs;
SELECT '10129'::patsvc.hcpcs;
SELECT 'J01A9'::patsvc.hcpcs;
SELECT ''::patsvc.hcpcs;
DO $$ BEGIN PERFORM 'W1234'::patsvc.hcpcs;
EXCEPTION WHEN invalid_text_representation THEN RAISE NOTICE 'SQLSTATE %', SQLSTATE; END $$;

-- order is the order of the canonical text
SELECT array_agg(c ORDER BY c)::text[] AS sorted,
       array_agg(c::text ORDER BY c::text COLLATE "C") AS text_sorted
FROM (VALUES ('J1100'), ('A0021'), ('V5299'), ('G0008'), ('J0129'), ('U0001'), ('A0020')) AS t(v),
  LATERAL (SELECT v::patsvc.hcpcs) AS x(c);
SELECT 'j1100'::patsvc.hcpcs = 'J1100', 'J1100'::patsvc.hcpcs < 'J1101';

-- hashing agrees with equality
SET enable_sort = off;
EXPLAIN (COSTS OFF)
SELECT c, count(*) FROM (VALUES ('J1100'), ('j1100'), ('J1100 '), ('G0008')) AS t(v),
  LATERAL (SELECT v::patsvc.hcpcs) AS x(c) GROUP BY c ORDER BY c;
SELECT c, count(*) FROM (VALUES ('J1100'), ('j1100'), ('J1100 '), ('G0008')) AS t(v),
  LATERAL (SELECT v::patsvc.hcpcs) AS x(c) GROUP BY c ORDER BY c;
RESET enable_sort;

-- casts: text -> hcpcs on assignment, hcpcs -> text
CREATE TEMP TABLE supply (code patsvc.hcpcs PRIMARY KEY);
INSERT INTO supply SELECT v FROM (VALUES ('j1100'::text), ('A0021')) AS t(v);
SELECT code, code::text AS as_text, pg_typeof(code::text) FROM supply ORDER BY 1;
INSERT INTO supply VALUES ('Z1234');
SELECT count(*) FROM supply;

-- binary COPY round trip, and binary input validated like text
SELECT patsvc.hcpcs_send('j1100');
\copy supply TO 'results/hcpcs.bin' (FORMAT binary)
CREATE TEMP TABLE supply2 (LIKE supply);
\copy supply2 FROM 'results/hcpcs.bin' (FORMAT binary)
SELECT (SELECT array_agg(code ORDER BY 1) FROM supply) = (SELECT array_agg(code ORDER BY 1) FROM supply2) AS same;
CREATE TEMP TABLE raw_hcpcs (v text);
INSERT INTO raw_hcpcs VALUES (chr(1) || 'W1234');
\copy raw_hcpcs TO 'results/hcpcs-bad.bin' (FORMAT binary)
\copy supply2 FROM 'results/hcpcs-bad.bin' (FORMAT binary)
SELECT count(*) FROM supply2;
