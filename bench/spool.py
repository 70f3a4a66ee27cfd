"""Write N spool files in mailctl's format (magic line, JSON envelope, blank line, message) for
r@example.net, as if queued and not yet delivered: `serve` queues them at start, as after a
restore. Used by bench/queue.sh and bench/outbound_tls.sh.

    python3 bench/spool.py SPOOL_DIR N SIZE
"""
import json
import os
import sys
import time

root, n, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
out = os.path.join(root, "outbound")
os.makedirs(out, exist_ok=True)
os.makedirs(os.path.join(root, "tmp"), exist_ok=True)
body = ("x" * 76 + "\r\n") * (size // 78)
now = int(time.time())
for i in range(n):
    mid = f"bench{i:07d}"
    msg = f"From: bench@example.com\r\nTo: r@example.net\r\nSubject: bench {i}\r\nMessage-ID: <{mid}@example.com>\r\n\r\n{body}".encode()
    env = {"id": mid, "from": "bench@example.com", "recipients": ["r@example.net"], "received_at": now, "size": len(msg), "submitted_by": None}
    with open(os.path.join(out, mid), "wb") as f:
        f.write(b"MAILCTL-SPOOL/1\n" + json.dumps(env).encode() + b"\n\n" + msg)
