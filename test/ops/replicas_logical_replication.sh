#!/usr/bin/env bash
# Logical replication (README "Replicas and backups" / "Logical replication"), part
# of make test.  Publisher: this test cluster (wal_level=logical, tools/test.sh);
# subscriber: a cluster of its own on 127.0.0.1 with patsvc from the stage.
# Topology under test, the supported one: the publisher owns the master data
# (hours, types, locations, resources, time off, reminder rules, code sets) and
# writes provider 1's bookings; the subscriber writes provider 2's bookings
# locally; each node has its own identity range (patsvc.set_identity_range).
# Proves:
#  1. caches: ONE session on the subscriber that has already cached hours,
#     zones, time off, types, resources, reminder rules, code-set releases and
#     known patients sees each replicated change of them (its answers equal the
#     publisher's, and differ from what it had cached); a control with the
#     replica_changed trigger disabled shows the same session stays stale;
#  2. identity ranges: local bookings take ids from the subscriber's range, the
#     publisher's bookings keep arriving, the apply worker never errs;
#  3. rules for applied rows: a replicated booking overlapping a local one is
#     applied (the apply worker does not run appointments_enforce), and a local
#     booking overlapping either is still refused;
#  4. a protected table published for inserts and updates with the patients'
#     facts: the publisher's destruction leaves the subscriber's copy, which is
#     due there and destroyed by the subscriber with its own certificate.
set -euo pipefail
source "$(dirname "$0")/lib/clusters.sh"
root=$(cd "$(dirname "$0")/../.." && pwd)
export TZ=UTC PGTZ=UTC
N1=1000000000000000   # range size per node: node n takes [n * N1 + 1, (n + 1) * N1]

pub() { psql -X -At -v ON_ERROR_STOP=1 "$@"; }

# ---- publisher: the clinic's master data, node 0's identity range, the publication ----
pub -q -v fixtures="$root/test/fixtures" <<SQL
CREATE EXTENSION patsvc;
SET search_path = public, patsvc;
SELECT count(*) > 0 AS ranged FROM set_identity_range(1, $N1) \gset
\set icd_file :fixtures/icd10cm-order-2021-sample.txt
\set icd \`cat :'icd_file'\`
SELECT import_icd10cm_order('FY2021', '2020-10-01', '2021-09-30', :'icd') > 0 AS loaded \gset
INSERT INTO locations (id, name, time_zone) VALUES (1, 'Main St', 'America/New_York');
INSERT INTO providers (id, name) VALUES (1, 'Dr. Adams (books at the main site)'), (2, 'Dr. Berg (books at the branch)');
INSERT INTO patients (id, name) SELECT p, 'Patient ' || p FROM generate_series(1, 8) p;
INSERT INTO resources (id, name, kind, location_id) VALUES (1, 'Ultrasound', 'ultrasound', 1);
INSERT INTO appointment_types (id, code, duration_minutes, buffer_after_minutes, required_resource_kinds)
VALUES (1, 'visit', 20, 0, '{}'), (2, 'echo', 30, 10, '{ultrasound}');
INSERT INTO availability (provider_id, location_id, weekday, starts_local, ends_local)
SELECT p, 1, d, time '08:00', time '17:00' FROM generate_series(1, 2) p, generate_series(1, 5) d;
INSERT INTO reminder_rules (type_id, lead_time, channel) VALUES (1, '1 day', 'sms');
SELECT book(1, 1, '2027-03-15 13:00Z', 'visit') AS first_booking \gset
CREATE PUBLICATION clinic FOR TABLE
  patsvc.locations, patsvc.providers, patsvc.patients, patsvc.resources, patsvc.appointment_types,
  patsvc.availability, patsvc.time_off, patsvc.reminder_rules, patsvc.appointments,
  patsvc.appointment_resources, patsvc.reminders, patsvc.waitlist, patsvc.waitlist_offers,
  patsvc.icd10cm_release, patsvc.icd10cm_code;
-- a protected table of the clinic's, with the patients' facts: inserts and updates only
CREATE TABLE visit_notes (id int PRIMARY KEY, mrn text NOT NULL, seen date NOT NULL, note text);
SELECT protect('visit_notes', 'tx_physician', 'mrn', 'seen') IS NULL AS protected \gset
INSERT INTO retention_patient_facts (patient_id, birth_date, last_encounter) VALUES
  ('MRN-1', '1950-01-01', '2009-06-02'), ('MRN-2', '1980-01-01', '2025-05-20');
INSERT INTO visit_notes VALUES (1, 'MRN-1', '2009-06-02', 'old'), (2, 'MRN-2', '2025-05-20', 'young');
CREATE PUBLICATION notes FOR TABLE public.visit_notes, patsvc.retention_patient_facts WITH (publish = 'insert, update');
SQL

# ---- subscriber ---------------------------------------------------------------------
sport=$(free_port)
ops_initdb sub
ops_configure sub "$sport" "max_logical_replication_workers = 4" "max_worker_processes = 10"
ops_start sub
sub() { ops_psql sub "$sport" -d clinic -At -v ON_ERROR_STOP=1 "$@"; }
ops_psql sub "$sport" -d postgres -q -c "CREATE DATABASE clinic"

ops_cleanup_hook() {   # the subscription's slot lives on the publisher: drop it with the subscription
    timeout 20 env PGPASSWORD= psql -X -q -h "$OPS_WORK" -p "$sport" -U postgres -d clinic \
        -c "DROP SUBSCRIPTION IF EXISTS clinic" >/dev/null 2>&1 || true
}
ops_after_stop_hook() {   # a slot left behind (the subscriber died) would keep this database from being dropped
    local i
    for i in $(seq 1 50); do
        [ "$(psql -X -At -c "SELECT count(*) FROM pg_replication_slots WHERE database = current_database()")" = 0 ] && return 0
        psql -X -q -c "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots
                        WHERE database = current_database() AND NOT active" >/dev/null 2>&1 || true
        sleep 0.2
    done
}

sub -q <<SQL
CREATE EXTENSION patsvc;
CREATE TABLE visit_notes (id int PRIMARY KEY, mrn text NOT NULL, seen date NOT NULL, note text);
SELECT patsvc.protect('visit_notes', 'tx_physician', 'mrn', 'seen') IS NULL AS protected \gset
SELECT count(*) > 0 AS ranged FROM patsvc.set_identity_range($N1 + 1, 2 * $N1) \gset
CREATE SUBSCRIPTION clinic
  CONNECTION 'host=127.0.0.1 port=$PGPORT user=$PGUSER password=$PGPASSWORD dbname=$PGDATABASE'
  PUBLICATION clinic, notes;
SQL
synced() { [ "$(sub -c "SELECT count(*) FILTER (WHERE srsubstate <> 'r') = 0 AND count(*) = 17 FROM pg_subscription_rel")" = t ]; }
wait_for 60 "the initial synchronisation" synced

# pub_then_wait SQL CHECK: runs SQL on the publisher, then waits until CHECK is true on the subscriber
cat > "$OPS_WORK/pub_then_wait.sh" <<EOF
#!/usr/bin/env bash
set -euo pipefail
export PGPASSWORD='$PGPASSWORD'
psql -X -q -v ON_ERROR_STOP=1 -c "\$1" >/dev/null
for i in \$(seq 1 300); do
    [ "\$(PGPASSWORD= psql -X -At -h '$OPS_WORK' -p $sport -U postgres -d clinic -c "\$2")" = t ] && exit 0
    sleep 0.2
done
echo "gave up waiting for: \$2" >&2; exit 1
EOF
chmod +x "$OPS_WORK/pub_then_wait.sh"
W=$OPS_WORK/pub_then_wait.sh

fail=0
check() {   # check LABEL EXPECTED ACTUAL
    if [ "$2" = "$3" ]; then echo "ok    $1: $3"; else echo "FAIL  $1: expected '$2', got '$3'"; fail=1; fi
}
differs() {   # differs LABEL BEFORE AFTER
    if [ "$2" != "$3" ]; then echo "ok    $1 changed: '$2' -> '$3'"; else echo "FAIL  $1 did not change: '$2'"; fail=1; fi
}

# ---- 1. caches: one subscriber session, each replicated change -------------------------------
# The reads (the same text on both nodes); provider 2 has no bookings on these days.
Q_SLOTS="SELECT count(*) || ' from ' || min(lower(s)) FROM patsvc.free_slots(2, '[2027-03-15 00:00Z, 2027-03-16 00:00Z)', 'visit') s"
Q_TIMEOFF="SELECT patsvc.slot_is_free(2, '2027-03-16 15:00Z', 1)"
Q_RESOURCE="SELECT patsvc.slot_is_free(2, '2027-03-17 15:00Z', 2, '{1}')"
Q_REMIND="SELECT patsvc.appointment_gets_reminders('booked', 2)"
Q_CODE="SELECT coalesce(patsvc.icd10cm_billable('R05.1', '2022-06-01')::text, 'null')"
cat > "$OPS_WORK/session.sql" <<SQL
\\set ON_ERROR_STOP 0
\\set VERBOSITY terse
SET TimeZone = 'UTC';
SELECT 'slots_before', ($Q_SLOTS);
\\! $W "UPDATE patsvc.availability SET ends_local = '12:00' WHERE provider_id = 2" "SELECT bool_and(ends_local = '12:00') FROM patsvc.availability WHERE provider_id = 2"
SELECT 'slots_hours', ($Q_SLOTS);
SELECT patsvc.book(3, 2, '2027-03-15 18:00Z', 'visit');
SELECT 'book_after_hours', :'LAST_ERROR_SQLSTATE';
\\! $W "UPDATE patsvc.locations SET time_zone = 'America/Chicago' WHERE id = 1" "SELECT time_zone = 'America/Chicago' FROM patsvc.locations WHERE id = 1"
SELECT 'slots_zone', ($Q_SLOTS);
\\! $W "UPDATE patsvc.appointment_types SET duration_minutes = 30 WHERE id = 1" "SELECT duration_minutes = 30 FROM patsvc.appointment_types WHERE id = 1"
SELECT 'slots_type', ($Q_SLOTS);
SELECT 'timeoff_before', ($Q_TIMEOFF);
\\! $W "INSERT INTO patsvc.time_off (provider_id, during) VALUES (2, '[2027-03-16 14:00Z, 2027-03-16 16:00Z)')" "SELECT count(*) = 1 FROM patsvc.time_off"
SELECT 'timeoff_after', ($Q_TIMEOFF);
\\! $W "TRUNCATE patsvc.time_off" "SELECT count(*) = 0 FROM patsvc.time_off"
SELECT 'timeoff_truncated', ($Q_TIMEOFF);
SELECT 'resource_before', ($Q_RESOURCE);
\\! $W "UPDATE patsvc.resources SET kind = 'x-ray' WHERE id = 1" "SELECT kind = 'x-ray' FROM patsvc.resources WHERE id = 1"
SELECT 'resource_after', ($Q_RESOURCE);
SELECT 'remind_before', ($Q_REMIND);
\\! $W "INSERT INTO patsvc.reminder_rules (type_id, lead_time, channel) VALUES (2, '2 hours', 'sms')" "SELECT count(*) = 2 FROM patsvc.reminder_rules"
SELECT 'remind_after', ($Q_REMIND);
SELECT 'code_before', ($Q_CODE);
SELECT 'code_before_state', :'LAST_ERROR_SQLSTATE';
\\! $W "SELECT patsvc.import_icd10cm_order('FY2022', '2021-10-01', '2022-09-30', pg_read_file('$OPS_WORK/icd2022.txt'))" "SELECT count(*) = 2 FROM patsvc.icd10cm_release"
SELECT 'code_after', ($Q_CODE);
BEGIN;
SELECT patsvc.book(7, 2, '2027-03-18 13:00Z', 'visit') IS NOT NULL AS patient_7_known_then_rolled_back;
ROLLBACK;
\\! $W "DELETE FROM patsvc.patients WHERE id = 7" "SELECT count(*) = 0 FROM patsvc.patients WHERE id = 7"
SELECT patsvc.book(7, 2, '2027-03-18 13:00Z', 'visit');
SELECT 'book_deleted_patient', :'LAST_ERROR_SQLSTATE';
SQL
cp "$root/test/fixtures/icd10cm-order-2022-constructed.txt" "$OPS_WORK/icd2022.txt"
chown postgres: "$OPS_WORK/icd2022.txt"   # the publisher's server (user postgres) reads it: pg_read_file
before_pub_slots=$(pub -c "$Q_SLOTS"); before_pub_timeoff=$(pub -c "$Q_TIMEOFF")
before_pub_resource=$(pub -c "$Q_RESOURCE"); before_pub_remind=$(pub -c "$Q_REMIND")
out=$(ops_psql sub "$sport" -d clinic -At -F ' ' -f "$OPS_WORK/session.sql" 2>&1)
echo "$out" | sed 's/^/    session: /'
val() { sed -n "s/^$1 //p" <<<"$out"; }
check "slots cached before the changes (= publisher's)" "$before_pub_slots" "$(val slots_before)"
differs "free slots after replicated hours 08-12" "$(val slots_before)" "$(val slots_hours)"
check "local booking outside the replicated hours refused" "PS201" "$(val book_after_hours)"
differs "first free slot after the replicated time-zone change" "$(val slots_hours)" "$(val slots_zone)"
differs "free slots after the replicated type duration" "$(val slots_zone)" "$(val slots_type)"
check "free slots after all of them (= publisher's)" "$(pub -c "$Q_SLOTS")" "$(val slots_type)"
check "slot free before the time off (= publisher's)" "$before_pub_timeoff" "$(val timeoff_before)"
check "slot after the replicated time off" "f" "$(val timeoff_after)"
differs "slot after the replicated time off" "$(val timeoff_before)" "$(val timeoff_after)"
check "slot after a replicated TRUNCATE of time off (= publisher's)" "$(pub -c "$Q_TIMEOFF")" "$(val timeoff_truncated)"
differs "slot after the replicated TRUNCATE" "$(val timeoff_after)" "$(val timeoff_truncated)"
check "echo slot before the resource change (= publisher's)" "$before_pub_resource" "$(val resource_before)"
check "echo slot after the replicated resource kind (= publisher's)" "$(pub -c "$Q_RESOURCE")" "$(val resource_after)"
differs "echo slot after the replicated resource kind" "$(val resource_before)" "$(val resource_after)"
check "reminders for echo before (= publisher's)" "$before_pub_remind" "$(val remind_before)"
check "reminders for echo after the replicated rule (= publisher's)" "$(pub -c "$Q_REMIND")" "$(val remind_after)"
differs "reminders for echo" "$(val remind_before)" "$(val remind_after)"
check "no ICD-10-CM release for 2022 yet" "PS101" "$(val code_before_state)"
check "R05.1 in the replicated FY2022 release (= publisher's)" "$(pub -c "$Q_CODE")" "$(val code_after)"
check "local booking of a patient deleted by replication refused" "23503" "$(val book_deleted_patient)"

# Control: the same kind of session with the replica trigger of availability disabled keeps
# stale hours: the check above would fail without the fix.
sub -q -c "ALTER TABLE patsvc.availability DISABLE TRIGGER replica_changed"
stale=$(ops_psql sub "$sport" -d clinic -At -c "$Q_SLOTS" \
    -c "\\! $W \"UPDATE patsvc.availability SET ends_local = '17:00' WHERE provider_id = 2\" \"SELECT bool_and(ends_local = '17:00') FROM patsvc.availability WHERE provider_id = 2\"" \
    -c "$Q_SLOTS" 2>&1)
sub -q -c "ALTER TABLE patsvc.availability ENABLE REPLICA TRIGGER replica_changed"
fresh=$(ops_psql sub "$sport" -d clinic -At -c "$Q_SLOTS")
check "control: without replica_changed a session keeps its stale hours" "$(head -1 <<<"$stale")" "$(tail -1 <<<"$stale")"
check "control: a new session sees the new hours (= publisher's)" "$(pub -c "$Q_SLOTS")" "$fresh"
differs "control: new session vs the stale one" "$(tail -1 <<<"$stale")" "$fresh"

# ---- 2. identity ranges ------------------------------------------------------------------
check "invalid range refused" "22023" "$(ops_psql sub "$sport" -d clinic -At -v VERBOSITY=verbose \
    -c "SELECT patsvc.set_identity_range(10, 5)" 2>&1 | sed -n 's/^ERROR:  \([0-9A-Z]*\):.*/\1/p')"
check "every sequence of patsvc in the subscriber's range" "t" "$(sub -c "
    SELECT bool_and(s.seqmin = $N1 + 1 AND s.seqmax = 2 * $N1) AND count(*) >= 17
      FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid WHERE c.relnamespace = 'patsvc'::regnamespace")"
local_id=$(sub -c "SELECT patsvc.book(1, 2, '2027-03-19 15:00Z', 'visit')")
check "local booking takes an id of the subscriber's range" "t" "$(sub -c "SELECT $local_id > $N1")"
check "the local booking's reminder too" "t" "$(sub -c "SELECT bool_and(id > $N1) AND count(*) = 1 FROM patsvc.reminders WHERE appointment_id = $local_id")"
pub_id=$(pub -c "SELECT patsvc.book(2, 1, '2027-03-19 15:00Z', 'visit')")
check "publisher's booking takes an id of its own range" "t" "$(pub -c "SELECT $pub_id < $N1")"
wait_for 30 "the publisher's booking on the subscriber" \
    bash -c "[ \"\$(PGPASSWORD= psql -X -At -h '$OPS_WORK' -p $sport -U postgres -d clinic -c 'SELECT count(*) FROM patsvc.appointments WHERE id = $pub_id')\" = 1 ]"
echo "ok    the publisher's booking $pub_id arrived next to the local booking $local_id"
again=$(sub -c "SELECT string_agg(next_value::text, ',') FROM patsvc.set_identity_range($N1 + 1, 2 * $N1) WHERE sequence_name = 'patsvc.appointments_id_seq'::regclass")
check "set_identity_range again goes on after the local booking" "$((local_id + 1))" "$again"

# ---- 3. rules for applied rows -------------------------------------------------------------
# Against the topology: the publisher books provider 2 at the time the subscriber booked locally.
over_id=$(pub -c "SELECT patsvc.book(4, 2, '2027-03-19 15:10Z', 'visit')")
wait_for 30 "the overlapping booking on the subscriber" \
    bash -c "[ \"\$(PGPASSWORD= psql -X -At -h '$OPS_WORK' -p $sport -U postgres -d clinic -c 'SELECT count(*) FROM patsvc.appointments WHERE id = $over_id')\" = 1 ]"
check "a replicated booking overlapping a local one is applied (overlapping pairs on the subscriber)" "1" "$(sub -c "
    SELECT count(*) FROM patsvc.appointments a JOIN patsvc.appointments b ON a.id < b.id AND a.provider_id = b.provider_id
       AND a.held_from < b.held_until AND b.held_from < a.held_until WHERE a.status = 'booked' AND b.status = 'booked'")"
check "a local booking overlapping them is refused" "23P01" "$(ops_psql sub "$sport" -d clinic -At -v VERBOSITY=verbose \
    -c "SELECT patsvc.book(5, 2, '2027-03-19 15:15Z', 'visit')" 2>&1 | sed -n 's/^ERROR:  \([0-9A-Z]*\):.*/\1/p')"
# ---- 4. a protected table published for inserts and updates: each node destroys its own copy ----
pub_cert=$(pub -c "SELECT patsvc.destroy_due('visit_notes', authorized_by => 'HIM manager', method => 'deleted')")
pub -q -c "INSERT INTO visit_notes VALUES (3, 'MRN-2', '2025-06-01', 'after the destruction')"
wait_for 30 "note 3 on the subscriber" \
    bash -c "[ \"\$(PGPASSWORD= psql -X -At -h '$OPS_WORK' -p $sport -U postgres -d clinic -c 'SELECT count(*) FROM visit_notes WHERE id = 3')\" = 1 ]"
check "publisher: the due note destroyed, with a certificate" "2,3 t" "$(pub -F ' ' -c "SELECT string_agg(id::text, ',' ORDER BY id), $pub_cert IS NOT NULL FROM visit_notes")"
check "subscriber: its copy of the due note kept (the delete is not published)" "1,2,3" "$(sub -c "SELECT string_agg(id::text, ',' ORDER BY id) FROM visit_notes")"
check "subscriber: the replicated facts make it due there" "1" "$(sub -c "SELECT string_agg(v.id::text, ',') FROM patsvc.retention_due('visit_notes') d JOIN visit_notes v ON v.ctid = d.row_ctid")"
check "subscriber: a local DELETE of it is still refused" "PS303" "$(ops_psql sub "$sport" -d clinic -At -v VERBOSITY=verbose \
    -c "DELETE FROM visit_notes WHERE id = 1" 2>&1 | sed -n 's/^ERROR:  \([0-9A-Z]*\):.*/\1/p')"
sub_cert=$(sub -c "SELECT patsvc.destroy_due('visit_notes', authorized_by => 'branch HIM manager', method => 'deleted')")
check "subscriber: destroys its own copy, with its own certificate" "2,3 branch HIM manager t" "$(sub -F ' ' -c "
    SELECT (SELECT string_agg(id::text, ',' ORDER BY id) FROM visit_notes),
           (SELECT authorized_by FROM patsvc.destruction_certificates WHERE certificate_id = $sub_cert),
           (SELECT bool_and(ok) FROM patsvc.verify_certificates())")"
check "the apply worker never failed" "0 t" "$(sub -F ' ' -c "SELECT s.apply_error_count + s.sync_error_count, w.pid IS NOT NULL
    FROM pg_stat_subscription_stats s JOIN pg_stat_subscription w USING (subid) WHERE s.subname = 'clinic' AND w.relid IS NULL")"
exit "$fail"
