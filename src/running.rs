//! What a running `mailctl serve` leaves in its data dir for other mailctl processes: the
//! lock file naming its pid (`serve.lock`), the listeners it bound (`serve.listeners`) and the
//! store it uses (`serve.store`, the URL without its password).

use std::fs::File;
use std::io::Write;
use std::path::Path;

use crate::error::{Error, Kind, Result};

/// The pid of the `mailctl serve` running on a data dir, if one is: the pid its lock file
/// names, when that process is alive in our pid namespace and is a `mailctl ... serve`
/// (never a stale number that now belongs to someone else). The lock is not touched, so a
/// server starting at that moment is not disturbed.
pub fn running_pid(dir: &Path) -> Option<i32> {
    let pid: i32 = std::fs::read_to_string(dir.join("serve.lock")).ok()?.trim().parse().ok()?;
    if pid <= 1 {
        return None;
    }
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    let args: Vec<&[u8]> = cmdline.split(|b| *b == 0).collect();
    let is_mailctl = args.first().is_some_and(|a| a.ends_with(b"mailctl"));
    (is_mailctl && args.iter().any(|a| *a == b"serve")).then_some(pid)
}

/// Which listeners a running server bound (`serve.listeners` in the data dir), by name.
pub fn bound_listeners(dir: &Path) -> Vec<String> {
    bound_addresses(dir).into_iter().map(|(name, _)| name).collect()
}

/// The listeners a running server bound: (name, address) as it recorded them.
pub fn bound_addresses(dir: &Path) -> Vec<(String, String)> {
    if running_pid(dir).is_none() {
        return Vec::new();
    }
    std::fs::read_to_string(dir.join("serve.listeners"))
        .map(|t| {
            t.lines()
                .filter_map(|l| l.split_once(' '))
                .map(|(name, addr)| (name.to_string(), addr.trim().to_string()))
                .collect()
        })
        .unwrap_or_default()
}

/// Hold an exclusive lock on the data dir for the life of the server.
pub fn lock(dir: &Path) -> Result<File> {
    let path = dir.join("serve.lock");
    let Some(mut f) = crate::fsutil::try_lock(&path)? else {
        let pid = std::fs::read_to_string(&path).unwrap_or_default();
        return Err(Error::new(
            Kind::TempFail,
            format!("another mailctl serve is running on {} (pid {})", dir.display(), pid.trim()),
        ));
    };
    f.set_len(0).ok();
    let _ = write!(f, "{}", std::process::id());
    Ok(f)
}

/// Record which listeners were bound (name and address), for `cert issue`: is there an HTTP
/// listener to answer challenges? Best effort: the server runs without it.
pub fn record_listeners(dir: &Path, bound: &[(&str, String)]) {
    let text: String = bound.iter().map(|(name, addr)| format!("{name} {addr}\n")).collect();
    let _ = crate::fsutil::write_atomic(&dir.join("serve.listeners"), text.as_bytes(), 0o644);
}

/// Record which store the server uses (its URL without a password: `shown`), at start and
/// when it switches: `store migrate` waits for the switch by reading it.
pub fn record_store(dir: &Path, shown: &str) {
    let text = format!("{shown}\n");
    if let Err(e) = crate::fsutil::write_atomic(&dir.join("serve.store"), text.as_bytes(), 0o644) {
        tracing::warn!(error = %e.one_line(), "could not record the store in use");
    }
}

/// The store a running server uses, as it recorded it.
pub fn recorded_store(dir: &Path) -> Option<String> {
    running_pid(dir)?;
    std::fs::read_to_string(dir.join("serve.store")).ok().map(|t| t.trim().to_string())
}

/// Ask the `mailctl serve` running on a data dir to reload (SIGHUP); its pid, if one runs.
pub fn reload_server(dir: &Path) -> Option<i32> {
    let pid = running_pid(dir)?;
    // SAFETY: sending a signal to a pid; no memory is shared.
    unsafe { libc::kill(pid, libc::SIGHUP) };
    Some(pid)
}
