#!/usr/bin/env bash
# The upgrade path: for every earlier version V that can be installed,
#   CREATE EXTENSION patsvc VERSION 'V', load a clinic (test/ops/clinic.sql, the
#   part V has), ALTER EXTENSION patsvc UPDATE TO each version on the path, one
#   step at a time, then the rest of the clinic (test/ops/clinic_<default>.sql),
# then the upgraded database must equal a fresh install of the default version:
#   - the extension's objects (test/ops/catalog.sql: definitions, ACLs, comments,
#     triggers, what pg_dump dumps), line for line;
#   - the data: every table keeps its rows (count and md5 where the step does
#     not rewrite them), and the upgraded clinic behaves exactly as the same
#     clinic loaded into a fresh install (test/ops/behaviour.sql).
# Runs in the test cluster (PG* set); exit 0 = pass.
set -euo pipefail
cd "$(dirname "$0")/../.."
work=$(mktemp -d)
dbs=()
cleanup() { for d in "${dbs[@]}"; do dropdb --if-exists "$d"; done; rm -rf "$work"; }
trap cleanup EXIT
q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }
fail=0

# Versions and steps from the sources (the server lists only its own sharedir,
# not Debian's extension_destdir where the staged build is).
default=$(awk -F"'" '/^default_version/ {print $2}' patsvc.control)
steps_known=$(ls -d src/upgrade/*--*/ | xargs -n1 basename)
next_of() { printf '%s\n' $steps_known | awk -F-- -v v="$1" '$1 == v {print $2}' | head -1; }
createdb patsvc_up_fresh; dbs+=(patsvc_up_fresh)
q -d patsvc_up_fresh -c "CREATE EXTENSION patsvc"
q -d patsvc_up_fresh -f test/ops/catalog.sql > "$work/catalog.fresh"
q -d patsvc_up_fresh -v fixtures=test/fixtures -f test/ops/clinic.sql > /dev/null
psql -X -d patsvc_up_fresh -f test/ops/behaviour.sql > "$work/behaviour.fresh" 2>&1

olds=$(ls src/upgrade/patsvc--*.sql | sed -n 's|.*/patsvc--\([^-]*\)\.sql$|\1|p')
[ -n "$olds" ] || { echo "FAILED: no earlier version is installable"; exit 1; }
for v in $olds; do
    db=patsvc_up_from_${v//./_}; createdb "$db"; dbs+=("$db")
    path=$v; at=$v
    while [ "$at" != "$default" ]; do
        at=$(next_of "$at"); [ -n "$at" ] || break; path="$path--$at"
    done
    [ "$at" = "$default" ] || { echo "FAILED: no update path from $v to $default"; fail=1; continue; }
    q -d "$db" -c "CREATE EXTENSION patsvc VERSION '$v'"
    q -d "$db" -v fixtures=test/fixtures -v clinic_base_only=1 -f test/ops/clinic.sql > /dev/null
    q -d "$db" -f test/ops/tables.sql > "$work/tables.$v.before"
    # tables that gain a column: their rows as json, to compare without the new columns
    # (patients gain demographics and a generated MRN: their 0.1.0 columns are compared)
    added_cols() { q -d "$db" -At -c "SELECT 'appointments ' || md5(string_agg((to_jsonb(a) $1)::text, ',' ORDER BY a.id)) FROM patsvc.appointments a
                                     UNION ALL SELECT 'waitlist ' || md5(string_agg((to_jsonb(w) $1)::text, ',' ORDER BY w.id)) FROM patsvc.waitlist w
                                     UNION ALL SELECT 'appointment_types ' || md5(string_agg((to_jsonb(t) $2)::text, ',' ORDER BY t.id)) FROM patsvc.appointment_types t
                                     UNION ALL SELECT 'patients ' || md5(string_agg(jsonb_build_object('id', p.id, 'name', p.name)::text, ',' ORDER BY p.id)) FROM patsvc.patients p"; }
    added_cols "" "" > "$work/added.$v.before"
    IFS=- read -r -a steps <<< "${path//--/-}"
    for step in "${steps[@]:1}"; do
        q -d "$db" -c "ALTER EXTENSION patsvc UPDATE TO '$step'"
        echo "updated $db to $step"
    done
    q -d "$db" -f test/ops/catalog.sql > "$work/catalog.$v"
    if diff -u "$work/catalog.fresh" "$work/catalog.$v"; then
        echo "ok: $v updated along $path is identical to a fresh $default ($(wc -l < "$work/catalog.fresh") catalog facts)"
    else
        echo "FAILED: $v updated along $path differs from a fresh $default (above: - fresh, + updated)"; fail=1
    fi
    q -d "$db" -f test/ops/tables.sql > "$work/tables.$v.all"
    # tables and sequences the update created (0.2.0: consents) must be empty; the others are compared
    awk 'NR == FNR {old[$1 " " $2] = 1; next} old[$1 " " $2]' "$work/tables.$v.before" "$work/tables.$v.all" > "$work/tables.$v.after"
    awk 'NR == FNR {old[$1 " " $2] = 1; next} !old[$1 " " $2]' "$work/tables.$v.before" "$work/tables.$v.all" > "$work/tables.$v.new"
    # (but for the shipped nicknames and places of service, and the MRN numbers the update gave the patients, checked below)
    if grep -vE '^(table [^ ]+ rows=0 |sequence [^ ]+ last_value=1 is_called=false$)' "$work/tables.$v.new" |
       grep -vE '^(table patsvc\.(given_name_variants|places_of_service) |sequence patsvc\.patient_mrn_seq )'; then
        echo "FAILED: relations the update created are not empty (above)"; fail=1
    else
        echo "ok: the update created $(wc -l < "$work/tables.$v.new") relations, all empty"
    fi
    # rows: same counts everywhere; same contents except where a step rewrote a column
    # (0.2.0: relation oids become names, ready-made policies are marked; appointments and
    # waitlist gain priority, which must be routine everywhere, appointment types
    # requires_consent_to_treat, false everywhere, patients an MRN each (one number each from
    # patient_mrn_seq), every other column unchanged)
    # or added rows (0.2.0: the event log records the destruction of each certificate issued
    # before, 'certificate carried over', so it grows by one row per certificate, its sequence too)
    certificates=$(q -d "$db" -Atc "SELECT count(*) FROM patsvc.destruction_certificates")
    carried=$(q -d "$db" -Atc "SELECT count(*) FROM patsvc.retention_events WHERE event = 'certificate carried over'")
    events_before=$(sed -n 's/^table patsvc\.retention_events rows=\([0-9]*\) .*/\1/p' "$work/tables.$v.before")
    events_after=$(sed -n 's/^table patsvc\.retention_events rows=\([0-9]*\) .*/\1/p' "$work/tables.$v.after")
    if [ "$certificates" = "$carried" ] && [ $((events_before + carried)) = "$events_after" ]; then
        echo "ok: the update recorded the destruction of each of the $certificates certificates issued before"
    else
        echo "FAILED: $certificates certificates, $carried carried over, events $events_before -> $events_after"; fail=1
    fi
    events='^(table patsvc\.retention_events|sequence patsvc\.retention_events_event_id_seq) '
    # 0.2.0 adds the ready-made protections of patsvc's own logs, as a fresh install has them:
    # the clinic's protections are the others
    ready=$(q -d "$db" -Atc "SELECT count(*) FROM patsvc.protected_tables WHERE ready_made")
    ready_fresh=$(q -d patsvc_up_fresh -Atc "SELECT count(*) FROM patsvc.protected_tables WHERE ready_made")
    if [ "$ready" = "$ready_fresh" ] && [ "$ready" -gt 0 ]; then
        echo "ok: the update added the $ready ready-made protections a fresh install has"
    else
        echo "FAILED: $ready ready-made protections after the update, $ready_fresh in a fresh install"; fail=1
    fi
    awk -v r="$ready" '$1 == "table" && $2 == "patsvc.protected_tables" {sub(/^rows=[0-9]+/, "rows=" (substr($3, 6) - r), $3)} 1' \
        "$work/tables.$v.after" > "$work/tables.$v.clinic" && mv "$work/tables.$v.clinic" "$work/tables.$v.after"
    added_cols "- 'priority' - 'needs_rebooking' - 'coverage_id' - 'referral_id' - 'authorization_id'" "- 'requires_consent_to_treat'" > "$work/added.$v.after"
    if diff -u <(grep -vE "$events" "$work/tables.$v.before" | sed 's/ md5=.*//') \
               <(grep -vE "$events" "$work/tables.$v.after" | sed 's/ md5=.*//') &&
       diff -u <(grep -vE '^table patsvc\.(protected_tables|retention_holds|retention_archives|retention_policies|appointments|waitlist|appointment_types|patients) ' "$work/tables.$v.before" | grep -vE "$events") \
               <(grep -vE '^table patsvc\.(protected_tables|retention_holds|retention_archives|retention_policies|appointments|waitlist|appointment_types|patients) ' "$work/tables.$v.after" | grep -vE "$events") &&
       diff -u "$work/added.$v.before" "$work/added.$v.after" &&
       diff -u <(echo 0) <(q -d "$db" -At -c "SELECT (SELECT count(*) FROM patsvc.appointments WHERE priority <> 'routine')
                                                   + (SELECT count(*) FROM patsvc.waitlist WHERE priority <> 'routine')
                                                   + (SELECT count(*) FROM patsvc.appointment_types WHERE requires_consent_to_treat)
                                                   + (SELECT count(*) - count(DISTINCT mrn) FROM patsvc.patients)
                                                   + (SELECT count(*) FROM patsvc.given_name_variants WHERE NOT shipped)
                                                   + (SELECT count(*) FROM patsvc.patients) - (SELECT last_value FROM patsvc.patient_mrn_seq)"); then
        echo "ok: $v's data kept by the update"
    else
        echo "FAILED: the update from $v changed data (above)"; fail=1
    fi
    # what the clinic does with the newer version's additions, as on the fresh install
    q -d "$db" -f test/ops/clinic_$default.sql > /dev/null
    psql -X -d "$db" -f test/ops/behaviour.sql > "$work/behaviour.$v" 2>&1
    if diff -u "$work/behaviour.fresh" "$work/behaviour.$v"; then
        echo "ok: a clinic updated from $v behaves as one on a fresh $default"
    else
        echo "FAILED: a clinic updated from $v behaves differently (above: - fresh, + updated)"; fail=1
    fi
done
exit $fail
