#!/usr/bin/env bash
# The nightly destruction of the access log (run by tools/bench.sh inside a throw-away
# cluster): patsvc.destroy_due('patsvc.access_log') of N entries past their 6 years
# (the log's append-only guard, the retention guard, the certificate), vs the reference a
# skilled DBA would write: DELETE ... WHERE accessed_at < cutoff on a plain table of the
# same columns and index, holding the same rows.  Each variant one statement; ROUNDS
# rounds (both tables refilled and vacuumed each round), each side reports its best round
# and the ratio DELETE/destroy_due time (higher is better; 1.0x = as fast as the DELETE).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${BENCH_ROWS:-200000}
ROUNDS=${BENCH_ROUNDS:-3}
q() { psql -X -q -v ON_ERROR_STOP=1 -At "$@"; }
q >/dev/null <<'SQL'
CREATE EXTENSION IF NOT EXISTS patsvc;
CREATE FUNCTION bench_ms(sql text) RETURNS double precision LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz := clock_timestamp();
BEGIN EXECUTE sql; RETURN 1000 * extract(epoch FROM clock_timestamp() - t0); END $$;
CREATE TABLE ref_access_log (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  patient_id   bigint NOT NULL,
  accessed_at  timestamptz NOT NULL DEFAULT now(),
  session_role name NOT NULL,
  app_user     text,
  purpose      text NOT NULL,
  detail       text
);
CREATE INDEX ON ref_access_log (patient_id, accessed_at);
SQL
rows="SELECT g % 20000, now() - interval '6 years 1 day' - (g % 365) * interval '1 day', 'bench', 'dr.adams', 'treatment', 'chart' FROM generate_series(1, $N) g"
min() { awk -v a="$1" -v b="$2" 'BEGIN { print (a == "" || b + 0 < a + 0) ? b : a }'; }
best_ref="" best_destroy="" each=""
for r in $(seq "$ROUNDS"); do
  q -c "INSERT INTO ref_access_log (patient_id, accessed_at, session_role, app_user, purpose, detail) $rows" \
    -c "INSERT INTO patsvc.access_log (patient_id, accessed_at, session_role, app_user, purpose, detail) $rows" \
    -c "VACUUM ANALYZE ref_access_log" -c "VACUUM ANALYZE patsvc.access_log" -c CHECKPOINT
  t_ref=$(q -c "SELECT bench_ms('DELETE FROM ref_access_log WHERE accessed_at < now() - interval ''6 years''')")
  q -c CHECKPOINT
  t_destroy=$(q -c "SELECT bench_ms('SELECT patsvc.destroy_due(''patsvc.access_log'', authorized_by => ''bench'', method => ''deleted'')')")
  left=$(q -c "SELECT (SELECT count(*) FROM patsvc.access_log) + (SELECT count(*) FROM ref_access_log)")
  [ "$left" = 0 ] || { echo "round $r left $left rows"; exit 1; }
  each="$each ${t_destroy%.*}/${t_ref%.*};"
  best_ref=$(min "$best_ref" "$t_ref"); best_destroy=$(min "$best_destroy" "$t_destroy")
done
certs=$(q -c "SELECT count(*) FROM patsvc.destruction_certificates WHERE table_name = 'patsvc.access_log' AND record_count = $N")
[ "$certs" = "$ROUNDS" ] || { echo "expected $ROUNDS certificates of $N entries, found $certs"; exit 1; }
awk -v d="$best_destroy" -v r="$best_ref" -v k="$ROUNDS" -v n="$N" -v each="$each" 'BEGIN {
  printf "RESULT destroy_due(access_log) vs plain DELETE (same columns, index, rows): %.2fx (destroy_due %.0f ms = %.1f us/entry, DELETE %.0f ms = %.1f us/entry) [%d entries past 6 years, best of %d; each round destroy/delete ms:%s]\n", r / d, d, 1000 * d / n, r, 1000 * r / n, n, k, each }'
