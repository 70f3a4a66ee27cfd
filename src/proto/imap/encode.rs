//! Writing IMAP data (RFC 3501 §4, RFC 9051 §4): strings as quoted strings when they can be,
//! literals otherwise; NIL; parenthesised lists. Responses are built into a `Vec<u8>`.

/// Can these bytes go in a quoted string? (No CR, LF, NUL or 8-bit; not too long.)
fn quotable(s: &[u8]) -> bool {
    s.len() < 1024 && s.iter().all(|&b| b != b'\r' && b != b'\n' && b != 0 && b < 0x80)
}

/// A string: quoted (with `\` before `"` and `\`), or a literal when it cannot be quoted.
pub fn string(out: &mut Vec<u8>, s: &[u8]) {
    if quotable(s) {
        out.push(b'"');
        for &b in s {
            if b == b'"' || b == b'\\' {
                out.push(b'\\');
            }
            out.push(b);
        }
        out.push(b'"');
    } else {
        literal(out, s);
    }
}

/// A synchronising-literal-shaped literal (servers always send `{n}`).
pub fn literal(out: &mut Vec<u8>, s: &[u8]) {
    out.push(b'{');
    out.extend_from_slice(s.len().to_string().as_bytes());
    out.extend_from_slice(b"}\r\n");
    out.extend_from_slice(s);
}

/// A string, or NIL.
pub fn nstring(out: &mut Vec<u8>, s: Option<&[u8]>) {
    match s {
        Some(s) => string(out, s),
        None => out.extend_from_slice(b"NIL"),
    }
}

/// An atom if `s` is a valid atom (no specials), else a string. For mailbox names and flags.
pub fn astring(out: &mut Vec<u8>, s: &[u8]) {
    let atom = !s.is_empty()
        && s.iter()
            .all(|&b| b > b' ' && b < 0x7f && !matches!(b, b'(' | b')' | b'{' | b'%' | b'*' | b'"' | b'\\' | b']'));
    if atom { out.extend_from_slice(s) } else { string(out, s) }
}

/// A number.
pub fn number(out: &mut Vec<u8>, n: u64) {
    out.extend_from_slice(n.to_string().as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(f: impl Fn(&mut Vec<u8>)) -> String {
        let mut v = Vec::new();
        f(&mut v);
        String::from_utf8_lossy(&v).into_owned()
    }

    #[test]
    fn strings() {
        assert_eq!(s(|o| string(o, b"hello")), "\"hello\"");
        assert_eq!(s(|o| string(o, b"a\"b\\c")), "\"a\\\"b\\\\c\"");
        assert_eq!(s(|o| string(o, b"a\r\nb")), "{4}\r\na\r\nb");
        assert_eq!(s(|o| string(o, "é".as_bytes())), "{2}\r\né");
        assert_eq!(s(|o| nstring(o, None)), "NIL");
        assert_eq!(s(|o| astring(o, b"INBOX")), "INBOX");
        assert_eq!(s(|o| astring(o, b"My Folder")), "\"My Folder\"");
        assert_eq!(s(|o| astring(o, b"")), "\"\"");
    }
}
