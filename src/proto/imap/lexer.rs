//! A cursor over one complete command (its literals inline, as the framer delivers it), with
//! the primitives of the RFC 3501 §9 grammar.

use super::sequence::{SeqNum, SequenceSet};

/// Why a command did not parse; the text goes into the BAD reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bad(pub String);

pub type PResult<T> = Result<T, Bad>;

pub fn bad<T>(what: impl Into<String>) -> PResult<T> {
    Err(Bad(what.into()))
}

pub struct Cursor<'a> {
    buf: &'a [u8],
    pub pos: usize,
}

/// ATOM-CHAR: any CHAR except atom-specials ( ) { SP CTL % * " \ ].
pub fn is_atom_char(b: u8) -> bool {
    b > b' ' && b < 0x7f && !matches!(b, b'(' | b')' | b'{' | b'%' | b'*' | b'"' | b'\\' | b']')
}

/// ASTRING-CHAR: ATOM-CHAR or "]".
pub fn is_astring_char(b: u8) -> bool {
    is_atom_char(b) || b == b']'
}

/// list-char: ATOM-CHAR, list-wildcards or "]".
fn is_list_char(b: u8) -> bool {
    is_astring_char(b) || b == b'%' || b == b'*'
}

impl<'a> Cursor<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Cursor { buf, pos: 0 }
    }

    pub fn peek(&self) -> Option<u8> {
        self.buf.get(self.pos).copied()
    }

    pub fn rest(&self) -> &'a [u8] {
        &self.buf[self.pos..]
    }

    pub fn at_end(&self) -> bool {
        self.pos >= self.buf.len()
    }

    /// Consume `c` if it is next.
    pub fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    pub fn expect(&mut self, c: u8) -> PResult<()> {
        if self.eat(c) { Ok(()) } else { bad(format!("expected '{}'", c as char)) }
    }

    pub fn sp(&mut self) -> PResult<()> {
        self.expect(b' ')
    }

    /// Consume a keyword (case-insensitive) if the input continues with it.
    pub fn eat_keyword(&mut self, kw: &str) -> bool {
        let end = self.pos + kw.len();
        if end <= self.buf.len() && self.buf[self.pos..end].eq_ignore_ascii_case(kw.as_bytes()) {
            self.pos = end;
            true
        } else {
            false
        }
    }

    fn take_while(&mut self, f: impl Fn(u8) -> bool) -> &'a [u8] {
        let start = self.pos;
        while self.pos < self.buf.len() && f(self.buf[self.pos]) {
            self.pos += 1;
        }
        &self.buf[start..self.pos]
    }

    pub fn atom(&mut self) -> PResult<&'a str> {
        let a = self.take_while(is_atom_char);
        if a.is_empty() {
            return bad("expected an atom");
        }
        Ok(std::str::from_utf8(a).unwrap_or_default())
    }

    /// The tag: ASTRING-CHARs except "+".
    pub fn tag(&mut self) -> PResult<&'a str> {
        let t = self.take_while(|b| is_astring_char(b) && b != b'+');
        if t.is_empty() {
            return bad("expected a tag");
        }
        Ok(std::str::from_utf8(t).unwrap_or_default())
    }

    pub fn number(&mut self) -> PResult<u64> {
        let d = self.take_while(|b| b.is_ascii_digit());
        if d.is_empty() || d.len() > 19 {
            return bad("expected a number");
        }
        std::str::from_utf8(d).ok().and_then(|s| s.parse().ok()).ok_or(Bad("expected a number".into()))
    }

    pub fn number32(&mut self) -> PResult<u32> {
        let n = self.number()?;
        u32::try_from(n).or(bad("number out of range"))
    }

    pub fn nz_number(&mut self) -> PResult<u32> {
        match self.number32()? {
            0 => bad("zero is not allowed here"),
            n => Ok(n),
        }
    }

    fn quoted(&mut self) -> PResult<Vec<u8>> {
        self.expect(b'"')?;
        let mut out = Vec::new();
        loop {
            match self.peek() {
                None | Some(b'\r') | Some(b'\n') => return bad("unterminated quoted string"),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.pos += 1;
                    match self.peek() {
                        Some(c @ (b'"' | b'\\')) => {
                            out.push(c);
                            self.pos += 1;
                        }
                        _ => return bad("bad escape in quoted string"),
                    }
                }
                Some(c) => {
                    out.push(c);
                    self.pos += 1;
                }
            }
        }
    }

    /// `{n}` or `{n+}` then CRLF then n bytes (the framer has checked the length).
    fn literal(&mut self) -> PResult<&'a [u8]> {
        self.expect(b'{')?;
        let n = self.number()? as usize;
        self.eat(b'+');
        self.expect(b'}')?;
        if !self.eat_keyword("\r\n") {
            self.expect(b'\n')?;
        }
        if self.buf.len() - self.pos < n {
            return bad("literal shorter than announced");
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    pub fn string(&mut self) -> PResult<Vec<u8>> {
        match self.peek() {
            Some(b'"') => self.quoted(),
            Some(b'{') => Ok(self.literal()?.to_vec()),
            _ => bad("expected a string"),
        }
    }

    /// A literal or string without copying a literal (APPEND's message).
    pub fn literal_bytes(&mut self) -> PResult<&'a [u8]> {
        // "~{" is a literal8 (RFC 3516 BINARY): same framing.
        self.eat(b'~');
        match self.peek() {
            Some(b'{') => self.literal(),
            _ => bad("expected a literal"),
        }
    }

    pub fn astring(&mut self) -> PResult<Vec<u8>> {
        match self.peek() {
            Some(b'"' | b'{') => self.string(),
            _ => {
                let a = self.take_while(is_astring_char);
                if a.is_empty() {
                    return bad("expected an atom or a string");
                }
                Ok(a.to_vec())
            }
        }
    }

    pub fn astring_utf8(&mut self) -> PResult<String> {
        String::from_utf8(self.astring()?).or(bad("not valid UTF-8"))
    }

    /// list-mailbox: 1*list-char or a string.
    pub fn list_mailbox(&mut self) -> PResult<String> {
        let v = match self.peek() {
            Some(b'"' | b'{') => self.string()?,
            _ => {
                let a = self.take_while(is_list_char);
                if a.is_empty() {
                    return bad("expected a mailbox pattern");
                }
                a.to_vec()
            }
        };
        String::from_utf8(v).or(bad("not valid UTF-8"))
    }

    /// A flag: `\Word` or a keyword atom.
    pub fn flag(&mut self) -> PResult<String> {
        let system = self.eat(b'\\');
        let a = self.atom()?;
        Ok(if system { format!("\\{a}") } else { a.to_string() })
    }

    /// `(flag SP flag ...)`, possibly empty.
    pub fn flag_list(&mut self) -> PResult<Vec<String>> {
        self.expect(b'(')?;
        let mut out = Vec::new();
        if self.eat(b')') {
            return Ok(out);
        }
        loop {
            out.push(self.flag()?);
            if self.eat(b')') {
                return Ok(out);
            }
            self.sp()?;
        }
    }

    fn seq_num(&mut self) -> PResult<SeqNum> {
        if self.eat(b'*') { Ok(SeqNum::Star) } else { Ok(SeqNum::Value(self.nz_number()?)) }
    }

    /// sequence-set: ranges `a`, `a:b`, `*`, comma-separated; `$` (SEARCHRES) is not offered.
    pub fn sequence_set(&mut self) -> PResult<SequenceSet> {
        let mut ranges = Vec::new();
        loop {
            let a = self.seq_num()?;
            let b = if self.eat(b':') { self.seq_num()? } else { a };
            ranges.push((a, b));
            if ranges.len() > 10_000 {
                return bad("sequence set too long");
            }
            if !self.eat(b',') {
                return Ok(SequenceSet(ranges));
            }
        }
    }

    /// date: `dd-Mon-yyyy`, bare or quoted; the day as unix seconds (UTC midnight).
    pub fn date(&mut self) -> PResult<i64> {
        let quoted = self.eat(b'"');
        let s = self.take_while(|b| b.is_ascii_alphanumeric() || b == b'-');
        if quoted {
            self.expect(b'"')?;
        }
        let s = std::str::from_utf8(s).unwrap_or_default();
        let d = chrono::NaiveDate::parse_from_str(s, "%d-%b-%Y").or(bad("bad date"))?;
        Ok(d.and_hms_opt(0, 0, 0).map(|t| t.and_utc().timestamp()).unwrap_or(0))
    }

    /// date-time: `"dd-Mon-yyyy hh:mm:ss +zzzz"` (day may be space-padded); unix seconds.
    pub fn date_time(&mut self) -> PResult<i64> {
        let s = self.quoted()?;
        let s = String::from_utf8(s).or(bad("bad date-time"))?;
        chrono::DateTime::parse_from_str(s.trim_start(), "%d-%b-%Y %H:%M:%S %z")
            .map(|d| d.timestamp())
            .or(bad("bad date-time"))
    }

    /// A parenthesised list of atoms, e.g. STATUS items.
    pub fn atom_list(&mut self) -> PResult<Vec<String>> {
        self.expect(b'(')?;
        let mut out = Vec::new();
        if self.eat(b')') {
            return Ok(out);
        }
        loop {
            out.push(self.atom()?.to_ascii_uppercase());
            if self.eat(b')') {
                return Ok(out);
            }
            self.sp()?;
        }
    }

    /// The end of the command: optional CRLF, nothing after.
    pub fn end(&mut self) -> PResult<()> {
        let _ = self.eat_keyword("\r\n") || self.eat(b'\n');
        if self.at_end() { Ok(()) } else { bad("unexpected text after the command") }
    }
}
