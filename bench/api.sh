#!/usr/bin/env bash
# The admin API under load: `mailctl serve` on a fresh instance with 1,000 accounts.
#
#   list    GET /api/v1/accounts?limit=100 over HTTPS, 20 connections (wrk), requests/s
#           target: >= 5,000 requests/s on 2 CPUs
#   create  POST /api/v1/accounts, 20 connections, each a new account with a given password
#           (Argon2id included), requests/s and the latency wrk reports
#   idle    1,000 HTTP/1.1 keep-alive connections over TLS, each after one request, left idle:
#           the growth of serve's RSS per connection; target: under 32 KiB
#   anchor  the same list request's body served as a static file by nginx over HTTPS with the
#           same certificate, same wrk run shape: the ceiling a web server reaches on this
#           machine, and mailctl's rate as a ratio of it
#
# Usage (as root, Debian 12; installs wrk and nginx-light when missing):
#   bash bench/api.sh
# Environment: DURATION=10 (seconds per wrk run), CONNS=20, IDLE=1000, PORT=18443,
#   NGINX_PORT=18444, WORK=/tmp/mailctl-bench-api
set -euo pipefail
cd "$(dirname "$0")/.."
WORK="${WORK:-/tmp/mailctl-bench-api}"
DURATION="${DURATION:-10}"
CONNS="${CONNS:-20}"
IDLE="${IDLE:-1000}"
PORT="${PORT:-18443}"
NGINX_PORT="${NGINX_PORT:-18444}"
need=()
command -v wrk >/dev/null || need+=(wrk)
command -v nginx >/dev/null || need+=(nginx-light)
if [ ${#need[@]} -gt 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}" >/dev/null
fi
source bench/lib.sh
log() { echo "[$(date +%T)] $*" >&2; }

CFG="$WORK/mailctl.toml"
"$BIN" init --domain example.com --hostname mail.example.com --data-dir "$WORK/data" \
    --config "$CFG" >/dev/null
for kv in "https_listen 127.0.0.1:$PORT" "http_listen " "smtp_listen 127.0.0.1:0" \
    "submission_listen 127.0.0.1:0" "submissions_listen 127.0.0.1:0" "imap_listen 127.0.0.1:0" \
    "imaps_listen 127.0.0.1:0" "pop3_listen 127.0.0.1:0" "pop3s_listen 127.0.0.1:0" \
    "metrics_listen " "outbound_delivery false" "max_connections 5000" \
    "max_connections_per_ip 5000"; do
    set -- $kv
    "$BIN" --config "$CFG" config set "$1" "${2:-}" >/dev/null
done
log "1,000 accounts (Argon2id each)"
seq -w 0 999 | xargs -P 2 -I{} sh -c "echo password-{}x | '$BIN' --config '$CFG' account create user{}@example.com --tier vip --password-stdin >/dev/null 2>&1"
TOKEN="$("$BIN" --config "$CFG" token create --name bench --scope accounts:read,accounts:write)"
"$BIN" --config "$CFG" serve >"$WORK/serve.out" 2>"$WORK/serve.err" &
pid=$!
at_exit+=("kill $pid")
for _ in $(seq 300); do grep -q ready "$WORK/serve.out" 2>/dev/null && break; sleep 0.1; done
URL="https://127.0.0.1:$PORT"

rate() { awk '/Requests\/sec/ {print $2}'; }
cat >"$WORK/auth.lua" <<LUA
wrk.headers["Authorization"] = "Bearer $TOKEN"
LUA
log "list: GET /api/v1/accounts?limit=100, $CONNS connections, ${DURATION}s"
curl -sk -H "Authorization: Bearer $TOKEN" "$URL/api/v1/accounts?limit=100" >"$WORK/page.json"
list=$(wrk -t2 -c"$CONNS" -d"${DURATION}s" -s "$WORK/auth.lua" "$URL/api/v1/accounts?limit=100" | tee "$WORK/list.txt" | rate)

cat >"$WORK/create.lua" <<LUA
wrk.headers["Authorization"] = "Bearer $TOKEN"
wrk.headers["Content-Type"] = "application/json"
wrk.method = "POST"
local n = 0
request = function()
  n = n + 1
  local body = string.format('{"address":"new-%d-%d@example.com","tier":"vip","password":"bench-password-1"}', math.random(1, 1000000000), n)
  return wrk.format(nil, "/api/v1/accounts", nil, body)
end
LUA
log "create: POST /api/v1/accounts, $CONNS connections, ${DURATION}s"
create=$(wrk -t2 -c"$CONNS" -d"${DURATION}s" -s "$WORK/create.lua" "$URL" | tee "$WORK/create.txt" | rate)

log "idle: $IDLE keep-alive connections"
rss() { awk '/^VmRSS/ {print $2}' "/proc/$pid/status"; }
before=$(rss)
python3 - "$PORT" "$IDLE" "$TOKEN" "$pid" "$before" >"$WORK/idle.txt" <<'PY'
import socket, ssl, sys, resource
port, n, token, pid, before = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5])
resource.setrlimit(resource.RLIMIT_NOFILE, (n + 100, n + 100))
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
ctx.set_alpn_protocols(["http/1.1"])
conns = []
for i in range(n):
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="mail.example.com")
    s.sendall(b"GET /healthz/live HTTP/1.1\r\nHost: mail.example.com\r\n\r\n")
    s.recv(4096)
    conns.append(s)
import time; time.sleep(1)
after = int([l.split()[1] for l in open(f"/proc/{pid}/status") if l.startswith("VmRSS")][0])
print(f"{(after - before) / n:.1f}")
PY
idle_kib=$(cat "$WORK/idle.txt")

log "anchor: nginx serving the same page statically over HTTPS"
mkdir -p "$WORK/nginx/www/api/v1"
cp "$WORK/page.json" "$WORK/nginx/www/api/v1/accounts"
cat >"$WORK/nginx/nginx.conf" <<NGX
worker_processes 2;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  server {
    listen 127.0.0.1:$NGINX_PORT ssl;
    ssl_certificate $WORK/data/tls/cert.pem;
    ssl_certificate_key $WORK/data/tls/key.pem;
    root $WORK/nginx/www;
    default_type application/json;
  }
}
NGX
nginx -c "$WORK/nginx/nginx.conf"
at_exit+=("nginx -c $WORK/nginx/nginx.conf -s stop")
anchor=$(wrk -t2 -c"$CONNS" -d"${DURATION}s" "https://127.0.0.1:$NGINX_PORT/api/v1/accounts" | tee "$WORK/nginx.txt" | rate)

printf '\n| measure | mailctl | target | anchor (nginx static) | ratio |\n| --- | --- | --- | --- | --- |\n'
printf '| list, limit=100, %s conns | %s req/s | >= 5,000 | %s req/s | %s |\n' "$CONNS" "$list" "$anchor" \
    "$(python3 -c "print(f'{$list/$anchor:.2f}x')")"
printf '| create (Argon2id), %s conns | %s req/s | - | - | - |\n' "$CONNS" "$create"
printf '| idle keep-alive connection | %s KiB | < 32 KiB | - | - |\n' "$idle_kib"
