#!/usr/bin/env bash
# IMAP read performance: `mailctl serve` against Debian's Dovecot (dovecot-imapd) serving the
# same Maildir in the same run.
#
# Fills bench@example.com's INBOX with 10,000 messages (4-20 KiB, a third multipart, 1% with the
# word "needle" in the body) written straight into the Maildir's cur/ under Dovecot-style names,
# runs `mailctl mailbox reindex`, and points a private Dovecot instance (its own config, base_dir,
# index and control directories under the work dir) at that same Maildir. bench/imap_bench.py
# then times, per server, read-only (EXAMINE, BODY.PEEK):
#   FETCH 1:* (FLAGS RFC822.SIZE ENVELOPE)
#   SEARCH TEXT "needle"
#   SORT (DATE) UTF-8 ALL                       (checked: every message once, in Date order)
#   THREAD REFERENCES UTF-8 ALL                 (checked: every message once)
#   FETCH 1:1000 BODY.PEEK[]                    (one command)
#   1,000 x UID FETCH u BODY.PEEK[]             (one round trip each)
# with one cold pass (the server's first access; shown but not counted) and then REPEAT passes,
# alternating servers; every response is checked against what was written (count, Message-ID,
# RFC822.SIZE, FLAGS, SEARCH hits, SHA-1 of every body). Before all of that, per server, 1,000
# connections LOGIN and stay idle: memory per connection is the growth of the server's PSS
# (mailctl: its one process; Dovecot: the sum over all its processes) divided by the logins
# that got OK (measured first, so memory an allocator kept from the large answers of the timed
# passes does not hide what the connections cost; LOGIN opens no mailbox, so the cold pass
# is still the first access).
# Logins: LOGINS more accounts (login1..N@example.com, empty INBOXes) log in twice each, one new
# connection per login (connect + LOGIN + EXAMINE INBOX): the first login of each is a cold one
# (mailctl's credential cache has not seen it: a full Argon2id check), the second a warm one
# (mailctl answers from its cache). Dovecot hashes at every login either way (its auth cache is
# off by default, and this is its stock configuration).
# Password hashes: both servers get the same kind. Where Dovecot's build has ARGON2ID
# (`doveadm pw -l`), Dovecot is given mailctl's own Argon2id hashes ({ARGON2ID}, m=19456 KiB,
# t=2, p=1; `doveadm pw -s ARGON2ID` cannot choose these parameters, it makes m=65536,t=3), and
# each is checked with `doveadm pw -t`; with ONLY=dovecot, `doveadm pw -s ARGON2ID` makes them
# (its own parameters, said in the report). Otherwise both sides use {SHA512-CRYPT} from
# `doveadm pw` (mailctl imports those as they are and upgrades each to Argon2id at its first
# login, so its cold login also pays for that upgrade; the report says so).
# Targets (issues): mailctl faster than Dovecot on each operation, SEARCH TEXT at least 20x
# faster (its full-text index, which serve builds from the Maildir at start and this script
# waits for, timing it; Dovecot has no FTS plugin) with identical hits, the index under 50% of
# the mail's bytes, and under 64 KiB per idle connection.
#
# With WORKLOAD=mixed (what bench/imap_mixed.sh sets), the same set-up runs bench/imap_mixed.py
# instead of the read passes: concurrent clients that read and write for DURATION seconds (see
# that file); Dovecot then gets its own copy of the shared Maildir, since both servers write.
#
# Usage (as root, Debian 12; installs the dovecot-imapd package if it is missing):
#   bash bench/imap.sh
#   ONLY=dovecot bash bench/imap.sh      # Dovecot alone (no mailctl build, no mailctl IMAP needed)
# Environment (all optional):
#   ONLY=mailctl|dovecot  measure one server only (default: both)
#   MSGS=10000            messages in the INBOX
#   BODIES=1000           full bodies fetched (FETCH 1:N, and N separate UID FETCH commands)
#   CONNS=1000            idle authenticated connections held for the memory figure (0: skip)
#   LOGINS=20             accounts for the cold and warm login rows (0: skip)
#   REPEAT=3              warm passes per server; the table shows the median
#   EOL=crlf              line endings of the message files: crlf (as mailctl delivers) or lf
#                         (as Dovecot delivers; servers must then add the CRs on the wire)
#   SEED=1                seed for the generated messages
#   LOGIN_CONCURRENCY=16  connections logging in at once while filling the CONNS
#   SETTLE=2              seconds at least before each memory reading (then until it stops changing)
#   MAILCTL_PORT=14143    DOVECOT_PORT=14144   loopback IMAP ports for the two servers
#   MAILCTL_BIN=path      mailctl binary (default: target/release/mailctl, built if missing
#                         or older than the sources)
#   BUILD=1               run `cargo build --release` even if the binary exists
#   BENCH_DIR=/tmp/mailctl-imap-bench   work directory (wiped at start; must be under /tmp)
#   OP_TIMEOUT=300        seconds one IMAP command (or connection attempt) may take
#   STRICT=1              also exit 1 when a target is missed
#   WORKLOAD=read|mixed   the read passes above (default) or bench/imap_mixed.py, which takes
#                         CLIENTS=10,50 LAYOUTS=separate,shared MODES=stay,login DURATION=30
#                         RELOGIN=10 (mailbox commands per session in the login mode)
#                         ROUNDS=1 (runs of each scenario per server, alternating which server
#                         goes first; the median counts) QUIESCE=65 (seconds waited, after a
#                         sync, before each server's run: see quiesce() in imap_mixed.py)
# Exit status: 0 when every response was right and every connection logged in, 1 otherwise
# (with STRICT=1, also when a target was missed).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=${BENCH_DIR:-/tmp/mailctl-imap-bench}
ONLY=${ONLY:-}
MSGS=${MSGS:-10000}
BODIES=${BODIES:-1000}
CONNS=${CONNS:-1000}
LOGINS=${LOGINS:-20}
REPEAT=${REPEAT:-3}
ROUNDS=${ROUNDS:-1}
QUIESCE=${QUIESCE:-65}
EOL=${EOL:-crlf}
SEED=${SEED:-1}
LOGIN_CONCURRENCY=${LOGIN_CONCURRENCY:-16}
SETTLE=${SETTLE:-2}
MAILCTL_PORT=${MAILCTL_PORT:-14143}
DOVECOT_PORT=${DOVECOT_PORT:-14144}
OP_TIMEOUT=${OP_TIMEOUT:-300}
STRICT=${STRICT:-0}
default_bin=$repo/target/release/mailctl
MAILCTL_BIN=${MAILCTL_BIN:-$default_bin}
HELPER=$repo/bench/imap_bench.py
WORKLOAD=${WORKLOAD:-read}

USER_ADDR=bench@example.com
PASSWORD=imap-bench-secret

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf 'bench/imap.sh: error: %s\n' "$*" >&2; exit 1; }
is_uint() { [[ $1 =~ ^[0-9]+$ ]]; }

# ---------------------------------------------------------------- checks
[[ $(id -u) == 0 ]] || die "run as root (it installs dovecot-imapd and runs a Dovecot instance)"
for v in MSGS BODIES CONNS LOGINS REPEAT ROUNDS QUIESCE SEED LOGIN_CONCURRENCY SETTLE MAILCTL_PORT DOVECOT_PORT OP_TIMEOUT; do
    is_uint "${!v}" || die "$v must be a non-negative integer, got '${!v}'"
done
((MSGS > 0)) || die "MSGS must be at least 1"
((BODIES > 0)) || die "BODIES must be at least 1"
((REPEAT > 0)) || die "REPEAT must be at least 1"
((ROUNDS > 0)) || die "ROUNDS must be at least 1"
((LOGIN_CONCURRENCY > 0)) || die "LOGIN_CONCURRENCY must be at least 1"
case $ONLY in
    "" | mailctl | dovecot) ;;
    *) die "ONLY must be empty, 'mailctl' or 'dovecot', got '$ONLY'" ;;
esac
case $WORKLOAD in
    read | mixed) ;;
    *) die "WORKLOAD must be 'read' or 'mixed', got '$WORKLOAD'" ;;
esac
case $EOL in
    crlf | lf) ;;
    *) die "EOL must be 'crlf' or 'lf', got '$EOL'" ;;
esac
[[ $MAILCTL_PORT != "$DOVECOT_PORT" ]] || die "MAILCTL_PORT and DOVECOT_PORT must differ"
case $WORK in
    /tmp/?*) ;;
    *) die "BENCH_DIR must be a directory under /tmp (it is wiped), got '$WORK'" ;;
esac
for tool in ss awk find timeout; do
    command -v "$tool" >/dev/null || die "'$tool' is not installed"
done
# Resolve Python before PATH is changed below.
PYTHON=${PYTHON:-$(command -v python3 || true)}
[[ -n $PYTHON ]] || die "python3 is not installed"
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 9))' || die "$PYTHON is older than 3.9"
[[ -f $HELPER ]] || die "missing $HELPER"
use_mailctl=0 use_dovecot=0
[[ $ONLY == dovecot ]] || use_mailctl=1
[[ $ONLY == mailctl ]] || use_dovecot=1

port_in_use() { [[ -n $(ss -ltnH "sport = :$1") ]]; }

# Room for CONNS client sockets in the helper plus the servers' own descriptors (inherited).
want_fds=$((4 * CONNS + 1024))
if (($(ulimit -n) < want_fds)); then
    hard=$(ulimit -Hn)
    if [[ $hard == unlimited ]] || ((hard >= want_fds)); then
        ulimit -n "$want_fds"
    else
        ulimit -n "$hard"
        log "warning: the open-files limit is $hard (hard); $want_fds wanted for $CONNS connections"
    fi
fi

# ---------------------------------------------------------------- dovecot package
if ((use_dovecot)); then
    if [[ ! -x /usr/sbin/dovecot || ! -x /usr/lib/dovecot/imap || ! -x /usr/lib/dovecot/imap-login ]]; then
        log "installing Debian's dovecot-imapd package"
        export DEBIAN_FRONTEND=noninteractive
        if ! apt-get install -y -q dovecot-imapd >"/tmp/mailctl-imap-bench-apt.log" 2>&1; then
            apt-get update -q >>"/tmp/mailctl-imap-bench-apt.log" 2>&1 || true
            apt-get install -y -q dovecot-imapd >>"/tmp/mailctl-imap-bench-apt.log" 2>&1 \
                || die "apt-get install dovecot-imapd failed; see /tmp/mailctl-imap-bench-apt.log"
        fi
        # The package may have started the system instance (ports 143/993): this benchmark runs
        # its own instance, so stop that one.
        if command -v systemctl >/dev/null && [[ -d /run/systemd/system ]]; then
            for unit in dovecot.service dovecot.socket; do
                if systemctl is-active --quiet "$unit"; then
                    log "stopping $unit, which the package started"
                    systemctl stop "$unit" || true
                fi
            done
        fi
        if [[ -s /run/dovecot/master.pid ]] && kill -0 "$(cat /run/dovecot/master.pid)" 2>/dev/null; then
            log "stopping the system Dovecot instance the package started"
            doveadm -c /etc/dovecot/dovecot.conf stop >/dev/null 2>&1 || true
        fi
    fi
    [[ -x /usr/lib/dovecot/imap ]] || die "/usr/lib/dovecot/imap is missing after installing dovecot-imapd"
fi
# The password scheme both servers use (see the header).
SCHEME=ARGON2ID
if ((use_dovecot)); then
    command -v doveadm >/dev/null || PATH=/usr/bin:/usr/sbin:$PATH
    command -v doveadm >/dev/null || die "doveadm (dovecot-core) is missing"
    if ! doveadm pw -l | tr ' ' '\n' | grep -qx ARGON2ID; then
        SCHEME=SHA512-CRYPT
        log "this Dovecot has no ARGON2ID scheme (doveadm pw -l): both servers use {SHA512-CRYPT}"
    fi
fi
PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH

# ---------------------------------------------------------------- mailctl binary
if ((use_mailctl)); then
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
fi

# ---------------------------------------------------------------- state and cleanup
MC_DIR=$WORK/mailctl
MC_CFG=$MC_DIR/mailctl.toml
MC_DATA=$MC_DIR/data
DC_DIR=$WORK/dovecot
DC_CONF=$DC_DIR/dovecot.conf
DC_BASE=$DC_DIR/run
DC_LOG=$DC_DIR/dovecot.log
MANIFEST=$WORK/manifest.json
if ((use_mailctl)); then
    MAILDIR=$MC_DATA/mail/example.com/bench
else
    MAILDIR=$WORK/maildir/example.com/bench
fi
mailctl_pid=
dovecot_started=0
# Dovecot runs mail processes as an ordinary user (never root): this one owns the Maildir.
VUID=$(id -u nobody) && VGID=$(id -g nobody) || die "no 'nobody' user to run Dovecot's mail processes"

mc() { "$MAILCTL_BIN" --config "$MC_CFG" "$@"; }

LOGIN_USERS=()
for ((i = 1; i <= LOGINS; i++)); do LOGIN_USERS+=("login$i@example.com"); done
# Dovecot's password field for each user, {SCHEME}hash (filled below).
declare -A DC_HASH=()

dovecot_pid() {
    local pid
    [[ -s $DC_BASE/master.pid ]] || return 1
    pid=$(<"$DC_BASE/master.pid")
    is_uint "$pid" && kill -0 "$pid" 2>/dev/null || return 1
    echo "$pid"
}

stop_dovecot() {
    local pid i
    pid=$(dovecot_pid) || return 0
    dovecot -c "$DC_CONF" stop >/dev/null 2>&1 || kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 150; i++)); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
    log "Dovecot (pid $pid) did not stop in 15 s; killing it"
    kill -KILL "$pid" 2>/dev/null || true
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
    if ((dovecot_started)); then stop_dovecot; fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Leftovers of an earlier run that was killed before its own cleanup: only our own instances.
if [[ -f $DC_CONF ]] && old=$(dovecot_pid) \
    && tr '\0' ' ' <"/proc/$old/cmdline" 2>/dev/null | grep -qF -- "$DC_CONF"; then
    log "stopping a Dovecot instance left running by an earlier run (pid $old)"
    stop_dovecot
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
mkdir -p "$WORK/logs"
chmod 755 "$WORK"
printf '%s\n' "$PASSWORD" >"$WORK/password"
if [[ $SCHEME == SHA512-CRYPT ]]; then
    # One hash per user from Dovecot's tool; mailctl imports the same lines.
    for u in "$USER_ADDR" "${LOGIN_USERS[@]}"; do
        DC_HASH[$u]=$(doveadm pw -s SHA512-CRYPT -p "$PASSWORD") || die "doveadm pw -s SHA512-CRYPT failed"
        printf '%s:%s\n' "$u" "${DC_HASH[$u]}"
    done >"$WORK/sha512-crypt.passwd"
fi

((use_mailctl == 0)) || ! port_in_use "$MAILCTL_PORT" \
    || die "port $MAILCTL_PORT is already in use on this machine (set MAILCTL_PORT)"
((use_dovecot == 0)) || ! port_in_use "$DOVECOT_PORT" \
    || die "port $DOVECOT_PORT is already in use on this machine (set DOVECOT_PORT)"

# ---------------------------------------------------------------- mailctl set-up and the Maildir
if ((use_mailctl)); then
    log "setting up mailctl in $MC_DIR"
    mkdir -p "$MC_DIR"
    {
        mc init --domain example.com --data-dir "$MC_DATA"
        mc config set dev_mode true
        for key in smtp_listen submission_listen submissions_listen pop3_listen pop3s_listen; do
            mc config set "$key" ""
        done
        mc config set max_connections $((CONNS + 100))
        mc config set max_connections_per_ip $((CONNS + 100))
        if [[ $SCHEME == SHA512-CRYPT ]]; then
            mc account import --dovecot-passwd "$WORK/sha512-crypt.passwd" --tier business
        else
            for u in "$USER_ADDR" "${LOGIN_USERS[@]}"; do
                mc account create "$u" --tier business --password-file "$WORK/password"
            done
        fi
        mc quota set "$USER_ADDR" unlimited
    } >"$WORK/logs/mailctl-setup.log" 2>&1 || {
        cat "$WORK/logs/mailctl-setup.log" >&2
        die "mailctl setup failed"
    }
    {
        mc config set imap_listen "127.0.0.1:$MAILCTL_PORT" && mc config set imaps_listen ""
    } >>"$WORK/logs/mailctl-setup.log" 2>&1 || {
        tail -n 5 "$WORK/logs/mailctl-setup.log" >&2
        die "this mailctl cannot be configured for IMAP (imap_listen/imaps_listen); run with ONLY=dovecot"
    }
    [[ -d $MAILDIR/cur ]] || die "mailctl created no Maildir at $MAILDIR"
    if [[ $SCHEME == ARGON2ID ]]; then
        # mailctl's own hashes, for Dovecot (read from its SQLite store; not shown by the CLI).
        db=$(mc config get database)
        db=${db#sqlite://}
        db=${db%%\?*}
        while IFS=$'\t' read -r u h; do
            DC_HASH[$u]="{ARGON2ID}$h"
        done < <("$PYTHON" -c 'import sqlite3, sys, urllib.parse
for a, h in sqlite3.connect(urllib.parse.unquote(sys.argv[1])).execute("SELECT address, password_hash FROM accounts"):
    print(a + "\t" + h)' "$db") || die "reading mailctl's password hashes from $db failed"
    fi
fi

log "writing $MSGS messages into $MAILDIR/cur"
"$PYTHON" "$HELPER" gen --maildir "$MAILDIR" --count "$MSGS" --manifest "$MANIFEST" \
    --seed "$SEED" --eol "$EOL" >&2 || die "generating the messages failed"

if ((use_mailctl)); then
    log "mailctl mailbox reindex $USER_ADDR"
    mc --json mailbox reindex "$USER_ADDR" >"$WORK/logs/mailctl-reindex.json" 2>"$WORK/logs/mailctl-reindex.err" || {
        cat "$WORK/logs/mailctl-reindex.err" >&2
        die "mailctl mailbox reindex failed"
    }
    indexed=$("$PYTHON" -c 'import json, sys; print(json.load(open(sys.argv[1]))["messages"])' \
        "$WORK/logs/mailctl-reindex.json" 2>/dev/null || echo "?")
    [[ $indexed == "$MSGS" ]] \
        || die "mailctl mailbox reindex indexed $indexed messages, expected $MSGS ($WORK/logs/mailctl-reindex.json)"
fi

# Both servers write in the mixed workload: Dovecot gets its own copy of the shared Maildir.
if [[ $WORKLOAD == mixed ]] && ((use_mailctl && use_dovecot)); then
    mkdir -p "$WORK/maildir/example.com"
    cp -a "$MAILDIR" "$WORK/maildir/example.com/bench"
    MAILDIR=$WORK/maildir/example.com/bench
fi
# The Maildir belongs to Dovecot's mail user (mailctl runs as root and reads it regardless);
# the directories above it only need to be passable.
chown -R "$VUID:$VGID" "$MAILDIR"
d=$(dirname "$MAILDIR")
while [[ $d == "$WORK"/* ]]; do chmod a+x "$d"; d=$(dirname "$d"); done

# ---------------------------------------------------------------- mailctl instance
# start_mailctl LOG: serve, its log appended to LOG, once it listens.
start_mailctl() {
    local i
    "$MAILCTL_BIN" --config "$MC_CFG" serve >>"$WORK/mailctl.out" 2>>"$1" &
    mailctl_pid=$!
    echo "$mailctl_pid" >"$WORK/mailctl.pid"
    for ((i = 0; ; i++)); do
        port_in_use "$MAILCTL_PORT" && break
        if ! kill -0 "$mailctl_pid" 2>/dev/null; then
            tail -n 20 "$1" >&2
            mailctl_pid=
            die "mailctl serve exited during startup (logs above, $1)"
        fi
        ((i < 300)) || die "mailctl serve is not listening on 127.0.0.1:$MAILCTL_PORT after 30 s"
        sleep 0.1
    done
    log "mailctl serve is up (pid $mailctl_pid) on 127.0.0.1:$MAILCTL_PORT"
}
if ((use_mailctl)); then
    start_mailctl "$WORK/mailctl-index.err"
    # The full-text index is built by serve from the Maildir at start: time it, and wait for
    # it before measuring (a search before then reads the files not yet indexed).
    fts_start=$(date +%s.%N)
    for ((i = 0; ; i++)); do
        grep -q "full-text index: up to date.*documents=$MSGS\b" "$WORK/mailctl-index.err" && break
        ((i < 6000)) || die "the full-text index did not reach $MSGS messages in 600 s ($WORK/mailctl-index.err)"
        sleep 0.1
    done
    fts_secs=$(awk "BEGIN { print $(date +%s.%N) - $fts_start }")
    fts_bytes=$(du -sb "$MC_DATA/fts" | cut -f1)
    mail_bytes=$(du -sb "$MAILDIR" | cut -f1)
    fts_line=$(printf 'full-text index: %s messages indexed in %.1f s; %s bytes = %.1f%% of the %s bytes of mail (target < 50%%)' \
        "$MSGS" "$fts_secs" "$fts_bytes" "$(awk "BEGIN { print 100 * $fts_bytes / $mail_bytes }")" "$mail_bytes")
    log "$fts_line"
    # Measured on a fresh server: the one that built the index keeps what building it took
    # (tantivy's merges run at low priority after the last commit and free memory during the
    # idle-connection reading, which came out negative), and its first pass would not be cold.
    stop_mailctl "$mailctl_pid"
    wait "$mailctl_pid" 2>/dev/null || true
    start_mailctl "$WORK/mailctl.err"
fi

# ---------------------------------------------------------------- dovecot instance
if ((use_dovecot)); then
    log "setting up a Dovecot instance in $DC_DIR"
    mkdir -p "$DC_DIR"/{run,state,index,control,home,login}
    chmod 755 "$DC_DIR"
    for u in "$USER_ADDR" "${LOGIN_USERS[@]}"; do
        if [[ -z ${DC_HASH[$u]:-} ]]; then
            DC_HASH[$u]=$(doveadm pw -s "$SCHEME" -p "$PASSWORD") || die "doveadm pw -s $SCHEME failed"
        fi
    done
    doveadm pw -t "${DC_HASH[$USER_ADDR]}" -p "$PASSWORD" >/dev/null 2>"$WORK/logs/doveadm-pw.log" || {
        cat "$WORK/logs/doveadm-pw.log" >&2
        die "Dovecot does not accept the password hash ${DC_HASH[$USER_ADDR]:0:40}..."
    }
    DC_PARAMS=$(sed -n 's/^{ARGON2ID}\$argon2id\$v=[0-9]*\$\([^$]*\)\$.*/\1/p' <<<"${DC_HASH[$USER_ADDR]}")
    {
        printf '%s:%s:%s:%s::%s::\n' "$USER_ADDR" "${DC_HASH[$USER_ADDR]}" "$VUID" "$VGID" "$DC_DIR/home"
        # The login accounts each have an empty Maildir of their own, as in mailctl.
        for u in "${LOGIN_USERS[@]}"; do
            l=${u%@*}
            mkdir -p "$DC_DIR/login/$l"/{cur,new,tmp} "$DC_DIR/index/$l" "$DC_DIR/control/$l" "$DC_DIR/home/$l"
            printf '%s:%s:%s:%s::%s::userdb_mail=maildir:%s:INDEX=%s:CONTROL=%s\n' "$u" "${DC_HASH[$u]}" \
                "$VUID" "$VGID" "$DC_DIR/home/$l" "$DC_DIR/login/$l" "$DC_DIR/index/$l" "$DC_DIR/control/$l"
        done
    } >"$DC_DIR/users"
    chown -R "$VUID:$VGID" "$DC_DIR/login" "$DC_DIR/index" "$DC_DIR/control" "$DC_DIR/home"
    chmod 644 "$DC_DIR/users"
    # Stock settings except: no SSL, plaintext LOGIN, the password hashes above, the limits raised so that CONNS connections
    # of one user from one address fit (Debian's defaults allow 100 login processes and 10
    # connections per user and address), and index and control files outside the Maildir.
    # Everything else (one imap-login process per connection in "high-security" mode, one imap
    # process per connection, no full-text search index) is Dovecot's default.
    lim=$((CONNS + 100))
    cat >"$DC_CONF" <<EOF
# Written by bench/imap.sh; not Debian's /etc/dovecot.
instance_name = mailctl-imap-bench
base_dir = $DC_BASE
state_dir = $DC_DIR/state
log_path = $DC_LOG
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:$MAILDIR:INDEX=$DC_DIR/index:CONTROL=$DC_DIR/control
namespace inbox {
  inbox = yes
  separator = /
}
passdb {
  driver = passwd-file
  args = scheme=$SCHEME username_format=%u $DC_DIR/users
}
userdb {
  driver = passwd-file
  args = username_format=%u $DC_DIR/users
}
default_process_limit = $lim
default_client_limit = $((2 * lim + 200))
protocol imap {
  mail_max_userip_connections = $lim
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $DOVECOT_PORT
  }
  inet_listener imaps {
    port = 0
  }
  process_limit = $lim
}
service imap {
  process_limit = $lim
}
service anvil {
  client_limit = $((2 * lim + 200))
}
service auth {
  client_limit = $((2 * lim + 200))
}
EOF
    dovecot -n -c "$DC_CONF" >"$WORK/logs/dovecot-n.conf" 2>"$WORK/logs/dovecot-setup.log" || {
        cat "$WORK/logs/dovecot-setup.log" >&2
        die "Dovecot rejects $DC_CONF (above)"
    }
    dovecot_started=1
    dovecot -c "$DC_CONF" >>"$WORK/logs/dovecot-setup.log" 2>&1 || {
        cat "$WORK/logs/dovecot-setup.log" >&2
        [[ -f $DC_LOG ]] && tail -n 20 "$DC_LOG" >&2
        die "starting Dovecot failed (log: $DC_LOG)"
    }
    for ((i = 0; ; i++)); do
        port_in_use "$DOVECOT_PORT" && dovecot_pid >/dev/null && break
        if ((i >= 300)); then
            [[ -f $DC_LOG ]] && tail -n 20 "$DC_LOG" >&2
            die "Dovecot is not listening on 127.0.0.1:$DOVECOT_PORT after 30 s (log: $DC_LOG)"
        fi
        sleep 0.1
    done
    log "Dovecot $(dovecot --version | awk '{ print $1 }') is up (pid $(dovecot_pid)) on 127.0.0.1:$DOVECOT_PORT (log: $DC_LOG)"
fi

# ---------------------------------------------------------------- runs
read -r load1 _ </proc/loadavg
if awk -v l="$load1" -v n="$(nproc)" 'BEGIN { exit !(l > n / 2) }'; then
    log "warning: load average is $load1 on $(nproc) CPUs before measuring; other work will skew the numbers"
fi

servers=()
info=()
rev=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)
[[ -z $(git -C "$repo" status --porcelain --untracked-files=no 2>/dev/null) ]] || rev="$rev (dirty tree)"
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
mem=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
fs=$(df -PT "$WORK" | awk 'NR == 2 { print $2 }')
info+=("machine: $(nproc) CPUs (${cpu:-unknown}), $mem RAM, kernel $(uname -r), Maildir on $fs")
if ((use_mailctl)); then
    servers+=(--server "mailctl=127.0.0.1:$MAILCTL_PORT:pid:$mailctl_pid")
    # The tree's revision describes the binary only when it is the default one (built if stale).
    built_from="at $rev"
    [[ $MAILCTL_BIN == "$default_bin" ]] || built_from="binary $MAILCTL_BIN (given; the tree is at $rev)"
    info+=("mailctl: $("$MAILCTL_BIN" --version 2>/dev/null | awk '{ print $NF }') $built_from, 127.0.0.1:$MAILCTL_PORT, one process (memory: its PSS)")
fi
if ((use_dovecot)); then
    servers+=(--server "dovecot=127.0.0.1:$DOVECOT_PORT:tree:$(dovecot_pid)")
    info+=("dovecot: $(dovecot --version), 127.0.0.1:$DOVECOT_PORT, stock process model (memory: PSS summed over the master and all its children)")
fi
case $SCHEME in
    ARGON2ID)
        if ((use_mailctl)); then
            hashes="Argon2id m=19456 KiB, t=2, p=1 on both (mailctl's own hashes, given to Dovecot as {ARGON2ID})"
        else
            hashes="Argon2id from doveadm pw -s ARGON2ID (${DC_PARAMS:-its parameters}; mailctl's are m=19456,t=2,p=1)"
        fi
        ;;
    *) hashes="{SHA512-CRYPT} on both (this Dovecot has no ARGON2ID); mailctl upgrades each to Argon2id at its first login, inside the cold login" ;;
esac
((use_dovecot)) || [[ $SCHEME != ARGON2ID ]] || hashes="Argon2id m=19456 KiB, t=2, p=1 (mailctl's)"
((use_dovecot == 0)) || hashes+="; Dovecot's auth cache is off (its default)"
info+=("password hashes: $hashes")
info+=("load average before: $load1")
[[ -z ${fts_line:-} ]] || info+=("$fts_line")
info_args=()
for l in "${info[@]}"; do info_args+=(--info "$l"); done
strict=()
[[ $STRICT != 1 ]] || strict=(--strict)

rc=0
if [[ $WORKLOAD == mixed ]]; then
    mixed_servers=()
    ((use_mailctl == 0)) || mixed_servers+=(--server "mailctl=127.0.0.1:$MAILCTL_PORT")
    ((use_dovecot == 0)) || mixed_servers+=(--server "dovecot=127.0.0.1:$DOVECOT_PORT")
    log "measuring the mixed workload: clients ${CLIENTS:-10,50}, layouts ${LAYOUTS:-separate,shared}, modes ${MODES:-stay,login}, ${DURATION:-30} s each"
    "$PYTHON" "$repo/bench/imap_mixed.py" "${mixed_servers[@]}" --shared-user "$USER_ADDR" \
        --users "$(IFS=,; echo "${LOGIN_USERS[*]}")" --password "$PASSWORD" --clients "${CLIENTS:-10,50}" \
        --layouts "${LAYOUTS:-separate,shared}" --modes "${MODES:-stay,login}" --duration "${DURATION:-30}" \
        --relogin-every "${RELOGIN:-10}" --repeat "$ROUNDS" --quiesce "$QUIESCE" --json "$WORK/results.json" "${info_args[@]}" || rc=$?
    echo "load average after: $(cut -d' ' -f1 /proc/loadavg)"
    echo "Logs: $WORK/logs, $WORK/mailctl.err, $DC_LOG; results: $WORK/results.json"
    exit "$rc"
fi
log "measuring: a cold pass and $REPEAT passes per server, then $CONNS idle connections per server"
"$PYTHON" "$HELPER" run --manifest "$MANIFEST" "${servers[@]}" --user "$USER_ADDR" --password "$PASSWORD" \
    --repeat "$REPEAT" --bodies "$BODIES" --conns "$CONNS" --login-concurrency "$LOGIN_CONCURRENCY" \
    --settle "$SETTLE" --op-timeout "$OP_TIMEOUT" --login-users "$(IFS=,; echo "${LOGIN_USERS[*]}")" --json "$WORK/results.json" "${strict[@]}" \
    "${info_args[@]}" || rc=$?
echo "load average after: $(cut -d' ' -f1 /proc/loadavg)"
logs="Logs: $WORK/logs"
((use_mailctl == 0)) || logs+=", $WORK/mailctl.err"
((use_dovecot == 0)) || logs+=", $DC_LOG"
echo "$logs; results: $WORK/results.json"
if ((use_dovecot)) && [[ -f $DC_LOG ]] && grep -qE 'Error|Fatal|Panic' "$DC_LOG"; then
    echo "Dovecot logged errors ($(grep -cE 'Error|Fatal|Panic' "$DC_LOG")), the first:"
    grep -m 3 -E 'Error|Fatal|Panic' "$DC_LOG" | sed 's/^/  /'
fi
exit "$rc"
