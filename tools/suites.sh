#!/usr/bin/env bash
# Runs inside a throw-away cluster (called by tools/test.sh through
# pg_virtualenv).  $1 = plain | hardened, $2 = log folder.
set -uo pipefail
mode=$1 logs=$2
cd "$(dirname "$0")/.."

pgtap() {   # pgTAP files in one database per run, extension created by each file
    local files=("$@")
    [ ${#files[@]} -gt 0 ] || return 0
    createdb patsvc_pgtap
    pg_prove -v -d patsvc_pgtap "${files[@]}" > "$logs/$mode.pgtap.log" 2>&1
    dropdb patsvc_pgtap
}

# Script tests (test/stress/*.sh, test/ops/*.sh): each runs in a fresh
# database of this cluster (PGDATABASE; it may create more databases or
# clusters of its own and must remove them); exit 0 = pass.  Lines a script
# prints starting with RESULT are echoed here.
scripts() {   # $1 = kind (stress | ops), then the scripts
    local kind=$1 f name
    shift
    for f in "$@"; do
        name=$(basename "$f" .sh)
        createdb "patsvc_$name"
        if PGDATABASE="patsvc_$name" PATSVC_MODE=$mode SECONDS_EACH=${STRESS_SECONDS:-3} STAGE=${STAGE:-} \
           bash "$f" > "$logs/$mode.$name.$kind.out" 2>&1; then
            echo "test $name ... ok" >> "$logs/$mode.$kind.regress.log"
        else
            echo "test $name ... FAILED (see $mode.$name.$kind.out)" >> "$logs/$mode.$kind.regress.log"
        fi
        grep -E '^RESULT|overlap query' "$logs/$mode.$name.$kind.out"
        dropdb --if-exists "patsvc_$name"
    done
}

# pg_regress stops early on some errors (a missing expected file, a crashed
# server): every planned test without a result line in the log counts as failed.
check_all_ran() {   # $1 = regress log, then the planned test names
    local log=$1 name
    shift
    for name in "$@"; do
        grep -qE "^(test | +)$name +\.\.\. +(ok|FAILED|failed)" "$log" ||
            echo "pg_regress did not finish $name (see $(basename "$log"))" >> "$logs/$mode.$name.setup-failed"
    done
}

keep_diffs() {   # the next run of pg_regress overwrites them
    [ -s regression.diffs ] && cp regression.diffs "$logs/$mode.regression.diffs"
    [ -s output_iso/regression.diffs ] && cp output_iso/regression.diffs "$logs/$mode.isolation.diffs"
    return 0
}

if [ "$mode" = plain ]; then
    # pg_regress, then the isolation specs: two runs, so a failing pg_regress
    # file does not stop the isolation specs (one recipe stops at its first error)
    make -s --no-print-directory installcheck ISOLATION= > "$logs/plain.regress.log" 2>&1
    make -s --no-print-directory installcheck REGRESS= >> "$logs/plain.regress.log" 2>&1
    cat "$logs/plain.regress.log"
    check_all_ran "$logs/plain.regress.log" $(make -s --no-print-directory print-planned)
    keep_diffs
    shopt -s nullglob
    plain_pgtap=()
    for f in test/pgtap/*.sql; do [[ $(basename "$f") == *_hardened* ]] || plain_pgtap+=("$f"); done
    pgtap "${plain_pgtap[@]}"
    scripts stress test/stress/*.sh
    scripts ops test/ops/*.sh
else
    shopt -s nullglob
    hardened=$(make -s --no-print-directory print-hardened)
    hardened_iso=$(make -s --no-print-directory print-hardened-isolation)
    if [ -n "$hardened$hardened_iso" ]; then
        : > "$logs/hardened.regress.log"
        [ -n "$hardened" ] && make -s --no-print-directory installcheck REGRESS="$hardened" ISOLATION= \
            >> "$logs/hardened.regress.log" 2>&1
        [ -n "$hardened_iso" ] && make -s --no-print-directory installcheck REGRESS= ISOLATION="$hardened_iso" \
            >> "$logs/hardened.regress.log" 2>&1
        cat "$logs/hardened.regress.log"
        check_all_ran "$logs/hardened.regress.log" $hardened $hardened_iso
        keep_diffs
    fi
    pgtap test/pgtap/*_hardened*.sql
    # backups (and their cryptographic erase) must also work where the hardened hooks are active
    scripts ops test/ops/ops_dump_restore.sh test/ops/retention_crypto_backup.sh
fi
[ -e "$logs/$mode.pgtap.log" ] && grep -E '^(not ok|Result|Files=)' "$logs/$mode.pgtap.log"
exit 0
