#!/usr/bin/env bash
# The privacy clocks at size (run by tools/bench.sh inside a throw-away cluster):
# R record requests (default 1,000,000, received over 10 years, those of the last 90 days
# still open) and D disclosures (default 10,000,000, over 1,000,000 patients), then, with
# pgbench (1 client, prepared, SECS seconds each, each variant one statement):
#   patsvc.record_requests_due(day, '0 days')   one day's worklist, a random day of the open range
#   patsvc.record_requests_due(day)             the default 7-day worklist
#   patsvc.disclosures(patient)                 one patient's accounting, a random patient
# each against its reference, the same query a DBA would write on the table directly
# (same index), in the same run: average latency in ms and the ratio reference/function.
# Also prints the plans (index scans) and the table sizes.
set -euo pipefail
cd "$(dirname "$0")/.."
R=${BENCH_REQUESTS:-1000000}
D=${BENCH_DISCLOSURES:-10000000}
P=${BENCH_PATIENTS:-1000000}
SECS=${BENCH_SECONDS:-10}
q() { psql -X -q -v ON_ERROR_STOP=1 -At "$@"; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

t0=$(date +%s)
q >/dev/null <<SQL
CREATE EXTENSION IF NOT EXISTS patsvc;
INSERT INTO patsvc.patients (id, name) SELECT g, 'Patient ' || g FROM generate_series(1, $P) g;
-- requests: received evenly over the 10 years before 2026-06-30; closed unless received in the last 90 days
INSERT INTO patsvc.record_requests (kind, patient_id, received_on, scope, form, status, answered_on)
SELECT 'access', 1 + (g::bigint * 7919) % $P, d, 'all', 'electronic',
       CASE WHEN d > DATE '2026-06-30' - 90 THEN 'received' ELSE 'fulfilled' END,
       CASE WHEN d > DATE '2026-06-30' - 90 THEN NULL ELSE d + 20 END
  FROM generate_series(1, $R) g, LATERAL (SELECT DATE '2026-06-30' - (g % 3650)) x(d);
INSERT INTO patsvc.disclosure_log (patient_id, disclosed_on, recipient_name, description, purpose, excluded_as, disclosed_by)
SELECT 1 + (g::bigint * 104729) % $P, DATE '2026-06-30' - (g % 3650), 'Recipient ' || (g % 1000), 'lab results',
       'insurance underwriting', CASE WHEN g % 3 = 0 THEN 'payment' END, 'records clerk'
  FROM generate_series(1, $D) g;
VACUUM ANALYZE patsvc.record_requests, patsvc.disclosure_log, patsvc.patients;
SQL
load=$(( $(date +%s) - t0 ))
cat > "$work/due1.sql" <<'SQL'
\set d random(0, 89)
SELECT count(*) FROM patsvc.record_requests_due(DATE '2026-06-30' - (:d)::int, '0 days');
SQL
cat > "$work/due1_ref.sql" <<'SQL'
\set d random(0, 89)
SELECT count(*) FROM (SELECT * FROM patsvc.record_requests q WHERE q.status IN ('received', 'in_progress', 'extended') AND q.due_on >= DATE '2026-06-30' - (:d)::int AND q.due_on <= DATE '2026-06-30' - (:d)::int ORDER BY q.due_on, q.id) s;
SQL
cat > "$work/due7.sql" <<'SQL'
\set d random(0, 89)
SELECT count(*) FROM patsvc.record_requests_due(DATE '2026-06-30' - (:d)::int);
SQL
cat > "$work/due7_ref.sql" <<'SQL'
\set d random(0, 89)
SELECT count(*) FROM (SELECT * FROM patsvc.record_requests q WHERE q.status IN ('received', 'in_progress', 'extended') AND q.due_on >= DATE '2026-06-30' - (:d)::int AND q.due_on <= DATE '2026-06-30' - (:d)::int + 7 ORDER BY q.due_on, q.id) s;
SQL
cat > "$work/disc.sql" <<SQL
\set p random(1, $P)
SELECT count(*) FROM patsvc.disclosures(:p, (DATE '2026-06-30' - interval '6 years')::date);
SQL
cat > "$work/disc_ref.sql" <<SQL
\set p random(1, $P)
SELECT count(*) FROM (SELECT * FROM patsvc.disclosure_log d WHERE d.patient_id = :p AND d.disclosed_on >= (DATE '2026-06-30' - interval '6 years')::date AND d.excluded_as IS NULL ORDER BY d.disclosed_on, d.id) s;
SQL
lat() { pgbench -n -M prepared -c 1 -j 1 -T "$SECS" -f "$1" 2>/dev/null | sed -n 's/^latency average = \([0-9.]*\) ms/\1/p'; }
rows() { q -c "$1"; }
out=""
for v in due1 due7 disc; do
  f=$(lat "$work/$v.sql"); r=$(lat "$work/${v}_ref.sql")
  out="$out$v $f $r
"
done
n1=$(rows "SELECT count(*) FROM patsvc.record_requests_due(DATE '2026-06-30' - 45, '0 days')")
n7=$(rows "SELECT count(*) FROM patsvc.record_requests_due(DATE '2026-06-30' - 45)")
nd=$(rows "SELECT avg(n)::numeric(6,1) FROM (SELECT count(*) n FROM generate_series(1, 200) g, patsvc.disclosures(g, (DATE '2026-06-30' - interval '6 years')::date) x GROUP BY g) s")
echo "plan (one day's worklist):"
q -c "EXPLAIN (COSTS OFF) SELECT * FROM patsvc.record_requests q WHERE q.status IN ('received', 'in_progress', 'extended') AND q.due_on >= DATE '2026-06-01' AND q.due_on <= DATE '2026-06-01' ORDER BY q.due_on, q.id"
echo "plan (one patient's accounting):"
q -c "EXPLAIN (COSTS OFF) SELECT * FROM patsvc.disclosure_log d WHERE d.patient_id IN (SELECT 42 UNION ALL SELECT m.id FROM patsvc.patients m WHERE m.merged_into = 42) AND d.disclosed_on >= DATE '2020-06-30' AND d.excluded_as IS NULL ORDER BY d.disclosed_on, d.id"
sizes=$(q -c "SELECT pg_size_pretty(pg_total_relation_size('patsvc.record_requests')) || ' requests, ' || pg_size_pretty(pg_total_relation_size('patsvc.disclosure_log')) || ' disclosures'")
echo "$out" | awk -v r="$R" -v d="$D" -v p="$P" -v s="$SECS" -v n1="$n1" -v n7="$n7" -v nd="$nd" -v load="$load" -v sizes="$sizes" '
  NF == 3 { name = $1 == "due1" ? "record_requests_due, one day (" n1 " rows)" : $1 == "due7" ? "record_requests_due, 7 days (" n7 " rows)" : "disclosures(patient) (" nd " rows on average)";
            printf "RESULT %s: %.3f ms vs the direct query %.3f ms: %.2fx [%d requests, %d disclosures, %d patients; 1 client, -M prepared, %d s each]\n", name, $2, $3, $3 / $2, r, d, p, s }
  END { printf "RESULT loaded in %d s (%s)\n", load, sizes }'
