//! Modified UTF-7 (RFC 3501 §5.1.3), the form mailbox names take on the wire for IMAP4rev1
//! clients and in the Maildir (as Dovecot writes them). Sessions that enabled IMAP4rev2 or
//! UTF8=ACCEPT (RFC 9051, RFC 6855) speak UTF-8 names instead; the session converts at its
//! edge, so the index and the Maildir hold one form and both kinds of client see one mailbox.
//!
//! Written here rather than taken from a crate: the one on crates.io (utf7-imap) is
//! unmaintained since 2022, pulls in regex, and does not say what it does with malformed
//! input, which a server must refuse (or pass through unchanged), never panic on.

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

/// A UTF-8 name in modified UTF-7.
pub fn encode(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut units: Vec<u16> = Vec::new();
    let flush = |units: &mut Vec<u16>, out: &mut String| {
        if units.is_empty() {
            return;
        }
        out.push('&');
        let bytes: Vec<u8> = units.iter().flat_map(|u| u.to_be_bytes()).collect();
        for chunk in bytes.chunks(3) {
            let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            let digits = chunk.len() + 1;
            for i in 0..digits {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            }
        }
        out.push('-');
        units.clear();
    };
    for ch in name.chars() {
        if (' '..='~').contains(&ch) {
            flush(&mut units, &mut out);
            if ch == '&' {
                out.push_str("&-");
            } else {
                out.push(ch);
            }
        } else {
            let mut buf = [0u16; 2];
            units.extend_from_slice(ch.encode_utf16(&mut buf));
        }
    }
    flush(&mut units, &mut out);
    out
}

/// A modified UTF-7 name as UTF-8; None when it is not valid modified UTF-7 (bad base64, a
/// lone surrogate, an encoded run of printable ASCII, 8-bit bytes).
pub fn decode(name: &str) -> Option<String> {
    let b = name.as_bytes();
    let mut out = String::with_capacity(name.len());
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if !(0x20..=0x7e).contains(&c) {
            return None;
        }
        if c != b'&' {
            out.push(c as char);
            i += 1;
            continue;
        }
        let end = i + 1 + b[i + 1..].iter().position(|&x| x == b'-')?;
        let run = &b[i + 1..end];
        i = end + 1;
        if run.is_empty() {
            out.push('&');
            continue;
        }
        let (mut bits, mut nbits, mut bytes) = (0u32, 0u32, Vec::new());
        for &d in run {
            let v = ALPHABET.iter().position(|&a| a == d)? as u32;
            bits = (bits << 6) | v;
            nbits += 6;
            if nbits >= 8 {
                nbits -= 8;
                bytes.push((bits >> nbits) as u8);
                bits &= (1 << nbits) - 1;
            }
        }
        // Leftover bits must be zero padding, and the bytes whole UTF-16 units.
        if bits != 0 || bytes.len() % 2 != 0 {
            return None;
        }
        let units: Vec<u16> = bytes.chunks(2).map(|p| u16::from_be_bytes([p[0], p[1]])).collect();
        let s = String::from_utf16(&units).ok()?;
        // Printable ASCII is never encoded (RFC 3501 §5.1.3).
        if s.chars().any(|c| (' '..='~').contains(&c)) {
            return None;
        }
        out.push_str(&s);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_modified_utf7_as_rfc_3501_writes_them() {
        for (utf8, utf7) in [
            ("INBOX", "INBOX"),
            ("Entwürfe", "Entw&APw-rfe"),
            ("日本語", "&ZeVnLIqe-"),
            ("Q&A", "Q&-A"),
            ("Отправленные", "&BB4EQgQ,BEAEMAQyBDsENQQ9BD0ESwQ1-"),
            ("~peter/mail/台北/日本語", "~peter/mail/&U,BTFw-/&ZeVnLIqe-"),
            ("😀 mail", "&2D3eAA- mail"),
            ("", ""),
        ] {
            assert_eq!(encode(utf8), utf7, "{utf8}");
            assert_eq!(decode(utf7).as_deref(), Some(utf8), "{utf7}");
        }
    }

    #[test]
    fn malformed_modified_utf7_is_refused_not_guessed() {
        for bad in [
            "&",         // unterminated
            "&ZeVn",     // unterminated run
            "&Ze!-",     // not base64
            "&2D0-",     // a lone high surrogate
            "&AGE-",     // "a", which must not be encoded
            "&APx-",     // nonzero padding bits
            "&AP-",      // half a UTF-16 unit
            "caf\u{e9}", // 8-bit, never in modified UTF-7
        ] {
            assert_eq!(decode(bad), None, "{bad:?}");
        }
    }
}
