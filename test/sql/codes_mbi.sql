-- MBI: input (case, card dashes), output, errors, ordering.
\set VERBOSITY default
SET search_path = public, patsvc;
SELECT v::patsvc.mbi AS canonical, patsvc.mbi_format_dashed(v::patsvc.mbi) AS on_card, v
FROM (VALUES ('1EG4TE5MK73'), ('1eg4te5mk73'), (' 1EG4-TE5-MK73 '), ('1EG4-TE5MK73'), ('1EG4TE5-MK73'),
             ('1A00AA0AA00'), ('9YY9YY9YY99'), ('9Y99Y99YY99')) AS t(v);

-- every rule broken once: each position's class, excluded letters, length, dashes
SELECT patsvc.is_valid_mbi(v) AS ok, v
FROM (VALUES ('0EG4TE5MK73'), ('11G4TE5MK73'), ('1E!4TE5MK73'), ('1EGATE5MK73'), ('1EG47E5MK73'),
             ('1EG4T!5MK73'), ('1EG4TEAMK73'), ('1EG4TE51K73'), ('1EG4TE5M173'), ('1EG4TE5MKA3'),
             ('1EG4TE5MK7A'), ('1EG4TE5ML73'), ('1SG4TE5MK73'), ('1OG4TE5MK73'), ('1IG4TE5MK73'),
             ('1BG4TE5MK73'), ('1ZG4TE5MK73'), ('1EG4TE5MK7'), ('1EG4TE5MK733'), ('1EG-4TE5MK73'),
             ('1EG4--TE5MK73'), ('-1EG4TE5MK73'), ('1EG4TE5MK73-'), (''), ('1EG4 TE5 MK73')) AS t(v);
SELECT '0EG4TE5MK73'::patsvc.mbi;
SELECT '11G4TE5MK73'::patsvc.mbi;
SELECT '1EGATE5MK73'::patsvc.mbi;
SELECT '1EG4TE5ML73'::patsvc.mbi;
SELECT '1EG4TE5MK7A'::patsvc.mbi;
SELECT '1EG4TE5MK7'::patsvc.mbi;
SELECT '1EG4TE5MK733'::patsvc.mbi;
SELECT '1EG-4TE5MK73'::patsvc.mbi;
SELECT ''::patsvc.mbi;
DO $$ BEGIN PERFORM '1EG4TE5ML73'::patsvc.mbi;
EXCEPTION WHEN invalid_text_representation THEN RAISE NOTICE 'SQLSTATE %', SQLSTATE; END $$;

-- order is the order of the canonical text (digits before letters where both are allowed)
SELECT array_agg(c ORDER BY c)::text[] AS sorted,
       array_agg(c::text ORDER BY c::text COLLATE "C") AS text_sorted
FROM (VALUES ('1EG4TE5MK73'), ('1E04TE5MK73'), ('1EY4TE5MK73'), ('9A00AA0AA00'), ('1A00AA0AA00'),
             ('1EG4TE5MK72'), ('1EG4TY5MK73'), ('1EG4T05MK73'), ('2A00AA0AA00'), ('1EG4TE5MY73')) AS t(v),
  LATERAL (SELECT v::patsvc.mbi) AS x(c);
-- 5000 generated MBIs (every class at every position): type order = text order, no collisions
CREATE TEMP TABLE mbi_gen AS
SELECT string_agg(substr(CASE cls WHEN 'C' THEN '123456789' WHEN 'N' THEN '0123456789'
                                  WHEN 'A' THEN 'ACDEFGHJKMNPQRTUVWXY'
                                  ELSE '0123456789ACDEFGHJKMNPQRTUVWXY' END,
                             1 + (hashint4((i * 11 + pos)::int) & 1023) % CASE cls WHEN 'C' THEN 9 WHEN 'N' THEN 10
                                                                       WHEN 'A' THEN 20 ELSE 30 END, 1),
                  '' ORDER BY pos) AS v
FROM generate_series(1, 5000) AS i,
     unnest(string_to_array('C,A,X,N,A,X,N,A,A,N,N', ',')) WITH ORDINALITY AS l(cls, pos)
GROUP BY i;
SELECT count(*) AS generated, count(DISTINCT v) AS distinct_text, count(DISTINCT v::patsvc.mbi) AS distinct_mbi,
       bool_and(v::patsvc.mbi::text = v) AS round_trip,
       (SELECT array_agg(v::patsvc.mbi ORDER BY v::patsvc.mbi)::text[] = array_agg(v ORDER BY v COLLATE "C") FROM mbi_gen) AS same_order
FROM mbi_gen;
-- the packing is a mixed-radix number: the smallest and largest MBI
SELECT '1A00AA0AA00'::patsvc.mbi < '9YY9YY9YY99'::patsvc.mbi AS min_lt_max;

-- hashing agrees with equality
SET enable_sort = off;
EXPLAIN (COSTS OFF)
SELECT c, count(*) FROM (VALUES ('1EG4TE5MK73'), ('1eg4-te5-mk73'), ('1EG4-TE5-MK73'), ('1A00AA0AA00')) AS t(v),
  LATERAL (SELECT v::patsvc.mbi) AS x(c) GROUP BY c ORDER BY c;
SELECT c, count(*) FROM (VALUES ('1EG4TE5MK73'), ('1eg4-te5-mk73'), ('1EG4-TE5-MK73'), ('1A00AA0AA00')) AS t(v),
  LATERAL (SELECT v::patsvc.mbi) AS x(c) GROUP BY c ORDER BY c;
RESET enable_sort;

-- casts: text -> mbi on assignment, mbi -> text
CREATE TEMP TABLE beneficiary (mbi patsvc.mbi PRIMARY KEY);
INSERT INTO beneficiary SELECT v FROM (VALUES ('1eg4-te5-mk73'::text), ('9YY9YY9YY99')) AS t(v);
SELECT mbi, mbi::text AS as_text, pg_typeof(mbi::text) FROM beneficiary ORDER BY 1;
INSERT INTO beneficiary VALUES ('1EG4TE5ML73');
SELECT count(*) FROM beneficiary;

-- binary COPY round trip, and binary input validated like text
SELECT patsvc.mbi_send('1eg4-te5-mk73');
\copy beneficiary TO 'results/mbi.bin' (FORMAT binary)
CREATE TEMP TABLE beneficiary2 (LIKE beneficiary);
\copy beneficiary2 FROM 'results/mbi.bin' (FORMAT binary)
SELECT (SELECT array_agg(mbi ORDER BY 1) FROM beneficiary) = (SELECT array_agg(mbi ORDER BY 1) FROM beneficiary2) AS same;
CREATE TEMP TABLE raw_mbi (v text);
INSERT INTO raw_mbi VALUES (chr(1) || '1EG4TE5ML73');
\copy raw_mbi TO 'results/mbi-bad.bin' (FORMAT binary)
\copy beneficiary2 FROM 'results/mbi-bad.bin' (FORMAT binary)
SELECT count(*) FROM beneficiary2;
