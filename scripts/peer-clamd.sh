#!/usr/bin/env bash
# Start (or stop) a throwaway clamd on 127.0.0.1 for the filter tests.
#   scripts/peer-clamd.sh start   # prints "127.0.0.1:PORT" for MAILCTL_TEST_CLAMD
#   scripts/peer-clamd.sh stop
# freshclam cannot reach its servers here, so the signature database is our own: one body
# signature for the EICAR test string (Local.EICAR.Body, reported with clamd's .UNOFFICIAL
# suffix). StreamMaxLength is 1 MiB, so the tests can send a message over it. Installs Debian's
# clamav-daemon when it is missing.
set -euo pipefail

PORT="${MAILCTL_CLAMD_PORT:-55310}"
STATE="${MAILCTL_PEER_STATE:-/tmp/mailctl-peers}"
DIR="$STATE/clamd"
PIDFILE="$DIR/clamd.pid"
NAME=clamd
MATCH=clamd
LOGFILE="$DIR/clamd.log"
# shellcheck source=scripts/lib-peer.sh
. "$(dirname "$0")/lib-peer.sh"

EICAR='X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*'

# `zPING` answers `PONG`.
ready() {
    local reply
    reply="$(timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT && printf 'zPING\0' >&3 && cat <&3" 2>/dev/null | tr -d '\0' || true)"
    [ "$reply" = PONG ]
}

case "${1:-start}" in
start)
    reserve_ports "$PORT"
    command -v clamd >/dev/null || apt_install clamav-daemon
    mkdir -p "$STATE"
    if ! { running_pid >/dev/null && ready; }; then
        stop_server
        rm -rf "$DIR"
        mkdir -p "$DIR/db"
        printf 'Local.EICAR.Body:0:*:%s\n' "$(printf '%s' "$EICAR" | od -An -tx1 | tr -d ' \n')" >"$DIR/db/local.ndb"
        cat >"$DIR/clamd.conf" <<CONF
DatabaseDirectory $DIR/db
TCPSocket $PORT
TCPAddr 127.0.0.1
Foreground yes
StreamMaxLength 1M
User root
CONF
        launch 30 ready clamd -c "$DIR/clamd.conf" || give_up
    fi
    echo "127.0.0.1:$PORT"
    ;;
status) running_pid >/dev/null && ready ;;
stop) stop_server ;;
*)
    echo "usage: $0 start|status|stop" >&2
    exit 64
    ;;
esac
