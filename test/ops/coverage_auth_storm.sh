#!/usr/bin/env bash
# Storm test of prior-authorization visits (coverage, README "Referrals and
# prior authorizations"), part of make test (tools/suites.sh runs it in its own
# database of the throw-away cluster): many pgbench clients book MRIs (a type
# that requires coverage and an authorization) for 6 patients who each have two
# authorizations with few visits (3 and 2), and cancel some of them so that
# given-back visits are raced for again, for a few seconds under READ COMMITTED,
# REPEATABLE READ and SERIALIZABLE (40001 retried by pgbench).  Afterwards each
# authorization's visits used (the appointments naming it) must equal the bookings, and never exceed
# what was approved.  Prints RESULT lines; exit status 1 if any count is off.
# Each booking sleeps 2 ms before it commits, so a missing row lock would show.
set -euo pipefail
CLIENTS=${CLIENTS:-8} SECONDS_EACH=${SECONDS_EACH:-4}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
psql -X -q -v ON_ERROR_STOP=1 <<'SQL'
CREATE EXTENSION IF NOT EXISTS patsvc;
INSERT INTO patsvc.locations (id, name, time_zone) VALUES (1, 'Storm', 'America/New_York');
INSERT INTO patsvc.providers (id, name) SELECT p, 'Provider ' || p FROM generate_series(1, 4) p;
INSERT INTO patsvc.patients (id, name) SELECT p, 'Patient ' || p FROM generate_series(1, 6) p;
INSERT INTO patsvc.appointment_types (id, code, duration_minutes) VALUES (1, 'mri', 30);
INSERT INTO patsvc.appointment_type_requirements (type_id, requires_coverage, requires_authorization, service_code)
VALUES (1, true, true, '70551');
INSERT INTO patsvc.availability (provider_id, location_id, weekday, starts_local, ends_local)
SELECT p, 1, d, '00:00', '24:00' FROM generate_series(1, 4) p, generate_series(1, 7) d;
INSERT INTO patsvc.payers (id, name, payer_type) VALUES (1, 'Acme Health', 'commercial');
INSERT INTO patsvc.coverages (patient_id, payer_id, member_id, valid, priority)
SELECT p, 1, 'M' || p, '[2027-01-01, 2028-01-01)', 1 FROM generate_series(1, 6) p;
CREATE TABLE storm_outcome (sqlstate text PRIMARY KEY, n bigint NOT NULL DEFAULT 0);
-- refused bookings (no visit left, the time taken) are expected: count them, do not abort the client
CREATE FUNCTION storm_book(pat bigint, prov bigint, slot int) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM patsvc.book(pat, prov, timestamptz '2027-03-15 14:00Z' + slot * interval '30 minutes', 'mri');
  PERFORM pg_sleep(0.002);
EXCEPTION WHEN exclusion_violation OR SQLSTATE 'PS543' OR SQLSTATE 'PS204' THEN
  NULL;
END $$;
SQL
setup_round() {
    psql -X -q -v ON_ERROR_STOP=1 <<'SQL'
SET client_min_messages = warning;
TRUNCATE patsvc.authorizations, patsvc.reminders, patsvc.waitlist_offers,
         patsvc.appointments CASCADE;
INSERT INTO patsvc.authorizations (patient_id, payer_id, auth_number, service_codes, visits_approved, valid)
SELECT p, 1, 'PA-' || p || '-' || k, ARRAY['70551'], 4 - k, daterange('2027-03-01', ('2027-03-20'::date + 5 * k))
  FROM generate_series(1, 6) p, generate_series(1, 2) k;
SQL
}
cat > "$work/book.sql" <<'PGB'
\set prov random(1, 4)
\set pat random(1, 6)
\set slot random(0, 200)
SELECT storm_book(:pat, :prov, :slot);
PGB
cat > "$work/cancel.sql" <<'PGB'
\set pat random(1, 6)
UPDATE patsvc.appointments SET status = 'cancelled'
 WHERE id = (SELECT id FROM patsvc.appointments WHERE patient_id = :pat AND status = 'booked'
             ORDER BY random() LIMIT 1);
PGB
# authorizations with more visits used than approved, or whose visits used differ from the bookings naming them
MISMATCH_SQL="SELECT count(*) FROM patsvc.authorization_visits a
 WHERE a.visits_used > a.visits_approved
    OR a.visits_used <> (SELECT count(*) FROM patsvc.appointments p
                         WHERE p.authorization_id = a.authorization_id AND p.status = 'booked')"
# booked MRIs that use no authorization
UNCOVERED_SQL="SELECT count(*) FROM patsvc.appointments p
 WHERE p.status = 'booked' AND p.authorization_id IS NULL"
# the check must see a wrong count: plant one (an authorization approving one visit fewer than
# its bookings use, past the guard authorizations_check) and roll back
selfcheck() {
    psql -X -At -q -v ON_ERROR_STOP=1 <<SQL | tail -1
BEGIN;
SET LOCAL session_replication_role = replica;
UPDATE patsvc.authorizations a SET visits_approved = v.visits_used - 1
  FROM patsvc.authorization_visits v
 WHERE v.authorization_id = a.id
   AND a.id = (SELECT min(authorization_id) FROM patsvc.authorization_visits WHERE visits_used > 0);
$MISMATCH_SQL;
ROLLBACK;
SQL
}
status=0
db=$(psql -X -At -c 'SELECT current_database()')
for level in 'read committed' 'repeatable read' serializable; do
    setup_round
    psql -X -q -c "ALTER DATABASE $db SET default_transaction_isolation = '$level'"
    out=$(pgbench -n -c "$CLIENTS" -j 2 -T "$SECONDS_EACH" --max-tries=100 -f "$work/book.sql@9" -f "$work/cancel.sql@1" 2>&1)
    tx=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' <<<"$out")
    failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' <<<"$out")
    retried=$(sed -n 's/^number of transactions retried: \([0-9]*\).*/\1/p' <<<"$out")
    approved=$(psql -X -At -c "SELECT sum(visits_approved) FROM patsvc.authorizations")
    used=$(psql -X -At -c "SELECT sum(visits_used) FROM patsvc.authorization_visits")
    booked=$(psql -X -At -c "SELECT count(*) FROM patsvc.appointments WHERE status = 'booked'")
    cancelled=$(psql -X -At -c "SELECT count(*) FROM patsvc.appointments WHERE status = 'cancelled'")
    wrong=$(psql -X -At -c "$MISMATCH_SQL")
    uncovered=$(psql -X -At -c "$UNCOVERED_SQL")
    echo "RESULT storm $level: $wrong authorizations with a wrong count, $uncovered bookings without a visit (target 0, 0); $used of $approved visits used by $booked bookings, $cancelled cancelled [$tx attempts by $CLIENTS clients in ${SECONDS_EACH}s, ${retried:-0} retried after 40001/40P01, ${failed:-0} failed]"
    { [ "$wrong" = 0 ] && [ "$uncovered" = 0 ] && [ "${used:-0}" -gt 0 ]; } || status=1
    planted=$(selfcheck)
    echo "RESULT storm $level: the check sees a planted wrong count: $planted (target 1)"
    [ "$planted" = 1 ] || status=1
done
psql -X -q -c "ALTER DATABASE $db RESET default_transaction_isolation"
exit $status
