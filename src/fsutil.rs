//! File-system helpers every layer needs: absolute paths, atomic writes, private directories,
//! directory fsync and advisory locks. Each error names the path it concerns.

use std::path::{Path, PathBuf};

use crate::error::{Error, Kind, Result};

pub fn absolute(p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir().map(|d| d.join(p)).unwrap_or_else(|_| p.to_path_buf())
    }
}

/// Write a file atomically: a temporary file beside it, fsync, rename, fsync the directory.
pub fn write_atomic(path: &Path, contents: &[u8], mode: u32) -> Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let dir = absolute(path).parent().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("."));
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp{}", std::process::id()));
    let write = || -> std::io::Result<()> {
        let mut f = std::fs::OpenOptions::new().write(true).create_new(true).mode(mode).open(&tmp)?;
        f.write_all(contents)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)?;
        std::fs::File::open(&dir)?.sync_all()
    };
    write().map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        cannot_create("writing", path, e)
    })
}

/// Create a directory (and parents) readable only by us.
pub fn create_private_dir(path: &Path) -> Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(path)
        .map_err(|e| cannot_create("creating directory", path, e))
}

/// A file or directory that could not be made: 73 (cannot create), unless the disk is full
/// (75, try again) or permission was refused (77), as `Error::io` says.
fn cannot_create(what: &str, path: &Path, e: std::io::Error) -> Error {
    match Error::io(what, path, e) {
        err if matches!(err.kind, Kind::TempFail | Kind::Permission) => err,
        err => Error { kind: Kind::Exists, ..err },
    }
}

/// Open (creating) a lock file and take an exclusive `flock` on it without waiting: `None`
/// when someone else holds it. The lock lasts as long as the file stays open.
pub fn try_lock(path: &Path) -> Result<Option<std::fs::File>> {
    use std::os::unix::io::AsRawFd;
    let f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(path)
        .map_err(|e| Error::io("opening", path, e))?;
    // SAFETY: flock on a file descriptor we own; no memory is shared.
    let rc = unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    Ok((rc == 0).then_some(f))
}

/// fsync a directory, so that entries created or renamed in it are durable.
pub fn sync_dir(dir: &Path) -> Result<()> {
    std::fs::File::open(dir).and_then(|f| f.sync_all()).map_err(|e| Error::io("syncing", dir, e))
}

/// Start writing a file's dirty pages to the disk without waiting (`sync_file_range` with
/// `SYNC_FILE_RANGE_WRITE`), so that the syncs that follow find them under way. A hint only:
/// nothing is durable until the file is synced, and a failure here changes nothing.
pub fn start_writeback(f: &std::fs::File) {
    use std::os::unix::io::AsRawFd;
    // SAFETY: sync_file_range on a descriptor we own; no memory is shared.
    unsafe {
        libc::sync_file_range(f.as_raw_fd(), 0, 0, libc::SYNC_FILE_RANGE_WRITE);
    }
}

/// Flush the whole file system holding `path` (`syncfs`): every file and directory written
/// there so far is durable afterwards. One call instead of an fsync per file, when a run
/// writes many files and only needs all of them durable at its end.
pub fn sync_filesystem(path: &Path) -> Result<()> {
    use std::os::unix::io::AsRawFd;
    let f = std::fs::File::open(path).map_err(|e| Error::io("opening", path, e))?;
    // SAFETY: syncfs on a descriptor we own; no memory is shared.
    if unsafe { libc::syncfs(f.as_raw_fd()) } != 0 {
        return Err(Error::io("syncing the file system of", path, std::io::Error::last_os_error()));
    }
    Ok(())
}

/// The bytes available to an unprivileged writer, and the total, of the file system holding
/// `dir` (statvfs).
pub fn free_bytes(dir: &Path) -> std::io::Result<(u64, u64)> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(dir.as_os_str().as_bytes())
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidInput, "a NUL in the path"))?;
    // SAFETY: statvfs fills the struct it is given; the path is a valid C string.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::statvfs(c.as_ptr(), &mut st) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    let block = st.f_frsize as u64;
    Ok((st.f_bavail as u64 * block, st.f_blocks as u64 * block))
}
