#!/usr/bin/env bash
# SMTP inbound throughput: `mailctl serve` against a stock-ish Postfix on this machine.
#
# Both servers accept mail for bench@example.com on a loopback port and deliver it to a Maildir
# with fsync. smtp-source (from the postfix package) sends 4 KiB messages, one per connection,
# at 1, 20 and 100 parallel sessions. mailctl replies 250 only after the Maildir file is written
# and synced, so its accepted rate is its delivered rate; Postfix queues first and delivers
# later, so the script reports both its accepted and its delivered (in the Maildir) rate.
#
# Usage (as root, Debian 12; installs the postfix package if it is missing):
#   bash bench/smtp.sh
# Environment (all optional):
#   SESSIONS="1 20 100"   parallel smtp-source sessions to measure
#   MSGS=N                messages per run for every session count (overrides the two below)
#   MSGS_SINGLE=500       messages per run with 1 session
#   MSGS_PARALLEL=3000    messages per run with more than 1 session
#   MSG_SIZE=4096         message payload in bytes (smtp-source -l)
#   REPEAT=3              runs per session count and server; the table shows the median
#   QUIESCE=65            seconds waited (after a sync) before each run; see settle() below
#   RUN_WARMUP=20         messages sent to a server right before each run (not counted)
#   WARMUP=50             messages sent to each server before measuring (not counted)
#   MAILCTL_PORT=12525    POSTFIX_PORT=12526   loopback ports for the two servers
#   MAILCTL_BIN=path      mailctl binary (default: target/release/mailctl, built if missing
#                         or older than the sources)
#   BUILD=1               run `cargo build --release` even if the binary exists
#   BENCH_DIR=/tmp/mailctl-bench   work directory (wiped at start; must be under /tmp)
#   DELIVERY_TIMEOUT=120  seconds to wait for Postfix to deliver a run's messages
#   RUN_TIMEOUT=600       seconds one smtp-source run may take
#   FAIL_FAST=1           stop at the first failed check instead of finishing the table
#   INODES_WARN=300000    warn when the kernel caches more inodes than this (see below)
#   VERIFY=1              also measure mailctl with sender verification on (issue 14): SPF,
#                         DKIM and DMARC records served by a Knot on KNOT_PORT (55363; started
#                         by scripts/peer-knot.sh in BENCH_DIR), every message DKIM-signed by
#                         dkimpy (the same file for all servers, smtp-source -F), at the
#                         session counts of VERIFY_SESSIONS (default "20"); reports the rate,
#                         its ratio to Postfix's delivered rate (target: >= 2x) and mailctl's
#                         CPU per message with and without verification (target: < 1 ms more).
#                         VERIFY=0 skips it (no Knot, no dkimpy).
# Exit status: 0 when every run delivered exactly the expected messages, 1 otherwise.
# On ext4 without a journal (this machine's /), creating a file scans past every inode of its
# group freed in the last 60 s, 360 s while the inode table's block is dirty, which creating
# files beside it makes it again (recently_deleted() in the kernel), one by one: after a run
# that deleted tens of thousands of files (wiping BENCH_DIR, the IMAP benchmark's expunges),
# perf showed a third of both servers' CPU there, and rates 30-40% lower. Each run is
# therefore preceded by a sync and QUIESCE seconds; after deleting many files yourself, leave
# six minutes before starting.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=${BENCH_DIR:-/tmp/mailctl-bench}
SESSIONS=${SESSIONS:-"1 20 100"}
MSGS_SINGLE=${MSGS_SINGLE:-500}
MSGS_PARALLEL=${MSGS_PARALLEL:-3000}
MSG_SIZE=${MSG_SIZE:-4096}
WARMUP=${WARMUP:-50}
MAILCTL_PORT=${MAILCTL_PORT:-12525}
POSTFIX_PORT=${POSTFIX_PORT:-12526}
DELIVERY_TIMEOUT=${DELIVERY_TIMEOUT:-120}
REPEAT=${REPEAT:-3}
QUIESCE=${QUIESCE:-65}
RUN_WARMUP=${RUN_WARMUP:-20}
RUN_TIMEOUT=${RUN_TIMEOUT:-600}
FAIL_FAST=${FAIL_FAST:-0}
VERIFY=${VERIFY:-1}
# The python3 found before PATH is narrowed to the system's directories below (dkimpy may live
# in a virtualenv or pyenv).
PYTHON=${PYTHON:-$(command -v python3 || true)}
VERIFY_SESSIONS=${VERIFY_SESSIONS:-20}
KNOT_PORT=${KNOT_PORT:-55363}
INODES_WARN=${INODES_WARN:-300000}
default_bin=$repo/target/release/mailctl
MAILCTL_BIN=${MAILCTL_BIN:-$default_bin}

FROM=load@remote.example
RCPT=bench@example.com
HELO=client.remote.example

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf 'bench/smtp.sh: error: %s\n' "$*" >&2; exit 1; }
now() { date +%s.%N; }
# rate COUNT START END -> messages per second, one decimal
rate() { awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN { d = b - a; if (d <= 0) d = 1e-9; printf "%.1f", n / d }'; }
# Files in a Maildir folder (0 while it does not exist yet).
count_files() {
    if [[ -d $1 ]]; then find "$1" -maxdepth 1 -type f | wc -l; else echo 0; fi
}
is_uint() { [[ $1 =~ ^[0-9]+$ ]]; }

# ---------------------------------------------------------------- checks
[[ $(id -u) == 0 ]] || die "run as root (it installs postfix and runs a Postfix instance)"
for v in REPEAT QUIESCE RUN_WARMUP MSGS_SINGLE MSGS_PARALLEL MSG_SIZE WARMUP MAILCTL_PORT POSTFIX_PORT DELIVERY_TIMEOUT RUN_TIMEOUT INODES_WARN; do
    is_uint "${!v}" || die "$v must be a non-negative integer, got '${!v}'"
done
if [[ -n ${MSGS:-} ]]; then is_uint "$MSGS" && ((MSGS > 0)) || die "MSGS must be a positive integer"; fi
for s in $SESSIONS; do is_uint "$s" && ((s > 0)) || die "SESSIONS must be positive integers, got '$s'"; done
((REPEAT > 0)) || die "REPEAT must be at least 1"
[[ $MAILCTL_PORT != "$POSTFIX_PORT" ]] || die "MAILCTL_PORT and POSTFIX_PORT must differ"
case $WORK in
    /tmp/?*) ;;
    *) die "BENCH_DIR must be a directory under /tmp (it is wiped), got '$WORK'" ;;
esac
for tool in ss awk find timeout; do
    command -v "$tool" >/dev/null || die "'$tool' is not installed"
done

msgs_for() {
    if [[ -n ${MSGS:-} ]]; then echo "$MSGS"
    elif (($1 == 1)); then echo "$MSGS_SINGLE"
    else echo "$MSGS_PARALLEL"; fi
}

port_in_use() { [[ -n $(ss -ltnH "sport = :$1") ]]; }

# ---------------------------------------------------------------- postfix package
if [[ ! -x /usr/sbin/postfix || ! -x /usr/sbin/smtp-source ]]; then
    log "installing Debian's postfix package (for Postfix and smtp-source)"
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y -q postfix >"/tmp/mailctl-bench-apt.log" 2>&1; then
        apt-get update -q >>"/tmp/mailctl-bench-apt.log" 2>&1 || true
        apt-get install -y -q postfix >>"/tmp/mailctl-bench-apt.log" 2>&1 \
            || die "apt-get install postfix failed; see /tmp/mailctl-bench-apt.log"
    fi
    # The package may have started the default instance on port 25: this benchmark runs its
    # own instance, so stop that one.
    if ss -ltnpH 'sport = :25' | grep -q master; then
        log "stopping the default Postfix instance the package started on port 25"
        postfix stop >/dev/null 2>&1 || true
    fi
fi
[[ -x /usr/sbin/smtp-source ]] || die "/usr/sbin/smtp-source is missing after installing postfix"
PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH

# ---------------------------------------------------------------- mailctl binary
# Build when the binary is missing, when asked, or when the default binary is older than the
# sources (a stale binary would measure old code).
stale=
if [[ $MAILCTL_BIN == "$default_bin" && -x $MAILCTL_BIN ]]; then
    stale=$(find "$repo/src" "$repo/migrations" "$repo/Cargo.toml" "$repo/Cargo.lock" \
        -newer "$MAILCTL_BIN" -print -quit 2>/dev/null || true)
fi
if [[ ! -x $MAILCTL_BIN || ${BUILD:-0} == 1 || -n $stale ]]; then
    command -v cargo >/dev/null || die "cargo not found; cannot build $MAILCTL_BIN"
    log "building mailctl (cargo build --release)"
    cargo build --release --manifest-path "$repo/Cargo.toml" >&2 || die "cargo build failed"
fi
[[ -x $MAILCTL_BIN ]] || die "no mailctl binary at $MAILCTL_BIN"

# ---------------------------------------------------------------- state and cleanup
MC_DIR=$WORK/mailctl
MC_CFG=$MC_DIR/mailctl.toml
MC_NEW=$MC_DIR/data/mail/example.com/bench/new
PF_DIR=$WORK/postfix
PF_ETC=$PF_DIR/etc
PF_QUEUE=$PF_DIR/queue
PF_NEW=$PF_DIR/vmail/example.com/bench/new
PF_LOG=$WORK/postfix.log
mailctl_pid=
postfix_started=0
knot_started=0

mc() { "$MAILCTL_BIN" --config "$MC_CFG" "$@"; }

postfix_running() { postfix -c "$PF_ETC" status >/dev/null 2>&1; }

stop_postfix() {
    postfix -c "$PF_ETC" stop >/dev/null 2>&1 || true
    local i
    for ((i = 0; i < 150; i++)); do postfix_running || return 0; sleep 0.1; done
    log "Postfix did not stop in 15 s; aborting it"
    postfix -c "$PF_ETC" abort >/dev/null 2>&1 || true
}

stop_mailctl() {
    local pid=$1 i
    kill -TERM "$pid" 2>/dev/null || return 0
    for ((i = 0; i < 150; i++)); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
    log "mailctl (pid $pid) did not stop in 15 s after SIGTERM; killing it"
    kill -KILL "$pid" 2>/dev/null || true
}

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    if [[ -n $mailctl_pid ]]; then
        stop_mailctl "$mailctl_pid"
        wait "$mailctl_pid" 2>/dev/null || true
    fi
    if ((postfix_started)); then stop_postfix; fi
    if ((knot_started)); then
        MAILCTL_PEER_STATE="$WORK/peers" MAILCTL_KNOT_PORT="$KNOT_PORT" "$repo/scripts/peer-knot.sh" stop >/dev/null 2>&1 || true
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Leftovers of an earlier run that was killed before its own cleanup: only our own instances.
if [[ -f $PF_ETC/main.cf ]] && postfix_running; then
    log "stopping a Postfix instance left running by an earlier run ($PF_ETC)"
    stop_postfix
fi
if [[ -f $WORK/mailctl.pid ]]; then
    old=$(<"$WORK/mailctl.pid")
    if is_uint "$old" && [[ -r /proc/$old/cmdline ]] \
        && tr '\0' ' ' <"/proc/$old/cmdline" 2>/dev/null | grep -qF -- "$MC_CFG"; then
        log "stopping a mailctl left running by an earlier run (pid $old)"
        stop_mailctl "$old"
    fi
fi
rm -rf "$WORK"
mkdir -p "$WORK"
# Each server's files in block groups of their own, as on a machine that runs one of them:
# ext4 places a new file in its directory's flex group (16 block groups), and a directory
# beside its parent, so both servers' files shared one group, and every message file mailctl
# created scanned past whatever that group had freed in the minutes before (the header says
# why): the queue files Postfix frees, one per message. In one run after files had been
# deleted nearby, perf showed half of mailctl's CPU there (2,651 msg/s; 5,117 in the next run,
# apart). Below a directory marked T (chattr +T: a top of directory hierarchies, like /home),
# ext4 spreads the subdirectories over the file system: mailctl's and Postfix's trees start in
# groups of their own. Postfix's queue and Maildir stay together (one tree), as in its
# installations.
chattr +T "$WORK" 2>/dev/null || log "note: cannot mark $WORK chattr +T (not ext4?): both servers' files may share block groups"
mkdir -p "$WORK/logs" "$MC_DIR" "$PF_ETC" "$PF_QUEUE" "$PF_DIR/data" "$PF_DIR/vmail"
chmod 755 "$WORK" "$PF_DIR"

for p in "$MAILCTL_PORT" "$POSTFIX_PORT"; do
    port_in_use "$p" && die "port $p is already in use on this machine (set MAILCTL_PORT/POSTFIX_PORT)"
done

# ---------------------------------------------------------------- sender verification set-up
# The sender's domain is a Knot zone with SPF (this host), a DKIM key and DMARC p=reject
# (psd=n ends DMARC's walk up the tree: Knot refuses names outside its zones). Every server
# gets the same signed message and the same envelope, verification or not.
if ((VERIFY)); then
    "$PYTHON" -c 'import dkim' 2>/dev/null || "$PYTHON" -m pip install -q dkimpy >/dev/null 2>&1 \
        || die "VERIFY=1 needs dkimpy (pip install dkimpy), or run with VERIFY=0"
    command -v openssl >/dev/null || die "VERIFY=1 needs openssl"
    log "starting Knot on 127.0.0.1:$KNOT_PORT for SPF, DKIM and DMARC records"
    knot_out=$(MAILCTL_PEER_STATE="$WORK/peers" MAILCTL_KNOT_PORT="$KNOT_PORT" "$repo/scripts/peer-knot.sh" start) \
        || die "Knot did not start (scripts/peer-knot.sh)"
    knot_started=1
    KNOTC=(knotc -c "$WORK/peers/knot/knot.conf")
    ZONE=z01.knot.test
    openssl genrsa -out "$WORK/dkim.pem" 2048 2>/dev/null
    pub=$(openssl rsa -in "$WORK/dkim.pem" -pubout -outform DER 2>/dev/null | base64 -w0)
    dkim_txt=$(printf 'v=DKIM1; k=rsa; p=%s' "$pub" | fold -w 200 | sed 's/.*/"&"/' | tr '\n' ' ')
    "${KNOTC[@]}" zone-begin "$ZONE" >/dev/null
    "${KNOTC[@]}" zone-set "$ZONE" "$ZONE." 300 TXT '"v=spf1 ip4:127.0.0.1 -all"' >/dev/null
    "${KNOTC[@]}" zone-set "$ZONE" "sel._domainkey.$ZONE." 300 TXT "$dkim_txt" >/dev/null
    "${KNOTC[@]}" zone-set "$ZONE" "_dmarc.$ZONE." 300 TXT '"v=DMARC1; p=reject; psd=n"' >/dev/null
    "${KNOTC[@]}" zone-commit "$ZONE" >/dev/null
    FROM=load@$ZONE
    HELO=$ZONE
    MSG_FILE=$WORK/signed.eml
    # About MSG_SIZE bytes of body; LF line ends in the file (smtp-source sends CRLF).
    "$PYTHON" - "$WORK/dkim.pem" "$ZONE" "$FROM" "$RCPT" "$MSG_SIZE" "$MSG_FILE" <<'PY'
import sys, dkim
key, zone, frm, rcpt, size, out = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), sys.argv[6]
line = 'The quick brown fox jumps over the lazy dog, again and again and again.'
body = '\r\n'.join([line] * max(1, size // (len(line) + 2))) + '\r\n'
msg = (f'From: <{frm}>\r\nTo: <{rcpt}>\r\nSubject: signed load\r\nMessage-ID: <load@{zone}>\r\n'
       f'Date: Wed, 02 Dec 2026 12:00:00 +0000\r\n\r\n{body}').encode()
sig = dkim.sign(msg, b'sel', zone.encode(), open(key, 'rb').read(),
                include_headers=[b'from', b'to', b'subject', b'message-id', b'date'],
                canonicalize=(b'relaxed', b'relaxed'))
open(out, 'wb').write((sig + msg).replace(b'\r\n', b'\n'))
PY
fi

# ---------------------------------------------------------------- mailctl instance
log "setting up mailctl in $MC_DIR"
{
    mc init --domain example.com --data-dir "$MC_DIR/data"
    mc config set smtp_listen "127.0.0.1:$MAILCTL_PORT"
    mc config set submission_listen ""
    mc config set submissions_listen ""
    mc config set pop3_listen ""
    mc config set pop3s_listen ""
    mc config set max_connections_per_ip 200
    # Postfix here checks no sender either: both servers take the mail without any filtering.
    # The VERIFY runs turn sender verification on (and off again) by a reload.
    mc config set inbound_auth false
    if ((VERIFY)); then mc config set dns_resolver "127.0.0.1:$KNOT_PORT"; fi
    echo password123 | mc account create "$RCPT" --tier business --password-stdin
    mc quota set "$RCPT" unlimited
} >"$WORK/logs/mailctl-setup.log" 2>&1 || {
    cat "$WORK/logs/mailctl-setup.log" >&2
    die "mailctl setup failed"
}

"$MAILCTL_BIN" --config "$MC_CFG" serve >"$WORK/mailctl.out" 2>"$WORK/mailctl.err" &
mailctl_pid=$!
echo "$mailctl_pid" >"$WORK/mailctl.pid"
for ((i = 0; ; i++)); do
    port_in_use "$MAILCTL_PORT" && break
    if ! kill -0 "$mailctl_pid" 2>/dev/null; then
        tail -n 20 "$WORK/mailctl.err" >&2
        mailctl_pid=
        die "mailctl serve exited during startup (logs above, $WORK/mailctl.err)"
    fi
    ((i < 150)) || die "mailctl serve is not listening on 127.0.0.1:$MAILCTL_PORT after 15 s"
    sleep 0.1
done
log "mailctl serve is up (pid $mailctl_pid) on 127.0.0.1:$MAILCTL_PORT"

# ---------------------------------------------------------------- postfix instance
log "setting up a Postfix instance in $PF_DIR"
cp /etc/postfix/main.cf /etc/postfix/master.cf "$PF_ETC/"
vuid=$(id -u nobody) && vgid=$(id -g nobody) || die "no 'nobody' user for virtual delivery"
chown "$vuid:$vgid" "$PF_DIR/vmail"
printf '%s example.com/bench/\n' "$RCPT" >"$PF_ETC/vmailbox"
pfc() { postconf -c "$PF_ETC" "$@"; }
{
    pfc -e \
        "queue_directory = $PF_QUEUE" \
        "data_directory = $PF_DIR/data" \
        "maillog_file_prefixes = /var, /dev/stdout, $WORK" \
        "maillog_file = $PF_LOG" \
        "myhostname = postfix-bench.localdomain" \
        "mydomain = localdomain" \
        "myorigin = \$myhostname" \
        "mydestination =" \
        "inet_interfaces = 127.0.0.1" \
        "inet_protocols = ipv4" \
        "mynetworks = 127.0.0.0/8" \
        "relayhost =" \
        "alias_maps =" \
        "alias_database =" \
        "virtual_mailbox_domains = example.com" \
        "virtual_mailbox_base = $PF_DIR/vmail" \
        "virtual_mailbox_maps = texthash:$PF_ETC/vmailbox" \
        "virtual_uid_maps = static:$vuid" \
        "virtual_gid_maps = static:$vgid" \
        "default_process_limit = 200" \
        "smtpd_client_connection_count_limit = 0" \
        "smtpd_client_connection_rate_limit = 0" \
        "in_flow_delay = 0" \
        "smtpd_peername_lookup = no" \
        "smtp_dns_support_level = disabled" \
        "smtpd_tls_security_level = none" \
        "smtp_tls_security_level = none"
    # Only our loopback port: drop every inet service, then add ours; no chroot anywhere.
    for svc in $(pfc -M | awk '$2 == "inet" { print $1 "/inet" }'); do pfc -MX "$svc"; done
    pfc -M "127.0.0.1:$POSTFIX_PORT/inet = 127.0.0.1:$POSTFIX_PORT inet n - n - - smtpd"
    pfc -F '*/*/chroot = n'
} >"$WORK/logs/postfix-setup.log" 2>&1 || {
    cat "$WORK/logs/postfix-setup.log" >&2
    die "configuring the Postfix instance failed"
}
[[ $(pfc -M | awk '$2 == "inet"' | wc -l) == 1 ]] || die "unexpected inet services in $PF_ETC/master.cf"
# data_directory belongs to mail_owner; `postfix check` creates the queue directories.
chown "$(pfc -h mail_owner)" "$PF_DIR/data"

# The postfix command prints its errors only to a terminal (else to the mail log, which may not
# exist yet), so run it under script(1) when that is available to see why it failed.
pfx() {
    if command -v script >/dev/null; then
        script -qec "postfix -c '$PF_ETC' $1" /dev/null </dev/null
    else
        postfix -c "$PF_ETC" "$1"
    fi
}
postfix_started=1
for step in check start; do
    pfx "$step" >>"$WORK/logs/postfix-setup.log" 2>&1 || {
        tr -d '\r' <"$WORK/logs/postfix-setup.log" >&2
        if [[ -f $PF_LOG ]]; then tail -n 20 "$PF_LOG" >&2; fi
        die "'postfix -c $PF_ETC $step' failed (output above; log: $PF_LOG)"
    }
done
for ((i = 0; ; i++)); do
    port_in_use "$POSTFIX_PORT" && break
    if ((i >= 150)); then
        [[ -f $PF_LOG ]] && tail -n 20 "$PF_LOG" >&2
        die "Postfix is not listening on 127.0.0.1:$POSTFIX_PORT after 15 s (log: $PF_LOG)"
    fi
    sleep 0.1
done
log "Postfix $(postconf -h mail_version) is up on 127.0.0.1:$POSTFIX_PORT (log: $PF_LOG)"

# ---------------------------------------------------------------- runs
failures=0
failed=()
fail() {
    printf 'bench/smtp.sh: FAILED: %s\n' "$*" >&2
    failures=$((failures + 1))
    failed+=("$*")
    ((FAIL_FAST == 0)) || exit 1
}

# send PORT SESSIONS MSGS LOGFILE -> smtp-source's exit status (124 on timeout)
send() {
    local rc=0
    local body=(-l "$MSG_SIZE")
    [[ -z ${MSG_FILE:-} ]] || body=(-F "$MSG_FILE")
    timeout "$RUN_TIMEOUT" smtp-source -A -M "$HELO" "${body[@]}" -s "$2" -m "$3" \
        -f "$FROM" -t "$RCPT" "127.0.0.1:$1" >"$4" 2>&1 || rc=$?
    return "$rc"
}

# Expected Maildir totals (cumulative: files are not removed between runs).
mc_expected=0
pf_expected=0

# wait_count DIR TARGET SECONDS -> 0 when DIR holds TARGET files (bounded)
wait_count() {
    local deadline n
    deadline=$(awk -v t="$(now)" -v s="$3" 'BEGIN { printf "%.3f", t + s }')
    while :; do
        n=$(count_files "$1")
        ((n >= $2)) && return 0
        awk -v t="$(now)" -v d="$deadline" 'BEGIN { exit !(t > d) }' && return 1
        sleep 0.05
    done
}

# warm_run PORT SESSIONS mailctl|postfix: RUN_WARMUP messages, not timed, delivered before the
# run starts. After the quiet wait before each run (settle), an idle server has let threads or
# processes go (mailctl's blocking threads after 10 s; Postfix keeps its smtpd processes for
# 100 s) and the CPUs have idled; without this the first of a one-second run pays for that.
warm_run() {
    local port=$1 s=$2 who=$3 n=$RUN_WARMUP
    ((n > 0)) || return 0
    ((s <= n)) || s=$n
    send "$port" "$s" "$n" "$WORK/logs/$who-warm.log" || true
    if [[ $who == mailctl ]]; then
        mc_expected=$((mc_expected + n))
        wait_count "$MC_NEW" "$mc_expected" "$DELIVERY_TIMEOUT" || true
    else
        pf_expected=$((pf_expected + n))
        wait_count "$PF_NEW" "$pf_expected" "$DELIVERY_TIMEOUT" || true
    fi
}

# run_mailctl SESSIONS MSGS: sets mc_rate (msg/s, or FAIL)
run_mailctl() {
    local s=$1 m=$2 t0 t1 rc=0 have logf=$WORK/logs/mailctl-s$1.log
    mc_rate=FAIL
    warm_run "$MAILCTL_PORT" "$s" mailctl
    t0=$(now)
    send "$MAILCTL_PORT" "$s" "$m" "$logf" || rc=$?
    t1=$(now)
    mc_expected=$((mc_expected + m))
    have=$(count_files "$MC_NEW")
    if ((have != mc_expected)); then
        fail "mailctl, $s sessions: Maildir has $have files, expected $mc_expected" \
            "(only $((have - mc_expected + m)) of this run's $m delivered; smtp-source exit $rc)." \
            "$(grep -c 'not delivered' "$WORK/mailctl.err" || true) 'not delivered' lines so far in" \
            "$WORK/mailctl.err, the last: $(grep 'not delivered' "$WORK/mailctl.err" | tail -n 1 | sed 's/.*result=//')"
        mc_expected=$have
    elif ((rc != 0)); then
        fail "mailctl, $s sessions: smtp-source exited $rc: $(tail -n 1 "$logf")"
    else
        mc_rate=$(rate "$m" "$t0" "$t1")
    fi
}

# run_postfix SESSIONS MSGS: sets pf_acc and pf_del (msg/s, or FAIL)
run_postfix() {
    local s=$1 m=$2 t0 t1 t2 rc=0 have queued logf=$WORK/logs/postfix-s$1.log
    pf_acc=FAIL pf_del=FAIL
    warm_run "$POSTFIX_PORT" "$s" postfix
    t0=$(now)
    send "$POSTFIX_PORT" "$s" "$m" "$logf" || rc=$?
    t1=$(now)
    pf_expected=$((pf_expected + m))
    if ((rc != 0)); then
        fail "postfix, $s sessions: smtp-source exited $rc: $(tail -n 1 "$logf")"
    else
        pf_acc=$(rate "$m" "$t0" "$t1")
    fi
    wait_count "$PF_NEW" "$pf_expected" "$DELIVERY_TIMEOUT" || true
    t2=$(now)
    have=$(count_files "$PF_NEW")
    if ((have != pf_expected)); then
        queued=$(find "$PF_QUEUE"/{maildrop,incoming,active,deferred,hold} -type f 2>/dev/null | wc -l)
        fail "postfix, $s sessions: Maildir has $have files, expected $pf_expected after" \
            "waiting up to ${DELIVERY_TIMEOUT}s; $queued still queued (log: $PF_LOG)"
        pf_expected=$have
    elif ((rc == 0)); then
        pf_del=$(rate "$m" "$t0" "$t2")
    fi
}

# Before each run: write back what the runs before changed, then wait QUIESCE seconds (ext4's
# freed inodes, the header says why): Postfix frees a queue file per message, the set-up wipes
# the previous work directory, and without the wait the run after them pays for it, whichever
# server that is.
settle() { sync; sleep "$QUIESCE"; }

if ((WARMUP > 0)); then
    log "warm-up: $WARMUP messages to each server"
    send "$MAILCTL_PORT" 1 "$WARMUP" "$WORK/logs/mailctl-warmup.log" \
        || die "warm-up against mailctl failed: $(tail -n 3 "$WORK/logs/mailctl-warmup.log")"
    send "$POSTFIX_PORT" 1 "$WARMUP" "$WORK/logs/postfix-warmup.log" \
        || die "warm-up against Postfix failed: $(tail -n 3 "$WORK/logs/postfix-warmup.log")"
    mc_expected=$WARMUP
    pf_expected=$WARMUP
    [[ $(count_files "$MC_NEW") == "$mc_expected" ]] \
        || die "mailctl warm-up: Maildir has $(count_files "$MC_NEW") files, expected $mc_expected"
    wait_count "$PF_NEW" "$pf_expected" "$DELIVERY_TIMEOUT" \
        || die "Postfix warm-up: only $(count_files "$PF_NEW") of $WARMUP delivered in ${DELIVERY_TIMEOUT}s (log: $PF_LOG)"
    settle
fi

# median RATE... -> the median, or FAIL if any run failed (MEDIAN_FMT: its printf format)
median() {
    local x
    for x in "$@"; do [[ $x != FAIL ]] || { echo FAIL; return; }; done
    printf '%s\n' "$@" | sort -g | awk -v f="${MEDIAN_FMT:-%.1f}" '{ a[NR] = $1 }
        END { if (NR % 2) printf f, a[(NR + 1) / 2]; else printf f, (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

# ratio A B -> "A/Bx" with two decimals, or n/a when either run failed.
ratio() {
    if [[ $1 != FAIL && $2 != FAIL ]]; then awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }'; else echo n/a; fi
}

# median_ratio "1.23x"... -> the median ratio, as "1.23x", or n/a when any run failed.
median_ratio() {
    local x
    for x in "$@"; do [[ $x != n/a ]] || { echo n/a; return; }; done
    MEDIAN_FMT=%.2fx median "${@%x}"
}

# cpu_us START END MSGS -> microseconds of CPU per message between two clock-tick readings.
cpu_us() {
    awk -v a="$1" -v b="$2" -v m="$3" -v hz="$hz" 'BEGIN { printf "%.1f", (b - a) / hz / m * 1e6 }'
}

read -r load1 _ </proc/loadavg
# Every file either server creates is entered in the kernel's inode hash, whose size is fixed at
# boot (65,536 chains on this 24 GiB machine): with 1.1 million inodes cached (the trees of
# earlier runs and builds), each creation walked a chain of ~17 (perf: a quarter of mailctl's
# openat in insert_inode_locked), and mailctl ran at 5,240-5,470 msg/s against 6,280-6,690
# once those trees were deleted and the caches dropped. The table reports the count.
read -r inodes_cached _ </proc/sys/fs/inode-nr
if ((inodes_cached > INODES_WARN)); then
    log "warning: the kernel caches $inodes_cached inodes; creating files is slower than on a fresh machine" \
        "(delete old work trees, then: sync; echo 2 > /proc/sys/vm/drop_caches; and wait six minutes)"
fi
if awk -v l="$load1" -v n="$(nproc)" 'BEGIN { exit !(l > n / 2) }'; then
    log "warning: load average is $load1 on $(nproc) CPUs before measuring; other work will skew the numbers"
fi

results=() rounds=()
for s in $SESSIONS; do
    m=$(msgs_for "$s")
    mc_all=() pfa_all=() pfd_all=() pair_all=()
    # Alternate the servers run by run so that drift in the machine hits both alike.
    for ((r = 1; r <= REPEAT; r++)); do
        log "run $r/$REPEAT, $s parallel sessions, $m messages of $MSG_SIZE bytes"
        # Every other run Postfix goes first, so neither server always follows the other.
        if ((r % 2)); then
            run_mailctl "$s" "$m"
            settle
            run_postfix "$s" "$m"
            settle
        else
            run_postfix "$s" "$m"
            settle
            run_mailctl "$s" "$m"
            settle
        fi
        mc_all+=("$mc_rate") pfa_all+=("$pf_acc") pfd_all+=("$pf_del")
        pair_all+=("$(ratio "$mc_rate" "$pf_del")")
        log "  mailctl $mc_rate msg/s; postfix accepted $pf_acc msg/s, delivered $pf_del msg/s; ${pair_all[-1]}"
    done
    mc_med=$(median "${mc_all[@]}")
    pfa_med=$(median "${pfa_all[@]}")
    pfd_med=$(median "${pfd_all[@]}")
    # The ratio is the median of each run's pair (two runs a minute apart), which follows the
    # machine's drift better than a ratio of the two medians.
    results+=("$s|$m|$mc_med|$pfa_med|$pfd_med|$(median_ratio "${pair_all[@]}")")
    rounds+=("$s sessions: mailctl ${mc_all[*]}; postfix delivered ${pfd_all[*]}; ratios ${pair_all[*]}")
done

# ---------------------------------------------------------------- sender verification runs
# cpu_of PID -> the process's user + system CPU time so far, in clock ticks
cpu_of() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
# reload_mailctl: SIGHUP, and wait for the reload's log line
reload_mailctl() {
    local before i
    before=$(grep -c 'reloaded config and certificate' "$WORK/mailctl.err" || true)
    kill -HUP "$mailctl_pid"
    for ((i = 0; i < 100; i++)); do
        (($(grep -c 'reloaded config and certificate' "$WORK/mailctl.err" || true) > before)) && return 0
        sleep 0.1
    done
    die "mailctl did not reload within 10 s"
}
# passing -> how many delivered messages carry dmarc=pass
passing() { { grep -rl 'dmarc=pass' "$MC_NEW" 2>/dev/null || true; } | wc -l; }
verify_results=()
if ((VERIFY)); then
    hz=$(getconf CLK_TCK)
    for s in $VERIFY_SESSIONS; do
        m=$(msgs_for "$s")
        v_all=() p_all=() cpu_off=() cpu_on=()
        for ((r = 1; r <= REPEAT; r++)); do
            log "verification run $r/$REPEAT, $s sessions: mailctl with verification off, on, then Postfix"
            c0=$(cpu_of "$mailctl_pid")
            run_mailctl "$s" "$m"
            c1=$(cpu_of "$mailctl_pid")
            off_rate=$mc_rate
            settle
            mc config set inbound_auth true >/dev/null
            reload_mailctl
            before_pass=$(passing)
            c2=$(cpu_of "$mailctl_pid")
            run_mailctl "$s" "$m"
            c3=$(cpu_of "$mailctl_pid")
            on_rate=$mc_rate
            passed=$(($(passing) - before_pass))
            ((passed == m)) \
                || fail "verification on, $s sessions: $passed of $m messages carry dmarc=pass (see $MC_NEW)"
            mc config set inbound_auth false >/dev/null
            reload_mailctl
            settle
            run_postfix "$s" "$m"
            settle
            v_all+=("$on_rate") p_all+=("$pf_del")
            cpu_off+=("$(cpu_us "$c0" "$c1" "$m")")
            cpu_on+=("$(cpu_us "$c2" "$c3" "$m")")
            log "  mailctl off $off_rate msg/s, on $on_rate msg/s; postfix delivered $pf_del msg/s;" \
                "mailctl CPU per message off ${cpu_off[-1]} us, on ${cpu_on[-1]} us"
        done
        v_med=$(median "${v_all[@]}")
        p_med=$(median "${p_all[@]}")
        off_cpu=$(median "${cpu_off[@]}")
        on_cpu=$(median "${cpu_on[@]}")
        verify_results+=("$s|$m|$v_med|$p_med|$(ratio "$v_med" "$p_med")|$off_cpu|$on_cpu")
    done
fi

# ---------------------------------------------------------------- report
rev=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)
[[ -z $(git -C "$repo" status --porcelain --untracked-files=no 2>/dev/null) ]] || rev="$rev (dirty tree)"
echo
echo "SMTP inbound, ${MSG_SIZE}-byte messages, one message per connection, smtp-source on 127.0.0.1"
echo "mailctl $("$MAILCTL_BIN" --version 2>/dev/null | awk '{ print $NF }') at $rev vs Postfix $(postconf -h mail_version)," \
    "$(nproc) CPUs, Maildirs in $WORK ($(df -PT "$WORK" | awk 'NR == 2 { print $2 }'))"
echo "load average before: $load1, after: $(cut -d' ' -f1 /proc/loadavg); inodes cached by the kernel before: $inodes_cached"
echo
fmt='%8s  %6s  %12s  %16s  %17s  %15s\n'
# shellcheck disable=SC2059
printf "$fmt" sessions msgs "mailctl/s" "postfix acc/s" "postfix deliv/s" "mailctl/postfix"
for r in "${results[@]}"; do
    IFS='|' read -r s m a b c d <<<"$r"
    # shellcheck disable=SC2059
    printf "$fmt" "$s" "$m" "$a" "$b" "$c" "$d"
done
printf 'runs, in order: %s\n' "${rounds[@]}"
echo
if ((${#verify_results[@]} > 0)); then
    echo
    echo "With sender verification (SPF, DKIM, DMARC against Knot; every message DKIM-signed, the same for both):"
    vfmt='%8s  %6s  %15s  %17s  %15s  %14s  %13s  %10s\n'
    # shellcheck disable=SC2059
    printf "$vfmt" sessions msgs "mailctl+auth/s" "postfix deliv/s" "mailctl/postfix" "cpu/msg off us" "cpu/msg on us" "added us"
    for r in "${verify_results[@]}"; do
        IFS='|' read -r s m a b c d e <<<"$r"
        added=$(awk -v d="$d" -v e="$e" 'BEGIN { printf "%.1f", e - d }')
        # shellcheck disable=SC2059
        printf "$vfmt" "$s" "$m" "$a" "$b" "$c" "$d" "$e" "$added"
    done
    echo "Targets (issue 14): mailctl with verification >= 2x Postfix delivered; added CPU per message < 1000 us."
fi
echo
echo "Medians of $REPEAT runs each, msg/s (mailctl/postfix: the median of each run's ratio; odd runs"
echo "mailctl first, even runs Postfix first; a sync and $QUIESCE s before each run). mailctl/s is delivered (fsynced to the Maildir before 250);"
echo "postfix deliv/s counts from the start of sending until the last message is in the Maildir."
echo "Logs: $WORK/logs, $WORK/mailctl.err, $PF_LOG"
if ((failures > 0)); then
    echo
    echo "$failures check(s) FAILED; rates marked FAIL are not valid:"
    printf '  - %s\n' "${failed[@]}"
    exit 1
fi
