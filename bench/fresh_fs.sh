# Sourced by bench/backup.sh: its work directory on a file system of its own. (Not the SMTP
# and IMAP benchmarks: on a loop device every fsync also flushes the image file below, which
# changes what they compare; they keep to a plain directory, and say how to avoid the trap.)
#
# On ext4, creating a file scans past every inode freed in the last minutes
# (recently_deleted() in the kernel), one by one. After a run that deleted tens of thousands of
# files (wiping the previous work directory, the IMAP benchmark's expunges), perf showed a
# third of both servers' CPU there, landing on whichever side created files first. A new
# ext4 file system per run (a sparse loop image beside the directory, with a journal only when
# the file system below has one) has no freed inodes.
#
# fresh_work_dir DIR   DIR empty; as root with mkfs.ext4, the root of a new ext4 file system
#                      (FRESH_FS=0: a plain directory; FRESH_FS_SIZE=8G the image's size)
# release_work_dir DIR unmount it and remove the image (call from the benchmark's cleanup)

fresh_work_dir() {
    local dir=$1
    release_work_dir "$dir"
    rm -rf "$dir"
    mkdir -p "$dir"
    if [[ ${FRESH_FS:-1} == 1 && $(id -u) == 0 ]] && command -v mkfs.ext4 >/dev/null; then
        truncate -s "${FRESH_FS_SIZE:-8G}" "$dir.img"
        # The journal as the file system below has it (none on this machine's /: a journal
        # makes every fsync a journal commit, which changes what the benchmarks compare).
        local below journal=()
        below=$(findmnt -no SOURCE --target "$(dirname "$dir")" 2>/dev/null || true)
        compgen -G "/proc/fs/jbd2/${below##*/}-*" >/dev/null || journal=(-O ^has_journal)
        # Inode tables (and journal) written now: initialised lazily, a kernel thread would
        # write them in the background for minutes, competing with the benchmark's fsyncs.
        mkfs.ext4 -q -F "${journal[@]}" -E lazy_itable_init=0,lazy_journal_init=0 "$dir.img"
        mount -o loop "$dir.img" "$dir" || {
            echo "cannot mount a loop file system on $dir (FRESH_FS=0 to run without)" >&2
            return 1
        }
    fi
}

release_work_dir() {
    local dir=$1
    if mountpoint -q "$dir" 2>/dev/null; then
        case $PWD in "$dir"*) cd / ;; esac
        umount "$dir" || umount -l "$dir"
    fi
    rm -f "$dir.img"
}
