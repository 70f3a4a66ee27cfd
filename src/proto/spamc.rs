//! SpamAssassin's spamc/spamd protocol, version 1.5 (the `spamd` man page and
//! `spamd/PROTOCOL` in SpamAssassin's sources): a request line, headers, a blank line and the
//! message; the reply is `SPAMD/1.x CODE MESSAGE`, headers, a blank line and a body. No crate
//! speaks it, and it is small: written here, sans I/O.

/// The most reply bytes read (headers and the SYMBOLS list).
pub const MAX_REPLY: usize = 64 * 1024;

/// `SYMBOLS`: the verdict and the names of the rules that matched.
pub fn symbols_request(message: &[u8], user: Option<&str>) -> Vec<u8> {
    request("SYMBOLS", &[], message, user)
}

/// `TELL`: learn the message as spam or ham (needs spamd's `--allow-tell`).
pub fn tell_request(message: &[u8], spam: bool) -> Vec<u8> {
    let class = if spam { "spam" } else { "ham" };
    request("TELL", &[("Message-class", class), ("Set", "local")], message, None)
}

fn request(verb: &str, headers: &[(&str, &str)], message: &[u8], user: Option<&str>) -> Vec<u8> {
    let mut out = format!("{verb} SPAMC/1.5\r\nContent-length: {}\r\n", message.len());
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    if let Some(u) = user.filter(|u| u.bytes().all(|b| b.is_ascii_graphic())) {
        out.push_str(&format!("User: {u}\r\n"));
    }
    out.push_str("\r\n");
    let mut out = out.into_bytes();
    out.extend_from_slice(message);
    out
}

/// A parsed spamd reply.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// 0 (EX_OK) on success; otherwise a sysexits code.
    pub code: u32,
    pub message: String,
    /// `Spam: True ; 15.0 / 5.0`: the verdict, score and spamd's own threshold.
    pub spam: Option<(bool, f64, f64)>,
    /// `DidSet:` of a TELL.
    pub did_set: Option<String>,
    /// The body: for SYMBOLS, the comma-separated rule names.
    pub body: String,
}

impl Reply {
    pub fn rules(&self) -> Vec<String> {
        self.body.split(',').map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect()
    }
}

/// Parse a whole reply (spamd closes the connection after it).
pub fn parse_reply(bytes: &[u8]) -> Result<Reply, String> {
    let text = std::str::from_utf8(bytes).map_err(|_| "spamd's reply is not UTF-8".to_string())?;
    let (head, body) = text.split_once("\r\n\r\n").or_else(|| text.split_once("\n\n")).unwrap_or((text, ""));
    let mut lines = head.lines();
    let status = lines.next().ok_or("spamd sent an empty reply")?;
    let mut parts = status.splitn(3, ' ');
    let (proto, code, message) = (parts.next().unwrap_or(""), parts.next(), parts.next().unwrap_or(""));
    if !proto.starts_with("SPAMD/") {
        return Err(format!("not a spamd reply: {}", status.chars().take(80).collect::<String>()));
    }
    let code: u32 = code.and_then(|c| c.parse().ok()).ok_or_else(|| format!("bad spamd status line: {status}"))?;
    let mut reply =
        Reply { code, message: message.trim().to_string(), spam: None, did_set: None, body: body.trim().to_string() };
    for line in lines {
        let Some((k, v)) = line.split_once(':') else { continue };
        match k.trim().to_ascii_lowercase().as_str() {
            "spam" => reply.spam = Some(parse_spam(v.trim()).ok_or_else(|| format!("bad Spam header: {v}"))?),
            "didset" => reply.did_set = Some(v.trim().to_string()),
            _ => {}
        }
    }
    Ok(reply)
}

/// `True ; 1000.0 / 5.0`
fn parse_spam(v: &str) -> Option<(bool, f64, f64)> {
    let (verdict, scores) = v.split_once(';')?;
    let (score, threshold) = scores.split_once('/')?;
    let verdict = match verdict.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" => true,
        "false" | "no" => false,
        _ => return None,
    };
    Some((verdict, score.trim().parse().ok()?, threshold.trim().parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_symbols_request_names_the_length_and_the_user() {
        let r = symbols_request(b"Subject: x\r\n\r\nbody\r\n", Some("ann@example.org"));
        let r = String::from_utf8(r).unwrap();
        assert!(
            r.starts_with("SYMBOLS SPAMC/1.5\r\nContent-length: 20\r\nUser: ann@example.org\r\n\r\nSubject"),
            "{r}"
        );
    }

    #[test]
    fn a_user_with_spaces_or_line_breaks_is_left_out() {
        let r = String::from_utf8(symbols_request(b"x", Some("a\r\nSpam: True"))).unwrap();
        assert!(!r.contains("User:"), "{r}");
    }

    #[test]
    fn replies_parse_or_are_refused_with_a_reason() {
        let gtube = parse_reply(
            b"SPAMD/1.1 0 EX_OK\r\nContent-length: 14\r\nSpam: True ; 1000.0 / 5.0\r\n\r\nGTUBE,NO_RECEIVED\r\n",
        )
        .unwrap();
        assert_eq!(gtube.code, 0);
        assert_eq!(gtube.spam, Some((true, 1000.0, 5.0)));
        assert_eq!(gtube.rules(), vec!["GTUBE", "NO_RECEIVED"]);
        let told = parse_reply(b"SPAMD/1.1 0 EX_OK\r\nDidSet: local\r\n\r\n").unwrap();
        assert_eq!(told.did_set.as_deref(), Some("local"));
        let bad: &[(&[u8], &str)] = &[
            (b"", "empty"),
            (b"HTTP/1.1 200 OK\r\n\r\n", "not a spamd reply"),
            (b"SPAMD/1.1 x EX_OK\r\n\r\n", "bad spamd status"),
            (b"SPAMD/1.1 0 EX_OK\r\nSpam: maybe ; x / y\r\n\r\n", "bad Spam header"),
            (b"SPAMD/1.1 0 EX_OK\r\n\xff\r\n\r\n", "not UTF-8"),
        ];
        for (input, want) in bad {
            let e = parse_reply(input).unwrap_err();
            assert!(e.contains(want), "{input:?}: {e}");
        }
        let refused = parse_reply(b"SPAMD/1.0 76 Bad header line: x\r\n\r\n").unwrap();
        assert_eq!((refused.code, refused.message.as_str()), (76, "Bad header line: x"));
    }
}
