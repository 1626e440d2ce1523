#!/usr/bin/env bash
# Coverage benchmark (run by tools/bench.sh in a throw-away cluster, once):
# booking throughput through patsvc.book() (the path users call), on top of
# 1,000,000 existing appointments, of a type that requires coverage in force
# and a prior authorization (trigger appointments_coverage: the date of
# service, the authorization chosen and locked, its counter, the record for
# the claim) vs booking a type that requires nothing, in the same run.
# pgbench -M prepared -c 2, one statement per transaction, ROUNDS rounds of
# SECS seconds (default 3 x 5), the variants interleaved in each round; a variant's tps = its
# transactions over all rounds / its time over all rounds.
#   visit  SELECT patsvc.book(patient, provider, start, 'visit')   requires nothing
#   mri    SELECT patsvc.book(patient, provider, start, 'mri')     requires coverage and authorization
#   visit_dba  INFO: 'visit' plus what a skilled DBA would write for the same rule by hand: one
#          statement that takes a visit of the patient's authorization (UPDATE ... WHERE
#          used < approved RETURNING, the row lock) and records it, in a CTE
#   visit_floor  INFO: 'visit' plus the one row any such rule must write (the record of what the
#          booking used, a plain table with a primary key), in a CTE: the floor of a booking
#          that records anything, measured in the same run
# Every booking goes to a free 20-minute gap no other booking of the run takes (the scheme of
# bench/sched_booking.sh: 17 gaps a day around the existing visits, 500 providers, 200 days), so
# no variant is ever refused; each (round, variant) gets its own range of slots.  The booking
# patients (105001-110000) each have a coverage and an authorization for 70551 with visits enough
# for the run.
# bench-cluster-options: -o autovacuum=off
set -euo pipefail
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

q <<'SQL'
CREATE EXTENSION IF NOT EXISTS patsvc;
INSERT INTO patsvc.locations (id, name, time_zone) VALUES (1, 'Bench', 'America/New_York');
INSERT INTO patsvc.providers (id, name) SELECT p, 'Provider ' || p FROM generate_series(1, 500) p;
INSERT INTO patsvc.patients (id, name) SELECT p, 'Patient ' || p FROM generate_series(1, 110000) p;
INSERT INTO patsvc.appointment_types (id, code, duration_minutes) VALUES (1, 'visit', 20), (2, 'mri', 20);
INSERT INTO patsvc.appointment_type_requirements (type_id, requires_coverage, requires_authorization, service_code)
VALUES (2, true, true, '70551');
INSERT INTO patsvc.availability (provider_id, location_id, weekday, starts_local, ends_local)
SELECT p, 1, d, '08:00', '17:00' FROM generate_series(1, 500) p, generate_series(1, 7) d;
INSERT INTO patsvc.payers (id, name, x12_payer_id, payer_type) VALUES (1, 'Acme Health', '60054', 'commercial');
INSERT INTO patsvc.coverages (patient_id, payer_id, member_id, valid, priority)
SELECT p, 1, 'M' || p, '[2027-01-01, 2028-01-01)', 1 FROM generate_series(105001, 110000) p;
INSERT INTO patsvc.authorizations (patient_id, payer_id, auth_number, service_codes, visits_approved, valid)
SELECT p, 1, 'PA-' || p, ARRAY['70551', '70553'], 100000, '[2027-01-01, 2028-01-01)' FROM generate_series(105001, 110000) p;
-- the DBA's reference: the same counter and record, written by hand in the booking statement
CREATE TABLE ref_authorizations (id bigint PRIMARY KEY, patient_id bigint NOT NULL, service_code text NOT NULL,
  valid daterange NOT NULL, visits_approved integer NOT NULL, visits_used integer NOT NULL DEFAULT 0);
CREATE INDEX ON ref_authorizations (patient_id);
CREATE TABLE ref_uses (appointment_id bigint PRIMARY KEY, authorization_id bigint NOT NULL);
INSERT INTO ref_authorizations SELECT p, p, '70551', '[2027-01-01, 2028-01-01)', 100000 FROM generate_series(105001, 110000) p;
-- 1,000,000 existing appointments (provider p, day d from Monday 2027-01-04, 09:00 New York + 40 min * k),
-- loaded without checks: they do not conflict by construction
SET session_replication_role = replica;
INSERT INTO patsvc.appointments (patient_id, provider_id, type_id, location_id, starts_at, ends_at, held_from, held_until)
SELECT ((p * 10 + k) + 5100 * (d % 20) + 1)::bigint, p, 1, 1, s, s + interval '20 minutes', s, s + interval '20 minutes'
  FROM generate_series(1, 500) p, generate_series(0, 199) d, generate_series(0, 9) k,
       LATERAL (SELECT ((date '2027-01-04' + d + time '09:00') AT TIME ZONE 'America/New_York') + k * interval '40 minutes' AS s) x;
RESET session_replication_role;
VACUUM ANALYZE;
SQL
echo "existing appointments: $(psql -X -At -c 'SELECT count(*) FROM patsvc.appointments')"

# 5 s rounds: a quiet 2-core machine books about 16,000 a second, and each (round, variant) has
# 1,700,000 / 15 free slots of its own (more rounds: lower SECS)
SECS=${SECS:-5}
ROUNDS=${ROUNDS:-3}
kinds="visit mri visit_dba visit_floor visit_lock"
allot=$(( 1700000 / (5 * ROUNDS) ))
day0=$(psql -X -At -c "SELECT extract(epoch FROM timestamptz '2027-01-04 08:00 America/New_York')::bigint")
stmt() { # the one statement of a variant
    case $1 in
    visit) echo "SELECT patsvc.book(:pat, :prov, to_timestamp(:t), 'visit');" ;;
    mri) echo "SELECT patsvc.book(:pat, :prov, to_timestamp(:t), 'mri');" ;;
    visit_dba) echo "WITH b AS (SELECT patsvc.book(:pat, :prov, to_timestamp(:t), 'visit') AS id),
 a AS (UPDATE ref_authorizations a SET visits_used = a.visits_used + 1
        WHERE a.id = (SELECT r.id FROM ref_authorizations r WHERE r.patient_id = :pat AND r.service_code = '70551'
                       AND r.valid @> (to_timestamp(:t) AT TIME ZONE 'America/New_York')::date
                       AND r.visits_used < r.visits_approved ORDER BY upper(r.valid), r.id LIMIT 1 FOR UPDATE)
       RETURNING a.id)
INSERT INTO ref_uses SELECT b.id, a.id FROM b, a;" ;;
    visit_floor) echo "WITH b AS (SELECT patsvc.book(:pat, :prov, to_timestamp(:t), 'visit') AS id)
INSERT INTO ref_uses SELECT b.id, :pat FROM b;" ;;
    visit_lock) echo "SELECT patsvc.book(:pat, :prov, to_timestamp(:t), 'visit'), pg_advisory_xact_lock(:pat),
 (SELECT r.visits_approved FROM ref_authorizations r WHERE r.patient_id = :pat AND r.service_code = '70551'
   AND r.valid @> (to_timestamp(:t) AT TIME ZONE 'America/New_York')::date ORDER BY upper(r.valid), r.id LIMIT 1);" ;;
    esac
}
for kind in $kinds; do
    cat > "$work/$kind.sql" <<PGB
\set i (2 * :n + :client_id) % $allot
\set n :n + 1
\set s :base + permute(:i, $allot)
\set prov :s % 500 + 1
\set g (:s / 500) % 17
\set d :s / 8500
\set pat 105001 + :s % 5000
\set m case when :g < 3 then 20 * :g when :g < 13 then 80 + 40 * (:g - 3) else 460 + 20 * (:g - 13) end
\set t $day0 + :d * 86400 - case when :d >= 69 then 3600 else 0 end + 60 * :m
$(stmt "$kind")
PGB
    echo 0 > "$work/$kind.tx"
done
lane=0
for round in $(seq 1 "$ROUNDS"); do
    line="round $round:"
    for kind in $kinds; do
        base=$(( lane * allot )); lane=$((lane + 1))
        if ! pgbench -n -M prepared -c 2 -j 2 -T "$SECS" -D n=0 -D base="$base" -f "$work/$kind.sql" > "$work/out" 2>&1; then
            echo "bench error: pgbench $kind failed (a refused booking aborts it):" >&2
            tail -n 20 "$work/out" >&2
            exit 1
        fi
        n=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$work/out")
        [ "$n" -lt $(( allot * 49 / 50 )) ] ||
            { echo "bench error: $kind used nearly all its $allot slots: raise ROUNDS or lower SECS" >&2; exit 1; }
        echo $(( $(cat "$work/$kind.tx") + n )) > "$work/$kind.tx"
        line="$line $kind $(( n / SECS ))"
    done
    echo "$line (tps)"
done
tps() { awk -v n="$(cat "$work/$1.tx")" -v t="$(( SECS * ROUNDS ))" 'BEGIN { printf "%.0f", n / t }'; }
for kind in $kinds; do eval "tps_$kind=$(tps "$kind")"; done
used=$(psql -X -At -c "SELECT sum(visits_used) FROM patsvc.authorization_visits")
recorded=$(psql -X -At -c "SELECT count(*) FROM patsvc.appointments WHERE authorization_id IS NOT NULL")
[ "$used" = "$recorded" ] && [ "$used" = "$(cat "$work/mri.tx")" ] ||
    { echo "bench error: $used visits used, $recorded recorded, $(cat "$work/mri.tx") mri bookings" >&2; exit 1; }
# shellcheck disable=SC2154  # set by the eval above
{
echo "RESULT booking throughput at 1,000,000 appointments, book() of a type requiring coverage and an authorization vs one requiring nothing: $(ratio "$tps_mri" "$tps_visit")x (target >= 0.8x) [mri $tps_mri tps, visit $tps_visit tps, pgbench -M prepared -c 2, one statement per transaction, $ROUNDS x $SECS s; $used visits used]"
echo "INFO the same rule written by hand around book() (a CTE taking a visit of a plain counter table under FOR UPDATE and recording it): $tps_visit_dba tps = $(ratio "$tps_visit_dba" "$tps_visit")x visit; patsvc's mri $(ratio "$tps_mri" "$tps_visit_dba")x of it"
echo "INFO the counting floor, 'visit' plus a transaction lock and one index probe of the authorization: $tps_visit_lock tps = $(ratio "$tps_visit_lock" "$tps_visit")x visit; patsvc's mri $(ratio "$tps_mri" "$tps_visit_lock")x of it"
echo "INFO the floor, 'visit' plus one row written to a plain table: $tps_visit_floor tps = $(ratio "$tps_visit_floor" "$tps_visit")x visit; patsvc's mri $(ratio "$tps_mri" "$tps_visit_floor")x of it"
}
