#!/usr/bin/env bash
# Outbound queue: delivery rate to a local smtp-sink, and `queue list --json` on a big queue.
#
# 1. Writes MSGS (10,000) spool files of MSG_SIZE (4 KiB) for r@example.net, routed by a
#    transport to Postfix's smtp-sink on loopback, starts `mailctl serve` (which queues the
#    files at start, as after a restore) and times until the queue is empty: messages/second.
#    Every message is DKIM-signed (rsa-2048) on the way, as real outbound mail is.
# 2. Writes LIST_MSGS (100,000) spool files with delivery off, lets `serve` queue them, and
#    times `mailctl queue list --json` (median of REPEAT runs). Target: under 1 s.
#
# Usage (as root, Debian; installs postfix for smtp-sink if missing):  bash bench/queue.sh
# Environment: MSGS=10000 LIST_MSGS=100000 MSG_SIZE=4096 REPEAT=3 SINK_PORT=12626
#   MAILCTL_BIN=path (default target/release/mailctl, built when missing or stale)
#   BENCH_DIR=/tmp/mailctl-queue-bench (wiped at start)
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=${BENCH_DIR:-/tmp/mailctl-queue-bench}
MSGS=${MSGS:-10000}
LIST_MSGS=${LIST_MSGS:-100000}
MSG_SIZE=${MSG_SIZE:-4096}
REPEAT=${REPEAT:-3}
SINK_PORT=${SINK_PORT:-12626}
BIN=${MAILCTL_BIN:-$repo/target/release/mailctl}
case "$WORK" in /tmp/*) ;; *) echo "BENCH_DIR must be under /tmp" >&2; exit 2 ;; esac

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

if ! command -v smtp-sink >/dev/null && [ ! -x /usr/sbin/smtp-sink ]; then
    log "installing postfix (for smtp-sink)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q postfix >/dev/null
    systemctl stop postfix 2>/dev/null || true
fi
SINK=$(command -v smtp-sink || echo /usr/sbin/smtp-sink)
if [ -z "${MAILCTL_BIN:-}" ] && { [ ! -x "$BIN" ] || [ -n "$(find "$repo/src" -newer "$BIN" -name '*.rs' | head -1)" ]; }; then
    log "building mailctl (cargo build --release)"
    (cd "$repo" && cargo build --release -q)
fi

pids=()
cleanup() { for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

rm -rf "$WORK" && mkdir -p "$WORK"
cfg="$WORK/mailctl.toml"
m() { "$BIN" --config "$cfg" "$@"; }

setup() {
    rm -rf "$WORK/data" "$cfg"
    m init --domain example.com --data-dir "$WORK/data" >/dev/null 2>&1
    for kv in "smtp_listen 127.0.0.1:0" "submission_listen ''" "submissions_listen ''" "pop3_listen ''" \
              "pop3s_listen ''" "imap_listen ''" "imaps_listen ''" "dev_mode true"; do
        eval "m config set $kv" >/dev/null 2>&1
    done
    m config set outbound_delivery "$1" >/dev/null 2>&1
    m transport add example.net "[127.0.0.1]:$SINK_PORT" >/dev/null 2>&1
    m dkim generate --domain example.com --selector bench >/dev/null 2>&1
}

# Spool files in mailctl's format (bench/spool.py).
spool() { python3 "$repo/bench/spool.py" "$WORK/data/spool" "$1" "$MSG_SIZE"; }

queued() { sqlite3 "$WORK/data/mailctl.db" "SELECT COUNT(*) FROM queue" 2>/dev/null || echo -1; }

start_serve() {
    # The binary itself in the background (not the shell function), so its pid is the server's.
    "$BIN" --config "$cfg" serve >"$WORK/serve.out" 2>"$WORK/serve.err" &
    pids+=($!)
    for _ in $(seq 1 300); do grep -q '^  smtp ' "$WORK/serve.out" 2>/dev/null && return 0; sleep 0.1; done
    log "mailctl serve did not start"; cat "$WORK/serve.err" >&2; exit 1
}
stop_serve() { kill "${pids[-1]}" 2>/dev/null || true; wait "${pids[-1]}" 2>/dev/null || true; unset 'pids[-1]'; }

echo "machine: $(nproc) CPUs, $(uname -r)"
echo

# 1. Delivery rate.
"$SINK" -u nobody "127.0.0.1:$SINK_PORT" 1000 >/dev/null 2>&1 &
pids+=($!)
setup true
log "writing $MSGS spool files of $MSG_SIZE bytes"
spool "$MSGS"
log "starting mailctl serve; delivering to smtp-sink on 127.0.0.1:$SINK_PORT"
t0=$(date +%s.%N)
start_serve
deadline=$((SECONDS + 600))
while :; do
    n=$(queued)
    [ "$n" = 0 ] && break
    [ $SECONDS -gt $deadline ] && { log "timed out with $n queued"; exit 1; }
    sleep 0.2
done
t1=$(date +%s.%N)
stop_serve
left=$(ls "$WORK/data/spool/outbound" | wc -l)
rate=$(python3 -c "print(f'{$MSGS / ($t1 - $t0):.0f}')")
secs=$(python3 -c "print(f'{$t1 - $t0:.1f}')")
grep -c '"delivered"\|status="delivered"\|status=delivered' "$WORK/serve.err" >/dev/null || true
printf 'deliver %d queued %d-byte messages to smtp-sink: %s s, %s msg/s (spool files left: %s)\n' "$MSGS" "$MSG_SIZE" "$secs" "$rate" "$left"
[ "$left" = 0 ] || { echo "FAIL: spool files left"; exit 1; }

# 2. queue list with a big queue.
setup false
log "writing $LIST_MSGS spool files; serve queues them at start"
spool "$LIST_MSGS"
start_serve
stop_serve
n=$(queued)
[ "$n" = "$LIST_MSGS" ] || { echo "FAIL: $n queued, expected $LIST_MSGS"; exit 1; }
times=()
for _ in $(seq 1 "$REPEAT"); do
    s=$(date +%s.%N); m queue list --json >/dev/null; e=$(date +%s.%N)
    times+=("$(python3 -c "print($e - $s)")")
done
median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(( (REPEAT + 1) / 2 ))p")
printf 'queue list --json with %d queued: median %.0f ms over %d runs (target < 1000 ms)\n' "$LIST_MSGS" "$(python3 -c "print($median * 1000)")" "$REPEAT"
