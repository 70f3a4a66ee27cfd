//! Server responses (RFC 3501 §7, RFC 9051 §7): tagged status replies, untagged data, FETCH
//! attributes and response codes as values, each with the writer of its exact bytes. A session
//! decides what to say; this file says it. Writers append to a `Vec<u8>` and never allocate
//! beyond it (numbers and dates are formatted in place), since FETCH writes one response per
//! message.

use std::io::Write as _;

use super::body::SectionText;
use super::encode;
use super::fetch::Section;
use super::sequence::compact;

/// The status of a reply (RFC 3501 §7.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cond {
    Ok,
    No,
    Bad,
}

impl Cond {
    fn word(self) -> &'static [u8] {
        match self {
            Cond::Ok => b"OK",
            Cond::No => b"NO",
            Cond::Bad => b"BAD",
        }
    }
}

/// Response codes (the bracketed part of a status reply).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Code<'a> {
    /// RFC 5530 §3.
    AlreadyExists,
    /// RFC 4315 §3: the UIDs of appended messages, in order.
    AppendUid { validity: u64, uids: &'a [u32] },
    /// RFC 5530 §3.
    AuthenticationFailed,
    /// RFC 5530 §3.
    Cannot,
    /// RFC 3501 §7.1: the capabilities, space-separated.
    Capability(&'a str),
    /// RFC 7162 §3.2.11: the previous mailbox was closed by SELECT.
    Closed,
    /// RFC 4315 §3: source and destination UIDs, pairwise in the same order.
    CopyUid { validity: u64, source: &'a [u32], dest: &'a [u32] },
    /// RFC 7162 §3.1.2.1.
    HighestModseq(u64),
    /// RFC 5530 §3.
    Limit,
    /// RFC 7162 §3.1.3: messages a conditional STORE left alone.
    Modified(&'a [u32]),
    /// RFC 5530 §3.
    Nonexistent,
    /// RFC 5530 §3.
    NoPerm,
    /// RFC 5530 §3.
    OverQuota,
    /// RFC 3501 §7.1: the flags a client may store (`\*` included by the caller).
    PermanentFlags(&'a [&'a str]),
    /// RFC 5530 §3.
    PrivacyRequired,
    /// RFC 5530 §3: another session expunged some of the messages asked for.
    ExpungeIssued,
    /// RFC 5530 §3: the mailbox has children (DELETE of a mailbox that must stay as a name).
    HasChildren,
    /// RFC 3516 §2.2: a Content-Transfer-Encoding this server cannot undo.
    UnknownCte,
    /// RFC 3501 §7.1.
    ReadOnly,
    /// RFC 3501 §7.1.
    ReadWrite,
    /// RFC 5530 §3.
    ServerBug,
    /// RFC 7889 §4.
    TooBig,
    /// RFC 3501 §7.1.
    TryCreate,
    /// RFC 3501 §7.1.
    UidNext(u64),
    /// RFC 3501 §7.1.
    UidValidity(u64),
    /// RFC 5530 §3.
    Unavailable,
    /// RFC 3501 §7.1: the first unseen message's sequence number.
    Unseen(u32),
}

impl Code<'_> {
    /// `[CODE args]`, without the space after it.
    pub fn write(&self, out: &mut Vec<u8>) {
        out.push(b'[');
        let word: &[u8] = match self {
            Code::AlreadyExists => b"ALREADYEXISTS",
            Code::AppendUid { .. } => b"APPENDUID",
            Code::AuthenticationFailed => b"AUTHENTICATIONFAILED",
            Code::Cannot => b"CANNOT",
            Code::Capability(_) => b"CAPABILITY",
            Code::Closed => b"CLOSED",
            Code::CopyUid { .. } => b"COPYUID",
            Code::ExpungeIssued => b"EXPUNGEISSUED",
            Code::HasChildren => b"HASCHILDREN",
            Code::HighestModseq(_) => b"HIGHESTMODSEQ",
            Code::Limit => b"LIMIT",
            Code::Modified(_) => b"MODIFIED",
            Code::Nonexistent => b"NONEXISTENT",
            Code::NoPerm => b"NOPERM",
            Code::OverQuota => b"OVERQUOTA",
            Code::PermanentFlags(_) => b"PERMANENTFLAGS",
            Code::PrivacyRequired => b"PRIVACYREQUIRED",
            Code::ReadOnly => b"READ-ONLY",
            Code::ReadWrite => b"READ-WRITE",
            Code::ServerBug => b"SERVERBUG",
            Code::TooBig => b"TOOBIG",
            Code::TryCreate => b"TRYCREATE",
            Code::UidNext(_) => b"UIDNEXT",
            Code::UidValidity(_) => b"UIDVALIDITY",
            Code::Unavailable => b"UNAVAILABLE",
            Code::UnknownCte => b"UNKNOWN-CTE",
            Code::Unseen(_) => b"UNSEEN",
        };
        out.extend_from_slice(word);
        match self {
            Code::AppendUid { validity, uids } => {
                let _ = write!(out, " {validity} ");
                uid_list(out, uids);
            }
            Code::Capability(caps) => {
                out.push(b' ');
                out.extend_from_slice(caps.as_bytes());
            }
            Code::CopyUid { validity, source, dest } => {
                let _ = write!(out, " {validity} ");
                uid_list(out, source);
                out.push(b' ');
                uid_list(out, dest);
            }
            Code::HighestModseq(n) | Code::UidNext(n) | Code::UidValidity(n) => {
                let _ = write!(out, " {n}");
            }
            Code::Unseen(n) => {
                let _ = write!(out, " {n}");
            }
            Code::Modified(set) => {
                out.push(b' ');
                out.extend_from_slice(compact(set).as_bytes());
            }
            Code::PermanentFlags(flags) => {
                out.push(b' ');
                atom_list(out, flags);
            }
            _ => {}
        }
        out.push(b']');
    }
}

/// UIDs one by one, comma-separated: COPYUID pairs its two lists by position, so neither is
/// compacted into ranges.
fn uid_list(out: &mut Vec<u8>, uids: &[u32]) {
    for (i, u) in uids.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        let _ = write!(out, "{u}");
    }
}

/// ` n n n`: SEARCH's and SORT's numbers, each after a space.
fn spaced(out: &mut Vec<u8>, nums: &[u32]) {
    for n in nums {
        let _ = write!(out, " {n}");
    }
}

/// Ascending numbers as a sequence set, runs as ranges: `1:3,5,9:10`.
fn sequence_set(out: &mut Vec<u8>, nums: &[u32]) {
    let mut i = 0;
    while i < nums.len() {
        let start = nums[i];
        while i + 1 < nums.len() && nums[i + 1] == nums[i].saturating_add(1) {
            i += 1;
        }
        if out.last().is_some_and(|&b| b.is_ascii_digit()) {
            out.push(b',');
        }
        match nums[i] {
            end if end == start => {
                let _ = write!(out, "{start}");
            }
            end => {
                let _ = write!(out, "{start}:{end}");
            }
        }
        i += 1;
    }
}

/// `(a b c)` of atoms (flags, mailbox attributes).
fn atom_list(out: &mut Vec<u8>, atoms: &[&str]) {
    out.push(b'(');
    for (i, a) in atoms.iter().enumerate() {
        if i > 0 {
            out.push(b' ');
        }
        out.extend_from_slice(a.as_bytes());
    }
    out.push(b')');
}

fn cond_text(out: &mut Vec<u8>, cond: &[u8], code: Option<&Code<'_>>, text: &str) {
    out.extend_from_slice(cond);
    out.push(b' ');
    if let Some(code) = code {
        code.write(out);
        if !text.is_empty() {
            out.push(b' ');
        }
    }
    out.extend_from_slice(text.as_bytes());
    out.extend_from_slice(b"\r\n");
}

/// `tag OK|NO|BAD [code] text` (RFC 3501 §7.1). The tag is `*` for a command whose tag could
/// not be read.
pub fn tagged(out: &mut Vec<u8>, tag: &str, cond: Cond, code: Option<&Code<'_>>, text: &str) {
    out.extend_from_slice(tag.as_bytes());
    out.push(b' ');
    cond_text(out, cond.word(), code, text);
}

/// `+ text` (RFC 3501 §7.5): go on sending.
pub fn continuation(out: &mut Vec<u8>, text: &str) {
    out.extend_from_slice(b"+ ");
    out.extend_from_slice(text.as_bytes());
    out.extend_from_slice(b"\r\n");
}

/// A mailbox's line in LIST or LSUB (RFC 3501 §7.2.2, RFC 5258): attributes, the hierarchy
/// delimiter, the name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListEntry<'a> {
    pub attrs: &'a [&'a str],
    pub delimiter: char,
    pub name: &'a str,
    /// RFC 5258 §3.5: a descendant that the pattern hid is subscribed (`("CHILDINFO"
    /// ("SUBSCRIBED"))`, with RECURSIVEMATCH).
    pub child_subscribed: bool,
}

/// Untagged responses (RFC 3501 §7, RFC 9051 §7 and the extensions offered).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Untagged<'a> {
    /// `* OK [code] text`: greetings and information.
    Ok {
        code: Option<Code<'a>>,
        text: &'a str,
    },
    /// `* BYE [code] text`: the server is closing the connection.
    Bye {
        code: Option<Code<'a>>,
        text: &'a str,
    },
    Capability(&'a str),
    /// RFC 5161.
    Enabled(&'a [&'a str]),
    /// RFC 2971: field and value pairs.
    Id(&'a [(&'a str, &'a str)]),
    /// RFC 2342: one personal namespace, no others.
    Namespace {
        prefix: &'a str,
        delimiter: char,
    },
    Flags(&'a [&'a str]),
    Exists(u32),
    Recent(u32),
    Expunge(u32),
    /// RFC 7162 §3.2.10: UIDs gone, `(EARLIER)` when they went before this command.
    Vanished {
        earlier: bool,
        uids: &'a [u32],
    },
    List(ListEntry<'a>),
    Lsub(ListEntry<'a>),
    /// `* STATUS name (item value ...)`.
    Status {
        mailbox: &'a str,
        items: &'a [(&'a str, i64)],
    },
    /// RFC 9208: the STORAGE resource (used and limit in KiB), or none.
    Quota {
        root: &'a str,
        storage: Option<(u64, u64)>,
    },
    QuotaRoot {
        mailbox: &'a str,
        roots: &'a [&'a str],
    },
    /// Sequence numbers or UIDs, with the highest modseq among them under CONDSTORE (RFC 7162
    /// §3.1.5).
    Search {
        nums: &'a [u32],
        modseq: Option<u64>,
    },
    /// RFC 4731 §3.1 (with RFC 7162 §3.1.5's MODSEQ): `* ESEARCH (TAG "t") [UID] …`.
    ESearch {
        tag: &'a str,
        uid: bool,
        min: Option<u32>,
        max: Option<u32>,
        count: Option<u32>,
        /// The matches, ascending, written as a sequence set.
        all: Option<&'a [u32]>,
        modseq: Option<u64>,
    },
    /// RFC 5256 §4: `* SORT n…`, in the sorted order.
    Sort(&'a [u32]),
    /// RFC 5256 §4: `* THREAD (…)(…)`.
    Thread(&'a [super::thread::Node]),
    Fetch {
        seq: u32,
        attrs: &'a [FetchAttr<'a>],
    },
}

impl Untagged<'_> {
    pub fn write(&self, out: &mut Vec<u8>) {
        if let Untagged::Fetch { seq, attrs } = self {
            let mut f = Fetch::start(out, *seq);
            for a in attrs.iter() {
                f.attr(a);
            }
            return f.finish();
        }
        out.extend_from_slice(b"* ");
        match self {
            Untagged::Ok { code, text } => return cond_text(out, b"OK", code.as_ref(), text),
            Untagged::Bye { code, text } => return cond_text(out, b"BYE", code.as_ref(), text),
            Untagged::Capability(caps) => {
                out.extend_from_slice(b"CAPABILITY ");
                out.extend_from_slice(caps.as_bytes());
            }
            Untagged::Enabled(caps) => {
                out.extend_from_slice(b"ENABLED");
                for c in caps.iter() {
                    out.push(b' ');
                    out.extend_from_slice(c.as_bytes());
                }
            }
            Untagged::Id(fields) => {
                out.extend_from_slice(b"ID (");
                for (i, (k, v)) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push(b' ');
                    }
                    encode::string(out, k.as_bytes());
                    out.push(b' ');
                    encode::string(out, v.as_bytes());
                }
                out.push(b')');
            }
            Untagged::Namespace { prefix, delimiter } => {
                out.extend_from_slice(b"NAMESPACE ((");
                encode::string(out, prefix.as_bytes());
                out.push(b' ');
                encode::string(out, delimiter.encode_utf8(&mut [0; 4]).as_bytes());
                out.extend_from_slice(b")) NIL NIL");
            }
            Untagged::Flags(flags) => {
                out.extend_from_slice(b"FLAGS ");
                atom_list(out, flags);
            }
            Untagged::Exists(n) => {
                let _ = write!(out, "{n} EXISTS");
            }
            Untagged::Recent(n) => {
                let _ = write!(out, "{n} RECENT");
            }
            Untagged::Expunge(n) => {
                let _ = write!(out, "{n} EXPUNGE");
            }
            Untagged::Vanished { earlier, uids } => {
                out.extend_from_slice(if *earlier { b"VANISHED (EARLIER) " } else { b"VANISHED " });
                out.extend_from_slice(compact(uids).as_bytes());
            }
            Untagged::List(e) => list_entry(out, b"LIST ", e),
            Untagged::Lsub(e) => list_entry(out, b"LSUB ", e),
            Untagged::Status { mailbox, items } => {
                out.extend_from_slice(b"STATUS ");
                encode::astring(out, mailbox.as_bytes());
                out.extend_from_slice(b" (");
                for (i, (k, v)) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(b' ');
                    }
                    let _ = write!(out, "{k} {v}");
                }
                out.push(b')');
            }
            Untagged::Quota { root, storage } => {
                out.extend_from_slice(b"QUOTA ");
                encode::string(out, root.as_bytes());
                match storage {
                    Some((used, limit)) => {
                        let _ = write!(out, " (STORAGE {used} {limit})");
                    }
                    None => out.extend_from_slice(b" ()"),
                }
            }
            Untagged::QuotaRoot { mailbox, roots } => {
                out.extend_from_slice(b"QUOTAROOT ");
                encode::astring(out, mailbox.as_bytes());
                for r in roots.iter() {
                    out.push(b' ');
                    encode::string(out, r.as_bytes());
                }
            }
            Untagged::Search { nums, modseq } => {
                out.extend_from_slice(b"SEARCH");
                spaced(out, nums);
                if let Some(m) = modseq {
                    let _ = write!(out, " (MODSEQ {m})");
                }
            }
            Untagged::ESearch { tag, uid, min, max, count, all, modseq } => {
                out.extend_from_slice(b"ESEARCH (TAG ");
                encode::string(out, tag.as_bytes());
                out.push(b')');
                if *uid {
                    out.extend_from_slice(b" UID");
                }
                for (name, v) in [("MIN", min), ("MAX", max), ("COUNT", count)] {
                    if let Some(v) = v {
                        let _ = write!(out, " {name} {v}");
                    }
                }
                if let Some(nums) = all.filter(|n| !n.is_empty()) {
                    out.extend_from_slice(b" ALL ");
                    sequence_set(out, nums);
                }
                if let Some(m) = modseq {
                    let _ = write!(out, " MODSEQ {m}");
                }
            }
            Untagged::Sort(nums) => {
                out.extend_from_slice(b"SORT");
                spaced(out, nums);
            }
            Untagged::Thread(threads) => {
                out.extend_from_slice(b"THREAD");
                if !threads.is_empty() {
                    out.push(b' ');
                    super::thread::write(threads, out);
                }
            }
            Untagged::Fetch { .. } => {}
        }
        out.extend_from_slice(b"\r\n");
    }
}

fn list_entry(out: &mut Vec<u8>, verb: &[u8], e: &ListEntry<'_>) {
    out.extend_from_slice(verb);
    atom_list(out, e.attrs);
    out.push(b' ');
    encode::string(out, e.delimiter.encode_utf8(&mut [0; 4]).as_bytes());
    out.push(b' ');
    encode::astring(out, e.name.as_bytes());
    if e.child_subscribed {
        out.extend_from_slice(b" (\"CHILDINFO\" (\"SUBSCRIBED\"))");
    }
}

/// FETCH data items (RFC 3501 §7.4.2, RFC 7162 §3.1.4.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchAttr<'a> {
    Uid(u32),
    /// The flags as the index keeps them (space-separated), and whether `\Recent` is added.
    Flags {
        flags: &'a str,
        recent: bool,
    },
    /// Unix seconds, sent in UTC.
    InternalDate(i64),
    Rfc822Size(u64),
    Modseq(u64),
    /// An ENVELOPE already rendered (cached in the index, or by `body::envelope`).
    Envelope(&'a [u8]),
    /// BODY (`extended` false) or BODYSTRUCTURE of this message, rendered as it is written.
    BodyStructure {
        message: &'a [u8],
        extended: bool,
    },
    /// A BODYSTRUCTURE already rendered (stored in the index at delivery and APPEND).
    StoredBodyStructure(&'a [u8]),
    Rfc822(&'a [u8]),
    Rfc822Header(&'a [u8]),
    Rfc822Text(&'a [u8]),
    /// `BINARY.SIZE[part] n` (RFC 3516): the size of the decoded part.
    BinarySize {
        part: &'a [u32],
        size: u64,
    },
    /// `BODY[section]<origin> data` (or `BINARY[part]` for a binary section, as a literal8 when
    /// the data holds NUL): origin is the partial fetch's first octet.
    BodySection {
        section: &'a Section,
        origin: Option<u32>,
        data: &'a [u8],
    },
}

impl FetchAttr<'_> {
    pub fn write(&self, out: &mut Vec<u8>) {
        match self {
            FetchAttr::Uid(u) => {
                let _ = write!(out, "UID {u}");
            }
            FetchAttr::Flags { flags, recent } => {
                out.extend_from_slice(b"FLAGS ");
                flag_list(out, flags, *recent);
            }
            FetchAttr::InternalDate(t) => {
                let d = chrono::DateTime::from_timestamp(*t, 0).unwrap_or_default();
                let _ = write!(out, "INTERNALDATE \"{}\"", d.format("%d-%b-%Y %H:%M:%S +0000"));
            }
            FetchAttr::Rfc822Size(n) => {
                let _ = write!(out, "RFC822.SIZE {n}");
            }
            FetchAttr::Modseq(m) => {
                let _ = write!(out, "MODSEQ ({m})");
            }
            FetchAttr::Envelope(e) => {
                out.extend_from_slice(b"ENVELOPE ");
                out.extend_from_slice(e);
            }
            FetchAttr::BodyStructure { message, extended } => {
                out.extend_from_slice(if *extended { b"BODYSTRUCTURE " } else { b"BODY " });
                super::body::body_structure(message, *extended, out);
            }
            FetchAttr::StoredBodyStructure(b) => {
                out.extend_from_slice(b"BODYSTRUCTURE ");
                out.extend_from_slice(b);
            }
            FetchAttr::Rfc822(data) => {
                out.extend_from_slice(b"RFC822 ");
                encode::literal(out, data);
            }
            FetchAttr::Rfc822Header(data) => {
                out.extend_from_slice(b"RFC822.HEADER ");
                encode::literal(out, data);
            }
            FetchAttr::Rfc822Text(data) => {
                out.extend_from_slice(b"RFC822.TEXT ");
                encode::literal(out, data);
            }
            FetchAttr::BinarySize { part, size } => {
                out.extend_from_slice(b"BINARY.SIZE[");
                part_path(out, part);
                let _ = write!(out, "] {size}");
            }
            FetchAttr::BodySection { section, origin, data } => {
                section_name(out, section);
                if let Some(o) = origin {
                    let _ = write!(out, "<{o}>");
                }
                out.push(b' ');
                // RFC 3516 §4.3: literal8 when the data could not be a string.
                if section.binary && data.contains(&0) {
                    out.push(b'~');
                }
                encode::literal(out, data);
            }
        }
    }
}

/// `(\Seen \Answered)` from the index's space-separated form, with `\Recent` when asked.
fn flag_list(out: &mut Vec<u8>, flags: &str, recent: bool) {
    out.push(b'(');
    let mut first = true;
    for f in flags.split(' ').filter(|f| !f.is_empty()).chain(recent.then_some("\\Recent")) {
        if !first {
            out.push(b' ');
        }
        first = false;
        out.extend_from_slice(f.as_bytes());
    }
    out.push(b')');
}

/// `BODY[1.2.HEADER.FIELDS (a b)]`: the section as the client asked for it, without the
/// partial range.
/// `1.2.3`
fn part_path(out: &mut Vec<u8>, part: &[u32]) {
    for (i, p) in part.iter().enumerate() {
        if i > 0 {
            out.push(b'.');
        }
        let _ = write!(out, "{p}");
    }
}

fn section_name(out: &mut Vec<u8>, s: &Section) {
    if s.binary {
        out.extend_from_slice(b"BINARY[");
        part_path(out, &s.part);
        out.push(b']');
        return;
    }
    out.extend_from_slice(b"BODY[");
    part_path(out, &s.part);
    let dot: &[u8] = if s.part.is_empty() { b"" } else { b"." };
    let text: &[u8] = match &s.text {
        SectionText::Full => b"",
        SectionText::Header => b"HEADER",
        SectionText::Text => b"TEXT",
        SectionText::Mime => b"MIME",
        SectionText::HeaderFields { not: false, .. } => b"HEADER.FIELDS (",
        SectionText::HeaderFields { not: true, .. } => b"HEADER.FIELDS.NOT (",
    };
    if !text.is_empty() {
        out.extend_from_slice(dot);
        out.extend_from_slice(text);
    }
    if let SectionText::HeaderFields { names, .. } = &s.text {
        for (i, n) in names.iter().enumerate() {
            if i > 0 {
                out.push(b' ');
            }
            encode::astring(out, n.as_bytes());
        }
        out.push(b')');
    }
    out.push(b']');
}

/// One FETCH response written attribute by attribute, so that a message's data goes straight
/// into the output (no list of attributes is built per message).
pub struct Fetch<'o> {
    out: &'o mut Vec<u8>,
    first: bool,
}

impl<'o> Fetch<'o> {
    /// `* seq FETCH (`
    pub fn start(out: &'o mut Vec<u8>, seq: u32) -> Self {
        let _ = write!(out, "* {seq} FETCH (");
        Fetch { out, first: true }
    }

    pub fn attr(&mut self, a: &FetchAttr<'_>) {
        self.separate();
        a.write(self.out);
    }

    fn separate(&mut self) {
        if !self.first {
            self.out.push(b' ');
        }
        self.first = false;
    }

    /// `)` and the line end.
    pub fn finish(self) {
        self.out.extend_from_slice(b")\r\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::imap::lexer::Cursor;

    fn untagged(r: Untagged<'_>) -> String {
        let mut out = Vec::new();
        r.write(&mut out);
        String::from_utf8_lossy(&out).into_owned()
    }

    fn section(part: &[u32], text: SectionText) -> Section {
        Section { part: part.to_vec(), text, partial: None, peek: false, binary: false }
    }

    /// Names a client may create, and what each becomes on the wire: an atom, a quoted string
    /// with `"` and `\` escaped, or a literal when quoting cannot carry it (CR, LF, NUL, 8-bit).
    const HOSTILE: &[(&str, &str)] = &[
        ("Work", "Work"),
        ("", "\"\""),
        ("My Folder", "\"My Folder\""),
        ("a\"b", "\"a\\\"b\""),
        ("back\\slash", "\"back\\\\slash\""),
        ("a]b", "\"a]b\""),
        ("CR\rLF\n", "{6}\r\nCR\rLF\n"),
        ("x\r\n* BYE forged", "{15}\r\nx\r\n* BYE forged"),
        ("nul\0", "{4}\r\nnul\0"),
        ("Entwürfe", "{9}\r\nEntwürfe"),
        ("{5}", "\"{5}\""),
        ("%*", "\"%*\""),
    ];

    #[test]
    fn untagged_responses_have_their_exact_bytes() {
        let uids = [1, 2, 3, 7, 9, 10];
        let one_thread = [crate::proto::imap::thread::Node { num: Some(4), children: vec![] }];
        let flags = ["\\Answered", "\\Flagged", "\\Deleted", "\\Seen", "\\Draft", "$Junk"];
        let cases: Vec<(Untagged<'_>, &str)> = vec![
            (Untagged::Exists(0), "* 0 EXISTS\r\n"),
            (Untagged::Exists(4294967295), "* 4294967295 EXISTS\r\n"),
            (Untagged::Recent(2), "* 2 RECENT\r\n"),
            (Untagged::Expunge(17), "* 17 EXPUNGE\r\n"),
            (Untagged::Vanished { earlier: false, uids: &uids }, "* VANISHED 1:3,7,9:10\r\n"),
            (Untagged::Vanished { earlier: true, uids: &[5] }, "* VANISHED (EARLIER) 5\r\n"),
            (Untagged::Flags(&flags), "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Junk)\r\n"),
            (Untagged::Capability("IMAP4rev1 IDLE"), "* CAPABILITY IMAP4rev1 IDLE\r\n"),
            (Untagged::Enabled(&[]), "* ENABLED\r\n"),
            (Untagged::Enabled(&["CONDSTORE", "QRESYNC"]), "* ENABLED CONDSTORE QRESYNC\r\n"),
            (
                Untagged::Id(&[("name", "mailctl"), ("version", "1.0")]),
                "* ID (\"name\" \"mailctl\" \"version\" \"1.0\")\r\n",
            ),
            (Untagged::Namespace { prefix: "", delimiter: '.' }, "* NAMESPACE ((\"\" \".\")) NIL NIL\r\n"),
            (Untagged::Ok { code: None, text: "hello" }, "* OK hello\r\n"),
            (
                Untagged::Ok { code: Some(Code::Closed), text: "previous mailbox closed" },
                "* OK [CLOSED] previous mailbox closed\r\n",
            ),
            (
                Untagged::Ok { code: Some(Code::PermanentFlags(&["\\Seen", "\\*"])), text: "flags allowed" },
                "* OK [PERMANENTFLAGS (\\Seen \\*)] flags allowed\r\n",
            ),
            (Untagged::Ok { code: Some(Code::Unseen(3)), text: "first unseen" }, "* OK [UNSEEN 3] first unseen\r\n"),
            (
                Untagged::Ok { code: Some(Code::UidValidity(1700000000)), text: "UIDs valid" },
                "* OK [UIDVALIDITY 1700000000] UIDs valid\r\n",
            ),
            (
                Untagged::Ok { code: Some(Code::UidNext(8)), text: "predicted next UID" },
                "* OK [UIDNEXT 8] predicted next UID\r\n",
            ),
            (
                Untagged::Ok { code: Some(Code::HighestModseq(99)), text: "highest" },
                "* OK [HIGHESTMODSEQ 99] highest\r\n",
            ),
            (
                Untagged::Ok {
                    code: Some(Code::CopyUid { validity: 5, source: &[9, 3, 4], dest: &[10, 11, 12] }),
                    text: "moved",
                },
                "* OK [COPYUID 5 9,3,4 10,11,12] moved\r\n",
            ),
            (Untagged::Bye { code: None, text: "logging out" }, "* BYE logging out\r\n"),
            (Untagged::Bye { code: Some(Code::Limit), text: "busy" }, "* BYE [LIMIT] busy\r\n"),
            (
                Untagged::List(ListEntry {
                    attrs: &["\\HasNoChildren", "\\Sent"],
                    delimiter: '.',
                    name: "Sent",
                    child_subscribed: false,
                }),
                "* LIST (\\HasNoChildren \\Sent) \".\" Sent\r\n",
            ),
            (
                Untagged::List(ListEntry { attrs: &["\\Noselect"], delimiter: '.', name: "", child_subscribed: false }),
                "* LIST (\\Noselect) \".\" \"\"\r\n",
            ),
            (
                Untagged::List(ListEntry { attrs: &[], delimiter: '.', name: "Fruit", child_subscribed: true }),
                "* LIST () \".\" Fruit (\"CHILDINFO\" (\"SUBSCRIBED\"))\r\n",
            ),
            (
                Untagged::Lsub(ListEntry { attrs: &[], delimiter: '.', name: "INBOX", child_subscribed: false }),
                "* LSUB () \".\" INBOX\r\n",
            ),
            (
                Untagged::Status { mailbox: "INBOX", items: &[("MESSAGES", 3), ("UIDNEXT", 4)] },
                "* STATUS INBOX (MESSAGES 3 UIDNEXT 4)\r\n",
            ),
            (Untagged::Quota { root: "", storage: Some((10, 1024)) }, "* QUOTA \"\" (STORAGE 10 1024)\r\n"),
            (Untagged::Quota { root: "", storage: None }, "* QUOTA \"\" ()\r\n"),
            (Untagged::QuotaRoot { mailbox: "My Box", roots: &[""] }, "* QUOTAROOT \"My Box\" \"\"\r\n"),
            (Untagged::Search { nums: &[], modseq: None }, "* SEARCH\r\n"),
            (Untagged::Search { nums: &[2, 5], modseq: Some(40) }, "* SEARCH 2 5 (MODSEQ 40)\r\n"),
            (Untagged::Sort(&[5, 2, 9]), "* SORT 5 2 9\r\n"),
            (Untagged::Sort(&[]), "* SORT\r\n"),
            (
                Untagged::ESearch {
                    tag: "a1",
                    uid: true,
                    min: Some(1),
                    max: Some(10),
                    count: Some(6),
                    all: Some(&uids),
                    modseq: Some(7),
                },
                "* ESEARCH (TAG \"a1\") UID MIN 1 MAX 10 COUNT 6 ALL 1:3,7,9:10 MODSEQ 7\r\n",
            ),
            (
                Untagged::ESearch {
                    tag: "b",
                    uid: false,
                    min: None,
                    max: None,
                    count: Some(0),
                    all: Some(&[]),
                    modseq: None,
                },
                "* ESEARCH (TAG \"b\") COUNT 0\r\n",
            ),
            (Untagged::Thread(&[]), "* THREAD\r\n"),
            (Untagged::Thread(&one_thread), "* THREAD (4)\r\n"),
            (
                Untagged::Fetch {
                    seq: 4,
                    attrs: &[
                        FetchAttr::Uid(9),
                        FetchAttr::Flags { flags: "\\Seen $X", recent: true },
                        FetchAttr::Modseq(12),
                    ],
                },
                "* 4 FETCH (UID 9 FLAGS (\\Seen $X \\Recent) MODSEQ (12))\r\n",
            ),
            (
                Untagged::Fetch { seq: 1, attrs: &[FetchAttr::Flags { flags: "", recent: false }] },
                "* 1 FETCH (FLAGS ())\r\n",
            ),
        ];
        for (n, (r, want)) in cases.into_iter().enumerate() {
            assert_eq!(untagged(r), want, "case {n}");
        }
    }

    #[test]
    fn mailbox_names_are_atoms_strings_or_literals_and_never_break_the_line() {
        for (name, wire) in HOSTILE {
            let list =
                untagged(Untagged::List(ListEntry { attrs: &[], delimiter: '.', name, child_subscribed: false }));
            assert_eq!(list, format!("* LIST () \".\" {wire}\r\n"), "{name:?}");
            let status = untagged(Untagged::Status { mailbox: name, items: &[("MESSAGES", 1)] });
            assert_eq!(status, format!("* STATUS {wire} (MESSAGES 1)\r\n"), "{name:?}");
            let root = untagged(Untagged::QuotaRoot { mailbox: name, roots: &[""] });
            assert_eq!(root, format!("* QUOTAROOT {wire} \"\"\r\n"), "{name:?}");
            // What a client's lexer reads back is the name.
            let mut c = Cursor::new(wire.as_bytes());
            assert_eq!(c.astring().ok().as_deref(), Some(name.as_bytes()), "{name:?}");
            assert!(c.at_end(), "{name:?}");
        }
    }

    #[test]
    fn id_values_are_strings_or_literals() {
        let out = untagged(Untagged::Id(&[("name", "a\"b\\c"), ("os", "x\r\ny"), ("8bit", "é")]));
        assert_eq!(out, "* ID (\"name\" \"a\\\"b\\\\c\" \"os\" {4}\r\nx\r\ny \"8bit\" {2}\r\né)\r\n");
    }

    #[test]
    fn tagged_replies_carry_an_optional_code() {
        let cases: Vec<(&str, Cond, Option<Code<'_>>, &str, &str)> = vec![
            ("a1", Cond::Ok, None, "NOOP completed", "a1 OK NOOP completed\r\n"),
            ("a2", Cond::No, Some(Code::TryCreate), "no such mailbox", "a2 NO [TRYCREATE] no such mailbox\r\n"),
            ("*", Cond::Bad, None, "missing tag", "* BAD missing tag\r\n"),
            ("t", Cond::Ok, Some(Code::ReadWrite), "SELECT completed", "t OK [READ-WRITE] SELECT completed\r\n"),
            ("t", Cond::Ok, Some(Code::ReadOnly), "EXAMINE completed", "t OK [READ-ONLY] EXAMINE completed\r\n"),
            (
                "t",
                Cond::Ok,
                Some(Code::AppendUid { validity: 7, uids: &[4, 5, 6] }),
                "APPEND completed",
                "t OK [APPENDUID 7 4,5,6] APPEND completed\r\n",
            ),
            (
                "t",
                Cond::Ok,
                Some(Code::Modified(&[1, 2, 3, 8])),
                "conditional STORE failed for some",
                "t OK [MODIFIED 1:3,8] conditional STORE failed for some\r\n",
            ),
            (
                "t",
                Cond::Ok,
                Some(Code::Capability("IMAP4rev1 IDLE")),
                "logged in",
                "t OK [CAPABILITY IMAP4rev1 IDLE] logged in\r\n",
            ),
            ("t", Cond::No, Some(Code::AlreadyExists), "", "t NO [ALREADYEXISTS]\r\n"),
        ];
        for (n, (tag, cond, code, text, want)) in cases.into_iter().enumerate() {
            let mut out = Vec::new();
            tagged(&mut out, tag, cond, code.as_ref(), text);
            assert_eq!(String::from_utf8_lossy(&out), want, "case {n}");
        }
        let words: Vec<(Code<'_>, &str)> = vec![
            (Code::AuthenticationFailed, "[AUTHENTICATIONFAILED]"),
            (Code::Cannot, "[CANNOT]"),
            (Code::ExpungeIssued, "[EXPUNGEISSUED]"),
            (Code::HasChildren, "[HASCHILDREN]"),
            (Code::UnknownCte, "[UNKNOWN-CTE]"),
            (Code::Limit, "[LIMIT]"),
            (Code::Nonexistent, "[NONEXISTENT]"),
            (Code::NoPerm, "[NOPERM]"),
            (Code::OverQuota, "[OVERQUOTA]"),
            (Code::PrivacyRequired, "[PRIVACYREQUIRED]"),
            (Code::ServerBug, "[SERVERBUG]"),
            (Code::TooBig, "[TOOBIG]"),
            (Code::Unavailable, "[UNAVAILABLE]"),
        ];
        for (code, want) in words {
            let mut out = Vec::new();
            code.write(&mut out);
            assert_eq!(String::from_utf8_lossy(&out), want);
        }
        let mut out = Vec::new();
        continuation(&mut out, "");
        continuation(&mut out, "go ahead");
        assert_eq!(out, b"+ \r\n+ go ahead\r\n");
    }

    #[test]
    fn fetch_attributes_have_their_exact_bytes() {
        use SectionText::*;
        let fields = |names: &[&str], not| HeaderFields { names: names.iter().map(|s| s.to_string()).collect(), not };
        let (full, hdr) = (section(&[], Full), section(&[], Header));
        let (part, mime) = (section(&[1, 2], Full), section(&[3], Mime));
        let (text, ptext) = (section(&[], Text), section(&[2], Text));
        let (phdr, f) = (section(&[4], Header), section(&[], fields(&["Subject", "X-A B"], false)));
        let fnot = section(&[1], fields(&["From"], true));
        let bin = Section { binary: true, ..section(&[1, 2], Full) };
        let msg = "Subject: x\r\n\r\nhi\r\n";
        let cases: Vec<(FetchAttr<'_>, &str)> = vec![
            (FetchAttr::Uid(42), "UID 42"),
            (FetchAttr::Flags { flags: " \\Seen  \\Answered ", recent: false }, "FLAGS (\\Seen \\Answered)"),
            (FetchAttr::Flags { flags: "", recent: true }, "FLAGS (\\Recent)"),
            (FetchAttr::InternalDate(0), "INTERNALDATE \"01-Jan-1970 00:00:00 +0000\""),
            (FetchAttr::InternalDate(1_700_000_000), "INTERNALDATE \"14-Nov-2023 22:13:20 +0000\""),
            (FetchAttr::Rfc822Size(1234), "RFC822.SIZE 1234"),
            (FetchAttr::BinarySize { part: &[1, 2], size: 7 }, "BINARY.SIZE[1.2] 7"),
            (FetchAttr::BodySection { section: &bin, origin: None, data: b"ab" }, "BINARY[1.2] {2}\r\nab"),
            (FetchAttr::BodySection { section: &bin, origin: Some(1), data: b"\0" }, "BINARY[1.2]<1> ~{1}\r\n\0"),
            (FetchAttr::Modseq(18446744073709551615), "MODSEQ (18446744073709551615)"),
            (
                FetchAttr::Envelope(b"(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)"),
                "ENVELOPE (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)",
            ),
            (
                FetchAttr::StoredBodyStructure(b"(\"text\" \"plain\" NIL NIL NIL \"7bit\" 4 1 NIL NIL NIL NIL)"),
                "BODYSTRUCTURE (\"text\" \"plain\" NIL NIL NIL \"7bit\" 4 1 NIL NIL NIL NIL)",
            ),
            (
                FetchAttr::BodyStructure { message: msg.as_bytes(), extended: false },
                "BODY (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 4 1)",
            ),
            (
                FetchAttr::BodyStructure { message: msg.as_bytes(), extended: true },
                "BODYSTRUCTURE (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 4 1 NIL NIL NIL NIL)",
            ),
            (FetchAttr::Rfc822(b"a\"b"), "RFC822 {3}\r\na\"b"),
            (FetchAttr::Rfc822Header(b""), "RFC822.HEADER {0}\r\n"),
            (FetchAttr::Rfc822Text(b"x\r\n"), "RFC822.TEXT {3}\r\nx\r\n"),
            (FetchAttr::BodySection { section: &full, origin: None, data: b"abc" }, "BODY[] {3}\r\nabc"),
            (FetchAttr::BodySection { section: &full, origin: Some(10), data: b"" }, "BODY[]<10> {0}\r\n"),
            (FetchAttr::BodySection { section: &hdr, origin: None, data: b"\r\n" }, "BODY[HEADER] {2}\r\n\r\n"),
            (FetchAttr::BodySection { section: &text, origin: None, data: b"" }, "BODY[TEXT] {0}\r\n"),
            (FetchAttr::BodySection { section: &part, origin: None, data: b"" }, "BODY[1.2] {0}\r\n"),
            (FetchAttr::BodySection { section: &mime, origin: None, data: b"" }, "BODY[3.MIME] {0}\r\n"),
            (FetchAttr::BodySection { section: &ptext, origin: None, data: b"" }, "BODY[2.TEXT] {0}\r\n"),
            (FetchAttr::BodySection { section: &phdr, origin: Some(0), data: b"" }, "BODY[4.HEADER]<0> {0}\r\n"),
            (
                FetchAttr::BodySection { section: &f, origin: None, data: b"" },
                "BODY[HEADER.FIELDS (Subject \"X-A B\")] {0}\r\n",
            ),
            (
                FetchAttr::BodySection { section: &fnot, origin: None, data: b"" },
                "BODY[1.HEADER.FIELDS.NOT (From)] {0}\r\n",
            ),
        ];
        for (n, (a, want)) in cases.into_iter().enumerate() {
            let mut out = Vec::new();
            a.write(&mut out);
            assert_eq!(String::from_utf8_lossy(&out), want, "case {n}");
        }
    }

    #[test]
    fn a_fetch_written_item_by_item_equals_the_listed_one() {
        let attrs = [FetchAttr::Uid(3), FetchAttr::Rfc822(b"x\r\n)\r\n* 1 EXPUNGE\r\n"), FetchAttr::Rfc822Size(5)];
        let mut out = Vec::new();
        let mut f = Fetch::start(&mut out, 2);
        for a in &attrs {
            f.attr(a);
        }
        f.finish();
        assert_eq!(untagged(Untagged::Fetch { seq: 2, attrs: &attrs }).as_bytes(), out.as_slice());
        // The message's bytes ride in a literal: nothing in them can end the response.
        assert_eq!(out, b"* 2 FETCH (UID 3 RFC822 {19}\r\nx\r\n)\r\n* 1 EXPUNGE\r\n RFC822.SIZE 5)\r\n");
    }
}
