//! Splitting command lines out of a byte buffer, with a hard length limit checked before any
//! allocation.

/// What the buffer holds.
#[derive(Debug, PartialEq, Eq)]
pub enum Line {
    /// A line of `len` bytes, followed by a terminator; `consumed` includes the terminator.
    Complete { len: usize, consumed: usize },
    /// No terminator yet.
    Incomplete,
    /// No terminator within `max` bytes: the caller discards up to the next LF and answers 500.
    TooLong,
}

/// Find the next command line. CRLF ends it; a bare LF is tolerated for commands (not in DATA,
/// where only CRLF counts).
pub fn next_line(buf: &[u8], max: usize) -> Line {
    match buf.iter().take(max + 2).position(|&b| b == b'\n') {
        Some(i) => {
            let len = if i > 0 && buf[i - 1] == b'\r' { i - 1 } else { i };
            if len > max { Line::TooLong } else { Line::Complete { len, consumed: i + 1 } }
        }
        None if buf.len() > max + 1 => Line::TooLong,
        None => Line::Incomplete,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines() {
        let cases: &[(&[u8], Line)] = &[
            (b"NOOP\r\nQUIT", Line::Complete { len: 4, consumed: 6 }),
            (b"NOOP\nQUIT", Line::Complete { len: 4, consumed: 5 }),
            (b"NOOP\r", Line::Incomplete),
            (b"", Line::Incomplete),
            (b"0123456789\r\n", Line::Complete { len: 10, consumed: 12 }),
            (b"01234567890\r\n", Line::TooLong),
            (b"0123456789012", Line::TooLong),
        ];
        for (input, want) in cases {
            assert_eq!(&next_line(input, 10), want, "{:?}", String::from_utf8_lossy(input));
        }
    }
}
