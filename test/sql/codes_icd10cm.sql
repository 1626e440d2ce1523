-- ICD-10-CM input, output, errors, ordering (no code set needed).
\set VERBOSITY default
-- operators live in schema patsvc: put it on search_path (README, Quick start)
SET search_path = public, patsvc;
SELECT v::patsvc.icd10cm AS canonical, v
FROM (VALUES ('E11.9'), ('e119'), ('  T36.0X1A '), ('t360x1a'), ('C4A.0'), ('U07.1'),
             ('A00'), ('I10'), ('M1A.0110'), ('Z3A.01'), ('Y93.I1')) AS t(v);

-- every rule broken once: SQLSTATE 22P02, detail says which rule, hint the form
SELECT patsvc.is_valid_icd10cm(v) AS ok, v
FROM (VALUES ('I10.'), ('E1'), ('1A00'), ('A0A0'), ('E11.92345'), ('E1.19'), ('E11..9'),
             (''), ('   '), ('E11-9'), ('E11.9!'), ('ÄB1')) AS t(v);
SELECT 'I10.'::patsvc.icd10cm;
SELECT 'E1'::patsvc.icd10cm;
SELECT '1A00'::patsvc.icd10cm;
SELECT 'A0A0'::patsvc.icd10cm;
SELECT 'E11.92345'::patsvc.icd10cm;
SELECT 'E1.19'::patsvc.icd10cm;
SELECT ''::patsvc.icd10cm;
SELECT 'E11.9!'::patsvc.icd10cm;
DO $$ BEGIN PERFORM 'E1'::patsvc.icd10cm;
EXCEPTION WHEN invalid_text_representation THEN RAISE NOTICE 'SQLSTATE %', SQLSTATE; END $$;

-- order is the order of the canonical text
SELECT array_agg(c ORDER BY c)::text[] AS sorted,
       array_agg(c::text ORDER BY c::text COLLATE "C") AS text_sorted
FROM (VALUES ('A01'), ('A00.0'), ('A00'), ('C4A.0'), ('C40'), ('Z99.89'), ('U07.1'),
             ('T36.0X1A'), ('T36.0X1')) AS t(v), LATERAL (SELECT v::patsvc.icd10cm) AS x(c);
SELECT 'E11.9'::patsvc.icd10cm = 'e119', 'E11'::patsvc.icd10cm < 'E11.0',
       patsvc.icd10cm_category('T36.0X1A'), patsvc.icd10cm_category('I10');

-- hashing agrees with equality
SELECT count(DISTINCT c) FROM (VALUES ('E11.9'), ('e119'), (' E11.9'), ('E11.8')) AS t(v),
  LATERAL (SELECT v::patsvc.icd10cm) AS x(c);
SET enable_sort = off;
SELECT c, count(*) FROM (VALUES ('E11.9'), ('e119'), ('E11.8')) AS t(v),
  LATERAL (SELECT v::patsvc.icd10cm) AS x(c) GROUP BY c ORDER BY c;
RESET enable_sort;

-- casts: text -> icd10cm on assignment, icd10cm -> text
CREATE TEMP TABLE dx (code patsvc.icd10cm PRIMARY KEY);
INSERT INTO dx SELECT v FROM (VALUES ('e11.9'::text), ('i10')) AS t(v);
SELECT code, code::text AS as_text, pg_typeof(code::text) FROM dx ORDER BY 1;
INSERT INTO dx VALUES ('E11.99.');
SELECT count(*) FROM dx;

-- binary: version byte 1 + canonical text; binary COPY round trip
SELECT patsvc.icd10cm_send('T36.0X1A');
\copy dx TO 'results/icd10cm.bin' (FORMAT binary)
CREATE TEMP TABLE dx2 (LIKE dx);
\copy dx2 FROM 'results/icd10cm.bin' (FORMAT binary)
SELECT (SELECT array_agg(code ORDER BY 1) FROM dx) = (SELECT array_agg(code ORDER BY 1) FROM dx2) AS same;
-- binary input is validated like text: a well-versioned but malformed code
CREATE TEMP TABLE raw (v text);
INSERT INTO raw VALUES (chr(1) || 'E1');
\copy raw TO 'results/icd10cm-bad.bin' (FORMAT binary)
\copy dx2 FROM 'results/icd10cm-bad.bin' (FORMAT binary)
-- and an unknown version byte
UPDATE raw SET v = chr(2) || 'E11.9';
\copy raw TO 'results/icd10cm-bad.bin' (FORMAT binary)
\copy dx2 FROM 'results/icd10cm-bad.bin' (FORMAT binary)
SELECT count(*) FROM dx2;

-- chapters (FY2021 ranges, compared as strings: C4A and O9A fall inside)
SELECT c, patsvc.icd10cm_chapter(c) AS chapter
FROM (VALUES ('A00.0'), ('B99.9'), ('C4A.0'), ('D49.9'), ('D50.0'), ('H59.89'), ('H60.00'),
             ('O9A.119'), ('P96.9'), ('S72.001A'), ('T88.9'), ('V00.01XA'), ('Y99.9'),
             ('Z3A.01'), ('U07.1'), ('F01.50'), ('E89.89'), ('E90'), ('D9A'), ('P97'), ('U86')) AS t(v),
  LATERAL (SELECT v::patsvc.icd10cm) AS x(c);
