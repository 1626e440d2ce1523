#!/usr/bin/env bash
# The access log's cost (run by tools/bench.sh inside a throw-away cluster): one
# patsvc.log_access(patient, purpose, detail) per transaction, as an application calls it
# when a user opens a record, vs the reference a skilled DBA would write: a plain INSERT into
# a table of the same columns (identity key, foreign key to patients, the same index,
# session user and application user as column defaults), in the same run.  pgbench, one
# client, prepared statements, each variant one statement; ROUNDS alternating rounds of SECS
# seconds; each side reports its best round and the ratio log_access/INSERT (the issue asks
# >= 0.8x).  P patients (default 100,000).
set -euo pipefail
cd "$(dirname "$0")/.."
P=${BENCH_PATIENTS:-100000}
ROUNDS=${BENCH_ROUNDS:-3}
SECS=${BENCH_SECONDS:-10}
q() { psql -X -q -v ON_ERROR_STOP=1 -At "$@"; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

q >/dev/null <<SQL
CREATE EXTENSION IF NOT EXISTS patsvc;
INSERT INTO patsvc.patients (id, name) SELECT g, 'Patient ' || g FROM generate_series(1, $P) g;
CREATE TABLE ref_access_log (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  patient_id   bigint NOT NULL REFERENCES patsvc.patients,
  accessed_at  timestamptz NOT NULL DEFAULT now(),
  session_role name NOT NULL DEFAULT session_user,
  app_user     text DEFAULT nullif(current_setting('patsvc.app_user', true), ''),
  purpose      text NOT NULL,
  detail       text
);
CREATE INDEX ON ref_access_log (patient_id, accessed_at);
VACUUM ANALYZE;
SQL
cat > "$work/log.sql" <<SQL
\set pid random(1, $P)
SELECT patsvc.log_access(:pid, 'treatment', 'chart summary');
SQL
cat > "$work/ref.sql" <<SQL
\set pid random(1, $P)
INSERT INTO ref_access_log (patient_id, purpose, detail) VALUES (:pid, 'treatment', 'chart summary');
SQL
tps() { PGOPTIONS="-c patsvc.app_user=dr.adams" pgbench -n -M prepared -c 1 -j 1 -T "$SECS" -f "$1" 2>/dev/null |
        sed -n 's/^tps = \([0-9.]*\) .*/\1/p'; }
max() { awk -v a="$1" -v b="$2" 'BEGIN { print (a == "" || b + 0 > a + 0) ? b : a }'; }
best_log="" best_ref="" each=""
for r in $(seq "$ROUNDS"); do
  q -c CHECKPOINT; t_ref=$(tps "$work/ref.sql")
  q -c CHECKPOINT; t_log=$(tps "$work/log.sql")
  each="$each ${t_log%.*}/${t_ref%.*};"
  best_log=$(max "$best_log" "$t_log"); best_ref=$(max "$best_ref" "$t_ref")
done
same=$(q -c "SELECT (SELECT count(*) FROM patsvc.access_log WHERE app_user = 'dr.adams' AND purpose = 'treatment') > 0")
[ "$same" = t ] || { echo "log_access wrote no rows"; exit 1; }
awk -v l="$best_log" -v r="$best_ref" -v k="$ROUNDS" -v s="$SECS" -v p="$P" -v each="$each" 'BEGIN {
  printf "RESULT log_access vs plain INSERT (same columns, FK, index): %.2fx (log_access %.0f tps = %.1f us, INSERT %.0f tps = %.1f us) [1 client, -M prepared, best of %d x %d s, %d patients; each round log/insert tps:%s]\n", l / r, l, 1e6 / l, r, 1e6 / r, k, s, p, each }'
