//! Session state and the command loop.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::Arc;
use tracing::Instrument;

use tokio::net::TcpStream;

use crate::proto::line::{Line, next_line};
use crate::proto::smtp::codes::{self, Reply};
use crate::proto::smtp::command::{self, Command, MailParams, ParseError, Path};
use crate::server::Shared;
use crate::server::conn::{Conn, Input, Stream};
use crate::store::Account;

/// RFC 5321 §4.5.3.1.4 allows 512 octets per command line; we tolerate up to 4 KiB (long
/// AUTH initial responses) and refuse longer lines.
pub const MAX_COMMAND_LINE: usize = 4096;
/// RFC 5321 §4.5.3.1.6: 1000 octets per text line; real mail exceeds it, so up to 64 KiB.
pub const MAX_TEXT_LINE: usize = 64 * 1024;
/// Bad commands (and refused recipients) before we hang up, like Postfix's hard error limit.
const MAX_ERRORS: u32 = 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listener {
    /// Inbound mail for local domains (port 25).
    Mx,
    /// Submission with STARTTLS (port 587).
    Submission,
    /// Submission over implicit TLS (port 465).
    Submissions,
}

impl Listener {
    pub fn name(self) -> &'static str {
        match self {
            Listener::Mx => "smtp",
            Listener::Submission => "submission",
            Listener::Submissions => "submissions",
        }
    }
}

/// A mail transaction (MAIL to end of data).
#[derive(Default)]
pub struct Txn {
    /// The id for the log, Received: and the spool.
    pub id: String,
    pub from: Option<Path>,
    pub params: MailParams,
    /// Recipients as accepted (normalised), for the log and Received:.
    pub rcpts: Vec<String>,
    /// Local accounts to deliver to (by account id), resolved at RCPT through alias
    /// expansion, with what delivery needs.
    pub local: std::collections::BTreeMap<i64, crate::ops::recipient::Local>,
    /// Remote addresses, for the outbound spool.
    pub remote: BTreeSet<String>,
    /// The allow and block rules that can apply to the sender (mail from outside), read with
    /// the first recipient; RCPT and DATA both decide from them.
    pub sender_rules: Option<Vec<crate::store::filter_rules::Rule>>,
    /// Whether SPF passed for the sender, once asked (an allow-listed sender's greylisting).
    pub sender_spf_passed: Option<bool>,
    /// BDAT: the message so far, and whether it has gone wrong.
    pub chunks: Option<data::Chunks>,
}

use super::data;

impl Txn {
    /// What the allow and block lists say about the sender writing to these accounts (by the
    /// rules read with the first recipient; nothing for the null sender).
    pub fn sender_listed(&self, accounts: &[crate::ops::recipient::Local]) -> Option<crate::ops::filter_rules::Kind> {
        let Some(Path::Mailbox(sender)) = &self.from else { return None };
        let rules = self.sender_rules.as_deref().unwrap_or(&[]);
        crate::ops::filter_rules::for_recipients(rules, sender, accounts.iter().map(|l| l.address.as_str()))
    }
}

pub struct Session {
    pub shared: Arc<Shared>,
    pub listener: Listener,
    pub peer: SocketAddr,
    pub conn: Conn,
    pub helo: Option<String>,
    pub esmtp: bool,
    pub account: Option<Account>,
    pub txn: Option<Txn>,
    errors: u32,
    /// The DNS blocklists' verdict on the client, asked at the first RCPT without AUTH: the
    /// refusal's text when listed.
    pub blocklisted: Option<Option<String>>,
}

/// What the loop does after a command.
pub enum Next {
    Continue,
    Close,
}

impl Session {
    pub fn reply(&mut self, r: Reply) {
        self.conn.queue(&r.line());
    }
    pub fn reply_text(&mut self, r: Reply, text: &str) {
        self.conn.queue(&r.with_text(text));
    }

    /// Loopback client while the config says dev mode.
    pub fn dev_loopback(&self) -> bool {
        self.shared.config().dev_mode && self.peer.ip().is_loopback()
    }

    /// AUTH is offered only on submission, and only under TLS (or dev-mode loopback).
    pub fn auth_allowed(&self) -> bool {
        self.listener != Listener::Mx && (self.conn.is_tls() || self.dev_loopback())
    }

    /// Count a protocol error; too many end the session.
    pub fn error(&mut self, r: Reply) -> Next {
        self.refuse(r, None)
    }

    /// A refusal that counts as an error (a rejected recipient, say: harvesting is limited);
    /// the error that reaches the limit is answered with 421 instead.
    pub fn refuse(&mut self, r: Reply, text: Option<&str>) -> Next {
        self.errors += 1;
        if self.errors >= MAX_ERRORS {
            self.reply(codes::TOO_MANY_ERRORS);
            return Next::Close;
        }
        match text {
            Some(t) => self.reply_text(r, t),
            None => self.reply(r),
        }
        Next::Continue
    }

    fn ehlo(&mut self, name: String, esmtp: bool) {
        self.helo = Some(name);
        self.esmtp = esmtp;
        self.txn = None;
        let cfg = self.shared.config();
        if !esmtp {
            self.conn.queue(&format!("250 {}\r\n", cfg.hostname));
            return;
        }
        let mut lines = vec![
            format!("{} greets [{}]", cfg.hostname, self.peer.ip()),
            "PIPELINING".into(),
            format!("SIZE {}", cfg.server.message_size_limit),
            "8BITMIME".into(),
            "SMTPUTF8".into(),
            "CHUNKING".into(),
            "ENHANCEDSTATUSCODES".into(),
        ];
        if self.conn.is_tls() {
            // RFC 8689: offered only where it can be used, over TLS.
            lines.push("REQUIRETLS".into());
        } else {
            lines.push("STARTTLS".into());
        }
        if self.auth_allowed() && self.account.is_none() {
            lines.push("AUTH PLAIN LOGIN".into());
        }
        lines.push("HELP".into());
        self.conn.queue(&codes::multiline(250, &lines));
    }

    async fn command(&mut self, line: &[u8]) -> Next {
        let cmd = match command::parse(line) {
            Ok(c) => c,
            Err(ParseError::Unknown) => return self.error(codes::UNKNOWN_COMMAND),
            Err(ParseError::Syntax(why)) => return self.refuse(codes::BAD_ARGS, Some(why)),
            Err(ParseError::NotText) => return self.error(codes::SYNTAX),
            Err(ParseError::BadAddress) => return self.error(codes::BAD_ADDRESS),
            Err(ParseError::UnknownParam(p)) => {
                self.reply_text(codes::PARAM_UNKNOWN, &format!("parameter {p} not recognized"));
                return Next::Continue;
            }
            Err(ParseError::BadParam(p)) => {
                self.reply_text(codes::BAD_ARGS, &format!("bad parameter {p}"));
                return Next::Continue;
            }
        };
        match cmd {
            Command::Ehlo(name) => self.ehlo(name, true),
            Command::Helo(name) => self.ehlo(name, false),
            Command::Mail { from, params } => envelope::mail(self, from, params).await,
            Command::Rcpt { to } => return envelope::rcpt(self, to).await,
            Command::Data => return data::data(self).await,
            Command::Bdat { size, last } => return data::bdat(self, size, last).await,
            Command::Rset => {
                self.txn = None;
                self.reply(codes::OK);
            }
            Command::Noop => self.reply(codes::OK),
            Command::Vrfy => self.reply(codes::CANNOT_VRFY),
            Command::Help => self.reply(codes::HELP),
            Command::Quit => {
                self.reply(codes::BYE);
                return Next::Close;
            }
            Command::StartTls => return self.starttls().await,
            Command::Auth { mechanism, initial } => return auth::auth(self, &mechanism, initial).await,
        }
        Next::Continue
    }

    async fn starttls(&mut self) -> Next {
        if self.conn.is_tls() {
            return self.error(codes::BAD_SEQUENCE);
        }
        self.reply(codes::READY_TLS);
        let acceptor = self.shared.tls.acceptor();
        match self.conn.start_tls(&acceptor).await {
            Ok(discarded) => {
                if discarded > 0 {
                    tracing::warn!(discarded, "bytes pipelined after STARTTLS discarded");
                }
                // RFC 3207 §4.2: forget everything learnt before TLS.
                self.helo = None;
                self.account = None;
                self.txn = None;
                Next::Continue
            }
            Err(e) => {
                tracing::info!(error = %e, "TLS handshake failed");
                Next::Close
            }
        }
    }

    /// Read one line (for AUTH continuations). None: the connection is gone or the line was
    /// too long (answered already).
    pub async fn read_line(&mut self) -> Option<String> {
        let line = self.conn.read_line(MAX_COMMAND_LINE).await;
        if line.is_none() && self.conn.input.is_empty() {
            self.reply(codes::LINE_TOO_LONG);
        }
        line
    }
}

use super::{auth, envelope};

/// Serve one connection to the end.
pub async fn run(shared: Arc<Shared>, listener: Listener, tcp: TcpStream, peer: SocketAddr) {
    let _ = tcp.set_nodelay(true);
    let _open = crate::metrics::Session::open("smtp");
    crate::metrics::METRICS.smtp_connections.with_label_values(&[listener.name()]).inc();
    let cfg = shared.config();
    let mut conn = Conn::new(Stream::Plain(tcp), cfg.server.idle_timeout, cfg.server.session_timeout);
    if listener == Listener::Submissions {
        let acceptor = shared.tls.acceptor();
        if let Err(e) = conn.start_tls(&acceptor).await {
            tracing::info!(error = %e, "TLS handshake failed");
            return;
        }
    }
    let mut s = Session {
        shared,
        listener,
        peer,
        conn,
        helo: None,
        esmtp: false,
        account: None,
        txn: None,
        errors: 0,
        blocklisted: None,
    };
    s.conn.queue(&format!("220 {} ESMTP mailctl\r\n", cfg.hostname));
    let mut shutdown = s.shared.shutdown.clone();
    let mut discarding = false;
    loop {
        if *shutdown.borrow() && s.conn.input.is_empty() {
            s.reply(codes::SHUTTING_DOWN);
            break;
        }
        match next_line(&s.conn.input, MAX_COMMAND_LINE) {
            Line::Complete { len, consumed } => {
                let line = s.conn.input[..len].to_vec();
                s.conn.input.drain(..consumed);
                if discarding {
                    // The tail of an over-long line.
                    discarding = false;
                    continue;
                }
                // Inside a transaction every line also carries its queue id.
                let next = match s.txn.as_ref().map(|t| t.id.clone()) {
                    Some(id) => s.command(&line).instrument(tracing::info_span!("txn", id = %id)).await,
                    None => s.command(&line).await,
                };
                if let Next::Close = next {
                    break;
                }
            }
            Line::TooLong => {
                // Drop the long line only: complete commands pipelined after it stay.
                match s.conn.input.iter().position(|&b| b == b'\n') {
                    Some(end) => {
                        s.conn.input.drain(..=end);
                        if discarding {
                            discarding = false;
                            continue;
                        }
                        if let Next::Close = s.error(codes::LINE_TOO_LONG) {
                            break;
                        }
                        continue;
                    }
                    None => s.conn.input.clear(),
                }
                if !discarding {
                    discarding = true;
                    if let Next::Close = s.error(codes::LINE_TOO_LONG) {
                        break;
                    }
                }
            }
            Line::Incomplete => match s.conn.wait_for_input(&mut shutdown).await {
                Input::Data | Input::Shutdown => {}
                Input::TimedOut => {
                    s.reply(codes::TIMEOUT);
                    break;
                }
                Input::Closed => break,
            },
        }
    }
    s.conn.close().await;
}
