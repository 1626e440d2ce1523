#!/usr/bin/env bash
# Backups keep everything: a clinic with every pillar in use (test/ops/clinic.sql)
# is dumped in custom and plain format and restored three ways, each with
# session_replication_role = replica as the README says:
#   custom  pg_restore of pg_dump -Fc into a new database
#   plain   psql of pg_dump -Fp into a new database
#   data    CREATE EXTENSION patsvc first, the tables' definitions (pg_restore
#           --schema-only --schema=public), then pg_restore --data-only
# Each copy must hold every row of every table and every sequence as it was
# (test/ops/tables.sql) and behave as the original does (test/ops/behaviour.sql:
# protection, holds, the certificate chain going on, double bookings refused,
# hours and caches, code sets, encrypted columns read with the imported key vault).
# Runs in the test cluster (PG* set); exit 0 = pass.
set -euo pipefail
cd "$(dirname "$0")/../.."
src=$PGDATABASE
work=$(mktemp -d)
dbs=()
cleanup() { for d in "${dbs[@]}"; do dropdb --if-exists "$d"; done; rm -rf "$work"; }
trap cleanup EXIT
fail=0
q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }

q -c "CREATE EXTENSION patsvc"
q -v fixtures=test/fixtures -f test/ops/clinic.sql > "$work/clinic.out"
pg_dump -Fc -f "$work/clinic.dump" "$src" 2>"$work/dump.err"  # warns of appointments.replaces (a self-reference)
pg_dump -Fp -f "$work/clinic.sql" "$src" 2>>"$work/dump.err"
# the key vault of the encrypted columns is not in the dump: it is backed up apart
psql -X -At -c "SELECT encode(patsvc.export_patient_keys(), 'base64')" > "$work/vault"
q -f test/ops/tables.sql > "$work/tables.original"
# behaviour changes the database it runs in: run it on a copy of the original
createdb -T "$src" patsvc_ops_original; dbs+=(patsvc_ops_original)
psql -X -d patsvc_ops_original -f test/ops/behaviour.sql > "$work/behaviour.original" 2>&1

export PGOPTIONS='-c session_replication_role=replica'
createdb patsvc_ops_custom; dbs+=(patsvc_ops_custom)
pg_restore --exit-on-error -d patsvc_ops_custom "$work/clinic.dump"
createdb patsvc_ops_plain; dbs+=(patsvc_ops_plain)
q -d patsvc_ops_plain -f "$work/clinic.sql" > /dev/null
createdb patsvc_ops_data; dbs+=(patsvc_ops_data)
q -d patsvc_ops_data -c "CREATE EXTENSION patsvc"
pg_restore --exit-on-error --schema-only --schema=public -d patsvc_ops_data "$work/clinic.dump"
pg_restore --exit-on-error --data-only -d patsvc_ops_data "$work/clinic.dump"
unset PGOPTIONS

for way in custom plain data; do
    db=patsvc_ops_$way
    # the dump restores every table but patient_keys (not dumped, on purpose) ...
    q -d "$db" -f test/ops/tables.sql > "$work/tables.$way"
    if diff -u <(grep -v '^table patsvc.patient_keys ' "$work/tables.original") \
               <(grep -v '^table patsvc.patient_keys ' "$work/tables.$way"); then
        echo "ok: $way restore has every row and sequence ($(grep -c '^table' "$work/tables.$way") tables)"
    else
        echo "FAILED: $way restore differs in the rows above"; fail=1
    fi
    grep -q '^table patsvc.patient_keys rows=0 ' "$work/tables.$way" || { echo "FAILED: $way restore has patient keys"; fail=1; }
    # ... which the key vault, backed up apart, brings back (the README's restore recipe)
    echo "SELECT patsvc.import_patient_keys(decode(:'vault', 'base64'))" |
        q -d "$db" -v vault="$(cat "$work/vault")" > /dev/null
    if diff -u <(grep '^table patsvc.patient_keys ' "$work/tables.original") \
               <(q -d "$db" -f test/ops/tables.sql | grep '^table patsvc.patient_keys '); then
        echo "ok: $way restore has every patient key after importing the vault"
    else
        echo "FAILED: $way restore: the vault did not bring the keys back"; fail=1
    fi
    psql -X -d "$db" -f test/ops/behaviour.sql > "$work/behaviour.$way" 2>&1
    if diff -u "$work/behaviour.original" "$work/behaviour.$way"; then
        echo "ok: $way restore behaves as the original"
    else
        echo "FAILED: $way restore behaves differently (above)"; fail=1
    fi
done
# the comparison proves something only if the tables hold data and the rules answered
grep -q 'rows=0 ' "$work/tables.original" && { echo "FAILED: an empty table in the clinic"; grep 'rows=0 ' "$work/tables.original"; fail=1; }
for code in PS301 PS302 PS305 23P01 PS201 PS202 PS401 PS402 PS422 PS423 PS543 PS660 PS662 PS706; do
    grep -q "ERROR:  $code" "$work/behaviour.original" || { echo "FAILED: the original did not refuse with $code"; fail=1; }
done
cat "$work/behaviour.original"
exit $fail
