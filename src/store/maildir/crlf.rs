//! The CRLF view of a message file. We write CRLF; Dovecot stores bare LF by default, and
//! IMAP and POP3 must send CRLF with sizes that match what they send.

use std::path::Path;

/// Does the message use bare LF line ends?
pub fn has_bare_lf(data: &[u8]) -> bool {
    memchr::memchr_iter(b'\n', data).any(|i| i == 0 || data[i - 1] != b'\r')
}

/// The length of the CRLF view.
pub fn crlf_len(data: &[u8]) -> usize {
    data.len() + memchr::memchr_iter(b'\n', data).filter(|&i| i == 0 || data[i - 1] != b'\r').count()
}

/// The message with CRLF line ends.
pub fn to_crlf(data: Vec<u8>) -> Vec<u8> {
    let len = crlf_len(&data);
    if len == data.len() {
        return data;
    }
    let mut out = Vec::with_capacity(len);
    for (i, &b) in data.iter().enumerate() {
        if b == b'\n' && (i == 0 || data[i - 1] != b'\r') {
            out.push(b'\r');
        }
        out.push(b);
    }
    out
}

/// Read a message file, with CRLF line ends.
pub fn read(path: &Path) -> std::io::Result<Vec<u8>> {
    std::fs::read(path).map(to_crlf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_lf_becomes_crlf_and_crlf_stays() {
        let cases: [(&[u8], &[u8]); 6] = [
            (b"a\nb\r\nc\n", b"a\r\nb\r\nc\r\n"),
            (b"\n", b"\r\n"),
            (b"a\r\n", b"a\r\n"),
            (b"", b""),
            (b"\r", b"\r"),
            (b"\n\n", b"\r\n\r\n"),
        ];
        for (raw, want) in cases {
            assert_eq!(to_crlf(raw.to_vec()), want, "{raw:?}");
            assert_eq!(crlf_len(raw), want.len(), "{raw:?}");
            assert_eq!(has_bare_lf(raw), raw != want, "{raw:?}");
        }
    }
}
