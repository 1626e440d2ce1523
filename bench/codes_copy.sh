#!/usr/bin/env bash
# COPY 1,000,000 real ICD-10-CM codes into an icd10cm column, a text column
# and a text column with a regex CHECK (the usual DBA way to validate codes),
# then compare btree index sizes.  Runs inside the throw-away cluster of
# tools/bench.sh (superuser, PG* variables set).
#
# Two ways to load, each measured for every column kind in the same run:
#  - existing: COPY into a table created beforehand (a load into a live table;
#    every row is WAL-logged);
#  - bulk: CREATE TABLE and COPY ... WITH (FREEZE) in one transaction under
#    wal_level = minimal, PostgreSQL's documented fastest way to bulk-load
#    ("Populating a Database": no WAL is written, the table is synced at commit).
# Rounds are interleaved (every variant once per round) so that a change in
# machine load hits all variants alike; each result is the best of RUNS rounds.
# The cluster needs wal_level = minimal for the bulk form (see below).
# bench-cluster-options: -o wal_level=minimal -o max_wal_senders=0
set -euo pipefail

ROWS=${CODES_COPY_ROWS:-1000000}   # smaller only for a smoke test of the script
RUNS=${CODES_COPY_RUNS:-5}
ORDER_FILE=${PATSVC_CMS_DIR:-}/icd10cm-order-2021.txt
if [ ! -r "$ORDER_FILE" ]; then
    echo "SKIPPED codes_copy: the CMS ICD-10-CM order file '$ORDER_FILE' is absent (set PATSVC_CMS_DIR to the folder holding icd10cm-order-2021.txt)"
    exit 0
fi

# The billable codes of the order file (flag 1 at column 15, code in columns
# 7-13), cycled to ROWS lines, written once to a file the server can read.
DATA=$(mktemp /tmp/patsvc-bench-icd10cm.XXXXXX)
FLOOR_DATA=$(mktemp /tmp/patsvc-bench-int8.XXXXXX)
trap 'rm -f "$DATA" "$FLOOR_DATA"' EXIT
awk -v rows="$ROWS" '
    substr($0, 15, 1) == "1" { c = substr($0, 7, 7); gsub(/ /, "", c); codes[n++] = c }
    END { if (n == 0) exit 1; for (i = 0; i < rows; i++) print codes[i % n] }
' "$ORDER_FILE" > "$DATA"
# The floor: the same number of 7-digit integers into a bare bigint column,
# i.e. COPY's own per-row cost for an 8-byte by-value column, which no type beats.
awk -v rows="$ROWS" 'BEGIN { for (i = 0; i < rows; i++) print 1000000 + i }' > "$FLOOR_DATA"
chmod a+r "$DATA" "$FLOOR_DATA"
BILLABLE=$(awk 'substr($0, 15, 1) == "1"' "$ORDER_FILE" | wc -l)

export PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning"
psql() { command psql -X -q -v ON_ERROR_STOP=1 "$@"; }
psql -c "CREATE EXTENSION IF NOT EXISTS patsvc"
if [ "$(psql -At -c 'SHOW wal_level')" != minimal ]; then
    echo "ERROR codes_copy: the bulk form needs wal_level = minimal (tools/bench.sh reads the options from this script's bench-cluster-options line)" >&2
    exit 1
fi

REGEX='^[A-Z][0-9][0-9A-Z]([0-9A-Z]{1,4})?$'
declare -A COLDEF=(
    [icd10cm]="code patsvc.icd10cm NOT NULL"
    [text]="code text NOT NULL"
    [regex]="code text NOT NULL CHECK (code ~ '$REGEX')"
    [floor]="code bigint NOT NULL"
)
KINDS=(icd10cm text regex floor)

# milliseconds the server spent loading, as psql's \timing reports them:
# existing = the COPY statement; bulk = CREATE TABLE + COPY FREEZE + COMMIT
load_ms() {
    local how=$1 kind=$2 file=$DATA out
    [ "$kind" = floor ] && file=$FLOOR_DATA
    psql -c "DROP TABLE IF EXISTS bench_codes" -c "CHECKPOINT"
    if [ "$how" = existing ]; then
        out=$(psql -c "CREATE TABLE bench_codes (${COLDEF[$kind]})" -c '\timing on' \
                   -c "COPY bench_codes FROM '$file'")
    else
        out=$(psql -c '\timing on' -c "BEGIN" -c "CREATE TABLE bench_codes (${COLDEF[$kind]})" \
                   -c "COPY bench_codes FROM '$file' WITH (FREEZE)" -c "COMMIT")
    fi
    [ "$(psql -At -c 'SELECT count(*) FROM bench_codes')" = "$ROWS" ] || { echo "ERROR codes_copy: $kind loaded a wrong row count" >&2; exit 1; }
    awk '/^Time: / { s += $2 } END { printf "%.1f", s }' <<< "$out"
}

declare -A BEST=()
for _ in $(seq "$RUNS"); do
    for how in existing bulk; do
        for kind in "${KINDS[@]}"; do
            ms=$(load_ms "$how" "$kind")
            key="$how/$kind"
            if [ -z "${BEST[$key]:-}" ] || awk -v s="$ms" -v b="${BEST[$key]}" 'BEGIN { exit !(s < b) }'; then
                BEST[$key]=$ms
            fi
        done
    done
done

index_bytes() {
    psql -c "DROP TABLE IF EXISTS bench_codes" -c "CREATE TABLE bench_codes (${COLDEF[$1]})" \
         -c "COPY bench_codes FROM '$DATA'" -c "CREATE INDEX bench_codes_idx ON bench_codes (code)"
    psql -At -c "SELECT pg_relation_size('bench_codes_idx')"
}
i_icd=$(index_bytes icd10cm)
i_text=$(index_bytes text)
psql -c "DROP TABLE bench_codes"

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
mb() { awk -v a="$1" 'BEGIN { printf "%.1f MB", a / 1048576 }'; }
echo "data: $ROWS rows cycled from the $BILLABLE billable codes of $(basename "$ORDER_FILE"), best of $RUNS interleaved rounds"
for how in existing bulk; do
    case $how in
        existing) what="COPY into an existing table";;
        bulk) what="bulk load (CREATE TABLE + COPY FREEZE in one transaction, wal_level=minimal)";;
    esac
    icd=${BEST[$how/icd10cm]} text=${BEST[$how/text]} regex=${BEST[$how/regex]} floor=${BEST[$how/floor]}
    echo "RESULT icd10cm $what: $(ratio "$text" "$icd")x text column (target >= 0.9x) [icd10cm $icd ms, text $text ms]"
    echo "RESULT icd10cm $what: $(ratio "$regex" "$icd")x text column with regex CHECK (target >= 2x) [icd10cm $icd ms, text+CHECK $regex ms]"
    echo "INFO  floor, $what: a bare bigint column takes $floor ms, so no type can beat the regex CHECK by more than $(ratio "$regex" "$floor")x here; icd10cm takes $(ratio "$icd" "$floor")x the floor's time"
done
echo "RESULT icd10cm btree index size: $(ratio "$i_icd" "$i_text")x text column index (target <= 1.0x) [icd10cm $(mb "$i_icd"), text $(mb "$i_text")]"
