#!/usr/bin/env bash
# Cryptographic erase reaches old backups: a protected table with two encrypted
# columns and two patients is dumped (pg_dump -Fc and -Fp) and the key vault
# exported; patient A's records are then destroyed (destroy_due shreds A's key).
# The OLD dump restored into a new database (session_replication_role = replica,
# as the README's restore recipe says), with the CURRENT key vault imported,
# reads B's columns and refuses A's (PS321).  The old dump alone holds no key:
# none of the vault's keys is in the plain dump, the custom dump has no
# patient_keys entry, and without the vault the restored copy reads nothing.
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
ok() { echo "ok: $*"; }
bad() { echo "FAILED: $*"; fail=1; }
# expect_sqlstate db code sql: the statement fails with that SQLSTATE
expect_sqlstate() {
    local out
    out=$(psql -X -q -d "$1" -v VERBOSITY=verbose -c "$3" 2>&1) && { echo "$out"; return 1; }
    echo "$out" | grep -q "ERROR:  $2:" || { echo "$out"; return 1; }
}

q -c "CREATE EXTENSION patsvc"
q >/dev/null <<'SQL'
SELECT patsvc.create_policy('ops_crypto', 'visit notes', '1 year', 'column', 'governance', 'ops test');
CREATE TABLE visit_notes (id int PRIMARY KEY, mrn text NOT NULL, seen date NOT NULL,
                          diagnosis bytea, notes bytea);
SELECT patsvc.protect('visit_notes', 'ops_crypto', 'mrn', 'seen');
SELECT patsvc.encrypt_columns('visit_notes', ARRAY['diagnosis', 'notes']);
INSERT INTO visit_notes
SELECT v.id, v.mrn, v.seen, patsvc.seal('visit_notes', v.mrn, v.dx), patsvc.seal('visit_notes', v.mrn, v.note)
  FROM (VALUES (1, 'MRN-A', DATE '2001-04-02', 'J45.909 asthma', 'uses inhaler'),
               (2, 'MRN-A', DATE '2002-05-03', 'E11.9 diabetes', 'diet advice'),
               (3, 'MRN-B', CURRENT_DATE, 'I10 hypertension', 'recheck in 3 months')) v(id, mrn, seen, dx, note);
SQL

# the backups: data (pg_dump) and, apart, the key vault
pg_dump -Fc -f "$work/old.dump" "$src" 2>"$work/dump.err"  # warns of appointments.replaces (a self-reference)
pg_dump -Fp -f "$work/old.sql" "$src" 2>>"$work/dump.err"
psql -X -At -c "SELECT encode(patsvc.export_patient_keys(), 'base64')" > "$work/vault.old"

# the old dump alone holds no key
keys=$(psql -X -At -c "SELECT encode(key, 'hex') FROM patsvc.patient_keys")
[ "$(echo "$keys" | wc -l)" = 2 ] || bad "expected two patient keys, got: $keys"
leaked=0
for k in $keys; do
    grep -qi "$k" "$work/old.sql" && leaked=1
    grep -qi "${k:0:64}" "$work/old.sql" && leaked=1
done
[ $leaked = 0 ] && ok "no patient key in the plain dump" || bad "a patient key is in the plain dump"
if pg_restore -l "$work/old.dump" | grep -q patient_keys; then
    bad "the custom dump has a patient_keys entry"
else
    ok "the custom dump has no patient_keys entry"
fi
grep -q "I10 hypertension" "$work/old.sql" && bad "plaintext in the dump" || ok "no plaintext of the encrypted columns in the dump"

# A's records are destroyed: A's key with them (cryptographic erase)
q -c "SELECT patsvc.destroy_due('visit_notes', authorized_by => 'ops', method => 'deleted; key shredded')" >/dev/null
stmt=$(psql -X -At -c "SELECT statement FROM patsvc.destruction_certificates ORDER BY certificate_id DESC LIMIT 1")
case "$stmt" in *"keys of 1 patient(s) were destroyed"*) ok "certificate states the cryptographic erase";;
                *) bad "certificate statement: $stmt";; esac
[ "$(psql -X -At -c "SELECT string_agg(patient_id, ',') FROM patsvc.patient_keys")" = MRN-B ] \
    && ok "only B's key is left" || bad "keys left: $(psql -X -At -c 'SELECT patient_id FROM patsvc.patient_keys')"
psql -X -At -c "SELECT encode(patsvc.export_patient_keys(), 'base64')" > "$work/vault.current"

# the OLD dump restored into a new database, as the README says
export PGOPTIONS='-c session_replication_role=replica'
createdb patsvc_ops_crypto_old; dbs+=(patsvc_ops_crypto_old)
pg_restore --exit-on-error -d patsvc_ops_crypto_old "$work/old.dump"
createdb patsvc_ops_crypto_plain; dbs+=(patsvc_ops_crypto_plain)
q -d patsvc_ops_crypto_plain -f "$work/old.sql" >/dev/null
unset PGOPTIONS

for db in patsvc_ops_crypto_old patsvc_ops_crypto_plain; do
    [ "$(psql -X -At -d "$db" -c "SELECT count(*) FROM visit_notes WHERE mrn = 'MRN-A'")" = 2 ] \
        && ok "$db: the old backup still holds A's 2 records (ciphertext)" || bad "$db: A's records missing"
    [ "$(psql -X -At -d "$db" -c "SELECT count(*) FROM patsvc.patient_keys")" = 0 ] \
        && ok "$db: restored without any key" || bad "$db: keys came with the dump"
    expect_sqlstate "$db" PS321 "SELECT patsvc.unseal('visit_notes', mrn, diagnosis) FROM visit_notes WHERE mrn = 'MRN-B'" \
        && ok "$db: without the vault B is unreadable too (PS321)" || bad "$db: B readable without the vault"
    # the CURRENT key vault
    added=$(echo "SELECT patsvc.import_patient_keys(decode(:'vault', 'base64'))" |
            psql -X -At -d "$db" -v ON_ERROR_STOP=1 -v vault="$(cat "$work/vault.current")")
    [ "$added" = 1 ] && ok "$db: imported the current vault (1 key)" || bad "$db: import added $added"
    b=$(psql -X -At -d "$db" -v ON_ERROR_STOP=1 -c \
          "SELECT patsvc.unseal('visit_notes', mrn, diagnosis) || ' / ' || patsvc.unseal('visit_notes', mrn, notes) FROM visit_notes WHERE mrn = 'MRN-B'")
    [ "$b" = "I10 hypertension / recheck in 3 months" ] && ok "$db: B's columns readable" || bad "$db: B reads '$b'"
    for c in diagnosis notes; do
        expect_sqlstate "$db" PS321 "SELECT patsvc.unseal('visit_notes', mrn, $c) FROM visit_notes WHERE mrn = 'MRN-A'" \
            && ok "$db: A's $c unreadable (PS321: key shredded)" || bad "$db: A's $c readable"
    done
done

# what the procedure relies on: a vault exported BEFORE the shredding still holds A's key
# (rotate vault backups out quickly); said here so that the README's warning stays true
n=$(echo "$(base64 -d < "$work/vault.old")" | grep -o '"patient_id"' | wc -l)
[ "$n" = 2 ] && ok "the old vault holds both keys: keep vault backups on a short rotation" || bad "old vault: $n keys"

[ $fail = 0 ] && echo "retention_crypto_backup: all checks passed"
exit $fail
