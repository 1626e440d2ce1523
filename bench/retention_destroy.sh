#!/usr/bin/env bash
# Retention benchmarks (run by tools/bench.sh inside a throw-away cluster):
#  1. destroy_due() of 1,000,000 eligible rows, certificate included, vs a plain
#     DELETE ... WHERE anchor < cutoff on an identical unprotected table (target >= 0.7x);
#  2. INSERT of 1,000,000 rows into a protected table vs an unprotected one (overhead <= 5%,
#     i.e. ratio >= 0.95x);
#  3. single-row DELETEs on an unprotected table in a second, concurrently running cluster with
#     shared_preload_libraries=patsvc (hardened, a protection active) vs this cluster (basic)
#     (overhead <= 2%, i.e. ratio >= 0.98x).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${BENCH_ROWS:-1000000}
DELETES=${BENCH_DELETES:-100000}
PARTS=${BENCH_PARTS:-123}   # which of the three to run
q() { psql -X -q -v ON_ERROR_STOP=1 -At "$@"; }

setup_sql="
CREATE EXTENSION IF NOT EXISTS patsvc;
CREATE FUNCTION bench_ms(sql text) RETURNS double precision LANGUAGE plpgsql AS \$\$
DECLARE t0 timestamptz := clock_timestamp();
BEGIN EXECUTE sql; RETURN 1000 * extract(epoch FROM clock_timestamp() - t0); END \$\$;
"
q -c "$setup_sql"

# ---- 1. destroy_due vs plain DELETE --------------------------------------------
if [[ $PARTS == *1* ]]; then
q <<SQL
CREATE TABLE b_plain (id int PRIMARY KEY, mrn text NOT NULL, written date NOT NULL, note text);
CREATE TABLE b_prot (LIKE b_plain INCLUDING ALL);
SELECT patsvc.create_policy('bench_rule', 'bench records', '5 years', 'column', 'compliance', 'benchmark');
SELECT patsvc.protect('b_prot', 'bench_rule', 'mrn', 'written');
INSERT INTO b_plain SELECT g, 'MRN-' || g, DATE '2000-01-01' + g % 3650, 'note ' || g FROM generate_series(1, $N) g;
INSERT INTO b_prot SELECT * FROM b_plain;
VACUUM ANALYZE b_plain; VACUUM ANALYZE b_prot;
CHECKPOINT;
SQL
plain_ms=$(q -c "SELECT bench_ms('DELETE FROM b_plain WHERE written < DATE ''2015-01-01''')")
q -c "CHECKPOINT"
destroy_ms=$(q -c "SELECT bench_ms('SELECT patsvc.destroy_due(''b_prot'', authorized_by => ''bench'', method => ''deleted'')')")
left=$(q -c "SELECT (SELECT count(*) FROM b_plain) + (SELECT count(*) FROM b_prot)")
awk -v p="$plain_ms" -v d="$destroy_ms" -v n="$N" -v left="$left" 'BEGIN {
  printf "RESULT destroy_due %d eligible rows: %.2fx plain DELETE WHERE anchor < cutoff (target >= 0.7x) [destroy_due %.0f ms, DELETE %.0f ms, rows left %d]\n", n, p / d, d, p, left }'

fi

# ---- 2. INSERT into protected vs unprotected ----------------------------------------
if [[ $PARTS == *2* ]]; then
q -c "SELECT patsvc.create_policy('bench_rule', 'bench records', '5 years', 'column', 'compliance', 'benchmark') WHERE NOT EXISTS (SELECT 1 FROM patsvc.retention_policies WHERE policy_name = 'bench_rule')" >/dev/null
q <<SQL
CREATE TABLE i_plain (id int PRIMARY KEY, mrn text NOT NULL, written date NOT NULL, note text);
CREATE TABLE i_prot (LIKE i_plain INCLUDING ALL);
SELECT patsvc.protect('i_prot', 'bench_rule', 'mrn', 'written');
SQL
ins="INSERT INTO %s SELECT g, ''MRN-'' || g, DATE ''2020-01-01'' + g %% 1000, ''note '' || g FROM generate_series(1, $N) g"
p1=$(q -c "SELECT bench_ms(format('$ins', 'i_plain'))")
r1=$(q -c "SELECT bench_ms(format('$ins', 'i_prot'))")
q -c "TRUNCATE i_plain; CHECKPOINT"
# i_prot cannot be truncated (it is protected): the second round goes into a fresh protected table
q -c "CREATE TABLE i_prot2 (LIKE i_plain INCLUDING ALL); SELECT patsvc.protect('i_prot2', 'bench_rule', 'mrn', 'written'); CHECKPOINT" >/dev/null
r2=$(q -c "SELECT bench_ms(format('$ins', 'i_prot2'))")
p2=$(q -c "SELECT bench_ms(format('$ins', 'i_plain'))")
awk -v p1="$p1" -v p2="$p2" -v r1="$r1" -v r2="$r2" -v n="$N" 'BEGIN {
  p = (p1 < p2 ? p1 : p2); r = (r1 < r2 ? r1 : r2);
  printf "RESULT INSERT %d rows into a protected table: %.2fx unprotected table (target >= 0.95x) [protected best %.0f ms, unprotected best %.0f ms]\n", n, p / r, r, p }'

fi

# ---- 3. DELETE on an unprotected table: hardened cluster vs this (basic) one ------------
# Both clusters run at the same time and the rounds alternate (basic, hardened, hardened,
# basic, ...), each on a fresh table, so load from other work on the machine falls on both;
# the best round of each counts.
if [[ $PARTS == *3* ]]; then
ROUNDS=${BENCH_ROUNDS:-4}
round_sql="
DROP TABLE IF EXISTS d_plain;
CREATE TABLE d_plain (id int PRIMARY KEY, v text);
INSERT INTO d_plain SELECT g, 'v' || g FROM generate_series(1, $DELETES) g;
VACUUM ANALYZE d_plain;
CHECKPOINT;
SELECT bench_ms('DO \$d\$ BEGIN FOR i IN 1..$DELETES LOOP DELETE FROM d_plain WHERE id = i; END LOOP; END \$d\$');
"
export BASIC_PGHOST=$PGHOST BASIC_PGPORT=$PGPORT BASIC_PGUSER=$PGUSER BASIC_PGPASSWORD=${PGPASSWORD:-} \
       BASIC_PGDATABASE=$PGDATABASE ROUNDS round_sql
stage=$(source tools/lib.sh && echo "$STAGE")   # where tools/bench.sh staged this build
lib=$stage$(pg_config --pkglibdir)/patsvc
times=$(PGPORT=$((PGPORT + 100)) pg_virtualenv -t -v 15 -i '--locale=C --encoding=UTF8' \
    -o "extension_destdir=$stage" -o "shared_preload_libraries=$lib" \
    -o shared_buffers=1GB -o max_wal_size=8GB -o synchronous_commit=off \
    bash -c '
      set -e
      hq() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }
      bq() { PGHOST=$BASIC_PGHOST PGPORT=$BASIC_PGPORT PGUSER=$BASIC_PGUSER PGPASSWORD=$BASIC_PGPASSWORD \
             PGDATABASE=$BASIC_PGDATABASE psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }
      hq -c "$0" >/dev/null
      hq -c "SELECT patsvc.enforcement_level()" | grep -qx hardened
      bq -c "SELECT patsvc.enforcement_level()" | grep -qx basic
      hq -c "CREATE TABLE guarded (id int, mrn text, d date);
             SELECT patsvc.create_policy('"'"'b3'"'"', '"'"'b3'"'"', '"'"'1 year'"'"', '"'"'column'"'"', '"'"'compliance'"'"', '"'"'bench'"'"');
             SELECT patsvc.protect('"'"'guarded'"'"', '"'"'b3'"'"', '"'"'mrn'"'"', '"'"'d'"'"')" >/dev/null
      for r in $(seq 1 "$ROUNDS"); do
        if [ $((r % 2)) -eq 1 ]; then order="b h"; else order="h b"; fi
        for m in $order; do
          if [ "$m" = b ]; then echo "B=$(bq <<<"$round_sql" | tail -1)"; else echo "H=$(hq <<<"$round_sql" | tail -1)"; fi
        done
      done' "$setup_sql" | grep -E '^[BH]=')
basic_ms=$(printf '%s\n' "$times" | sed -n 's/^B=//p' | sort -g | head -1)
hardened_ms=$(printf '%s\n' "$times" | sed -n 's/^H=//p' | sort -g | head -1)
[ -n "$basic_ms" ] && [ -n "$hardened_ms" ] || { echo "part 3: a round gave no time" >&2; exit 1; }
awk -v b="$basic_ms" -v h="$hardened_ms" -v n="$DELETES" -v r="$ROUNDS" 'BEGIN {
  printf "RESULT %d single-row DELETEs on an unprotected table, hardened mode: %.3fx basic mode (target >= 0.98x) [best of %d alternating rounds each: hardened %.0f ms, basic %.0f ms]\n", n, b / h, r, h, b }'
fi
