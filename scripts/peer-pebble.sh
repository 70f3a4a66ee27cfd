#!/usr/bin/env bash
# Start (or stop) Pebble, Let's Encrypt's test ACME CA, on 127.0.0.1 for the ACME tests.
#   scripts/peer-pebble.sh start   # prints "DIRECTORY_URL CA_FILE MANAGEMENT_URL":
#                                  #   https://127.0.0.1:14000/dir $STATE/pebble/ca.pem https://127.0.0.1:15000
#                                  # for MAILCTL_TEST_PEBBLE_DIR, _CA and _MGMT
#   scripts/peer-pebble.sh stop
# CA_FILE is the root of a small CA made here for Pebble's own TLS listener (its leaf has SAN
# DNS:localhost,IP:127.0.0.1), for the client's --ca-root; the management port uses the same
# certificate. The CA that Pebble issues from is a different one, regenerated at every start:
# its root and intermediate are saved as $STATE/pebble/issuer-root.pem and issuer-intermediate.pem
# (also at MANAGEMENT_URL/roots/0 and /intermediates/0).
# Pebble validates HTTP-01 on port $MAILCTL_PEBBLE_HTTP_PORT (55080) and TLS-ALPN-01 on
# $MAILCTL_PEBBLE_TLS_PORT (55443) of the address the name resolves to, and resolves names (A and
# _acme-challenge TXT records) only through $MAILCTL_PEBBLE_DNS: by default the Knot server of
# scripts/peer-knot.sh, which is started first when it is not running.
# Runs with PEBBLE_VA_NOSLEEP=1 (no random sleeps before validation). Pebble rejects 5% of good
# nonces with badNonce unless MAILCTL_PEBBLE_NONCEREJECT (a percentage) says otherwise.
# MAILCTL_PEBBLE_VALIDITY sets the issued certificates' validity in seconds (Pebble's default is
# 5 years; an order's own notAfter is honoured too). Pebble keeps everything in memory: every
# start that is not a no-op begins with no accounts, no orders and a new issuing CA.
# Installs Debian's pebble (and openssl, curl) when missing.
set -euo pipefail

PORT="${MAILCTL_PEBBLE_PORT:-14000}"
MGMT_PORT="${MAILCTL_PEBBLE_MGMT_PORT:-15000}"
HTTP_PORT="${MAILCTL_PEBBLE_HTTP_PORT:-55080}"
TLS_PORT="${MAILCTL_PEBBLE_TLS_PORT:-55443}"
DNS="${MAILCTL_PEBBLE_DNS:-}"
STATE="${MAILCTL_PEER_STATE:-/tmp/mailctl-peers}"
DIR="$STATE/pebble"
PIDFILE="$DIR/pebble.pid"
NAME=pebble
MATCH=pebble
LOGFILE="$DIR/pebble.log"
# shellcheck source=scripts/lib-peer.sh
. "$(dirname "$0")/lib-peer.sh"
CONF="$DIR/pebble-config.json"
DIR_URL="https://127.0.0.1:$PORT/dir"
MGMT_URL="https://127.0.0.1:$MGMT_PORT"
HERE="$(cd "$(dirname "$0")" && pwd)"

# The ACME directory answers over TLS that verifies against our listener CA.
answers() {
    [ -f "$DIR/ca.pem" ] &&
        curl -fsS -o /dev/null -m 2 --cacert "$DIR/ca.pem" "$DIR_URL" >/dev/null 2>&1
}

answers_and_issuer() { answers && fetch_issuer; }

# Saves the issuing CA's root and intermediate from the management port (it may start listening
# a moment after the ACME port).
fetch_issuer() {
    local what
    for what in root:roots intermediate:intermediates; do
        curl -fsS -m 2 --cacert "$DIR/ca.pem" -o "$DIR/issuer-${what%%:*}.pem.tmp" \
            "$MGMT_URL/${what#*:}/0" 2>/dev/null || return 1
        grep -q 'BEGIN CERTIFICATE' "$DIR/issuer-${what%%:*}.pem.tmp" || return 1
        mv "$DIR/issuer-${what%%:*}.pem.tmp" "$DIR/issuer-${what%%:*}.pem"
    done
}

install_tools() {
    local need=()
    command -v pebble >/dev/null || need+=(pebble)
    command -v openssl >/dev/null || need+=(openssl)
    command -v curl >/dev/null || need+=(curl)
    [ ${#need[@]} -eq 0 ] || apt_install "${need[@]}"
}

# A small CA of our own (ca.pem) and the listener's certificate signed by it (cert.pem, key.pem).
make_certs() {
    (
        umask 077
        openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -sha256 \
            -keyout "$DIR/ca.key" -out "$DIR/ca.pem" -days 3650 \
            -subj "/CN=mailctl test Pebble listener CA" \
            -addext "basicConstraints=critical,CA:TRUE" \
            -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
        openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -sha256 \
            -keyout "$DIR/key.pem" -out "$DIR/cert.csr" -subj "/CN=localhost" 2>/dev/null
        cat >"$DIR/cert.ext" <<EOF
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost,IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF
        openssl x509 -req -in "$DIR/cert.csr" -CA "$DIR/ca.pem" -CAkey "$DIR/ca.key" \
            -CAcreateserial -days 825 -sha256 -extfile "$DIR/cert.ext" -out "$DIR/cert.pem" 2>/dev/null
    )
    chmod 644 "$DIR/ca.pem" "$DIR/cert.pem"
    rm -f "$DIR/cert.csr" "$DIR/cert.ext" "$DIR/ca.srl"
}

# Pebble's config, from Debian's example (/usr/share/doc/pebble/examples/pebble-config.json).
# Pebble 2.4 reads no other keys than these, domainBlocklist and the EAB ones (no retryAfter, no
# profiles, no ARI settings); JSON keys match its Go field names case-insensitively.
write_config() {
    local validity=""
    if [ -n "${MAILCTL_PEBBLE_VALIDITY:-}" ]; then
        validity="$(printf ',\n    "certificateValidityPeriod": %d' "$MAILCTL_PEBBLE_VALIDITY")"
    fi
    cat >"$CONF" <<EOF
{
  "pebble": {
    "listenAddress": "127.0.0.1:$PORT",
    "managementListenAddress": "127.0.0.1:$MGMT_PORT",
    "certificate": "$DIR/cert.pem",
    "privateKey": "$DIR/key.pem",
    "httpPort": $HTTP_PORT,
    "tlsPort": $TLS_PORT,
    "ocspResponderURL": "",
    "externalAccountBindingRequired": false$validity
  }
}
EOF
}

case "${1:-start}" in
start)
    reserve_ports "$PORT" "$MGMT_PORT" "$HTTP_PORT" "$TLS_PORT"
    install_tools
    mkdir -p "$STATE"
    if running_pid >/dev/null && answers; then
        # already running: leave it as it is (the issuer files are refreshed if missing)
        [ -s "$DIR/issuer-root.pem" ] && [ -s "$DIR/issuer-intermediate.pem" ] || fetch_issuer ||
            log "could not fetch the issuing CA from $MGMT_URL"
    else
        # The resolver Pebble validates with: Knot unless told otherwise (a no-op when it runs).
        if [ -z "$DNS" ]; then
            "$HERE/peer-knot.sh" start >/dev/null
            DNS="127.0.0.1:${MAILCTL_KNOT_PORT:-55353}"
        fi
        stop_server # a pebble of ours that is alive but not answering
        rm -rf "$DIR"
        mkdir -p "$DIR"
        make_certs
        write_config

        # No reuse of valid authorizations (Pebble's default is 50%): each test must really
        # answer the challenge it names. MAILCTL_PEBBLE_AUTHZREUSE overrides.
        env_args=(PEBBLE_VA_NOSLEEP=1 "PEBBLE_AUTHZREUSE=${MAILCTL_PEBBLE_AUTHZREUSE:-0}")
        if [ -n "${MAILCTL_PEBBLE_NONCEREJECT:-}" ]; then
            env_args+=("PEBBLE_WFE_NONCEREJECT=$MAILCTL_PEBBLE_NONCEREJECT")
        fi
        # Ready: the ACME port, then the management port (the issuer's certificates).
        launch 15 answers_and_issuer env -u PEBBLE_WFE_NONCEREJECT -u PEBBLE_AUTHZREUSE "${env_args[@]}" \
            pebble -config "$CONF" -dnsserver "$DNS" -strict=false || give_up
    fi
    echo "$DIR_URL $DIR/ca.pem $MGMT_URL"
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
