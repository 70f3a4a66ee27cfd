#!/usr/bin/env bash
# The content scanners' own cost, apart from mailctl's: the round-trip time of one 4 KiB
# message through SpamAssassin's spamd (SPAMC/1.5 CHECK), rspamd (/checkv2) and clamd
# (zINSTREAM), measured by a plain Python client on loopback, one request at a time. These are
# the peers' costs that a filtered message adds to its delivery; bench/smtp.sh measures ours.
#
# Usage: bash bench/scanners.sh
# Environment (optional):
#   N=200          requests per scanner (after 10 not counted)
#   MSG_SIZE=4096  message payload in bytes
#   BENCH_DIR=/tmp/mailctl-bench-scanners   work directory (wiped at start)
# Starts the peers with scripts/peer-{spamd,rspamd,clamd}.sh when they do not run (and stops
# those it started at exit). Prints a table: scanner, median, p95 and p99 in ms.
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=${BENCH_DIR:-/tmp/mailctl-bench-scanners}
N=${N:-200}
MSG_SIZE=${MSG_SIZE:-4096}
# shellcheck source=bench/lib.sh
. bench/lib.sh

need_peer spamd spamd
need_peer rspamd rspamd_line
need_peer clamd clamd
rspamd="${rspamd_line%% *}"

python3 - "$N" "$MSG_SIZE" "$spamd" "$rspamd" "$clamd" <<'PY'
import socket, statistics, struct, sys, time, urllib.request

n, size = int(sys.argv[1]), int(sys.argv[2])
spamd, rspamd, clamd = sys.argv[3], sys.argv[4], sys.argv[5]
body = ("Lunch on Friday? " * (size // 17 + 1))[:size]
msg = ("From: ann@remote.example\r\nTo: bob@example.com\r\nSubject: lunch\r\n"
       "Date: Wed, 02 Dec 2026 12:00:00 +0000\r\nMessage-ID: <bench@remote.example>\r\n\r\n"
       + "\r\n".join(body[i:i + 76] for i in range(0, len(body), 76)) + "\r\n").encode()

def addr(a):
    h, p = a.rsplit(":", 1)
    return h, int(p)

def recv_all(s):
    out = b""
    while True:
        b = s.recv(65536)
        if not b:
            return out
        out += b

def spamd_check():
    with socket.create_connection(addr(spamd), timeout=30) as s:
        s.sendall(b"CHECK SPAMC/1.5\r\nContent-length: %d\r\n\r\n" % len(msg) + msg)
        s.shutdown(socket.SHUT_WR)
        r = recv_all(s)
    assert r.startswith(b"SPAMD/1.1 0 EX_OK"), r[:80]

def rspamd_check():
    req = urllib.request.Request(f"http://{rspamd}/checkv2", data=msg,
                                 headers={"IP": "127.0.0.1", "From": "ann@remote.example", "Rcpt": "bob@example.com"})
    with urllib.request.urlopen(req, timeout=30) as r:
        assert b'"action"' in r.read()

def clamd_check():
    with socket.create_connection(addr(clamd), timeout=30) as s:
        s.sendall(b"zINSTREAM\0")
        for i in range(0, len(msg), 16384):
            chunk = msg[i:i + 16384]
            s.sendall(struct.pack(">I", len(chunk)) + chunk)
        s.sendall(struct.pack(">I", 0))
        r = recv_all(s)
    assert r.rstrip(b"\0").endswith(b"OK"), r

print(f"{'scanner':<8} {'median ms':>10} {'p95 ms':>8} {'p99 ms':>8}   ({n} requests of {len(msg)} bytes, one at a time)")
for name, check in [("spamd", spamd_check), ("rspamd", rspamd_check), ("clamd", clamd_check)]:
    for _ in range(10):
        check()
    times = []
    for _ in range(n):
        t = time.perf_counter()
        check()
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    q = lambda p: times[min(len(times) - 1, int(p * len(times)))]
    print(f"{name:<8} {statistics.median(times):>10.2f} {q(0.95):>8.2f} {q(0.99):>8.2f}")
PY
