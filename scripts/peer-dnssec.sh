#!/usr/bin/env bash
# Start (or stop) a DNSSEC-validating resolver for the DANE tests: Knot signs, Unbound validates.
#   scripts/peer-dnssec.sh start   # prints "127.0.0.1:PORT CONF" for MAILCTL_TEST_DNSSEC: the
#                                  # validating resolver, and the signing Knot's config, for
#                                  # `knotc -c CONF zone-begin|zone-set|zone-commit ZONE ...`
#   scripts/peer-dnssec.sh stop
# Knot (on 127.0.0.1:55356) serves dane1.test. and dane2.test. signed (ECDSA P-256, NSEC), and
# plain1.test., plain2.test., sts.test., sts1.test. and sts2.test. unsigned; each DANE test run
# uses the "1" or "2" pair of its backend, the MTA-STS fetch test sts.test, the MTA-STS delivery
# tests sts1.test or sts2.test.
# Unbound (on 127.0.0.1:55357) trusts the signed zones' DS (read from keymgr once Knot has
# signed them) and stubs every zone to Knot: answers from a signed zone carry the AD flag, answers
# from an unsigned one do not, and a record committed with knotc is signed at once. Negative
# answers are not cached, and positive ones for at most 1 s, so a record a test adds is seen at
# once. Installs Debian's knot, unbound and bind9-dnsutils (dig) when they are missing.
set -euo pipefail

KPORT="${MAILCTL_DNSSEC_KNOT_PORT:-55356}"
PORT="${MAILCTL_DNSSEC_PORT:-55357}"
STATE="${MAILCTL_PEER_STATE:-/tmp/mailctl-peers}"
DIR="$STATE/dnssec"
CONF="$DIR/knot.conf"
UCONF="$DIR/unbound.conf"
NAME=dnssec
# shellcheck source=scripts/lib-peer.sh
. "$(dirname "$0")/lib-peer.sh"

signed=(dane1.test dane2.test)
plain=(plain1.test plain2.test sts.test sts1.test sts2.test)

# The two servers are each started with lib-peer's helpers: these switch between them.
as_knot() { PIDFILE="$DIR/knotd.pid" MATCH=knotd LOGFILE="$DIR/knotd.log"; }
as_unbound() { PIDFILE="$DIR/unbound.pid" MATCH=unbound LOGFILE="$DIR/unbound.log"; }

# Knot answers with a signed SOA for every signed zone.
knot_ready() {
    local z
    for z in "${signed[@]}"; do
        dig @127.0.0.1 -p "$KPORT" +dnssec +time=1 +tries=1 SOA "$z" 2>/dev/null | grep -q RRSIG || return 1
    done
    knotc -c "$CONF" -t 1 status >/dev/null 2>&1
}

# Unbound validates: the SOA of a signed zone comes back with the AD flag.
unbound_ready() {
    dig @127.0.0.1 -p "$PORT" +dnssec +time=1 +tries=1 SOA "${signed[0]}" 2>/dev/null | grep -q 'flags:.* ad'
}

write_zone() { # ZONE
    cat >"$DIR/zones/$1.zone" <<EOF
\$ORIGIN $1.
\$TTL 1
@    SOA ns1.$1. hostmaster.$1. 1 3600 600 86400 1
@    NS  ns1.$1.
ns1  A   127.0.0.1
EOF
}

case "${1:-start}" in
start)
    reserve_ports "$KPORT" "$PORT"
    need=()
    { command -v knotd && command -v knotc && command -v keymgr; } >/dev/null || need+=(knot)
    command -v unbound >/dev/null || need+=(unbound)
    command -v dig >/dev/null || need+=(bind9-dnsutils)
    [ ${#need[@]} -eq 0 ] || apt_install "${need[@]}"
    # Debian's unbound package may start a system unbound on port 53: ours has its own port.
    mkdir -p "$STATE"
    as_unbound
    if running_pid >/dev/null && unbound_ready; then
        echo "127.0.0.1:$PORT $CONF"
        exit 0
    fi
    stop_server
    as_knot
    stop_server knotc -c "$CONF" -t 5 stop
    rm -rf "$DIR"
    mkdir -p "$DIR/zones" "$DIR/db"
    for z in "${signed[@]}" "${plain[@]}"; do write_zone "$z"; done
    {
        knot_conf_head "$KPORT" "$DIR"
        cat <<EOF

policy:
  - id: test
    algorithm: ecdsap256sha256
    nsec3: off
    rrsig-lifetime: 14d
    rrsig-refresh: 7d

template:
  - id: default
    storage: $DIR/zones
    file: "%s.zone"
    semantic-checks: off
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: all

zone:
EOF
        for z in "${signed[@]}"; do printf '  - domain: %s.\n    dnssec-signing: on\n    dnssec-policy: test\n' "$z"; done
        for z in "${plain[@]}"; do printf '  - domain: %s.\n' "$z"; done
    } >"$CONF"
    knotc -c "$CONF" conf-check >/dev/null
    launch 20 knot_ready knotd -c "$CONF" || give_up knotc -c "$CONF" -t 5 stop

    {
        cat <<EOF
server:
    interface: 127.0.0.1@$PORT
    port: $PORT
    do-daemonize: no
    username: ""
    chroot: ""
    directory: "$DIR"
    pidfile: "$DIR/unbound.pid.own"
    use-syslog: no
    logfile: ""
    verbosity: 1
    do-ip6: no
    do-not-query-localhost: no
    module-config: "validator iterator"
    local-zone: "test." nodefault
    cache-max-negative-ttl: 0
    cache-max-ttl: 1
    aggressive-nsec: no
    val-log-level: 2
EOF
        for z in "${signed[@]}"; do
            ds="$(keymgr -c "$CONF" "$z." ds | grep ' DS ' | head -n1)"
            [ -n "$ds" ] || { log "no DS for $z"; exit 1; }
            echo "    trust-anchor: \"$ds\""
        done
        for z in "${signed[@]}" "${plain[@]}"; do
            printf 'stub-zone:\n    name: "%s."\n    stub-addr: 127.0.0.1@%s\n' "$z" "$KPORT"
        done
        cat <<EOF
remote-control:
    control-enable: no
EOF
    } >"$UCONF"
    as_unbound
    launch 10 unbound_ready unbound -d -c "$UCONF" || give_up
    echo "127.0.0.1:$PORT $CONF"
    ;;
status)
    as_unbound
    running_pid >/dev/null && unbound_ready
    ;;
stop)
    as_unbound
    stop_server
    as_knot
    stop_server knotc -c "$CONF" -t 5 stop
    ;;
*)
    echo "usage: $0 start|status|stop" >&2
    exit 64
    ;;
esac
