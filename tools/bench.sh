#!/usr/bin/env bash
# make bench: each bench/*.sh runs in its own throw-away cluster, against an
# optimized build (no assertions), and prints its results as ratios against
# a reference measured in the same run.  BENCH=name runs only bench/name.sh.
source "$(dirname "$0")/lib.sh"
cd "$PATSVC_ROOT"
ensure_deps
build_stage 0
for f in bench/${BENCH:-*}.sh; do
    log "benchmark $(basename "$f" .sh)"
    # a script may ask for more cluster settings on a line "# bench-cluster-options: -o name=value ..."
    read -r -a extra <<< "$(sed -n 's/^# bench-cluster-options: //p' "$f")"
    with_cluster -o shared_buffers=1GB -o max_wal_size=8GB -o synchronous_commit=off "${extra[@]}" -- bash "$f"
done
