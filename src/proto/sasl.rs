//! SASL PLAIN (RFC 4616), shared by SMTP AUTH, POP3 AUTH and IMAP AUTHENTICATE.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

#[derive(Debug, PartialEq, Eq)]
pub enum PlainError {
    /// Not base64, or not UTF-8.
    Encoding,
    /// Not `authzid NUL authcid NUL passwd`, or an authzid other than the user (no proxy
    /// logins).
    Malformed,
}

/// Decode a base64 PLAIN response into (user, password).
pub fn decode_plain(response: &str) -> Result<(String, String), PlainError> {
    let bytes = STANDARD.decode(response.trim()).map_err(|_| PlainError::Encoding)?;
    let text = String::from_utf8(bytes).map_err(|_| PlainError::Encoding)?;
    let mut parts = text.split('\0');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(z), Some(user), Some(pass), None) if z.is_empty() || z.eq_ignore_ascii_case(user) => {
            Ok((user.to_string(), pass.to_string()))
        }
        _ => Err(PlainError::Malformed),
    }
}

/// Decode a base64 line (AUTH LOGIN steps).
pub fn decode_text(response: &str) -> Option<String> {
    STANDARD.decode(response.trim()).ok().and_then(|b| String::from_utf8(b).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain() {
        let enc = |s: &str| STANDARD.encode(s);
        assert_eq!(decode_plain(&enc("\0bob\0pw")), Ok(("bob".into(), "pw".into())));
        assert_eq!(decode_plain(&enc("Bob\0bob\0pw")), Ok(("bob".into(), "pw".into())));
        assert_eq!(decode_plain(&enc("admin\0bob\0pw")), Err(PlainError::Malformed));
        assert_eq!(decode_plain(&enc("bob\0pw")), Err(PlainError::Malformed));
        assert_eq!(decode_plain(&enc("\0a\0b\0c")), Err(PlainError::Malformed));
        assert_eq!(decode_plain("!!!"), Err(PlainError::Encoding));
    }
}
