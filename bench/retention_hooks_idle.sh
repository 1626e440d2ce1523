#!/usr/bin/env bash
# What loading patsvc costs a session that never uses it (issue 17, section 1): simple
# statements on a table patsvc knows nothing about, pgbench -M prepared -c 2, in sessions that
# loaded the library (session_preload_libraries=patsvc: _PG_init installs retention's
# ExecutorStart hook, the basic-mode hook every backend that ever called a patsvc function
# has) vs sessions that did not, ROUNDS rounds of SECS seconds, interleaved:
#   select  SELECT v FROM idle_t WHERE id = :id (100,000 rows, primary key)
#   insert  INSERT INTO idle_ins (v) VALUES (:id)
# Target: loaded >= 0.98x not loaded.  (Hardened mode, patsvc in shared_preload_libraries, is
# part 3 of bench/retention_destroy.sh.)
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }
psql -X -q -v ON_ERROR_STOP=1 <<'SQL'
CREATE EXTENSION IF NOT EXISTS patsvc;
CREATE TABLE idle_t (id int PRIMARY KEY, v int NOT NULL);
INSERT INTO idle_t SELECT i, i FROM generate_series(1, 100000) i;
CREATE TABLE idle_ins (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, v int NOT NULL);
VACUUM ANALYZE idle_t;
SQL
# the library as tools/bench.sh staged it (a session that cannot load it fails to connect)
lib=$(source tools/lib.sh && echo "$STAGE")$(pg_config --pkglibdir)/patsvc
loaded=$(PGOPTIONS="-c session_preload_libraries=$lib" psql -X -At -c "SHOW session_preload_libraries")
[ "$loaded" = "$lib" ] || { echo "bench error: session_preload_libraries=$lib not taken" >&2; exit 1; }
printf '\\set id random(1, 100000)\nSELECT v FROM idle_t WHERE id = :id;\n' > "$work/select.sql"
printf '\\set id random(1, 100000)\nINSERT INTO idle_ins (v) VALUES (:id);\n' > "$work/insert.sql"
SECS=${SECS:-5}
ROUNDS=${ROUNDS:-3}
for v in select_plain select_loaded insert_plain insert_loaded; do echo 0 > "$work/$v.tx"; done
for round in $(seq 1 "$ROUNDS"); do
    line="round $round:"
    for stmt in select insert; do
        for mode in plain loaded; do
            opts=""
            [ "$mode" = loaded ] && opts="-c session_preload_libraries=$lib"
            n=$(PGOPTIONS="$opts" pgbench -n -M prepared -c 2 -j 2 -T "$SECS" -f "$work/$stmt.sql" 2>&1 |
                sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p')
            echo $(( $(cat "$work/${stmt}_$mode.tx") + n )) > "$work/${stmt}_$mode.tx"
            line="$line ${stmt}_$mode $(( n / SECS ))"
        done
    done
    echo "$line (tps)"
done
for stmt in select insert; do
    p=$(cat "$work/${stmt}_plain.tx"); l=$(cat "$work/${stmt}_loaded.tx")
    echo "RESULT $stmt on an unrelated table, session that loaded patsvc vs one that did not: $(ratio "$l" "$p")x (target >= 0.98x) [$(( l / (SECS * ROUNDS) )) vs $(( p / (SECS * ROUNDS) )) tps, pgbench -M prepared -c 2, $ROUNDS x $SECS s]"
done
