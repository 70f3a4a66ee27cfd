#!/usr/bin/env bash
# Backup performance: `mailctl backup` against what the seed's plan does by hand, `rsync -a` of
# the data directory plus `sqlite3 .backup` of the store, in the same run on the same files.
#
# Builds a SQLite instance with ACCOUNTS accounts sharing MSGS messages (4-20 KiB, a third
# multipart; bench/imap_bench.py gen writes them straight into each Maildir's cur/, then
# `mailctl mailbox reindex`), and times, each step once (the page cache warm for both sides):
#   full          mailctl backup create          vs  rsync -a DATA/ COPY/ + sqlite3 .backup
#   incremental   after 1% new messages (NEW): mailctl backup create   vs  the same rsync + .backup
#   verify        mailctl backup verify --all (reads and hashes every object)
#   restore       mailctl backup restore into a new directory (SQLite)
#   migrate       mailctl store migrate into a new SQLite database (copied, read back and
#                 compared)      vs  sqlite3 .backup
#   online        mailctl store migrate of the restored instance under a running serve, one
#                 SMTP session delivering throughout: the pause (writes held), rows caught up,
#                 deliveries acknowledged and deferred, and every acknowledged one checked
# with the bytes each writes (mailctl: its bytes_new; the anchor: what rsync transferred plus
# the database copy). Every run is checked: the backup lists complete, verify passes, the
# restore holds every message.
# Targets (issue 15): incremental with 1% new under 2 s and under 5% of the full backup's
# bytes; full backup no slower than rsync plus the dump; restore under 30 s.
#
# Usage (as root, Debian 12; installs rsync and sqlite3 when missing):
#   bash bench/backup.sh
# Environment (all optional):
#   MSGS=10000 ACCOUNTS=5 NEW_PERCENT=1 SEED=1
#   MAILCTL_BIN=path   (default target/release/mailctl, built if missing or older than the sources)
#   BENCH_DIR=/tmp/mailctl-backup-bench   work directory (wiped at start; must be under /tmp)
#   STRICT=1           exit 1 when a target is missed
#   FRESH_FS=0         run in BENCH_DIR as it is, not on a new ext4 file system of its own
#                      (bench/fresh_fs.sh says why)
# Exit status: 0 when every check passed (with STRICT=1, also every target), 1 otherwise.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=${BENCH_DIR:-/tmp/mailctl-backup-bench}
MSGS=${MSGS:-10000}
ACCOUNTS=${ACCOUNTS:-5}
NEW_PERCENT=${NEW_PERCENT:-1}
SEED=${SEED:-1}
default_bin=$repo/target/release/mailctl
MAILCTL_BIN=${MAILCTL_BIN:-$default_bin}

die() { echo "bench/backup.sh: $*" >&2; exit 1; }
log() { echo "[$(date +%H:%M:%S)] $*" >&2; }
[[ $WORK == /tmp/* ]] || die "BENCH_DIR must be under /tmp"
for v in MSGS ACCOUNTS NEW_PERCENT SEED; do [[ ${!v} =~ ^[0-9]+$ ]] || die "$v must be a non-negative integer"; done
((ACCOUNTS > 0 && MSGS >= ACCOUNTS)) || die "need ACCOUNTS >= 1 and MSGS >= ACCOUNTS"
command -v rsync >/dev/null && command -v sqlite3 >/dev/null \
    || DEBIAN_FRONTEND=noninteractive apt-get install -y -q rsync sqlite3 >/dev/null \
    || die "cannot install rsync and sqlite3"
if [[ $MAILCTL_BIN == "$default_bin" ]]; then
    stale=$(find "$repo/src" "$repo/Cargo.toml" -newer "$MAILCTL_BIN" -print -quit 2>/dev/null || echo yes)
    if [[ ! -x $MAILCTL_BIN || -n $stale ]]; then
        log "building mailctl (release)"
        (cd "$repo" && cargo build --release -q)
    fi
fi

# shellcheck source=bench/fresh_fs.sh
. "$repo/bench/fresh_fs.sh"
fresh_work_dir "$WORK" || die "no work directory"
trap 'release_work_dir "$WORK"' EXIT
cd "$WORK"
mc() { "$MAILCTL_BIN" --config "$WORK/inst/mailctl.toml" "$@"; }
now() { date +%s.%N; }
secs() { echo "$2 - $1" | bc; }
bytes() { du -sb "$1" | cut -f1; }

log "instance: $ACCOUNTS accounts, $MSGS messages"
mkdir -p inst
"$MAILCTL_BIN" --config "$WORK/inst/mailctl.toml" init --domain example.com --data-dir "$WORK/inst/data" -q >/dev/null
per=$((MSGS / ACCOUNTS))
for a in $(seq 1 "$ACCOUNTS"); do
    mc account create "user$a@example.com" --tier business --password-stdin -q <<<"bench-password-$a"
    python3 "$repo/bench/imap_bench.py" gen --maildir "$WORK/inst/data/mail/example.com/user$a" --count "$per" \
        --manifest "$WORK/manifest$a.json" --seed $((SEED + a)) >/dev/null
    mc mailbox reindex "user$a@example.com" -q >/dev/null
done
data_bytes=$(bytes inst/data)

# Before each timed step: nothing dirty on the file system. mailctl makes its backup durable
# with syncfs(2), which also writes out whatever else is dirty there (the instance just
# generated, the other side's copy): that would be timed on mailctl's side only.
settle() { sync -f "$WORK" 2>/dev/null || sync; }

# mailctl backup create, timed: prints "SECONDS BYTES_NEW"; its JSON goes to $1.
mailctl_backup() {
    local t0 t1
    settle
    t0=$(now); mc backup create --to "$WORK/repo" --json >"$1"; t1=$(now)
    echo "$(secs "$t0" "$t1") $(json_field "$1" bytes_new)"
}
# The seed's way, timed: rsync -a of the data directory into copy/ (its --stats to $1) and
# sqlite3 .backup of the store; prints SECONDS.
anchor_copy() {
    local t0 t1
    settle
    t0=$(now)
    rsync -a --stats inst/data/ copy/ >"$1"
    sqlite3 inst/data/mailctl.db ".backup '$WORK/copy.db'"
    t1=$(now)
    secs "$t0" "$t1"
}
json_field() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }

# ---- full
log "full: mailctl backup create"
read -r full_s full_bytes < <(mailctl_backup full.json)
log "full: rsync -a + sqlite3 .backup"
anchor_full_s=$(anchor_copy rsync-full.txt)
# What making that copy durable adds (mailctl's backup is on stable storage when it returns).
t0=$(now)
sync -f copy/ 2>/dev/null || sync
anchor_full_synced_s=$(echo "$anchor_full_s + $(secs "$t0" "$(now)")" | bc)
anchor_full_bytes=$(($(bytes copy) + $(bytes copy.db)))

# ---- 1% new
new=$((MSGS * NEW_PERCENT / 100))
((new > 0)) || new=1
log "adding $new new messages to user1"
python3 "$repo/bench/imap_bench.py" gen --maildir "$WORK/newmail" --count "$new" --manifest "$WORK/new.json" \
    --seed $((SEED + 1000)) >/dev/null
mv "$WORK"/newmail/cur/* inst/data/mail/example.com/user1/cur/
mc mailbox reindex user1@example.com -q >/dev/null

log "incremental: mailctl backup create"
read -r incr_s incr_bytes < <(mailctl_backup incr.json)
log "incremental: rsync -a + sqlite3 .backup"
anchor_incr_s=$(anchor_copy rsync-incr.txt)
sent=$(awk -F': ' '/Total transferred file size/ {gsub(/[^0-9]/, "", $2); print $2}' rsync-incr.txt)
anchor_incr_bytes=$((${sent:-0} + $(bytes copy.db)))

# ---- verify and restore
log "verify --all"
t0=$(now); mc backup verify --all --to "$WORK/repo" -q; t1=$(now)
verify_s=$(secs "$t0" "$t1")
id=$(json_field incr.json id)
log "restore $id"
settle
t0=$(now); mc backup restore "$id" --to "$WORK/repo" --data-dir "$WORK/restored" --json >restore.json; t1=$(now)
restore_s=$(secs "$t0" "$t1")
restored=$(json_field restore.json messages)

# ---- store migrate (the last step: it switches the instance's config), into a new SQLite
# database beside it, every table read back and compared; against sqlite3 .backup of the store.
log "store migrate"
settle
t0=$(now); mc store migrate --to "sqlite://$WORK/migrated.db?mode=rwc" --json >migrate.json; t1=$(now)
migrate_s=$(secs "$t0" "$t1")
migrated_rows=$(json_field migrate.json rows)
settle
t0=$(now); sqlite3 inst/data/mailctl.db ".backup '$WORK/dump2.db'"; t1=$(now)
dump_s=$(secs "$t0" "$t1")
# ---- store migrate under a running serve: the restored instance, one SMTP session
# delivering to user1@ throughout; the pause is what migrate reports (from taking the old
# store's write lock to serve's switch).
log "store migrate under a running serve"
cp restored/mailctl.toml online.toml
mo() { "$MAILCTL_BIN" --config "$WORK/online.toml" "$@"; }
for k in submission_listen submissions_listen pop3_listen pop3s_listen imap_listen imaps_listen http_listen https_listen; do
    mo config set "$k" "" -q
done
mo config set smtp_listen 127.0.0.1:0 -q
mo config set inbound_auth false -q
mo config set outbound_delivery false -q
"$MAILCTL_BIN" --config "$WORK/online.toml" serve >serve.log 2>&1 &
serve_pid=$!
for _ in $(seq 300); do grep -qs '^smtp ' restored/serve.listeners && break; sleep 0.1; done
smtp=$(awk '$1 == "smtp" {print $2}' restored/serve.listeners)
[[ -n $smtp ]] || die "serve did not start: $(cat serve.log)"
python3 - "$smtp" "$WORK/stop-sending" >sender.txt <<'PY' &
import os, smtplib, sys
host, port = sys.argv[1].rsplit(":", 1)
s = smtplib.SMTP(host, int(port))
ok = deferred = 0
while not os.path.exists(sys.argv[2]):
    try:
        s.sendmail("a@remote.example", ["user1@example.com"], b"Subject: online\r\n\r\nbody\r\n")
        ok += 1
    except smtplib.SMTPResponseException as e:
        if not 400 <= e.smtp_code < 500:
            raise
        deferred += 1
print(ok, deferred)
PY
sender=$!
sleep 1
t0=$(now); mo store migrate --to "sqlite://$WORK/online.db?mode=rwc" --json >online.json; t1=$(now)
online_s=$(secs "$t0" "$t1")
sleep 1
touch "$WORK/stop-sending"
wait "$sender"
read -r online_ok online_deferred <sender.txt
kill -TERM "$serve_pid"
wait "$serve_pid" || true
pause_ms=$(json_field online.json pause_ms)
caught_up=$(json_field online.json caught_up)
online_rows=$(json_field online.json rows)

checks=0
if ! mo mailbox verify --all -q >/dev/null; then
    echo "CHECK FAILED: mailbox verify after the online migration" >&2
    checks=1
fi
in_inbox=$(grep -rl '^Subject: online' restored/mail/example.com/user1/cur restored/mail/example.com/user1/new 2>/dev/null | wc -l)
if [[ $in_inbox != "$online_ok" ]]; then
    echo "CHECK FAILED: $online_ok deliveries acknowledged during the online migration, $in_inbox in the mailbox" >&2
    checks=1
fi
if [[ $restored != $((per * ACCOUNTS + new)) ]]; then
    echo "CHECK FAILED: restored $restored messages, expected $((per * ACCOUNTS + new))" >&2
    checks=1
fi
complete=$(mc backup list --to "$WORK/repo" --json | python3 -c 'import json,sys; print(sum(1 for b in json.load(sys.stdin) if b["complete"]))')
[[ $complete == 2 ]] || { echo "CHECK FAILED: $complete complete backups listed, expected 2" >&2; checks=1; }

# ---- report
target() { if (($(echo "$1" | bc))); then echo met; else echo MISSED; fi; }
v_full=$(target "$full_s <= $anchor_full_s")
v_incr_s=$(target "$incr_s < 2")
v_incr_b=$(target "$incr_bytes * 100 < 5 * $full_bytes")
v_restore=$(target "$restore_s < 30")
missed=0
[[ "$v_full $v_incr_s $v_incr_b $v_restore" != *MISSED* ]] || missed=1
echo
echo "Backup, $ACCOUNTS accounts, $((per * ACCOUNTS)) messages ($(numfmt --to=iec "$data_bytes") data dir), SQLite, $(nproc) CPUs, $(df -T "$WORK" | awk 'NR==2 {print $2}')"
echo "mailctl $("$MAILCTL_BIN" --version | cut -d' ' -f2) at $(cd "$repo" && git rev-parse --short HEAD) vs rsync $(rsync --version | head -1 | awk '{print $3}') + sqlite3 $(sqlite3 --version | cut -d' ' -f1)"
echo
printf '%-30s %10s %12s %14s %14s   %s\n' step "mailctl s" "mailctl bytes" "rsync+dump s" "rsync+dump B" target
printf '%-30s %10.2f %12s %14.2f %14s   full no slower than rsync+dump: %s\n' "full" "$full_s" "$(numfmt --to=iec "$full_bytes")" \
    "$anchor_full_s" "$(numfmt --to=iec "$anchor_full_bytes")" "$v_full"
printf '%-30s %10.2f %12s %14.2f %14s   < 2 s: %s; < 5%% of full: %s (%.1f%%)\n' "incremental ($new new)" "$incr_s" \
    "$(numfmt --to=iec "$incr_bytes")" "$anchor_incr_s" "$(numfmt --to=iec "$anchor_incr_bytes")" \
    "$v_incr_s" "$v_incr_b" "$(echo "$incr_bytes * 100 / $full_bytes" | bc -l)"
printf '%-30s %10s %12s %14.2f %14s   (rsync+dump, then sync: the copy on stable storage, as mailctl'"'"'s is)\n' "full, anchor synced" "" "" "$anchor_full_synced_s" ""
printf '%-30s %10.2f\n' "verify --all (2 backups)" "$verify_s"
printf '%-30s %10.2f %12s %14s %14s   < 30 s: %s\n' "restore (whole instance)" "$restore_s" "" "" "" "$v_restore"
printf '%-30s %10.2f %12s %14.2f %14s   (sqlite3 .backup alone; mailctl also checks every table)\n' "store migrate ($migrated_rows rows)" "$migrate_s" "" "$dump_s" ""
printf '%-30s %10.2f   writes held %s ms, %s rows caught up; %s deliveries acknowledged, %s deferred (4xx), all acknowledged present\n' \
    "migrate under serve ($online_rows rows)" "$online_s" "$pause_ms" "$caught_up" "$online_ok" "$online_deferred"
echo
echo "mailctl bytes: what the run added to the repository (bytes_new); rsync+dump bytes: the copy's size (full), what rsync transferred plus the database copy (incremental)."
((checks == 0)) || exit 1
[[ ${STRICT:-0} != 1 || $missed == 0 ]] || exit 1
