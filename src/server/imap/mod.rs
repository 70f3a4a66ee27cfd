//! The IMAP side of `mailctl serve` (RFC 3501 and the extensions in [`session::CAPS`]):
//! sessions on the shared connection, the index in the store, and the Maildirs.
//!
//! Files by verb group: `session` (framing, state, dispatch, untagged updates), `auth`
//! (STARTTLS, LOGIN, AUTHENTICATE), `folders` (SELECT, LIST, STATUS, CREATE, ...),
//! `fetch`, `messages` (STORE, COPY, MOVE, EXPUNGE, APPEND), `search`, `sort`, `idle`.

mod auth;
mod fetch;
mod folders;
mod idle;
mod messages;
mod search;
mod session;
mod sort;

pub use session::run;

/// How many blocking tasks one FETCH or SEARCH keeps busy: the CPUs, within 2..=16. Computed
/// once: `available_parallelism` reads cgroup files on every call.
fn width() -> usize {
    static WIDTH: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *WIDTH.get_or_init(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(4).clamp(2, 16))
}
