#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for tests and benchmarks, in a folder of its
# own, on loopback, run by a non-root user (PostgreSQL refuses root).
#
#   scripts/pg-cluster.sh start DIR [PORT]   makes and starts it; prints its URL
#   scripts/pg-cluster.sh stop DIR           stops it (the folder stays)
#
# Needs Debian's postgresql package (initdb, pg_ctl). As root, the cluster
# runs as the 'postgres' user the package made; otherwise as the caller.
set -euo pipefail

# The server outlives this script: it must not keep the caller's pipes
# open (a caller that reads our output to its end would wait for ever).
for fd in /proc/$$/fd/*; do
    fd=${fd##*/}
    if [ "$fd" -gt 2 ] 2>/dev/null; then eval "exec $fd>&-" 2>/dev/null || true; fi
done

cmd=${1:-}
dir=${2:-}
if [ -z "$cmd" ] || [ -z "$dir" ]; then
    echo "usage: $0 start|stop DIR [PORT]" >&2
    exit 2
fi

bin=""
for candidate in /usr/lib/postgresql/*/bin; do
    if [ -x "$candidate/initdb" ]; then bin=$candidate; fi
done
if [ -z "$bin" ] && command -v initdb >/dev/null; then bin=$(dirname "$(command -v initdb)"); fi
if [ -z "$bin" ]; then
    echo "error: no initdb: install PostgreSQL (apt-get install postgresql)" >&2
    exit 3
fi

as_owner() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

case "$cmd" in
start)
    port=${3:-$(( 20000 + RANDOM % 20000 ))}
    mkdir -p "$dir"
    if [ "$(id -u)" = 0 ]; then
        if ! id postgres >/dev/null 2>&1; then
            echo "error: running as root and there is no 'postgres' user to run the cluster as" >&2
            exit 3
        fi
        chown postgres "$dir"
    fi
    if [ ! -f "$dir/data/PG_VERSION" ]; then
        as_owner "$bin/initdb" -D "$dir/data" -A trust -U weft -E UTF8 --no-sync >"$dir/initdb.log" 2>&1 || {
            cat "$dir/initdb.log" >&2
            exit 3
        }
    fi
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start </dev/null >/dev/null 2>&1 || {
        cat "$dir/server.log" >&2
        exit 3
    }
    as_owner "$bin/createdb" -h 127.0.0.1 -p "$port" -U weft weft 2>/dev/null || true
    echo "$port" >"$dir/port"
    echo "postgres://weft@127.0.0.1:$port/weft"
    ;;
stop)
    as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    ;;
*)
    echo "usage: $0 start|stop DIR [PORT]" >&2
    exit 2
    ;;
esac
