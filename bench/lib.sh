# Shared by bench/cert.sh and bench/dns.sh (sourced, after `cd` to the repository root, with
# WORK set): a release build, a fresh work directory, the peers a benchmark needs (started when
# they are not running, and then stopped at exit), and the figures' arithmetic.
RUNS="${RUNS:-5}"
ROOT="$PWD"
cargo build --release -q
BIN="$ROOT/target/release/mailctl"
rm -rf "$WORK" && mkdir -p "$WORK"

started=()
# Commands to run at exit besides stopping the peers started here (a benchmark's own servers).
at_exit=()
cleanup() {
    local p c
    for p in "${started[@]}"; do "$ROOT/scripts/peer-$p.sh" stop || true; done
    for c in "${at_exit[@]}"; do eval "$c" || true; done
}
trap cleanup EXIT

# need_peer NAME VAR: scripts/peer-NAME.sh's start line into VAR, starting the peer (and
# stopping it at exit) unless it already runs.
need_peer() {
    "$ROOT/scripts/peer-$1.sh" status >/dev/null 2>&1 || started+=("$1")
    local line
    line="$("$ROOT/scripts/peer-$1.sh" start)"
    printf -v "$2" '%s' "$line"
}

# ms START END [DIGITS]: milliseconds between two `date +%s.%N` stamps.
ms() { python3 -c 'import sys; print(f"{(float(sys.argv[2]) - float(sys.argv[1])) * 1000:.{sys.argv[3]}f}")' "$1" "$2" "${3:-1}"; }
# The median of the numbers on stdin, one a line.
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
