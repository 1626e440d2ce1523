#!/usr/bin/env bash
# Payments ledger benchmarks (run by tools/bench.sh in a throw-away cluster),
# on ENCOUNTERS final encounters (default 100,000, one patient each), each
# with its charge and a payer payment in the ledger:
#  1. posting a patient payment to an encounter through
#     patsvc.post_patient_payment (checks: amount, method, patient, the
#     encounter is the patient's; merged-patient guard) vs a plain INSERT of
#     the same row into ref_ledger, a table with the same columns, defaults,
#     generated columns, CHECK constraints, indexes and foreign keys, as a
#     DBA would write it without functions;
#  2. posting a payer payment (post_payer_payment: the encounter must have
#     its charge posted) vs the same plain INSERT of a payer payment;
#  3. an encounter's balance: encounter_balance() vs the DBA's
#     SELECT sum(...) FROM ref_ledger WHERE encounter_id = ... (ref_ledger
#     holds the same rows).
# pgbench -M prepared -c 2, one statement per transaction, ROUNDS rounds of
# SECS seconds, the variants interleaved; ratios are patsvc / reference tps.
# bench-cluster-options: -o autovacuum=off -o jit=off
set -euo pipefail
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
N=${ENCOUNTERS:-100000}
SECS=${SECS:-10}
ROUNDS=${ROUNDS:-3}

t0=$(date +%s)
q -v n="$N" <<'SQL'
CREATE EXTENSION IF NOT EXISTS patsvc;
INSERT INTO patsvc.locations (id, name, time_zone) VALUES (1, 'Bench', 'America/New_York');
INSERT INTO patsvc.providers (id, name, npi) VALUES (1, 'Dr Bench', '1234567893');
INSERT INTO patsvc.payers (id, name, x12_payer_id, payer_type) VALUES (1, 'Acme Health', '60054', 'commercial');
-- bench data: written as a restore writes them (no triggers): final encounters, their charges and payer payments
SET session_replication_role = replica;
INSERT INTO patsvc.patients (id, name) SELECT i, 'Patient ' || i FROM generate_series(1, :n) i;
INSERT INTO patsvc.coverages (id, patient_id, payer_id, member_id, valid, priority)
SELECT i, i, 1, 'M' || i, '[2020-01-01,)', 1 FROM generate_series(1, :n) i;
INSERT INTO patsvc.encounters (id, patient_id, service_date, rendering_npi, billing_npi, place_of_service, coverage_id, status, finalized_at)
SELECT i, i, date '2026-01-01' + i % 300, '1234567893', '1234567893', '11', i, 'final', now() FROM generate_series(1, :n) i;
INSERT INTO patsvc.ledger_entries (patient_id, encounter_id, kind, responsibility, amount, entry_date, method)
SELECT i, i, k.kind, 'payer', k.amount, date '2026-01-01' + i % 300 + k.days, k.method
  FROM generate_series(1, :n) i,
       (VALUES ('charge', 150.00, 0, NULL), ('payer_payment', 100.00, 30, 'eft')) k(kind, amount, days, method);
RESET session_replication_role;
-- the reference: the same columns, defaults, generated columns, CHECKs and indexes, the same foreign keys, the same rows
CREATE TABLE ref_ledger (LIKE patsvc.ledger_entries INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING GENERATED
                         INCLUDING CONSTRAINTS INCLUDING INDEXES,
  FOREIGN KEY (patient_id) REFERENCES patsvc.patients, FOREIGN KEY (encounter_id) REFERENCES patsvc.encounters,
  FOREIGN KEY (appointment_id) REFERENCES patsvc.appointments, FOREIGN KEY (refund_of) REFERENCES ref_ledger,
  FOREIGN KEY (reverses) REFERENCES ref_ledger);
INSERT INTO ref_ledger (id, patient_id, encounter_id, kind, responsibility, amount, entry_date, method)
  OVERRIDING SYSTEM VALUE
SELECT id, patient_id, encounter_id, kind, responsibility, amount, entry_date, method FROM patsvc.ledger_entries;
SELECT setval(pg_get_serial_sequence('ref_ledger', 'id'), (SELECT max(id) FROM ref_ledger));
VACUUM ANALYZE;
CHECKPOINT;
SQL
echo "loaded $N encounters, $(psql -X -At -c 'SELECT count(*) FROM patsvc.ledger_entries') ledger entries in $(( $(date +%s) - t0 )) s"

pick='\set e random(1, '"$N"')'
cat > "$work/patient_patsvc.sql" <<PGB
$pick
SELECT patsvc.post_patient_payment(:e, 25.00, 'card', 'AUTH', :e);
PGB
cat > "$work/patient_plain.sql" <<PGB
$pick
INSERT INTO ref_ledger (patient_id, encounter_id, kind, responsibility, amount, entry_date, method, reference) VALUES (:e, :e, 'patient_payment', 'patient', 25.00, current_date, 'card', 'AUTH') RETURNING id;
PGB
cat > "$work/payer_patsvc.sql" <<PGB
$pick
SELECT patsvc.post_payer_payment(:e, 10.00, 'TRN');
PGB
cat > "$work/payer_plain.sql" <<PGB
$pick
INSERT INTO ref_ledger (patient_id, encounter_id, kind, responsibility, amount, entry_date, method, reference) VALUES (:e, :e, 'payer_payment', 'payer', 10.00, current_date, 'eft', 'TRN') RETURNING id;
PGB
cat > "$work/balance_patsvc.sql" <<PGB
$pick
SELECT * FROM patsvc.encounter_balance(:e);
PGB
cat > "$work/balance_plain.sql" <<PGB
$pick
SELECT coalesce(sum(patient_change), 0), coalesce(sum(payer_change), 0), coalesce(sum(patient_change + payer_change), 0) FROM ref_ledger WHERE encounter_id = :e;
PGB

kinds="patient_patsvc patient_plain payer_patsvc payer_plain balance_patsvc balance_plain"
for k in $kinds; do echo 0 > "$work/$k.tx"; done
for round in $(seq 1 "$ROUNDS"); do
    line="round $round:"
    for k in $kinds; do
        out=$(pgbench -n -M prepared -c 2 -j 2 -T "$SECS" -f "$work/$k.sql" 2>&1)
        n=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' <<< "$out")
        failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' <<< "$out")
        if [ -z "$n" ] || [ "${failed:-0}" != 0 ] || grep -q 'ERROR' <<< "$out"; then
            echo "$out"; exit 1
        fi
        echo $(( $(cat "$work/$k.tx") + n )) > "$work/$k.tx"
        line="$line $k $(( n / SECS ))"
    done
    echo "$line tps"
done
tps() { awk -v n="$(cat "$work/$1.tx")" -v t="$(( SECS * ROUNDS ))" 'BEGIN { printf "%.0f", n / t }'; }
for what in patient payer balance; do
    a=$(tps "${what}_patsvc"); b=$(tps "${what}_plain")
    case $what in
        patient) label="post_patient_payment vs plain INSERT" ;;
        payer)   label="post_payer_payment vs plain INSERT" ;;
        balance) label="encounter_balance vs SELECT sum() by encounter" ;;
    esac
    echo "RESULT billing_ledger $label at $N encounters: $(ratio "$a" "$b")x [patsvc $a tps, reference $b tps, pgbench -M prepared -c 2, $ROUNDS x $SECS s]"
done
echo "INFO ledger entries after the run: patsvc $(psql -X -At -c 'SELECT count(*) FROM patsvc.ledger_entries'), reference $(psql -X -At -c 'SELECT count(*) FROM ref_ledger')"
