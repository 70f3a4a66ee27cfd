//! The DATA decoder (RFC 5321 §4.1.1.4, §4.5.2): dot-unstuffing, the end-of-data marker, and
//! the checks that make SMTP smuggling impossible.
//!
//! Only `<CRLF>.<CRLF>` ends the data. A bare LF or a bare CR anywhere marks the message bad
//! (it is then refused with 550 5.6.0 once the real end arrives), and a bare LF never starts a
//! new line, so `<LF>.<CRLF>`, `<LF>.<LF>` and `<CR>.<CR>` (the CVE-2023-51764 family) cannot
//! end the data early and smuggle a second message.

/// Why a message is refused after its end has been read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataError {
    BareLineEnding,
    LineTooLong,
    TooBig,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// At the start of a line (after CRLF, or at the very start).
    LineStart,
    /// Inside a line.
    Middle,
    /// After a CR inside a line.
    Cr,
    /// After a '.' at the start of a line.
    Dot,
    /// After ".\r" at the start of a line.
    DotCr,
}

#[derive(Debug)]
pub struct Decoder {
    state: State,
    max_size: usize,
    max_line: usize,
    size: usize,
    line_len: usize,
    error: Option<DataError>,
}

/// Result of feeding bytes.
#[derive(Debug, PartialEq, Eq)]
pub enum Progress {
    /// All input consumed; the end marker has not arrived.
    More,
    /// The end marker ended at `consumed` bytes into the input; bytes after it are the next
    /// command (pipelining) and are not part of the message.
    Done { consumed: usize },
}

impl Decoder {
    /// `max_size`: the largest message accepted (decoded bytes); `max_line`: the longest line.
    pub fn new(max_size: usize, max_line: usize) -> Decoder {
        Decoder { state: State::LineStart, max_size, max_line, size: 0, line_len: 0, error: None }
    }

    /// The first error seen, if any (the message must then be refused).
    pub fn error(&self) -> Option<DataError> {
        self.error
    }

    /// Decoded bytes so far (counted even after the size limit stops storing them).
    pub fn size(&self) -> usize {
        self.size
    }

    fn fail(&mut self, e: DataError) {
        self.error.get_or_insert(e);
    }

    fn emit(&mut self, out: &mut Vec<u8>, bytes: &[u8]) {
        self.size += bytes.len();
        if self.size > self.max_size {
            self.fail(DataError::TooBig);
        }
        if self.error.is_none() {
            out.extend_from_slice(bytes);
        }
    }

    fn byte_in_line(&mut self) {
        self.line_len += 1;
        if self.line_len > self.max_line {
            self.fail(DataError::LineTooLong);
        }
    }

    /// Decode `input`, appending message bytes to `out`. Once an error is recorded nothing more
    /// is stored, but input is still consumed up to the end marker.
    pub fn feed(&mut self, input: &[u8], out: &mut Vec<u8>) -> Progress {
        let mut i = 0;
        while i < input.len() {
            // Fast path: copy a run of ordinary bytes inside a line.
            if self.state == State::Middle {
                let run = memchr::memchr2(b'\r', b'\n', &input[i..]).unwrap_or(input.len() - i);
                if run > 0 {
                    self.line_len += run;
                    if self.line_len > self.max_line {
                        self.fail(DataError::LineTooLong);
                    }
                    self.emit(out, &input[i..i + run]);
                    i += run;
                    continue;
                }
            }
            let b = input[i];
            i += 1;
            match (self.state, b) {
                (State::LineStart, b'.') => self.state = State::Dot,
                (State::LineStart | State::Middle, b'\r') => self.state = State::Cr,
                (State::LineStart | State::Middle | State::Dot, b'\n') => {
                    // A bare LF: refused, and it does not start a line.
                    self.fail(DataError::BareLineEnding);
                    self.state = State::Middle;
                }
                (State::LineStart, _) => {
                    self.byte_in_line();
                    self.emit(out, &[b]);
                    self.state = State::Middle;
                }
                (State::Middle, _) => {
                    self.byte_in_line();
                    self.emit(out, &[b]);
                }
                (State::Cr, b'\n') => {
                    self.emit(out, b"\r\n");
                    self.line_len = 0;
                    self.state = State::LineStart;
                }
                (State::Cr, _) => {
                    // A bare CR; look at this byte again as part of the line.
                    self.fail(DataError::BareLineEnding);
                    self.state = State::Middle;
                    i -= 1;
                }
                (State::Dot, b'\r') => self.state = State::DotCr,
                (State::Dot, _) => {
                    // Dot-stuffing: the leading dot is removed (RFC 5321 §4.5.2).
                    self.byte_in_line();
                    self.emit(out, &[b]);
                    self.state = State::Middle;
                }
                (State::DotCr, b'\n') => return Progress::Done { consumed: i },
                (State::DotCr, _) => {
                    self.fail(DataError::BareLineEnding);
                    self.state = State::Middle;
                    i -= 1;
                }
            }
        }
        Progress::More
    }
}

/// Check BDAT content (no dot-stuffing, no end marker) for bare CR or LF. `prev_cr` carries a
/// CR that ended the previous chunk. Returns whether this chunk ends with a CR.
pub fn check_chunk(chunk: &[u8], prev_cr: bool) -> (bool, bool) {
    let mut ok = true;
    let mut cr = prev_cr;
    for &b in chunk {
        match (cr, b) {
            (true, b'\n') => cr = false,
            (true, b'\r') => ok = false,
            (true, _) => {
                ok = false;
                cr = false;
            }
            (false, b'\r') => cr = true,
            (false, b'\n') => ok = false,
            _ => {}
        }
    }
    (ok, cr)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(input: &[u8]) -> (Vec<u8>, Option<DataError>, Progress) {
        let mut d = Decoder::new(1 << 20, 1000);
        let mut out = Vec::new();
        let p = d.feed(input, &mut out);
        (out, d.error(), p)
    }

    #[test]
    fn ends_and_unstuffs() {
        let cases: &[(&[u8], &[u8], usize)] = &[
            (b".\r\n", b"", 3),
            (b"Hello\r\n.\r\n", b"Hello\r\n", 10),
            (b"a\r\n..b\r\n.\r\nQUIT\r\n", b"a\r\n.b\r\n", 11),
            (b"..\r\n.\r\n", b".\r\n", 7),
            (b".x\r\n.\r\n", b"x\r\n", 7),
        ];
        for (input, want, consumed) in cases {
            let (out, err, p) = decode(input);
            assert_eq!((out.as_slice(), err, p), (*want, None, Progress::Done { consumed: *consumed }), "{input:?}");
        }
    }

    #[test]
    fn smuggling_variants_never_end_the_data() {
        // Each would end the data for some server; here none does, and the message is refused.
        let variants: &[&[u8]] = &[
            b"a\n.\r\nMAIL FROM:<x@y.z>\r\n",
            b"a\n.\nMAIL FROM:<x@y.z>\r\n",
            b"a\r.\r\nMAIL FROM:<x@y.z>\r\n",
            b"a\r.\rMAIL FROM:<x@y.z>\r\n",
            b"a\r\n.\nMAIL FROM:<x@y.z>\r\n",
            b"a\r\n.\rMAIL FROM:<x@y.z>\r\n",
            b"a\r\n\x00.\r\nMAIL FROM:<x@y.z>\r\n",
            b"a\n\r\n.\r\n",
        ];
        for v in variants {
            let mut d = Decoder::new(1 << 20, 1000);
            let mut out = Vec::new();
            let p = d.feed(v, &mut out);
            if *v == b"a\n\r\n.\r\n" {
                // Ends properly (CRLF.CRLF), but is refused for the bare LF.
                assert_eq!(p, Progress::Done { consumed: v.len() });
            } else if *v == b"a\r\n\x00.\r\nMAIL FROM:<x@y.z>\r\n" {
                assert_eq!(p, Progress::More, "{v:?}");
                continue; // NUL is just data; no error, and no early end
            } else {
                assert_eq!(p, Progress::More, "{v:?} ended the data early");
            }
            assert_eq!(d.error(), Some(DataError::BareLineEnding), "{v:?}");
            // Only a real CRLF.CRLF ends it.
            assert!(matches!(d.feed(b"\r\n.\r\n", &mut out), Progress::Done { .. }), "{v:?}");
        }
    }

    #[test]
    fn split_anywhere() {
        let msg = b"Subject: x\r\n\r\n..dot\r\nbody\r\n.\r\nNEXT";
        let (whole, _, _) = decode(msg);
        for cut in 0..msg.len() {
            let mut d = Decoder::new(1 << 20, 1000);
            let mut out = Vec::new();
            let first = d.feed(&msg[..cut], &mut out);
            let p = if first == Progress::More {
                match d.feed(&msg[cut..], &mut out) {
                    Progress::Done { consumed } => cut + consumed,
                    Progress::More => panic!("cut {cut}: no end"),
                }
            } else {
                match first {
                    Progress::Done { consumed } => consumed,
                    Progress::More => unreachable!(),
                }
            };
            assert_eq!(out, whole, "cut {cut}");
            assert_eq!(p, msg.len() - 4, "cut {cut}");
            assert_eq!(d.error(), None);
        }
    }

    #[test]
    fn limits() {
        let mut d = Decoder::new(10, 1000);
        let mut out = Vec::new();
        assert_eq!(d.feed(b"0123456789abcdef\r\n.\r\n", &mut out), Progress::Done { consumed: 21 });
        assert_eq!(d.error(), Some(DataError::TooBig));
        assert!(out.len() <= 10);
        let mut d = Decoder::new(1 << 20, 5);
        assert!(matches!(d.feed(b"123456\r\n.\r\n", &mut Vec::new()), Progress::Done { .. }));
        assert_eq!(d.error(), Some(DataError::LineTooLong));
    }

    #[test]
    fn chunks() {
        assert_eq!(check_chunk(b"a\r\nb\r\n", false), (true, false));
        assert_eq!(check_chunk(b"a\r", false), (true, true));
        assert_eq!(check_chunk(b"\nb", true), (true, false));
        assert_eq!(check_chunk(b"a\nb", false), (false, false));
        assert_eq!(check_chunk(b"a\rb", false), (false, false));
        assert_eq!(check_chunk(b"b", true), (false, false));
    }
}
