//! The SMTP side of `mailctl serve`: one session per connection, a state machine driven by
//! commands from `proto::smtp`, with one file per group of verbs.

mod auth;
mod data;
mod envelope;
mod session;

pub use session::{Listener, run};
