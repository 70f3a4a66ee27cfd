//! The IMAP side of `mailctl serve` (RFC 3501 and the extensions in [`session::CAPS`]):
//! sessions on the shared connection, the index in the store, and the Maildirs.
//!
//! Files by verb group: `session` (framing, state, dispatch, untagged updates), `auth`
//! (STARTTLS, LOGIN, AUTHENTICATE), `folders` (SELECT, LIST, STATUS, CREATE, ...),
//! `fetch`, `messages` (STORE, COPY, MOVE, EXPUNGE, APPEND), `search`, `idle`.

mod auth;
mod fetch;
mod folders;
mod idle;
mod messages;
mod search;
mod session;

pub use session::run;
