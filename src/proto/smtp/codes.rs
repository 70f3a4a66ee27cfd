//! Reply codes and enhanced status codes, named, with where they are defined.

use std::fmt::Write;

/// A reply: basic code, enhanced code (RFC 3463) and text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reply {
    pub code: u16,
    pub enhanced: &'static str,
    pub text: &'static str,
}

impl Reply {
    /// The wire form, one line (`250 2.0.0 OK\r\n`).
    pub fn line(&self) -> String {
        self.with_text(self.text)
    }
    /// The same code with another text.
    pub fn with_text(&self, text: &str) -> String {
        if self.enhanced.is_empty() {
            format!("{} {}\r\n", self.code, text)
        } else {
            format!("{} {} {}\r\n", self.code, self.enhanced, text)
        }
    }
    pub fn is_positive(&self) -> bool {
        self.code < 400
    }
}

/// A multi-line reply (`250-a`, `250-b`, `250 c`).
pub fn multiline(code: u16, lines: &[String]) -> String {
    let mut out = String::new();
    for (i, l) in lines.iter().enumerate() {
        let sep = if i + 1 == lines.len() { ' ' } else { '-' };
        let _ = write!(out, "{code}{sep}{l}\r\n");
    }
    out
}

const fn r(code: u16, enhanced: &'static str, text: &'static str) -> Reply {
    Reply { code, enhanced, text }
}

// RFC 5321 §4.2.2 and §4.2.3; enhanced codes from RFC 3463 unless noted.
/// 211/214 are unused; HELP answers 214 (RFC 5321 §4.1.1.8).
pub const HELP: Reply = r(214, "2.0.0", "see https://www.rfc-editor.org/rfc/rfc5321");
/// 220 service ready (RFC 5321 §4.2.3); also the STARTTLS go-ahead (RFC 3207 §4).
pub const READY_TLS: Reply = r(220, "2.0.0", "ready to start TLS");
/// 221 closing (RFC 5321 §4.1.1.10).
pub const BYE: Reply = r(221, "2.0.0", "bye");
/// 235 authentication succeeded (RFC 4954 §6).
pub const AUTH_OK: Reply = r(235, "2.7.0", "authentication succeeded");
/// 250 OK (RFC 5321 §4.2.2).
pub const OK: Reply = r(250, "2.0.0", "OK");
pub const SENDER_OK: Reply = r(250, "2.1.0", "sender OK");
pub const RECIPIENT_OK: Reply = r(250, "2.1.5", "recipient OK");
pub const QUEUED: Reply = r(250, "2.0.0", "message accepted");
/// 252 cannot VRFY, but will accept (RFC 5321 §3.5.3).
pub const CANNOT_VRFY: Reply = r(252, "2.0.0", "cannot verify the user, but will accept the message");
/// 334 AUTH continuation (RFC 4954 §4); text is base64.
pub const AUTH_CONTINUE: u16 = 334;
/// 354 start mail input (RFC 5321 §4.1.1.4).
pub const START_DATA: Reply = r(354, "", "end data with <CR><LF>.<CR><LF>");

/// 421 closing: shutting down or limits (RFC 5321 §3.8).
pub const SHUTTING_DOWN: Reply = r(421, "4.3.2", "service shutting down");
pub const TIMEOUT: Reply = r(421, "4.4.2", "timeout, closing connection");
pub const TOO_MANY_CONNECTIONS: Reply = r(421, "4.7.0", "too many connections, try again later");
pub const TOO_MANY_ERRORS: Reply = r(421, "4.7.0", "too many errors, closing connection");
pub const AUTH_LOCKED: Reply = r(421, "4.7.0", "too many failed logins from your address, try again later");
/// 451 local error (RFC 5321 §4.2.2).
/// Greylisting: a temporary refusal a real server retries (RFC 6647 §2.1).
pub const GREYLISTED: Reply = r(451, "4.7.1", "greylisted, try again later");
pub const LOCAL_ERROR: Reply = r(451, "4.3.0", "local error, try again later");
/// 452 insufficient storage (RFC 5321 §4.2.2); 4.2.2 mailbox full, 4.3.1 system full.
pub const MAILBOX_FULL: Reply = r(452, "4.2.2", "mailbox full");
pub const SYSTEM_FULL: Reply = r(452, "4.3.1", "insufficient system storage");
/// 452 too many recipients (RFC 5321 §4.5.3.1.10).
pub const TOO_MANY_RECIPIENTS: Reply = r(452, "4.5.3", "too many recipients");
/// 454 TLS not available (RFC 3207 §4); 4.7.0 temporary authentication failure (RFC 4954 §6).
pub const TLS_UNAVAILABLE: Reply = r(454, "4.7.0", "TLS not available");
pub const AUTH_TEMP: Reply = r(454, "4.7.0", "temporary authentication failure");

/// 500 syntax error / line too long (RFC 5321 §4.2.2, §4.5.3.1.4).
pub const SYNTAX: Reply = r(500, "5.5.2", "syntax error");
pub const LINE_TOO_LONG: Reply = r(500, "5.5.2", "line too long");
pub const UNKNOWN_COMMAND: Reply = r(500, "5.5.1", "command unrecognized");
/// 501 syntax error in parameters (RFC 5321 §4.2.2).
pub const BAD_ARGS: Reply = r(501, "5.5.4", "syntax error in parameters");
pub const BAD_ADDRESS: Reply = r(501, "5.1.3", "bad address syntax");
pub const BAD_BASE64: Reply = r(501, "5.5.2", "invalid base64");
pub const AUTH_CANCELLED: Reply = r(501, "5.7.0", "authentication cancelled");
/// 502 not implemented (RFC 5321 §4.2.2).
pub const NOT_IMPLEMENTED: Reply = r(502, "5.5.1", "command not implemented");
/// 503 bad sequence (RFC 5321 §4.2.2).
pub const BAD_SEQUENCE: Reply = r(503, "5.5.1", "bad sequence of commands");
pub const NEED_MAIL: Reply = r(503, "5.5.1", "need MAIL first");
pub const NEED_RCPT: Reply = r(503, "5.5.1", "need RCPT first");
pub const NEED_HELO: Reply = r(503, "5.5.1", "say EHLO first");
pub const ALREADY_AUTHED: Reply = r(503, "5.5.1", "already authenticated");
/// 504 parameter not implemented (RFC 5321 §4.2.2); AUTH mechanism unknown (RFC 4954 §6).
pub const BAD_PARAM: Reply = r(504, "5.5.4", "parameter not implemented");
pub const BAD_MECHANISM: Reply = r(504, "5.5.4", "unrecognized authentication mechanism");
/// 530 authentication required (RFC 4954 §6).
pub const AUTH_REQUIRED: Reply = r(530, "5.7.0", "authentication required");
/// 530 must issue STARTTLS first (RFC 3207 §4).
pub const TLS_REQUIRED: Reply = r(530, "5.7.0", "must issue a STARTTLS command first");
/// RFC 8689 §4.1: REQUIRETLS only over a TLS session.
pub const REQUIRETLS_NEEDS_TLS: Reply = r(530, "5.7.10", "REQUIRETLS needs a TLS session: STARTTLS first");
/// 535 authentication credentials invalid (RFC 4954 §6).
pub const AUTH_FAILED: Reply = r(535, "5.7.8", "authentication credentials invalid");
/// 538 encryption required for the mechanism (RFC 4954 §6).
pub const ENCRYPTION_REQUIRED: Reply = r(538, "5.7.11", "encryption required for requested authentication mechanism");
/// 550 mailbox unavailable: unknown user (RFC 3463 X.1.1); relay denied (X.7.1).
pub const NO_SUCH_USER: Reply = r(550, "5.1.1", "no such user here");
/// 550 5.2.1: the account exists but takes no mail (its tier has no mailbox; RFC 3463).
pub const MAILBOX_DISABLED: Reply = r(550, "5.2.1", "mailbox disabled, not accepting messages");
pub const RELAY_DENIED: Reply = r(550, "5.7.1", "relaying denied");
pub const SENDER_BLOCKED: Reply = r(550, "5.7.1", "sender blocked by the recipient's policy");
/// 550 bare CR or LF in the message (RFC 5321 §2.3.8; smuggling defence).
pub const BARE_LINE_ENDING: Reply = r(550, "5.6.0", "message contains bare CR or LF; lines must end with CRLF");
pub const DATA_LINE_TOO_LONG: Reply = r(550, "5.6.0", "message has a line longer than the limit");
/// 552 message size exceeds the limit (RFC 1870 §6; RFC 5321 §4.5.3.1.10).
pub const TOO_BIG: Reply = r(552, "5.3.4", "message size exceeds fixed maximum message size");
/// 553 sender not allowed (RFC 5321 §4.2.2; X.7.1 not authorised).
pub const SENDER_NOT_OWNED: Reply = r(553, "5.7.1", "sender address not owned by the authenticated user");
/// 554 transaction failed (RFC 5321 §4.2.2).
pub const TRANSACTION_FAILED: Reply = r(554, "5.0.0", "transaction failed");
/// 555 MAIL/RCPT parameters not recognised (RFC 5321 §4.2.2).
pub const PARAM_UNKNOWN: Reply = r(555, "5.5.4", "parameter not recognized");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_forms() {
        assert_eq!(OK.line(), "250 2.0.0 OK\r\n");
        assert_eq!(START_DATA.line(), "354 end data with <CR><LF>.<CR><LF>\r\n");
        assert_eq!(multiline(250, &["a".into(), "b".into()]), "250-a\r\n250 b\r\n");
    }
}
