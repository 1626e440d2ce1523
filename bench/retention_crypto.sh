#!/usr/bin/env bash
# Cryptographic erase cost (run by tools/bench.sh inside a throw-away cluster): a protected
# table with two encrypted columns (patsvc.seal() on write, patsvc.unseal() on read) vs the
# same protected table with the two columns in plain text, in the same run:
#   INSERT ... SELECT of N rows (one statement each), and
#   SELECT of the two columns of every row, decrypting (one statement each).
# N rows over P patients (default 200,000 rows, 10,000 patients).  A warm-up round creates
# the patients' keys (reported on its own), then ROUNDS rounds on fresh tables (protected
# tables cannot be dropped); each side reports its best round, and the ratio
# plain/encrypted (below 1x: encryption is slower).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${BENCH_ROWS:-200000}
P=${BENCH_PATIENTS:-10000}
ROUNDS=${BENCH_ROUNDS:-3}
q() { psql -X -q -v ON_ERROR_STOP=1 -At "$@"; }

q >/dev/null <<'SQL'
CREATE EXTENSION IF NOT EXISTS patsvc;
CREATE FUNCTION bench_ms(sql text) RETURNS double precision LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz := clock_timestamp();
BEGIN EXECUTE sql; RETURN 1000 * extract(epoch FROM clock_timestamp() - t0); END $$;
SELECT patsvc.create_policy('bench_crypto', 'bench notes', '5 years', 'column', 'governance', 'benchmark');
SQL
make_tables() {   # $1 = round
  q >/dev/null <<SQL
CREATE TABLE c_plain_$1 (id int PRIMARY KEY, mrn text NOT NULL, seen date NOT NULL, diagnosis text, notes text)
  WITH (autovacuum_enabled = off);
CREATE TABLE c_enc_$1 (id int PRIMARY KEY, mrn text NOT NULL, seen date NOT NULL, diagnosis bytea, notes bytea)
  WITH (autovacuum_enabled = off);
SELECT patsvc.protect('c_plain_$1', 'bench_crypto', 'mrn', 'seen');
SELECT patsvc.protect('c_enc_$1', 'bench_crypto', 'mrn', 'seen');
SELECT patsvc.encrypt_columns('c_enc_$1', ARRAY['diagnosis', 'notes']);
SQL
}
rows="SELECT g, 'MRN-' || (g % $P), DATE '2020-01-01' + g % 1000, 'J45.909 asthma, mild intermittent ' || g, 'patient reports cough at night; inhaler technique reviewed, follow-up in 3 months ' || g FROM generate_series(1, $N) g"
insert_plain() { q -c "SELECT bench_ms(\$q\$INSERT INTO c_plain_$1 $rows\$q\$)"; }
insert_enc() {
  q -c "SELECT bench_ms(\$q\$INSERT INTO c_enc_$1 SELECT id, mrn, seen, patsvc.seal('c_enc_$1', mrn, dx), patsvc.seal('c_enc_$1', mrn, note) FROM ($rows) r(id, mrn, seen, dx, note)\$q\$)"
}
read_plain() { q -c "SELECT bench_ms(\$q\$SELECT sum(length(diagnosis) + length(notes)) FROM c_plain_$1\$q\$)"; }
read_enc() { q -c "SELECT bench_ms(\$q\$SELECT sum(length(patsvc.unseal('c_enc_$1', mrn, diagnosis)) + length(patsvc.unseal('c_enc_$1', mrn, notes))) FROM c_enc_$1\$q\$)"; }
min() { awk -v a="$1" -v b="$2" 'BEGIN { print (a == "" || b + 0 < a + 0) ? b : a }'; }

make_tables 0
warm=$(insert_enc 0)
keys=$(q -c "SELECT count(*) FROM patsvc.patient_keys")
same=$(q -c "SELECT bool_and(patsvc.unseal('c_enc_0', mrn, diagnosis) = 'J45.909 asthma, mild intermittent ' || id) FROM c_enc_0")
[ "$same" = t ] || { echo "decryption does not give the plaintext back"; exit 1; }
bi_p="" bi_e="" br_p="" br_e="" each=""
for r in $(seq "$ROUNDS"); do
  make_tables "$r"
  q -c CHECKPOINT; ip=$(insert_plain "$r")
  q -c CHECKPOINT; ie=$(insert_enc "$r")
  q -c "VACUUM ANALYZE c_plain_$r" -c "VACUUM ANALYZE c_enc_$r"
  rp=$(read_plain "$r"); re=$(read_enc "$r")
  each="$each ins ${ie%.*}/${ip%.*} sel ${re%.*}/${rp%.*};"
  bi_p=$(min "$bi_p" "$ip"); bi_e=$(min "$bi_e" "$ie"); br_p=$(min "$br_p" "$rp"); br_e=$(min "$br_e" "$re")
done
size=$(q -c "SELECT pg_size_pretty(pg_total_relation_size('c_enc_1')) || ' vs ' || pg_size_pretty(pg_total_relation_size('c_plain_1'))")
awk -v n="$N" -v p="$P" -v ip="$bi_p" -v ie="$bi_e" -v rp="$br_p" -v re="$bi_e" -v re2="$br_e" -v warm="$warm" -v keys="$keys" \
    -v k="$ROUNDS" -v each="$each" -v size="$size" 'BEGIN {
  printf "RESULT INSERT of %d rows, two encrypted columns vs plain: %.2fx (encrypted %.0f ms = %.1f us/row, plain %.0f ms) [best of %d; first insert creating %d keys: %.0f ms]\n", n, ip / ie, ie, 1000 * ie / n, ip, k, keys, warm
  printf "RESULT SELECT of %d rows decrypting two columns vs plain: %.2fx (decrypting %.0f ms = %.1f us/row, plain %.0f ms) [best of %d]\n", n, rp / re2, re2, 1000 * re2 / n, rp, k
  printf "RESULT table size encrypted vs plain: %s [each round enc/plain ms:%s]\n", size, each }'
