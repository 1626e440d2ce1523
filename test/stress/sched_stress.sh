#!/usr/bin/env bash
# Stress test of rule 5, part of make test (tools/suites.sh runs it in its own
# database of the throw-away cluster, 3 s per isolation level):
# 8 pgbench clients book random, heavily overlapping 30-minute visits (starts
# on a 10-minute grid) for 5 providers and 40 patients for a few seconds (one attempt in ten
# cancels a booking),
# under READ COMMITTED and then SERIALIZABLE; afterwards a query counts
# overlapping pairs among time-holding appointments.  Exit status 1 on any overlap.
# Each booking sleeps 2 ms before it commits, so a missing lock shows (without
# the sleep, 0 overlaps in 106,000 attempts with the lock removed).
set -euo pipefail
CLIENTS=${CLIENTS:-8} SECONDS_EACH=${SECONDS_EACH:-5}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
psql -X -q -v ON_ERROR_STOP=1 <<'SQL'
CREATE EXTENSION IF NOT EXISTS patsvc;
INSERT INTO patsvc.locations (id, name, time_zone) VALUES (1, 'Stress', 'America/New_York');
INSERT INTO patsvc.providers (id, name) SELECT p, 'Provider ' || p FROM generate_series(1, 5) p;
INSERT INTO patsvc.patients (id, name) SELECT p, 'Patient ' || p FROM generate_series(1, 40) p;
INSERT INTO patsvc.appointment_types (id, code, duration_minutes) VALUES (1, 'visit', 30);
INSERT INTO patsvc.availability (provider_id, location_id, weekday, starts_local, ends_local)
SELECT p, 1, d, '00:00', '23:59' FROM generate_series(1, 5) p, generate_series(1, 7) d;
-- refused bookings are the expected outcome of most attempts: count them, do not abort the client
CREATE TABLE stress_outcome (sqlstate text PRIMARY KEY, n bigint NOT NULL DEFAULT 0);
CREATE FUNCTION stress_book(pat bigint, prov bigint, slot int) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM patsvc.book(pat, prov, timestamptz '2027-03-15 14:00Z' + slot * interval '10 minutes', 'visit');
  -- a wide window between the check and the commit: without the trigger's per-key
  -- locks, a concurrent booking checked meanwhile sees nothing and double-books
  PERFORM pg_sleep(0.002);
EXCEPTION WHEN exclusion_violation OR SQLSTATE 'PS204' THEN
  NULL;
END $$;
SQL
cat > "$work/book.sql" <<'PGB'
\set prov random(1, 5)
\set pat random(1, 40)
\set slot random(0, 47)
SELECT stress_book(:pat, :prov, :slot);
PGB
# one attempt in ten cancels a booking, so freed time is raced for again
cat > "$work/cancel.sql" <<'PGB'
\set prov random(1, 5)
UPDATE patsvc.appointments SET status = 'cancelled'
 WHERE id = (SELECT id FROM patsvc.appointments WHERE provider_id = :prov AND status = 'booked'
             ORDER BY random() LIMIT 1);
PGB
OVERLAPS_SQL="SELECT (SELECT count(*) FROM patsvc.appointments a JOIN patsvc.appointments b
          ON a.id < b.id AND a.provider_id = b.provider_id
         AND a.held_from < b.held_until AND b.held_from < a.held_until
       WHERE a.status NOT IN ('cancelled', 'noshow', 'entered-in-error')
         AND b.status NOT IN ('cancelled', 'noshow', 'entered-in-error'))
     + (SELECT count(*) FROM patsvc.appointments a JOIN patsvc.appointments b
          ON a.id < b.id AND a.patient_id = b.patient_id
         AND a.starts_at < b.ends_at AND b.starts_at < a.ends_at
       WHERE a.status NOT IN ('cancelled', 'noshow', 'entered-in-error')
         AND b.status NOT IN ('cancelled', 'noshow', 'entered-in-error'))"
overlaps() { psql -X -At -c "$OVERLAPS_SQL"; }
# the overlap query itself must see a double booking: plant one with the trigger off, then roll back
selfcheck() {
    psql -X -At -q -v ON_ERROR_STOP=1 <<SQL | tail -1
BEGIN;
ALTER TABLE patsvc.appointments DISABLE TRIGGER appointments_enforce;
INSERT INTO patsvc.appointments (patient_id, provider_id, type_id, starts_at, ends_at, held_from, held_until)
SELECT patient_id % 40 + 1, provider_id, type_id, starts_at, ends_at, held_from, held_until
  FROM patsvc.appointments WHERE status = 'booked' LIMIT 1;
$OVERLAPS_SQL;
ROLLBACK;
SQL
}
status=0
db=$(psql -X -At -c 'SELECT current_database()')
for level in 'read committed' serializable; do
    psql -X -q -c "TRUNCATE patsvc.reminders, patsvc.waitlist_offers, patsvc.appointments CASCADE" -c "ALTER DATABASE $db SET default_transaction_isolation = '$level'"
    out=$(pgbench -n -c "$CLIENTS" -j 2 -T "$SECONDS_EACH" --max-tries=100 -f "$work/book.sql@9" -f "$work/cancel.sql@1" 2>&1)
    tx=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' <<<"$out")
    failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' <<<"$out")
    retried=$(sed -n 's/^number of transactions retried: \([0-9]*\).*/\1/p' <<<"$out")
    booked=$(psql -X -At -c "SELECT count(*) FROM patsvc.appointments")
    held=$(psql -X -At -c "SELECT count(*) FROM patsvc.appointments WHERE status = 'booked'")
    n=$(overlaps)
    echo "RESULT stress $level: $n overlapping pairs among $held time-holding appointments ($booked booked in all) (target 0) [$tx attempts by $CLIENTS clients in ${SECONDS_EACH}s, ${retried:-0} retried after 40001/40P01, ${failed:-0} failed]"
    [ "$n" = 0 ] || status=1
    planted=$(selfcheck)
    echo "overlap query sees a planted double booking: $planted pair(s)"
    [ "$planted" -gt 0 ] || status=1
done
psql -X -q -c "ALTER DATABASE $db RESET default_transaction_isolation"
exit $status
