#!/usr/bin/env python3
"""Helper for bench/imap.sh: fills a Maildir and measures IMAP servers. Standard library only.

  imap_bench.py gen   --maildir DIR --count N --manifest FILE [--seed S] [--eol crlf|lf]
      Writes N messages (4-20 KiB, a third of them multipart, 1% with "needle" in the body)
      into DIR/cur under Dovecot-style names (TIME.MusecPpid.host,S=size,W=vsize:2,FLAGS),
      file times increasing with the names, and a JSON manifest (Message-ID, wire size,
      flags, SHA-1 of the CRLF form, needle) in Maildir order.

  imap_bench.py run   --manifest FILE --server NAME=HOST:PORT:PIDSPEC ... [options]
      Per server: one cold pass (its first access after start; not counted), then REPEAT
      passes, alternating servers pass by pass. A pass is one connection:
        LOGIN + EXAMINE INBOX, FETCH 1:* (FLAGS RFC822.SIZE ENVELOPE), SEARCH TEXT "needle",
        FETCH 1:B BODY.PEEK[], and B separate UID FETCH u BODY.PEEK[] (one round trip each).
      Everything is read-only (EXAMINE, BODY.PEEK). Every response is checked against the
      manifest. Before the passes, one server at a time, CONNS connections LOGIN and stay
      idle, and the growth of the server's memory (PSS from /proc/PID/smaps_rollup) is divided by the
      number of logins that got OK. With --login-users, each of those accounts logs in twice,
      a new connection each time (connect + LOGIN + EXAMINE INBOX): the first is a cold login
      (a credential cache has not seen it), the second a warm one. PIDSPEC is `pid:N` (that process) or `tree:N` (that
      process and all its descendants, e.g. Dovecot's master). Prints the table; writes
      --json if given. Exit status 1 when a check failed (or with --strict a target was
      missed).
"""

import argparse
import asyncio
import base64
import hashlib
import json
import math
import os
import random
import re
import socket
import statistics
import sys
import time

NEEDLE = b"needle"
BASE_TIME = 1_700_000_000  # 2023-11-14
STEP = 300  # seconds between two messages (Date, file name, mtime)

# ---------------------------------------------------------------- generator

WORDS = """
about above account action after again against agenda agreed all also always amount analysis
and another answer any april area around attached available back balance bank based because
been before being below best better between board both budget build business but call can
cannot change check client close code come committee company contract cost could council
course customer data date day deadline deal decision delivery design detail did different
discuss document does done down draft during each early end enough estimate even evening
every example expected fact feedback few figure file final find first follow for forward
friday from full further get give going good group had has have help here high hold home
hope how however idea important include information into invoice issue item just keep kind
know last late later least let like line list little long look made make many march market
may meeting might minutes monday month more morning most much must need never new next
note now number offer office only open option order other our out over page paper part
people period plan please point possible price problem process product project proposal
provide quarter question quite rather really reason receive regards release report request
result review right risk room round sales same schedule second section see send sent server
service set several should show side since small some soon start status still support sure
system table team than thanks that the their them then there these they thing think this
those thursday time today together too total travel tuesday under until update upon use
version very want was week wednesday well were what when where which while will with within
work would year yes yet you your
""".split()
FIRST = "Anna Ben Carla David Elena Frank Grace Hugo Irene Jonas Karin Liam Maria Nils Olga " \
        "Paul Rosa Sven Tara Victor".split()
LAST = "Andersen Baker Costa Dubois Eriksen Fischer Garcia Hansen Ivanova Jensen Keller " \
       "Larsen Moreau Novak Olsen Petrov Rossi Schmidt Tanaka Weber".split()
DOMAINS = "acme.example contoso.example globex.example initech.example umbrella.example " \
          "hooli.example vandelay.example wayne.example".split()
for _w in WORDS + FIRST + LAST + DOMAINS:
    assert NEEDLE not in _w.lower().encode()


def _lines_pool(rng, n=4000):
    """Body lines of 40-76 characters made of WORDS."""
    pool = []
    for _ in range(n):
        target = rng.randint(40, 76)
        words = []
        length = -1
        while length < target - 6:
            w = rng.choice(WORDS)
            words.append(w)
            length += len(w) + 1
        s = " ".join(words)
        if rng.random() < 0.3:
            s = s[0].upper() + s[1:] + "."
        pool.append(s)
    return pool


def _rfc2822_date(t):
    return time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime(t))


def _person(rng):
    f, l, d = rng.choice(FIRST), rng.choice(LAST), rng.choice(DOMAINS)
    addr = f"{f.lower()}.{l.lower()}@{d}"
    r = rng.random()
    if r < 0.15:
        return f'"{l}, {f}" <{addr}>'
    if r < 0.25:
        return addr
    return f"{f} {l} <{addr}>"


def _text(rng, pool, nbytes, eol):
    out, size = [], 0
    while size < nbytes:
        line = rng.choice(pool) if rng.random() > 0.08 else ""
        out.append(line)
        size += len(line) + len(eol)
    return out


def _with_needle(rng, lines):
    i = rng.randrange(len(lines) + 1)
    lines.insert(i, "Somewhere in this long thread is the needle we were looking for.")


def make_message(i, rng, pool, needle):
    """One message: (bytes in CRLF form, Message-ID). Lines are joined with CRLF here and
    converted to LF by the caller when asked."""
    t = BASE_TIME + i * STEP
    target = int(min(20480, max(4096, rng.lognormvariate(math.log(8000), 0.45))))
    msgid = f"<{i}.{rng.getrandbits(48):012x}@{rng.choice(DOMAINS)}>"
    sender = _person(rng)
    subject = " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 9))).capitalize()
    if rng.random() < 0.1:
        subject = "=?UTF-8?Q?Caf=C3=A9_" + subject.replace(" ", "_") + "?="
    elif rng.random() < 0.2:
        subject = "Re: " + subject
    ip = f"192.0.2.{rng.randint(1, 254)}"
    h = [
        "Return-Path: <" + re.sub(r".*<|>.*", "", sender) + ">",
        "Delivered-To: bench@example.com",
        f"Received: from mx.{sender.split('@')[-1].rstrip('>')} (mx [{ip}])",
        f"\tby mail.example.com with ESMTPS id {rng.getrandbits(40):010X}",
        f"\tfor <bench@example.com>; {_rfc2822_date(t)}",
        f"From: {sender}",
        "To: Bench User <bench@example.com>",
    ]
    if rng.random() < 0.3:
        h.append(f"Cc: {_person(rng)}, {_person(rng)}")
    h += [f"Subject: {subject}", f"Date: {_rfc2822_date(t)}", f"Message-ID: {msgid}"]
    if subject.startswith("Re: "):
        h.append(f"In-Reply-To: <{i - 1}.{rng.getrandbits(48):012x}@{rng.choice(DOMAINS)}>")
    h.append("MIME-Version: 1.0")
    hdr_len = sum(len(x) + 2 for x in h) + 200
    room = max(1024, target - hdr_len)
    kind = rng.random()
    if kind < 0.60:
        text = _text(rng, pool, room, "\r\n")
        if needle:
            _with_needle(rng, text)
        h += ["Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: 7bit"]
        body = text
    elif kind < 0.85:
        b = f"=_alt_{i}_{rng.getrandbits(32):08x}"
        text = _text(rng, pool, room // 2, "\r\n")
        if needle:
            _with_needle(rng, text)
        html = ["<html><body>"] + [f"<p>{x}</p>" if x else "<br>" for x in text] + ["</body></html>"]
        h.append(f'Content-Type: multipart/alternative; boundary="{b}"')
        body = (["This is a multi-part message in MIME format.", "", f"--{b}",
                 "Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: 7bit", ""]
                + text + ["", f"--{b}", "Content-Type: text/html; charset=utf-8",
                          "Content-Transfer-Encoding: 7bit", ""] + html + ["", f"--{b}--", ""])
    else:
        b = f"=_mix_{i}_{rng.getrandbits(32):08x}"
        text = _text(rng, pool, max(300, room // 4), "\r\n")
        if needle:
            _with_needle(rng, text)
        raw_len = max(300, (room - room // 4) * 3 // 4)
        while True:
            data = rng.randbytes(raw_len)
            enc = base64.b64encode(data)
            if NEEDLE not in data.lower() and NEEDLE not in enc.lower():
                break
        enc_lines = [enc[k:k + 76].decode() for k in range(0, len(enc), 76)]
        h.append(f'Content-Type: multipart/mixed; boundary="{b}"')
        body = ([f"--{b}", "Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: 7bit", ""]
                + text + ["", f"--{b}", f'Content-Type: application/pdf; name="report-{i}.pdf"',
                          "Content-Transfer-Encoding: base64",
                          f'Content-Disposition: attachment; filename="report-{i}.pdf"', ""]
                + enc_lines + [f"--{b}--", ""])
    msg = "\r\n".join(h + [""] + body).encode()
    if not msg.endswith(b"\r\n"):
        msg += b"\r\n"
    return msg, msgid, t


def cmd_gen(a):
    rng = random.Random(a.seed)
    pool = _lines_pool(rng)
    cur = os.path.join(a.maildir, "cur")
    os.makedirs(cur, exist_ok=True)
    for sub in ("new", "tmp"):
        os.makedirs(os.path.join(a.maildir, sub), exist_ok=True)
    n_needle = max(1, round(a.count * a.needle_percent / 100)) if a.needle_percent > 0 else 0
    needles = set(rng.sample(range(a.count), n_needle))
    manifest = []
    total = 0
    for i in range(a.count):
        msg, msgid, t = make_message(i, rng, pool, i in needles)
        has = NEEDLE in msg.lower()
        if has != (i in needles):
            sys.exit(f"gen: internal error: message {i} needle={i in needles} but found={has}")
        disk = msg if a.eol == "crlf" else msg.replace(b"\r\n", b"\n")
        r = rng.random()
        flags = "S" if r < 0.70 else "" if r < 0.90 else "FS" if r < 0.95 else "RS"
        name = (f"{t}.M{rng.randrange(1_000_000)}P{rng.randint(1000, 60000)}.mailhost,"
                f"S={len(disk)},W={len(msg)}:2,{flags}")
        path = os.path.join(cur, name)
        with open(path, "wb") as f:
            f.write(disk)
        os.utime(path, (t, t))
        imap_flags = sorted({"S": "\\Seen", "F": "\\Flagged", "R": "\\Answered"}[c] for c in flags)
        manifest.append({"id": msgid, "size": len(msg), "flags": imap_flags, "needle": i in needles,
                         "sha1": hashlib.sha1(msg).hexdigest(), "file": name, "date": int(t)})
        total += len(disk)
    with open(a.manifest, "w") as f:
        json.dump({"count": a.count, "needles": n_needle, "eol": a.eol, "bytes_on_disk": total,
                   "messages": manifest}, f)
    print(f"wrote {a.count} messages ({total / 1048576:.1f} MiB on disk, {a.eol.upper()} line "
          f"endings, {n_needle} with \"needle\") to {cur}")


# ---------------------------------------------------------------- IMAP client

class ImapError(Exception):
    pass


# Every connection of a process receives into this one buffer, copied out at once:
# sock.recv(1 MiB) allocates (mmap) and frees a megabyte per call, which made the client's
# CPU, not the server's, the limit of the mixed workload.
_SCRATCH = memoryview(bytearray(1 << 20))


class Conn:
    """A minimal synchronous IMAP client that reads a command's whole response as raw bytes
    (literals skipped by their length) with no parsing while the clock runs."""

    def __init__(self, host, port, timeout):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = bytearray()
        self.n = 0
        greeting = self._read_line()
        if not greeting.startswith(b"* OK"):
            raise ImapError(f"greeting: {greeting[:200]!r}")

    def _recv(self):
        n = self.sock.recv_into(_SCRATCH)
        if not n:
            raise ImapError("connection closed by the server")
        return _SCRATCH[:n]

    def _fill(self):
        self.buf += self._recv()

    def _read_line(self):
        while True:
            i = self.buf.find(b"\r\n")
            if i >= 0:
                line = bytes(self.buf[:i])
                del self.buf[:i + 2]
                return line
            self._fill()

    def command(self, text):
        """Send one command; return (untagged bytes, tagged status line)."""
        self.n += 1
        tag = b"T%d" % self.n
        self.sock.sendall(tag + b" " + text + b"\r\n")
        return self.read_tagged(tag)

    def read_tagged(self, tag):
        tagsp = tag + b" "
        buf = self.buf
        pos = scan = 0
        while True:
            i = buf.find(b"\r\n", scan)
            if i < 0:
                buf += self._recv()
                continue
            if i > pos and buf[i - 1] == 0x7D:  # "}": a literal follows
                j = buf.rfind(b"{", pos, i)
                digits = buf[j + 1:i - 1] if j >= 0 else b""
                if digits.isdigit():
                    end = i + 2 + int(digits)
                    while len(buf) < end:
                        buf += self._recv()
                    scan = end
                    continue
            if buf.startswith(tagsp, pos):
                status = bytes(buf[pos:i])
                data = bytes(buf[:pos])
                del buf[:i + 2]
                return data, status
            pos = scan = i + 2

    def ok(self, text):
        data, status = self.command(text)
        if not status.split(b" ", 2)[1:2] == [b"OK"]:
            raise ImapError(f"{text[:60]!r}: {status[:300]!r}")
        return data

    def close(self):
        try:
            self.sock.sendall(b"Z LOGOUT\r\n")
        except OSError:
            pass
        self.sock.close()


def quote(s):
    return b'"' + s.encode().replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'


# ---------------------------------------------------------------- response parser

_ATOM_END = frozenset(b" ()\r")


def parse_responses(buf):
    """Untagged responses -> list of token lists (atoms as str, strings/literals as bytes,
    NIL as None, parenthesised lists as lists). Tolerant of odd resp-text."""
    out = []
    i, n = 0, len(buf)
    while i < n:
        stack = [[]]
        while i < n:
            c = buf[i]
            if c == 32:
                i += 1
            elif c == 13:
                i += 2
                break
            elif c == 40:
                new = []
                stack[-1].append(new)
                stack.append(new)
                i += 1
            elif c == 41:
                if len(stack) > 1:
                    stack.pop()
                i += 1
            elif c == 34:
                j = i + 1
                parts = []
                while True:
                    k = buf.index(b'"', j)
                    b = k - 1
                    while b >= j and buf[b] == 92:
                        b -= 1
                    if (k - 1 - b) % 2 == 0:
                        parts.append(buf[j:k])
                        break
                    parts.append(buf[j:k + 1])
                    j = k + 1
                s = b"".join(parts)
                if b"\\" in s:
                    s = re.sub(rb"\\(.)", rb"\1", s)
                stack[-1].append(s)
                i = k + 1
            elif c == 123 and buf.find(b"}\r\n", i) > i and buf[i + 1:buf.find(b"}\r\n", i)].isdigit():
                j = buf.find(b"}\r\n", i)
                ln = int(buf[i + 1:j])
                stack[-1].append(buf[j + 3:j + 3 + ln])
                i = j + 3 + ln
            else:
                j = i
                while j < n and buf[j] not in _ATOM_END:
                    if buf[j] == 91:  # "[": section, up to "]"
                        k = buf.find(b"]", j)
                        j = k + 1 if k > 0 else j + 1
                    else:
                        j += 1
                tok = buf[i:j].decode("latin-1")
                stack[-1].append(None if tok == "NIL" else tok)
                i = j
        out.append(stack[0])
    return out


def fetch_items(resp):
    """`* n FETCH (k v ...)` -> (n, {KEY: value}) or None."""
    if len(resp) >= 4 and resp[0] == "*" and isinstance(resp[2], str) and resp[2].upper() == "FETCH" \
            and isinstance(resp[3], list):
        lst = resp[3]
        return int(resp[1]), {str(lst[k]).upper(): lst[k + 1] for k in range(0, len(lst) - 1, 2)}
    return None


# ---------------------------------------------------------------- one pass against one server

class Checks:
    def __init__(self):
        self.failures = []
        self.warnings = []

    def fail(self, msg):
        self.failures.append(msg)
        print(f"imap_bench: FAILED: {msg}", file=sys.stderr)

    def warn(self, msg):
        if msg not in self.warnings:
            self.warnings.append(msg)
            print(f"imap_bench: warning: {msg}", file=sys.stderr)


def one_pass(srv, a, man, checks, label):
    """Returns {op: seconds} and a dict of observations for cross-server comparison."""
    msgs = man["messages"]
    by_id = {m["id"]: m for m in msgs}
    nb = min(a.bodies, len(msgs))
    times = {}
    obs = {}
    name = srv["name"]

    t0 = time.perf_counter()
    c = Conn(srv["host"], srv["port"], a.op_timeout)
    c.ok(b"LOGIN " + quote(a.user) + b" " + quote(a.password))
    data = c.ok(b"EXAMINE INBOX")
    times["open"] = time.perf_counter() - t0
    m = re.search(rb"^\* (\d+) EXISTS", data, re.M)
    exists = int(m.group(1)) if m else -1
    if exists != len(msgs):
        checks.fail(f"{name} {label}: EXAMINE INBOX says {exists} EXISTS, expected {len(msgs)}")

    # UIDs of the first B messages, for the separate UID FETCH commands (not timed).
    uids = {}
    for r in parse_responses(c.ok(b"FETCH 1:%d (UID)" % nb)):
        f = fetch_items(r)
        if f and "UID" in f[1]:
            uids[f[0]] = int(f[1]["UID"])
    if len(uids) != nb:
        checks.fail(f"{name} {label}: FETCH 1:{nb} (UID) gave {len(uids)} UIDs, expected {nb}")

    # 1. FETCH 1:* (FLAGS RFC822.SIZE ENVELOPE)
    t0 = time.perf_counter()
    data = c.ok(b"FETCH 1:* (FLAGS RFC822.SIZE ENVELOPE)")
    times["meta"] = time.perf_counter() - t0
    seq_id = {}
    envelopes = {}
    bad_size = bad_flags = 0
    example = None
    for r in parse_responses(data):
        f = fetch_items(r)
        if not f:
            continue
        seq, it = f
        env = it.get("ENVELOPE")
        if not isinstance(env, list) or len(env) < 10:
            checks.fail(f"{name} {label}: FETCH {seq} has no ENVELOPE")
            continue
        mid = env[9].decode("latin-1") if isinstance(env[9], bytes) else str(env[9])
        seq_id[seq] = mid
        envelopes[mid] = env
        exp = by_id.get(mid)
        if exp is None:
            checks.fail(f"{name} {label}: FETCH {seq}: unknown Message-ID {mid!r}")
            continue
        try:
            size = int(it.get("RFC822.SIZE"))
        except (TypeError, ValueError):
            size = -1
        flags = sorted(x for x in (it.get("FLAGS") or []) if isinstance(x, str) and x.lower() != "\\recent")
        if size != exp["size"]:
            bad_size += 1
            example = example or f"seq {seq} {mid}: RFC822.SIZE {size}, expected {exp['size']}"
        if flags != exp["flags"]:
            bad_flags += 1
            example = example or f"seq {seq} {mid}: FLAGS {flags}, expected {exp['flags']}"
    obs["fetch_count"] = len(seq_id)
    if len(seq_id) != len(msgs) or len(set(seq_id.values())) != len(msgs):
        checks.fail(f"{name} {label}: FETCH 1:* returned {len(seq_id)} responses "
                    f"({len(set(seq_id.values()))} distinct Message-IDs), expected {len(msgs)}")
    if bad_size or bad_flags:
        checks.fail(f"{name} {label}: FETCH 1:*: {bad_size} wrong RFC822.SIZE, {bad_flags} wrong FLAGS "
                    f"(first: {example})")
    order = [seq_id.get(k + 1) for k in range(len(msgs))]
    if order != [m["id"] for m in msgs]:
        checks.warn(f"{name}: sequence order differs from the Maildir's name/mtime order "
                    "(checks still use the server's own order)")
    obs["order"] = order
    obs["envelopes"] = envelopes

    # 2. SEARCH TEXT "needle"
    t0 = time.perf_counter()
    data = c.ok(b'SEARCH TEXT "needle"')
    times["search"] = time.perf_counter() - t0
    hits = []
    for r in parse_responses(data):
        if len(r) >= 2 and r[0] == "*" and str(r[1]).upper() == "SEARCH":
            hits += [int(x) for x in r[2:] if isinstance(x, str) and x.isdigit()]
    hit_ids = {seq_id.get(h) for h in hits}
    want = {m["id"] for m in msgs if m["needle"]}
    obs["search_hits"] = len(hits)
    if len(hits) != len(want) or hit_ids != want:
        checks.fail(f"{name} {label}: SEARCH TEXT \"needle\" found {len(hits)} messages "
                    f"({len(hit_ids & want)} right), expected {len(want)}")

    # 3. SORT (DATE): every message once, in the order of its Date: header
    t0 = time.perf_counter()
    data = c.ok(b"SORT (DATE) UTF-8 ALL")
    times["sort"] = time.perf_counter() - t0
    nums = []
    for r in parse_responses(data):
        if len(r) >= 2 and r[0] == "*" and str(r[1]).upper() == "SORT":
            nums += [int(x) for x in r[2:] if isinstance(x, str) and x.isdigit()]
    if sorted(nums) != list(range(1, len(msgs) + 1)):
        checks.fail(f"{name} {label}: SORT (DATE) ALL gave {len(nums)} numbers, expected each of 1..{len(msgs)} once")
    elif all("date" in m for m in msgs):
        dates = [by_id[seq_id[n]]["date"] for n in nums if seq_id.get(n) in by_id]
        if len(dates) != len(nums) or dates != sorted(dates):
            checks.fail(f"{name} {label}: SORT (DATE) ALL is not in Date order")

    # 3b. THREAD REFERENCES: every message once, somewhere in the tree
    t0 = time.perf_counter()
    data = c.ok(b"THREAD REFERENCES UTF-8 ALL")
    times["thread"] = time.perf_counter() - t0

    def flatten(x):
        return [n for y in x for n in flatten(y)] if isinstance(x, list) else [x]
    nums = []
    for r in parse_responses(data):
        if len(r) >= 2 and r[0] == "*" and str(r[1]).upper() == "THREAD":
            nums += [int(x) for x in flatten(r[2:]) if isinstance(x, str) and x.isdigit()]
    if sorted(nums) != list(range(1, len(msgs) + 1)):
        checks.fail(f"{name} {label}: THREAD REFERENCES ALL gave {len(nums)} numbers, "
                    f"expected each of 1..{len(msgs)} once")

    def check_body(seq, body, what):
        mid = seq_id.get(seq)
        exp = by_id.get(mid)
        if exp is None or not isinstance(body, bytes):
            return f"{what}: no BODY[] for seq {seq}"
        if len(body) != exp["size"] or hashlib.sha1(body).hexdigest() != exp["sha1"]:
            return (f"{what}: BODY[] of seq {seq} ({mid}) is {len(body)} bytes, expected "
                    f"{exp['size']} bytes with SHA-1 {exp['sha1'][:12]} (not the CRLF message?)")
        return None

    # 3. FETCH 1:B BODY.PEEK[] in one command
    t0 = time.perf_counter()
    data = c.ok(b"FETCH 1:%d BODY.PEEK[]" % nb)
    times["bodies"] = time.perf_counter() - t0
    got = 0
    total = 0
    err = None
    for r in parse_responses(data):
        f = fetch_items(r)
        if f and "BODY[]" in f[1]:
            got += 1
            total += len(f[1]["BODY[]"]) if isinstance(f[1]["BODY[]"], bytes) else 0
            err = err or check_body(f[0], f[1]["BODY[]"], f"FETCH 1:{nb} BODY.PEEK[]")
    obs["bodies_count"] = got
    obs["bodies_bytes"] = total
    if got != nb or err:
        checks.fail(f"{name} {label}: FETCH 1:{nb} BODY.PEEK[] returned {got} bodies, expected {nb}"
                    + (f"; {err}" if err else ""))

    # 4. B separate UID FETCH u BODY.PEEK[] commands, one round trip each
    seq_of_uid = {u: s for s, u in uids.items()}
    order_uids = [uids[s] for s in sorted(uids)]
    raws = []
    t0 = time.perf_counter()
    for u in order_uids:
        raws.append(c.ok(b"UID FETCH %d BODY.PEEK[]" % u))
    times["uid_bodies"] = time.perf_counter() - t0
    got = 0
    err = None
    for u, data in zip(order_uids, raws):
        for r in parse_responses(data):
            f = fetch_items(r)
            if f and "BODY[]" in f[1]:
                got += 1
                if seq_of_uid.get(int(f[1].get("UID", -1))) != f[0]:
                    err = err or f"UID FETCH {u}: response for seq {f[0]} UID {f[1].get('UID')}"
                err = err or check_body(f[0], f[1]["BODY[]"], f"UID FETCH {u} BODY.PEEK[]")
    obs["uid_bodies_count"] = got
    if got != len(order_uids) or err:
        checks.fail(f"{name} {label}: {len(order_uids)} x UID FETCH u BODY.PEEK[] returned {got} bodies"
                    + (f"; {err}" if err else ""))
    c.close()
    return times, obs


# ---------------------------------------------------------------- memory

def pids_of(spec):
    kind, _, pid = spec.partition(":")
    pid = int(pid)
    if kind == "pid":
        return [pid]
    children = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat", "rb") as f:
                st = f.read()
            ppid = int(st[st.rindex(b")") + 2:].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(d))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += children.get(p, [])
    return out


def memory(spec):
    """(PSS KiB, RSS KiB, page tables KiB, processes) summed over the server's processes."""
    pss = rss = pte = n = 0
    for p in pids_of(spec):
        try:
            with open(f"/proc/{p}/smaps_rollup") as f:
                roll = f.read()
            with open(f"/proc/{p}/status") as f:
                status = f.read()
        except OSError:
            continue
        n += 1
        for line in roll.splitlines():
            if line.startswith("Pss:"):
                pss += int(line.split()[1])
            elif line.startswith("Rss:"):
                rss += int(line.split()[1])
        m = re.search(r"^VmPTE:\s+(\d+)", status, re.M)
        pte += int(m.group(1)) if m else 0
    return pss, rss, pte, n


def settled(spec, a, limit=30.0):
    """The server's memory once it has stopped changing: readings a second apart until two
    differ by under 1% (at least `a.settle` seconds, at most `limit`). An allocator returns
    memory freed by earlier work to the system some seconds later (jemalloc's decay), which
    would otherwise be counted against the connections."""
    time.sleep(a.settle)
    last = memory(spec)
    t0 = time.monotonic()
    while time.monotonic() - t0 < limit:
        time.sleep(1.0)
        now = memory(spec)
        if abs(now[0] - last[0]) <= max(last[0] // 100, 256):
            return now
        last = now
    return last


async def _hold(srv, a):
    sem = asyncio.Semaphore(a.login_concurrency)
    login = b"a LOGIN " + quote(a.user) + b" " + quote(a.password) + b"\r\n"
    errors = {}

    async def one():
        async with sem:
            w = None
            try:
                r, w = await asyncio.wait_for(asyncio.open_connection(srv["host"], srv["port"]), a.op_timeout)
                greeting = await asyncio.wait_for(r.readline(), a.op_timeout)
                if not greeting.startswith(b"* OK"):
                    raise ImapError(f"greeting {greeting[:80]!r}")
                w.write(login)
                while True:
                    line = await asyncio.wait_for(r.readline(), a.op_timeout)
                    if not line:
                        raise ImapError("closed during LOGIN")
                    if line.startswith(b"a "):
                        break
                if not line.startswith(b"a OK"):
                    raise ImapError(line.decode("latin-1").strip()[:120])
                return r, w
            except (OSError, asyncio.TimeoutError, ImapError) as e:
                key = f"{type(e).__name__}: {e}"[:160]
                errors[key] = errors.get(key, 0) + 1
                if w is not None:
                    w.close()
                return None

    before = settled(srv["pids"], a)
    t0 = time.perf_counter()
    conns = [c for c in await asyncio.gather(*(one() for _ in range(a.conns))) if c]
    login_time = time.perf_counter() - t0
    after = await asyncio.to_thread(settled, srv["pids"], a)
    # Still there? One NOOP on each (after the measurement).
    alive = 0

    async def noop(r, w):
        try:
            w.write(b"b NOOP\r\n")
            while True:
                line = await asyncio.wait_for(r.readline(), a.op_timeout)
                if not line:
                    return 0
                if line.startswith(b"b "):
                    return 1 if line.startswith(b"b OK") else 0
        except (OSError, asyncio.TimeoutError):
            return 0
    alive = sum(await asyncio.gather(*(noop(r, w) for r, w in conns)))
    for r, w in conns:
        try:
            w.write(b"z LOGOUT\r\n")
            w.close()
        except OSError:
            pass
    await asyncio.sleep(0.2)
    return {"ok": len(conns), "alive": alive, "errors": errors, "login_seconds": login_time,
            "before": before, "after": after}


def memory_test(srv, a, checks):
    print(f"imap_bench: {srv['name']}: {a.conns} connections, LOGIN on each "
          f"({a.login_concurrency} at a time), then idle", file=sys.stderr)
    res = asyncio.run(_hold(srv, a))
    ok = res["ok"]
    for k, v in res["errors"].items():
        checks.fail(f"{srv['name']}: {v} of {a.conns} connections failed: {k}")
    if res["alive"] != ok:
        checks.fail(f"{srv['name']}: only {res['alive']} of {ok} idle connections answered NOOP afterwards")
    b, f = res["before"], res["after"]
    res["pss_per_conn_kib"] = (f[0] - b[0]) / ok if ok else None
    res["rss_per_conn_kib"] = (f[1] - b[1]) / ok if ok else None
    res["pss_pte_per_conn_kib"] = ((f[0] + f[2]) - (b[0] + b[2])) / ok if ok else None
    print(f"imap_bench: {srv['name']}: {ok} logged in in {res['login_seconds']:.1f}s, {res['alive']} alive; "
          f"PSS {b[0]} -> {f[0]} KiB, {b[3]} -> {f[3]} processes", file=sys.stderr)
    return res


def login_test(srv, a, checks):
    """Each login account logs in twice: {"cold": [seconds], "warm": [seconds]}."""
    users = [u for u in a.login_users.split(",") if u]
    out = {"cold": [], "warm": []}
    for kind in ("cold", "warm"):
        for u in users:
            try:
                t0 = time.perf_counter()
                c = Conn(srv["host"], srv["port"], a.op_timeout)
                c.ok(b"LOGIN " + quote(u) + b" " + quote(a.password))
                c.ok(b"EXAMINE INBOX")
                out[kind].append(time.perf_counter() - t0)
                c.close()
            except (OSError, ImapError, socket.timeout) as e:
                checks.fail(f"{srv['name']} {kind} login of {u}: {type(e).__name__}: {e}")
    print(f"imap_bench: {srv['name']}: {len(users)} accounts: median login cold "
          f"{fmt_ms(median_or_none(out['cold'], len(users)))}, warm "
          f"{fmt_ms(median_or_none(out['warm'], len(users)))}", file=sys.stderr)
    return out


def median_or_none(v, n):
    return statistics.median(v) if v and len(v) == n else None


# ---------------------------------------------------------------- run and report

OPS = [
    ("meta", "FETCH 1:* (FLAGS RFC822.SIZE ENVELOPE)"),
    ("search", 'SEARCH TEXT "needle"'),
    ("sort", "SORT (DATE) UTF-8 ALL (issue 13: under 30 ms)"),
    ("thread", "THREAD REFERENCES UTF-8 ALL"),
    ("bodies", "FETCH 1:{B} BODY.PEEK[] (one command)"),
    ("uid_bodies", "{B} x UID FETCH u BODY.PEEK[] (one each)"),
    ("open", "connect + LOGIN + EXAMINE INBOX"),
]
LOGIN_ROWS = [
    ("cold", "first login of an account (credential cache cold): connect + LOGIN + EXAMINE"),
    ("warm", "its second login (credential cache warm): connect + LOGIN + EXAMINE"),
]
TARGET_OPS = ("meta", "search", "bodies", "uid_bodies")
# How many times faster than the other server an operation must be (else: faster at all).
TARGET_RATIO = {"search": 20.0}


def fmt_ms(x):
    if x is None:
        return "-"
    return f"{x * 1000:.1f} ms" if x < 10 else f"{x:.2f} s"


def cmd_run(a):
    with open(a.manifest) as f:
        man = json.load(f)
    servers = []
    for s in a.server:
        m = re.fullmatch(r"([\w-]+)=([\d.]+):(\d+):((?:pid|tree):\d+)", s)
        if not m:
            sys.exit(f"imap_bench: bad --server {s!r} (NAME=HOST:PORT:pid:N or tree:N)")
        servers.append({"name": m.group(1), "host": m.group(2), "port": int(m.group(3)), "pids": m.group(4)})
    checks = Checks()
    times = {s["name"]: {op: [] for op, _ in OPS} for s in servers}
    cold = {s["name"]: {} for s in servers}
    obs = {s["name"]: [] for s in servers}

    def do(srv, label):
        try:
            t, o = one_pass(srv, a, man, checks, label)
        except (OSError, ImapError, socket.timeout) as e:
            checks.fail(f"{srv['name']} {label}: {type(e).__name__}: {e}")
            return None
        obs[srv["name"]].append(o)
        print(f"imap_bench: {srv['name']} {label}: " + ", ".join(
            f"{op} {fmt_ms(t[op])}" for op, _ in OPS), file=sys.stderr)
        return t

    # Memory first, on servers that have done nothing yet: after the passes, memory that an
    # allocator kept from their large answers would be handed to the connections and hide
    # what they cost. The connections LOGIN only (no mailbox is opened), so the cold pass
    # below is still each server's first access to the INBOX.
    mem = {}
    if a.conns > 0:
        for srv in servers:
            mem[srv["name"]] = memory_test(srv, a, checks)

    for srv in servers:
        t = do(srv, "cold pass")
        if t:
            cold[srv["name"]] = t
    for r in range(1, a.repeat + 1):
        for srv in (servers if r % 2 else servers[::-1]):
            t = do(srv, f"pass {r}/{a.repeat}")
            if t:
                for op in t:
                    times[srv["name"]][op].append(t[op])

    # The servers must agree with each other (each was also checked against the manifest).
    if len(servers) == 2 and all(obs[s["name"]] for s in servers):
        x, y = (obs[s["name"]][-1] for s in servers)
        nx, ny = servers[0]["name"], servers[1]["name"]
        for k in ("fetch_count", "search_hits", "bodies_count", "bodies_bytes", "uid_bodies_count"):
            if x[k] != y[k]:
                checks.fail(f"{nx} and {ny} disagree on {k}: {x[k]} vs {y[k]}")
        if x["order"] != y["order"]:
            checks.warn(f"{nx} and {ny} number the messages in different orders; "
                        "FETCH 1:N fetched different messages on each")
        diff = [mid for mid, e in x["envelopes"].items() if y["envelopes"].get(mid) != e]
        if diff:
            mid = diff[0]
            checks.warn(f"ENVELOPE differs between {nx} and {ny} for {len(diff)} messages, e.g. {mid}: "
                        f"{nx} {x['envelopes'][mid]!r:.300} / {ny} {y['envelopes'].get(mid)!r:.300}")

    logins = {}
    if a.login_users:
        for srv in servers:
            logins[srv["name"]] = login_test(srv, a, checks)

    # ---- report
    names = [s["name"] for s in servers]
    med = {n: {op: (statistics.median(v) if len(v) == a.repeat else None) for op, v in times[n].items()}
           for n in names}
    nb = min(a.bodies, len(man["messages"]))
    out = []
    out.append("")
    out.append(f"IMAP, {len(man['messages'])}-message INBOX ({man['bytes_on_disk'] / 1048576:.1f} MiB, "
               f"{man['eol'].upper()} files, {man['needles']} containing \"needle\"), read-only "
               "(EXAMINE, BODY.PEEK), one client on 127.0.0.1")
    for line in a.info:
        out.append(line)
    out.append("")
    subj = a.subject if a.subject in names else None
    other = next((n for n in names if n != subj), None) if subj else None
    hdr = ["operation"]
    for n in names:
        hdr += [n, f"{n} cold"]
    if subj and other:
        hdr += [f"{subj} speedup"]
    if subj:
        hdr += ["target"]
    rows = []
    verdicts = []
    for op, title in OPS:
        row = [title.replace("{B}", str(nb))]
        for n in names:
            row += [fmt_ms(med[n][op]), fmt_ms(cold[n].get(op))]
        if subj and other:
            x, y = med[subj][op], med[other][op]
            row.append(f"{y / x:.2f}x" if x and y else "n/a")
            if op in TARGET_OPS:
                ratio = TARGET_RATIO.get(op)
                met = bool(x and y and (y / x >= ratio if ratio else x < y))
                verdicts.append(met)
                row.append(("met" if met else "MISSED") + (f" (>= {ratio:g}x)" if ratio else ""))
            else:
                row.append("")
        elif subj:
            row.append("")
        rows.append(row)
    nl = len([u for u in a.login_users.split(",") if u])
    for kind, title in LOGIN_ROWS if logins else []:
        row = [title]
        meds = {n: median_or_none(logins[n][kind], nl) for n in names}
        for n in names:
            row += [fmt_ms(meds[n]), ""]
        if subj and other:
            x, y = meds[subj], meds[other]
            row.append(f"{y / x:.2f}x" if x and y else "n/a")
        if subj:
            row.append("")
        rows.append(row)
    if mem:
        row = [f"memory per idle authenticated connection ({a.conns} held)"]
        for n in names:
            v = mem[n]["pss_per_conn_kib"]
            row += [f"{v:.1f} KiB" if v is not None else "-", ""]
        if subj and other:
            x, y = mem[subj]["pss_per_conn_kib"], mem[other]["pss_per_conn_kib"]
            row.append(f"{y / x:.1f}x" if x and y and x > 0 else "n/a")
        if subj:
            x = mem[subj]["pss_per_conn_kib"]
            met = x is not None and x < a.kib_target
            verdicts.append(met)
            row.append(f"{'met' if met else 'MISSED'} (<{a.kib_target:g} KiB)")
        rows.append(row)
    widths = [max(len(str(r[k])) for r in rows + [hdr]) for k in range(len(hdr))]
    for k, r in enumerate([hdr] + rows):
        out.append("  ".join(str(c).ljust(widths[j]) if j == 0 else str(c).rjust(widths[j])
                             for j, c in enumerate(r)).rstrip())
        if k == 0:
            out.append("  ".join("-" * w for w in widths))
    out.append("")
    out.append(f"Times: medians of {a.repeat} warm passes per server (alternating servers), after one cold pass")
    out.append("(the server's first access after start; files already in the page cache) shown as 'cold'.")
    if logins:
        out.append(f"Logins: medians over {nl} accounts with empty INBOXes, each logging in twice on new "
                   "connections; mailctl's")
        out.append("first login of an account runs Argon2id, the second is answered from its credential cache.")
    if subj and other:
        out.append(f"speedup = {other} time / {subj} time (above 1.00x: {subj} is faster); for memory, "
                   f"{other} / {subj}.")
    if mem:
        out.append("Memory: growth of the server's summed PSS (/proc/PID/smaps_rollup; all processes of the")
        out.append("instance for a process tree), each reading taken once it stopped changing (at least "
                   f"{a.settle:g}s,")
        out.append("at most 30s), from before the connections to after the last LOGIN, divided by")
        out.append("the connections that got OK. PSS leaves out kernel memory (page tables, socket buffers):")
        for n in names:
            m = mem[n]
            b, f = m["before"], m["after"]
            out.append(f"  {n}: {m['ok']}/{a.conns} logged in ({m['login_seconds']:.1f}s), {m['alive']} answered "
                       f"NOOP afterwards; PSS {b[0] / 1024:.1f} -> {f[0] / 1024:.1f} MiB, RSS "
                       f"{b[1] / 1024:.1f} -> {f[1] / 1024:.1f} MiB, processes {b[3]} -> {f[3]}; per "
                       f"connection {m['pss_per_conn_kib']:.1f} KiB PSS, "
                       f"{m['pss_pte_per_conn_kib']:.1f} KiB with page tables"
                       if m["ok"] else f"  {n}: no connection logged in")
    if subj:
        goal = (f"faster than {other} on each timed operation, " if other else "") + \
            f"under {a.kib_target:g} KiB per idle connection"
        out.append(f"Targets ({subj}): {sum(verdicts)} of {len(verdicts)} met ({goal}).")
    if checks.warnings:
        out.append("")
        out.append("Warnings:")
        out += [f"  - {w}" for w in checks.warnings]
    if checks.failures:
        out.append("")
        out.append(f"{len(checks.failures)} check(s) FAILED; figures from failed runs are not valid:")
        out += [f"  - {x}" for x in checks.failures]
    print("\n".join(out))
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"servers": names, "times": times, "cold": cold, "median": med, "logins": logins,
                       "memory": {n: {k: v for k, v in m.items()} for n, m in mem.items()},
                       "failures": checks.failures, "warnings": checks.warnings}, f, indent=1)
    if checks.failures:
        return 1
    if a.strict and verdicts and not all(verdicts):
        print("imap_bench: STRICT: a target was missed", file=sys.stderr)
        return 1
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("gen")
    g.add_argument("--maildir", required=True)
    g.add_argument("--count", type=int, default=10000)
    g.add_argument("--manifest", required=True)
    g.add_argument("--seed", type=int, default=1)
    g.add_argument("--eol", choices=("crlf", "lf"), default="crlf")
    g.add_argument("--needle-percent", type=float, default=1.0)
    r = sub.add_parser("run")
    r.add_argument("--manifest", required=True)
    r.add_argument("--server", action="append", required=True, help="NAME=HOST:PORT:pid:N|tree:N")
    r.add_argument("--user", required=True)
    r.add_argument("--password", required=True)
    r.add_argument("--repeat", type=int, default=3)
    r.add_argument("--bodies", type=int, default=1000)
    r.add_argument("--conns", type=int, default=1000)
    r.add_argument("--login-concurrency", type=int, default=16)
    r.add_argument("--settle", type=float, default=2.0)
    r.add_argument("--op-timeout", type=float, default=300.0)
    r.add_argument("--kib-target", type=float, default=64.0)
    r.add_argument("--strict", action="store_true")
    r.add_argument("--subject", default="mailctl", help="the server the targets apply to")
    r.add_argument("--login-users", default="", help="comma-separated accounts for the login rows")
    r.add_argument("--json")
    r.add_argument("--info", action="append", default=[], help="a line for the report header")
    a = p.parse_args()
    if a.cmd == "gen":
        cmd_gen(a)
        return 0
    return cmd_run(a)


if __name__ == "__main__":
    sys.exit(main())
