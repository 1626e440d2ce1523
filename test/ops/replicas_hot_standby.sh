#!/usr/bin/env bash
# Hot standby (README "Replicas and backups" / "Hot standbys"), part of make test.
# A real streaming standby of the test cluster (pg_basebackup -R, started on
# another port on 127.0.0.1 with patsvc from the stage).  A clinic is loaded on
# the primary after the standby started (code sets, hours, bookings, reminders,
# a protected table with a hold and a destruction), the standby replays it,
# then on the standby:
#   - every read of every pillar gives what it gives on the primary (the same
#     queries, compared line by line, in new sessions whose caches load there);
#   - every write (book(), INSERT, cancel, destroy_due, place_hold, claiming
#     reminders, imports, set_identity_range, ...) fails with PostgreSQL's
#     read-only error, SQLSTATE 25006.
set -euo pipefail
source "$(dirname "$0")/lib/clusters.sh"
root=$(cd "$(dirname "$0")/../.." && pwd)

# ---- the standby --------------------------------------------------------------
port=$(free_port)
as_pg env PGPASSWORD="$PGPASSWORD" "$OPS_PG_BIN/pg_basebackup" -h 127.0.0.1 -p "$PGPORT" -U "$PGUSER" \
    -D "$OPS_WORK/standby" -R -X stream -c fast
# a hot standby needs these at least as high as on its primary
limits=()
for g in max_connections max_worker_processes max_wal_senders max_prepared_transactions max_locks_per_transaction; do
    limits+=("$g = $(psql -X -At -c "SHOW $g")")
done
ops_configure standby "$port" "hot_standby = on" "${limits[@]}"
ops_start standby
sb() { ops_psql standby "$port" -d "$PGDATABASE" "$@"; }
sb -At -c 'SELECT pg_is_in_recovery()' | grep -qx t

# ---- the clinic, on the primary ----------------------------------------------------
psql -X -q -v ON_ERROR_STOP=1 -v fixtures="$root/test/fixtures" <<'SQL'
CREATE EXTENSION patsvc;
\set icd_file :fixtures/icd10cm-order-2021-sample.txt
\set icd `cat :'icd_file'`
\set hcpcs_file :fixtures/hcpcs-2020-anweb-sample.txt
\encoding WIN1252
\set hcpcs `cat :'hcpcs_file'`
SET search_path = public, patsvc;
SET TimeZone = 'UTC';
SELECT import_icd10cm_order('FY2021', '2020-10-01', '2021-09-30', :'icd') > 0 AS icd_loaded \gset
SELECT import_hcpcs('2020', '2020-01-01', '2020-12-31', :'hcpcs') > 0 AS hcpcs_loaded \gset
\encoding UTF8
INSERT INTO locations (id, name, time_zone) VALUES (1, 'Boston Main St', 'America/New_York');
INSERT INTO providers (id, name) VALUES (1, 'Dr. Adams'), (2, 'Dr. Berg');
INSERT INTO patients (id, name) SELECT p, 'Patient ' || p FROM generate_series(1, 6) p;
INSERT INTO resources (id, name, kind, location_id) VALUES (1, 'Ultrasound', 'ultrasound', 1);
INSERT INTO appointment_types (id, code, duration_minutes, buffer_after_minutes, required_resource_kinds)
VALUES (1, 'visit', 20, 0, '{}'), (2, 'echo', 30, 10, '{ultrasound}');
INSERT INTO availability (provider_id, location_id, weekday, starts_local, ends_local)
SELECT p, 1, d, time '08:00', time '17:00' FROM generate_series(1, 2) p, generate_series(1, 5) d;
INSERT INTO time_off (provider_id, during) VALUES (2, '[2027-03-15 14:00Z, 2027-03-15 16:00Z)');
INSERT INTO reminder_rules (type_id, lead_time, channel) VALUES (1, '1 day', 'sms');
SELECT book(1, 1, '2027-03-15 13:00Z', 'visit'), book(2, 1, '2027-03-15 13:20Z', 'echo', '{1}'),
       book(3, 2, '2027-03-15 13:00Z', 'visit'), book(4, 1, '2027-03-16 15:00Z', 'visit');
SELECT join_waitlist(5, 1, 'visit', '[2027-03-15 12:00Z, 2027-03-15 16:00Z)');
-- a protected table with retention, a hold and a destruction already done
CREATE TABLE clinic_notes (id int PRIMARY KEY, mrn text NOT NULL, seen date NOT NULL, note text);
SELECT protect('clinic_notes', 'tx_physician', 'mrn', 'seen');
INSERT INTO retention_patient_facts (patient_id, birth_date, last_encounter) VALUES
  ('MRN-1', '1958-03-14', '2010-06-02'), ('MRN-2', '1960-01-01', '2011-02-11'),
  ('MRN-3', '1984-12-01', '2024-05-20'), ('MRN-4', '1950-05-05', '2009-01-01');
INSERT INTO clinic_notes VALUES (1, 'MRN-1', '2010-06-02', 'a'), (2, 'MRN-2', '2011-02-11', 'b'),
  (3, 'MRN-3', '2024-05-20', 'c'), (4, 'MRN-4', '2009-01-01', 'd');
SELECT destroy_due('clinic_notes', authorized_by => 'HIM manager', method => 'deleted') IS NOT NULL AS destroyed \gset
INSERT INTO clinic_notes VALUES (5, 'MRN-4', '2009-01-01', 'found later'), (6, 'MRN-2', '2011-02-11', 'late scan');
SELECT place_hold('CLAIM-1', 'claim filed', patient_id => 'MRN-2') IS NOT NULL AS held \gset
SQL
# a primary session's view of what the standby must also see
wait_for 60 "the standby to replay the clinic" bash -c \
    "[ \"\$(PGPASSWORD= psql -X -At -h '$OPS_WORK' -p $port -U postgres -d '$PGDATABASE' \
        -c \"SELECT pg_last_wal_replay_lsn() >= '$(psql -X -At -c 'SELECT pg_current_wal_lsn()')'::pg_lsn\")\" = t ]"

# ---- reads: the same answers on the standby -------------------------------------------------
reads=(
  "SELECT * FROM patsvc.free_slots(1, '[2027-03-15 12:00Z, 2027-03-15 16:00Z)', 'visit')"
  "SELECT * FROM patsvc.free_slots(2, '[2027-03-15 12:00Z, 2027-03-15 17:00Z)', 'visit')"
  "SELECT * FROM patsvc.next_available('{1,2}', '2027-03-15 12:00Z', 'visit', '{}', 5)"
  "SELECT * FROM patsvc.next_available('{1}', '2027-03-15 12:00Z', 'echo', '{1}', 3)"
  "SELECT patsvc.slot_is_free(1, '2027-03-15 13:10Z', 1), patsvc.slot_is_free(1, '2027-03-15 14:00Z', 1), patsvc.slot_is_free(2, '2027-03-15 14:30Z', 1)"
  "SELECT id, patsvc.appointment_gets_reminders(status, type_id) FROM patsvc.appointments ORDER BY id"
  "SELECT id, patient_id, provider_id, starts_at, status FROM patsvc.appointments ORDER BY id"
  "SELECT appointment_id, rule_id, due_at FROM patsvc.reminders ORDER BY 1, 2"
  "SELECT code, patsvc.icd10cm_billable(code, d), patsvc.icd10cm_description(code, d) FROM (VALUES ('E11'::patsvc.icd10cm, date '2021-06-01'), ('E11.9', '2021-06-01'), ('R05', '2021-06-01'), ('M1A.0110', '2021-06-01')) v(code, d)"
  "SELECT code, patsvc.hcpcs_active(code, d) FROM (SELECT code, date '2020-06-01' AS d FROM patsvc.hcpcs_code ORDER BY code LIMIT 5) v"
  "SELECT release, code_count FROM patsvc.icd10cm_release ORDER BY 1"
  "SELECT s.patient_id, s.anchor_date, s.retain_until FROM patsvc.retention_status('clinic_notes') s ORDER BY 1, 2"
  "SELECT count(*) FROM patsvc.retention_due('clinic_notes')"
  "SELECT count(*) FROM patsvc.retention_due('clinic_notes', '2060-01-01')"
  "SELECT patsvc.retained_until('clinic_notes', 'MRN-3'), patsvc.is_held('clinic_notes'::regclass, 'MRN-2'), patsvc.is_held('clinic_notes'::regclass, 'MRN-3')"
  "SELECT * FROM patsvc.verify_certificates()"
  "SELECT certificate_id, record_count, authorized_by, cardinality(patsvc.certificate_tokens(token_set)) FROM patsvc.destruction_certificates"
  "SELECT patsvc.enforcement_level()"
  "SELECT id, mrn FROM clinic_notes ORDER BY id"
)
fail=0
for q in "${reads[@]}"; do
    want=$(psql -X -At -v ON_ERROR_STOP=1 -c "$q")
    got=$(sb -At -v ON_ERROR_STOP=1 -c "$q" 2>&1) || true
    if [ "$want" = "$got" ] && [ -n "$want" ]; then
        echo "ok    read on standby: $q"
    else
        echo "FAIL  read on standby: $q"; echo "  primary: $want" | head -5; echo "  standby: $got" | head -5
        fail=1
    fi
done
# one session that keeps its caches across several reads (hours, types, code sets)
got=$(sb -At -v ON_ERROR_STOP=1 -c "${reads[0]}" -c "${reads[2]}" -c "${reads[8]}" -c "${reads[0]}" 2>&1) || true
want=$(psql -X -At -v ON_ERROR_STOP=1 -c "${reads[0]}" -c "${reads[2]}" -c "${reads[8]}" -c "${reads[0]}")
[ "$want" = "$got" ] && echo "ok    one standby session, caches reused" || { echo "FAIL  one standby session: $got"; fail=1; }
# a standby session that has cached hours and types sees the primary's later changes
# (the relcache invalidations are replayed from the WAL)
cat > "$OPS_WORK/primary_then_replay.sh" <<SCRIPT
#!/usr/bin/env bash
set -euo pipefail
export PGPASSWORD='$PGPASSWORD'
psql -X -q -v ON_ERROR_STOP=1 -c "\$1" >/dev/null
lsn=\$(psql -X -At -c 'SELECT pg_current_wal_lsn()')
for i in \$(seq 1 300); do
    [ "\$(PGPASSWORD= psql -X -At -h '$OPS_WORK' -p $port -U postgres -d '$PGDATABASE' \
          -c "SELECT pg_last_wal_replay_lsn() >= '\$lsn'::pg_lsn")" = t ] && exit 0
    sleep 0.2
done
exit 1
SCRIPT
chmod +x "$OPS_WORK/primary_then_replay.sh"
q_slots="SELECT count(*) FROM patsvc.free_slots(1, '[2027-03-17 00:00Z, 2027-03-18 00:00Z)', 'visit')"
# (booked visits no longer fit the shorter hours or the new length: applied anyway, they are flagged)
change="SELECT patsvc.apply_schedule_change('UPDATE patsvc.availability SET ends_local = ''12:00'' WHERE provider_id = 1'); SELECT patsvc.apply_schedule_change('UPDATE patsvc.appointment_types SET duration_minutes = 30 WHERE code = ''visit'' ')"
before=$(psql -X -At -c "$q_slots")
got=$(sb -At -v ON_ERROR_STOP=1 -c "$q_slots" -c "\\! $OPS_WORK/primary_then_replay.sh \"$change\"" -c "$q_slots" 2>&1 |
      paste -sd ' ') || true
want="$before $(psql -X -At -c "$q_slots")"
if [ "$got" = "$want" ] && [ "${want% *}" != "${want#* }" ]; then
    echo "ok    a standby session follows the primary's changes of hours and types: $got"
else
    echo "FAIL  standby session after the primary changed hours and types: got '$got', want '$want'"; fail=1
fi
# the numbers behind the comparison are the clinic's
[ "$(sb -At -c "SELECT count(*) FROM patsvc.appointments")" = 4 ] || { echo "FAIL  standby has not the 4 bookings"; fail=1; }
[ "$(sb -At -c "SELECT count(*) FROM patsvc.retention_due('clinic_notes')")" = 1 ] ||
    { echo "FAIL  retention_due on the standby: expected MRN-4's late note only"; fail=1; }

# ---- writes: PostgreSQL's read-only error ------------------------------------------------------
writes=(
  "SELECT patsvc.book(5, 1, '2027-03-15 15:00Z', 'visit')"
  "SELECT patsvc.book_series(5, 1, '2027-03-15 15:00Z', 'visit', 2)"
  "INSERT INTO patsvc.appointments (patient_id, provider_id, type_id, starts_at) VALUES (5, 1, 1, '2027-03-15 15:00Z')"
  "SELECT patsvc.find_appointment(1)"
  "SELECT patsvc.cancel(1, 'standby')"
  "SELECT patsvc.reschedule(1, '2027-03-15 15:00Z')"
  "SELECT patsvc.set_status(1, 'arrived')"
  "SELECT patsvc.join_waitlist(6, 1, 'visit', '[2027-03-15 12:00Z, 2027-03-15 16:00Z)')"
  "SELECT * FROM patsvc.claim_due_reminders('2027-03-14 20:00Z', 10)"
  "UPDATE patsvc.availability SET ends_local = '18:00'"
  "SELECT patsvc.destroy_due('clinic_notes', authorized_by => 'standby', method => 'deleted')"
  "SELECT patsvc.destroy_due('clinic_notes', authorized_by => 'standby', method => 'deleted', dry_run => true)"
  "SELECT patsvc.place_hold('CLAIM-2', 'standby', patient_id => 'MRN-3')"
  "SELECT patsvc.release_hold(1, 'standby')"
  "DELETE FROM clinic_notes"
  "INSERT INTO clinic_notes VALUES (9, 'MRN-9', '2020-01-01', 'x')"
  "SELECT patsvc.import_icd10cm_order('FY2099', '2098-10-01', '2099-09-30', \$f\$$(head -3 "$root/test/fixtures/icd10cm-order-2021-sample.txt")\$f\$)"
  "SELECT * FROM patsvc.set_identity_range(1000001, 2000000)"
)
for q in "${writes[@]}"; do
    out=$(sb -At -v VERBOSITY=verbose -c "$q" 2>&1) && rc=0 || rc=$?
    if [ "$rc" -ne 0 ] && grep -q '^ERROR:  25006:' <<<"$out"; then
        echo "ok    write on standby refused (25006): $q"; grep "^ERROR" <<<"$out" | sed "s/^/        /"
    else
        echo "FAIL  write on standby: $q"; echo "$out" | head -3; fail=1
    fi
done
exit "$fail"
