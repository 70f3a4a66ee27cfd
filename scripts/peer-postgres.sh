#!/usr/bin/env bash
# Start (or stop) a throwaway PostgreSQL cluster on 127.0.0.1 for the tests.
#   scripts/peer-postgres.sh start   # prints the URL to use as MAILCTL_TEST_PG_URL
#   scripts/peer-postgres.sh stop
# Installs Debian's postgresql package when it is missing. initdb and pg_ctl refuse to run
# as root, so they run as the postgres user.
set -euo pipefail

PORT="${MAILCTL_PG_PORT:-55432}"
STATE="${MAILCTL_PEER_STATE:-/tmp/mailctl-peers}"
PGDATA="$STATE/postgres"
BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)"

NAME=postgres
# shellcheck source=scripts/lib-peer.sh
. "$(dirname "$0")/lib-peer.sh"

as_pg() {
    if [ "$(id -u)" = 0 ]; then su postgres -s /bin/bash -c "$*"; else bash -c "$*"; fi
}

case "${1:-start}" in
start)
    reserve_ports "$PORT"
    if [ -z "$BIN" ] || [ ! -x "$BIN/initdb" ]; then
        echo "installing postgresql from Debian's packages..." >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >/dev/null
        BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
    fi
    mkdir -p "$STATE"
    chmod 755 "$STATE"
    if [ -f "$PGDATA/postmaster.pid" ] && as_pg "$BIN/pg_ctl -D $PGDATA status" >/dev/null 2>&1; then
        : # already running
    else
        rm -rf "$PGDATA"
        mkdir -p "$PGDATA"
        [ "$(id -u)" = 0 ] && chown postgres:postgres "$PGDATA"
        as_pg "$BIN/initdb -D $PGDATA -U postgres -A trust -E UTF8 --locale=C.UTF-8" >/dev/null
        as_pg "$BIN/pg_ctl -D $PGDATA -l $PGDATA/log -w -o \"-c listen_addresses=127.0.0.1 -p $PORT -k $PGDATA -c fsync=off -c max_connections=300\" start" >/dev/null
    fi
    echo "postgres://postgres@127.0.0.1:$PORT/postgres"
    ;;
stop)
    [ -d "$PGDATA" ] && as_pg "$BIN/pg_ctl -D $PGDATA -m fast stop" >/dev/null 2>&1 || true
    ;;
*)
    echo "usage: $0 start|stop" >&2
    exit 64
    ;;
esac
