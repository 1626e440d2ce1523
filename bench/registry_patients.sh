#!/usr/bin/env bash
# Registration benchmarks (run by tools/bench.sh in a throw-away cluster),
# on 1,000,000 registered patients: family and given names drawn from the
# lists in bench/data (common US names, frequent ones more often), birth
# dates over 90 years, a mobile phone each, an e-mail for one in three.
#  1. register_patient (the duplicate check included) vs a plain INSERT into
#     a table with the same columns, a primary key and a unique MRN;
#     pgbench -c 2, ROUNDS rounds of SECS seconds, the two interleaved;
#  2. find_patients on typical front-desk queries, 200 different queries of
#     each kind, every call timed (pgbench latency log): median and 99th
#     percentile, against the same search written by a DBA with ILIKE and
#     pg_trgm similarity (GIN trigram indexes on both names, added for the
#     reference only after part 1), given the query already taken apart
#     (strict), and the same DBA's one statement that takes the typed text
#     and tries it as MRN, phone, birth date and names (typed); the round
#     trip of SELECT 1 is the floor under any search, and where the reference
#     is one index lookup (MRN, phone, birth date) that lookup alone (INFO
#     probe) is the least any search can cost: the reference's median over
#     the probe's is the most any search can reach against it.
# Each pgbench transaction is one statement; JIT off on both sides.
# bench-cluster-options: -o autovacuum=off -o jit=off
set -euo pipefail
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
here=$(cd "$(dirname "$0")" && pwd)
N=${PATIENTS:-1000000}

q <<'SQL'
CREATE EXTENSION IF NOT EXISTS patsvc;
CREATE TABLE bench_family (rank int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL, phonetic text);
CREATE TABLE bench_given (rank int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL, phonetic text, sex text);
SQL
grep -v '^#' "$here/data/us_surnames.txt" | q -c '\copy bench_family (name) FROM STDIN'
grep -v '^#' "$here/data/us_given_names.txt" | q -c '\copy bench_given (name) FROM STDIN'
nf=$(psql -X -At -c 'SELECT count(*) FROM bench_family')
ng=$(psql -X -At -c 'SELECT count(*) FROM bench_given')
t0=$(date +%s)
q -v n="$N" -v nf="$nf" -v ng="$ng" <<'SQL'
UPDATE bench_family SET phonetic = patsvc.name_phonetic(name);
-- the given list alternates male and female names
UPDATE bench_given SET phonetic = patsvc.name_phonetic(name), sex = CASE WHEN rank % 2 = 1 THEN 'male' ELSE 'female' END;
-- rank r drawn with probability falling with r (random()^2): Smith far more often than Schmitt
SET session_replication_role = replica;   -- loaded rows are distinct people by construction: no duplicate check
INSERT INTO patsvc.patients (mrn, family_name, given_name, name, birth_date, sex, mobile_phone, email, family_phonetic, given_phonetic)
SELECT patsvc.next_mrn(), f.name, g.name, g.name || ' ' || f.name, r.dob, g.sex,
       '617' || (2000000 + r.i)::text,
       CASE WHEN r.i % 3 = 0 THEN lower(g.name) || '.' || lower(replace(f.name, '''', '')) || r.i || '@example.org' END,
       f.phonetic, g.phonetic
  FROM (SELECT i, 1 + floor(:nf * random() ^ 2)::int AS fr, 1 + floor(:ng * random() ^ 2)::int AS gr,
               date '1935-01-01' + floor(random() * 90 * 365.25)::int AS dob
          FROM generate_series(1, :n) i) r
  JOIN bench_family f ON f.rank = r.fr JOIN bench_given g ON g.rank = r.gr;
RESET session_replication_role;
-- the reference of part 1: the same columns, a primary key and a unique MRN, the same rows
CREATE TABLE ref_patients (LIKE patsvc.patients INCLUDING DEFAULTS INCLUDING IDENTITY, PRIMARY KEY (id), UNIQUE (mrn));
INSERT INTO ref_patients OVERRIDING SYSTEM VALUE SELECT * FROM patsvc.patients;
SELECT setval(pg_get_serial_sequence('ref_patients', 'id'), (SELECT max(id) FROM ref_patients));
-- INFO: the same columns and every index of patsvc.patients, no trigger (where the time goes)
CREATE TABLE ref_patients_idx (LIKE patsvc.patients INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING INDEXES);
INSERT INTO ref_patients_idx OVERRIDING SYSTEM VALUE SELECT * FROM patsvc.patients;
SELECT setval(pg_get_serial_sequence('ref_patients_idx', 'id'), (SELECT max(id) FROM ref_patients_idx));
VACUUM ANALYZE;
CHECKPOINT;
SQL
echo "loaded $(psql -X -At -c 'SELECT count(*) FROM patsvc.patients') patients in $(( $(date +%s) - t0 )) s"

# 1. registration throughput: random new people, realistic names (so some
# look like registered patients: confirm_new => true, as the front desk does
# for a different person; the check runs in full either way)
SECS=${SECS:-10}
ROUNDS=${ROUNDS:-3}
new_person='\set f random(1, '"$nf"')
\set g random(1, '"$ng"')
\set d random(0, 32872)
\set ph random(3000000, 9999999)'
cat > "$work/patsvc.sql" <<PGB
$new_person
SELECT patient_id FROM patsvc.register_patient((SELECT name FROM bench_family WHERE rank = :f), (SELECT name FROM bench_given WHERE rank = :g), date '1935-01-01' + :d, 'unknown', mobile_phone => '617' || :ph, confirm_new => true);
PGB
cat > "$work/plain.sql" <<PGB
$new_person
INSERT INTO ref_patients (family_name, given_name, name, birth_date, sex, mobile_phone) VALUES ((SELECT name FROM bench_family WHERE rank = :f), (SELECT name FROM bench_given WHERE rank = :g), (SELECT name FROM bench_given WHERE rank = :g) || ' ' || (SELECT name FROM bench_family WHERE rank = :f), date '1935-01-01' + :d, 'unknown', '617' || :ph);
PGB
sed 's/INSERT INTO ref_patients /INSERT INTO ref_patients_idx /' "$work/plain.sql" > "$work/indexed.sql"
echo 0 > "$work/patsvc.tx"; echo 0 > "$work/plain.tx"; echo 0 > "$work/indexed.tx"
for round in $(seq 1 "$ROUNDS"); do
    line="round $round:"
    for kind in patsvc plain indexed; do
        out=$(pgbench -n -c 2 -j 2 -T "$SECS" -f "$work/$kind.sql" 2>&1)
        n=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' <<< "$out")
        failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' <<< "$out")
        if [ -z "$n" ] || [ "${failed:-0}" != 0 ] || grep -q 'ERROR' <<< "$out"; then
            echo "$out"; exit 1
        fi
        echo $(( $(cat "$work/$kind.tx") + n )) > "$work/$kind.tx"
        line="$line $kind $(( n / SECS )) tps"
    done
    echo "$line"
done
tps() { awk -v n="$(cat "$work/$1.tx")" -v t="$(( SECS * ROUNDS ))" 'BEGIN { printf "%.0f", n / t }'; }
tps_patsvc=$(tps patsvc); tps_plain=$(tps plain)
echo "RESULT register_patient at $N patients: $(ratio "$tps_patsvc" "$tps_plain")x plain INSERT (target >= 0.5x) [patsvc $tps_patsvc tps, plain $tps_plain tps, pgbench -c 2, $ROUNDS x $SECS s]"
tps_indexed=$(tps indexed)
echo "INFO the same INSERT into a table with every index of patsvc.patients ($(psql -X -At -c "SELECT count(*) FROM pg_indexes WHERE schemaname = 'patsvc' AND tablename = 'patients'")), no trigger: $tps_indexed tps = $(ratio "$tps_indexed" "$tps_plain")x plain; register_patient reaches $(ratio "$tps_patsvc" "$tps_indexed")x of it"
echo "INFO pairs recorded by confirm_new (new people that looked like registered ones): $(psql -X -At -c 'SELECT count(*) FROM patsvc.patient_distinct_pairs')"

# 2. find_patients: typical queries, taken from registered patients (new rows
# of part 1 included), 200 of each kind; the reference gets each query taken
# apart (family, given, birth date, MRN, phone) and does the same search
q -v n="$N" <<'SQL'
CREATE EXTENSION pg_trgm;   -- the reference only
CREATE INDEX ref_family_trgm ON patsvc.patients USING gin (family_name gin_trgm_ops);
CREATE INDEX ref_given_trgm ON patsvc.patients USING gin (given_name gin_trgm_ops);
-- a misspelling: two neighbouring letters of the family name swapped
CREATE FUNCTION bench_typo(s text) RETURNS text LANGUAGE sql IMMUTABLE
  AS $$ SELECT left(s, 2) || substr(s, 4, 1) || substr(s, 3, 1) || substr(s, 5) $$;
CREATE TABLE bench_q (kind text, i int, pid bigint, q text, fam text, giv text, dob date, mrn text, phone text, PRIMARY KEY (kind, i));
INSERT INTO bench_q
SELECT k.kind, row_number() OVER (PARTITION BY k.kind ORDER BY p.id), p.id,
       CASE k.kind
         WHEN 'name_prefix_dob' THEN lower(p.family_name) || ' ' || lower(left(p.given_name, 3)) || ' ' || to_char(p.birth_date, 'FMMM/FMDD/YYYY')
         WHEN 'name_prefix' THEN lower(p.family_name) || ' ' || lower(left(p.given_name, 2))
         WHEN 'mrn' THEN lower(p.mrn)
         WHEN 'phone' THEN '(' || substr(p.mobile_phone, 1, 3) || ') ' || substr(p.mobile_phone, 4, 3) || '-' || substr(p.mobile_phone, 7)
         WHEN 'typo_dob' THEN lower(bench_typo(p.family_name)) || ' ' || lower(p.given_name) || ' ' || to_char(p.birth_date, 'MM/DD/YYYY')
       END,
       lower(CASE WHEN k.kind = 'typo_dob' THEN bench_typo(p.family_name) ELSE p.family_name END),
       lower(CASE WHEN k.kind IN ('name_prefix_dob') THEN left(p.given_name, 3)
                  WHEN k.kind = 'name_prefix' THEN left(p.given_name, 2) ELSE p.given_name END),
       CASE WHEN k.kind IN ('name_prefix_dob', 'typo_dob') THEN p.birth_date END,
       CASE WHEN k.kind = 'mrn' THEN p.mrn END, CASE WHEN k.kind = 'phone' THEN p.mobile_phone END
  FROM (VALUES ('name_prefix_dob'), ('name_prefix'), ('mrn'), ('phone'), ('typo_dob')) k(kind)
  CROSS JOIN LATERAL (SELECT * FROM patsvc.patients TABLESAMPLE BERNOULLI (0.1) REPEATABLE (42)
                       WHERE length(family_name) >= 5 LIMIT 200) p;
ANALYZE;
-- names alike as the DBA writes it: prefixes in either order, or family name
-- alike by trigram similarity and given name a prefix or alike (alias: fam, giv)
CREATE FUNCTION bench_names_match(a text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT format('((p.family_name ILIKE %1$s.fam || ''%%'' AND p.given_name ILIKE %1$s.giv || ''%%'') OR (p.family_name ILIKE %1$s.giv || ''%%'' AND p.given_name ILIKE %1$s.fam || ''%%'')'
             || ' OR (p.family_name %% %1$s.fam AND (p.given_name ILIKE %1$s.giv || ''%%'' OR p.given_name %% %1$s.giv)))', a)
$$;
-- the DBA's search: what find_patients matches (prefix in either order, or
-- names alike by trigram similarity; birth date; MRN; phone), ranked by similarity
CREATE FUNCTION bench_ref_sql(kind text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN kind IN ('mrn', 'phone') THEN
    'SELECT p.id, p.mrn, p.name, p.birth_date FROM patsvc.patients p, bench_q b WHERE b.kind = ''' || kind || ''' AND b.i = :i AND '
    || CASE kind WHEN 'mrn' THEN 'p.mrn = upper(b.mrn)'
                 ELSE '(p.home_phone = b.phone OR p.mobile_phone = b.phone OR p.work_phone = b.phone)' END
    || ' ORDER BY p.family_name, p.given_name LIMIT 10;'
  ELSE
    'SELECT p.id, p.mrn, p.name, p.birth_date FROM patsvc.patients p, bench_q b WHERE b.kind = ''' || kind || ''' AND b.i = :i AND '
    || CASE WHEN kind LIKE '%dob' THEN '(p.birth_date = b.dob) AND ' ELSE '' END
    || bench_names_match('b')
    || ' ORDER BY similarity(p.family_name, b.fam) + similarity(p.given_name, b.giv) DESC, p.family_name, p.given_name LIMIT 10;'
  END
$$;
-- the same DBA given what the front desk typed: one statement that reads the
-- text (its letters and digits as an MRN, its digits as a phone, a date
-- m/d/yyyy, the first two words as names) and tries each reading through its
-- own index, each branch running only when its reading exists
CREATE FUNCTION bench_typed_sql(kind text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT 'WITH t AS MATERIALIZED (SELECT upper(regexp_replace(b.q, ''[^A-Za-z0-9]'', '''', ''g'')) AS ident,'
      || ' regexp_replace(b.q, ''[^0-9]'', '''', ''g'') AS digits,'
      || ' (SELECT make_date(m[3]::int, m[1]::int, m[2]::int) FROM regexp_match(b.q, ''(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})'') m) AS dob,'
      || ' lower((regexp_match(b.q, ''^\s*([A-Za-z''''-]+)[\s,]+([A-Za-z''''-]+)''))[1]) AS fam,'
      || ' lower((regexp_match(b.q, ''^\s*([A-Za-z''''-]+)[\s,]+([A-Za-z''''-]+)''))[2]) AS giv'
      || ' FROM bench_q b WHERE b.kind = ''' || kind || ''' AND b.i = :i),'
      || ' c AS (SELECT p.id, p.mrn, p.name, p.birth_date, p.family_name, p.given_name FROM t JOIN patsvc.patients p ON p.mrn = t.ident WHERE t.ident ~ ''^[A-Z]+[0-9]+$'''
      || ' UNION SELECT p.id, p.mrn, p.name, p.birth_date, p.family_name, p.given_name FROM t JOIN patsvc.patients p ON p.home_phone = t.digits OR p.mobile_phone = t.digits OR p.work_phone = t.digits WHERE length(t.digits) = 10'
      || ' UNION SELECT p.id, p.mrn, p.name, p.birth_date, p.family_name, p.given_name FROM t JOIN patsvc.patients p ON p.birth_date = t.dob WHERE t.fam IS NOT NULL AND ' || bench_names_match('t')
      || ' UNION SELECT p.id, p.mrn, p.name, p.birth_date, p.family_name, p.given_name FROM t JOIN patsvc.patients p ON ' || bench_names_match('t') || ' WHERE t.dob IS NULL AND t.fam IS NOT NULL)'
      || ' SELECT c.id, c.mrn, c.name, c.birth_date FROM c, t'
      || ' ORDER BY similarity(c.family_name, coalesce(t.fam, '''')) + similarity(c.given_name, coalesce(t.giv, '''')) DESC, c.family_name, c.given_name LIMIT 10;'
$$;
SQL
kinds="name_prefix_dob name_prefix mrn phone typo_dob"
nq=$(psql -X -At -c "SELECT min(n) FROM (SELECT count(*) n FROM bench_q GROUP BY kind) s")   # 200 unless PATIENTS is small
CALLS=${CALLS:-400}
# per-call latency: pgbench -l writes each transaction's time (microseconds, 3rd field)
lat() { # lat <script> <prefix> [protocol]: CALLS calls, one client, prints the latencies' file
    rm -f "$2".log*
    pgbench -n -M "${3:-simple}" -c 1 -t "$CALLS" -f "$1" -l --log-prefix="$2.log" >/dev/null 2>"$2.err" || { cat "$2.err"; exit 1; }
    cat "$2".log.[0-9]* | awk '{ print $3 }' | sort -n > "$2.lat"
}
pct() { awk -v p="$2" '{ a[NR] = $1 } END { i = int(NR * p / 100 + 0.999); if (i < 1) i = 1; printf "%.2f", a[i] / 1000 }' "$1"; }
# the floor: a round trip that does nothing, the same way (pgbench, one client, simple protocol)
echo 'SELECT 1;' > "$work/one.sql"
lat "$work/one.sql" "$work/one"; lat "$work/one.sql" "$work/one"
one_m=$(pct "$work/one.lat" 50); one_99=$(pct "$work/one.lat" 99)
echo "INFO the round trip of SELECT 1: median $one_m ms, p99 $one_99 ms (10x a reference answers in one tenth of its median: below this floor where the reference is one index lookup)"
# the ceiling where the reference is one index lookup: the lookup alone (the
# query read from bench_q as find_patients' is, one index probe on patients
# returning the candidates' columns) is the least any search can cost, so
# the reference's median over it is the most any search can reach
probe_sql() {
    case $1 in
        mrn) echo "SELECT p.id, p.mrn, p.name, p.birth_date FROM patsvc.patients p WHERE p.mrn = (SELECT upper(b.mrn) FROM bench_q b WHERE b.kind = 'mrn' AND b.i = :i);" ;;
        phone) echo "SELECT p.id, p.mrn, p.name, p.birth_date FROM patsvc.patients p WHERE p.mobile_phone = (SELECT b.phone FROM bench_q b WHERE b.kind = 'phone' AND b.i = :i);" ;;
        name_prefix_dob|typo_dob) echo "SELECT p.id, p.mrn, p.name, p.birth_date FROM patsvc.patients p WHERE p.birth_date = (SELECT b.dob FROM bench_q b WHERE b.kind = '$1' AND b.i = :i);" ;;
    esac
}
for kind in $kinds; do
    printf '\\set i random(1, '$nq')\nSELECT * FROM patsvc.find_patients((SELECT q FROM bench_q WHERE kind = %s AND i = :i));\n' "'$kind'" > "$work/find_$kind.sql"
    printf '\\set i random(1, '$nq')\n%s\n' "$(psql -X -At -c "SELECT bench_ref_sql('$kind')")" > "$work/ref_$kind.sql"
    # the patient each query was made from is among the candidates (name_prefix: often not, among many Smith Jo...)
    found=$(psql -X -At -c "SELECT count(*) FROM bench_q b WHERE b.kind = '$kind'
                              AND EXISTS (SELECT FROM patsvc.find_patients(b.q) f WHERE f.patient_id = b.pid)")
    found_ref=0
    for i in $(seq 1 "$nq"); do
        sed -n "2s/:i/$i/p" "$work/ref_$kind.sql" | psql -X -At | grep -q "^$(psql -X -At -c "SELECT pid FROM bench_q WHERE kind = '$kind' AND i = $i")|" && found_ref=$((found_ref + 1))
    done
    printf '\\set i random(1, '$nq')\n%s\n' "$(psql -X -At -c "SELECT bench_typed_sql('$kind')")" > "$work/typed_$kind.sql"
    # the typed statement is prepared (planning its four branches on every call costs
    # 5-10 ms: the DBA's application would prepare it), and so is find_patients
    # against it (findp); the strict reference and find_patients as before
    for round in warm-up timed; do
        for side in find ref; do lat "$work/${side}_$kind.sql" "$work/${side}_$kind"; done
        lat "$work/typed_$kind.sql" "$work/typed_$kind" prepared
        lat "$work/find_$kind.sql" "$work/findp_$kind" prepared
    done
    fm=$(pct "$work/find_$kind.lat" 50); f99=$(pct "$work/find_$kind.lat" 99)
    rm=$(pct "$work/ref_$kind.lat" 50); r99=$(pct "$work/ref_$kind.lat" 99)
    tm=$(pct "$work/typed_$kind.lat" 50); t99=$(pct "$work/typed_$kind.lat" 99)
    pm=$(pct "$work/findp_$kind.lat" 50); p99=$(pct "$work/findp_$kind.lat" 99)
    rows=$(psql -X -At -c "SELECT round(avg(n), 1) FROM (SELECT (SELECT count(*) FROM patsvc.find_patients(b.q)) n FROM bench_q b WHERE b.kind = '$kind') s")
    echo "RESULT find_patients $kind (e.g. \"$(psql -X -At -c "SELECT q FROM bench_q WHERE kind = '$kind' AND i = 1")\"): median ${fm} ms, p99 ${f99} ms (target < 2 ms, < 10 ms); reference median ${rm} ms, p99 ${r99} ms: $(ratio "$rm" "$fm")x at the median (target >= 10x) [$CALLS calls each, $rows candidates a call on average, the patient searched for among them in $found of $nq, the reference's in $found_ref]"
    echo "RESULT find_patients $kind against the DBA's one statement reading the typed text, both prepared: median ${pm} ms, p99 ${p99} ms; reference median ${tm} ms, p99 ${t99} ms: $(ratio "$tm" "$pm")x at the median (target >= 10x)"
    sql=$(probe_sql "$kind")
    if [ -n "$sql" ]; then
        printf '\\set i random(1, '$nq')\n%s\n' "$sql" > "$work/probe_$kind.sql"
        lat "$work/probe_$kind.sql" "$work/probe_$kind"; lat "$work/probe_$kind.sql" "$work/probe_$kind"
        bm=$(pct "$work/probe_$kind.lat" 50)
        echo "INFO find_patients $kind: the reference's single index probe alone, median ${bm} ms (SELECT 1: ${one_m} ms); ceiling for any search against the reference $(ratio "$rm" "$bm")x at the median, find_patients $(ratio "$rm" "$fm")x, at $(ratio "$fm" "$bm")x the probe's time"
    fi
done
