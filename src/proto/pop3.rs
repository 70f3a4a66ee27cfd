//! POP3 (RFC 1939, RFC 2449 CAPA, RFC 2595 STLS, RFC 5034 AUTH): parsing a command line into
//! a typed command. No I/O.

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Capa,
    Stls,
    User(String),
    Pass(String),
    Auth { mechanism: Option<String>, initial: Option<String> },
    Stat,
    List(Option<u32>),
    Uidl(Option<u32>),
    Retr(u32),
    Top(u32, u32),
    Dele(u32),
    Rset,
    Noop,
    Quit,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    Unknown,
    Syntax(&'static str),
}

/// RFC 2449 §4: arguments up to 40 characters (passwords may be longer; we allow 1024).
const MAX_ARG: usize = 40;

fn number(s: &str) -> Result<u32, ParseError> {
    if s.is_empty() || s.len() > 9 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ParseError::Syntax("a message number is expected"));
    }
    s.parse().map_err(|_| ParseError::Syntax("a message number is expected"))
}

pub fn parse(line: &[u8]) -> Result<Command, ParseError> {
    let text = std::str::from_utf8(line).map_err(|_| ParseError::Syntax("not UTF-8"))?;
    if text.bytes().any(|b| b < 0x20 && b != b'\t' || b == 0x7f) {
        return Err(ParseError::Syntax("control characters"));
    }
    let (verb, rest) = match text.find(' ') {
        Some(i) => (&text[..i], &text[i + 1..]),
        None => (text, ""),
    };
    let args: Vec<&str> = rest.split(' ').filter(|a| !a.is_empty()).collect();
    let none = |c: Command| if args.is_empty() { Ok(c) } else { Err(ParseError::Syntax("no arguments expected")) };
    let opt_num = |c: fn(Option<u32>) -> Command| match args.as_slice() {
        [] => Ok(c(None)),
        [n] => Ok(c(Some(number(n)?))),
        _ => Err(ParseError::Syntax("at most one argument")),
    };
    let one_num = |c: fn(u32) -> Command| match args.as_slice() {
        [n] => Ok(c(number(n)?)),
        _ => Err(ParseError::Syntax("one message number expected")),
    };
    match verb.to_ascii_uppercase().as_str() {
        "CAPA" => none(Command::Capa),
        "STLS" => none(Command::Stls),
        "USER" => match args.as_slice() {
            [u] if u.len() <= 255 => Ok(Command::User(u.to_string())),
            _ => Err(ParseError::Syntax("USER name")),
        },
        // The password is the rest of the line: it may contain spaces (RFC 1939 §7).
        "PASS" if !rest.is_empty() && rest.len() <= 1024 => Ok(Command::Pass(rest.to_string())),
        "PASS" => Err(ParseError::Syntax("PASS password")),
        "AUTH" => match args.as_slice() {
            [] => Ok(Command::Auth { mechanism: None, initial: None }),
            [m] if m.len() <= MAX_ARG => Ok(Command::Auth { mechanism: Some(m.to_ascii_uppercase()), initial: None }),
            [m, i] if m.len() <= MAX_ARG => {
                Ok(Command::Auth { mechanism: Some(m.to_ascii_uppercase()), initial: Some(i.to_string()) })
            }
            _ => Err(ParseError::Syntax("AUTH mechanism [initial-response]")),
        },
        "STAT" => none(Command::Stat),
        "LIST" => opt_num(Command::List),
        "UIDL" => opt_num(Command::Uidl),
        "RETR" => one_num(Command::Retr),
        "DELE" => one_num(Command::Dele),
        "TOP" => match args.as_slice() {
            [m, n] => Ok(Command::Top(number(m)?, number(n)?)),
            _ => Err(ParseError::Syntax("TOP msg lines")),
        },
        "RSET" => none(Command::Rset),
        "NOOP" => none(Command::Noop),
        "QUIT" => none(Command::Quit),
        _ => Err(ParseError::Unknown),
    }
}

/// A message as sent by RETR/TOP: CRLF line ends, dot-stuffed, ended by `.CRLF`. With
/// `body_lines`, only the header and that many body lines (TOP).
pub fn encode_message(data: &[u8], body_lines: Option<u32>) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + data.len() / 50 + 8);
    let mut in_body = false;
    let mut body_count = 0u32;
    for raw in data.split_inclusive(|&b| b == b'\n') {
        let line = raw.strip_suffix(b"\n").unwrap_or(raw);
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if in_body {
            if body_lines.is_some_and(|max| body_count >= max) {
                break;
            }
            body_count += 1;
        }
        if line.first() == Some(&b'.') {
            out.push(b'.');
        }
        out.extend_from_slice(line);
        out.extend_from_slice(b"\r\n");
        if !in_body && line.is_empty() {
            in_body = true;
        }
    }
    out.extend_from_slice(b".\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands() {
        let ok: &[(&str, Command)] = &[
            ("CAPA", Command::Capa),
            ("user bob@example.com", Command::User("bob@example.com".into())),
            ("PASS secret with spaces", Command::Pass("secret with spaces".into())),
            ("AUTH PLAIN", Command::Auth { mechanism: Some("PLAIN".into()), initial: None }),
            (
                "AUTH plain AGEAYg==",
                Command::Auth { mechanism: Some("PLAIN".into()), initial: Some("AGEAYg==".into()) },
            ),
            ("AUTH", Command::Auth { mechanism: None, initial: None }),
            ("STAT", Command::Stat),
            ("LIST", Command::List(None)),
            ("LIST 2", Command::List(Some(2))),
            ("UIDL 1", Command::Uidl(Some(1))),
            ("RETR 1", Command::Retr(1)),
            ("TOP 1 10", Command::Top(1, 10)),
            ("DELE 3", Command::Dele(3)),
            ("RSET", Command::Rset),
            ("NOOP", Command::Noop),
            ("QUIT", Command::Quit),
            ("STLS", Command::Stls),
        ];
        for (line, want) in ok {
            assert_eq!(parse(line.as_bytes()).as_ref(), Ok(want), "{line}");
        }
        let bad: &[&[u8]] = &[
            b"FROB",
            b"",
            b"RETR",
            b"RETR x",
            b"RETR -1",
            b"RETR 99999999999",
            b"TOP 1",
            b"LIST 1 2",
            b"DELE",
            b"STAT now",
            b"PASS",
            b"USER",
            b"USER a b",
            b"RETR 1\x00",
            b"\xff",
            b"QUIT\rDELE 1",
        ];
        for line in bad {
            assert!(parse(line).is_err(), "{:?}", String::from_utf8_lossy(line));
        }
    }

    #[test]
    fn encoding() {
        let msg = b"Subject: x\r\n\r\n.leading dot\r\nline2\nline3\r\n";
        assert_eq!(encode_message(msg, None), b"Subject: x\r\n\r\n..leading dot\r\nline2\r\nline3\r\n.\r\n".to_vec());
        assert_eq!(encode_message(msg, Some(1)), b"Subject: x\r\n\r\n..leading dot\r\n.\r\n".to_vec());
        assert_eq!(encode_message(msg, Some(0)), b"Subject: x\r\n\r\n.\r\n".to_vec());
        assert_eq!(encode_message(b"", None), b".\r\n".to_vec());
    }
}
