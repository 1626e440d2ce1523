-- Finding a patient from what the front desk types: "smith jo 1/2/1980",
-- "smith, john", an MRN, a phone, an e-mail.  find_patients parses the
-- query, gathers candidates through indexes only (MRN, phones, e-mail,
-- birth date, name prefix, sound-alike names) and ranks them.  It runs with
-- the caller's rights: who may read patients may search them.

-- name prefix ("jo" finds John and Joan), family and given name together
CREATE INDEX patients_name_prefix ON @extschema@.patients
  (pg_catalog.lower(family_name) text_pattern_ops, pg_catalog.lower(given_name) text_pattern_ops);
COMMENT ON INDEX @extschema@.patients_name_prefix IS
  'find_patients: family name prefix, then given name prefix (lower case, byte order)';
-- sound-alike family and given name without a birth date (Smyth Jon, Bill for William)
CREATE INDEX patients_name_phonetic ON @extschema@.patients (family_phonetic, given_phonetic);
COMMENT ON INDEX @extschema@.patients_name_phonetic IS
  'find_patients: sound-alike family and given name (Double Metaphone codes)';

-- How well one typed name token t matches a name: 5 equal, 4 a prefix of
-- it, 3 sounds alike, 2 a nickname of it (nicks: the names t is a variant
-- of, space-separated), 1 a typo (Jaro-Winkler >= 0.9, tokens of 4 letters
-- or more), 0 none.  thi is the least string above every string starting
-- with t (for the prefix index); tph is name_phonetic(t).
CREATE FUNCTION @extschema@._find_level(tok text, tok_ph text, nicks text, val text, val_ph text)
  RETURNS integer AS 'MODULE_PATHNAME', 'patsvc_find_level' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@._find_level(text, text, text, text, text) IS
  'internal (find_patients): how a typed name token matches a name: 5 equal, 4 prefix, 3 sound-alike, 2 nickname, 1 typo, 0 none';

-- The best reading of the typed names for one patient (the readings as
-- _find_patients builds them: family tokens, their codes, given tokens or
-- NULL, their codes, their nicknames, 1 for typed order): {family level,
-- given level, typed order}, every name matching; the highest sum of
-- levels, then typed order, then the first reading; NULL when none matches.
CREATE FUNCTION @extschema@._find_best_reading(family text[], family_ph text[], given text[], given_ph text[],
    nicks text[], typed_order integer[], family_name text, family_phonetic text, given_name text, given_phonetic text)
  RETURNS integer[] AS 'MODULE_PATHNAME', 'patsvc_find_best_reading' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@._find_best_reading(text[], text[], text[], text[], text[], integer[], text, text, text, text) IS
  'internal (find_patients): the reading of the typed names that matches a patient best, {family level, given level, typed order} (levels of _find_level), NULL when no reading has every name matching';

-- The least text above every text that starts with t (t's last character
-- raised by one): the upper bound of a prefix range on a text_pattern_ops index.
CREATE FUNCTION @extschema@._find_prefix_end(t text) RETURNS text
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
  SELECT pg_catalog.left(t, -1) OPERATOR(pg_catalog.||)
         pg_catalog.chr(pg_catalog.ascii(pg_catalog.right(t, 1)) OPERATOR(pg_catalog.+) 1)
$$;
COMMENT ON FUNCTION @extschema@._find_prefix_end(text) IS
  'internal (find_patients): the upper bound of the prefix range of t on a text_pattern_ops index';

-- A typed date: US month/day order (1/2/1980 is January 2), ISO 1980-01-02,
-- a two-digit year is the latest such year not after this one (1/2/80:
-- 1980; 1/2/15: 2015).  NULL when the token is not shaped like a date;
-- 22007 when it is but names no day (2/30/1980).
CREATE FUNCTION @extschema@._find_date(tok text) RETURNS date
  AS 'MODULE_PATHNAME', 'patsvc_find_date' LANGUAGE C STABLE STRICT PARALLEL SAFE;   -- C: once per token
COMMENT ON FUNCTION @extschema@._find_date(text) IS
  'internal (find_patients): a typed date (1/2/1980 month first, 01/02/80, 1980-01-02), NULL if not shaped like one, 22007 for a day that does not exist';

-- The search itself (find_patients below is its interface: PL/pgSQL does not
-- allow the argument birth_date and the result column birth_date together).
CREATE FUNCTION @extschema@._find_patients(query text, dob_typed date, max_results integer)
  RETURNS TABLE (patient_id bigint, mrn text, name text, birth_date date, score real, why text)
  LANGUAGE plpgsql STABLE
  -- every query below is an index lookup whatever the values: planned once
  -- (a custom plan for each call cost more than the search itself)
  SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
  phone_re constant text := '(^|[\s,;])(\+?1[\s.-]*)?(\(?[2-9][0-9]{2}\)?[\s.-]*[2-9][0-9]{2}[\s.-]*[0-9]{4})(?=$|[\s,;])';
  rest text;
  tok text;
  d date;
  dob date := dob_typed;
  dob_swap date;
  mrns text[] := '{}';
  phones text[] := '{}';
  emails text[] := '{}';
  fam_side text[] := '{}';     -- name tokens before a comma (the family name)
  names text[] := '{}';        -- name tokens
  comma boolean := false;
  -- name pairs (family token, given token; given NULL for a lone name)
  pf text[] := '{}'; pfh text[] := '{}'; pfp text[] := '{}';
  pg text[] := '{}'; pgh text[] := '{}'; pgp text[] := '{}'; pgn text[] := '{}';
  pb integer[] := '{}';        -- 1 for the reading in typed order (family first), breaking ties
  -- sound-alike pairs for the index: family code, given code (NULL: any)
  phf text[] := '{}'; phg text[] := '{}';
  i int; j int;
  nick text;
  ids bigint[] := '{}';
  dobs date[] := '{}';         -- candidates by birth date: read directly, not by id
BEGIN
  IF query IS NULL OR pg_catalog.btrim(query) OPERATOR(pg_catalog.=) '' THEN
    RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = 'the search is empty',
      HINT = 'Type a name (smith jo, or smith, john), a birth date (1/2/1980), an MRN, a phone or an e-mail.';
  END IF;
  IF max_results IS NULL OR max_results OPERATOR(pg_catalog.<) 1 OR max_results OPERATOR(pg_catalog.>) 100 THEN
    RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = pg_catalog.format('max_results must be between 1 and 100, not %s', max_results),
      HINT = 'Ask for at most 100 candidates; refine the search to see others.';
  END IF;
  IF pg_catalog.length(query) OPERATOR(pg_catalog.>) 200 THEN
    RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = 'the search is longer than 200 characters',
      HINT = 'Type a name, a birth date, an MRN, a phone or an e-mail.';
  END IF;
  -- phones first: typed with spaces they span several tokens
  SELECT pg_catalog.array_agg(pg_catalog.regexp_replace(m[3], '[^0-9]', '', 'g'))
    INTO phones FROM pg_catalog.regexp_matches(query, phone_re, 'g') m;
  phones := COALESCE(phones, '{}');
  rest := pg_catalog.regexp_replace(query, phone_re, '\1 ', 'g');
  rest := pg_catalog.replace(rest, ',', ' , ');
  FOREACH tok IN ARRAY pg_catalog.regexp_split_to_array(pg_catalog.btrim(rest), '\s+') LOOP
    CONTINUE WHEN tok OPERATOR(pg_catalog.=) '';
    IF tok OPERATOR(pg_catalog.=) ',' THEN
      IF comma OR pg_catalog.cardinality(names) OPERATOR(pg_catalog.=) 0 THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = 'a comma follows the family name',
          HINT = 'Type "smith, john" (family name, comma, given name) or "smith john".';
      END IF;
      comma := true;
      fam_side := names;
      CONTINUE;
    ELSIF tok OPERATOR(pg_catalog.~) '@' THEN
      emails := emails OPERATOR(pg_catalog.||) pg_catalog.lower(tok);
      CONTINUE;
    END IF;
    d := @extschema@._find_date(tok);
    IF d IS NOT NULL THEN
      IF dob IS NOT NULL AND dob OPERATOR(pg_catalog.<>) d THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = 'two different birth dates in one search',
          DETAIL = pg_catalog.format('The search has %s and %s.', dob, d),
          HINT = 'Give one birth date, in the query or as birth_date.';
      END IF;
      dob := d;
    ELSIF tok OPERATOR(pg_catalog.~) '[0-9]' THEN
      IF tok OPERATOR(pg_catalog.!~) '^[A-Za-z0-9.-]+$' THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = pg_catalog.format('cannot read "%s"', tok),
          HINT = 'Type a name, a birth date (1/2/1980), an MRN, a 10-digit phone or an e-mail.';
      END IF;
      mrns := mrns OPERATOR(pg_catalog.||) @extschema@.mrn_canonical(tok);
    ELSE
      tok := pg_catalog.lower(pg_catalog.btrim(tok, '.'));
      IF tok OPERATOR(pg_catalog.!~) '[[:alpha:]]' THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = pg_catalog.format('cannot read "%s"', tok),
          HINT = 'Type a name, a birth date (1/2/1980), an MRN, a 10-digit phone or an e-mail.';
      END IF;
      names := names OPERATOR(pg_catalog.||) tok;
    END IF;
  END LOOP;
  IF pg_catalog.cardinality(names) OPERATOR(pg_catalog.>) 4 THEN
    RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = 'more than four names in one search',
      HINT = 'Type the family name and the given name.';
  END IF;
  IF dob IS NOT NULL AND pg_catalog.date_part('day', dob) OPERATOR(pg_catalog.<=) 12
     AND pg_catalog.date_part('day', dob) OPERATOR(pg_catalog.<>) pg_catalog.date_part('month', dob) THEN
    dob_swap := pg_catalog.make_date(pg_catalog.date_part('year', dob)::int, pg_catalog.date_part('day', dob)::int,
                                     pg_catalog.date_part('month', dob)::int);
  END IF;
  -- the (family, given) readings of the name tokens: after a comma, family
  -- before it and given after; otherwise any token as either
  FOR i IN 1 .. pg_catalog.cardinality(names) LOOP
    CONTINUE WHEN comma AND i OPERATOR(pg_catalog.>) pg_catalog.cardinality(fam_side);
    FOR j IN 1 .. pg_catalog.cardinality(names) LOOP
      CONTINUE WHEN i OPERATOR(pg_catalog.=) j OR (comma AND j OPERATOR(pg_catalog.<=) pg_catalog.cardinality(fam_side));
      pf := pf OPERATOR(pg_catalog.||) names[i];
      pg := pg OPERATOR(pg_catalog.||) names[j];
      pb := pb OPERATOR(pg_catalog.||) (CASE WHEN i OPERATOR(pg_catalog.<) j THEN 1 ELSE 0 END);
    END LOOP;
    IF pg_catalog.cardinality(names) OPERATOR(pg_catalog.=) 1
       OR (comma AND pg_catalog.cardinality(names) OPERATOR(pg_catalog.=) pg_catalog.cardinality(fam_side)) THEN
      pf := pf OPERATOR(pg_catalog.||) names[i];
      pg := pg OPERATOR(pg_catalog.||) NULL::text;
      pb := pb OPERATOR(pg_catalog.||) 1;
    END IF;
  END LOOP;
  FOR i IN 1 .. pg_catalog.cardinality(pf) LOOP
    pfh := pfh OPERATOR(pg_catalog.||) @extschema@._find_prefix_end(pf[i]);
    pfp := pfp OPERATOR(pg_catalog.||) @extschema@.name_phonetic(pf[i]);
    pgh := pgh OPERATOR(pg_catalog.||) @extschema@._find_prefix_end(pg[i]);
    pgp := pgp OPERATOR(pg_catalog.||) @extschema@.name_phonetic(pg[i]);
    SELECT pg_catalog.string_agg(DISTINCT b.variant, ' ') INTO nick
      FROM @extschema@.given_name_variants a
      JOIN @extschema@.given_name_variants b ON b.name OPERATOR(pg_catalog.=) a.name
     WHERE a.variant OPERATOR(pg_catalog.=) pg[i] AND b.variant OPERATOR(pg_catalog.<>) pg[i];
    pgn := pgn OPERATOR(pg_catalog.||) nick;
    phf := phf OPERATOR(pg_catalog.||) pfp[i];
    phg := phg OPERATOR(pg_catalog.||) pgp[i];
    IF nick IS NOT NULL THEN
      SELECT phf OPERATOR(pg_catalog.||) pg_catalog.array_agg(pfp[i]),
             phg OPERATOR(pg_catalog.||) pg_catalog.array_agg(@extschema@.name_phonetic(v))
        INTO phf, phg FROM pg_catalog.unnest(pg_catalog.string_to_array(nick, ' ')) v;
    END IF;
  END LOOP;
  -- where candidates come from: identifiers if any were typed, else the
  -- birth date, else the names (each a small query on one index; without a
  -- birth date, the first 100 of each reading in alphabetical order, which
  -- holds the best-ranked: an equal name sorts before the longer ones it
  -- is a prefix of, and 50 of each pair of sound-alike codes)
  IF pg_catalog.cardinality(mrns || phones || emails) OPERATOR(pg_catalog.>) 0 THEN
    ids := ARRAY(SELECT p.id FROM @extschema@.patients p
                  WHERE p.mrn OPERATOR(pg_catalog.=) ANY (mrns) OR p.home_phone OPERATOR(pg_catalog.=) ANY (phones)
                     OR p.mobile_phone OPERATOR(pg_catalog.=) ANY (phones) OR p.work_phone OPERATOR(pg_catalog.=) ANY (phones)
                     OR pg_catalog.lower(p.email) OPERATOR(pg_catalog.=) ANY (emails));
  ELSIF dob IS NOT NULL THEN
    dobs := ARRAY[dob, dob_swap];
  ELSE
    FOR i IN 1 .. pg_catalog.cardinality(pf) LOOP
      IF pg[i] IS NOT NULL THEN
        ids := ids OPERATOR(pg_catalog.||) ARRAY(
          SELECT p.id FROM @extschema@.patients p
           WHERE pg_catalog.lower(p.family_name) OPERATOR(pg_catalog.~>=~) pf[i]
             AND pg_catalog.lower(p.family_name) OPERATOR(pg_catalog.~<~) pfh[i]
             AND pg_catalog.lower(p.given_name) OPERATOR(pg_catalog.~>=~) pg[i]
             AND pg_catalog.lower(p.given_name) OPERATOR(pg_catalog.~<~) pgh[i]
           ORDER BY pg_catalog.lower(p.family_name) USING OPERATOR(pg_catalog.~<~),
                    pg_catalog.lower(p.given_name) USING OPERATOR(pg_catalog.~<~)
           LIMIT 100);
      ELSE
        ids := ids OPERATOR(pg_catalog.||) ARRAY(
          SELECT p.id FROM @extschema@.patients p
           WHERE pg_catalog.lower(p.family_name) OPERATOR(pg_catalog.~>=~) pf[i]
             AND pg_catalog.lower(p.family_name) OPERATOR(pg_catalog.~<~) pfh[i]
           ORDER BY pg_catalog.lower(p.family_name) USING OPERATOR(pg_catalog.~<~),
                    pg_catalog.lower(p.given_name) USING OPERATOR(pg_catalog.~<~)
           LIMIT 100);
      END IF;
    END LOOP;
    FOR i IN 1 .. pg_catalog.cardinality(phf) LOOP
      CONTINUE WHEN phf[i] OPERATOR(pg_catalog.=) '';
      IF phg[i] IS NOT NULL THEN
        ids := ids OPERATOR(pg_catalog.||) ARRAY(
          SELECT p.id FROM @extschema@.patients p
           WHERE p.family_phonetic OPERATOR(pg_catalog.=) phf[i] AND p.given_phonetic OPERATOR(pg_catalog.=) phg[i]
           LIMIT 50);
      ELSE
        ids := ids OPERATOR(pg_catalog.||) ARRAY(
          SELECT p.id FROM @extschema@.patients p WHERE p.family_phonetic OPERATOR(pg_catalog.=) phf[i]
           ORDER BY p.family_phonetic, p.given_phonetic LIMIT 50);
      END IF;
    END LOOP;
  END IF;
  RETURN QUERY
  WITH scored AS (
    SELECT p.id, p.mrn, p.name, p.birth_date, p.family_name, p.given_name,
           p.mrn OPERATOR(pg_catalog.=) ANY (mrns) AS m_mrn,
           ARRAY[p.home_phone, p.mobile_phone, p.work_phone] OPERATOR(pg_catalog.&&) phones AS m_phone,
           pg_catalog.lower(p.email) OPERATOR(pg_catalog.=) ANY (emails) AS m_email,
           CASE WHEN p.birth_date OPERATOR(pg_catalog.=) dob THEN 2
                WHEN p.birth_date OPERATOR(pg_catalog.=) dob_swap THEN 1 ELSE 0 END AS m_dob,
           p.reading[1] AS lf, p.reading[2] AS lg, p.reading[3] AS b
      FROM (SELECT c.*, @extschema@._find_best_reading(pf, pfp, pg, pgp, pgn, pb, c.family_name, c.family_phonetic,
                                                       c.given_name, c.given_phonetic) AS reading
              FROM @extschema@.patients c
             WHERE c.id OPERATOR(pg_catalog.=) ANY (ids) OR c.birth_date OPERATOR(pg_catalog.=) ANY (dobs)
            OFFSET 0) p   -- not pulled up: the reading is computed once per candidate, not once per use
  )
  SELECT s.id, s.mrn, s.name, s.birth_date,
         -- identifier 100 (MRN) or 90 (phone, e-mail), birth date 20 (10 swapped),
         -- each name 2 per level (equal 10, prefix 8, sound 6, nickname 4, typo 2),
         -- 1 when the names match in the order typed (family name first)
         ((CASE WHEN s.m_mrn THEN 100 WHEN s.m_phone OR s.m_email THEN 90 ELSE 0 END)
          OPERATOR(pg_catalog.+) (s.m_dob OPERATOR(pg_catalog.*) 10)
          OPERATOR(pg_catalog.+) (COALESCE(s.lf, 0) OPERATOR(pg_catalog.*) 2)
          OPERATOR(pg_catalog.+) (COALESCE(s.lg, 0) OPERATOR(pg_catalog.*) 2)
          OPERATOR(pg_catalog.+) COALESCE(s.b, 0))::real,
         pg_catalog.array_to_string(ARRAY[
           CASE WHEN s.m_mrn THEN 'MRN' END,
           CASE WHEN s.m_phone THEN 'phone' END,
           CASE WHEN s.m_email THEN 'e-mail' END,
           CASE s.m_dob WHEN 2 THEN 'birth date' WHEN 1 THEN 'birth date with day and month swapped' END,
           'family name ' OPERATOR(pg_catalog.||) (ARRAY['typo', 'nickname', 'sounds alike', 'prefix', 'equal'])[s.lf],
           'given name ' OPERATOR(pg_catalog.||) (ARRAY['typo', 'nickname', 'sounds alike', 'prefix', 'equal'])[s.lg]], ', ')
    FROM scored s
   WHERE (pg_catalog.cardinality(mrns || phones || emails) OPERATOR(pg_catalog.=) 0 OR s.m_mrn OR s.m_phone OR s.m_email)
     AND (dob IS NULL OR s.m_dob OPERATOR(pg_catalog.>) 0)
     AND (pg_catalog.cardinality(names) OPERATOR(pg_catalog.=) 0 OR s.lf IS NOT NULL)
   ORDER BY 5 DESC, s.family_name, s.given_name, s.birth_date, s.id
   LIMIT max_results;
END $$;
COMMENT ON FUNCTION @extschema@._find_patients(text, date, integer) IS
  'internal: the search behind find_patients (same arguments and result)';

-- C (find.c): the search through a kept plan (a SQL function here was
-- inlined into each calling statement: its body parsed and planned on every call)
CREATE FUNCTION @extschema@.find_patients(query text, birth_date date DEFAULT NULL, max_results integer DEFAULT 10)
  RETURNS TABLE (patient_id bigint, mrn text, name text, birth_date date, score real, why text)
  AS 'MODULE_PATHNAME', 'patsvc_find_patients' LANGUAGE C STABLE;
COMMENT ON FUNCTION @extschema@.find_patients(text, date, integer) IS
  'ranked candidates for what the front desk types: name tokens in any order or "family, given" (prefixes, sound-alike, nicknames, typos), a birth date (1/2/1980 month first, 1980-01-02), an MRN, a phone, an e-mail; every part typed must match; 22023 for an empty search or max_results outside 1..100, 22007 for a date that does not exist';
