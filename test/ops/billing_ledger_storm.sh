#!/usr/bin/env bash
# A storm of concurrent postings to one encounter (README "Payments ledger"),
# part of make test (tools/suites.sh runs it in a fresh database): CLIENTS
# pgbench clients, TX transactions each, under READ COMMITTED, REPEATABLE READ
# and SERIALIZABLE (pgbench retries 40001).  Each transaction, at once with
# the others:
#   - posts a patient payment of (client number + 1.01) to the encounter;
#   - tries to refund 0.25 of one shared payment of 50.00 (refused, PS662,
#     once nothing is left);
#   - tries to write off 0.50 of the payer's 100.00 (refused, PS668, once the
#     payer owes nothing).
# Afterwards the ledger must hold exactly CLIENTS * TX payments summing to
# TX * sum(c + 1.01), refunds of exactly 50.00 and write-offs of exactly
# 100.00, and the balances must agree (the encounter's: the payer owes
# nothing, the patient has the payments as a credit; the patient's account:
# the same, the shared payment being all refunded): nothing lost, nothing
# counted twice, nothing past what was left.  The check itself is shown to
# catch a wrong sum first (an extra entry planted and rolled back).
# Prints RESULT lines; exit status 1 when a sum is not exact.
set -euo pipefail
export TZ=UTC PGTZ=UTC
here=$(cd "$(dirname "$0")" && pwd)
CLIENTS=${CLIENTS:-8} TX=${TX:-50}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
q() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }

icd=$(grep -m1 ' R05 ' "$here/../fixtures/icd10cm-order-2021-sample.txt" | tr -d '\r')
q -v icd="$icd" >/dev/null <<'SQL'
CREATE EXTENSION IF NOT EXISTS patsvc;
SELECT patsvc.import_icd10cm_order('FY2021-R05', '2020-10-01', '2021-09-30', :'icd');
INSERT INTO patsvc.locations (id, name, time_zone) VALUES (1, 'Boston', 'America/New_York');
INSERT INTO patsvc.providers (id, name, npi) VALUES (1, 'Dr One', '1234567893');
INSERT INTO patsvc.patients (id, name) VALUES (1, 'Ann');
INSERT INTO patsvc.payers (id, name, x12_payer_id, payer_type) VALUES (1, 'Acme Health', '60054', 'commercial');
INSERT INTO patsvc.coverages (id, patient_id, payer_id, member_id, valid, priority) VALUES (1, 1, 1, 'A1', '[2020-01-01,)', 1);
SELECT patsvc.record_consent(1, 'treatment', '2020-01-05 15:00Z');
INSERT INTO patsvc.encounters (id, patient_id, service_date, rendering_npi, billing_npi, place_of_service, coverage_id)
VALUES (1, 1, '2020-11-02', '1234567893', '1234567893', '11', 1);
INSERT INTO patsvc.encounter_diagnoses (encounter_id, seq, code) VALUES (1, 1, 'R05');
INSERT INTO patsvc.encounter_lines (encounter_id, line, code, pointers, units, charge) VALUES (1, 1, '99213', '{1}', 1, 100.00);
SELECT patsvc.finalize_encounter(1);
-- refusals are expected once nothing is left: they do not abort the client
CREATE FUNCTION storm_refund(payment bigint) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM patsvc.post_refund(payment, 0.25, 'cash');
EXCEPTION WHEN SQLSTATE 'PS662' THEN NULL;
END $$;
CREATE FUNCTION storm_write_off() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM patsvc.post_adjustment(1, 0.50, 'CO', '45');
EXCEPTION WHEN SQLSTATE 'PS668' THEN NULL;
END $$;
SQL

cat > "$work/post.sql" <<'PGB'
BEGIN;
SELECT patsvc.post_patient_payment(1, :client_id + 1.01, 'card', NULL, 1);
SELECT storm_refund(:shared);
SELECT storm_write_off();
END;
PGB

# what the ledger must hold after a run, as one row: ok, then the figures
CHECK_SQL="SELECT p.n = $CLIENTS * $TX AND p.total = $TX * (SELECT sum(c + 1.01) FROM generate_series(0, $CLIENTS - 1) c)
              AND r.total = -50.00 AND r.n = 200 AND a.total = 100.00 AND a.n = 200
              AND b.payer_due = 0 AND b.patient_due = -p.total AND b.total_due = b.patient_due
              AND (patsvc.patient_balance(1)).patient_due = -p.total,
            p.n, p.total, r.n, r.total, a.n, a.total, b.patient_due, b.payer_due
       FROM (SELECT count(*) AS n, coalesce(sum(amount), 0) AS total FROM patsvc.ledger_entries
              WHERE kind = 'patient_payment' AND id <> :shared) p,
            (SELECT count(*) AS n, coalesce(sum(amount), 0) AS total FROM patsvc.ledger_entries WHERE kind = 'refund') r,
            (SELECT count(*) AS n, coalesce(sum(amount), 0) AS total FROM patsvc.ledger_entries WHERE kind = 'adjustment') a,
            patsvc.encounter_balance(1) b"

# a fresh ledger: the charge again (100.00, the payer's) and the shared payment of 50.00
reset_ledger() {
    q <<'SQL' >/dev/null
SET session_replication_role = replica;
DELETE FROM patsvc.ledger_entries;
RESET session_replication_role;
DELETE FROM patsvc.ledger_locks;
SELECT patsvc.post_charges(1);
SQL
    q -c "SELECT patsvc.post_patient_payment(1, 50.00, 'cash')"
}

status=0
db=$(q -c 'SELECT current_database()')
# the check catches a wrong sum: one payment too many, planted and rolled back
shared=$(reset_ledger)
planted=$(q -v shared="$shared" <<SQL | tail -1
BEGIN;
SELECT patsvc.post_patient_payment(1, 0.01, 'cash', NULL, 1);
SELECT ok FROM ($CHECK_SQL) c(ok);
ROLLBACK;
SQL
)
if [ "$planted" = "f" ]; then
    echo "RESULT billing_ledger_storm selfcheck: a planted extra payment is caught"
else
    echo "RESULT billing_ledger_storm selfcheck: FAIL, the check passes a wrong ledger ($planted)"; status=1
fi

for level in 'read committed' 'repeatable read' serializable; do
    shared=$(reset_ledger)
    q -c "ALTER DATABASE \"$db\" SET default_transaction_isolation = '$level'"
    out=$(pgbench -n -c "$CLIENTS" -j 2 -t "$TX" --max-tries=1000 -D shared="$shared" -f "$work/post.sql" 2>&1) || {
        echo "$out" | tail -5; echo "RESULT billing_ledger_storm $level: FAIL, pgbench failed"; status=1; continue; }
    done_tx=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' <<<"$out")
    retried=$(sed -n 's/^number of transactions retried: \([0-9]*\).*/\1/p' <<<"$out")
    row=$(q -v shared="$shared" -F ' ' <<<"$CHECK_SQL;")
    read -r ok pn ptotal rn rtotal an atotal pdue ydue <<<"$row"
    verdict=ok; [ "$ok" = "t" ] || { verdict=FAIL; status=1; }
    echo "RESULT billing_ledger_storm $level: $verdict; $done_tx transactions (${retried:-0} retried);" \
         "payments $pn = $ptotal, refunds $rn = $rtotal (of 50.00), write-offs $an = $atotal (of 100.00);" \
         "balance patient $pdue, payer $ydue"
done
q -c "ALTER DATABASE \"$db\" RESET default_transaction_isolation"
exit $status
