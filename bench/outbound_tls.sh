#!/usr/bin/env bash
# Outbound TLS overhead: the queue's delivery rate to one local sink over a transport route
# pinned to `--tls none`, `encrypt` (TLS, any certificate) and `verify` (TLS, the certificate
# verified against tls_extra_roots for the host), in one run, and the ratio verify / none.
# Connections are reused (the worker keeps up to 20 per host), so the handshakes are few: the
# sink counts them, and the script reports the extra time per message and per handshake.
#
# The sink is bench/tls_sink.py (Python asyncio with STARTTLS; Postfix's smtp-sink has none),
# the same for every level. MSGS spool files of MSG_SIZE are queued, `serve` starts, and the time
# until the queue is empty is taken (median of RUNS). No DKIM key: signing would hide the TLS.
#
# Usage: bash bench/outbound_tls.sh      Environment: MSGS=5000 MSG_SIZE=4096 RUNS=3
set -euo pipefail
cd "$(dirname "$0")/.."
WORK="${BENCH_DIR:-/tmp/mailctl-outbound-tls-bench}"
case "$WORK" in /tmp/*) ;; *) echo "BENCH_DIR must be under /tmp" >&2; exit 2 ;; esac
RUNS="${RUNS:-3}"
MSGS="${MSGS:-5000}"
MSG_SIZE="${MSG_SIZE:-4096}"
# shellcheck source=bench/lib.sh
. bench/lib.sh

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
cfg="$WORK/mailctl.toml"
m() { "$BIN" --config "$cfg" "$@"; }

# A test CA and a sink certificate for 127.0.0.1 (the route names the host by address).
pki="$WORK/pki"
mkdir -p "$pki"
(
    cd "$pki"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj "/CN=bench CA" \
        -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign -keyout ca.key -out ca.pem 2>/dev/null
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=127.0.0.1" -keyout sink.key -out sink.csr 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1\n' >san.ext
    openssl x509 -req -in sink.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -extfile san.ext -out sink.pem 2>/dev/null
)

# One run: a fresh store with the route at LEVEL, MSGS queued, seconds until delivered; the
# sink's counts into $WORK/stats.json.
run() {
    local level=$1 port sink t0 t1
    rm -rf "$WORK/data" "$cfg" "$WORK/stats.json"
    m init --domain example.com --data-dir "$WORK/data" >/dev/null 2>&1
    for kv in "smtp_listen 127.0.0.1:0" "submission_listen ''" "submissions_listen ''" "pop3_listen ''" \
        "pop3s_listen ''" "imap_listen ''" "imaps_listen ''" "http_listen ''" "https_listen ''" \
        "metrics_listen ''" "dev_mode true" "log_level warn" "tls_extra_roots $pki/ca.pem"; do
        eval "m config set $kv" >/dev/null
    done
    python3 bench/tls_sink.py "$pki/sink.pem" "$pki/sink.key" "$WORK/stats.json" >"$WORK/sink.port" &
    sink=$!
    for _ in $(seq 1 50); do [ -s "$WORK/sink.port" ] && break; sleep 0.1; done
    port=$(cat "$WORK/sink.port")
    m transport add example.net "[127.0.0.1]:$port" --tls "$level" >/dev/null 2>&1
    python3 bench/spool.py "$WORK/data/spool" "$MSGS" "$MSG_SIZE"
    t0=$(date +%s.%N)
    "$BIN" --config "$cfg" serve >"$WORK/serve.out" 2>"$WORK/serve.err" &
    local serve=$!
    local deadline=$((SECONDS + 600))
    while [ "$(ls "$WORK/data/spool/outbound" 2>/dev/null | wc -l)" != 0 ]; do
        [ $SECONDS -gt $deadline ] && { log "timed out"; kill $serve $sink; exit 1; }
        sleep 0.05
    done
    t1=$(date +%s.%N)
    kill $serve; wait $serve 2>/dev/null || true
    kill $sink; wait $sink 2>/dev/null || true
    python3 -c "import json,sys; s=json.load(open(sys.argv[1])); assert s['messages']==int(sys.argv[2]), s" \
        "$WORK/stats.json" "$MSGS" || { log "the sink did not get every message"; exit 1; }
    python3 -c "print($t1 - $t0)"
}

echo "machine: $(nproc) CPUs, $(uname -r); $MSGS messages of $MSG_SIZE bytes per run, median of $RUNS"
declare -A secs tls conns
for level in none encrypt verify; do
    times=()
    for _ in $(seq 1 "$RUNS"); do
        times+=("$(run "$level")")
    done
    secs[$level]=$(printf '%s\n' "${times[@]}" | median)
    tls[$level]=$(python3 -c "import json; print(json.load(open('$WORK/stats.json'))['tls'])")
    conns[$level]=$(python3 -c "import json; print(json.load(open('$WORK/stats.json'))['connections'])")
    printf '%-8s %6.0f msg/s  (%.2f s; %s connections, %s TLS handshakes)\n' "$level" \
        "$(python3 -c "print($MSGS / ${secs[$level]})")" "${secs[$level]}" "${conns[$level]}" "${tls[$level]}"
done
python3 - "${secs[none]}" "${secs[verify]}" "$MSGS" "${tls[verify]}" <<'PY'
import sys
none, verify, msgs, handshakes = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
print(f"verify / none: {none / verify:.2f} of the rate without TLS (target >= 0.80)")
extra = verify - none
print(f"TLS costs {extra / msgs * 1e6:.0f} us a message; {extra / max(handshakes, 1) * 1e3:.1f} ms per handshake if it were all handshakes ({handshakes} of them)")
PY
