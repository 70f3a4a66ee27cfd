#!/usr/bin/env bash
# Start (or stop) moto's server on 127.0.0.1, an emulator of AWS that the Route53 tests talk to.
#   scripts/peer-moto.sh start   # prints the endpoint URL to use as MAILCTL_TEST_MOTO_URL
#   scripts/peer-moto.sh stop
# moto checks no signature, but a request needs an Authorization header whose credential scope
# names route53 (…/us-east-1/route53/aws4_request), or moto routes it to its S3 handler. Its state
# lives in memory: every start that is not a no-op begins empty (POST /moto-api/reset empties it
# too). Installs moto[server] from PyPI when no working moto_server is found.
set -euo pipefail

PORT="${MAILCTL_MOTO_PORT:-55500}"
STATE="${MAILCTL_PEER_STATE:-/tmp/mailctl-peers}"
DIR="$STATE/moto"
PIDFILE="$DIR/moto.pid"
NAME=moto
MATCH=moto
LOGFILE="$DIR/moto.log"
# shellcheck source=scripts/lib-peer.sh
. "$(dirname "$0")/lib-peer.sh"
URL="http://127.0.0.1:$PORT"

answers() {
    local code
    code="$(curl -s -o /dev/null -m 2 -w '%{http_code}' "$URL/moto-api/" 2>/dev/null || true)"
    [ "$code" = 200 ]
}

# Sets MOTO to a command that runs moto's server. A moto_server on PATH may be a pyenv shim for a
# Python that lacks moto, so each candidate is tried, not just looked up.
find_moto() {
    if command -v moto_server >/dev/null && moto_server --help >/dev/null 2>&1; then
        MOTO=(moto_server)
    elif python3 -c 'import moto.server' >/dev/null 2>&1; then
        MOTO=(python3 -m moto.server)
    else
        return 1
    fi
}

case "${1:-start}" in
start)
    reserve_ports "$PORT"
    mkdir -p "$STATE"
    if running_pid >/dev/null && answers; then
        : # already running: leave it as it is
    else
        if ! find_moto; then
            log "installing moto[server] from PyPI..."
            python3 -m pip install -q 'moto[server]' >&2
            find_moto || { log "moto_server still does not run after installing moto[server]"; exit 1; }
        fi
        stop_server # a moto of ours that is alive but not answering
        rm -rf "$DIR"
        mkdir -p "$DIR"
        # pyenv's shim and moto_server exec too: the PID is the server's.
        # moto takes a few seconds to import on a small machine.
        launch 30 answers "${MOTO[@]}" -H 127.0.0.1 -p "$PORT" || give_up
    fi
    echo "$URL"
    ;;
status)
    running_pid >/dev/null && answers
    ;;
stop)
    stop_server
    ;;
*)
    echo "usage: $0 start|status|stop" >&2
    exit 64
    ;;
esac
