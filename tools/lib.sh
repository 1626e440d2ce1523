# Shared by tools/*.sh: where things are, the packages patsvc needs, the
# strict staged build and the throw-away cluster.  Source it; do not run it.
set -euo pipefail

PATSVC_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PG_MAJOR=${PG_MAJOR:-15}
PG_BIN=/usr/lib/postgresql/$PG_MAJOR/bin
export PG_CONFIG=$PG_BIN/pg_config
# The staged install lives outside the checkout, in a world-readable folder:
# the server runs as user postgres and must read it even when the checkout
# sits below a folder only root may enter (as CI clones can).
export STAGE=${PATSVC_STAGE:-${TMPDIR:-/tmp}/patsvc-stage-$(id -u)-$(printf %s "$PATSVC_ROOT" | md5sum | cut -c1-8)}
# Real CMS files, when the project's shared folder sits beside the checkout.
PATSVC_CMS_DIR=${PATSVC_CMS_DIR:-$PATSVC_ROOT/../shared/data/cms}
export PATSVC_CMS_DIR
export PATH=$PG_BIN:$PATH

# Debian packages: server, headers, pgTAP, pg_prove, a C compiler, pg_cron
# (test/ops/ops_cron.sh runs the README's scheduled-job recipes under it).
PATSVC_PACKAGES="make gcc libc6-dev postgresql-$PG_MAJOR postgresql-server-dev-$PG_MAJOR
  postgresql-$PG_MAJOR-pgtap libtap-parser-sourcehandler-pgtap-perl postgresql-common
  postgresql-$PG_MAJOR-cron"

log() { printf '\n== %s\n' "$*"; }

ensure_deps() {
    local missing=() p
    for p in $PATSVC_PACKAGES; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" != 0 ]; then
        echo "missing Debian packages: ${missing[*]}" >&2
        echo "install them as root: apt-get install ${missing[*]}" >&2
        exit 1
    fi
    log "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# Strict build (-Werror, assertions on) staged into $STAGE; the server
# finds it through extension_destdir, nothing is installed system-wide.
# build_stage [assert=1|0]: benchmarks build without assertions.
build_stage() {
    local assert=${1:-1}
    log "building patsvc (strict, assertions=$assert) into $STAGE"
    make -C "$PATSVC_ROOT" -s clean >/dev/null
    make -C "$PATSVC_ROOT" -s PATSVC_ASSERT="$assert" all || return 1
    rm -rf "$STAGE"
    mkdir -p "$STAGE" && chmod 755 "$STAGE"
    make -C "$PATSVC_ROOT" -s PATSVC_ASSERT="$assert" install DESTDIR="$STAGE" >/dev/null || return 1
    chmod -R a+rX "$STAGE"
    # the staged copy is for this run only
    trap 'rm -rf "$STAGE"' EXIT
}

# A TCP port nothing listens on (pg_virtualenv would take 5432 or the next one,
# which two runs at once on one machine both take).
free_port() {
    local p
    for _ in $(seq 1 50); do
        p=$((20000 + RANDOM % 20000))
        (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null || { echo "$p"; return; }
    done
    echo 5432
}

# with_cluster [extra pg_virtualenv options] -- command...
# A throw-away cluster (deleted afterwards), C locale, patsvc from the stage.
with_cluster() {
    local opts=()
    while [ $# -gt 0 ] && [ "$1" != "--" ]; do opts+=("$1"); shift; done
    shift
    pg_virtualenv -t -v "$PG_MAJOR" -i '--locale=C --encoding=UTF8' -c "-p $(free_port)" \
        -o "extension_destdir=$STAGE" \
        "${opts[@]}" "$@"
}
