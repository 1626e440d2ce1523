# Extra throw-away clusters for the script tests in test/ops/*.sh (source it).
# The test cluster (PGHOST/PGPORT/PGUSER/PGPASSWORD/PGDATABASE, from
# pg_virtualenv) stays as it is; clusters made here run as user postgres in a
# private temporary folder, on a free port on 127.0.0.1, with patsvc from the
# staged build ($STAGE, extension_destdir), and are stopped and removed when
# the script exits, also on failure (trap).  Remove them before the test
# cluster's database is dropped: a script that subscribes must drop its
# subscription and slots (ops_cleanup_hook runs before the clusters stop,
# ops_after_stop_hook after).
set -euo pipefail
: "${STAGE:?STAGE (the staged build, tools/lib.sh) must be set}"
OPS_PG_BIN=/usr/lib/postgresql/15/bin
OPS_WORK=$(mktemp -d)	# removed on exit, below
chown postgres: "$OPS_WORK"
chmod 700 "$OPS_WORK"
OPS_CLUSTERS=()
ops_cleanup_hook() { :; }     # a script may redefine these two
ops_after_stop_hook() { :; }

ops_cleanup() {
    local rc=$? d
    set +e
    ops_cleanup_hook
    for d in "${OPS_CLUSTERS[@]}"; do
        if [ "$rc" -ne 0 ] && [ -f "$d.log" ]; then
            echo "--- last lines of $(basename "$d").log"; tail -30 "$d.log"
        fi
        as_pg "$OPS_PG_BIN/pg_ctl" -D "$d" -m immediate -w stop >/dev/null 2>&1
    done
    ops_after_stop_hook
    rm -rf "$OPS_WORK"
    exit "$rc"
}
trap ops_cleanup EXIT

as_pg() { (cd "$OPS_WORK" && runuser -u postgres -- "$@"); }

free_port() {
    local p
    for p in $(shuf -i 20000-40000 -n 200); do
        (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return 0; }
    done
    echo "no free port found" >&2; return 1
}

# ops_configure NAME PORT [setting=value ...]: the configuration of a cluster
# in $OPS_WORK/NAME (a fresh initdb or a base backup): 127.0.0.1 only, socket
# in $OPS_WORK, local connections trusted (the folder is root's and postgres'
# only), patsvc from the stage.
ops_configure() {
    local name=$1 port=$2 d=$OPS_WORK/$1
    shift 2
    {
        echo "port = $port"
        echo "listen_addresses = '127.0.0.1'"
        echo "unix_socket_directories = '$OPS_WORK'"
        echo "extension_destdir = '$STAGE'"
        echo "fsync = off"
        echo "max_connections = 30"
        local kv
        for kv in "$@"; do echo "$kv"; done
    } > "$d/postgresql.conf"
    printf '%s\n' 'local all all trust' 'local replication all trust' \
        'host all all 127.0.0.1/32 scram-sha-256' > "$d/pg_hba.conf"
    : > "$d/pg_ident.conf"
    chown postgres: "$d/postgresql.conf" "$d/pg_hba.conf" "$d/pg_ident.conf"
}

# ops_initdb NAME: a new, empty cluster in $OPS_WORK/NAME (not started)
ops_initdb() {
    as_pg "$OPS_PG_BIN/initdb" -D "$OPS_WORK/$1" --locale=C --encoding=UTF8 -A trust -U postgres >/dev/null
}

# ops_start NAME: starts it (and registers it for the cleanup)
ops_start() {
    OPS_CLUSTERS+=("$OPS_WORK/$1")
    as_pg "$OPS_PG_BIN/pg_ctl" -D "$OPS_WORK/$1" -l "$OPS_WORK/$1.log" -w -t 60 start >/dev/null
}

# ops_psql NAME PORT [psql args]: psql as postgres on that cluster
ops_psql() {
    local port=$2
    shift 2
    PGPASSWORD= psql -X -h "$OPS_WORK" -p "$port" -U postgres "$@"
}

# wait_for SECONDS DESCRIPTION COMMAND...: polls COMMAND (every 0.2 s) until it succeeds
wait_for() {
    local secs=$1 what=$2 i
    shift 2
    for ((i = 0; i < secs * 5; i++)); do
        "$@" && return 0
        sleep 0.2
    done
    echo "FAIL: gave up after ${secs}s waiting for $what" >&2
    return 1
}
