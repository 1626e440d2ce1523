#!/usr/bin/env bash
# Quality of duplicate detection (README "Registration" / "Likely duplicates"),
# measured: a deterministic population of distinct people (names drawn by
# frequency from test/fixtures/names/, birth dates over 90 years, phones,
# e-mails, ZIP codes) is registered with register_patient; every PS412 among
# them is a false candidate (they are then registered with confirm_new so the
# population is complete).  Then, each attempt in a subtransaction that is
# rolled back (the registry stays the base population):
#   planted duplicates of each kind: caught when refused with PS412 naming
#     the original patient;
#   near-misses, different people: flagged when refused with PS412.
# Prints RESULT lines per kind and a summary; fails when recall over all
# planted duplicates is below 95 % or more than 1 % of the distinct people
# (base population and near-misses) are flagged.
# QUALITY_POPULATION and QUALITY_PER_KIND change the sizes (default 20000, 100).
set -euo pipefail
export TZ=UTC PGTZ=UTC PGCLIENTENCODING=UTF8
here=$(cd "$(dirname "$0")" && pwd)
names=$here/../fixtures/names
population=${QUALITY_POPULATION:-20000}
per_kind=${QUALITY_PER_KIND:-100}
q() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }

q <<'SQL'
CREATE EXTENSION patsvc;
CREATE TABLE surname_list (name text NOT NULL, count bigint NOT NULL);
CREATE TABLE given_list (name text NOT NULL, count bigint NOT NULL, sex text);
SQL
q -c "COPY surname_list FROM STDIN (FORMAT csv, HEADER true)" < "$names/surnames.csv"
q -c "COPY given_list (name, count) FROM STDIN (FORMAT csv, HEADER true)" < "$names/given_male.csv"
q -c "UPDATE given_list SET sex = 'male'"
q -c "COPY given_list (name, count) FROM STDIN (FORMAT csv, HEADER true)" < "$names/given_female.csv"
q -c "UPDATE given_list SET sex = 'female' WHERE sex IS NULL"

start=$SECONDS
q -v population="$population" -v per_kind="$per_kind" <<'SQL'
SET max_parallel_workers_per_gather = 0;   -- one scan order: the same population every run
SELECT setseed(0.2010);

-- ---- the frequency lists as cumulative shares (a name is drawn with a uniform r: the first hi > r)
CREATE TABLE fam AS
SELECT name, sum(count) OVER (ORDER BY count DESC, name)::float8 / sum(count) OVER () AS hi FROM surname_list;
CREATE TABLE giv AS
SELECT name, sex, sum(count) OVER (PARTITION BY sex ORDER BY count DESC, name)::float8
                  / sum(count) OVER (PARTITION BY sex) AS hi FROM given_list;
CREATE INDEX ON fam (hi);
CREATE INDEX ON giv (sex, hi);
CREATE FUNCTION draw_family(r float8) RETURNS text LANGUAGE sql STABLE
  AS $$ SELECT name FROM fam WHERE hi >= r ORDER BY hi LIMIT 1 $$;
CREATE FUNCTION draw_given(sex text, r float8) RETURNS text LANGUAGE sql STABLE
  AS $$ SELECT name FROM giv WHERE giv.sex = draw_given.sex AND hi >= r ORDER BY hi LIMIT 1 $$;
-- a Boston-area mobile number from one uniform draw
CREATE FUNCTION draw_phone(r float8) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT (ARRAY['617', '781', '857', '508', '978', '339'])[1 + floor(r * 6)::int]
         || (200 + floor(r * 6 * 800)::int % 800)::text
         || lpad((floor(r * 6 * 800 * 10000)::bigint % 10000)::text, 4, '0') $$;
CREATE FUNCTION ascii_letters(s text) RETURNS text LANGUAGE sql IMMUTABLE
  AS $$ SELECT lower(regexp_replace(translate(s, 'áéíóúñüöøřÁÉÍÓÚÑÜÖØŘë', 'aeiounuoorAEIOUNUOORe'), '[^A-Za-z]', '', 'g')) $$;

-- ---- the base population: distinct people
CREATE TABLE pop AS
WITH r AS MATERIALIZED (
  SELECT k, random() rf, random() rg, random() rs, random() rd, random() rz, random() rp, random() rpx,
         random() re, random() rm
    FROM generate_series(1, :population) k ORDER BY k)
SELECT k, s.sex, draw_family(rf) AS family, draw_given(s.sex, rg) AS given,
       CASE WHEN rm < 0.4 THEN draw_given(s.sex, rm / 0.4) END AS middle,
       date '1935-01-01' + floor(rd * (date '2024-12-31' - date '1935-01-01'))::int AS dob,
       '02' || (100 + floor(rz * 100)::int)::text AS zip,
       CASE WHEN rpx < 0.85 THEN draw_phone(rp) END AS phone,
       CASE WHEN re < 0.5 THEN 'p' || k || '@example.org' END AS email
  FROM r CROSS JOIN LATERAL (SELECT CASE WHEN rs < 0.5 THEN 'male' ELSE 'female' END AS sex) s;
CREATE UNIQUE INDEX ON pop (k);

-- ---- register them: a PS412 among distinct people is a false candidate
CREATE TABLE registered (k int PRIMARY KEY, patient_id bigint NOT NULL);
CREATE TABLE base_flags (k int PRIMARY KEY, detail text NOT NULL);
DO $$
DECLARE
  p record;
  id bigint;
  detail text;
BEGIN
  FOR p IN SELECT * FROM pop ORDER BY k LOOP
    BEGIN
      SELECT patient_id INTO id
        FROM patsvc.register_patient(p.family, p.given, p.dob, p.sex, middle_name => p.middle, zip => p.zip,
                                     mobile_phone => p.phone, email => p.email);
    EXCEPTION WHEN SQLSTATE 'PS412' THEN
      GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
      INSERT INTO base_flags VALUES (p.k, detail);
      SELECT patient_id INTO id
        FROM patsvc.register_patient(p.family, p.given, p.dob, p.sex, middle_name => p.middle, zip => p.zip,
                                     mobile_phone => p.phone, email => p.email, confirm_new => true);
    END;
    INSERT INTO registered VALUES (p.k, id);
    IF p.k % 500 = 0 THEN
      COMMIT;   -- the trigger's advisory locks are held to the end of the transaction
      ANALYZE patsvc.patients;   -- fresh statistics: the trigger's kept plan of the growing table is replanned
    END IF;
  END LOOP;
END $$;
SQL
echo "registered $population people in $((SECONDS - start)) s"

start=$SECONDS
q -v population="$population" -v per_kind="$per_kind" <<'SQL'
SET max_parallel_workers_per_gather = 0;
SELECT setseed(0.2020);

-- ---- variations
-- A sound-alike respelling: the first of these rules (tried from a rotating start) that changes the name.
CREATE TABLE respellings (n int PRIMARY KEY, pattern text, replacement text);
INSERT INTO respellings VALUES
  (1, 'ith$', 'yth'), (2, 'son$', 'sen'), (3, 'sen$', 'son'), (4, 'ph', 'f'), (5, '^c([aou])', 'k\1'),
  (6, '^k([aou])', 'c\1'), (7, 'ck', 'k'), (8, '([bdfglmnprstz])\1', '\1'), (9, 'ey$', 'y'), (10, 'ie$', 'y'),
  (11, 'y$', 'ie'), (12, 'z$', 's'), (13, 's$', 'z'), (14, 'mps', 'ms'), (15, 'th', 't'), (16, '^chr', 'kr'),
  (17, 'x', 'ks'), (18, 'hn$', 'n'), (19, 'ei', 'ie'), (20, 'ine$', 'yne'), (21, 'c([ei])', 's\1'),
  (22, 'i$', 'y'), (23, 'ee', 'ea'), (24, '([aeiou])l$', '\1ll'), (25, 'an$', 'en'), (26, 'en$', 'an'),
  (27, 'ou', 'ow'), (28, '([a-z])y([a-z])', '\1i\2'), (29, 'ai', 'ay'), (30, 'er$', 'ar');
CREATE FUNCTION respell(name text, start int) RETURNS text LANGUAGE sql STABLE AS $$
  SELECT initcap(regexp_replace(lower(name), pattern, replacement))
    FROM respellings
   WHERE regexp_replace(lower(name), pattern, replacement) <> lower(name)
   ORDER BY (n - start + 1000) % 30 LIMIT 1 $$;
-- A typing slip: two inner letters swapped (names of 5 letters or more), else a respelling.
CREATE FUNCTION typo(name text, r float8) RETURNS text LANGUAGE sql STABLE AS $$
  SELECT CASE
    WHEN length(name) >= 5 AND substr(name, pos, 1) <> substr(name, pos + 1, 1)
      THEN substr(name, 1, pos - 1) || substr(name, pos + 1, 1) || substr(name, pos, 1) || substr(name, pos + 2)
    ELSE respell(name, floor(r * 30)::int) END
    FROM (SELECT 2 + floor(r * (length(name) - 2))::int AS pos) x $$;
CREATE FUNCTION try_date(y int, m int, d int) RETURNS date LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  RETURN make_date(y, m, d);
EXCEPTION WHEN datetime_field_overflow OR invalid_datetime_format THEN
  RETURN NULL;
END $$;
-- The valid dates one digit of YYYYMMDD off (the last two digits of the year, month, day), within 10 years, not later than the original registration could be.
CREATE FUNCTION dates_one_digit_off(dob date) RETURNS SETOF date LANGUAGE sql STABLE AS $$
  SELECT DISTINCT v FROM (
    SELECT try_date(substr(t, 1, 4)::int, substr(t, 5, 2)::int, substr(t, 7, 2)::int) v
      FROM (SELECT overlay(to_char(dob, 'YYYYMMDD') PLACING c::text FROM pos FOR 1) t
              FROM generate_series(3, 8) pos, generate_series(0, 9) c) x) y
   WHERE v IS NOT NULL AND v <> dob AND abs(extract(year FROM v) - extract(year FROM dob)) <= 10
     AND v <= date '2026-01-01' $$;
CREATE FUNCTION nickname_of(given text, r float8) RETURNS text LANGUAGE sql STABLE AS $$
  SELECT initcap(b.variant) FROM patsvc.given_name_variants a JOIN patsvc.given_name_variants b ON b.name = a.name
   WHERE a.variant = lower(given) AND b.variant <> a.variant
   ORDER BY b.variant OFFSET floor(r * (SELECT count(*) FROM patsvc.given_name_variants a JOIN patsvc.given_name_variants b
                                         ON b.name = a.name WHERE a.variant = lower(given) AND b.variant <> a.variant))::int
   LIMIT 1 $$;
CREATE FUNCTION nicknames_related(a text, b text) RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT EXISTS (SELECT 1 FROM patsvc.given_name_variants x JOIN patsvc.given_name_variants y ON y.name = x.name
                  WHERE x.variant = ascii_letters(a) AND y.variant = ascii_letters(b)) $$;

-- ---- the attempts: planted duplicates (expect: refused naming the original) and near-misses (expect: registered)
CREATE TABLE attempts (
  n serial PRIMARY KEY, class text NOT NULL, kind text NOT NULL, k int NOT NULL,
  family text, given text, middle text, dob date, sex text, zip text, phone text, email text);
-- k's person, sampled from the eligible ones with one uniform number r per row
CREATE VIEW sample AS
SELECT p.*, g.patient_id, random() AS r1, random() AS r2, random() AS r3 FROM pop p JOIN registered g USING (k);

INSERT INTO attempts (class, kind, k, family, given, middle, dob, sex)
SELECT 'duplicate', 'exact name and birth date', k, family, given, NULL, dob, sex
  FROM (SELECT * FROM sample ORDER BY random() LIMIT :per_kind) s;
INSERT INTO attempts (class, kind, k, family, given, middle, dob, sex)
SELECT 'duplicate', 'sound-alike family and given name', k, f, g, NULL, dob, sex
  FROM (SELECT *, respell(family, floor(r1 * 30)::int) f, respell(given, floor(r2 * 30)::int) g
          FROM sample WHERE respell(family, 0) IS NOT NULL AND respell(given, 0) IS NOT NULL
         ORDER BY random() LIMIT :per_kind) s;
INSERT INTO attempts (class, kind, k, family, given, middle, dob, sex)
SELECT 'duplicate', 'day and month swapped', k, family, given, NULL,
       make_date(extract(year FROM dob)::int, extract(day FROM dob)::int, extract(month FROM dob)::int), sex
  FROM (SELECT * FROM sample WHERE extract(day FROM dob) <= 12 AND extract(day FROM dob) <> extract(month FROM dob)
         ORDER BY random() LIMIT :per_kind) s;
INSERT INTO attempts (class, kind, k, family, given, middle, dob, sex)
SELECT 'duplicate', 'birth date one digit off', k, family, given, NULL,
       (SELECT v FROM dates_one_digit_off(dob) v ORDER BY v OFFSET floor(r1 * (SELECT count(*) FROM dates_one_digit_off(dob)))::int LIMIT 1),
       sex
  FROM (SELECT * FROM sample ORDER BY random() LIMIT :per_kind) s;
INSERT INTO attempts (class, kind, k, family, given, middle, dob, sex, phone, email)
SELECT 'duplicate', 'same phone or e-mail, given name misspelt, family name changed', k,
       draw_family(r1), typo(given, r2), NULL, dob, sex,
       CASE WHEN phone IS NOT NULL AND (email IS NULL OR r3 < 0.5) THEN phone END,
       CASE WHEN email IS NOT NULL AND (phone IS NULL OR r3 >= 0.5) THEN email END
  FROM (SELECT * FROM sample WHERE (phone IS NOT NULL OR email IS NOT NULL) AND typo(given, 0.5) IS NOT NULL
         ORDER BY random() LIMIT :per_kind) s
 WHERE ascii_letters(draw_family(r1)) <> ascii_letters(family);
INSERT INTO attempts (class, kind, k, family, given, middle, dob, sex)
SELECT 'duplicate', 'nickname', k, family, nickname_of(given, r1), NULL, dob, sex
  FROM (SELECT * FROM sample WHERE nickname_of(given, 0) IS NOT NULL ORDER BY random() LIMIT :per_kind) s;
INSERT INTO attempts (class, kind, k, family, given, middle, dob, sex)
SELECT 'duplicate', 'hyphenated family name', k,
       CASE WHEN r2 < 0.5 THEN family || '-' || draw_family(r1) ELSE draw_family(r1) || '-' || family END,
       given, NULL, dob, sex
  FROM (SELECT * FROM sample ORDER BY random() LIMIT :per_kind) s
 WHERE draw_family(r1) <> family;
INSERT INTO attempts (class, kind, k, family, given, middle, dob, sex, zip)
SELECT 'duplicate', 'family name changed (same ZIP)', k, draw_family(r1), given, middle, dob, sex, zip
  FROM (SELECT * FROM sample ORDER BY random() LIMIT :per_kind) s
 WHERE ascii_letters(draw_family(r1)) <> ascii_letters(family);
INSERT INTO attempts (class, kind, k, family, given, middle, dob, sex)
SELECT 'duplicate', 'accents dropped', k, translate(family, 'áéíóúñüöøřÁÉÍÓÚÑÜÖØŘë', 'aeiounuoorAEIOUNUOORe'),
       translate(given, 'áéíóúñüöøřÁÉÍÓÚÑÜÖØŘë', 'aeiounuoorAEIOUNUOORe'), NULL, dob, sex
  FROM (SELECT * FROM sample WHERE family || given ~ '[^ -~]' ORDER BY random() LIMIT :per_kind) s;

-- near-misses: different people
INSERT INTO attempts (class, kind, k, family, given, middle, dob, sex, zip, phone)
SELECT 'distinct', 'twins (other given name)', k, family, g, NULL, dob, sex, zip, phone
  FROM (SELECT s.*, draw_given(sex, r1) g FROM sample s ORDER BY random() LIMIT :per_kind * 2) s
 WHERE g <> given AND NOT nicknames_related(g, given)
 LIMIT :per_kind;
INSERT INTO attempts (class, kind, k, family, given, middle, dob, sex, zip, phone)
SELECT 'distinct', 'same name, birth date over 10 years apart', k, family, given, middle, d, sex,
       '02' || (100 + floor(r2 * 100)::int)::text, draw_phone(r3)
  FROM (SELECT s.*, CASE WHEN dob > date '1980-01-01' THEN dob - (4018 + floor(r1 * 14000)::int)
                         ELSE dob + (4018 + floor(r1 * 14000)::int) END AS d
          FROM sample s ORDER BY random() LIMIT :per_kind) s;
INSERT INTO attempts (class, kind, k, family, given, middle, dob, sex, zip, phone)
SELECT 'distinct', 'parent and child of the same name', k, family, given, middle, d, sex, zip, phone
  FROM (SELECT s.*, CASE WHEN dob > date '1970-01-01' THEN dob - (9131 + floor(r1 * 3653)::int)
                         ELSE dob + (9131 + floor(r1 * 3653)::int) END AS d
          FROM sample s ORDER BY random() LIMIT :per_kind) s;
INSERT INTO attempts (class, kind, k, family, given, middle, dob, sex, zip, phone)
SELECT 'distinct', 'stranger with the same birth date', k, draw_family(r1), draw_given(x, r2), NULL, dob, x,
       '02' || (100 + floor(r3 * 100)::int)::text, draw_phone(r3 * 0.999)
  FROM (SELECT s.*, CASE WHEN r3 < 0.5 THEN 'male' ELSE 'female' END AS x FROM sample s ORDER BY random() LIMIT :per_kind) s;

-- ---- try each, rolled back either way
CREATE TABLE outcomes (n int PRIMARY KEY, refused boolean NOT NULL, detail text);
DO $$
DECLARE
  a record;
  detail text;
BEGIN
  FOR a IN SELECT * FROM attempts ORDER BY n LOOP
    BEGIN
      PERFORM patsvc.register_patient(a.family, a.given, a.dob, a.sex, middle_name => a.middle, zip => a.zip,
                                      mobile_phone => a.phone, email => a.email);
      RAISE SQLSTATE 'QT001';   -- registered: undo it
    EXCEPTION
      WHEN SQLSTATE 'PS412' THEN
        GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
        INSERT INTO outcomes VALUES (a.n, true, detail);
      WHEN SQLSTATE 'QT001' THEN
        INSERT INTO outcomes VALUES (a.n, false, NULL);
    END;
  END LOOP;
END $$;
SQL
echo "tried $(q -c "SELECT count(*) FROM attempts") planted duplicates and near-misses in $((SECONDS - start)) s"

# ---- the measures
q <<'SQL'
CREATE VIEW judged AS
SELECT a.*, o.refused, g.patient_id AS original,
       o.refused AND o.detail LIKE '%patient ' || g.patient_id || ' (%' AS names_original,
       substring(o.detail FROM 'patient ' || g.patient_id || ' \(MRN [^)]*\): (.*?)(?:; patient \d+ \(MRN|\.$)') AS why,
       o.detail
  FROM attempts a JOIN outcomes o USING (n) JOIN registered g USING (k);
CREATE VIEW per_kind AS
SELECT class, kind, count(*) AS tried,
       count(*) FILTER (WHERE CASE class WHEN 'duplicate' THEN names_original ELSE refused END) AS hits,
       string_agg(DISTINCT why, ' | ') FILTER (WHERE class = 'duplicate' AND names_original) AS rules
  FROM judged GROUP BY class, kind;
SQL
q -F ' ' <<'SQL'
SELECT format('RESULT population %s people, %s flagged as likely duplicates of another (%s%%)',
              (SELECT count(*) FROM registered), (SELECT count(*) FROM base_flags),
              round(100.0 * (SELECT count(*) FROM base_flags) / (SELECT count(*) FROM registered), 2));
SELECT format('RESULT base population flagged by: %s (%s)', why, count(*))
  FROM (SELECT substring(detail FROM ': ([^;:]*?)\.?$') AS why FROM base_flags) b GROUP BY why ORDER BY count(*) DESC;
SELECT format('RESULT duplicate  %-62s caught %s/%s (%s%%)%s', kind, hits, tried, round(100.0 * hits / tried, 1),
              CASE WHEN hits < 0.95 * tried THEN '  MISS' ELSE '' END)
  FROM per_kind WHERE class = 'duplicate' ORDER BY kind;
SELECT format('RESULT distinct   %-62s flagged %s/%s (%s%%)%s', kind, hits, tried, round(100.0 * hits / tried, 1),
              CASE WHEN hits > 0.01 * tried THEN '  MISS' ELSE '' END)
  FROM per_kind WHERE class = 'distinct' ORDER BY kind;
SQL
echo "--- missed duplicates (kind, original, attempt, detail)"
q -F ' | ' -c "SELECT j.kind, p.family || ' ' || p.given || ' ' || p.dob, j.family || ' ' || j.given || ' ' || j.dob || coalesce(' ' || j.phone, '') || coalesce(' ' || j.email, ''), coalesce(j.detail, 'registered') FROM judged j JOIN pop p USING (k) WHERE class = 'duplicate' AND NOT names_original ORDER BY j.kind, j.n"
echo "--- flagged near-misses (kind, original, attempt, detail)"
q -F ' | ' -c "SELECT j.kind, p.family || ' ' || p.given || ' ' || p.dob, j.family || ' ' || j.given || ' ' || j.dob, j.detail FROM judged j JOIN pop p USING (k) WHERE class = 'distinct' AND refused ORDER BY j.kind, j.n"

read -r recall distinct_rate verdict <<< "$(q -F ' ' <<'SQL'
WITH d AS (SELECT sum(hits) AS hits, sum(tried) AS tried FROM per_kind WHERE class = 'duplicate'),
     x AS (SELECT sum(hits) + (SELECT count(*) FROM base_flags) AS hits,
                  sum(tried) + (SELECT count(*) FROM registered) AS tried FROM per_kind WHERE class = 'distinct')
SELECT round(100.0 * d.hits / d.tried, 2), round(100.0 * x.hits / x.tried, 2),
       CASE WHEN d.hits >= 0.95 * d.tried AND x.hits <= 0.01 * x.tried THEN 'pass' ELSE 'fail' END
  FROM d, x;
SQL
)"
echo "RESULT registry duplicate quality: recall $recall% of planted duplicates (target >= 95%), $distinct_rate% of distinct people flagged (target <= 1%): $verdict"
[ "$verdict" = pass ]
