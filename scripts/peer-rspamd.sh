#!/usr/bin/env bash
# Start (or stop) a throwaway rspamd on 127.0.0.1 for the filter tests.
#   scripts/peer-rspamd.sh start   # prints "127.0.0.1:PORT 127.0.0.1:CONTROLLER_PORT": the normal
#                                  # worker (/checkv2) and the controller (/learnspam, /learnham),
#                                  # for MAILCTL_TEST_RSPAMD and MAILCTL_TEST_RSPAMD_CONTROLLER
#   scripts/peer-rspamd.sh stop
# A private config beside Debian's: one normal worker, one controller that lets loopback in
# without a password, console logging, and Bayes on sqlite3 (no Redis) learning from the first
# message. Its database directory is kept between starts: a cold start compiles caches there
# (15-25 s), a warm one takes about a second. Installs Debian's rspamd when it is missing; rspamd
# refuses to run its workers as root, so they run as _rspamd.
set -euo pipefail

PORT="${MAILCTL_RSPAMD_PORT:-55333}"
CPORT="${MAILCTL_RSPAMD_CONTROLLER_PORT:-55334}"
STATE="${MAILCTL_PEER_STATE:-/tmp/mailctl-peers}"
DIR="$STATE/rspamd"
DB="$STATE/rspamd-db"
PIDFILE="$DIR/rspamd.pid.ours"
NAME=rspamd
MATCH=rspamd
LOGFILE="$DIR/rspamd.log"
# shellcheck source=scripts/lib-peer.sh
. "$(dirname "$0")/lib-peer.sh"

# Both workers answer `GET /ping` with "pong" and a CRLF.
ready() {
    [[ "$(curl -s -m 2 "http://127.0.0.1:$PORT/ping" 2>/dev/null || true)" == pong* ]] &&
        [[ "$(curl -s -m 2 "http://127.0.0.1:$CPORT/ping" 2>/dev/null || true)" == pong* ]]
}

case "${1:-start}" in
start)
    reserve_ports "$PORT" "$CPORT"
    command -v rspamd >/dev/null || apt_install rspamd
    command -v curl >/dev/null || apt_install curl
    mkdir -p "$STATE"
    if ! { running_pid >/dev/null && ready; }; then
        stop_server
        rm -rf "$DIR"
        mkdir -p "$DIR/local/override.d" "$DIR/local/local.d" "$DIR/run" "$DIR/log" "$DB"
        cat >"$DIR/rspamd.conf" <<CONF
.include "\$CONFDIR/common.conf"
options {
    pidfile = "\$RUNDIR/rspamd.pid";
    .include "\$CONFDIR/options.inc"
}
logging {
    type = "console";
    level = "warning";
}
worker "normal" {
    bind_socket = "127.0.0.1:$PORT";
    .include "\$CONFDIR/worker-normal.inc"
    count = 1;
}
worker "controller" {
    bind_socket = "127.0.0.1:$CPORT";
    .include "\$CONFDIR/worker-controller.inc"
    count = 1;
    secure_ip = "127.0.0.1";
}
CONF
        cat >"$DIR/local/override.d/classifier-bayes.conf" <<CONF
backend = "sqlite3";
cache {
    type = "sqlite3";
    path = "$DB/learn_cache.sqlite";
}
min_learns = 1;
statfile {
    symbol = "BAYES_HAM";
    spam = false;
    path = "$DB/bayes.ham.sqlite";
}
statfile {
    symbol = "BAYES_SPAM";
    spam = true;
    path = "$DB/bayes.spam.sqlite";
}
CONF
        # A rule of our own, for the test of rspamd's "add header" action: a message with the
        # header `X-Mailctl-Test: add-header` scores 9, between add header (6) and reject (15).
        echo "add-header" >"$DIR/local/mailctl-test.map"
        cat >"$DIR/local/local.d/multimap.conf" <<CONF
MAILCTL_TEST_ADD_HEADER {
    type = "header";
    header = "X-Mailctl-Test";
    map = "$DIR/local/mailctl-test.map";
    score = 9.0;
    description = "mailctl's filter tests: a message rspamd marks add header";
}
CONF
        chown -R _rspamd:_rspamd "$DIR" "$DB" 2>/dev/null || chmod -R 777 "$DIR" "$DB"
        launch 90 ready rspamd -f -u _rspamd -g _rspamd -c "$DIR/rspamd.conf" \
            --var="LOCAL_CONFDIR=$DIR/local" --var="DBDIR=$DB" --var="RUNDIR=$DIR/run" \
            --var="LOGDIR=$DIR/log" || give_up
    fi
    echo "127.0.0.1:$PORT 127.0.0.1:$CPORT"
    ;;
status) running_pid >/dev/null && ready ;;
stop) stop_server ;;
*)
    echo "usage: $0 start|status|stop" >&2
    exit 64
    ;;
esac
