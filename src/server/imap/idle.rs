//! IDLE (RFC 2177): report changes as they happen until the client says DONE. Deliveries and
//! other sessions in this process wake the session through the store's change channel; a
//! poll every half minute catches changes made by other processes (`mailctl` commands).

use std::time::Duration;

use tokio::sync::broadcast::error::RecvError;

use super::session::{Next, Session};
use crate::proto::imap::response::Untagged;
use crate::proto::line::{Line, next_line};

const POLL: Duration = Duration::from_secs(30);

impl Session {
    pub async fn idle(&mut self, tag: &str) -> Next {
        if let Err(e) = self.sync(true).await {
            return self.fault(tag, &e);
        }
        self.go_on("idling");
        // Everything queued goes out now: below, a read races with wake-ups, and a flush must
        // never be part of a race that could drop it.
        if self.conn.flush().await.is_err() {
            return Next::Close;
        }
        let mut shutdown = self.shared.shutdown.clone();
        let selected = self.selected.as_ref().map(|s| s.mailbox.id);
        let mut rx = self.changes.take();
        let result = loop {
            match next_line(&self.conn.input, 1024) {
                Line::Complete { len, consumed } => {
                    let done = self.conn.input[..len].eq_ignore_ascii_case(b"DONE");
                    self.conn.input.drain(..consumed);
                    break if done { None } else { Some("expected DONE") };
                }
                Line::TooLong => {
                    self.conn.input.clear();
                    break Some("expected DONE");
                }
                Line::Incomplete => {}
            }
            let wake = async {
                match rx.as_mut() {
                    Some(r) => loop {
                        match r.recv().await {
                            Ok((id, _)) if Some(id) == selected => return true,
                            Ok(_) => continue,
                            Err(RecvError::Lagged(_)) => return true,
                            Err(RecvError::Closed) => return false,
                        }
                    },
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                r = self.conn.fill() => match r {
                    Ok(0) | Err(_) => {
                        self.changes = rx;
                        return Next::Close;
                    }
                    Ok(_) => {}
                },
                changed = wake => {
                    if changed {
                        self.pending_change = true;
                        self.changes = rx.take();
                        let r = self.sync(true).await;
                        rx = self.changes.take();
                        if r.is_err() || self.doomed || self.conn.flush().await.is_err() {
                            return Next::Close;
                        }
                    }
                }
                _ = tokio::time::sleep(POLL) => {
                    self.changes = rx.take();
                    let r = self.sync(true).await;
                    rx = self.changes.take();
                    if r.is_err() || self.doomed || self.conn.flush().await.is_err() {
                        return Next::Close;
                    }
                }
                _ = shutdown.changed() => {
                    self.say(Untagged::Bye { code: None, text: "server shutting down" });
                    return Next::Close;
                }
            }
        };
        self.changes = rx;
        match result {
            None => self.ok(tag, "IDLE terminated"),
            Some(why) => self.bad(tag, why),
        }
    }
}
