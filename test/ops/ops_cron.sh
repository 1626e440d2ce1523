#!/usr/bin/env bash
# The README's pg_cron recipes ("Replicas and backups" / "Scheduled jobs (pg_cron)"),
# run by a real pg_cron, part of make test.  The test cluster preloads pg_cron
# with cron.database_name=postgres (tools/test.sh); this script creates the
# extension there, schedules the recipes' jobs in its own database with
# cron.schedule_in_database, waits for their runs (bounded), checks their effect
# and cron.job_run_details, and removes the jobs (and the extension) again.
# Debian 12's pg_cron (1.4) schedules by the minute ('* * * * *', not
# 'N seconds'): one wait of at most about a minute covers both jobs.
set -euo pipefail
export TZ=UTC PGTZ=UTC
db=$PGDATABASE
cron() { psql -X -At -v ON_ERROR_STOP=1 -d postgres "$@"; }
q() { psql -X -At -v ON_ERROR_STOP=1 "$@"; }

cleanup() {
    local rc=$? i
    set +e
    cron -q -c "SELECT cron.unschedule(jobid) FROM cron.job WHERE database = '$db'" >/dev/null 2>&1
    # a job still running holds a connection to this database, which must be dropped afterwards
    for i in $(seq 1 100); do
        [ "$(q -d postgres -c "SELECT count(*) FROM pg_stat_activity WHERE datname = '$db' AND pid <> pg_backend_pid()")" = 0 ] && break
        sleep 0.2
    done
    if [ "$rc" -ne 0 ]; then
        echo "--- cron.job_run_details"; cron -c "SELECT jobid, status, return_message, start_time FROM cron.job_run_details" 2>&1 | tail -20
    fi
    cron -q -c "DROP EXTENSION IF EXISTS pg_cron" >/dev/null 2>&1
    exit "$rc"
}
trap cleanup EXIT

[ "$(cron -c "SELECT 'pg_cron' = ANY (string_to_array(current_setting('shared_preload_libraries'), ','))")" = t ] ||
    { echo "FAIL: pg_cron is not preloaded in the test cluster (tools/test.sh)"; exit 1; }
cron -q -c "CREATE EXTENSION IF NOT EXISTS pg_cron"

# ---- the clinic: a protected table with records due and not due, a held one; reminders due ----
q -q <<'SQL'
CREATE EXTENSION patsvc;
SET search_path = public, patsvc;
CREATE TABLE visit_notes (id int PRIMARY KEY, mrn text NOT NULL, seen date NOT NULL, note text);
SELECT protect('visit_notes', 'tx_physician', 'mrn', 'seen');
CREATE TABLE lab_results (id int PRIMARY KEY, mrn text NOT NULL, taken date NOT NULL);
SELECT protect('lab_results', 'tx_physician', 'mrn', 'taken');
INSERT INTO retention_patient_facts (patient_id, birth_date, last_encounter) VALUES
  ('MRN-1', '1950-01-01', '2009-06-02'), ('MRN-2', '1955-01-01', '2010-02-11'), ('MRN-3', '1980-01-01', '2025-05-20');
INSERT INTO visit_notes VALUES (1, 'MRN-1', '2009-06-02', 'due'), (2, 'MRN-2', '2010-02-11', 'due, held'),
  (3, 'MRN-3', '2025-05-20', 'young');
INSERT INTO lab_results VALUES (1, 'MRN-1', '2009-06-01'), (2, 'MRN-3', '2025-05-20');
SELECT place_hold('CLAIM-9', 'claim filed', patient_id => 'MRN-2') IS NOT NULL AS held \gset

INSERT INTO locations (id, name, time_zone) VALUES (1, 'Main St', 'UTC');
INSERT INTO providers (id, name) VALUES (1, 'Dr. Adams');
INSERT INTO patients (id, name) VALUES (1, 'Ann'), (2, 'Bo');
INSERT INTO appointment_types (id, code, duration_minutes) VALUES (1, 'visit', 20);
INSERT INTO availability (provider_id, location_id, weekday, starts_local, ends_local)
SELECT 1, 1, d, '08:00', '18:00' FROM generate_series(1, 7) d;
INSERT INTO reminder_rules (type_id, lead_time, channel) VALUES (1, '3 days', 'sms'), (1, '30 days', 'email');
-- two visits the day after tomorrow: their 3-day reminders are due now, the 30-day ones too
SELECT book(1, 1, date_trunc('day', now()) + interval '2 days 10 hours', 'visit') AS first_visit,
       book(2, 1, date_trunc('day', now()) + interval '2 days 11 hours', 'visit') AS second_visit \gset
SQL

# ---- recipe 1: nightly destruction of what is due, in every protected table ----
# (README: scheduled '30 2 * * *'; here every minute)
recipe_destroy="SELECT * FROM patsvc.destroy_due_all(authorized_by => 'pg_cron job patsvc-nightly-destruction (approved by the HIM manager)', method => 'deleted by pg_cron; VACUUM follows')"
# ---- recipe 2: claim due reminders into a queue table every minute ----
q -q <<'SQL'
CREATE TABLE reminder_queue (
  reminder    bigint PRIMARY KEY,
  appointment bigint NOT NULL,
  channel     text NOT NULL,
  due_at      timestamptz NOT NULL,
  starts_at   timestamptz NOT NULL,
  queued_at   timestamptz NOT NULL DEFAULT now(),
  sent_at     timestamptz
);
SQL
recipe_claim="INSERT INTO reminder_queue (reminder, appointment, channel, due_at, starts_at) SELECT * FROM patsvc.claim_due_reminders(now(), 1000)"

job_destroy=$(cron -c "SELECT cron.schedule_in_database('patsvc-nightly-destruction-$db', '* * * * *', \$\$$recipe_destroy\$\$, '$db')")
job_claim=$(cron -c "SELECT cron.schedule_in_database('patsvc-claim-reminders-$db', '* * * * *', \$\$$recipe_claim\$\$, '$db')")
echo "scheduled jobs $job_destroy (destruction) and $job_claim (reminders) at $(date -u +%T)"

ran() { [ "$(cron -c "SELECT count(DISTINCT jobid) FROM cron.job_run_details
                      WHERE jobid IN ($job_destroy, $job_claim) AND status IN ('succeeded', 'failed')")" = 2 ]; }
for i in $(seq 1 400); do ran && break; sleep 0.2; done   # at most 80 s: the next minute, and the run
ran || { echo "FAIL: pg_cron did not run both jobs within 80 s"; exit 1; }
echo "both jobs ran by $(date -u +%T)"
cron -c "SELECT cron.unschedule($job_destroy), cron.unschedule($job_claim)" >/dev/null

fail=0
check() { if [ "$2" = "$3" ]; then echo "ok    $1: $3"; else echo "FAIL  $1: expected '$2', got '$3'"; fail=1; fi; }
first_run() {   # status and message of a job's first run (a second one may have started before it was unscheduled)
    cron -c "SELECT status || ' ' || return_message FROM cron.job_run_details WHERE jobid = $1 ORDER BY start_time LIMIT 1"
}
# (the clinic's two tables and patsvc's own logs, protected by its install script)
check "destruction job succeeded, one row per protected table" \
      "succeeded SELECT $(q -c "SELECT count(*) FROM patsvc.protected_tables")" "$(first_run "$job_destroy")"
check "reminder job succeeded, claiming 4 reminders" "succeeded INSERT 0 4" "$(first_run "$job_claim")"
check "visit notes left: the held one and the young one" "2,3" "$(q -c "SELECT string_agg(id::text, ',' ORDER BY id) FROM visit_notes")"
check "lab results left: the young one" "2" "$(q -c "SELECT string_agg(id::text, ',' ORDER BY id) FROM lab_results")"
check "one certificate per table with due records, authorized_by and method recorded" \
      "public.lab_results 1 pg_cron job patsvc-nightly-destruction (approved by the HIM manager) / deleted by pg_cron; VACUUM follows|public.visit_notes 1 pg_cron job patsvc-nightly-destruction (approved by the HIM manager) / deleted by pg_cron; VACUUM follows" \
      "$(q -c "SELECT string_agg(table_name || ' ' || record_count || ' ' || authorized_by || ' / ' || method, '|' ORDER BY table_name) FROM patsvc.destruction_certificates")"
check "certificate chain" "t" "$(q -c "SELECT bool_and(ok) FROM patsvc.verify_certificates()")"
check "the queue holds every due reminder once" "4 4 2" "$(q -F ' ' -c "SELECT count(*), count(DISTINCT reminder), count(DISTINCT appointment) FROM reminder_queue")"
check "reminders claimed by the job's user" "4 postgres" "$(q -F ' ' -c "SELECT count(*), string_agg(DISTINCT claimed_by, ',') FROM patsvc.reminders WHERE claimed_at IS NOT NULL")"
check "nothing left to claim" "0" "$(q -c "SELECT count(*) FROM patsvc.claim_due_reminders(now(), 1000)")"
# the recipe refuses to run without saying who authorized it
check "destroy_due_all without authorized_by" "22023" "$(q -v VERBOSITY=verbose -c "SELECT * FROM patsvc.destroy_due_all(NULL, 'x')" 2>&1 | sed -n 's/^ERROR:  \([0-9A-Z]*\):.*/\1/p')"
exit "$fail"
