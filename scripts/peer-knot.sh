#!/usr/bin/env bash
# Start (or stop) a throwaway Knot DNS authoritative server on 127.0.0.1 for the DNS tests.
#   scripts/peer-knot.sh start   # prints "127.0.0.1:PORT KEYFILE": the server, and a BIND-format
#                                # TSIG key file (key "mailctl-test", hmac-sha256) for
#                                # MAILCTL_TEST_KNOT and MAILCTL_TEST_KNOT_KEY
#   scripts/peer-knot.sh stop
#   scripts/peer-knot.sh reset ZONE   # remove every record but the SOA, NS and ns1's address
# Serves 24 empty zones z01.knot.test. … z24.knot.test., example.test. and the reverse zone of
# 192.0.2.0/24, 2.0.192.in-addr.arpa. (SOA serial 1, NS ns1.ZONE, ns1.ZONE A 127.0.0.1). Only the TSIG key may update (RFC 2136) or transfer (AXFR/IXFR); unsigned
# requests get NOTAUTH/REFUSED. A second key beside it, update-only.key ("mailctl-update-only"),
# may update but not transfer. Updates live in the journal (zone files are never rewritten), and
# every start that is not a no-op begins from clean zones. Tests can change a record behind the
# tool's back with `knotc -c $STATE/knot/knot.conf zone-begin|zone-set|zone-commit ZONE ...`.
# Installs Debian's knot, knot-dnsutils and bind9-dnsutils (dig, nsupdate) when they are missing.
set -euo pipefail

PORT="${MAILCTL_KNOT_PORT:-55353}"
STATE="${MAILCTL_PEER_STATE:-/tmp/mailctl-peers}"
DIR="$STATE/knot"
CONF="$DIR/knot.conf"
PIDFILE="$DIR/knotd.pid"
NAME=knot
MATCH=knotd
LOGFILE="$DIR/knotd.log"
# shellcheck source=scripts/lib-peer.sh
. "$(dirname "$0")/lib-peer.sh"
KEYFILE="$DIR/tsig.key"
KEYNAME="mailctl-test"

# The server answers SOA for z01.knot.test. (enough to tell it is up).
answers() {
    [ -n "$(dig @127.0.0.1 -p "$PORT" SOA z01.knot.test +short +time=1 +tries=1 2>/dev/null || true)" ]
}

# Every zone is loaded and the control socket takes commands: the server is ready for the tests.
ready() {
    local q=() z
    for z in "${zones[@]}"; do q+=(SOA "$z"); done
    [ "$(dig @127.0.0.1 -p "$PORT" +short +time=1 +tries=1 "${q[@]}" 2>/dev/null | grep -c ' 1 3600 ' || true)" = "${#zones[@]}" ] &&
        knotc -c "$CONF" -t 1 status >/dev/null 2>&1
}

install_tools() {
    local need=()
    { command -v knotd && command -v knotc && command -v keymgr; } >/dev/null || need+=(knot)
    command -v kdig >/dev/null || need+=(knot-dnsutils)
    command -v dig >/dev/null || need+=(bind9-dnsutils)
    command -v nsupdate >/dev/null || need+=(bind9-dnsutils)
    [ ${#need[@]} -eq 0 ] || apt_install "${need[@]}"
}

write_zone() { # ZONE (without the trailing dot)
    cat >"$DIR/zones/$1.zone" <<EOF
\$ORIGIN $1.
\$TTL 300
@    SOA ns1.$1. hostmaster.$1. 1 3600 600 86400 300
@    NS  ns1.$1.
ns1  A   127.0.0.1
EOF
}

zones=()
for i in $(seq -w 1 24); do zones+=("z$i.knot.test"); done
zones+=(example.test 2.0.192.in-addr.arpa)

case "${1:-start}" in
start)
    reserve_ports "$PORT"
    install_tools
    mkdir -p "$STATE"
    if running_pid >/dev/null && answers; then
        : # already running: leave it as it is
    else
        stop_server knotc -c "$CONF" -t 5 stop # a knotd of ours that is alive but not answering
        rm -rf "$DIR"
        mkdir -p "$DIR/zones" "$DIR/db"

        # The TSIG key, for Knot's config and as tsig-keygen writes it for dig -k / nsupdate -k.
        secret="$(keymgr -t "$KEYNAME" hmac-sha256 2>/dev/null | sed -n 's/^ *secret: *//p' || true)"
        [ -n "$secret" ] || secret="$(head -c 32 /dev/urandom | base64)"
        (
            umask 077
            printf 'key "%s" {\n\talgorithm hmac-sha256;\n\tsecret "%s";\n};\n' "$KEYNAME" "$secret" >"$KEYFILE"
        )
        chmod 600 "$KEYFILE"
        # A second key that may update but not transfer (as many BIND set-ups have it).
        secret2="$(head -c 32 /dev/urandom | base64)"
        (
            umask 077
            printf 'key "%s" {\n\talgorithm hmac-sha256;\n\tsecret "%s";\n};\n' "mailctl-update-only" "$secret2" >"$DIR/update-only.key"
        )

        for z in "${zones[@]}"; do write_zone "$z"; done

        {
            knot_conf_head "$PORT" "$DIR"
            cat <<EOF

key:
  - id: $KEYNAME
    algorithm: hmac-sha256
    secret: $secret
  - id: mailctl-update-only
    algorithm: hmac-sha256
    secret: $secret2

acl:
  - id: tsig
    key: $KEYNAME
    action: [update, transfer]
  - id: update-only
    key: mailctl-update-only
    action: [update]

template:
  - id: default
    storage: $DIR/zones
    file: "%s.zone"
    semantic-checks: off
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: all
    acl: [tsig, update-only]

zone:
EOF
            for z in "${zones[@]}"; do echo "  - domain: $z."; done
        } >"$CONF"
        chmod 600 "$CONF" # it holds the TSIG secret too
        knotc -c "$CONF" conf-check >/dev/null

        launch 10 ready knotd -c "$CONF" || give_up knotc -c "$CONF" -t 5 stop
    fi
    echo "127.0.0.1:$PORT $KEYFILE"
    ;;
status)
    running_pid >/dev/null && answers
    ;;
stop)
    stop_server knotc -c "$CONF" -t 5 stop
    ;;
reset)
    # Back to the zone `start` made (SOA, NS, ns1's A), so a test or a benchmark can run again
    # against a long-lived server.
    zone="${2:?usage: $0 reset ZONE}"
    rr=$(knotc -c "$CONF" zone-read "$zone" | awk -v apex="$zone." -v ns1="ns1.$zone." \
        '$2 != ns1 && !($2 == apex && ($4 == "SOA" || $4 == "NS")) {print $2, $4}' | sort -u)
    if [ -n "$rr" ]; then
        knotc -c "$CONF" zone-begin "$zone" >/dev/null
        while read -r name type; do knotc -c "$CONF" zone-unset "$zone" "$name" "$type" >/dev/null; done <<<"$rr"
        knotc -c "$CONF" zone-commit "$zone" >/dev/null
    fi
    ;;
*)
    echo "usage: $0 start|status|stop|reset ZONE" >&2
    exit 64
    ;;
esac
