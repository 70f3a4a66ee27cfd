//! Sans-I/O protocol codecs: bytes in, typed commands (or "need more") out, and reply
//! writers. No tokio and no store here. `line` (bounded line splitting) and `sasl` are shared
//! by the protocols; `spamc` and `clamd` are the content scanners' protocols.

pub mod clamd;
pub mod imap;
pub mod line;
pub mod mime;
pub mod mta_sts;
pub mod pop3;
pub mod sasl;
pub mod smtp;
pub mod spamc;
