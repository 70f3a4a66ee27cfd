#!/usr/bin/env python3
"""Mixed IMAP workload: N concurrent clients for a fixed time against each server, with every
untagged response checked against the protocol rules a client relies on.

Driven by bench/imap_mixed.sh (which sets up mailctl and Dovecot with the same accounts, the same
password hashes and the same messages); it can also be run by hand against any servers:

  imap_mixed.py --server mailctl=127.0.0.1:14143 --server dovecot=127.0.0.1:14144 \
      --shared-user bench@example.com --users login1@example.com,... --password P

Each client is one process (no GIL between clients). A client logs in, SELECTs INBOX, fetches
every message's UID and FLAGS, and then loops until the deadline over a weighted mix of
  page     FETCH a:b (UID FLAGS RFC822.SIZE ENVELOPE)       (a 20-message page of the list)
  body     FETCH n (UID BODY.PEEK[])
  flag     STORE n +FLAGS/-FLAGS (\\Seen or \\Flagged)
  keyword  STORE n +FLAGS ($LabelK), K in 1..30              (new keywords appear as it runs)
  expunge  STORE n +FLAGS (\\Deleted), then EXPUNGE
  append   APPEND INBOX (\\Seen) {2-8 KiB}
  copy     COPY n Archive
  noop     NOOP
with, in the "login" mode, a LOGOUT and a new connection (connect, LOGIN, SELECT) every
--relogin mailbox commands. Layouts: "separate" (client i logs in as users[i], its own
mailbox) and "shared" (every client logs in as --shared-user: one INBOX for all).

Protocol errors counted (a client would misbehave on each):
  * a tagged BAD, or a tagged NO to a command that cannot fail here (all of the above), except
    NO [EXPUNGEISSUED] (RFC 5530) for a message another session expunged;
  * FETCH FLAGS naming a keyword not announced by an untagged FLAGS before it (RFC 3501 7.2.6);
  * EXISTS that shrinks the mailbox, EXPUNGE or FETCH of a number beyond the mailbox's size,
    EXPUNGE sent during FETCH or STORE (RFC 3501 7.4.1; the client's only SEARCH is a UID SEARCH,
    where EXPUNGE is allowed);
  * a message that is \\Recent in two sessions (RFC 3501 2.3.2; each session asks
    UID SEARCH RECENT when it learns of recent messages, and the sets are compared at the end);
  * a connection the server closed or a command that timed out.
"""
import argparse
import json
import multiprocessing as mp
import os
import random
import re
import socket
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from imap_bench import Conn, ImapError, quote  # noqa: E402

KINDS = ["login", "select", "page", "body", "flag", "keyword", "expunge", "append", "copy",
         "noop", "search", "logout"]
# Weights of the mailbox commands in the loop.
MIX = [("page", 14), ("body", 24), ("flag", 18), ("keyword", 8), ("expunge", 9),
       ("append", 9), ("copy", 5), ("noop", 13)]
SYSTEM_FLAGS = {"\\seen", "\\answered", "\\flagged", "\\deleted", "\\draft", "\\recent"}
WORDS = ("lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor "
         "incididunt ut labore et dolore magna aliqua needle haystack mail server").split()

_FLAGS = re.compile(rb"FLAGS \(([^)]*)\)", re.I)
_NUMBERED = re.compile(rb"\* (\d+) (EXISTS|EXPUNGE|RECENT|FETCH)\b", re.I)


def responses(data):
    """Each untagged response of `data` as one bytes line, literals replaced by their length."""
    out = []
    pos = 0
    cur = bytearray()
    while pos < len(data):
        i = data.find(b"\r\n", pos)
        if i < 0:
            cur += data[pos:]
            break
        line = data[pos:i]
        m = re.search(rb"\{(\d+)\}$", line)
        if m:
            cur += line
            pos = i + 2 + int(m.group(1))
            continue
        cur += line
        out.append(bytes(cur))
        cur = bytearray()
        pos = i + 2
    if cur:
        out.append(bytes(cur))
    return out


def message(rng, n):
    body = []
    size = rng.randint(2048, 8192)
    while size > 0:
        line = " ".join(rng.choice(WORDS) for _ in range(12))
        body.append(line)
        size -= len(line) + 2
    return ("From: Client {0} <client{0}@example.net>\r\nTo: someone@example.com\r\n"
            "Subject: mixed workload message {1}\r\nDate: Wed, 02 Dec 2026 10:00:00 +0000\r\n"
            "Message-ID: <mixed-{0}-{1}-{2}@example.net>\r\n\r\n{3}\r\n").format(
                os.getpid(), n, rng.random(), "\r\n".join(body)).encode()


class ProtocolError(Exception):
    pass


class Client:
    def __init__(self, a, user, seed):
        self.a = a
        self.user = user
        self.rng = random.Random(seed)
        self.lat = {k: [] for k in KINDS}
        self.no = {k: 0 for k in KINDS}
        self.errors = []
        self.error_count = 0
        self.recent = []  # one set of UIDs per session
        self.conn = None
        self.appended = 0

    def error(self, msg):
        self.error_count += 1
        if len(self.errors) < 5:
            self.errors.append(f"{self.user}: {msg}")

    # ---------------------------------------------------------------- responses
    def check(self, data, during):
        """Apply the untagged responses in `data` to the session's view and check them."""
        learned_recent = False
        for r in responses(data):
            if not r.startswith(b"* "):
                continue
            up = r[:40].upper()
            if up.startswith(b"* FLAGS "):
                m = _FLAGS.search(r)
                if m:
                    self.announced = {f.lower() for f in m.group(1).decode("utf-8", "replace").split()}
                continue
            m = _NUMBERED.match(r)
            if not m:
                continue
            n = int(m.group(1))
            what = m.group(2).upper()
            if what == b"EXISTS":
                if n < self.count:
                    self.error(f"EXISTS {n} after {self.count} without EXPUNGE, during {during}")
                self.count = n
            elif what == b"EXPUNGE":
                if during in ("page", "body", "flag", "keyword"):  # FETCH and STORE; UID SEARCH may
                    self.error(f"EXPUNGE sent during {during} (RFC 3501 7.4.1)")
                if not 1 <= n <= self.count:
                    self.error(f"EXPUNGE {n} with {self.count} messages")
                else:
                    self.count -= 1
            elif what == b"RECENT":
                if n > 0:
                    learned_recent = True
            else:  # FETCH
                if not 1 <= n <= self.count:
                    self.error(f"FETCH {n} with {self.count} messages, during {during}")
                fm = _FLAGS.search(r)
                if fm:
                    for f in fm.group(1).decode("utf-8", "replace").split():
                        fl = f.lower()
                        if fl not in SYSTEM_FLAGS and fl not in self.announced:
                            self.error(f"FETCH FLAGS has {f}, never announced by FLAGS, during {during}")
                            self.announced.add(fl)
        return learned_recent

    def run(self, kind, text, literal=None):
        t0 = time.perf_counter()
        if literal is None:
            data, status = self.conn.command(text)
        else:
            data, status = self.literal_command(text, literal)
        self.lat[kind].append((time.perf_counter() - t0) * 1000)
        parts = status.split(b" ", 2)
        word = parts[1].upper() if len(parts) > 1 else b""
        if word == b"BAD":
            self.error(f"{kind}: BAD {status[:160]!r}")
        elif word == b"NO":
            self.no[kind] += 1
            # A message another session expunged meanwhile (RFC 5530) is the one NO allowed.
            if b"[EXPUNGEISSUED]" not in status.upper():
                self.error(f"{kind}: {status[:160]!r}")
        elif word != b"OK":
            self.error(f"{kind}: {status[:160]!r}")
        if self.check(data, kind) and kind != "logout":
            self.ask_recent()
        return data, word == b"OK"

    def literal_command(self, text, literal):
        c = self.conn
        c.n += 1
        tag = b"T%d" % c.n
        c.sock.sendall(tag + b" " + text + b" {%d}\r\n" % len(literal))
        # Untagged data may come before the continuation request.
        early = b""
        while True:
            line = c._read_line()
            if line.startswith(b"+"):
                break
            if line.startswith(tag + b" "):
                return early, line
            early += line + b"\r\n"
        c.sock.sendall(literal + b"\r\n")
        data, status = c.read_tagged(tag)
        return early + data, status

    def ask_recent(self):
        t0 = time.perf_counter()
        data, status = self.conn.command(b"UID SEARCH RECENT")
        self.lat["search"].append((time.perf_counter() - t0) * 1000)
        if b" OK" not in status[:12]:
            self.error(f"UID SEARCH RECENT: {status[:160]!r}")
        self.check(data, "search")
        for r in responses(data):
            if r.upper().startswith(b"* SEARCH"):
                self.recent[-1].update(int(x) for x in r.split()[2:] if x.isdigit())

    # ---------------------------------------------------------------- session
    def connect(self):
        t0 = time.perf_counter()
        self.conn = Conn(self.a.host, self.a.port, self.a.timeout)
        data, status = self.conn.command(b"LOGIN " + quote(self.user) + b" " + quote(self.a.password))
        self.lat["login"].append((time.perf_counter() - t0) * 1000)
        if b" OK" not in status[:12]:
            raise ProtocolError(f"LOGIN: {status[:160]!r}")
        self.count = 0
        self.announced = set()
        self.recent.append(set())
        data, ok = self.run("select", b"SELECT INBOX")
        if not ok:
            raise ProtocolError("SELECT INBOX failed")
        if re.search(rb"\* [1-9]\d* RECENT", data):
            self.ask_recent()

    def disconnect(self):
        self.run("logout", b"LOGOUT")
        self.conn.sock.close()
        self.conn = None

    def seq(self):
        return self.rng.randint(1, self.count)

    def step(self, kind):
        if self.count == 0 and kind not in ("append", "noop"):
            kind = "append"
        if kind == "page":
            a = self.seq()
            self.run(kind, b"FETCH %d:%d (UID FLAGS RFC822.SIZE ENVELOPE)" % (a, min(self.count, a + 19)))
        elif kind == "body":
            self.run(kind, b"FETCH %d (UID BODY.PEEK[])" % self.seq())
        elif kind == "flag":
            sign = b"+" if self.rng.random() < 0.6 else b"-"
            flag = self.rng.choice([b"\\Seen", b"\\Flagged"])
            self.run(kind, b"STORE %d %sFLAGS (%s)" % (self.seq(), sign, flag))
        elif kind == "keyword":
            self.run(kind, b"STORE %d +FLAGS ($Label%d)" % (self.seq(), self.rng.randint(1, 30)))
        elif kind == "expunge":
            self.run("flag", b"STORE %d +FLAGS (\\Deleted)" % self.seq())
            self.run(kind, b"EXPUNGE")
        elif kind == "append":
            self.appended += 1
            self.run(kind, b"APPEND INBOX (\\Seen)", message(self.rng, self.appended))
        elif kind == "copy":
            self.run(kind, b"COPY %d Archive" % self.seq())
        else:
            self.run(kind, b"NOOP")

    def prepare(self, fill):
        """Before the clock: the Archive folder exists and the mailbox holds `fill` messages."""
        self.connect()
        self.conn.command(b"CREATE Archive")  # NO when another client made it first
        while self.count < fill:
            self.appended += 1
            data, status = self.literal_command(b"APPEND INBOX (\\Seen)", message(self.rng, self.appended))
            if b" OK" not in status[:12]:
                raise ProtocolError(f"APPEND while preparing: {status[:160]!r}")
            self.check(data, "append")
            self.check(self.conn.command(b"NOOP")[0], "noop")
        self.disconnect()
        self.lat = {k: [] for k in KINDS}
        self.no = {k: 0 for k in KINDS}
        self.recent = []


def client_main(a, user, seed, barrier, out):
    c = Client(a, user, seed)
    kinds = [k for k, w in MIX for _ in range(w)]
    try:
        c.prepare(a.fill)
    except (OSError, ImapError, ProtocolError) as e:
        c.error(f"preparing: {e}")
    # Every client starts the clock together, once all have prepared.
    barrier.wait()
    deadline = time.time() + a.duration
    done = 0
    while time.time() < deadline:
        try:
            if c.conn is None:
                c.connect()
            c.step(c.rng.choice(kinds))
            done += 1
            if a.relogin and done % a.relogin == 0:
                c.disconnect()
        except (OSError, ImapError, ProtocolError) as e:
            c.error(f"{type(e).__name__}: {e}")
            if c.conn is not None:
                try:
                    c.conn.sock.close()
                except OSError:
                    pass
                c.conn = None
            time.sleep(0.05)
    if c.conn is not None:
        try:
            c.disconnect()
        except (OSError, ImapError):
            pass
    out.put({"user": user, "lat": c.lat, "no": c.no, "errors": c.errors,
             "error_count": c.error_count, "recent": [sorted(s) for s in c.recent]})


def pct(v, p):
    if not v:
        return None
    v = sorted(v)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]


def scenario(a, host, port, clients, layout, mode):
    a.host, a.port = host, port
    a.relogin = a.relogin_every if mode == "login" else 0
    a.fill = a.fill_separate if layout == "separate" else 0
    if layout == "separate" and clients > len(a.users):
        raise SystemExit(f"{clients} clients need {clients} --users, got {len(a.users)}")
    q = mp.Queue()
    barrier = mp.Barrier(clients, timeout=a.prepare_timeout)
    procs = []
    for i in range(clients):
        user = a.users[i] if layout == "separate" else a.shared_user
        p = mp.Process(target=client_main, args=(a, user, a.seed * 1000 + i, barrier, q))
        p.start()
        procs.append(p)
    t0 = time.time()
    results = [q.get(timeout=a.duration + a.prepare_timeout + 300) for _ in procs]
    for p in procs:
        p.join()
    print(f"[{time.strftime('%H:%M:%S')}]   done in {time.time() - t0:.0f} s", file=sys.stderr, flush=True)
    lat = {k: [] for k in KINDS}
    no = {k: 0 for k in KINDS}
    errors, error_count = [], 0
    recent_by_user = {}
    for r in results:
        for k in KINDS:
            lat[k] += r["lat"][k]
            no[k] += r["no"][k]
        errors += r["errors"]
        error_count += r["error_count"]
        recent_by_user.setdefault(r["user"], []).extend(r["recent"])
    dup = 0
    for user, sessions in recent_by_user.items():
        seen = {}
        for s in sessions:
            for uid in s:
                seen[uid] = seen.get(uid, 0) + 1
        d = sum(1 for n in seen.values() if n > 1)
        if d:
            dup += d
            errors.append(f"{user}: {d} messages \\Recent in more than one session")
    error_count += dup
    total = sum(len(v) for v in lat.values())
    return {
        "clients": clients, "layout": layout, "mode": mode, "duration": a.duration,
        "commands": total, "per_second": total / a.duration,
        "by_kind": {k: {"count": len(lat[k]), "per_second": len(lat[k]) / a.duration,
                        "p50_ms": pct(lat[k], 50), "p99_ms": pct(lat[k], 99), "no": no[k]}
                    for k in KINDS},
        "errors": error_count, "recent_duplicates": dup, "error_samples": errors[:10],
    }


def quiesce(seconds):
    """Before a server's run: write back what earlier runs changed and wait `seconds`. On ext4
    without a journal, creating a file scans past every inode of its group freed in the last 60 s
    (360 s while the inode table's block is dirty, which new inodes beside it make it again:
    recently_deleted() in the kernel), one by one; the set-up's wipe of the previous work
    directory and the expunges of the run before would otherwise slow whichever server runs
    next, by up to a third of its CPU (perf)."""
    if seconds > 0:
        os.sync()
        time.sleep(seconds)


def combine(name, runs):
    """One server's rounds of a scenario: the round with the median rate stands for them in the
    table (its latencies and rates by kind); protocol errors are counted over every round."""
    ranked = sorted(runs, key=lambda r: r["per_second"])
    r = dict(ranked[(len(ranked) - 1) // 2])
    r["server"] = name
    r["rounds"] = [x["per_second"] for x in runs]
    r["errors"] = sum(x["errors"] for x in runs)
    r["error_samples"] = [e for x in runs for e in x["error_samples"]]
    return r


def fmt(x):
    return "-" if x is None else (f"{x:.1f}" if x < 100 else f"{x:.0f}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--server", action="append", required=True, help="NAME=HOST:PORT")
    ap.add_argument("--shared-user", required=True)
    ap.add_argument("--users", required=True, help="comma-separated, one per client (separate layout)")
    ap.add_argument("--password", required=True)
    ap.add_argument("--clients", default="10,50")
    ap.add_argument("--layouts", default="separate,shared")
    ap.add_argument("--modes", default="stay,login")
    ap.add_argument("--duration", type=float, default=30)
    ap.add_argument("--relogin-every", type=int, default=10, help="mailbox commands per session in the login mode")
    ap.add_argument("--fill-separate", type=int, default=100, help="messages in each separate INBOX before the clock")
    ap.add_argument("--prepare-timeout", type=float, default=300, help="seconds the clients may take to prepare")
    ap.add_argument("--timeout", type=float, default=60)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json")
    ap.add_argument("--info", action="append", default=[])
    ap.add_argument("--repeat", type=int, default=1,
                    help="rounds of each scenario per server, alternating which goes first; the median counts")
    ap.add_argument("--quiesce", type=float, default=0,
                    help="seconds to wait (after a sync) before each server's run; see quiesce()")
    ap.add_argument("--target-stay", type=float, default=1.5)
    ap.add_argument("--target-login", type=float, default=2.0)
    ap.add_argument("--target-p99", type=float, default=20.0)
    a = ap.parse_args()
    a.users = [u for u in a.users.split(",") if u]
    servers = []
    for s in a.server:
        name, _, hp = s.partition("=")
        host, _, port = hp.rpartition(":")
        servers.append((name, host, int(port)))
    results = []
    for clients in [int(x) for x in a.clients.split(",")]:
        for layout in a.layouts.split(","):
            for mode in a.modes.split(","):
                runs = {name: [] for name, _, _ in servers}
                for rnd in range(a.repeat):
                    # Every other round the other server goes first, so that neither always
                    # runs after the other's deletions or on a warmer cache.
                    for name, host, port in (servers if rnd % 2 == 0 else servers[::-1]):
                        quiesce(a.quiesce)
                        print(f"[{time.strftime('%H:%M:%S')}] {clients} clients, {layout}, {mode}: {name}"
                              + (f" (round {rnd + 1} of {a.repeat})" if a.repeat > 1 else ""),
                              file=sys.stderr, flush=True)
                        runs[name].append(scenario(a, host, port, clients, layout, mode))
                results.append({name: combine(name, rs) for name, rs in runs.items()})
    for line in a.info:
        print(line)
    print()
    names = [n for n, _, _ in servers]
    hdr = (f"{'scenario':<26} {'server':<8} {'cmd/s':>7} {'errors':>6} "
           f"{'FETCH p50/p99':>14} {'STORE p50/p99':>14} {'APPEND p50/p99':>15} {'LOGIN p50/p99':>14}")
    print(hdr)
    print("-" * len(hdr))
    misses = []
    total_errors = 0
    for row in results:
        for name in names:
            r = row[name]
            total_errors += r["errors"]
            bk = r["by_kind"]
            fetch = bk["page"]["p50_ms"], max(x for x in (bk["page"]["p99_ms"], bk["body"]["p99_ms"], 0) if x is not None)
            print(f"{r['clients']:>3} clients {r['layout']:<8} {r['mode']:<5}  {name:<8} {r['per_second']:>7.0f} "
                  f"{r['errors']:>6} {fmt(fetch[0]):>6}/{fmt(fetch[1]):<7} "
                  f"{fmt(bk['flag']['p50_ms']):>6}/{fmt(bk['flag']['p99_ms']):<7} "
                  f"{fmt(bk['append']['p50_ms']):>7}/{fmt(bk['append']['p99_ms']):<7} "
                  f"{fmt(bk['login']['p50_ms']):>6}/{fmt(bk['login']['p99_ms']):<7}")
            for e in r["error_samples"][:3]:
                print(f"      {e}")
            if name == "mailctl" and r["errors"]:
                misses.append(f"{r['clients']} clients {r['layout']} {r['mode']}: {r['errors']} protocol errors")
            if name == "mailctl" and r["clients"] == 10:
                for k in ("page", "body", "flag", "keyword", "append"):
                    p = bk[k]["p99_ms"]
                    if p is not None and p >= a.target_p99:
                        misses.append(f"10 clients {r['layout']} {r['mode']}: {k} p99 {p:.1f} ms >= {a.target_p99} ms")
        if "mailctl" in row and "dovecot" in row:
            m, d = row["mailctl"], row["dovecot"]
            # Each round's ratio compares two runs made minutes apart; the median of those
            # pairs follows the machine's drift better than a ratio of two medians.
            pairs = [x / y if y else float("inf") for x, y in zip(m["rounds"], d["rounds"])]
            ratio = statistics.median(pairs)
            target = a.target_stay if m["mode"] == "stay" else a.target_login
            mark = "met" if ratio >= target else "MISSED"
            if len(pairs) > 1:
                print(f"{'':<36} rounds: mailctl " + ", ".join(f"{x:.0f}" for x in m["rounds"])
                      + "; dovecot " + ", ".join(f"{x:.0f}" for x in d["rounds"])
                      + "; ratios " + ", ".join(f"{x:.2f}" for x in pairs))
            print(f"{'':<36} mailctl/dovecot {ratio:.2f}x{' (median of the rounds)' if len(pairs) > 1 else ''}"
                  f" (target >= {target}x: {mark})")
            if ratio < target:
                misses.append(f"{m['clients']} clients {m['layout']} {m['mode']}: {ratio:.2f}x < {target}x")
    print()
    print("commands per second by kind (mailctl / dovecot):")
    for row in results:
        any_r = next(iter(row.values()))
        parts = []
        for k in KINDS:
            vals = [row[n]["by_kind"][k]["per_second"] for n in names]
            if any(vals):
                parts.append(f"{k} " + "/".join(f"{v:.0f}" for v in vals))
        print(f"  {any_r['clients']:>3} clients {any_r['layout']:<8} {any_r['mode']:<5}: " + ", ".join(parts))
    print()
    print("targets missed:" if misses else "every target met")
    for m in misses:
        print(f"  {m}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"info": a.info, "results": results, "missed": misses}, f, indent=1)
    return 1 if total_errors and "mailctl" in names and any(
        row.get("mailctl", {}).get("errors") for row in results) else 0


if __name__ == "__main__":
    sys.exit(main())
