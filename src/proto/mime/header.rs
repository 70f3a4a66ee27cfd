//! Header fields (RFC 5322 §2.2): where the header ends, the fields in it, unfolding, and
//! RFC 2047 decoding of a value. On the raw bytes, so sections stay exact octets.

use std::borrow::Cow;

use mail_parser::HeaderValue;
use mail_parser::parsers::MessageStream;

/// Splits an entity into its header (including the blank line that ends it, when there is one)
/// and its body. Without a blank line the whole input is header.
pub fn split_header(raw: &[u8]) -> (&[u8], &[u8]) {
    let at = |n: usize| raw.split_at(n.min(raw.len()));
    if raw.starts_with(b"\n") {
        return at(1);
    }
    if raw.starts_with(b"\r\n") {
        return at(2);
    }
    let mut i = 0;
    while let Some(p) = raw[i..].iter().position(|&b| b == b'\n') {
        let next = i + p + 1;
        match raw.get(next) {
            Some(b'\n') => return at(next + 1),
            Some(b'\r') if raw.get(next + 1) == Some(&b'\n') => return at(next + 2),
            _ => i = next,
        }
    }
    (raw, &[])
}

/// The header fields of an entity without the blank line that ends them (what
/// text/rfc822-headers holds).
pub fn fields_only(raw: &[u8]) -> &[u8] {
    let (header, _) = split_header(raw);
    // The first empty line ends the header, so a header that ends in one ends in that one.
    if header == b"\r\n" || header == b"\n" {
        &[]
    } else if header.ends_with(b"\n\r\n") {
        &header[..header.len() - 2]
    } else if header.ends_with(b"\n\n") {
        &header[..header.len() - 1]
    } else {
        header
    }
}

/// The index just after the line starting at `from` (after its LF, or the end).
pub fn line_end(h: &[u8], from: usize) -> usize {
    match h.get(from..).and_then(|s| s.iter().position(|&b| b == b'\n')) {
        Some(p) => from + p + 1,
        None => h.len(),
    }
}

/// One header field: its name, its value (after the colon, with continuation lines and line
/// endings) and the whole field as it is in the message.
#[derive(Debug, Clone, Copy)]
pub struct Field<'a> {
    pub name: &'a [u8],
    pub value: &'a [u8],
    pub raw: &'a [u8],
}

/// The fields of a header block, up to the blank line. Lines that are not fields (no colon,
/// empty name, stray continuation lines) are skipped.
pub struct Fields<'a> {
    h: &'a [u8],
    pos: usize,
}

impl<'a> Fields<'a> {
    pub fn new(h: &'a [u8]) -> Self {
        Fields { h, pos: 0 }
    }
}

impl<'a> Iterator for Fields<'a> {
    type Item = Field<'a>;

    fn next(&mut self) -> Option<Field<'a>> {
        let h = self.h;
        loop {
            let start = self.pos;
            if start >= h.len() {
                return None;
            }
            let first_end = line_end(h, start);
            let first = &h[start..first_end];
            if first == b"\n" || first == b"\r\n" {
                self.pos = h.len();
                return None;
            }
            let mut end = first_end;
            while end < h.len() && matches!(h[end], b' ' | b'\t') {
                end = line_end(h, end);
            }
            self.pos = end;
            if matches!(h[start], b' ' | b'\t') {
                continue;
            }
            let Some(colon) = first.iter().position(|&b| b == b':') else { continue };
            let name = trim(&first[..colon]);
            if name.is_empty() {
                continue;
            }
            let raw = &h[start..end];
            return Some(Field { name, value: &raw[colon + 1..], raw });
        }
    }
}

pub fn is_wsp(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

pub fn trim(s: &[u8]) -> &[u8] {
    let start = s.iter().position(|&b| !is_wsp(b)).unwrap_or(s.len());
    let end = s.iter().rposition(|&b| !is_wsp(b)).map_or(start, |p| p + 1);
    &s[start..end.max(start)]
}

/// A header value with its line breaks removed (the folding whitespace stays) and trimmed.
pub fn unfold(v: &[u8]) -> Cow<'_, [u8]> {
    let v = trim(v);
    if v.iter().any(|&b| b == b'\r' || b == b'\n') {
        Cow::Owned(v.iter().copied().filter(|&b| b != b'\r' && b != b'\n').collect())
    } else {
        Cow::Borrowed(v)
    }
}

/// RFC 2047-decoded text of a header value (mail-parser's unstructured parser).
pub fn decode_header_value(value: &[u8]) -> String {
    let owned;
    let v = if value.ends_with(b"\n") {
        value
    } else {
        owned = [value, b"\n"].concat();
        &owned
    };
    match MessageStream::new(v).parse_unstructured() {
        HeaderValue::Text(t) => t.into_owned(),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_empty_line_ends_the_header() {
        let cases: &[(&[u8], &[u8], &[u8])] = &[
            (b"A: 1\r\n\r\nbody\r\n\r\nmore", b"A: 1\r\n\r\n", b"body\r\n\r\nmore"),
            (b"A: 1\nB: 2\n\nbody", b"A: 1\nB: 2\n\n", b"body"),
            (b"A: 1\n\r\nbody", b"A: 1\n\r\n", b"body"),
            (b"\r\nbody\r\n\r\n", b"\r\n", b"body\r\n\r\n"),
            (b"A: 1\r\nno blank line", b"A: 1\r\nno blank line", b""),
            (b"", b"", b""),
        ];
        for (raw, header, body) in cases {
            assert_eq!(split_header(raw), (*header, *body), "{}", String::from_utf8_lossy(raw));
        }
    }

    #[test]
    fn fields_only_drops_the_blank_line_and_never_reaches_the_body() {
        let cases: &[(&[u8], &[u8])] = &[
            (b"A: 1\r\nB: 2\r\n\r\nsecret\r\n\r\n", b"A: 1\r\nB: 2\r\n"),
            (b"A: 1\n\nsecret\n\n", b"A: 1\n"),
            (b"\r\nsecret\r\n\r\nA: 1\r\n\r\n", b""),
            (b"A: 1\r\n", b"A: 1\r\n"),
        ];
        for (raw, want) in cases {
            assert_eq!(fields_only(raw), *want, "{}", String::from_utf8_lossy(raw));
        }
    }
}
