-- Table-driven checks of all 8 code types: valid literals live and come out
-- canonical, invalid ones raise 22P02, text -> type -> text round trips,
-- is_valid_<type> agrees with the input function, type order = text order.
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS patsvc;
BEGIN;
SET LOCAL search_path = public, patsvc;

-- (type, inputs, canonical forms of those inputs, in the same order)
CREATE TEMP TABLE valid_cases (typ text, inputs text[], canon text[]) ON COMMIT DROP;
INSERT INTO valid_cases VALUES
  ('icd10cm',  ARRAY['E11.9', 'e119', ' T36.0X1A ', 'C4A.0', 'U07.1', 'A00', 'M1A.0110', 'Z3A.01', 'O9A.119', 'R05'],
               ARRAY['E11.9', 'E11.9', 'T36.0X1A', 'C4A.0', 'U07.1', 'A00', 'M1A.0110', 'Z3A.01', 'O9A.119', 'R05']),
  ('icd10pcs', ARRAY['0DTJ4ZZ', '0dtj4zz', ' 0LB50ZZ ', 'XW033E5', 'B2111ZZ', 'HZ2ZZZZ'],
               ARRAY['0DTJ4ZZ', '0DTJ4ZZ', '0LB50ZZ', 'XW033E5', 'B2111ZZ', 'HZ2ZZZZ']),
  ('cpt',      ARRAY['99213', '00100', '3074f', '0042T', '0001U', '0002M', ' 69990 '],
               ARRAY['99213', '00100', '3074F', '0042T', '0001U', '0002M', '69990']),
  ('hcpcs',    ARRAY['J1100', 'j0129', 'G0008', 'A0021', 'U0001', ' V5299 '],
               ARRAY['J1100', 'J0129', 'G0008', 'A0021', 'U0001', 'V5299']),
  ('code_modifier', ARRAY['25', 'lt', 'GA', 'F1', 'p3', '1P', ' XU '],
               ARRAY['25', 'LT', 'GA', 'F1', 'P3', '1P', 'XU']),
  ('npi',      ARRAY['1234567893', '1356320139', '1285849489', '1922087766', '2123456784', '1234567810', ' 1000000004 '],
               ARRAY['1234567893', '1356320139', '1285849489', '1922087766', '2123456784', '1234567810', '1000000004']),
  ('ndc',      ARRAY['1234-5678-90', '12345-678-90', '12345-6789-0', '12345-6789-01', '12345678901', '00002080001'],
               ARRAY['01234-5678-90', '12345-0678-90', '12345-6789-00', '12345-6789-01', '12345-6789-01', '00002-0800-01']),
  ('mbi',      ARRAY['1EG4TE5MK73', '1eg4-te5-mk73', '1EG4-TE5MK73', '1A00AA0AA00', '9YY9YY9YY99'],
               ARRAY['1EG4TE5MK73', '1EG4TE5MK73', '1EG4TE5MK73', '1A00AA0AA00', '9YY9YY9YY99']);

CREATE TEMP TABLE invalid_cases (typ text, inputs text[]) ON COMMIT DROP;
INSERT INTO invalid_cases VALUES
  ('icd10cm',  ARRAY['I10.', 'E1', '1A00', 'E11.92345', 'E1.19', 'E11..9', '', 'E11-9']),
  ('icd10pcs', ARRAY['0LB50Z', '0LB50ZZZ', '0LB5OZZ', '0IB50ZZ', '0LB5-ZZ', '']),
  ('cpt',      ARRAY['9921', '992134', 'F3074', '3074X', '30A4F', 'U0001', '']),
  ('hcpcs',    ARRAY['W1234', 'J012', 'J01290', '10129', 'J01A9', '']),
  ('code_modifier', ARRAY['2', '255', 'L-', '', 'L T']),
  ('npi',      ARRAY['1234567890', '3234567893', '123456789', '12345678930', '12345A7893', '']),
  ('ndc',      ARRAY['1234567890', '1234-567-89', '12345-67890-1', '123456789012', '1234-5678', '12-34-56-78', '1234A-5678-90', '']),
  ('mbi',      ARRAY['0EG4TE5MK73', '1EG4TE5ML73', '1SG4TE5MK73', '1OG4TE5MK73', '1IG4TE5MK73', '1BG4TE5MK73',
                     '1ZG4TE5MK73', '1EGATE5MK73', '1EG4TE5MK7', '1EG-4TE5MK73', '']);

CREATE TEMP VIEW valid_codes AS
  SELECT typ, input, u.canon, n FROM valid_cases AS c, unnest(c.inputs, c.canon) WITH ORDINALITY AS u(input, canon, n);
CREATE TEMP VIEW invalid_codes AS
  SELECT typ, input, n FROM invalid_cases, unnest(inputs) WITH ORDINALITY AS u(input, n);

-- dynamic helpers: the type is data here
CREATE FUNCTION pg_temp.cast_sql(typ text, v text) RETURNS text LANGUAGE sql IMMUTABLE
  RETURN format('SELECT %L::patsvc.%I', v, typ);
CREATE FUNCTION pg_temp.as_text(typ text, v text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE r text;
BEGIN EXECUTE format('SELECT %L::patsvc.%I::text', v, typ) INTO r; RETURN r; END $$;
CREATE FUNCTION pg_temp.is_valid(typ text, v text) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE r boolean;
BEGIN EXECUTE format('SELECT patsvc.%I(%L)', 'is_valid_' || typ, v) INTO r; RETURN r; END $$;
CREATE FUNCTION pg_temp.sorted_as_type(typ text, vals text[]) RETURNS text[] LANGUAGE plpgsql AS $$
DECLARE r text[];
BEGIN
  EXECUTE format('SELECT array_agg(c::text ORDER BY c) FROM unnest($1) AS t(v), LATERAL (SELECT v::patsvc.%I) AS x(c)', typ)
    INTO r USING vals;
  RETURN r;
END $$;

SELECT plan((SELECT 4 * count(*) FROM valid_codes)::int
          + (SELECT 2 * count(*) FROM invalid_codes)::int
          + 4 * (SELECT count(*) FROM valid_cases)::int);

SELECT lives_ok(pg_temp.cast_sql(typ, input), format('%s accepts %L', typ, input))
FROM valid_codes ORDER BY typ, n;
SELECT is(pg_temp.as_text(typ, input), canon, format('%s %L is canonical %s', typ, input, canon))
FROM valid_codes ORDER BY typ, n;
SELECT is(pg_temp.as_text(typ, pg_temp.as_text(typ, input)), canon,
          format('%s %L round-trips text -> type -> text', typ, canon))
FROM valid_codes ORDER BY typ, n;
SELECT is(pg_temp.is_valid(typ, input), true, format('is_valid_%s(%L) agrees with the input function', typ, input))
FROM valid_codes ORDER BY typ, n;

SELECT throws_ok(pg_temp.cast_sql(typ, input), '22P02', NULL, format('%s refuses %L with 22P02', typ, input))
FROM invalid_codes ORDER BY typ, n;
SELECT is(pg_temp.is_valid(typ, input), false, format('is_valid_%s(%L) agrees with the input function', typ, input))
FROM invalid_codes ORDER BY typ, n;

SELECT is(pg_temp.sorted_as_type(typ, canon),
          (SELECT array_agg(c ORDER BY c COLLATE "C") FROM unnest(canon) AS d(c)),
          format('%s sorts like its canonical text', typ))
FROM valid_cases ORDER BY typ;

-- btree deduplication needs the equalimage support function (else an index of
-- repeated codes grows several times larger than one on text)
SELECT ok(EXISTS (SELECT 1 FROM pg_amproc p JOIN pg_opfamily f ON f.oid = p.amprocfamily
                  JOIN pg_am a ON a.oid = f.opfmethod
                  WHERE a.amname = 'btree' AND f.opfname = typ || '_ops'
                    AND f.opfnamespace = 'patsvc'::regnamespace AND p.amprocnum = 4
                    AND p.amproc = 'pg_catalog.btequalimage'::regproc),
          format('%s btree operator class allows deduplication', typ))
FROM valid_cases ORDER BY typ;

-- both operator classes pass the access methods' own validation
SELECT ok(amvalidate(c.oid), format('%s %s operator class is valid (amvalidate)', typ, a.amname))
FROM valid_cases, pg_opclass c JOIN pg_am a ON a.oid = c.opcmethod
WHERE c.opcname = typ || '_ops' AND c.opcnamespace = 'patsvc'::regnamespace
ORDER BY typ, a.amname;

SELECT * FROM finish();
ROLLBACK;
