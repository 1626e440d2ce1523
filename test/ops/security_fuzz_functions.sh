#!/usr/bin/env bash
# Function fuzzer (issue 10), part of make test (tools/suites.sh runs it in its
# own database of the throw-away cluster, PG* set).
#
# Calls EVERY SQL-callable function of schema patsvc, enumerated from pg_proc
# (so a new function is fuzzed without touching this file), as ordinary roles:
#   fuzz_nobody  - no grant at all (only what PostgreSQL gives PUBLIC)
#   fuzz_reader  - SELECT on every table of patsvc and on a protected table
#   fuzz_trusted - fuzz_reader plus EXECUTE on every function of patsvc (also
#                  those revoked from PUBLIC, such as destroy_due) and INSERT,
#                  UPDATE, DELETE on its tables (bookings reach the trigger)
#   fuzz_as_<r>  - a member of role r, for every role named patsvc_* that exists
# with edge-case arguments per argument type: NULL, typical values, zero,
# negative and extreme ids, empty and huge arrays (200,000 elements), arrays
# of NULLs, +/-infinity and the extreme dates and times PostgreSQL accepts,
# empty, 1 MB and odd text.  Per function: one call with typical arguments,
# then each argument varied alone through its edge values, and one call with
# every argument NULL, at most FUZZ_MAX_CALLS (default 60) calls.
#
# Each call runs as its own statement (statement_timeout 5 s) inside a
# subtransaction that is always rolled back; it is a plain SELECT f(...) run
# by EXECUTE, which computes every row (a call inside a subquery whose result
# nobody reads would be planned away).  The test FAILS on a crash (the
# connection lost), an internal error (SQLSTATE class XX) or a statement
# timeout (57014); every other error is an answer.  Functions whose arguments
# cannot be generated (internal, polymorphic) and trigger functions are
# skipped and listed; the receive functions are then called through binary
# COPY of edge byte strings into a column of each type.  Exit 0 = pass.
set -uo pipefail
TIMEOUT_MS=${FUZZ_STATEMENT_TIMEOUT_MS:-5000}
MAX_CALLS=${FUZZ_MAX_CALLS:-60}
# a run normally takes seconds; a call stuck where the statement timeout cannot stop it ends the run
ROLE_TIMEOUT=${FUZZ_ROLE_TIMEOUT:-120}
work=$(mktemp -d)
[ -n "${FUZZ_KEEP:-}" ] && work=$FUZZ_KEEP && mkdir -p "$work" || trap 'rm -rf "$work"' EXIT
export PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning"

psql -X -q -v ON_ERROR_STOP=1 <<'SQL' || { echo "fixture failed"; exit 1; }
CREATE EXTENSION IF NOT EXISTS patsvc;
-- a little of everything, so the functions have rows to work on
INSERT INTO patsvc.locations (id, name, time_zone) VALUES (1, 'Fuzz', 'America/New_York');
INSERT INTO patsvc.providers (id, name) VALUES (1, 'Provider 1');
INSERT INTO patsvc.patients (id, name) VALUES (1, 'Patient 1');
INSERT INTO patsvc.appointment_types (id, code, duration_minutes) VALUES (1, 'visit', 30);
INSERT INTO patsvc.resources (id, name, kind, location_id) VALUES (1, 'Room 1', 'exam-room', 1);
INSERT INTO patsvc.availability (provider_id, location_id, weekday, starts_local, ends_local)
SELECT 1, 1, d, '08:00', '17:00' FROM generate_series(1, 7) d;
SELECT patsvc.book(1, 1, '2027-03-15 14:00Z', 'visit');
CREATE TABLE public.fuzz_notes (id int PRIMARY KEY, patient_id text NOT NULL, noted date NOT NULL);
INSERT INTO public.fuzz_notes VALUES (1, '1', '2012-01-01'), (2, '2', '2024-01-01');
SELECT patsvc.protect('public.fuzz_notes', 'tx_physician', 'patient_id', 'noted');
INSERT INTO patsvc.retention_patient_facts VALUES ('1', '1980-01-01', NULL, '2012-01-01');

DO $$
DECLARE r name;
BEGIN  -- left over by an interrupted run in this cluster
  FOR r IN SELECT rolname FROM pg_roles WHERE rolname LIKE 'fuzz\_%' ORDER BY rolname DESC LOOP
    EXECUTE format('DROP ROLE %I', r);
  END LOOP;
END $$;
CREATE ROLE fuzz_nobody;
CREATE ROLE fuzz_reader;
GRANT SELECT ON ALL TABLES IN SCHEMA patsvc TO fuzz_reader;
GRANT SELECT ON public.fuzz_notes TO fuzz_reader;
-- the deepest reach short of a superuser: also EXECUTE on the functions revoked from PUBLIC
CREATE ROLE fuzz_trusted IN ROLE fuzz_reader;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA patsvc TO fuzz_trusted;
GRANT INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA patsvc TO fuzz_trusted;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA patsvc TO fuzz_trusted;
DO $$
DECLARE r name;
BEGIN
  FOR r IN SELECT rolname FROM pg_roles WHERE rolname LIKE 'patsvc\_%' ORDER BY 1 LOOP
    EXECUTE format('CREATE ROLE %I IN ROLE %I', 'fuzz_as_' || r, r);
  END LOOP;
END $$;

CREATE SCHEMA fuzz;
GRANT USAGE ON SCHEMA fuzz TO PUBLIC;
-- edge values per argument type; ord 0 is the typical value the other arguments get
CREATE TABLE fuzz.vals (t regtype, ord int, expr text);
INSERT INTO fuzz.vals
SELECT t::regtype, o - 1, e FROM (VALUES
  ('bigint',   ARRAY['1', 'NULL', '0', '-1', '9223372036854775807', '-9223372036854775808', '2']),
  ('integer',  ARRAY['1', 'NULL', '0', '-1', '2147483647', '-2147483648', '100000']),
  ('smallint', ARRAY['1', 'NULL', '0', '-1', '32767', '-32768']),
  ('oid',      ARRAY['''public.fuzz_notes''::regclass::oid', 'NULL', '0', '1259', '4294967295']),
  ('regclass', ARRAY['''public.fuzz_notes''', 'NULL', '''patsvc.appointments''', '''pg_class''', '0', '4294967295']),
  ('regproc',  ARRAY['''now''', 'NULL', '0']),
  ('boolean',  ARRAY['true', 'NULL', 'false']),
  ('numeric',  ARRAY['1', 'NULL', '0', '-1', '''NaN''', '1e300', '-1e300']),
  ('double precision', ARRAY['1', 'NULL', '0', '''NaN''', '''Infinity''', '''-Infinity''', '1e308']),
  ('real',     ARRAY['1', 'NULL', '0', '''NaN''', '''Infinity''']),
  ('text',     ARRAY['''visit''', 'NULL', '''''', '''1''', 'repeat(''x'', 1000000)', ''' ''', '''E11.9''',
                     '''é€ '' || chr(1)', '''a''''b"c\''', '''America/New_York''', '''7 years''']),
  ('character varying', ARRAY['''visit''', 'NULL', '''''', 'repeat(''x'', 1000000)']),
  ('name',     ARRAY['''patient_id''', 'NULL', '''''', '''no_such_column''']),
  ('cstring',  ARRAY['''E11.9''', 'NULL', '''''', 'repeat(''9'', 100000)', '''é€''', ''' 1 ''']),
  ('date',     ARRAY['''2027-03-15''', 'NULL', '''infinity''', '''-infinity''', '''4713-01-01 BC''',
                     '''5874897-12-31''', '''1900-01-01''']),
  ('timestamp with time zone', ARRAY['''2027-03-15 14:00Z''', 'NULL', '''infinity''', '''-infinity''',
                     '''4713-01-01 00:00Z BC''', '''294276-12-31 23:00Z''', '''1900-01-01 00:00Z''']),
  ('timestamp without time zone', ARRAY['''2027-03-15 14:00''', 'NULL', '''infinity''', '''-infinity''',
                     '''4713-01-01 BC''', '''294276-12-31 23:00''']),
  ('time without time zone', ARRAY['''08:00''', 'NULL', '''00:00''', '''24:00''']),
  ('interval', ARRAY['''7 years''', 'NULL', '''0''', '''-7 years''', '''178000000 years''', '''1 microsecond''',
                     '''1 month -30 days''', '''-178000000 years''']),
  ('tstzrange', ARRAY['''[2027-03-15,2027-03-22)''', 'NULL', '''empty''', '''(,)''', '''[-infinity,infinity]''',
                      '''[4713-01-01 BC,2027-01-01)''', '''[2027-01-01,294276-12-31)''',
                      '''[294276-12-01,294276-12-31)''', '''[2027-01-01,2027-03-01)''',
                      '''[4000-01-01 BC,294276-12-20)''']),
  ('daterange', ARRAY['''[2027-03-15,2027-03-22)''', 'NULL', '''empty''', '''(,)''', '''[-infinity,infinity]''']),
  ('uuid',     ARRAY['''00000000-0000-4000-8000-000000000000''', 'NULL']),
  ('tid',      ARRAY['''(0,1)''', 'NULL', '''(4294967295,65535)''']),
  ('bytea',    ARRAY['''\x01''', 'NULL', '''\x''', '''\xc3''', 'decode(repeat(''ff'', 100000), ''hex'')']),
  ('jsonb',    ARRAY['''{}''', 'NULL', '''null''', '''[]''']),
  ('bigint[]', ARRAY['''{1}''', 'NULL', '''{}''', '''{NULL}''', 'ARRAY(SELECT generate_series(1, 200000)::bigint)',
                     '''{-1,0,9223372036854775807,-9223372036854775808}''', '''{{1,2},{3,4}}''', '''{1,1,1}''']),
  ('integer[]', ARRAY['''{1}''', 'NULL', '''{}''', '''{NULL}''', 'ARRAY(SELECT generate_series(1, 200000))']),
  ('text[]',   ARRAY['''{visit}''', 'NULL', '''{}''', '''{NULL}''', '''{""}''',
                     'ARRAY(SELECT g::text FROM generate_series(1, 200000) g)']),
  ('uuid[]',   ARRAY['''{00000000-0000-4000-8000-000000000000}''', 'NULL', '''{}''', '''{NULL}''',
                     'ARRAY(SELECT ''00000000-0000-4000-8000-000000000000''::uuid FROM generate_series(1, 200000))']),
  ('date[]',   ARRAY['''{2027-03-15}''', 'NULL', '''{}''', '''{infinity,-infinity}''']),
  ('timestamp with time zone[]', ARRAY['''{2027-03-15 14:00Z}''', 'NULL', '''{}''', '''{infinity,-infinity}'''])
) AS v(t, es), unnest(es) WITH ORDINALITY AS u(e, o);

-- one call, always rolled back; its SQLSTATE (or ok) and the call on one line
CREATE FUNCTION fuzz.call(fn text, q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  st text;
  msg text;
BEGIN
  BEGIN
    EXECUTE q;
    RAISE SQLSTATE 'FZ000';
  EXCEPTION
    WHEN SQLSTATE 'FZ000' THEN RETURN concat_ws(E'\t', 'ok', fn, q);
    WHEN query_canceled THEN
      GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
      RETURN concat_ws(E'\t', st, fn, q, translate(msg, E'\n\t', '  '));
    WHEN OTHERS THEN
      GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
      RETURN concat_ws(E'\t', st, fn, q, translate(msg, E'\n\t', '  '));
  END;
END $$;

-- what is fuzzed and what is skipped, and why
CREATE VIEW fuzz.functions AS
SELECT p.oid, p.oid::regprocedure::text AS sig, p.proname, p.prokind, p.provariadic,
       p.proargtypes::oid[] AS types,
       CASE WHEN p.prorettype IN ('trigger'::regtype, 'event_trigger'::regtype) THEN 'trigger function'
            WHEN p.prokind NOT IN ('f', 'p') THEN 'aggregate or window function'
            WHEN EXISTS (SELECT 1 FROM unnest(p.proargtypes::oid[]) a(t) JOIN pg_type ty ON ty.oid = a.t
                          WHERE ty.typtype = 'p' AND ty.oid <> 'cstring'::regtype)
              THEN 'argument of pseudo-type ' || (SELECT string_agg(DISTINCT a.t::regtype::text, ', ')
                                                    FROM unnest(p.proargtypes::oid[]) a(t) JOIN pg_type ty ON ty.oid = a.t
                                                   WHERE ty.typtype = 'p' AND ty.oid <> 'cstring'::regtype)
       END AS skip_reason
FROM pg_proc p WHERE p.pronamespace = 'patsvc'::regnamespace;
SQL

# the calls, one statement each
psql -X -At -v max_calls="$MAX_CALLS" > "$work/calls.sql" <<'SQL' || { echo "generating calls failed"; exit 1; }
WITH f AS (SELECT * FROM fuzz.functions WHERE skip_reason IS NULL),
args AS (
  SELECT f.oid, a.i::int AS i, a.t, format_type(a.t, NULL) AS tname
  FROM f, unnest(f.types) WITH ORDINALITY a(t, i)
),
-- the values of an argument: its type's list, or for other types (code types, domains, row
-- types, enums) NULL plus a few literals cast from text
choices AS (
  SELECT a.oid, a.i, v.ord, v.expr
  FROM args a JOIN fuzz.vals v ON v.t = a.t
  UNION ALL
  SELECT a.oid, a.i, x.ord, x.expr
  FROM args a CROSS JOIN LATERAL (VALUES (0, 'NULL'), (1, '''E11.9'''), (2, ''''''), (3, '''1'''),
                                         (4, 'repeat(''9'', 100000)')) x(ord, expr)
  WHERE NOT EXISTS (SELECT 1 FROM fuzz.vals v WHERE v.t = a.t)
    AND (x.ord = 0 OR (SELECT ty.typtype FROM pg_type ty WHERE ty.oid = a.t) IN ('b', 'd', 'e'))
),
combos AS (
  SELECT f.oid, 0 AS vary_i, 0 AS vary_ord FROM f
  UNION ALL SELECT c.oid, c.i, c.ord FROM choices c WHERE c.ord > 0
  UNION ALL SELECT f.oid, -1, -1 FROM f WHERE cardinality(f.types) > 0
),
ranked AS (
  SELECT c.*, row_number() OVER (PARTITION BY c.oid ORDER BY c.vary_ord = -1 DESC, c.vary_ord, c.vary_i) AS n
  FROM combos c
),
calls AS (
  SELECT f.sig, r.oid, r.vary_i, r.vary_ord,
         (CASE WHEN f.prokind = 'p' THEN 'CALL ' ELSE 'SELECT ' END) ||
         'patsvc.' || quote_ident(f.proname) || '(' ||
         coalesce((SELECT string_agg(
                     CASE WHEN f.provariadic <> 0 AND a.i = cardinality(f.types) THEN 'VARIADIC ' ELSE '' END ||
                     '(' || CASE WHEN r.vary_i = -1 THEN 'NULL'
                                 WHEN a.i = r.vary_i THEN (SELECT c.expr FROM choices c
                                                           WHERE c.oid = a.oid AND c.i = a.i AND c.ord = r.vary_ord)
                                 ELSE (SELECT c.expr FROM choices c WHERE c.oid = a.oid AND c.i = a.i AND c.ord = 0)
                            END || ')::' || a.tname, ', ' ORDER BY a.i)
                   FROM args a WHERE a.oid = r.oid), '') ||
         ')' AS q
  FROM ranked r JOIN f ON f.oid = r.oid
  WHERE r.n <= :max_calls
)
SELECT format('SELECT fuzz.call(%L, %L);', sig, q) FROM calls ORDER BY sig, vary_ord, vary_i;
SQL

echo "skipped (arguments cannot be generated, or not callable as a function):"
psql -X -At -c "SELECT '  ' || sig || ': ' || skip_reason FROM fuzz.functions WHERE skip_reason IS NOT NULL ORDER BY 1"
nfun=$(psql -X -At -c "SELECT count(*) FROM fuzz.functions WHERE skip_reason IS NULL")
nskip=$(psql -X -At -c "SELECT count(*) FROM fuzz.functions WHERE skip_reason IS NOT NULL")
ncalls=$(wc -l < "$work/calls.sql")
roles=$(psql -X -At -c "SELECT string_agg(rolname, ' ' ORDER BY rolname <> 'fuzz_nobody', rolname) FROM pg_roles WHERE rolname LIKE 'fuzz\_%'")
echo "fuzzing $nfun functions ($nskip skipped), $ncalls calls per role, as: $roles"

status=0
for role in $roles; do
    {
        echo "SET SESSION AUTHORIZATION $role;"
        echo "SET statement_timeout = $TIMEOUT_MS;"
        cat "$work/calls.sql"
    } > "$work/run-$role.sql"
    # a call the timeout cannot stop (a loop without interrupt checks) stops the whole run
    timeout "$ROLE_TIMEOUT" psql -X -q -At -v ON_ERROR_STOP=0 -f "$work/run-$role.sql" > "$work/out-$role.txt" 2> "$work/err-$role.txt"
    rc=$?
    done_calls=$(grep -c . "$work/out-$role.txt" || true)
    echo "== as $role: $done_calls of $ncalls calls answered, psql exit $rc"
    awk -F'\t' '{ n[$1]++ } END { for (s in n) printf "   %s %d\n", s, n[s] }' "$work/out-$role.txt" | sort
    if [ "$rc" -ne 0 ] || [ "$done_calls" -ne "$ncalls" ]; then
        status=1
        echo "FAIL: the run as $role stopped (crash, hang or lost connection) at the call after:"
        tail -n 1 "$work/out-$role.txt" | cut -f2,3
        echo "   next call: $(sed -n "$((done_calls + 3))p" "$work/run-$role.sql" | cut -c1-400)"
        sed 's/^/   stderr: /' "$work/err-$role.txt" | head -n 20
        # end the backend still working on our calls (this database only)
        psql -X -At -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                         WHERE datname = current_database() AND pid <> pg_backend_pid()" > /dev/null
    fi
    if grep -qE '^(XX|57014)' "$work/out-$role.txt"; then
        status=1
        echo "FAIL: internal errors or timeouts as $role:"
        grep -E '^(XX|57014)' "$work/out-$role.txt" | cut -c1-600 | sed 's/^/   /'
    fi
    if grep -q . "$work/err-$role.txt" && [ "$rc" -eq 0 ]; then
        echo "   (messages outside the calls:)"
        sed 's/^/   /' "$work/err-$role.txt" | head -n 10
    fi
done
# Binary input: the receive functions (skipped above, their argument is internal) are
# called by a binary COPY of each edge byte string into a column of each patsvc type
# that has one.  Their answer does not depend on the role.
psql -X -At -v work="$work" > "$work/recv.sql" <<'SQL' || { echo "generating binary input cases failed"; exit 1; }
WITH types AS (
  SELECT t.oid::regtype::text AS tname, t.typname
  FROM pg_type t JOIN pg_proc r ON r.oid = t.typreceive
  WHERE t.typnamespace = 'patsvc'::regnamespace AND r.pronamespace = 'patsvc'::regnamespace
), cases(label, bytes) AS (VALUES
  ('empty field', '\x'), ('version byte only', '\x01'), ('unknown version', '\x02453131'),
  ('invalid UTF-8', '\x01c328'), ('zero byte', '\x0145313100'), ('only a zero byte', '\x00'),
  ('100,000 digits', '\x01' || repeat('39', 100000)), ('a valid code', '\x01' || encode('E11.9', 'hex')),
  ('high bytes', '\x01ffffffffffffffff')
)
SELECT format(E'CREATE TEMP TABLE IF NOT EXISTS %I (v %s);\n'
              'TRUNCATE fuzz_raw; INSERT INTO fuzz_raw VALUES (%L);\n'
              '\\copy fuzz_raw TO %L (FORMAT binary)\n'
              '\\warn recv %s: %s\n'
              '\\copy %I FROM %L (FORMAT binary)',
              'fuzz_in_' || typname, tname, bytes, :'work' || '/case.bin', tname, label,
              'fuzz_in_' || typname, :'work' || '/case.bin')
FROM types, cases ORDER BY tname, label;
SQL
nrecv=$(grep -c '^\\warn' "$work/recv.sql" || true)
{
    echo "\\set VERBOSITY sqlstate"
    echo "SET statement_timeout = $TIMEOUT_MS;"
    echo "CREATE TEMP TABLE fuzz_raw (v bytea);"
    cat "$work/recv.sql"
} > "$work/run-recv.sql"
timeout "$ROLE_TIMEOUT" psql -X -q -At -v ON_ERROR_STOP=0 -f "$work/run-recv.sql" > "$work/out-recv.txt" 2>&1
rc=$?
answered=$(grep -c '^recv ' "$work/out-recv.txt" || true)
echo "== binary input: $answered of $nrecv cases, psql exit $rc"
grep -oE 'ERROR: +[0-9A-Z]{5}' "$work/out-recv.txt" | awk '{ n[$2]++ } END { for (s in n) printf "   %s %d\n", s, n[s] }' | sort
if [ "$rc" -ne 0 ] || [ "$answered" -ne "$nrecv" ] || grep -qE 'ERROR: +(XX|57014)|connection' "$work/out-recv.txt"; then
    status=1
    echo "FAIL: binary input: a crash, an internal error or a timeout:"
    grep -B1 -E 'ERROR: +(XX|57014)|connection' "$work/out-recv.txt" | sed 's/^/   /' | head -n 20
fi

# the roles are the cluster's: remove them (their grants are in this database only)
psql -X -q -At > /dev/null <<'SQL' || echo "could not remove the fuzz roles"
DO $$
DECLARE r name;
BEGIN
  FOR r IN SELECT rolname FROM pg_roles WHERE rolname LIKE 'fuzz\_%' ORDER BY rolname DESC LOOP
    EXECUTE format('DROP OWNED BY %I', r);
    EXECUTE format('DROP ROLE %I', r);
  END LOOP;
END $$;
SQL

[ "$status" -eq 0 ] && echo "RESULT fuzz_functions: $nfun functions, $ncalls calls per role x $(wc -w <<< "$roles") roles: no crash, internal error or timeout"
exit "$status"
