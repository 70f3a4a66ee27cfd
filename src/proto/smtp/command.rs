//! Parsing one SMTP command line (without its line ending) into a typed command.

/// A reverse- or forward-path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Path {
    /// `<>`, the null reverse-path (bounces).
    Null,
    /// `local@domain` as given (a source route, if any, is dropped as RFC 5321 §4.1.2 allows).
    Mailbox(String),
}

/// BODY= (RFC 6152; BINARYMIME is not offered).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Body {
    SevenBit,
    EightBitMime,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MailParams {
    pub size: Option<u64>,
    pub body: Option<Body>,
    pub smtputf8: bool,
    /// REQUIRETLS (RFC 8689).
    pub require_tls: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Ehlo(String),
    Helo(String),
    Mail { from: Path, params: MailParams },
    Rcpt { to: Path },
    Data,
    Bdat { size: u64, last: bool },
    Rset,
    Noop,
    Quit,
    Vrfy,
    Help,
    StartTls,
    Auth { mechanism: String, initial: Option<String> },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    /// Not a command we know (500 5.5.1).
    Unknown,
    /// Known command, bad syntax (501).
    Syntax(&'static str),
    /// Not text at all: invalid UTF-8 or control characters (500 5.5.2).
    NotText,
    /// A path that is not an address (501 5.1.3).
    BadAddress,
    /// A MAIL/RCPT parameter we do not support (555).
    UnknownParam(String),
    /// A parameter with a bad value (501).
    BadParam(String),
}

const MAX_LOCAL: usize = 64;
const MAX_DOMAIN: usize = 255;

/// Parse a command line (no CRLF).
pub fn parse(line: &[u8]) -> Result<Command, ParseError> {
    let text = std::str::from_utf8(line).map_err(|_| ParseError::NotText)?;
    if text.bytes().any(|b| b < 0x20 && b != b'\t' || b == 0x7f) {
        return Err(ParseError::NotText);
    }
    let (verb, rest) = match text.find(' ') {
        Some(i) => (&text[..i], &text[i + 1..]),
        None => (text, ""),
    };
    let verb = verb.to_ascii_uppercase();
    let no_args =
        |c: Command| if rest.trim().is_empty() { Ok(c) } else { Err(ParseError::Syntax("no parameters allowed")) };
    match verb.as_str() {
        "EHLO" | "HELO" => {
            let name = rest.trim();
            if name.is_empty() || name.contains(' ') || name.len() > MAX_DOMAIN {
                return Err(ParseError::Syntax("EHLO needs one domain or address literal"));
            }
            Ok(if verb == "EHLO" { Command::Ehlo(name.into()) } else { Command::Helo(name.into()) })
        }
        "MAIL" => {
            let arg = strip_keyword(rest, "FROM:").ok_or(ParseError::Syntax("MAIL FROM:<address> expected"))?;
            let (from, params) = parse_path(arg, true)?;
            Ok(Command::Mail { from, params: mail_params(params)? })
        }
        "RCPT" => {
            let arg = strip_keyword(rest, "TO:").ok_or(ParseError::Syntax("RCPT TO:<address> expected"))?;
            let (to, params) = parse_path(arg, false)?;
            if to == Path::Null {
                return Err(ParseError::BadAddress);
            }
            if let Some(p) = params.split_whitespace().next() {
                return Err(ParseError::UnknownParam(p.to_string()));
            }
            Ok(Command::Rcpt { to })
        }
        "DATA" => no_args(Command::Data),
        "BDAT" => {
            let mut parts = rest.split_whitespace();
            let size = parts
                .next()
                .filter(|s| s.len() <= 19 && s.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|s| s.parse().ok())
                .ok_or(ParseError::Syntax("BDAT size expected"))?;
            let last = match parts.next() {
                None => false,
                Some(l) if l.eq_ignore_ascii_case("LAST") => true,
                Some(_) => return Err(ParseError::Syntax("BDAT size [LAST]")),
            };
            if parts.next().is_some() {
                return Err(ParseError::Syntax("BDAT size [LAST]"));
            }
            Ok(Command::Bdat { size, last })
        }
        "RSET" => no_args(Command::Rset),
        "NOOP" => Ok(Command::Noop),
        "QUIT" => no_args(Command::Quit),
        "VRFY" => Ok(Command::Vrfy),
        "HELP" => Ok(Command::Help),
        "STARTTLS" => no_args(Command::StartTls),
        "AUTH" => {
            let mut parts = rest.split_whitespace();
            let mechanism = parts.next().ok_or(ParseError::Syntax("AUTH mechanism expected"))?.to_ascii_uppercase();
            let initial = parts.next().map(String::from);
            if parts.next().is_some() {
                return Err(ParseError::Syntax("AUTH mechanism [initial-response]"));
            }
            Ok(Command::Auth { mechanism, initial })
        }
        _ => Err(ParseError::Unknown),
    }
}

fn strip_keyword<'a>(rest: &'a str, kw: &str) -> Option<&'a str> {
    let head = rest.get(..kw.len())?;
    // Tolerate one space after the colon ("MAIL FROM: <a@b>"), as most servers do.
    head.eq_ignore_ascii_case(kw).then(|| rest[kw.len()..].strip_prefix(' ').unwrap_or(&rest[kw.len()..]))
}

/// Parse `<path>` and return it with the parameter text after it.
fn parse_path(arg: &str, allow_null: bool) -> Result<(Path, &str), ParseError> {
    let inner_start = arg.strip_prefix('<').ok_or(ParseError::BadAddress)?;
    let (inner, params) = split_path(inner_start).ok_or(ParseError::BadAddress)?;
    let params = match params {
        "" => "",
        p => p.strip_prefix(' ').ok_or(ParseError::BadAddress)?,
    };
    if inner.is_empty() {
        return if allow_null { Ok((Path::Null, params)) } else { Err(ParseError::BadAddress) };
    }
    // RFC 5321 §4.5.1: RCPT TO:<Postmaster> without a domain must be accepted.
    if !allow_null && inner.eq_ignore_ascii_case("postmaster") {
        return Ok((Path::Mailbox("postmaster".into()), params));
    }
    // Source route `@a,@b:user@domain`: accepted and ignored (RFC 5321 §4.1.2, C.).
    let mailbox = if inner.starts_with('@') {
        let colon = inner.find(':').ok_or(ParseError::BadAddress)?;
        let route = &inner[..colon];
        if !route.split(',').all(|hop| hop.strip_prefix('@').is_some_and(valid_domain)) {
            return Err(ParseError::BadAddress);
        }
        &inner[colon + 1..]
    } else {
        inner
    };
    check_mailbox(mailbox)?;
    Ok((Path::Mailbox(mailbox.to_string()), params))
}

/// Split at the closing '>' that is not inside a quoted local part.
fn split_path(s: &str) -> Option<(&str, &str)> {
    let bytes = s.as_bytes();
    let mut i = 0;
    let mut quoted = false;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if quoted => i += 1,
            b'"' => quoted = !quoted,
            b'>' if !quoted => return Some((&s[..i], &s[i + 1..])),
            _ => {}
        }
        i += 1;
    }
    None
}

fn is_atext(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c) || !c.is_ascii()
}

fn check_mailbox(m: &str) -> Result<(), ParseError> {
    let (local, domain) = if m.starts_with('"') {
        let end = split_quoted(m).ok_or(ParseError::BadAddress)?;
        let rest = &m[end..];
        (&m[..end], rest.strip_prefix('@').ok_or(ParseError::BadAddress)?)
    } else {
        let at = m.rfind('@').ok_or(ParseError::BadAddress)?;
        let local = &m[..at];
        if local.is_empty()
            || local.starts_with('.')
            || local.ends_with('.')
            || local.contains("..")
            || !local.chars().all(|c| c == '.' || is_atext(c))
        {
            return Err(ParseError::BadAddress);
        }
        (local, &m[at + 1..])
    };
    if local.len() > MAX_LOCAL + 2 || !valid_domain(domain) {
        return Err(ParseError::BadAddress);
    }
    Ok(())
}

/// The end (exclusive) of a quoted local part that starts at 0.
fn split_quoted(m: &str) -> Option<usize> {
    let bytes = m.as_bytes();
    let mut i = 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

fn valid_domain(d: &str) -> bool {
    if d.is_empty() || d.len() > MAX_DOMAIN {
        return false;
    }
    if let Some(lit) = d.strip_prefix('[') {
        return lit.strip_suffix(']').is_some_and(|l| {
            l.parse::<std::net::Ipv4Addr>().is_ok()
                || l.strip_prefix("IPv6:").is_some_and(|v| v.parse::<std::net::Ipv6Addr>().is_ok())
        });
    }
    let d = d.strip_suffix('.').unwrap_or(d);
    !d.is_empty()
        && d.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || !c.is_ascii())
        })
}

fn mail_params(text: &str) -> Result<MailParams, ParseError> {
    let mut p = MailParams::default();
    for item in text.split_whitespace() {
        let (key, value) = match item.split_once('=') {
            Some((k, v)) => (k.to_ascii_uppercase(), Some(v)),
            None => (item.to_ascii_uppercase(), None),
        };
        match (key.as_str(), value) {
            ("SIZE", Some(v)) => {
                let n = v.parse().ok().filter(|_| v.len() <= 19).ok_or_else(|| ParseError::BadParam(item.into()))?;
                p.size = Some(n);
            }
            ("BODY", Some(v)) if v.eq_ignore_ascii_case("7BIT") => p.body = Some(Body::SevenBit),
            ("BODY", Some(v)) if v.eq_ignore_ascii_case("8BITMIME") => p.body = Some(Body::EightBitMime),
            ("BODY", _) => return Err(ParseError::BadParam(item.into())),
            ("SMTPUTF8", None) => p.smtputf8 = true,
            ("REQUIRETLS", None) => p.require_tls = true,
            // AUTH= (RFC 4954 §5) is informational; accepted and ignored.
            ("AUTH", Some(_)) => {}
            _ => return Err(ParseError::UnknownParam(item.into())),
        }
    }
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mb(s: &str) -> Path {
        Path::Mailbox(s.into())
    }

    #[test]
    fn commands() {
        let ok: &[(&str, Command)] = &[
            ("EHLO client.example", Command::Ehlo("client.example".into())),
            ("ehlo [127.0.0.1]", Command::Ehlo("[127.0.0.1]".into())),
            ("HELO x", Command::Helo("x".into())),
            ("MAIL FROM:<a@b.example>", Command::Mail { from: mb("a@b.example"), params: MailParams::default() }),
            ("mail from: <a@b.example>", Command::Mail { from: mb("a@b.example"), params: MailParams::default() }),
            ("MAIL FROM:<>", Command::Mail { from: Path::Null, params: MailParams::default() }),
            (
                "MAIL FROM:<a@b.example> SIZE=4096 BODY=8BITMIME SMTPUTF8 AUTH=<> REQUIRETLS",
                Command::Mail {
                    from: mb("a@b.example"),
                    params: MailParams {
                        size: Some(4096),
                        body: Some(Body::EightBitMime),
                        smtputf8: true,
                        require_tls: true,
                    },
                },
            ),
            ("RCPT TO:<u@example.com>", Command::Rcpt { to: mb("u@example.com") }),
            ("RCPT TO:<@relay.example,@r2.example:u@example.com>", Command::Rcpt { to: mb("u@example.com") }),
            ("RCPT TO:<\"john doe\"@example.com>", Command::Rcpt { to: mb("\"john doe\"@example.com") }),
            ("RCPT TO:<\"a>b\"@example.com>", Command::Rcpt { to: mb("\"a>b\"@example.com") }),
            ("RCPT TO:<u@[127.0.0.1]>", Command::Rcpt { to: mb("u@[127.0.0.1]") }),
            ("RCPT TO:<Postmaster>", Command::Rcpt { to: mb("postmaster") }),
            ("RCPT TO:<用户@例子.广告>", Command::Rcpt { to: mb("用户@例子.广告") }),
            ("DATA", Command::Data),
            ("BDAT 100", Command::Bdat { size: 100, last: false }),
            ("BDAT 0 LAST", Command::Bdat { size: 0, last: true }),
            ("RSET", Command::Rset),
            ("NOOP whatever", Command::Noop),
            ("QUIT", Command::Quit),
            ("VRFY postmaster", Command::Vrfy),
            ("STARTTLS", Command::StartTls),
            ("AUTH PLAIN", Command::Auth { mechanism: "PLAIN".into(), initial: None }),
            ("auth plain AGEAYg==", Command::Auth { mechanism: "PLAIN".into(), initial: Some("AGEAYg==".into()) }),
        ];
        for (line, want) in ok {
            assert_eq!(parse(line.as_bytes()).as_ref(), Ok(want), "{line}");
        }
    }

    #[test]
    fn refused() {
        use ParseError::*;
        let bad: &[(&[u8], ParseError)] = &[
            (b"FROB", Unknown),
            (b"", Unknown),
            (b"EHLO", Syntax("EHLO needs one domain or address literal")),
            (b"MAIL TO:<a@b.c>", Syntax("MAIL FROM:<address> expected")),
            (b"MAIL FROM:a@b.c", BadAddress),
            (b"MAIL FROM:<a@b.c", BadAddress),
            (b"MAIL FROM:<a@b.c>SIZE=1", BadAddress),
            (b"MAIL FROM:<a@b.c> SIZE=x", BadParam("SIZE=x".into())),
            (b"MAIL FROM:<a@b.c> SIZE=99999999999999999999", BadParam("SIZE=99999999999999999999".into())),
            (b"MAIL FROM:<a@b.c> BODY=BINARYMIME", BadParam("BODY=BINARYMIME".into())),
            (b"MAIL FROM:<a@b.c> RET=FULL", UnknownParam("RET=FULL".into())),
            (b"RCPT TO:<>", BadAddress),
            (b"RCPT TO:<a@b.c> NOTIFY=NEVER", UnknownParam("NOTIFY=NEVER".into())),
            // Open-relay address forms that must never be read as a remote address.
            (b"RCPT TO:<u@remote.example@example.com>", BadAddress),
            (b"RCPT TO:<@example.com>", BadAddress),
            (b"RCPT TO:<@example.com:>", BadAddress),
            (b"RCPT TO:<u@>", BadAddress),
            (b"RCPT TO:<u>", BadAddress),
            (b"RCPT TO:<u@-bad.example>", BadAddress),
            (b"RCPT TO:<u@[999.0.0.1]>", BadAddress),
            (b"RCPT TO:<a..b@example.com>", BadAddress),
            (b"RCPT TO:<\"unterminated@example.com>", BadAddress),
            (b"DATA now", Syntax("no parameters allowed")),
            (b"BDAT", Syntax("BDAT size expected")),
            (b"BDAT -1", Syntax("BDAT size expected")),
            (b"BDAT 1 FIRST", Syntax("BDAT size [LAST]")),
            (b"BDAT 99999999999999999999", Syntax("BDAT size expected")),
            (b"AUTH", Syntax("AUTH mechanism expected")),
            (b"NOOP\x00", NotText),
            (b"MAIL FROM:<a@b.c>\rRCPT TO:<x@y.z>", NotText),
            (b"\xff\xfe", NotText),
        ];
        for (line, want) in bad {
            assert_eq!(parse(line).as_ref(), Err(want), "{:?}", String::from_utf8_lossy(line));
        }
    }
}
