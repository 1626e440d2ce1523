#!/usr/bin/env bash
# make test: install what is missing, build strictly, then run every suite in
# throw-away clusters and finish with one line "N passed, N failed, N skipped".
#   cluster 1 (plain):    pg_regress test/sql/*.sql, isolation test/specs/*.spec,
#                         pgTAP test/pgtap/*.sql, scripts test/stress/*.sh and
#                         test/ops/*.sh; wal_level=logical (it publishes to the
#                         subscriber of test/ops/replicas_logical_replication.sh) and
#                         pg_cron preloaded (cron.database_name=postgres; only
#                         test/ops/ops_cron.sh creates the extension: every other
#                         suite runs without it)
#   cluster 2 (preload):  shared_preload_libraries=patsvc, the tests whose name
#                         holds "_hardened" (pg_regress, isolation, pgTAP: see
#                         the Makefile) and test/ops/ops_dump_restore.sh
# Which is which: print-hardened, print-hardened-isolation and print-planned
# of the Makefile, and test/pgtap/*_hardened*.sql.
source "$(dirname "$0")/lib.sh"
cd "$PATSVC_ROOT"

ensure_deps
# a build that fails still ends with the summary line
if ! build_stage; then
    echo "FAILED: the build (see above)"
    echo "0 passed, 1 failed, 0 skipped"
    exit 1
fi

LOGS=$PATSVC_ROOT/build/test-logs
rm -rf "$LOGS" results output_iso regression.diffs regression.out
mkdir -p "$LOGS"

hardened=$(make -s --no-print-directory print-hardened print-hardened-isolation 2>/dev/null || true)

log "cluster 1: pg_regress, isolation, pgTAP"
with_cluster -o wal_level=logical -o shared_preload_libraries=pg_cron -o cron.database_name=postgres \
    -o cron.use_background_workers=on -- bash tools/suites.sh plain "$LOGS" ||
    echo "cluster 1 could not run its suites (exit $?)" > "$LOGS/plain.cluster.setup-failed"
if [ -n "${hardened//[[:space:]]/}" ] || compgen -G 'test/pgtap/*_hardened*.sql' >/dev/null; then
    log "cluster 2 (shared_preload_libraries=patsvc): hardened suites"
    # The staged library by path: the server looks in $libdir before extension_destdir applies.
    with_cluster -o "shared_preload_libraries=$STAGE$($PG_CONFIG --pkglibdir)/patsvc" \
        -- bash tools/suites.sh hardened "$LOGS" ||
        echo "cluster 2 could not run its suites (exit $?)" > "$LOGS/hardened.cluster.setup-failed"
fi

# Count: one per pg_regress file, one per isolation spec, one per pgTAP
# assertion; a pgTAP file that dies or breaks its plan counts as a failure.
passed=0; failed=0; skipped=0
for f in "$LOGS"/*.regress.log; do
    [ -e "$f" ] || continue
    p=$(grep -cE '^(test | +)\S+ +\.\.\. ok' "$f" || true)
    q=$(grep -cE '^(test | +)\S+ +\.\.\. (FAILED|failed)' "$f" || true)
    passed=$((passed + p)); failed=$((failed + q))
    [ "$q" -gt 0 ] && grep -E '\.\.\. (FAILED|failed)' "$f" | sed 's/^/FAILED: /'
done
# pgTAP, file by file: every planned assertion that did not pass counts as
# failed (a file that dies midway hides the rest of its plan); "# SKIP" ones
# are counted apart.
for f in "$LOGS"/*.pgtap.log; do
    [ -e "$f" ] || continue
    read -r p q k missing <<< "$(awk '
        function close_file() { if (file != "") { m = plan - seen; if (m > 0) missing += m; if (plan == 0) missing++ } }
        /^test\/pgtap\/.*\.sql \.\./ { close_file(); file = $1; plan = 0; seen = 0; next }
        /^ *1\.\.[0-9]+/ { sub(/^ *1\.\./, ""); plan = $0 + 0; next }
        /^ *not ok [0-9]+/ { seen++; if ($0 ~ /# (SKIP|TODO)/) k++; else q++; next }
        /^ *ok [0-9]+/ { seen++; if ($0 ~ /# SKIP/) k++; else p++; next }
        END { close_file(); printf "%d %d %d %d\n", p, q, k, missing }' "$f")"
    passed=$((passed + p)); failed=$((failed + q + missing)); skipped=$((skipped + k))
    [ "$q" -gt 0 ] && grep -E '^ *not ok [0-9]+' "$f" | grep -vE '# (SKIP|TODO)' | sed 's/^/FAILED: /'
    [ "$missing" -gt 0 ] && echo "FAILED: $missing planned pgTAP test(s) did not run (a file died or broke its plan; see $f)"
done
for f in "$LOGS"/*.setup-failed; do
    [ -e "$f" ] || continue
    failed=$((failed + 1)); echo "FAILED: $(cat "$f")"
done
if [ "$failed" -gt 0 ]; then
    echo "Differences and logs are in build/test-logs/."
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
