//! The POP3 side of `mailctl serve` (RFC 1939, 2449, 2595, 5034): AUTHORIZATION, then
//! TRANSACTION on a snapshot of the INBOX, then UPDATE at QUIT, where deletions happen.

mod session;

pub use session::run;
