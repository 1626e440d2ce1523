#!/usr/bin/env bash
# Retention benchmarks (run by tools/bench.sh inside a throw-away cluster):
#  1. destroy_due() of 1,000,000 eligible rows, certificate included, vs a plain
#     DELETE ... WHERE anchor < cutoff on an identical unprotected table (target >= 0.7x);
#  2. INSERT of 1,000,000 rows into a protected table vs an unprotected one (overhead <= 5%,
#     i.e. ratio >= 0.95x);
#  3. DML on an unprotected table, single-row INSERTs, UPDATEs and DELETEs, with patsvc in
#     shared_preload_libraries (hardened, a protection active) vs the same cluster restarted
#     without it (basic) (overhead <= 2%, i.e. ratio >= 0.98x, for each and for their sum).
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
-- The backend's own time on a CPU (Linux /proc/self/schedstat, ns), NULL where unreadable:
-- unlike the elapsed time, it does not grow while other work on the machine holds the CPU.
CREATE FUNCTION bench_cpu_ns() RETURNS bigint LANGUAGE plpgsql AS \$\$
BEGIN RETURN split_part(pg_read_file('/proc/self/schedstat'), ' ', 1)::bigint;
EXCEPTION WHEN OTHERS THEN RETURN NULL; END \$\$;
-- 'elapsed_ms cpu_ms' of one statement (cpu_ms -1 where unreadable)
CREATE FUNCTION bench_ms_cpu(sql text) RETURNS text LANGUAGE plpgsql AS \$\$
DECLARE t0 timestamptz := clock_timestamp(); c0 bigint := bench_cpu_ns(); ms double precision;
BEGIN EXECUTE sql; ms := 1000 * extract(epoch FROM clock_timestamp() - t0);
  RETURN round(ms::numeric, 1) || ' ' || coalesce(round((bench_cpu_ns() - c0) / 1e6, 1), -1); END \$\$;
"
q -c "$setup_sql"

# ---- 1. destroy_due vs plain DELETE --------------------------------------------
if [[ $PARTS == *1* ]]; then
# Autovacuum stays off the two tables, and both are vacuumed until every page is all-visible:
# an ANALYZE running meanwhile (its snapshot) can leave one of them without the visibility
# map, which makes every later scan of it check each row, and the comparison unfair.
# ROUNDS rounds, each on two fresh tables (a protected table cannot be dropped); a single
# round swings by +-25 % on this machine, so each side reports its best round.
ROUNDS=${BENCH_DESTROY_ROUNDS:-3}
q -c "SELECT patsvc.create_policy('bench_rule', 'bench records', '5 years', 'column', 'compliance', 'benchmark')" >/dev/null
best_plain="" best_destroy="" best_plain_cpu="" best_destroy_cpu="" rounds="" left=0 visible=""
min() { awk -v a="$1" -v b="$2" 'BEGIN { print (a == "" || b + 0 < a + 0) ? b : a }'; }
for r in $(seq "$ROUNDS"); do
  q <<SQL
CREATE TABLE b_plain_$r (id int PRIMARY KEY, mrn text NOT NULL, written date NOT NULL, note text)
  WITH (autovacuum_enabled = off);
CREATE TABLE b_prot_$r (LIKE b_plain_$r INCLUDING ALL) WITH (autovacuum_enabled = off);
SELECT patsvc.protect('b_prot_$r', 'bench_rule', 'mrn', 'written');
INSERT INTO b_plain_$r SELECT g, 'MRN-' || g, DATE '2000-01-01' + g % 3650, 'note ' || g FROM generate_series(1, $N) g;
INSERT INTO b_prot_$r SELECT * FROM b_plain_$r;
SQL
  for try in 1 2 3 4 5 6 7 8 9 10; do
    q -c "VACUUM ANALYZE b_plain_$r" -c "VACUUM ANALYZE b_prot_$r"
    [ "$(q -c "SELECT bool_and(relallvisible = relpages) FROM pg_class WHERE oid IN ('b_plain_$r'::regclass, 'b_prot_$r'::regclass)")" = t ] && break
    sleep 1
  done
  visible="$visible$(q -c "SELECT string_agg(relname || ' ' || relallvisible || '/' || relpages, ', ' ORDER BY relname) FROM pg_class WHERE relname IN ('b_plain_$r', 'b_prot_$r')"); "
  q -c "CHECKPOINT"
  read -r plain_ms plain_cpu <<<"$(q -c "SELECT bench_ms_cpu('DELETE FROM b_plain_$r WHERE written < DATE ''2015-01-01''')")"
  q -c "CHECKPOINT"
  read -r destroy_ms destroy_cpu <<<"$(q -c "SELECT bench_ms_cpu('SELECT patsvc.destroy_due(''b_prot_$r'', authorized_by => ''bench'', method => ''deleted'')')")"
  left=$((left + $(q -c "SELECT (SELECT count(*) FROM b_plain_$r) + (SELECT count(*) FROM b_prot_$r)")))
  rounds="$rounds ${destroy_ms}/${plain_ms}"
  best_plain=$(min "$best_plain" "$plain_ms"); best_destroy=$(min "$best_destroy" "$destroy_ms")
  best_plain_cpu=$(min "$best_plain_cpu" "$plain_cpu"); best_destroy_cpu=$(min "$best_destroy_cpu" "$destroy_cpu")
done
awk -v p="$best_plain" -v d="$best_destroy" -v pc="$best_plain_cpu" -v dc="$best_destroy_cpu" -v n="$N" -v left="$left" \
    -v vis="$visible" -v rounds="$rounds" -v k="$ROUNDS" 'BEGIN {
  cpu = (pc > 0 && dc > 0) ? sprintf("; backend CPU time, best: destroy_due %.0f ms, DELETE %.0f ms, %.2fx", dc, pc, pc / dc) : ""
  printf "RESULT destroy_due %d eligible rows: %.2fx plain DELETE WHERE anchor < cutoff (target >= 0.7x) [best of %d rounds, elapsed: destroy_due %.0f ms, DELETE %.0f ms%s; each round destroy/DELETE ms:%s; rows left %d; all-visible pages before: %s]\n", n, p / d, k, d, p, cpu, rounds, left, vis }'

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

# ---- 3. DML on an unprotected table: hardened vs basic, the same cluster -------------------
# A private cluster (its own data directory, port and socket) is restarted between rounds with
# and without shared_preload_libraries=patsvc; nothing else changes.  Rounds alternate
# (b h h b b h ...), each on a fresh table after ANALYZE and CHECKPOINT, so load from other work
# on the machine falls on both modes alike.  The ratio compares the best round of each mode
# (other work on the machine only ever adds time); the medians and the spread (slowest -
# fastest) of each mode are printed too.  A first round of each mode only warms
# up (caches, the new cluster's files) and is not counted.
if [[ $PARTS == *3* ]]; then
ROUNDS=${BENCH_ROUNDS:-6}
stage=$(source tools/lib.sh && echo "$STAGE")   # where tools/bench.sh staged this build
lib=$stage$(pg_config --pkglibdir)/patsvc
dir=$(mktemp -d /tmp/patsvc-bench3.XXXXXX)
chmod 755 "$dir"
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown postgres "$dir"
port3=$((PGPORT + 100))
stop3() { as_pg pg_ctl -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true; }
trap 'stop3; rm -rf "$dir"' EXIT
as_pg initdb -D "$dir/data" -A trust -U postgres --locale=C --encoding=UTF8 >/dev/null
cat >>"$dir/data/postgresql.conf" <<CONF
port = $port3
listen_addresses = ''
unix_socket_directories = '$dir'
extension_destdir = '$stage'
shared_buffers = 256MB
max_wal_size = 8GB
synchronous_commit = off
external_pid_file = ''
CONF
start3() {  # start3 basic|hardened
  local preload=""
  [ "$1" = hardened ] && preload=$lib
  as_pg pg_ctl -D "$dir/data" -l "$dir/log" -w -o "-c shared_preload_libraries='$preload'" start >/dev/null
}
p3() { psql -X -q -At -v ON_ERROR_STOP=1 -h "$dir" -p "$port3" -U postgres -d postgres "$@"; }
start3 hardened
p3 -c "$setup_sql" >/dev/null
p3 <<SQL >/dev/null
CREATE TABLE guarded (id int, mrn text, d date);
SELECT patsvc.create_policy('b3', 'b3', '1 year', 'column', 'compliance', 'bench');
SELECT patsvc.protect('guarded', 'b3', 'mrn', 'd');
SQL
stop3
# Each round: $DELETES single-row INSERTs into an empty table, then an UPDATE of each row, then
# a DELETE of each row, one statement each (a PL/pgSQL loop: no client round trip to drown the
# hooks' cost), VACUUM ANALYZE and CHECKPOINT before each; every statement passes through the
# executor hook (and the object-access hook) of hardened mode.
round_sql="
SET client_min_messages = warning;
DROP TABLE IF EXISTS d_plain;
CREATE TABLE d_plain (id int PRIMARY KEY, v text) WITH (autovacuum_enabled = off);
CHECKPOINT;
SELECT 'insert ' || bench_ms_cpu('DO \$d\$ BEGIN FOR i IN 1..$DELETES LOOP INSERT INTO d_plain VALUES (i, ''v'' || i); END LOOP; END \$d\$');
VACUUM ANALYZE d_plain;
CHECKPOINT;
SELECT 'update ' || bench_ms_cpu('DO \$d\$ BEGIN FOR i IN 1..$DELETES LOOP UPDATE d_plain SET v = ''w'' || i WHERE id = i; END LOOP; END \$d\$');
VACUUM ANALYZE d_plain;
CHECKPOINT;
SELECT 'delete ' || bench_ms_cpu('DO \$d\$ BEGIN FOR i IN 1..$DELETES LOOP DELETE FROM d_plain WHERE id = i; END LOOP; END \$d\$');
SELECT 'rows_left ' || count(*) FROM d_plain;
"
times=""
for r in $(seq 0 "$ROUNDS"); do   # round 0 warms both modes up and is not counted
  if [ $((r % 2)) -eq 1 ]; then order="basic hardened"; else order="hardened basic"; fi
  for m in $order; do
    start3 "$m"
    level=$(p3 -c "SELECT patsvc.enforcement_level()")
    [ "$level" = "$m" ] || { echo "part 3: expected $m mode, the cluster says $level" >&2; exit 1; }
    out=$(p3 <<<"$round_sql")
    [ "$(printf '%s\n' "$out" | awk '$1 == "rows_left" {print $2}')" = 0 ] || { echo "part 3: rows left in $m mode" >&2; exit 1; }
    if [ "$r" -gt 0 ]; then
      # one line per statement kind, and their sum: "mode kind elapsed_ms cpu_ms"
      times+=$(printf '%s\n' "$out" | awk -v m="$m" '$1 ~ /^(insert|update|delete)$/ {
        print m, $1, $2, $3; e += $2; c += $3 } END { print m, "dml", e, c }')$'\n'
    fi
    stop3
  done
done
stats() {  # stats mode kind [column]: median best worst (column 3: elapsed ms, 4: backend CPU ms)
  printf '%s' "$times" | awk -v m="$1" -v k="$2" -v c="${3:-3}" '$1 == m && $2 == k {print $c}' | sort -g |
    awk '{v[NR] = $1} END {med = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; print med, v[1], v[NR]}'
}
for kind in insert update delete dml; do
  read -r b_med b_best b_worst <<<"$(stats basic $kind)"
  read -r h_med h_best h_worst <<<"$(stats hardened $kind)"
  read -r bc_med bc_best bc_worst <<<"$(stats basic $kind 4)"
  read -r hc_med hc_best hc_worst <<<"$(stats hardened $kind 4)"
  [ -n "$b_med" ] && [ -n "$h_med" ] || { echo "part 3: a round gave no time" >&2; exit 1; }
  case $kind in
    insert) what="$DELETES single-row INSERTs into an unprotected table" ;;
    update) what="$DELETES single-row UPDATEs of an unprotected table" ;;
    delete) what="$DELETES single-row DELETEs on an unprotected table" ;;
    dml) what="DML on an unprotected table ($DELETES each of INSERT, UPDATE, DELETE; per round their sum)" ;;
  esac
  awk -v bm="$b_med" -v bb="$b_best" -v bw="$b_worst" -v hm="$h_med" -v hb="$h_best" -v hw="$h_worst" \
      -v bcm="$bc_med" -v bcb="$bc_best" -v hcm="$hc_med" -v hcb="$hc_best" \
      -v what="$what" -v r="$ROUNDS" 'BEGIN {
    cpu = (bcb > 0 && hcb > 0) ? sprintf("; backend CPU time: hardened best %.0f ms (median %.0f), basic best %.0f ms (median %.0f), %.3fx best vs best, %.3fx medians", hcb, hcm, bcb, bcm, bcb / hcb, bcm / hcm) : ""
    printf "RESULT %s, hardened mode: %.3fx basic mode, best vs best (target >= 0.98x) [same cluster restarted with and without the preload, %d alternating rounds each, elapsed: hardened best %.0f ms (median %.0f, spread %.0f), basic best %.0f ms (median %.0f, spread %.0f), %.3fx medians%s]\n", what, bb / hb, r, hb, hm, hw - hb, bb, bm, bw - bb, bm / hm, cpu }'
done
fi
