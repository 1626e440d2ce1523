-- Procedure modifiers: input, output, errors, ordering.
\set VERBOSITY default
SET search_path = public, patsvc;
SELECT v::patsvc.code_modifier AS canonical, v
FROM (VALUES ('25'), ('lt'), (' GA '), ('F1'), ('p3'), ('1P'), ('XU'), ('59')) AS t(v);

-- every rule broken once
SELECT patsvc.is_valid_code_modifier(v) AS ok, v
FROM (VALUES ('2'), ('255'), ('L-'), ('-25'), (''), ('  '), ('L T'), ('é1')) AS t(v);
SELECT '2'::patsvc.code_modifier;
SELECT '255'::patsvc.code_modifier;
SELECT 'L-'::patsvc.code_modifier;
SELECT ''::patsvc.code_modifier;
DO $$ BEGIN PERFORM 'L-'::patsvc.code_modifier;
EXCEPTION WHEN invalid_text_representation THEN RAISE NOTICE 'SQLSTATE %', SQLSTATE; END $$;

-- order is the order of the canonical text
SELECT array_agg(c ORDER BY c)::text[] AS sorted,
       array_agg(c::text ORDER BY c::text COLLATE "C") AS text_sorted
FROM (VALUES ('LT'), ('25'), ('RT'), ('1P'), ('GA'), ('F1'), ('FA'), ('59'), ('XU'), ('P3')) AS t(v),
  LATERAL (SELECT v::patsvc.code_modifier) AS x(c);
SELECT 'lt'::patsvc.code_modifier = 'LT', 'LT'::patsvc.code_modifier < 'RT';

-- hashing agrees with equality
SET enable_sort = off;
EXPLAIN (COSTS OFF)
SELECT c, count(*) FROM (VALUES ('LT'), ('lt'), (' Lt'), ('RT')) AS t(v),
  LATERAL (SELECT v::patsvc.code_modifier) AS x(c) GROUP BY c ORDER BY c;
SELECT c, count(*) FROM (VALUES ('LT'), ('lt'), (' Lt'), ('RT')) AS t(v),
  LATERAL (SELECT v::patsvc.code_modifier) AS x(c) GROUP BY c ORDER BY c;
RESET enable_sort;

-- casts, and a claim line's modifiers as an array
CREATE TEMP TABLE line_mod (mods patsvc.code_modifier[]);
INSERT INTO line_mod VALUES ('{25,lt}');
SELECT mods, mods[2]::text AS second, 'GA'::patsvc.code_modifier = ANY (mods) AS has_ga FROM line_mod;
CREATE TEMP TABLE mods (m patsvc.code_modifier PRIMARY KEY);
INSERT INTO mods SELECT v FROM (VALUES ('25'::text), ('lt')) AS t(v);
SELECT m, m::text AS as_text, pg_typeof(m::text) FROM mods ORDER BY 1;
INSERT INTO mods VALUES ('L');
SELECT count(*) FROM mods;

-- binary COPY round trip, and binary input validated like text
SELECT patsvc.code_modifier_send('lt');
\copy mods TO 'results/code_modifier.bin' (FORMAT binary)
CREATE TEMP TABLE mods2 (LIKE mods);
\copy mods2 FROM 'results/code_modifier.bin' (FORMAT binary)
SELECT (SELECT array_agg(m ORDER BY 1) FROM mods) = (SELECT array_agg(m ORDER BY 1) FROM mods2) AS same;
CREATE TEMP TABLE raw_mod (v text);
INSERT INTO raw_mod VALUES (chr(1) || 'L-');
\copy raw_mod TO 'results/code_modifier-bad.bin' (FORMAT binary)
\copy mods2 FROM 'results/code_modifier-bad.bin' (FORMAT binary)
SELECT count(*) FROM mods2;
