//! STARTTLS, LOGIN and AUTHENTICATE PLAIN (RFC 3501 §6.2, RFC 4959 SASL-IR).

use super::session::{Next, Session};
use crate::proto::imap::response::{Code, Untagged};
use crate::proto::sasl::{PlainError, decode_plain};
use crate::server::Login;

impl Session {
    pub async fn starttls(&mut self, tag: &str) -> Next {
        if self.conn.is_tls() {
            return self.bad(tag, "TLS is already active");
        }
        self.ok(tag, "begin TLS negotiation now");
        let acceptor = self.shared.tls.acceptor();
        match self.conn.start_tls(&acceptor).await {
            Ok(discarded) => {
                if discarded > 0 {
                    tracing::warn!(discarded, "bytes pipelined after STARTTLS discarded");
                }
                self.framer = Default::default();
                Next::Continue
            }
            Err(_) => Next::Close,
        }
    }

    pub async fn login(&mut self, tag: &str, user: &str, pass: &str) -> Next {
        if !self.login_allowed() {
            return self.no(tag, Code::PrivacyRequired, "use STARTTLS (or port 993) before logging in");
        }
        match self.shared.login(self.peer, "imap", user, pass).await {
            Login::Ok(account) => {
                if let Err(e) = crate::ops::mailbox::sync_folders(&self.shared.store(), &account).await {
                    tracing::error!(error = %e.one_line(), "imap login: reading the folders");
                    return self.no(tag, Code::Unavailable, "cannot open the mailbox, try again later");
                }
                self.account = Some(account);
                self.conn.set_idle(self.shared.config().server.imap_idle_timeout);
                let caps = self.capabilities();
                self.ok_code(tag, Code::Capability(&caps), "logged in")
            }
            Login::Locked => {
                self.no(tag, Code::Unavailable, "too many failed logins from your address, try again later");
                self.say(Untagged::Bye { code: None, text: "too many failed logins" });
                Next::Close
            }
            Login::Denied => {
                let n = self.no(tag, Code::AuthenticationFailed, "invalid credentials");
                self.count_error(n)
            }
            Login::Unavailable => self.no(tag, Code::Unavailable, "temporary failure, try again later"),
        }
    }

    pub async fn authenticate(&mut self, tag: &str, mechanism: &str, initial: Option<String>) -> Next {
        if mechanism != "PLAIN" {
            return self.no(tag, Code::Cannot, "only AUTHENTICATE PLAIN is offered");
        }
        if !self.login_allowed() {
            return self.no(tag, Code::PrivacyRequired, "use STARTTLS (or port 993) before logging in");
        }
        let resp = match initial {
            // SASL-IR: "=" is an empty initial response.
            Some(r) if r == "=" => String::new(),
            Some(r) => r,
            None => {
                self.go_on("");
                match self.conn.read_line(8192).await {
                    Some(l) => l,
                    None => return Next::Close,
                }
            }
        };
        if resp == "*" {
            return self.bad(tag, "authentication cancelled");
        }
        match decode_plain(&resp) {
            Ok((u, p)) => self.login(tag, &u, &p).await,
            Err(PlainError::Encoding) => self.bad(tag, "invalid base64"),
            Err(PlainError::Malformed) => self.no(tag, Code::AuthenticationFailed, "malformed PLAIN response"),
        }
    }
}
