//! Internet messages as MIME entities (RFC 5322, RFC 2045-2047, RFC 2231), read on the raw
//! bytes so that sizes and sections are exact octets of the message as stored. Shared by the
//! IMAP writers (ENVELOPE, BODYSTRUCTURE, `BODY[section]`), SEARCH and the DSN builder.
//!
//! `header` (where the header ends, its fields, unfolding, RFC 2047 decoding), `address`
//! (address lists), `params` (Content-Type and friends, RFC 2231 continuations), `entity`
//! (the entity tree: header/body, multipart parts, decoded text). Nothing here panics on
//! malformed input.

pub mod address;
pub mod entity;
pub mod header;
pub mod params;
