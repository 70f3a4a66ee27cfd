//! One POP3 session.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpStream;

use crate::ops::maildrop::{self, Maildrop};
use crate::proto::line::{Line, next_line};
use crate::proto::pop3::{Command, ParseError, encode_message, parse};
use crate::proto::sasl::{PlainError, decode_plain};
use crate::server::conn::{Conn, Input, Stream};
use crate::server::{Login, Shared};

/// RFC 2449 §4 allows 255 octets per command; we tolerate 1 KiB (long passwords).
const MAX_LINE: usize = 1024;
const MAX_ERRORS: u32 = 10;

enum State {
    Authorization { user: Option<String> },
    Transaction { drop: Box<Maildrop>, deleted: Vec<bool> },
}

struct Session {
    shared: Arc<Shared>,
    peer: SocketAddr,
    conn: Conn,
    state: State,
    errors: u32,
}

enum Next {
    Continue,
    Close,
}

impl Session {
    fn ok(&mut self, text: &str) {
        self.conn.queue(&format!("+OK {text}\r\n"));
    }
    fn err(&mut self, text: &str) {
        self.conn.queue(&format!("-ERR {text}\r\n"));
    }
    fn bad(&mut self, text: &str) -> Next {
        self.errors += 1;
        self.err(text);
        if self.errors >= MAX_ERRORS {
            self.err("too many errors, closing");
            return Next::Close;
        }
        Next::Continue
    }

    /// Plaintext login only under TLS, or from loopback in dev mode (RFC 2595 §4).
    fn login_allowed(&self) -> bool {
        self.conn.is_tls() || (self.shared.config().dev_mode && self.peer.ip().is_loopback())
    }

    fn capa(&mut self) {
        let mut lines = vec!["TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING", "EXPIRE NEVER"];
        let auth_state = matches!(self.state, State::Authorization { .. });
        if auth_state && self.login_allowed() {
            lines.push("USER");
            lines.push("SASL PLAIN");
        }
        if auth_state && !self.conn.is_tls() {
            lines.push("STLS");
        }
        lines.push("IMPLEMENTATION mailctl");
        let mut out = String::from("+OK capabilities follow\r\n");
        for l in lines {
            out.push_str(l);
            out.push_str("\r\n");
        }
        out.push_str(".\r\n");
        self.conn.queue(&out);
    }

    async fn login(&mut self, user: &str, pass: &str) -> Next {
        let account = match self.shared.login(self.peer, "pop3", user, pass).await {
            Login::Ok(a) => *a,
            Login::Locked => {
                self.err("[LOGIN-DELAY] too many failed logins from your address, try again later");
                return Next::Close;
            }
            Login::Denied => {
                self.state = State::Authorization { user: None };
                return self.bad("[AUTH] invalid credentials");
            }
            Login::Unavailable => {
                self.err("[SYS/TEMP] temporary failure, try again later");
                return Next::Continue;
            }
        };
        // One POP3 session per INBOX at a time (RFC 1939 §8).
        if !self.shared.pop3_lock(account.id) {
            self.err("[IN-USE] the mailbox is already in use");
            self.state = State::Authorization { user: None };
            return Next::Continue;
        }
        match maildrop::open(&self.shared.store(), account).await {
            Ok(drop) => {
                let n = drop.entries.len();
                let size: u64 = drop.entries.iter().map(|e| e.size).sum();
                tracing::info!(user = %drop.account.address, messages = n, "pop3 login");
                self.state = State::Transaction { deleted: vec![false; n], drop: Box::new(drop) };
                self.ok(&format!("maildrop has {n} messages ({size} octets)"));
            }
            Err(e) => {
                tracing::error!(error = %e.one_line(), "opening a maildrop");
                self.err("[SYS/TEMP] cannot open the mailbox, try again later");
            }
        }
        Next::Continue
    }

    async fn auth_plain(&mut self, initial: Option<String>) -> Next {
        let resp = match initial {
            Some(r) => r,
            None => {
                self.conn.queue("+ \r\n");
                match self.conn.read_line(MAX_LINE).await {
                    Some(l) => l,
                    None => return Next::Close,
                }
            }
        };
        if resp == "*" {
            self.err("authentication cancelled");
            return Next::Continue;
        }
        match decode_plain(&resp) {
            Ok((u, p)) => self.login(&u, &p).await,
            Err(PlainError::Encoding) => self.bad("invalid base64"),
            Err(PlainError::Malformed) => self.bad("[AUTH] malformed PLAIN response"),
        }
    }

    async fn command(&mut self, line: &[u8]) -> Next {
        let cmd = match parse(line) {
            Ok(c) => c,
            Err(ParseError::Unknown) => return self.bad("unknown command"),
            Err(ParseError::Syntax(why)) => return self.bad(why),
        };
        match cmd {
            Command::Capa => self.capa(),
            Command::Noop => self.ok(""),
            Command::Quit => return self.quit().await,
            Command::Stls => return self.stls().await,
            cmd if matches!(self.state, State::Authorization { .. }) => return self.authorization(cmd).await,
            cmd => return self.transaction(cmd).await,
        }
        Next::Continue
    }

    async fn stls(&mut self) -> Next {
        if self.conn.is_tls() || !matches!(self.state, State::Authorization { .. }) {
            return self.bad("STLS not allowed now");
        }
        self.ok("begin TLS negotiation");
        let acceptor = self.shared.tls.acceptor();
        match self.conn.start_tls(&acceptor).await {
            Ok(discarded) => {
                if discarded > 0 {
                    tracing::warn!(discarded, "bytes pipelined after STLS discarded");
                }
                self.state = State::Authorization { user: None };
                Next::Continue
            }
            Err(_) => Next::Close,
        }
    }

    async fn authorization(&mut self, cmd: Command) -> Next {
        match cmd {
            Command::User(_) | Command::Pass(_) | Command::Auth { .. } if !self.login_allowed() => {
                self.bad("[AUTH] log in after STLS: plaintext login is disabled")
            }
            Command::User(u) => {
                self.state = State::Authorization { user: Some(u) };
                self.ok("send PASS");
                Next::Continue
            }
            Command::Pass(p) => match &self.state {
                State::Authorization { user: Some(u) } => {
                    let u = u.clone();
                    self.login(&u, &p).await
                }
                _ => self.bad("USER first"),
            },
            Command::Auth { mechanism: None, .. } => {
                self.conn.queue("+OK\r\nPLAIN\r\n.\r\n");
                Next::Continue
            }
            Command::Auth { mechanism: Some(m), initial } if m == "PLAIN" => self.auth_plain(initial).await,
            Command::Auth { .. } => self.bad("unsupported mechanism"),
            _ => self.bad("not allowed before login"),
        }
    }

    async fn transaction(&mut self, cmd: Command) -> Next {
        let State::Transaction { drop, deleted } = &mut self.state else { return Next::Continue };
        // Message numbers are 1-based; deleted ones are invisible (RFC 1939 §5).
        let pick = |n: u32, deleted: &[bool]| -> std::result::Result<usize, &'static str> {
            let i = (n as usize).checked_sub(1).filter(|&i| i < deleted.len()).ok_or("no such message")?;
            if deleted[i] { Err("message is deleted") } else { Ok(i) }
        };
        match cmd {
            Command::Stat => {
                let (n, size) = drop
                    .entries
                    .iter()
                    .zip(deleted.iter())
                    .filter(|(_, d)| !**d)
                    .fold((0, 0u64), |(n, s), (e, _)| (n + 1, s + e.size));
                self.ok(&format!("{n} {size}"));
            }
            Command::List(None) | Command::Uidl(None) => {
                let uidl = matches!(cmd, Command::Uidl(_));
                let mut out = String::from("+OK\r\n");
                for (i, (e, d)) in drop.entries.iter().zip(deleted.iter()).enumerate() {
                    if !d {
                        let v = if uidl { e.uidl.clone() } else { e.size.to_string() };
                        out.push_str(&format!("{} {v}\r\n", i + 1));
                    }
                }
                out.push_str(".\r\n");
                self.conn.queue(&out);
            }
            Command::List(Some(n)) | Command::Uidl(Some(n)) => match pick(n, deleted) {
                Ok(i) => {
                    let e = &drop.entries[i];
                    let v = if matches!(cmd, Command::Uidl(_)) { e.uidl.clone() } else { e.size.to_string() };
                    self.ok(&format!("{n} {v}"));
                }
                Err(why) => return self.bad(why),
            },
            Command::Retr(n) | Command::Top(n, _) => {
                let i = match pick(n, deleted) {
                    Ok(i) => i,
                    Err(why) => return self.bad(why),
                };
                let entry = drop.entries[i].clone();
                let lines = if let Command::Top(_, l) = cmd { Some(l) } else { None };
                match maildrop::read(&entry).await {
                    Ok(data) => {
                        self.ok(&format!("{} octets", entry.size));
                        let body = encode_message(&data, lines);
                        self.conn.queue_bytes(&body);
                    }
                    Err(e) => {
                        tracing::error!(error = %e.one_line(), "reading a message");
                        self.err("[SYS/TEMP] cannot read the message");
                    }
                }
            }
            Command::Dele(n) => match pick(n, deleted) {
                Ok(i) => {
                    deleted[i] = true;
                    self.ok(&format!("message {n} deleted"));
                }
                Err(why) => return self.bad(why),
            },
            Command::Rset => {
                deleted.iter_mut().for_each(|d| *d = false);
                let n = deleted.len();
                self.ok(&format!("maildrop has {n} messages"));
            }
            _ => return self.bad("not allowed after login"),
        }
        Next::Continue
    }

    /// QUIT: in TRANSACTION, enter UPDATE and remove the deleted messages.
    async fn quit(&mut self) -> Next {
        let state = std::mem::replace(&mut self.state, State::Authorization { user: None });
        if let State::Transaction { drop, deleted } = state {
            let remove: Vec<&maildrop::Entry> =
                drop.entries.iter().zip(deleted.iter()).filter(|(_, d)| **d).map(|(e, _)| e).collect();
            let n = remove.len();
            let result = maildrop::expunge(&self.shared.store(), &drop, &remove).await;
            self.shared.pop3_unlock(drop.account.id);
            match result {
                Ok(()) => self.ok(&format!("bye, {n} messages deleted")),
                Err(e) => {
                    tracing::error!(error = %e.one_line(), "pop3 update");
                    self.err("[SYS/TEMP] some deleted messages were not removed");
                }
            }
        } else {
            self.ok("bye");
        }
        Next::Close
    }

    /// Release the INBOX lock if the session ends without QUIT (no deletions then).
    fn release(&mut self) {
        if let State::Transaction { drop, .. } = &self.state {
            self.shared.pop3_unlock(drop.account.id);
        }
    }
}

pub async fn run(shared: Arc<Shared>, implicit_tls: bool, tcp: TcpStream, peer: SocketAddr) {
    let _ = tcp.set_nodelay(true);
    let _open = crate::metrics::Session::open("pop3");
    let cfg = shared.config();
    let mut conn = Conn::new(
        Stream::Plain(tcp),
        cfg.server.pop3_idle_timeout,
        cfg.server.session_timeout.max(cfg.server.pop3_idle_timeout),
    );
    if implicit_tls {
        let acceptor = shared.tls.acceptor();
        if conn.start_tls(&acceptor).await.is_err() {
            return;
        }
    }
    let mut s = Session { shared, peer, conn, state: State::Authorization { user: None }, errors: 0 };
    s.ok("mailctl POP3 ready");
    let mut shutdown = s.shared.shutdown.clone();
    loop {
        if *shutdown.borrow() && s.conn.input.is_empty() {
            s.err("[SYS/TEMP] server shutting down");
            break;
        }
        match next_line(&s.conn.input, MAX_LINE) {
            Line::Complete { len, consumed } => {
                let line = s.conn.input[..len].to_vec();
                s.conn.input.drain(..consumed);
                let timer = crate::metrics::METRICS.pop3_commands.start_timer();
                let next = s.command(&line).await;
                timer.observe_duration();
                if let Next::Close = next {
                    break;
                }
            }
            Line::TooLong => {
                s.conn.input.clear();
                s.err("line too long");
                break;
            }
            Line::Incomplete => match s.conn.wait_for_input(&mut shutdown).await {
                Input::Data | Input::Shutdown => {}
                Input::TimedOut => {
                    s.err("[SYS/TEMP] autologout timer expired");
                    break;
                }
                Input::Closed => break,
            },
        }
    }
    s.release();
    s.conn.close().await;
}
