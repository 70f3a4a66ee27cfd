#!/usr/bin/env bash
# `dns publish` of a domain's full record set (17 records: MX, A, AAAA, SPF x2, DKIM, DMARC,
# MTA-STS x2, TLS-RPT, 5 SRV, autoconfig, CAA) against moto's Route53, Knot (RFC 2136) and the
# Cloudflare fake; then a no-op re-run, whose provider requests must all be reads.
# Prints the median wall time of RUNS fresh zones per provider. Starts the peers it needs
# (scripts/peer-moto.sh, scripts/peer-knot.sh) and stops what it started.
set -euo pipefail
cd "$(dirname "$0")/.."
WORK="${WORK:-/tmp/mailctl-dns-bench}"
. bench/lib.sh

need_peer moto MOTO
need_peer knot knot
read -r KNOT KNOT_KEY <<<"$knot"
python3 tests/peers/cloudflare_fake.py --port 0 --token bench-token \
    $(for i in $(seq 1 "$RUNS"); do echo --zone "cf$i.bench.test"; done) >"$WORK/cf.out" 2>/dev/null &
CF_PID=$!
at_exit+=("kill $CF_PID 2>/dev/null")
for _ in $(seq 50); do grep -q READY "$WORK/cf.out" 2>/dev/null && break; sleep 0.1; done
CF="http://127.0.0.1:$(awk '/READY/{print $2}' "$WORK/cf.out")/client/v4"
export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench CLOUDFLARE_API_TOKEN=bench-token
R53_AUTH='Authorization: AWS4-HMAC-SHA256 Credential=bench/20260101/us-east-1/route53/aws4_request, SignedHeaders=host, Signature=00'

# A mailctl instance for a zone, with addresses and a DKIM key.
instance() { # dir zone
    mkdir -p "$1"
    (cd "$1" && "$BIN" init --domain "$2" --hostname "mail.$2" --ipv4 192.0.2.10 --ipv6 2001:db8::10 -q >/dev/null &&
        "$BIN" dkim generate --domain "$2" -q >/dev/null)
}
summary() { # the --json report -> "N reads, N writes, N changes"
    python3 -c 'import json,sys; d=json.loads(sys.argv[1]); r=d["requests"]; n=sum(len(z["changes"]) for z in d["zones"]); print(r["reads"], "reads,", r["writes"], "writes,", n, "changes")' "$1"
}

# A fresh zone for run $2 of provider $1: its name on stdout.
fresh_zone() {
    case "$1" in
    route53) # moto keeps zones while it runs: names of this run
        local zone="r53-$$-$2.bench.test"
        curl -s -X POST -H "$R53_AUTH" -H 'Content-Type: text/xml' "$MOTO/2013-04-01/hostedzone" \
            -d "<CreateHostedZoneRequest xmlns=\"https://route53.amazonaws.com/doc/2013-04-01/\"><Name>$zone.</Name><CallerReference>$zone</CallerReference></CreateHostedZoneRequest>" >/dev/null
        echo "$zone" ;;
    rfc2136) # Knot serves z01..z24.knot.test; the bench uses the last ones
        local zone
        zone=$(printf 'z%02d.knot.test' $((25 - $2)))
        scripts/peer-knot.sh reset "$zone"
        echo "$zone" ;;
    cloudflare) echo "cf$2.bench.test" ;;
    esac
}

bench() { # provider extra-args...
    local provider=$1
    shift
    local first=() again=() reqs=""
    for i in $(seq 1 "$RUNS"); do
        local zone dir="$WORK/$provider$i"
        zone=$(fresh_zone "$provider" "$i")
        instance "$dir" "$zone"
        local t0 t1 t2
        t0=$(date +%s.%N)
        (cd "$dir" && "$BIN" dns publish --provider "$provider" "$@" --yes -q >/dev/null)
        t1=$(date +%s.%N)
        out=$(cd "$dir" && "$BIN" dns publish --provider "$provider" "$@" --yes -q --json)
        t2=$(date +%s.%N)
        first+=("$(ms "$t0" "$t1")")
        again+=("$(ms "$t1" "$t2")")
        reqs=$(summary "$out")
    done
    printf '%-10s publish 17 records: %7s ms   no-op re-run: %7s ms (%s)\n' "$provider" \
        "$(printf '%s\n' "${first[@]}" | median)" "$(printf '%s\n' "${again[@]}" | median)" "$reqs"
}

echo "median of $RUNS fresh zones each (wall time of the whole command, including start-up)"
bench route53 --endpoint "$MOTO"
bench rfc2136 --server "$KNOT" --tsig-key "$KNOT_KEY"
bench cloudflare --endpoint "$CF"
