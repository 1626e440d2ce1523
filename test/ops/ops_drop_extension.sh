#!/usr/bin/env bash
# DROP EXTENSION patsvc (basic mode, the README's "Retention" section): an
# install nothing was written to can be dropped; as soon as patsvc holds a row
# pg_dump would save (a patient, a disclosure in its protected log, a table of
# the clinic's it protects) or a patient key, DROP EXTENSION is refused with
# PS305 naming a table that holds data, and everything stays.
set -euo pipefail
export PGOPTIONS='-c client_min_messages=warning'
db=$PGDATABASE
q() { psql -X -At -v ON_ERROR_STOP=1 "$@"; }
fail() { echo "FAIL: $*"; exit 1; }

# expect_refused label sql...: the statements end in PS305 and patsvc is still installed
expect_refused() {
    local label=$1 out
    shift
    if out=$(psql -X -At -v ON_ERROR_STOP=1 -v VERBOSITY=verbose "$@" 2>&1); then
        fail "$label: DROP EXTENSION went through"
    fi
    grep -q 'PS305' <<< "$out" || fail "$label: not PS305: $out"
    [ "$(q -c "SELECT count(*) FROM pg_extension WHERE extname = 'patsvc'")" = 1 ] || fail "$label: patsvc is gone"
    echo "RESULT $label: refused ($(grep -o '[^ ]* has rows' <<< "$out" | head -1))"
}

# 1. a fresh install holds nothing: dropped, and installed again
q -q -c "CREATE EXTENSION patsvc CASCADE"
[ -z "$(q -c "SELECT patsvc._holds_data()")" ] || fail "a fresh install holds data: $(q -c "SELECT patsvc._holds_data()")"
q -q -c "DROP EXTENSION patsvc"
[ "$(q -c "SELECT count(*) FROM pg_extension WHERE extname = 'patsvc'")" = 0 ] || fail "DROP EXTENSION left patsvc"
echo "RESULT fresh install: DROP EXTENSION patsvc went through"
q -q -c "CREATE EXTENSION patsvc CASCADE"

# 2. one registered patient: refused, the patient stays
q -q -c "SELECT patsvc.register_patient('Trial', 'Tess', date '1980-02-03', 'female')" >/dev/null
expect_refused "one patient" -c "DROP EXTENSION patsvc"
expect_refused "one patient, dynamic SQL" -c "DO \$\$ BEGIN EXECUTE 'DROP EXTENSION IF EXISTS regress_no_such_extension'; END \$\$"
[ "$(q -c "SELECT count(*) FROM patsvc.patients")" = 1 ] || fail "the patient is gone"
# 3. the patient's row gone (TRUNCATE), what patsvc keeps of it for retention still holds
#    (the retention facts, the event log): refused, naming one of them
q -q -c "TRUNCATE patsvc.patients CASCADE"
holder=$(q -c "SELECT patsvc._holds_data()")
[ -n "$holder" ] || fail "nothing held after TRUNCATE patients: the retention facts and events should be"
expect_refused "patients truncated, $holder kept" -c "DROP EXTENSION patsvc"

# 4. a table of the clinic's protected, in a database of its own (no row in the table)
q -q -c "DROP DATABASE IF EXISTS ${db}_protected"
q -q -c "CREATE DATABASE ${db}_protected"
trap 'psql -X -q -d postgres -c "DROP DATABASE IF EXISTS ${db}_protected" >/dev/null 2>&1' EXIT
q -q -d "${db}_protected" <<'SQL'
CREATE EXTENSION patsvc CASCADE;
CREATE TABLE letters (id int PRIMARY KEY, patient_id text, written_on date);
SELECT patsvc.protect('letters', 'tx_physician', 'patient_id');
SQL
expect_refused "a clinic table protected (no row in it)" -d "${db}_protected" -c "DROP EXTENSION patsvc CASCADE"
echo "RESULT DROP EXTENSION guard: pass"
