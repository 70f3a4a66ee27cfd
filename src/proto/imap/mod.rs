//! IMAP4rev1/rev2 (RFC 3501, RFC 9051) and the extensions `mailctl serve` offers: a sans-I/O
//! framer (lines and literals, with limits checked before anything is buffered), a command
//! parser, and response writers. mail-parser gives ENVELOPE and BODYSTRUCTURE.

pub mod body;
pub mod command;
pub mod encode;
pub mod fetch;
pub mod framer;
pub mod lexer;
pub mod mutf7;
pub mod response;
pub mod search;
pub mod sequence;
pub mod sort;
pub mod thread;
