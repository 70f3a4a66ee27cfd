//! Sans-I/O protocol codecs: bytes in, typed commands (or "need more") out, and reply
//! writers. No tokio and no store here.

pub mod pop3;
pub mod smtp;
