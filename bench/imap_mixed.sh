#!/usr/bin/env bash
# Mixed IMAP workload under many sessions, mailctl against Dovecot in the same run, with the same
# accounts, the same Argon2id password hashes and the same starting messages (the set-up is
# bench/imap.sh's; the clients are bench/imap_mixed.py, whose header lists the commands and the
# protocol errors counted).
#
# For each of CLIENTS (10 and 50 clients), LAYOUTS (each client its own account, or all on one
# shared INBOX holding MSGS messages at the start) and MODES (sessions that stay logged in, or a
# new login every RELOGIN mailbox commands), each server gets DURATION seconds.
# Targets (issue 13): zero protocol errors; commands per second >= 1.5x Dovecot when sessions stay
# logged in, >= 2x with logins in the mix; p99 of FETCH, STORE and APPEND under 20 ms at 10 clients.
#
# The machine's speed drifts by 15% and more from minute to minute: each scenario runs ROUNDS
# (3) times per server, alternating which goes first, and the median of the rounds' ratios
# counts (a full run takes about 85 minutes; ROUNDS=1 QUIESCE=0 for a quick look). Before each
# run the file systems are synced and QUIESCE (65) seconds pass, so that the inodes freed by the
# set-up or by the run before (expunges) no longer slow file creation on ext4 without a
# journal (quiesce() in imap_mixed.py says how).
#
# Usage (as root): bash bench/imap_mixed.sh
#   CLIENTS=10 LAYOUTS=shared MODES=stay DURATION=10 bash bench/imap_mixed.sh   # one quick scenario
#   CLIENTS=10 LAYOUTS=separate MODES=stay ROUNDS=5 bash bench/imap_mixed.sh    # one, five rounds
# Other settings (MAILCTL_BIN, MAILCTL_PORT, DOVECOT_PORT, ONLY, ...) as in bench/imap.sh.
set -euo pipefail
export WORKLOAD=mixed
export MSGS=${MSGS:-300} CONNS=${CONNS:-0}
export LOGINS=${LOGINS:-50}
export ROUNDS=${ROUNDS:-3}
export BENCH_DIR=${BENCH_DIR:-/tmp/mailctl-imap-mixed}
exec bash "$(dirname "${BASH_SOURCE[0]}")/imap.sh"
