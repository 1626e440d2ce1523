#!/usr/bin/env bash
# make demo: install what is missing, build, start a throw-away cluster and
# walk through a clinic day (demo/*.sql in name order).  Errors you see are
# part of the story: each is a rule patsvc enforces.
source "$(dirname "$0")/lib.sh"
cd "$PATSVC_ROOT"
ensure_deps
build_stage 0
log "clinic-day walk-through (throw-away cluster)"
# pg_cron preloaded, as the README's scheduled-job recipes need (demo/60-scheduled-jobs.sql)
with_cluster -o shared_preload_libraries=pg_cron -o cron.database_name=postgres \
    -o cron.use_background_workers=on -- bash -c '
  cms=$PATSVC_CMS_DIR
  [ -f "$cms/icd10cm-order-2021.txt" ] || cms=test/fixtures
  psql -X -q -c "CREATE EXTENSION patsvc"
  for f in demo/*.sql; do
    psql -X -a -v VERBOSITY=default -v cms_dir="$cms" -f "$f" 2>&1
  done'
