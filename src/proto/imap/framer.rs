//! Finding one complete command in the input: its lines and the literals between them.
//!
//! A literal's announced length is checked against the limit *before* anything is buffered or
//! a continuation request is sent, so `{4000000000}` costs nothing. A synchronising literal
//! over the limit gets a tagged NO and the client never sends it; a non-synchronising one
//! (LITERAL+) over the limit cannot be skipped safely, so the connection is closed (RFC 7888
//! §4), and its bytes are never read as commands.

/// Limits for one command.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Longest line between literals (RFC 7162 §4 asks for at least 8192).
    pub line: usize,
    /// Largest literal in APPEND (the message size limit).
    pub append_literal: usize,
    /// Largest literal anywhere else.
    pub literal: usize,
}

/// Most literals in one command (APPEND of one message has one; LOGIN two).
const MAX_LITERALS: usize = 64;

#[derive(Debug, PartialEq, Eq)]
pub enum Frame {
    /// Not all of the command is here yet; read more.
    Incomplete,
    /// A synchronising literal of this size is announced: send a continuation request, call
    /// [`Framer::acknowledge`], and read more.
    Continue(usize),
    /// The command is the first `len` bytes of the input.
    Complete(usize),
    /// A synchronising literal is over the limit: reply NO to `tag` and drop `discard` bytes
    /// (the line that announced it).
    TooBig { tag: String, discard: usize },
    /// The command cannot be framed (a line too long, a non-synchronising literal over the
    /// limit): reply BYE and close.
    Fatal(&'static str),
}

#[derive(Debug, Default)]
pub struct Framer {
    /// Synchronising literals of the current command already acknowledged with `+`.
    acked: usize,
}

/// `{n}` or `{n+}` at the end of a line: (n, synchronising).
fn literal_marker(line: &[u8]) -> Option<Result<(u64, bool), ()>> {
    if line.last() != Some(&b'}') {
        return None;
    }
    let open = line.iter().rposition(|&b| b == b'{')?;
    let inner = &line[open + 1..line.len() - 1];
    let (digits, sync) = match inner.strip_suffix(b"+").or_else(|| inner.strip_suffix(b"-")) {
        Some(d) => (d, false),
        None => (inner, true),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    // More digits than fit: certainly over any limit.
    Some(std::str::from_utf8(digits).ok().and_then(|d| d.parse::<u64>().ok()).map(|n| (n, sync)).ok_or(()))
}

fn tag_of(buf: &[u8]) -> String {
    let end = buf.iter().position(|&b| b == b' ' || b == b'\r' || b == b'\n').unwrap_or(buf.len()).min(64);
    String::from_utf8_lossy(&buf[..end]).into_owned()
}

/// Is this command an APPEND (the only one whose literals may be messages)?
fn is_append(buf: &[u8]) -> bool {
    let mut words = buf.split(|&b| b == b' ');
    let _tag = words.next();
    let cmd = words.next().unwrap_or_default();
    cmd.eq_ignore_ascii_case(b"APPEND")
}

impl Framer {
    /// The continuation request for the announced literal was sent.
    pub fn acknowledge(&mut self) {
        self.acked += 1;
    }

    /// Look for one complete command at the start of `buf`.
    pub fn next(&mut self, buf: &[u8], limits: &Limits) -> Frame {
        let mut pos = 0;
        let mut sync_seen = 0;
        let mut literals = 0;
        loop {
            // The whole command is bounded: its literals and lines together.
            if pos > limits.append_literal.max(limits.literal) + 4 * limits.line {
                return Frame::Fatal("command too long");
            }
            let rest = &buf[pos..];
            let Some(nl) = rest.iter().position(|&b| b == b'\n') else {
                if rest.len() > limits.line {
                    return Frame::Fatal("command line too long");
                }
                return Frame::Incomplete;
            };
            if nl > limits.line {
                return Frame::Fatal("command line too long");
            }
            let line = rest[..nl].strip_suffix(b"\r").unwrap_or(&rest[..nl]);
            let after = pos + nl + 1;
            match literal_marker(line) {
                None => {
                    self.acked = 0;
                    return Frame::Complete(after);
                }
                Some(marker) => {
                    literals += 1;
                    if literals > MAX_LITERALS {
                        return Frame::Fatal("too many literals in one command");
                    }
                    let max = if is_append(buf) { limits.append_literal } else { limits.literal };
                    let (n, sync) = match marker {
                        Ok((n, sync)) if n <= max as u64 => (n as usize, sync),
                        Ok((_, true)) | Err(()) if sync_marker(line) => {
                            self.acked = 0;
                            return Frame::TooBig { tag: tag_of(buf), discard: after };
                        }
                        _ => return Frame::Fatal("literal too big"),
                    };
                    if sync {
                        sync_seen += 1;
                        if sync_seen > self.acked && buf.len() < after + n {
                            // A client that sends the data without waiting is tolerated.
                            return if buf.len() == after { Frame::Continue(n) } else { Frame::Incomplete };
                        }
                    }
                    if buf.len() < after + n {
                        return Frame::Incomplete;
                    }
                    pos = after + n;
                }
            }
        }
    }
}

fn sync_marker(line: &[u8]) -> bool {
    !line.ends_with(b"+}") && !line.ends_with(b"-}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const L: Limits = Limits { line: 100, append_literal: 1000, literal: 10 };

    fn frame(input: &[u8]) -> Frame {
        Framer::default().next(input, &L)
    }

    #[test]
    fn table() {
        let cases: &[(&[u8], Frame)] = &[
            (b"a NOOP\r\n", Frame::Complete(8)),
            (b"a NOOP\n", Frame::Complete(7)),
            (b"a NOO", Frame::Incomplete),
            (b"a LOGIN {3}\r\n", Frame::Continue(3)),
            (b"a LOGIN {3+}\r\nbob {2+}\r\npw\r\n", Frame::Complete(28)),
            (b"a LOGIN {3+}\r\nbo", Frame::Incomplete),
            (b"a LOGIN {11}\r\n", Frame::TooBig { tag: "a".into(), discard: 14 }),
            (b"a LOGIN {4000000000}\r\n", Frame::TooBig { tag: "a".into(), discard: 22 }),
            (b"a LOGIN {99999999999999999999999}\r\n", Frame::TooBig { tag: "a".into(), discard: 35 }),
            (b"a LOGIN {11+}\r\n", Frame::Fatal("literal too big")),
            (b"a APPEND INBOX {500}\r\n", Frame::Continue(500)),
            (b"a APPEND INBOX {1001}\r\n", Frame::TooBig { tag: "a".into(), discard: 23 }),
            (b"a LOGIN {3}\r\nbo", Frame::Incomplete),
            (b"a LOGIN {3}\r\nbob x\r\n", Frame::Complete(20)),
        ];
        for (input, want) in cases {
            assert_eq!(&frame(input), want, "{}", String::from_utf8_lossy(input));
        }
        assert_eq!(frame(&[b'x'; 101]), Frame::Fatal("command line too long"));
    }

    #[test]
    fn acknowledged_literals() {
        let mut f = Framer::default();
        let mut buf = b"a LOGIN {3}\r\n".to_vec();
        assert_eq!(f.next(&buf, &L), Frame::Continue(3));
        f.acknowledge();
        assert_eq!(f.next(&buf, &L), Frame::Incomplete);
        buf.extend_from_slice(b"bob {2}\r\n");
        assert_eq!(f.next(&buf, &L), Frame::Continue(2));
        f.acknowledge();
        buf.extend_from_slice(b"pw\r\n");
        assert_eq!(f.next(&buf, &L), Frame::Complete(buf.len()));
        // The next command starts afresh.
        assert_eq!(f.next(b"b LOGIN {1}\r\n", &L), Frame::Continue(1));
    }
}
