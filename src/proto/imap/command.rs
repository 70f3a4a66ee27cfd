//! IMAP commands: the typed form, and the parser over one framed command.

use super::fetch::{self, FetchItem, Modifiers};
use super::lexer::{Bad, Cursor, PResult, bad};
use super::search::{self, Key};
use super::sequence::SequenceSet;
use super::{sort, thread};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreMode {
    Replace,
    Add,
    Remove,
}

/// SELECT/EXAMINE QRESYNC parameters (RFC 7162 §3.2.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Qresync {
    pub uidvalidity: u32,
    pub modseq: u64,
    pub known_uids: Option<SequenceSet>,
}

/// LIST selection and return options (RFC 5258, RFC 5819, RFC 6154).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListOptions {
    pub subscribed_only: bool,
    pub special_use_only: bool,
    pub recursive_match: bool,
    pub return_subscribed: bool,
    pub return_children: bool,
    pub return_special_use: bool,
    pub return_status: Vec<String>,
    /// LIST-EXTENDED syntax was used (so \NonExistent etc. may be sent).
    pub extended: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppendMessage {
    pub flags: Vec<String>,
    pub date: Option<i64>,
    /// Where the message bytes are in the command buffer.
    pub data: std::ops::Range<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    Capability,
    Noop,
    Logout,
    StartTls,
    Authenticate {
        mechanism: String,
        initial: Option<String>,
    },
    Login {
        user: String,
        pass: String,
    },
    Enable(Vec<String>),
    Id,
    Namespace,
    Select {
        mailbox: String,
        read_only: bool,
        condstore: bool,
        qresync: Option<Qresync>,
    },
    Create(String),
    Delete(String),
    Rename(String, String),
    Subscribe(String),
    Unsubscribe(String),
    List {
        reference: String,
        patterns: Vec<String>,
        options: ListOptions,
    },
    Lsub {
        reference: String,
        pattern: String,
    },
    Status {
        mailbox: String,
        items: Vec<String>,
    },
    Append {
        mailbox: String,
        messages: Vec<AppendMessage>,
    },
    Check,
    Close,
    Unselect,
    Expunge {
        uids: Option<SequenceSet>,
    },
    Search {
        uid: bool,
        /// RFC 4731: an ESEARCH answer with these items, instead of `* SEARCH`.
        ret: Option<search::Return>,
        key: Key,
    },
    /// RFC 5256: the messages matching `key`, as threads.
    Thread {
        uid: bool,
        algorithm: thread::Algorithm,
        key: Key,
    },
    /// RFC 5256: the messages matching `key`, in the order of `criteria`.
    Sort {
        uid: bool,
        criteria: Vec<sort::Criterion>,
        key: Key,
    },
    Fetch {
        uid: bool,
        set: SequenceSet,
        items: Vec<FetchItem>,
        modifiers: Modifiers,
    },
    Store {
        uid: bool,
        set: SequenceSet,
        mode: StoreMode,
        silent: bool,
        flags: Vec<String>,
        unchanged_since: Option<u64>,
    },
    Copy {
        uid: bool,
        set: SequenceSet,
        mailbox: String,
    },
    Move {
        uid: bool,
        set: SequenceSet,
        mailbox: String,
    },
    Idle,
    GetQuota(String),
    GetQuotaRoot(String),
    SetQuota,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    pub tag: String,
    pub body: Body,
}

/// A command that did not parse: the tag when there was one, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub tag: Option<String>,
    pub reason: String,
}

impl Body {
    /// Every mailbox name (and LIST reference and pattern) the command carries, for a session
    /// that speaks UTF-8 names to turn them into the stored form (`mutf7`).
    pub fn mailbox_names_mut(&mut self) -> Vec<&mut String> {
        match self {
            Body::Select { mailbox, .. }
            | Body::Status { mailbox, .. }
            | Body::Append { mailbox, .. }
            | Body::Copy { mailbox, .. }
            | Body::Move { mailbox, .. } => vec![mailbox],
            Body::Create(m) | Body::Delete(m) | Body::Subscribe(m) | Body::Unsubscribe(m) | Body::GetQuotaRoot(m) => {
                vec![m]
            }
            Body::Rename(a, b) => vec![a, b],
            Body::List { reference, patterns, .. } => std::iter::once(reference).chain(patterns.iter_mut()).collect(),
            Body::Lsub { reference, pattern } => vec![reference, pattern],
            _ => vec![],
        }
    }
}

fn mailbox(c: &mut Cursor) -> PResult<String> {
    c.sp()?;
    let m = c.astring_utf8()?;
    // INBOX is case-insensitive (RFC 3501 §5.1).
    Ok(if m.eq_ignore_ascii_case("INBOX") { "INBOX".into() } else { m })
}

fn select_params(c: &mut Cursor) -> PResult<(bool, Option<Qresync>)> {
    let (mut condstore, mut qresync) = (false, None);
    if !c.eat(b' ') {
        return Ok((condstore, qresync));
    }
    c.expect(b'(')?;
    loop {
        let a = c.atom()?.to_ascii_uppercase();
        match a.as_str() {
            "CONDSTORE" => condstore = true,
            "QRESYNC" => {
                c.sp()?;
                c.expect(b'(')?;
                let uidvalidity = c.nz_number()?;
                c.sp()?;
                let modseq = c.number()?;
                let mut known_uids = None;
                if c.eat(b' ') {
                    if c.peek() != Some(b'(') {
                        known_uids = Some(c.sequence_set()?);
                        c.eat(b' ');
                    }
                    // Sequence match data is accepted and not used.
                    if c.eat(b'(') {
                        c.sequence_set()?;
                        c.sp()?;
                        c.sequence_set()?;
                        c.expect(b')')?;
                    }
                }
                c.expect(b')')?;
                qresync = Some(Qresync { uidvalidity, modseq, known_uids });
            }
            _ => return bad(format!("unknown SELECT parameter {a}")),
        }
        if c.eat(b')') {
            return Ok((condstore, qresync));
        }
        c.sp()?;
    }
}

fn list(c: &mut Cursor) -> PResult<Body> {
    let mut options = ListOptions::default();
    c.sp()?;
    if c.eat(b'(') {
        options.extended = true;
        while !c.eat(b')') {
            let a = c.atom()?.to_ascii_uppercase();
            match a.as_str() {
                "SUBSCRIBED" => options.subscribed_only = true,
                "REMOTE" => {}
                "RECURSIVEMATCH" => options.recursive_match = true,
                "SPECIAL-USE" => options.special_use_only = true,
                _ => return bad(format!("unknown LIST selection option {a}")),
            }
            c.eat(b' ');
        }
        c.sp()?;
    }
    let reference = String::from_utf8(c.astring()?).or(bad("not valid UTF-8"))?;
    c.sp()?;
    let mut patterns = Vec::new();
    if c.eat(b'(') {
        options.extended = true;
        loop {
            patterns.push(c.list_mailbox()?);
            if c.eat(b')') {
                break;
            }
            c.sp()?;
        }
    } else {
        patterns.push(c.list_mailbox()?);
    }
    if c.eat_keyword(" RETURN ") {
        options.extended = true;
        c.expect(b'(')?;
        while !c.eat(b')') {
            let a = c.atom()?.to_ascii_uppercase();
            match a.as_str() {
                "SUBSCRIBED" => options.return_subscribed = true,
                "CHILDREN" => options.return_children = true,
                "SPECIAL-USE" => options.return_special_use = true,
                "STATUS" => {
                    c.sp()?;
                    options.return_status = c.atom_list()?;
                }
                _ => return bad(format!("unknown LIST return option {a}")),
            }
            c.eat(b' ');
        }
    }
    if options.recursive_match && !options.subscribed_only {
        return bad("RECURSIVEMATCH needs another selection option");
    }
    Ok(Body::List { reference, patterns, options })
}

fn append(c: &mut Cursor) -> PResult<Body> {
    let mailbox = mailbox(c)?;
    let mut messages = Vec::new();
    // MULTIAPPEND (RFC 3502) is parsed too: several messages in one command.
    while c.eat(b' ') {
        let mut flags = Vec::new();
        let mut date = None;
        if c.peek() == Some(b'(') {
            flags = c.flag_list()?;
            c.sp()?;
        }
        if c.peek() == Some(b'"') {
            date = Some(c.date_time()?);
            c.sp()?;
        }
        let start = c.pos;
        let data = c.literal_bytes()?;
        let end = c.pos;
        messages.push(AppendMessage { flags, date, data: (end - data.len())..end });
        let _ = start;
    }
    if messages.is_empty() {
        return bad("APPEND needs a message");
    }
    Ok(Body::Append { mailbox, messages })
}

fn store(c: &mut Cursor, uid: bool) -> PResult<Body> {
    c.sp()?;
    let set = c.sequence_set()?;
    c.sp()?;
    let mut unchanged_since = None;
    if c.eat_keyword("(UNCHANGEDSINCE ") {
        unchanged_since = Some(c.number()?);
        c.expect(b')')?;
        c.sp()?;
    }
    let mode = if c.eat(b'+') {
        StoreMode::Add
    } else if c.eat(b'-') {
        StoreMode::Remove
    } else {
        StoreMode::Replace
    };
    let a = c.atom()?.to_ascii_uppercase();
    let silent = match a.as_str() {
        "FLAGS" => false,
        "FLAGS.SILENT" => true,
        _ => return bad("expected FLAGS or FLAGS.SILENT"),
    };
    c.sp()?;
    let flags = if c.peek() == Some(b'(') {
        c.flag_list()?
    } else {
        let mut v = vec![c.flag()?];
        while c.eat(b' ') {
            v.push(c.flag()?);
        }
        v
    };
    Ok(Body::Store { uid, set, mode, silent, flags, unchanged_since })
}

fn body(c: &mut Cursor, name: &str) -> PResult<Body> {
    let uid = name == "UID";
    let name = if uid {
        c.sp()?;
        c.atom()?.to_ascii_uppercase()
    } else {
        name.to_string()
    };
    if uid && !matches!(name.as_str(), "FETCH" | "SEARCH" | "SORT" | "THREAD" | "STORE" | "COPY" | "MOVE" | "EXPUNGE") {
        return bad(format!("UID {name} is not a command"));
    }
    Ok(match name.as_str() {
        "CAPABILITY" => Body::Capability,
        "NOOP" => Body::Noop,
        "LOGOUT" => Body::Logout,
        "STARTTLS" => Body::StartTls,
        "CHECK" => Body::Check,
        "CLOSE" => Body::Close,
        "UNSELECT" => Body::Unselect,
        "IDLE" => Body::Idle,
        "NAMESPACE" => Body::Namespace,
        "ID" => {
            c.sp()?;
            // The client's parameters are only logged at debug level; parse and drop them.
            if !c.eat_keyword("NIL") {
                c.expect(b'(')?;
                while !c.eat(b')') {
                    if !c.eat_keyword("NIL") {
                        c.string()?;
                    }
                    c.eat(b' ');
                    if c.at_end() {
                        return bad("unterminated ID list");
                    }
                }
            }
            Body::Id
        }
        "AUTHENTICATE" => {
            c.sp()?;
            let mechanism = c.atom()?.to_ascii_uppercase();
            let initial = if c.eat(b' ') {
                let a = c.rest().iter().take_while(|&&b| b != b'\r' && b != b'\n').count();
                let s = String::from_utf8_lossy(&c.rest()[..a]).into_owned();
                c.pos += a;
                Some(s)
            } else {
                None
            };
            Body::Authenticate { mechanism, initial }
        }
        "LOGIN" => {
            c.sp()?;
            let user = c.astring_utf8()?;
            c.sp()?;
            let pass = c.astring_utf8()?;
            Body::Login { user, pass }
        }
        "ENABLE" => {
            let mut caps = Vec::new();
            while c.eat(b' ') {
                caps.push(c.atom()?.to_ascii_uppercase());
            }
            if caps.is_empty() {
                return bad("ENABLE needs a capability");
            }
            Body::Enable(caps)
        }
        "SELECT" | "EXAMINE" => {
            let mailbox = mailbox(c)?;
            let (condstore, qresync) = select_params(c)?;
            Body::Select { mailbox, read_only: name == "EXAMINE", condstore, qresync }
        }
        "CREATE" => {
            let m = mailbox(c)?;
            // CREATE-SPECIAL-USE parameters are not offered; a USE list is refused as BAD.
            Body::Create(m)
        }
        "DELETE" => Body::Delete(mailbox(c)?),
        "RENAME" => {
            let a = mailbox(c)?;
            Body::Rename(a, mailbox(c)?)
        }
        "SUBSCRIBE" => Body::Subscribe(mailbox(c)?),
        "UNSUBSCRIBE" => Body::Unsubscribe(mailbox(c)?),
        "LIST" => list(c)?,
        "LSUB" => {
            c.sp()?;
            let reference = c.astring_utf8()?;
            c.sp()?;
            Body::Lsub { reference, pattern: c.list_mailbox()? }
        }
        "STATUS" => {
            let mailbox = mailbox(c)?;
            c.sp()?;
            Body::Status { mailbox, items: c.atom_list()? }
        }
        "APPEND" => append(c)?,
        "EXPUNGE" => {
            let uids = if uid {
                c.sp()?;
                Some(c.sequence_set()?)
            } else {
                None
            };
            Body::Expunge { uids }
        }
        "SEARCH" => {
            c.sp()?;
            let ret = search::return_options(c)?;
            Body::Search { uid, ret, key: search::program(c)? }
        }
        "SORT" => {
            c.sp()?;
            let criteria = sort::criteria(c)?;
            c.sp()?;
            Body::Sort { uid, criteria, key: search::charset_and_keys(c)? }
        }
        "THREAD" => {
            c.sp()?;
            let algorithm = thread::algorithm(c)?;
            c.sp()?;
            Body::Thread { uid, algorithm, key: search::charset_and_keys(c)? }
        }
        "FETCH" => {
            c.sp()?;
            let set = c.sequence_set()?;
            c.sp()?;
            let items = fetch::items(c)?;
            let modifiers = if c.eat(b' ') { fetch::modifiers(c)? } else { Modifiers::default() };
            if modifiers.vanished && (!uid || modifiers.changed_since.is_none()) {
                return bad("VANISHED needs UID FETCH with CHANGEDSINCE");
            }
            Body::Fetch { uid, set, items, modifiers }
        }
        "STORE" => store(c, uid)?,
        "COPY" | "MOVE" => {
            c.sp()?;
            let set = c.sequence_set()?;
            let mailbox = mailbox(c)?;
            if name == "COPY" { Body::Copy { uid, set, mailbox } } else { Body::Move { uid, set, mailbox } }
        }
        "GETQUOTA" => {
            c.sp()?;
            Body::GetQuota(c.astring_utf8()?)
        }
        "GETQUOTAROOT" => Body::GetQuotaRoot(mailbox(c)?),
        "SETQUOTA" => {
            // Parsed loosely: it is refused anyway (quotas come from the account's tier).
            c.pos += c.rest().len();
            Body::SetQuota
        }
        _ => return bad(format!("unknown command {name}")),
    })
}

/// Parse one framed command (as [`super::framer::Framer`] delimits it).
pub fn parse(buf: &[u8]) -> Result<Command, ParseError> {
    let mut c = Cursor::new(buf);
    let tag = c.tag().map_err(|Bad(reason)| ParseError { tag: None, reason })?.to_string();
    let err = |Bad(reason): Bad| ParseError { tag: Some(tag.clone()), reason };
    c.sp().map_err(err)?;
    let name = c.atom().map_err(err)?.to_ascii_uppercase();
    let body = body(&mut c, &name).map_err(err)?;
    c.end().map_err(err)?;
    Ok(Command { tag, body })
}

#[cfg(test)]
mod tests {
    use super::super::body::SectionText;
    use super::super::fetch::Section;
    use super::super::sequence::SeqNum::{Star, Value};
    use super::*;

    fn ok(s: &str) -> Body {
        match parse(s.as_bytes()) {
            Ok(c) => c.body,
            Err(e) => panic!("{s:?}: {e:?}"),
        }
    }

    fn err(s: &str) -> ParseError {
        parse(s.as_bytes()).expect_err(s)
    }

    #[test]
    fn simple_commands() {
        assert_eq!(ok("a1 NOOP\r\n"), Body::Noop);
        assert_eq!(ok("a1 capability"), Body::Capability);
        assert_eq!(ok("x LOGIN bob \"pa ss\"\r\n"), Body::Login { user: "bob".into(), pass: "pa ss".into() });
        assert_eq!(ok("x LOGIN {3}\r\nbob {2+}\r\npw\r\n"), Body::Login { user: "bob".into(), pass: "pw".into() });
        assert_eq!(
            ok("x select inbox"),
            Body::Select { mailbox: "INBOX".into(), read_only: false, condstore: false, qresync: None }
        );
        assert_eq!(
            ok("x EXAMINE \"Sent\" (CONDSTORE)"),
            Body::Select { mailbox: "Sent".into(), read_only: true, condstore: true, qresync: None }
        );
        assert_eq!(
            ok("x SELECT INBOX (QRESYNC (67890007 20050715194045000 41,43:211,214:541))"),
            Body::Select {
                mailbox: "INBOX".into(),
                read_only: false,
                condstore: false,
                qresync: Some(Qresync {
                    uidvalidity: 67890007,
                    modseq: 20050715194045000,
                    known_uids: Some(SequenceSet(vec![
                        (Value(41), Value(41)),
                        (Value(43), Value(211)),
                        (Value(214), Value(541))
                    ])),
                }),
            }
        );
        assert_eq!(ok("x RENAME a b"), Body::Rename("a".into(), "b".into()));
        assert_eq!(ok("x ENABLE CONDSTORE qresync"), Body::Enable(vec!["CONDSTORE".into(), "QRESYNC".into()]));
        assert_eq!(ok("x ID (\"name\" \"mbsync\" \"version\" NIL)"), Body::Id);
        assert_eq!(ok("x ID NIL"), Body::Id);
        assert_eq!(ok("x UID EXPUNGE 3:5"), Body::Expunge { uids: Some(SequenceSet(vec![(Value(3), Value(5))])) });
        assert_eq!(
            ok("x AUTHENTICATE PLAIN AGJvYgBwdw=="),
            Body::Authenticate { mechanism: "PLAIN".into(), initial: Some("AGJvYgBwdw==".into()) }
        );
    }

    #[test]
    fn list_forms() {
        assert_eq!(
            ok("x LIST \"\" *"),
            Body::List { reference: "".into(), patterns: vec!["*".into()], options: ListOptions::default() }
        );
        let Body::List { patterns, options, .. } =
            ok("x LIST (SUBSCRIBED) \"\" (\"INBOX\" \"Sent%\") RETURN (CHILDREN STATUS (MESSAGES UNSEEN))")
        else {
            panic!()
        };
        assert_eq!(patterns, vec!["INBOX", "Sent%"]);
        assert!(options.subscribed_only && options.return_children && options.extended);
        assert_eq!(options.return_status, vec!["MESSAGES", "UNSEEN"]);
        let Body::List { options, .. } = ok("x LIST \"\" \"*\" RETURN (SPECIAL-USE)") else { panic!() };
        assert!(options.return_special_use);
        assert!(err("x LIST (RECURSIVEMATCH) \"\" *").reason.contains("RECURSIVEMATCH"));
    }

    #[test]
    fn fetch_forms() {
        let Body::Fetch { uid, set, items, modifiers } = ok(
            "x UID FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (From Subject)]<0.100> BODY[1.2.MIME]) (CHANGEDSINCE 12 VANISHED)",
        ) else {
            panic!()
        };
        assert!(uid && modifiers.vanished && modifiers.changed_since == Some(12));
        assert_eq!(set, SequenceSet(vec![(Value(1), Star)]));
        assert_eq!(items[0], FetchItem::Flags);
        assert_eq!(
            items[1],
            FetchItem::Section(Section {
                part: vec![],
                text: SectionText::HeaderFields { names: vec!["From".into(), "Subject".into()], not: false },
                partial: Some((0, 100)),
                peek: true,
                binary: false,
            })
        );
        assert_eq!(
            items[2],
            FetchItem::Section(Section {
                part: vec![1, 2],
                text: SectionText::Mime,
                partial: None,
                peek: false,
                binary: false
            })
        );
        let Body::Fetch { items, .. } = ok("x FETCH 1 ALL") else { panic!() };
        assert_eq!(items.len(), 4);
        let Body::Fetch { items, .. } = ok("x FETCH 1 (BODY[] BODY[2] BINARY.PEEK[1] BINARY.SIZE[1] rfc822.size)")
        else {
            panic!()
        };
        assert_eq!(items.len(), 5);
        assert!(err("x FETCH 1 (BODY[1.MIME.X])").tag.is_some());
        assert!(err("x FETCH 1 BODY[MIME]").reason.contains("section"));
        assert!(err("x FETCH 1 (FLAGS) (VANISHED)").reason.contains("VANISHED"));
    }

    #[test]
    fn store_and_search() {
        assert_eq!(
            ok("x UID STORE 1,3 +FLAGS.SILENT (\\Seen $Junk)"),
            Body::Store {
                uid: true,
                set: SequenceSet(vec![(Value(1), Value(1)), (Value(3), Value(3))]),
                mode: StoreMode::Add,
                silent: true,
                flags: vec!["\\Seen".into(), "$Junk".into()],
                unchanged_since: None,
            }
        );
        let Body::Store { unchanged_since, mode, .. } = ok("x STORE 1 (UNCHANGEDSINCE 5) -FLAGS \\Deleted") else {
            panic!()
        };
        assert_eq!((unchanged_since, mode), (Some(5), StoreMode::Remove));
        assert_eq!(
            ok("x SEARCH CHARSET UTF-8 OR FROM bob (SUBJECT \"hi there\" UNSEEN) 2:4"),
            Body::Search {
                uid: false,
                ret: None,
                key: Key::And(vec![
                    Key::Or(
                        Box::new(Key::Header("from".into(), "bob".into())),
                        Box::new(Key::And(vec![
                            Key::Header("subject".into(), "hi there".into()),
                            Key::NotFlag("\\Seen".into())
                        ]))
                    ),
                    Key::Seq(SequenceSet(vec![(Value(2), Value(4))])),
                ])
            }
        );
        assert_eq!(
            ok("x UID SEARCH SINCE 1-Feb-1994"),
            Body::Search { uid: true, ret: None, key: Key::Since(760060800) }
        );
        let all = search::Return { all: true, ..Default::default() };
        let min_count = search::Return { min: true, count: true, ..Default::default() };
        for (line, ret) in [
            ("x SEARCH RETURN () ALL", all),
            ("x SEARCH RETURN (MIN COUNT) CHARSET UTF-8 ALL", min_count),
            ("x SEARCH return (count min) ALL", min_count),
        ] {
            assert_eq!(ok(line), Body::Search { uid: false, ret: Some(ret), key: Key::All }, "{line}");
        }
        for line in ["x SEARCH RETURN (SAVE) ALL", "x SEARCH RETURN (MIN", "x SEARCH RETURN (MIN)ALL"] {
            assert!(parse(line.as_bytes()).is_err(), "{line}");
        }
        assert_eq!(
            ok("x UID SORT (REVERSE DATE) UTF-8 ALL"),
            Body::Sort {
                uid: true,
                criteria: vec![sort::Criterion { key: sort::SortKey::Date, reverse: true }],
                key: Key::All
            }
        );
        assert_eq!(
            ok("x THREAD REFERENCES US-ASCII ALL"),
            Body::Thread { uid: false, algorithm: thread::Algorithm::References, key: Key::All }
        );
        assert!(err("x SEARCH CHARSET KOI8-R ALL").reason.contains("BADCHARSET"));
        assert!(err("x SEARCH FOO").reason.contains("FOO"));
    }

    #[test]
    fn append_forms() {
        let buf = "x APPEND Sent (\\Seen) \" 5-Nov-2026 10:00:00 +0100\" {5}\r\nhello {3+}\r\nbye\r\n";
        let Body::Append { mailbox, messages } = ok(buf) else { panic!() };
        assert_eq!(mailbox, "Sent");
        assert_eq!(messages.len(), 2);
        assert_eq!(&buf.as_bytes()[messages[0].data.clone()], b"hello");
        assert_eq!(messages[0].flags, vec!["\\Seen"]);
        assert_eq!(messages[0].date, Some(1793869200));
        assert_eq!(&buf.as_bytes()[messages[1].data.clone()], b"bye");
    }

    #[test]
    fn bad_input() {
        for s in [
            "",
            "a",
            "+ NOOP",
            "a NOOP extra",
            "a UID NOOP",
            "a SELECT",
            "a FETCH 0 FLAGS",
            "a FETCH 1:x FLAGS",
            "a LOGIN \"unterminated",
            "a LOGIN {5}\r\nab",
            "a STORE 1 FLAGS",
            "a SEARCH NOT",
            "a SEARCH ((((",
            "a FETCH 1 BODY[",
            "a FETCH 1 BODY[1.]",
            "a FETCH 1 BODY[]<1.0>",
            "a APPEND INBOX",
            "a FETCH 99999999999 FLAGS",
        ] {
            let e = err(s);
            assert!(!e.reason.is_empty(), "{s:?}");
        }
        assert_eq!(err("a1 FROB").tag.as_deref(), Some("a1"));
        assert_eq!(err(" NOOP").tag, None);
        // Deep nesting is refused, not a stack overflow.
        let deep = format!("a SEARCH {}ALL{}", "(".repeat(10_000), ")".repeat(10_000));
        assert!(err(&deep).reason.contains("nested"));
        let nots = format!("a SEARCH {}ALL", "NOT ".repeat(10_000));
        assert!(err(&nots).reason.contains("nested"));
    }
}
