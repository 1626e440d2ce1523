#!/usr/bin/env bash
# Mutation run (before a release, not part of make test): put one small,
# realistic bug at a time into the sources, run `make test`, and report which
# bugs no test caught (the survivors: each is a missing test).
#   bash tools/mutate.sh            every mutation below (about 3 minutes each)
#   bash tools/mutate.sh 2 5        only mutations 2 and 5
# Each mutation replaces one exact piece of text in one file; the file is put
# back from git afterwards, whatever happens.  A mutation whose text is no
# longer in its file is reported as stale (update the list).
set -uo pipefail
cd "$(dirname "$0")/.."
# file | text | replacement | what the bug is
MUTATIONS=$(cat <<'LIST'
src/scheduling/rules.c|	(void) LockAcquire(&tag, ExclusiveLock, false, false);|	(void) tag;|bookings take no per-key lock (race between check and insert)
src/scheduling/slots.c|		if (!(busy[i].from < row->held_until && busy[i].until > row->held_from))|		if (!(busy[i].from < row->held_until - 1 && busy[i].until > row->held_until - 1))|free_slots ignores the candidate's own buffers
src/scheduling/rules.c|	row->held_from = row->starts - (int64) type->before_min * USECS_PER_MINUTE;|	row->held_from = row->starts;|the overlap check ignores the before-buffer
src/retention/hooks.c|	else if (access == OAT_TRUNCATE && classId == RelationRelationId && protected_kind(objectId) != 0)|	else if (false && access == OAT_TRUNCATE)|hardened mode lets TRUNCATE through (when the BEFORE TRUNCATE trigger is gone)
src/retention/isolation.c|	if (!IsolationUsesXactSnapshot())|	if (true)|a destruction at REPEATABLE READ ignores holds committed after its snapshot
src/retention/40-facts.sql|  IF TG_OP = 'DELETE' OR NEW.patient_id <> OLD.patient_id|  IF NEW.patient_id <> OLD.patient_id|patient facts can be deleted (and recorded again earlier)
src/scheduling/90-dump.sql|'appointments', 'waitlist'|'waitlist'|pg_dump loses the appointments
src/upgrade/0.1.0--0.2.0/10-backups.sql|ALTER TABLE @extschema@.protected_tables ALTER COLUMN relid TYPE pg_catalog.regclass;||the upgrade forgets a column type
src/patsvc.c|	if (likely(patsvc_is_own_table(td->tg_relation, tables)))|	if (true)|trigger functions run on any table
LIST
)
logdir=${TMPDIR:-/tmp}/patsvc-mutations; mkdir -p "$logdir"
want=" $* "
n=0; survivors=0; stale=0
while IFS='|' read -r file from to what; do
    [ -n "$file" ] || continue
    n=$((n + 1))
    [ "$want" = "  " ] || [[ "$want" == *" $n "* ]] || continue
    if ! grep -qF -- "$from" "$file"; then
        echo "mutation $n STALE: its text is no longer in $file ($what)"; stale=$((stale + 1)); continue
    fi
    FROM=$from TO=$to perl -0pi -e 's/\Q$ENV{FROM}\E/$ENV{TO}/' "$file"
    if make test > "$logdir/mutation-$n.log" 2>&1; then
        echo "mutation $n SURVIVED: $what ($file)"; survivors=$((survivors + 1))
    else
        echo "mutation $n killed: $what ($(grep -m1 -E '^FAILED' "$logdir/mutation-$n.log" || echo 'make test failed'))"
    fi
    git checkout -- "$file"
done <<< "$MUTATIONS"
echo "$survivors survived, $stale stale"
[ "$survivors" -eq 0 ] && [ "$stale" -eq 0 ]
