-- NPI: input, output, check digit (Luhn with the 80840 prefix), ordering.
\set VERBOSITY default
SET search_path = public, patsvc;
SELECT v::patsvc.npi AS canonical, v
FROM (VALUES ('1234567893'), (' 1356320139 '), ('1285849489'), ('1922087766'), ('2123456784'),
             ('1000000004')) AS t(v);
-- check digit 0 is legal: the body whose check digit is 0, completed
SELECT b || patsvc.npi_check_digit(b) AS npi, (b || patsvc.npi_check_digit(b))::patsvc.npi AS canonical
FROM (VALUES ('123456781'), ('100000002')) AS t(b);

-- every rule broken once
SELECT patsvc.is_valid_npi(v) AS ok, v
FROM (VALUES ('1234567890'), ('3234567893'), ('0234567893'), ('123456789'), ('12345678930'),
             ('12345A7893'), ('1234-567893'), (''), ('  ')) AS t(v);
SELECT '1234567890'::patsvc.npi;
SELECT '1234567894'::patsvc.npi;
SELECT '3234567893'::patsvc.npi;
SELECT '123456789'::patsvc.npi;
SELECT '12345678930'::patsvc.npi;
SELECT '12345A7893'::patsvc.npi;
SELECT ''::patsvc.npi;
DO $$ BEGIN PERFORM '1234567890'::patsvc.npi;
EXCEPTION WHEN invalid_text_representation THEN RAISE NOTICE 'SQLSTATE %', SQLSTATE; END $$;

-- npi_check_digit: the CMS worked example, and every digit 0-9 occurs as a check digit
SELECT patsvc.npi_check_digit('123456789') AS cms_example;
SELECT array_agg(DISTINCT d) AS digits
FROM (SELECT patsvc.npi_check_digit((100000000 + i)::text) FROM generate_series(0, 99) AS i) AS t(d);
-- each completed body is a valid NPI, and any other last digit is not
SELECT count(*) FILTER (WHERE patsvc.is_valid_npi(b || patsvc.npi_check_digit(b))) AS completed_valid,
       count(*) FILTER (WHERE patsvc.is_valid_npi(b || (patsvc.npi_check_digit(b) + 1) % 10)) AS off_by_one_valid
FROM (SELECT (123400000 + i * 7919)::text AS b FROM generate_series(0, 999) AS i) AS t;
SELECT patsvc.npi_check_digit('12345678');
SELECT patsvc.npi_check_digit('323456789');

-- order is the order of the canonical text
SELECT array_agg(c ORDER BY c)::text[] AS sorted,
       array_agg(c::text ORDER BY c::text COLLATE "C") AS text_sorted
FROM (VALUES ('2123456784'), ('1234567893'), ('1922087766'), ('1000000004'), ('1356320139')) AS t(v),
  LATERAL (SELECT v::patsvc.npi) AS x(c);

-- hashing agrees with equality
SET enable_sort = off;
EXPLAIN (COSTS OFF)
SELECT c, count(*) FROM (VALUES ('1234567893'), (' 1234567893'), ('1356320139')) AS t(v),
  LATERAL (SELECT v::patsvc.npi) AS x(c) GROUP BY c ORDER BY c;
SELECT c, count(*) FROM (VALUES ('1234567893'), (' 1234567893'), ('1356320139')) AS t(v),
  LATERAL (SELECT v::patsvc.npi) AS x(c) GROUP BY c ORDER BY c;
RESET enable_sort;

-- casts: text -> npi on assignment, npi -> text
CREATE TEMP TABLE provider (npi patsvc.npi PRIMARY KEY);
INSERT INTO provider SELECT v FROM (VALUES ('1234567893'::text), ('2123456784')) AS t(v);
SELECT npi, npi::text AS as_text, pg_typeof(npi::text) FROM provider ORDER BY 1;
INSERT INTO provider VALUES ('2123456785');
SELECT count(*) FROM provider;

-- binary COPY round trip, and binary input validated like text
SELECT patsvc.npi_send('1234567893');
\copy provider TO 'results/npi.bin' (FORMAT binary)
CREATE TEMP TABLE provider2 (LIKE provider);
\copy provider2 FROM 'results/npi.bin' (FORMAT binary)
SELECT (SELECT array_agg(npi ORDER BY 1) FROM provider) = (SELECT array_agg(npi ORDER BY 1) FROM provider2) AS same;
CREATE TEMP TABLE raw_npi (v text);
INSERT INTO raw_npi VALUES (chr(1) || '1234567890');
\copy raw_npi TO 'results/npi-bad.bin' (FORMAT binary)
\copy provider2 FROM 'results/npi-bad.bin' (FORMAT binary)
SELECT count(*) FROM provider2;
