//! SMTP (RFC 5321) with the extensions mailctl serves: SIZE (RFC 1870), 8BITMIME (RFC 6152),
//! SMTPUTF8 (RFC 6531), PIPELINING (RFC 2920), CHUNKING (RFC 3030), ENHANCEDSTATUSCODES
//! (RFC 2034), STARTTLS (RFC 3207) and AUTH (RFC 4954).

pub mod codes;
pub mod command;
pub mod data;

pub use codes::Reply;
pub use command::{Command, MailParams, ParseError, Path};
