#!/usr/bin/env bash
# The wall time of a full ACME issuance against Pebble (account reused, new order, challenge,
# validation, finalization, download, atomic install) for each challenge type, median of RUNS;
# and `cert renew` with nothing due: its time and the network connections it makes (counted
# with strace: the target is none).
# Starts the peers it needs (scripts/peer-knot.sh, scripts/peer-pebble.sh) and stops what it started.
set -euo pipefail
cd "$(dirname "$0")/.."
WORK="${WORK:-/tmp/mailctl-cert-bench}"
. bench/lib.sh
command -v strace >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -q strace >/dev/null

need_peer knot knot
need_peer pebble pebble
read -r KNOT KNOT_KEY <<<"$knot"
read -r DIR CA _ <<<"$pebble"

# The mail host mail.z22.knot.test resolves to 127.0.0.1 for Pebble (through Knot).
ZONE=z22.knot.test
scripts/peer-knot.sh reset "$ZONE"
cd "$WORK"
"$BIN" init --domain "$ZONE" --ipv4 127.0.0.1 -q >/dev/null
"$BIN" config set dns_provider rfc2136 -q
"$BIN" config set dns_server "$KNOT" -q
"$BIN" config set dns_tsig_key "$KNOT_KEY" -q
"$BIN" dns publish --yes -q >/dev/null
# The account is made once, as in real use.
"$BIN" cert issue --directory "$DIR" --ca-root "$CA" --http-listen 127.0.0.1:55080 -q >/dev/null

echo "median of $RUNS issuances each, against Pebble 2.4 (5% bad nonces, no authorization reuse)"
for challenge in http-01 tls-alpn-01 dns-01; do
    times=()
    for _ in $(seq "$RUNS"); do
        t0=$(date +%s.%N)
        "$BIN" cert issue --challenge "$challenge" --directory "$DIR" --ca-root "$CA" \
            --http-listen 127.0.0.1:55080 --tls-listen 127.0.0.1:55443 --resolver "$KNOT" -q >/dev/null
        t1=$(date +%s.%N)
        times+=("$(ms "$t0" "$t1" 0)")
    done
    printf '  cert issue --challenge %-12s %6s ms\n' "$challenge" "$(printf '%s\n' "${times[@]}" | median)"
done
t0=$(date +%s.%N)
"$BIN" cert renew -q
t1=$(date +%s.%N)
connects=$(strace -f -e trace=connect -o "$WORK/strace.log" "$BIN" cert renew -q && grep -c 'connect(' "$WORK/strace.log" || true)
printf '  cert renew, nothing due:          %6s ms, %s connect() calls\n' "$(ms "$t0" "$t1" 0)" "$connects"
