# Shared by the peer scripts (sourced). Before sourcing, set NAME (for log lines), PIDFILE (the
# server's pid), LOGFILE (its log) and MATCH (a word of the server's command line, so that a stale pid that now
# belongs to another process is never taken for ours).

log() { echo "peer-$NAME: $*" >&2; }

# The PID of our server when it is alive (and really ours), else nothing (status 1).
running_pid() {
    local pid
    [ -f "$PIDFILE" ] || return 1
    pid="$(cat "$PIDFILE" 2>/dev/null || true)"
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$MATCH" || return 1
    echo "$pid"
}

# Install Debian packages, updating the package lists only when the first try fails.
apt_install() {
    log "installing $* from Debian's packages..."
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null 2>&1; then
        apt-get update -q >/dev/null 2>&1 || true
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null
    fi
}

# Keep fixed ports out of the kernel's ephemeral range (ip_local_reserved_ports): they lie
# inside it (32768-60999), and a test's outgoing connection that happened to get one as its
# source port would make the peer, or a test listener on it (the ACME challenge ports), fail
# with "address in use". Added to what is reserved already; without the right to, nothing.
reserve_ports() {
    local f=/proc/sys/net/ipv4/ip_local_reserved_ports cur p
    [ -w "$f" ] || return 0
    cur="$(cat "$f")"
    for p in "$@"; do
        case ",$cur," in *",$p,"*) ;; *) cur="${cur:+$cur,}$p" ;; esac
    done
    echo "$cur" >"$f" 2>/dev/null || log "could not reserve ports $*"
}

# Start `$@` detached: its own session, no terminal, output to $LOGFILE, so that a caller's
# $(...) does not wait for it; its PID into $PIDFILE. The command must exec the server in place
# (setsid and env do), so that the PID is the server's.
spawn() {
    setsid "$@" </dev/null >>"$LOGFILE" 2>&1 &
    echo $! >"$PIDFILE"
}

# Stop our server: `$@` (a command that asks it to stop) when given, else SIGTERM; after 10 s,
# SIGKILL.
stop_server() {
    local pid i
    pid="$(running_pid)" || return 0
    if [ $# -gt 0 ]; then "$@" >/dev/null 2>&1 || kill "$pid" 2>/dev/null || true; else kill "$pid" 2>/dev/null || true; fi
    for i in $(seq 1 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.2
    done
    if kill -0 "$pid" 2>/dev/null; then
        log "$NAME ($pid) did not stop in 10 s; killing it"
        kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$PIDFILE"
}

# Wait up to $1 seconds for `$2...` (a readiness check) to succeed while the server lives.
# "Lives" is `kill -0` on the PID that spawn wrote, not running_pid: while the process execs
# (setsid into the server, perl into its script) its /proc cmdline is briefly empty, and
# running_pid's check of it failed there, ending the wait a moment after the start (spamd and
# Pebble "did not become ready" in CI with nothing in their logs).
wait_ready() {
    local secs=$1 i pid
    shift
    pid="$(cat "$PIDFILE" 2>/dev/null || true)"
    for i in $(seq 1 $((secs * 5))); do
        "$@" && return 0
        [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || break
        sleep 0.2
    done
    return 1
}

# launch SECS CHECK CMD...: spawn CMD and wait up to SECS for CHECK. A server that exited
# while starting (seen for Pebble and moto on a busy machine, right after an earlier run's
# peers stopped, with nothing useful in the log) is started once more before the caller gives up.
launch() {
    local secs=$1 check=$2
    shift 2
    spawn "$@"
    wait_ready "$secs" "$check" && return 0
    running_pid >/dev/null && return 1
    log "$NAME exited while starting; starting it once more. Its log ($LOGFILE):"
    tail -n 5 "$LOGFILE" >&2 || true
    spawn "$@"
    wait_ready "$secs" "$check"
}

# The server did not come up: say so with its log, stop it (`$@`: as for stop_server), exit 1.
give_up() {
    log "$NAME did not become ready within its time; its log ($LOGFILE):"
    tail -n 20 "$LOGFILE" >&2 || true
    stop_server "$@"
    exit 1
}

# The head of a Knot config (server, control socket, log, database) for a server on
# 127.0.0.1:$1 keeping its state in $2: peer-knot and peer-dnssec alike.
knot_conf_head() {
    local user=""
    [ "$(id -u)" = 0 ] && user="    user: root:root"
    cat <<EOF
server:
    listen: 127.0.0.1@$1
    rundir: $2
    pidfile: $2/knot.pid
$user
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1

control:
    listen: $2/knot.sock

log:
  - target: stderr
    any: info

database:
    storage: $2/db
EOF
}
