#!/usr/bin/env bash
# Start (or stop) a throwaway SpamAssassin spamd on 127.0.0.1 for the filter tests.
#   scripts/peer-spamd.sh start   # prints "127.0.0.1:PORT" for MAILCTL_TEST_SPAMD
#   scripts/peer-spamd.sh stop
# Runs offline with the rules Debian ships (GTUBE scores 1000), learning allowed (--allow-tell)
# into a Bayes database of its own (a private --siteconfigpath: copies of /etc/spamassassin plus
# bayes_path), never /var/lib. Installs Debian's spamd and spamassassin when they are missing.
set -euo pipefail

PORT="${MAILCTL_SPAMD_PORT:-55783}"
STATE="${MAILCTL_PEER_STATE:-/tmp/mailctl-peers}"
DIR="$STATE/spamd"
PIDFILE="$DIR/spamd.pid"
NAME=spamd
MATCH=spamd
LOGFILE="$DIR/spamd.log"
# shellcheck source=scripts/lib-peer.sh
. "$(dirname "$0")/lib-peer.sh"

# `PING SPAMC/1.5` answers `SPAMD/1.5 0 PONG`.
ready() {
    local reply
    reply="$(timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT && printf 'PING SPAMC/1.5\r\n\r\n' >&3 && cat <&3" 2>/dev/null || true)"
    [[ $reply == *PONG* ]]
}

case "${1:-start}" in
start)
    reserve_ports "$PORT"
    command -v spamd >/dev/null && [ -d /etc/spamassassin ] || apt_install spamd spamassassin
    mkdir -p "$STATE"
    if ! { running_pid >/dev/null && ready; }; then
        stop_server
        rm -rf "$DIR"
        mkdir -p "$DIR/site" "$DIR/bayes"
        cp /etc/spamassassin/*.pre /etc/spamassassin/*.cf "$DIR/site/" 2>/dev/null || true
        printf 'bayes_path %s/bayes/bayes\nbayes_file_mode 0770\nuse_bayes 1\nbayes_auto_learn 0\n' "$DIR" >>"$DIR/site/local.cf"
        chown -R debian-spamd:debian-spamd "$DIR/bayes" 2>/dev/null || chmod 777 "$DIR/bayes"
        # Usually ready in a second; perl's start-up once took over 30 s here with nothing in
        # the log (a slow name lookup of this host is the likely cause), hence the long wait.
        launch 90 ready spamd -L --listen="127.0.0.1:$PORT" -u debian-spamd -g debian-spamd \
            --nouser-config --max-children=1 --allow-tell --siteconfigpath="$DIR/site" \
            --syslog=stderr || give_up
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
