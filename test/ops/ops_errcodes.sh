#!/usr/bin/env bash
# patsvc's SQLSTATEs are written once, in src/errcodes.txt.  Checks that
#   - the README's SQLSTATE table is the one generated from it;
#   - no C file defines a PS code itself (they come from build/errcodes.h);
#   - every PS code the SQL raises (ERRCODE = 'PSnnn', SQLSTATE 'PSnnn') and
#     every ERRCODE_PATSVC_* macro the C uses is listed there;
#   - every PS code listed is raised somewhere (no stale rows).
# Needs no database; exit 0 = pass.
set -uo pipefail
cd "$(dirname "$0")/../.."
fail=0
bad() { echo "FAIL: $*"; fail=1; }

listed=$(grep -v '^#' src/errcodes.txt | awk -F'\t' 'NF >= 4 && $1 ~ /^PS/ {print $1}' | sort -u)
macros=$(grep -v '^#' src/errcodes.txt | awk -F'\t' 'NF >= 4 && $2 != "-" {print $2}' | sort -u)
[ -n "$listed" ] || bad "src/errcodes.txt lists no PS code"

# 1. README table
if ! diff <(bash tools/errcodes.sh readme) README.md > /tmp/errcodes.readme.diff.$$; then
    bad "the README's SQLSTATE table differs from src/errcodes.txt (run: make readme-sqlstates)"
    head -20 /tmp/errcodes.readme.diff.$$
fi
rm -f /tmp/errcodes.readme.diff.$$

# 2. no hand-written PS codes in C
hand=$(grep -rln "MAKE_SQLSTATE('P', *'S'" src --include=*.c --include=*.h || true)
[ -z "$hand" ] || bad "PS codes defined by hand (use src/errcodes.txt): $hand"

# 3. codes used by SQL (the current sources; 0.1.0's script is history) and C are listed
sql_used=$(find src -name '*.sql' ! -path 'src/upgrade/patsvc--*' -print0 | xargs -0 cat |
           grep -oE "(ERRCODE *= *|SQLSTATE +)'PS[0-9]{3}'" | grep -oE 'PS[0-9]{3}' | sort -u)
for c in $sql_used; do
    grep -qx "$c" <<< "$listed" || bad "SQL raises $c, which src/errcodes.txt does not list"
done
c_used=$(grep -rhoE 'ERRCODE_PATSVC_[A-Z0-9_]+' src --include=*.c --include=*.h | sort -u)
for m in $c_used; do
    grep -qx "$m" <<< "$macros" || bad "C uses $m, which src/errcodes.txt does not define"
done

# 4. every listed code is raised: by SQL, or by C through its macro
for c in $listed; do
    m=$(awk -F'\t' -v c="$c" '$1 == c {print $2}' src/errcodes.txt)
    if ! grep -qx "$c" <<< "$sql_used" && ! { [ "$m" != "-" ] && grep -qx "$m" <<< "$c_used"; }; then
        bad "$c is listed in src/errcodes.txt but nothing raises it"
    fi
done

echo "RESULT errcodes: $(wc -l <<< "$listed") PS codes listed, $(wc -w <<< "$sql_used") raised by SQL, $(wc -w <<< "$c_used") macros used by C"
exit $fail
