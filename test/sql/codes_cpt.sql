-- CPT (shape only): input, output, errors, ordering, categories.
\set VERBOSITY default
SET search_path = public, patsvc;
SELECT v::patsvc.cpt AS canonical, patsvc.cpt_category(v::patsvc.cpt) AS category, v
FROM (VALUES ('99213'), (' 00100 '), ('3074F'), ('3074f'), ('0042T'), ('0001U'), ('0002m'),
             ('69990')) AS t(v);

-- every rule broken once
SELECT patsvc.is_valid_cpt(v) AS ok, v
FROM (VALUES ('9921'), ('992134'), ('F3074'), ('3074X'), ('30A4F'), ('9921 3'), (''), ('U0001'),
             ('99213-25')) AS t(v);
SELECT '9921'::patsvc.cpt;
SELECT '992134'::patsvc.cpt;
SELECT 'F3074'::patsvc.cpt;
SELECT '3074X'::patsvc.cpt;
SELECT '30A4F'::patsvc.cpt;
SELECT ''::patsvc.cpt;
DO $$ BEGIN PERFORM '3074X'::patsvc.cpt;
EXCEPTION WHEN invalid_text_representation THEN RAISE NOTICE 'SQLSTATE %', SQLSTATE; END $$;

-- order is the order of the canonical text (digits before F, M, T, U)
SELECT array_agg(c ORDER BY c)::text[] AS sorted,
       array_agg(c::text ORDER BY c::text COLLATE "C") AS text_sorted
FROM (VALUES ('99213'), ('0042T'), ('0001U'), ('00100'), ('3074F'), ('0002M'), ('00010'),
             ('0001F'), ('0001M'), ('0001T'), ('00019')) AS t(v), LATERAL (SELECT v::patsvc.cpt) AS x(c);
SELECT '3074f'::patsvc.cpt = '3074F', '99213'::patsvc.cpt > '99212';

-- hashing agrees with equality
SET enable_sort = off;
EXPLAIN (COSTS OFF)
SELECT c, count(*) FROM (VALUES ('3074F'), ('3074f'), (' 3074F '), ('99213')) AS t(v),
  LATERAL (SELECT v::patsvc.cpt) AS x(c) GROUP BY c ORDER BY c;
SELECT c, count(*) FROM (VALUES ('3074F'), ('3074f'), (' 3074F '), ('99213')) AS t(v),
  LATERAL (SELECT v::patsvc.cpt) AS x(c) GROUP BY c ORDER BY c;
RESET enable_sort;

-- casts: text -> cpt on assignment, cpt -> text
CREATE TEMP TABLE proc (code patsvc.cpt PRIMARY KEY);
INSERT INTO proc SELECT v FROM (VALUES ('99213'::text), ('0042t')) AS t(v);
SELECT code, code::text AS as_text, pg_typeof(code::text) FROM proc ORDER BY 1;
INSERT INTO proc VALUES ('9921');
SELECT count(*) FROM proc;

-- binary COPY round trip, and binary input validated like text
SELECT patsvc.cpt_send('0042t');
\copy proc TO 'results/cpt.bin' (FORMAT binary)
CREATE TEMP TABLE proc2 (LIKE proc);
\copy proc2 FROM 'results/cpt.bin' (FORMAT binary)
SELECT (SELECT array_agg(code ORDER BY 1) FROM proc) = (SELECT array_agg(code ORDER BY 1) FROM proc2) AS same;
CREATE TEMP TABLE raw_cpt (v text);
INSERT INTO raw_cpt VALUES (chr(1) || 'F3074');
\copy raw_cpt TO 'results/cpt-bad.bin' (FORMAT binary)
\copy proc2 FROM 'results/cpt-bad.bin' (FORMAT binary)
SELECT count(*) FROM proc2;
