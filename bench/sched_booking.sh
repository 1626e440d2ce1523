#!/usr/bin/env bash
# Scheduling benchmarks (run by tools/bench.sh in a throw-away cluster, once):
#  1. bulk load of 1,000,000 non-conflicting appointments: patsvc (trigger
#     enforcing provider, patient, room, hours) vs the btree_gist EXCLUDE
#     reference (provider, patient and room constraints);
#  2. single-appointment booking throughput, pgbench -M prepared -c 2, one
#     statement per transaction, on top of 1,000,000 existing appointments:
#     SELECT patsvc.book(...) and the bare INSERT into patsvc.appointments vs
#     EXCLUDE, the ceiling (plain table + the three lookup indexes) and a
#     plain table;
#  3. free_slots (1 provider, 4 weeks) and next_available (500 providers,
#     7 days) vs SQL references using multiranges; then next_available with
#     a required ultrasound that is free, off 3 hours that morning, off all
#     week, busy all day, and with a second resource busy the next day, at
#     40, 100, 250 and 500 providers (the cost should grow linearly).
# SLOTS_ONLY=1 runs part 3 alone (about a minute instead of about 15): the
# 1,000,000 appointments are then loaded without checks.
# INFO lines give the floor of 1 and 2: a table with patsvc.appointments'
# columns and indexes but no trigger (ref_floor), and the same with
# its 4 foreign keys (ref_floor_fk), loaded and booked the same way.
# The reference tables hold the same rows as patsvc.appointments.
# autovacuum off: an automatic ANALYZE of a 1,000,000-row table started by one variant's inserts
# otherwise lands in another variant's round (seen in perf profiles); the script vacuums itself
# bench-cluster-options: -o autovacuum=off
set -euo pipefail
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }
elapsed() { # seconds taken by one SQL statement
    local t0 t1
    t0=$(date +%s.%N); q -c "$1"; t1=$(date +%s.%N)
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

q <<'SQL'
CREATE EXTENSION IF NOT EXISTS patsvc;
CREATE EXTENSION btree_gist;   -- the reference only
INSERT INTO patsvc.locations (id, name, time_zone) VALUES (1, 'Bench', 'America/New_York');
INSERT INTO patsvc.providers (id, name) SELECT p, 'Provider ' || p FROM generate_series(1, 500) p;
INSERT INTO patsvc.patients (id, name) SELECT p, 'Patient ' || p FROM generate_series(1, 110000) p;
INSERT INTO patsvc.resources (id, name, kind) SELECT r, 'Room ' || r, 'exam-room' FROM generate_series(1, 500) r;
INSERT INTO patsvc.appointment_types (id, code, duration_minutes) VALUES (1, 'visit', 20);
INSERT INTO patsvc.availability (provider_id, location_id, weekday, starts_local, ends_local)
SELECT p, 1, d, '08:00', '17:00' FROM generate_series(1, 500) p, generate_series(1, 7) d;
CREATE TABLE ref_excl (
  id bigserial PRIMARY KEY, patient_id bigint NOT NULL, provider_id bigint NOT NULL, room_id bigint NOT NULL,
  during tstzrange NOT NULL, status text NOT NULL DEFAULT 'booked',
  EXCLUDE USING gist (provider_id WITH =, during WITH &&) WHERE (status <> 'cancelled'),
  EXCLUDE USING gist (patient_id WITH =, during WITH &&) WHERE (status <> 'cancelled'),
  EXCLUDE USING gist (room_id WITH =, during WITH &&) WHERE (status <> 'cancelled'));
CREATE TABLE ref_plain (
  id bigserial PRIMARY KEY, patient_id bigint NOT NULL, provider_id bigint NOT NULL, room_id bigint NOT NULL,
  during tstzrange NOT NULL, status text NOT NULL DEFAULT 'booked');
-- the plain table plus the btree indexes any overlap check has to read (provider, patient, room by
-- time), and nothing else: no check, no lock, no foreign key (INFO: the ceiling of a checked booking)
CREATE TABLE ref_plain_idx (LIKE ref_plain INCLUDING ALL);
CREATE INDEX ON ref_plain_idx (provider_id, lower(during));
CREATE INDEX ON ref_plain_idx (patient_id, lower(during));
CREATE INDEX ON ref_plain_idx (room_id, lower(during));
-- the floor: patsvc.appointments' columns and indexes without any trigger; ref_floor_fk adds
-- the same foreign keys (patient, provider, type, location)
CREATE TABLE ref_floor (LIKE patsvc.appointments INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES INCLUDING IDENTITY);
CREATE TABLE ref_floor_fk (LIKE patsvc.appointments INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES INCLUDING IDENTITY,
  FOREIGN KEY (patient_id) REFERENCES patsvc.patients, FOREIGN KEY (provider_id) REFERENCES patsvc.providers,
  FOREIGN KEY (type_id) REFERENCES patsvc.appointment_types, FOREIGN KEY (location_id) REFERENCES patsvc.locations);
-- rows: provider p, day d (from Monday 2027-01-04), slot k: 09:00 New York + 40 min * k, 20 minutes,
-- room = provider, patient unique per (day, time); the 20 minutes after each slot stay free
CREATE VIEW bench_rows AS
SELECT p AS provider_id, d, k,
       ((p * 10 + k) + 5100 * (d % 20) + 1)::bigint AS patient_id,
       ((date '2027-01-04' + d + time '09:00') AT TIME ZONE 'America/New_York') + k * interval '40 minutes' AS starts_at
FROM generate_series(1, 500) p, generate_series(0, 199) d, generate_series(0, 9) k;
SQL
# the master data as in a database that has been running (hint bits set, statistics)
q -c "VACUUM ANALYZE"

SLOTS_ONLY=${SLOTS_ONLY:-0}
if [ "$SLOTS_ONLY" = 1 ]; then
q <<'SQL'
SET session_replication_role = replica;
INSERT INTO patsvc.appointments (patient_id, provider_id, type_id, location_id, starts_at, ends_at, held_from, held_until, resources)
SELECT patient_id, provider_id, 1, 1, starts_at, starts_at + interval '20 minutes', starts_at, starts_at + interval '20 minutes',
       ARRAY[provider_id] FROM bench_rows;
INSERT INTO patsvc.appointment_resources (appointment_id, resource_id, held_from, held_until)
SELECT id, provider_id, held_from, held_until FROM patsvc.appointments;
RESET session_replication_role;
VACUUM ANALYZE;
SQL
echo "existing appointments: $(psql -X -At -c 'SELECT count(*) FROM patsvc.appointments') (SLOTS_ONLY=1: parts 1 and 2 skipped)"
else
# 1. bulk load, 1,000,000 rows (days 0-199), enforcement on; BULK_ROUNDS rounds on emptied tables,
# patsvc and EXCLUDE alternating which goes first; each side's best round counts (one round of
# the 35-47 s EXCLUDE load swung by 1.4x between runs), every round is printed.  Each side's load
# starts right after a CHECKPOINT (the tables emptied first): otherwise the second side ran while
# the checkpointer flushed what the first had written (on 2026-12-07 the first round, patsvc
# first, measured about 4.4x and the second 7.5x)
BULK_ROUNDS=${BULK_ROUNDS:-2}
min() { awk -v a="$1" -v b="$2" 'BEGIN { print (a == "" || b < a) ? b : a }'; }
bulk_patsvc() {
    # CASCADE: the tables other areas link to appointments (all empty here) are emptied with it
    q -c "SET client_min_messages = warning" -c "TRUNCATE patsvc.appointment_resources, patsvc.appointments CASCADE" -c "CHECKPOINT"
    elapsed "INSERT INTO patsvc.appointments (patient_id, provider_id, type_id, starts_at, resources)
             SELECT patient_id, provider_id, 1, starts_at, ARRAY[provider_id] FROM bench_rows"
}
bulk_excl() {
    q -c "TRUNCATE ref_excl" -c "CHECKPOINT"
    elapsed "INSERT INTO ref_excl (patient_id, provider_id, room_id, during)
             SELECT patient_id, provider_id, provider_id, tstzrange(starts_at, starts_at + interval '20 minutes')
             FROM bench_rows"
}
t_patsvc="" t_excl=""
for round in $(seq 1 "$BULK_ROUNDS"); do
    if [ $((round % 2)) = 1 ]; then tp=$(bulk_patsvc); te=$(bulk_excl); first=patsvc
    else te=$(bulk_excl); tp=$(bulk_patsvc); first=EXCLUDE; fi
    loaded=$(psql -X -At -c "SELECT (SELECT count(*) FROM patsvc.appointments) || ' ' || (SELECT count(*) FROM ref_excl)")
    [ "$loaded" = "1000000 1000000" ] ||
        { echo "bench error: bulk round $round loaded $loaded rows (patsvc, EXCLUDE), not 1,000,000 each" >&2; exit 1; }
    echo "bulk round $round ($first first): patsvc ${tp}s, EXCLUDE ${te}s, $(ratio "$te" "$tp")x"
    t_patsvc=$(min "$t_patsvc" "$tp"); t_excl=$(min "$t_excl" "$te")
done
echo "RESULT bulk load 1,000,000 appointments: $(ratio "$t_excl" "$t_patsvc")x btree_gist EXCLUDE (target >= 5x) [best of $BULK_ROUNDS: patsvc ${t_patsvc}s, EXCLUDE ${t_excl}s]"
floor_rows="SELECT patient_id, provider_id, 1, 1, starts_at, starts_at + interval '20 minutes', starts_at,
                   starts_at + interval '20 minutes', ARRAY[provider_id] FROM bench_rows"
floor_cols="(patient_id, provider_id, type_id, location_id, starts_at, ends_at, held_from, held_until, resources)"
t_floor=$(elapsed "INSERT INTO ref_floor $floor_cols $floor_rows")
t_floor_fk=$(elapsed "INSERT INTO ref_floor_fk $floor_cols $floor_rows")
echo "INFO bulk load floor (same columns and indexes, no trigger): $(ratio "$t_excl" "$t_floor")x EXCLUDE [${t_floor}s]; with the same 4 foreign keys: $(ratio "$t_excl" "$t_floor_fk")x EXCLUDE [${t_floor_fk}s]; patsvc takes $(ratio "$t_patsvc" "$t_floor_fk")x the time of the floor with foreign keys"

# the unchecked references get the same 1,000,000 rows
q <<'SQL'
INSERT INTO ref_plain (patient_id, provider_id, room_id, during)
SELECT patient_id, provider_id, provider_id, tstzrange(starts_at, starts_at + interval '20 minutes') FROM bench_rows;
INSERT INTO ref_plain_idx (patient_id, provider_id, room_id, during)
SELECT patient_id, provider_id, provider_id, tstzrange(starts_at, starts_at + interval '20 minutes') FROM bench_rows;
VACUUM ANALYZE;
SQL
echo "existing appointments: $(psql -X -At -c 'SELECT count(*) FROM patsvc.appointments')"

# 2. booking throughput: each variant is ONE prepared statement per pgbench transaction (no
# wrapper function, no exception block), ROUNDS rounds of SECS seconds, the variants interleaved
# in each round (a single 15 s run of each swung by 1.4x on this machine); a variant's tps = its
# transactions over all rounds / its time over all rounds.
#   book       SELECT patsvc.book(patient, provider, start, 'visit', ARRAY[room])
#   insert     INSERT INTO patsvc.appointments (the same row, type id 1, no wrapper)
#   excl       INSERT INTO ref_excl (btree_gist EXCLUDE on provider, patient, room: the reference)
#   plain_idx  INSERT INTO ref_plain_idx (PK and the 3 btree lookup indexes, no check: the ceiling)
#   plain      INSERT INTO ref_plain (PK only)
#   floor, floor_fk  INFO: patsvc.appointments' columns and indexes without the trigger, without
#              and with its 4 foreign keys
# Errors: every booking goes to a free 20-minute gap no other booking of the run takes, so no
# variant ever conflicts and every variant runs exactly the same statements' inputs.  A day
# (from Monday 2027-01-04, 08:00-17:00 New York) has 17 such gaps around the existing
# 09:00 + 40 min * k visits: 08:00, 08:20, 08:40, 09:20 + 40 min * k (k = 0..9), 15:40, 16:00,
# 16:20, 16:40; 200 days x 17 gaps x 500 providers = 1,700,000 slots s, numbered
# provider = s % 500 + 1, gap = s / 500 % 17, day = s / 8500, patient = 105001 + s % 5000
# (patients without other visits; one patient's slots are 5,000 apart, never the same gap of
# the same day; room = provider).  book and insert share patsvc.appointments, so each (round, variant)
# gets its own range of 1,700,000 / (2 x ROUNDS) slots, and each pgbench client takes every
# second number of it (:client_id, a counter :n kept per client), shuffled by permute(); the
# unchecked tables (plain, ceiling, floors), faster, may wrap around to slots used before.  A
# refused booking (23P01, PS2xx) would abort the client: pgbench then exits non-zero and the
# bench stops with the error, for every variant alike, instead of measuring refusals.
SECS=${SECS:-10}
ROUNDS=${ROUNDS:-3}
kinds="book insert excl plain_idx plain floor floor_fk"
allot=$(( 1700000 / (2 * ROUNDS) ))
day0=$(psql -X -At -c "SELECT extract(epoch FROM timestamptz '2027-01-04 08:00 America/New_York')::bigint")
# the start's epoch as pgbench computes it (New York is UTC-4 from day 69, 2027-03-14, on)
ok=$(psql -X -At -c "SELECT bool_and(extract(epoch FROM (date '2027-01-04' + d + time '08:00') AT TIME ZONE 'America/New_York')
                                     = $day0 + d * 86400 - CASE WHEN d >= 69 THEN 3600 ELSE 0 END)
                     FROM generate_series(0, 199) d")
[ "$ok" = t ] || { echo "bench error: the slot times computed by pgbench are not 08:00 New York" >&2; exit 1; }
stmt() { # the one statement of a variant
    local s="to_timestamp(:t)" e="to_timestamp(:t + 1200)"
    local cols="(patient_id, provider_id, type_id, location_id, starts_at, ends_at, held_from, held_until, resources)"
    case $1 in
    book) echo "SELECT patsvc.book(:pat, :prov, $s, 'visit', ARRAY[:prov::bigint]);" ;;
    insert) echo "INSERT INTO patsvc.appointments (patient_id, provider_id, type_id, starts_at, resources) VALUES (:pat, :prov, 1, $s, ARRAY[:prov::bigint]);" ;;
    excl) echo "INSERT INTO ref_excl (patient_id, provider_id, room_id, during) VALUES (:pat, :prov, :prov, tstzrange($s, $e));" ;;
    plain_idx) echo "INSERT INTO ref_plain_idx (patient_id, provider_id, room_id, during) VALUES (:pat, :prov, :prov, tstzrange($s, $e));" ;;
    plain) echo "INSERT INTO ref_plain (patient_id, provider_id, room_id, during) VALUES (:pat, :prov, :prov, tstzrange($s, $e));" ;;
    floor|floor_fk) echo "INSERT INTO ref_$1 $cols VALUES (:pat, :prov, 1, 1, $s, $e, $s, $e, ARRAY[:prov::bigint]);" ;;
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
# CPU time per transaction, by whose it is (INFO): a variant's tps on this 2-core machine is set by
# all the CPU one of its transactions takes, and most of that is the same for every variant: the
# backends' system time (the client protocol over TCP, commit waking the WAL writer), the other
# server processes (the WAL writer) and pgbench itself.  Counted from /proc (10 ms ticks): the
# backends' user and system time as the postmaster's reaped children (pgbench's backends exit
# when it disconnects; the wait below lets the postmaster reap them), the live server processes'
# time, pgbench's own from bash's time.  Needs the postmaster's /proc entry (same machine).
postmaster=$(head -n 1 "$(psql -X -At -c 'SHOW data_directory')/postmaster.pid")
proc_stat() { # the fields of /proc/PID/stat after the command name: [11] utime, [12] stime, [13] cutime, [14] cstime
    local st
    { read -r st < "/proc/$1/stat"; } 2>/dev/null || return 1
    read -r -a fields <<< "${st##*) }"
}
cpu_ticks() { # "reaped children user, reaped children system, live server processes" of the postmaster
    local live=0 p
    for p in /proc/[0-9]*; do
        proc_stat "${p#/proc/}" && [ "${fields[1]}" = "$postmaster" ] && live=$(( live + fields[11] + fields[12] ))
    done
    proc_stat "$postmaster"
    echo "${fields[13]} ${fields[14]} $live"
}
backends_gone() { # until pgbench's backends have exited and been reaped
    while [ "$(psql -X -At -c "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()")" != 0 ]; do
        sleep 0.1
    done
    sleep 0.2
}
for kind in $kinds; do echo "0 0 0 0" > "$work/$kind.cpu"; done
TIMEFORMAT='%U %S'
for round in $(seq 1 "$ROUNDS"); do
    line="round $round:"
    for kind in $kinds; do
        lane=0
        [ "$kind" = insert ] && lane=1
        base=$(( ((round - 1) * 2 + lane) * allot ))
        read -r u0 s0 l0 < <(cpu_ticks)
        if ! { time pgbench -n -M prepared -c 2 -j 2 -T "$SECS" -D n=0 -D base="$base" -f "$work/$kind.sql" > "$work/out" 2>&1; } 2> "$work/time"; then
            echo "bench error: pgbench $kind failed (a refused booking aborts it):" >&2
            tail -n 20 "$work/out" >&2
            exit 1
        fi
        n=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$work/out")
        # the checked tables' slots must not wrap around (the plain tables may reuse theirs)
        case $kind in book|insert|excl)
            [ "$n" -lt $(( allot * 49 / 50 )) ] ||
                { echo "bench error: $kind used nearly all its $allot slots: raise ROUNDS or lower SECS" >&2; exit 1; } ;;
        esac
        echo $(( $(cat "$work/$kind.tx") + n )) > "$work/$kind.tx"
        backends_gone
        read -r u1 s1 l1 < <(cpu_ticks)
        read -r cu cs cl cp < "$work/$kind.cpu"
        echo "$(( cu + u1 - u0 )) $(( cs + s1 - s0 )) $(( cl + l1 - l0 )) $(awk -v p="$cp" -v u="$(cut -d' ' -f1 "$work/time")" -v s="$(cut -d' ' -f2 "$work/time")" 'BEGIN { printf "%.2f", p + u + s }')" > "$work/$kind.cpu"
        line="$line $kind $(( n / SECS ))"
    done
    echo "$line (tps)"
done
tps() { awk -v n="$(cat "$work/$1.tx")" -v t="$(( SECS * ROUNDS ))" 'BEGIN { printf "%.0f", n / t }'; }
for kind in $kinds; do eval "tps_$kind=$(tps "$kind")"; done
# shellcheck disable=SC2154  # set by the eval above
{
echo "RESULT booking throughput at 1,000,000 appointments, book(): $(ratio "$tps_book" "$tps_excl")x btree_gist EXCLUDE (target >= 1.6x, goal 2x) [book $tps_book tps, EXCLUDE $tps_excl tps, pgbench -M prepared -c 2, one statement per transaction, $ROUNDS x $SECS s]"
echo "RESULT booking throughput, book() vs its INSERT: $(ratio "$tps_book" "$tps_insert")x (target >= 0.95x) [book $tps_book tps, INSERT INTO patsvc.appointments $tps_insert tps]"
echo "INFO INSERT INTO patsvc.appointments: $tps_insert tps = $(ratio "$tps_insert" "$tps_excl")x EXCLUDE"
echo "INFO ceiling, plain table + PK + the provider, patient and room btree indexes, no check: $tps_plain_idx tps = $(ratio "$tps_plain_idx" "$tps_excl")x EXCLUDE; book() reaches $(ratio "$tps_book" "$tps_plain_idx")x of it"
echo "INFO plain table, PK only: $tps_plain tps = $(ratio "$tps_plain" "$tps_excl")x EXCLUDE; book() $(ratio "$tps_book" "$tps_plain")x of it"
echo "INFO floor (patsvc.appointments' columns and indexes, no trigger): $tps_floor tps = $(ratio "$tps_floor" "$tps_excl")x EXCLUDE; with its 4 foreign keys: $tps_floor_fk tps = $(ratio "$tps_floor_fk" "$tps_excl")x EXCLUDE; book() $(ratio "$tps_book" "$tps_floor_fk")x of it"
cpu_us() { # microseconds of CPU per transaction of a variant: backends user, backends system, other server processes, pgbench, total
    read -r cu cs cl cp < "$work/$1.cpu"
    awk -v n="$(cat "$work/$1.tx")" -v cu="$cu" -v cs="$cs" -v cl="$cl" -v cp="$cp" -v hz="$(getconf CLK_TCK)" \
        'BEGIN { u = cu * 1e6 / hz / n; s = cs * 1e6 / hz / n; l = cl * 1e6 / hz / n; p = cp * 1e6 / n;
                 printf "%.1f %.1f %.1f %.1f %.1f\n", u, s, l, p, u + s + l + p }'
}
for kind in book excl plain_idx insert; do
    read -r u s l p t < <(cpu_us "$kind")
    echo "INFO CPU per transaction, $kind: $t us = backends' user time $u us + their system time $s us + other server processes $l us + pgbench $p us"
done
read -r bu bs bl bp bt < <(cpu_us book)
read -r eu es el ep et < <(cpu_us excl)
read -r cu cs cl cp ct < <(cpu_us plain_idx)
echo "INFO the 1.6x target in CPU: EXCLUDE takes $et us per transaction, so book() may take $(awk -v e="$et" 'BEGIN { printf "%.1f", e / 1.6 }') us; $(awk -v b="$bt" -v u="$bu" 'BEGIN { printf "%.1f", b - u }') us of book()'s $bt us are not its backend's user time (the protocol, commit, WAL writer, pgbench: the same in every variant), which leaves $(awk -v e="$et" -v b="$bt" -v u="$bu" 'BEGIN { printf "%.1f", e / 1.6 - (b - u) }') us for all its work in the backend; it takes $bu us, the ceiling's bare insert (no check, no lock, no rule) $cu us"
}

# 2b. the other API functions, each against the table statements it stands for (same rows, same
# run; one prepared statement per pgbench transaction unless said otherwise; -c 2; API_ROUNDS
# rounds of API_TX transactions per client, the pairs interleaved; tps over all rounds):
#   cancel        patsvc.cancel(id, 'bench')  vs  UPDATE ... SET status = 'cancelled', cancel_reason = 'bench'
#   set_status    patsvc.set_status(id, 'arrived')  vs  UPDATE ... SET status = 'arrived'
#   reschedule    patsvc.reschedule(id, new_start)  vs  its two statements in one transaction (the
#                 old visit UPDATEd to cancelled, the new one INSERTed from it, replaces = old id)
#   overbook      patsvc.book_overbook(patient, provider, start, 'visit', ARRAY[room], 'bench')  vs
#                 the INSERT of the same row (not overbooked)
#   slot_is_free  patsvc.slot_is_free(provider, start, 1, ARRAY[room])  vs  INFO: the two overlap
#                 reads any answer needs, in SQL (the provider's bookings, the room's holds; no hours)
#   claim         patsvc.claim_due_reminders(now, 1)  vs  its own body as a prepared statement
# Appointments come from part 2's bookings (patients above 105000; bench_ids numbers them, each
# variant of a pair picks its id with the same primary-key lookup, each id once); new starts are
# unique instants from day 200 on, 13:00Z-20:40Z every 20 minutes (inside 08:00-17:00 New York in
# summer and in winter time), so no new row meets another.
API_TX=${API_TX:-4000}
API_ROUNDS=${API_ROUNDS:-4}
api_lane=$(( API_ROUNDS * 2 * API_TX ))
q -c "CREATE TABLE bench_ids AS SELECT row_number() OVER (ORDER BY id) AS n, id FROM patsvc.appointments
      WHERE patient_id > 105000 AND status = 'booked'" -c "ALTER TABLE bench_ids ADD PRIMARY KEY (n)" -c "VACUUM ANALYZE bench_ids"
have=$(psql -X -At -c "SELECT count(*) FROM bench_ids")
# ten lanes of ids: on a busy machine part 2 books fewer, and each run gets fewer transactions
if [ "$have" -lt $(( 10 * api_lane )) ]; then
    API_TX=$(( have / (20 * API_ROUNDS) ))
    api_lane=$(( API_ROUNDS * 2 * API_TX ))
    echo "INFO part 2 booked $have appointments: $API_TX transactions per client and round in part 2b"
fi
[ "$API_TX" -ge 200 ] || { echo "bench error: part 2 booked only $have appointments, too few for part 2b" >&2; exit 1; }
u0=$(psql -X -At -c "SELECT extract(epoch FROM timestamptz '2027-07-23 13:00Z')::bigint")   # day 200
api_stmt() { # kind -> the statement(s) of one transaction
    local id="(SELECT id FROM bench_ids WHERE n = :k)" t="to_timestamp(${u0}::bigint + (:u / 24) * 86400 + (:u % 24) * 1200)"
    case $1 in
    cancel_api) echo "SELECT patsvc.cancel($id, 'bench');" ;;
    cancel_sql) echo "UPDATE patsvc.appointments SET status = 'cancelled', cancel_reason = 'bench' WHERE id = $id;" ;;
    status_api) echo "SELECT patsvc.set_status($id, 'arrived');" ;;
    status_sql) echo "UPDATE patsvc.appointments SET status = 'arrived' WHERE id = $id;" ;;
    resched_api) echo "SELECT patsvc.reschedule($id, $t);" ;;
    resched_sql) printf '%s\n' "BEGIN;" \
        "UPDATE patsvc.appointments SET status = 'cancelled', cancel_reason = 'rescheduled' WHERE id = $id;" \
        "INSERT INTO patsvc.appointments (patient_id, provider_id, starts_at, type_id, resources, status, replaces, series_id, priority) SELECT patient_id, provider_id, $t, type_id, resources, 'booked', id, series_id, priority FROM patsvc.appointments WHERE id = $id;" \
        "COMMIT;" ;;
    overbook_api) echo "SELECT patsvc.book_overbook(105001 + :u % 5000, :u % 500 + 1, $t, 'visit', ARRAY[:u % 500 + 1]::bigint[], 'bench');" ;;
    overbook_sql) echo "INSERT INTO patsvc.appointments (patient_id, provider_id, type_id, starts_at, resources) VALUES (105001 + :u % 5000, :u % 500 + 1, 1, $t, ARRAY[:u % 500 + 1]::bigint[]);" ;;
    free_api) echo "SELECT patsvc.slot_is_free(:u % 500 + 1, $t, 1, ARRAY[:u % 500 + 1]::bigint[]);" ;;
    free_sql) echo "SELECT NOT EXISTS (SELECT FROM patsvc.appointments a WHERE a.provider_id = :u % 500 + 1 AND a.held_from > $t - interval '24 hours' AND a.held_from < $t + interval '20 minutes' AND a.held_until > $t AND a.status NOT IN ('cancelled', 'noshow', 'entered-in-error') AND NOT a.overbook) AND NOT EXISTS (SELECT FROM patsvc.appointment_resources h WHERE h.resource_id = :u % 500 + 1 AND h.held_from > $t - interval '24 hours' AND h.held_from < $t + interval '20 minutes' AND h.held_until > $t);" ;;
    claim_api) echo "SELECT count(*) FROM patsvc.claim_due_reminders('2027-01-01 00:00Z', 1);" ;;
    claim_sql) cat <<'CLAIM'
WITH due AS (SELECT r.id FROM patsvc.reminders r JOIN patsvc.appointments a ON a.id = r.appointment_id WHERE r.claimed_at IS NULL AND r.due_at <= '2027-01-01 00:00Z' AND a.status IN ('proposed', 'pending', 'booked', 'waitlist') AND a.starts_at = r.for_start AND a.starts_at > '2027-01-01 00:00Z' ORDER BY r.due_at, r.id LIMIT 1 FOR UPDATE OF r SKIP LOCKED FOR SHARE OF a), claimed AS (UPDATE patsvc.reminders r SET claimed_at = clock_timestamp(), claimed_by = session_user FROM due, patsvc.reminder_rules rr, patsvc.appointments a WHERE r.id = due.id AND rr.id = r.rule_id AND a.id = r.appointment_id RETURNING r.id, r.appointment_id, rr.channel, r.due_at, a.starts_at) SELECT count(*) FROM claimed;
CLAIM
    ;;
    esac
}
# the lane of bench_ids (k) or of the unique instants (u) each kind uses
api_lane_of() {
    case $1 in cancel_api) echo 0 ;; cancel_sql) echo 1 ;; status_api) echo 2 ;; status_sql) echo 3 ;;
    resched_api) echo 4 ;; resched_sql) echo 5 ;; overbook_api) echo 0 ;; overbook_sql) echo 1 ;; *) echo 2 ;; esac
}
api_kinds="cancel_api cancel_sql status_api status_sql resched_api resched_sql overbook_api overbook_sql free_api free_sql"
run_api_pairs() { # kinds...
    local kind round base
    for kind in "$@"; do
        base=$(( $(api_lane_of "$kind") * api_lane ))
        { echo "\\set i 2 * :n + :client_id"
          echo "\\set n :n + 1"
          echo "\\set k 1 + :base + :i"
          echo "\\set u :base + :i"
          api_stmt "$kind"; } > "$work/$kind.sql"
        echo 0 > "$work/$kind.tx"; echo 0 > "$work/$kind.secs"
    done
    for round in $(seq 1 "$API_ROUNDS"); do
        line="round $round:"
        for kind in "$@"; do
            base=$(( $(api_lane_of "$kind") * api_lane + (round - 1) * 2 * API_TX ))
            if ! pgbench -n -M prepared -c 2 -j 2 -t "$API_TX" -D n=0 -D base="$base" -f "$work/$kind.sql" > "$work/out" 2>&1; then
                echo "bench error: pgbench $kind failed:" >&2; tail -n 20 "$work/out" >&2; exit 1
            fi
            tps=$(sed -n 's/^tps = \([0-9.]*\) .*/\1/p' "$work/out")
            # time of this run: its transactions / its tps
            awk -v a="$(cat "$work/$kind.secs")" -v n=$(( 2 * API_TX )) -v t="$tps" 'BEGIN { printf "%.6f", a + n / t }' > "$work/$kind.secs.new"
            mv "$work/$kind.secs.new" "$work/$kind.secs"
            echo $(( $(cat "$work/$kind.tx") + 2 * API_TX )) > "$work/$kind.tx"
            line="$line $kind ${tps%.*}"
        done
        echo "$line (tps)"
    done
}
api_tps() { awk -v n="$(cat "$work/$1.tx")" -v t="$(cat "$work/$1.secs")" 'BEGIN { printf "%.0f", n / t }'; }
api_result() { # label api_kind sql_kind what
    local a s
    a=$(api_tps "$2"); s=$(api_tps "$3")
    echo "RESULT $1: $(ratio "$a" "$s")x $4 [$a vs $s tps, pgbench -M prepared -c 2, $API_ROUNDS x $API_TX transactions per client]"
}
run_api_pairs $api_kinds
# reminders for appointments no pair touched (lanes 6 to 9 of bench_ids), due before 2027-01-01
q -c "INSERT INTO patsvc.reminder_rules (id, type_id, lead_time, channel) VALUES (1, 1, interval '1 day', 'sms')" \
  -c "SET session_replication_role = replica" \
  -c "INSERT INTO patsvc.reminders (appointment_id, rule_id, due_at, for_start)
      SELECT a.id, 1, timestamptz '2026-12-31 00:00Z', a.starts_at FROM bench_ids b JOIN patsvc.appointments a ON a.id = b.id
      WHERE b.n > 6 * $api_lane AND b.n <= 10 * $api_lane" -c "RESET session_replication_role" -c "VACUUM ANALYZE patsvc.reminders"
run_api_pairs claim_api claim_sql
api_result "cancel() vs its UPDATE" cancel_api cancel_sql "(target ~1x: costs what its table write costs)"
api_result "set_status() vs its UPDATE" status_api status_sql "(target ~1x)"
api_result "reschedule() vs its UPDATE + INSERT in one transaction" resched_api resched_sql "(target ~1x)"
api_result "book_overbook() vs the INSERT of the same row" overbook_api overbook_sql "(target ~1x)"
api_result "claim_due_reminders(now, 1) vs its body as a prepared statement" claim_api claim_sql "(target ~1x)"
echo "INFO slot_is_free() vs the two overlap reads in SQL (provider's bookings, room's holds; no hours, no type): $(ratio "$(api_tps free_api)" "$(api_tps free_sql)")x [$(api_tps free_api) vs $(api_tps free_sql) tps]"

fi

# 3. slot search: patsvc functions vs multirange SQL references, average of repeated calls;
# JIT off on both sides (a reference's plan can cost enough to be compiled, a search should not)
export PGOPTIONS="${PGOPTIONS:-} -c jit=off"
q <<'SQL'
-- candidate slots in SQL (per local date, (date + time) AT TIME ZONE zone), so the
-- reference does not lean on patsvc's C expansion (patsvc.candidate_slots)
\i test/lib/ref_candidate_slots.sql
CREATE FUNCTION ref_free_slots(prov bigint, w tstzrange) RETURNS SETOF tstzrange LANGUAGE sql STABLE AS $$
  WITH hours AS MATERIALIZED (
    SELECT range_agg(tstzrange((d::date + a.starts_local) AT TIME ZONE l.time_zone,
                               (d::date + a.ends_local) AT TIME ZONE l.time_zone)) AS m
    FROM patsvc.availability a JOIN patsvc.locations l ON l.id = a.location_id,
         generate_series((lower(w) AT TIME ZONE l.time_zone)::date - 1, (upper(w) AT TIME ZONE l.time_zone)::date, interval '1 day') d
    WHERE a.provider_id = prov AND a.weekday = extract(isodow FROM d)),
  busy AS MATERIALIZED (
    SELECT coalesce(range_agg(tstzrange(held_from, held_until)), '{}'::tstzmultirange) AS m FROM patsvc.appointments
    WHERE provider_id = prov AND held_from < upper(w) AND held_until > lower(w)
      AND status NOT IN ('cancelled', 'noshow', 'entered-in-error') AND NOT overbook),
  free AS MATERIALIZED (SELECT hours.m - busy.m AS m FROM hours, busy)
  SELECT s FROM free, ref_candidate_slots(prov, w, 1) s WHERE free.m @> s
$$;
CREATE FUNCTION ref_next_available(provs bigint[], after timestamptz, n int)
  RETURNS TABLE(provider bigint, slot tstzrange) LANGUAGE sql STABLE AS $$
  SELECT p, s FROM unnest(provs) p, ref_free_slots(p, tstzrange(after, after + interval '7 days')) s
  ORDER BY lower(s), p LIMIT n
$$;
-- two statements timed in alternating rounds (na calls of a, then nb of b, rounds times, after
-- one untimed call of each: a session's first call also loads the library, reads time zone
-- files and prepares plans, once per connection, not per search), so that both meet the same
-- machine load; each call is timed alone
-- and the median counts (on the shared VM a call now and then waits for the CPU several
-- milliseconds, which an average of a few sub-millisecond calls would report as their cost):
-- {median ms per call of a, of b}
CREATE FUNCTION time_alternating(a text, na int, b text, nb int, rounds int) RETURNS float8[] LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz; ta float8[] := '{}'; tb float8[] := '{}';
BEGIN
  EXECUTE a; EXECUTE b;
  FOR r IN 1..rounds LOOP
    FOR i IN 1..na LOOP
      t0 := clock_timestamp(); EXECUTE a; ta := ta || extract(epoch FROM clock_timestamp() - t0) * 1000;
    END LOOP;
    FOR i IN 1..nb LOOP
      t0 := clock_timestamp(); EXECUTE b; tb := tb || extract(epoch FROM clock_timestamp() - t0) * 1000;
    END LOOP;
  END LOOP;
  RETURN ARRAY[(SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY x) FROM unnest(ta) x),
               (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY x) FROM unnest(tb) x)];
END $$;
SQL
w="tstzrange('2027-02-01 00:00Z', '2027-03-01 00:00Z')"
same=$(psql -X -At -c "SELECT (SELECT array_agg(s ORDER BY s) FROM patsvc.free_slots(7, $w, 'visit') s)
                            = (SELECT array_agg(s ORDER BY s) FROM ref_free_slots(7, $w) s)")
# 20 rounds of 20 calls of free_slots and 2 of the reference, alternating, medians
read -r fs fs_ref < <(psql -X -At -F ' ' -c "SELECT round(t[1]::numeric, 3), round(t[2]::numeric, 3)
  FROM time_alternating(\$\$SELECT count(*) FROM patsvc.free_slots(7, $w, 'visit')\$\$, 20,
                        \$\$SELECT count(*) FROM ref_free_slots(7, $w)\$\$, 2, 20) t")
echo "RESULT free_slots 1 provider x 4 weeks: $(ratio "$fs_ref" "$fs")x multirange SQL (target >= 10x) [patsvc $fs ms, reference $fs_ref ms, same slots: $same]"
provs="(SELECT array_agg(p::bigint) FROM generate_series(1, 500) p)"
na_same=$(psql -X -At -c "SELECT (SELECT array_agg(n ORDER BY lower(n.slot), n.provider) FROM patsvc.next_available($provs, '2027-02-01 13:00Z', 'visit', '{}', 3) n)
                               = (SELECT array_agg(n ORDER BY lower(n.slot), n.provider) FROM ref_next_available($provs, '2027-02-01 13:00Z', 3) n)")
read -r na na_ref < <(psql -X -At -F ' ' -c "SELECT round(t[1]::numeric, 3), round(t[2]::numeric, 3)
  FROM time_alternating(\$\$SELECT count(*) FROM patsvc.next_available($provs, '2027-02-01 13:00Z', 'visit', '{}', 3)\$\$, 10,
                        \$\$SELECT count(*) FROM ref_next_available($provs, '2027-02-01 13:00Z', 3)\$\$, 1, 2) t")
echo "RESULT next_available 500 providers x 7 days: $(ratio "$na_ref" "$na")x multirange SQL (target >= 10x, under 5 ms) [patsvc $na ms, reference $na_ref ms, same slots: $na_same]"

# 3b. next_available with a required resource (an ultrasound, 1001; a second
# resource 1002 in the last case), at 40, 100, 250 and 500 providers, from
# Monday 2027-02-01 08:00 New York (13:00Z; hours 08:00-17:00 every day, the
# providers' visits 09:00-15:20 every 40 minutes):
#   free      the ultrasound has no time off and no holds that week
#   off3h     off 13:00Z-16:00Z that morning
#   offweek   off Monday to Friday (2027-02-01 00:00Z to 2027-02-06 00:00Z)
#   busy      held all Monday 13:00Z-21:00Z by 24 visits of provider 501 (not searched)
#   busy2     as busy, plus resource 1002 held all Monday 21:00Z-22:00Z and Tuesday 13:00Z-21:00Z
# The reference: the multirange search above with the resources' blocked
# time (time off and holds) read once in a MATERIALIZED CTE and subtracted;
# JIT off on both sides.  Each case's slots are checked equal.
q <<'SQL'
INSERT INTO patsvc.resources (id, name, kind) VALUES (1001, 'Ultrasound', 'ultrasound'), (1002, 'ECG', 'ecg');
INSERT INTO patsvc.appointment_types (id, code, duration_minutes, required_resource_kinds) VALUES (2, 'scan', 20, '{ultrasound}');
INSERT INTO patsvc.providers (id, name) VALUES (501, 'Sonographer');
INSERT INTO patsvc.patients (id, name) SELECT p, 'Patient ' || p FROM generate_series(110001, 110100) p;
CREATE FUNCTION ref_next_available_res(provs bigint[], after timestamptz, n int, res bigint[])
  RETURNS TABLE(provider bigint, slot tstzrange) LANGUAGE sql STABLE AS $$
  WITH blocked AS MATERIALIZED (
    SELECT coalesce(range_agg(r), '{}'::tstzmultirange) AS m FROM (
      SELECT during AS r FROM patsvc.time_off
      WHERE resource_id = ANY (res) AND during && tstzrange(after, after + interval '7 days')
      UNION ALL
      SELECT tstzrange(h.held_from, h.held_until) FROM patsvc.appointment_resources h
      JOIN patsvc.appointments a ON a.id = h.appointment_id
      WHERE h.resource_id = ANY (res) AND h.held_from < after + interval '7 days' AND h.held_until > after
        AND h.held_from > after - interval '24 hours'
        AND a.status NOT IN ('cancelled', 'noshow', 'entered-in-error')) x)
  SELECT p, s FROM blocked, unnest(provs) p, ref_free_slots(p, tstzrange(after, after + interval '7 days')) s
  WHERE NOT blocked.m && s
  ORDER BY lower(s), p LIMIT n
$$;
-- the resources' situations, one at a time
CREATE FUNCTION bench_resource_case(c text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM patsvc.time_off WHERE resource_id IN (1001, 1002);
  SET LOCAL session_replication_role = replica;
  DELETE FROM patsvc.appointment_resources WHERE resource_id IN (1001, 1002);
  DELETE FROM patsvc.appointments WHERE provider_id = 501;
  IF c = 'off3h' THEN
    INSERT INTO patsvc.time_off (resource_id, during) VALUES (1001, '[2027-02-01 13:00Z, 2027-02-01 16:00Z)');
  ELSIF c = 'offweek' THEN
    INSERT INTO patsvc.time_off (resource_id, during) VALUES (1001, '[2027-02-01 00:00Z, 2027-02-06 00:00Z)');
  ELSIF c IN ('busy', 'busy2') THEN
    INSERT INTO patsvc.appointments (patient_id, provider_id, type_id, location_id, starts_at, ends_at, held_from, held_until, resources)
    SELECT 110001 + j, 501, 2, 1, s, s + interval '20 minutes', s, s + interval '20 minutes',
           CASE WHEN day = 0 THEN '{1001}'::bigint[] ELSE '{1002}' END
    FROM generate_series(0, 23) j, generate_series(0, CASE WHEN c = 'busy2' THEN 1 ELSE 0 END) day,
         LATERAL (SELECT timestamptz '2027-02-01 13:00Z' + day * interval '1 day' + j * interval '20 minutes' AS s) x;
    IF c = 'busy2' THEN
      INSERT INTO patsvc.appointments (patient_id, provider_id, type_id, location_id, starts_at, ends_at, held_from, held_until, resources)
      SELECT 110050 + j, 501, 2, 1, s, s + interval '20 minutes', s, s + interval '20 minutes', '{1002}'
      FROM generate_series(0, 2) j, LATERAL (SELECT timestamptz '2027-02-01 21:00Z' + j * interval '20 minutes' AS s) x;
    END IF;
    INSERT INTO patsvc.appointment_resources (appointment_id, resource_id, held_from, held_until)
    SELECT id, unnest(resources), held_from, held_until FROM patsvc.appointments WHERE provider_id = 501;
  END IF;
END $$;
SQL
# the work of one call, from the statistics views: scans of the provider index, index entries
# read, and blocks of appointments visited (rows read), counted in its own session after one
# untimed call (which also fills the per-backend caches), the statistics flushed at once
work() {
    local sql="SELECT format('%s scans, %s entries, %s heap blocks', s.idx_scan, s.idx_tup_read, t.heap_blks_hit + coalesce(t.heap_blks_read, 0))
               FROM pg_stat_user_indexes s, pg_statio_user_tables t
               WHERE s.schemaname = 'patsvc' AND s.indexrelname = 'appointments_provider_held'
                 AND t.schemaname = 'patsvc' AND t.relname = 'appointments'"
    psql -X -At -c "SET stats_fetch_consistency = none" -c "$1" -c "SELECT pg_stat_force_next_flush()" -c "$sql" \
         -c "$1" -c "SELECT pg_stat_force_next_flush()" -c "$sql" | grep scans |
    awk -F'[ ,]+' 'NR == 1 { a = $1; b = $3; c = $5 } NR == 2 { printf "%d scans, %d entries, %d heap blocks", $1 - a, $3 - b, $5 - c }'
}
printf '%-8s %9s %12s %12s %8s %-10s %s\n' case providers "patsvc ms" "reference ms" ratio "same slots" "work per call (provider index, appointments)"
for c in free off3h offweek busy busy2; do
    q -c "SELECT bench_resource_case('$c')" -c "ANALYZE patsvc.appointment_resources, patsvc.time_off" >/dev/null
    res="'{1001}'"
    [ "$c" = busy2 ] && res="'{1001,1002}'"
    for np in 40 100 250 500; do
        provs="(SELECT array_agg(p::bigint) FROM generate_series(1, $np) p)"
        same=$(psql -X -At -c "SELECT (SELECT array_agg(n ORDER BY lower(n.slot), n.provider) FROM patsvc.next_available($provs, '2027-02-01 13:00Z', 'scan', $res, 3) n)
                                   = (SELECT array_agg(n ORDER BY lower(n.slot), n.provider) FROM ref_next_available_res($provs, '2027-02-01 13:00Z', 3, $res) n)")
        # 2 rounds of 10 calls of next_available and 1 of the reference, medians
        read -r t tr < <(psql -X -At -F ' ' -c "SELECT round(t[1]::numeric, 3), round(t[2]::numeric, 3)
          FROM time_alternating(\$\$SELECT count(*) FROM patsvc.next_available($provs, '2027-02-01 13:00Z', 'scan', $res, 3)\$\$, 10,
                                \$\$SELECT count(*) FROM ref_next_available_res($provs, '2027-02-01 13:00Z', 3, $res)\$\$, 1, 2) t")
        wk=$(work "SELECT count(*) FROM patsvc.next_available($provs, '2027-02-01 13:00Z', 'scan', $res, 3)")
        printf '%-8s %9s %12s %12s %7sx %-10s %s\n' "$c" "$np" "$t" "$tr" "$(ratio "$tr" "$t")" "$same" "$wk"
        [ "$np" = 500 ] && echo "RESULT next_available 500 providers, resource $c: $(ratio "$tr" "$t")x multirange SQL (target >= 10x, under 5 ms) [patsvc $t ms, reference $tr ms, same slots: $same]"
    done
done
