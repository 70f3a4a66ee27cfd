//! A message's flags: the system flags (and `$Forwarded`, which Maildir gives a letter) as
//! bits, other keywords as a list. Three forms convert to and from it: the Maildir info
//! letters after `:2,` in a file name, IMAP flag atoms, and the index form (the atoms joined
//! by spaces, as the `messages.flags` column has always held them).
//!
//! The canonical order is the info letters' (D F P R S T), then keywords as they were added;
//! so equal sets give equal strings, and a file name and the index always agree.

use std::fmt;

/// One flag that has a Maildir info letter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flag(u8);

impl Flag {
    pub const DRAFT: Flag = Flag(1);
    pub const FLAGGED: Flag = Flag(1 << 1);
    /// A keyword in IMAP, but Maildir's `P` (passed), as Dovecot maps it.
    pub const FORWARDED: Flag = Flag(1 << 2);
    pub const ANSWERED: Flag = Flag(1 << 3);
    pub const SEEN: Flag = Flag(1 << 4);
    pub const DELETED: Flag = Flag(1 << 5);
}

/// The lettered flags in info-letter order: bit, letter, IMAP atom.
const LETTERED: [(Flag, char, &str); 6] = [
    (Flag::DRAFT, 'D', "\\Draft"),
    (Flag::FLAGGED, 'F', "\\Flagged"),
    (Flag::FORWARDED, 'P', "$Forwarded"),
    (Flag::ANSWERED, 'R', "\\Answered"),
    (Flag::SEEN, 'S', "\\Seen"),
    (Flag::DELETED, 'T', "\\Deleted"),
];

/// The IMAP system flags a client may store, as `FLAGS` and `PERMANENTFLAGS` list them.
pub const SYSTEM_ATOMS: [&str; 5] = ["\\Answered", "\\Flagged", "\\Deleted", "\\Seen", "\\Draft"];

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Flags {
    bits: u8,
    keywords: Vec<String>,
}

/// Why an IMAP flag atom cannot be stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BadFlag {
    /// `\Recent` is the server's to set (RFC 3501 §2.3.2).
    Recent,
    /// A `\`-flag that is not a system flag, or a keyword with characters an atom cannot
    /// hold (which would also break the space-separated index form).
    Invalid,
}

/// A keyword is an atom (RFC 3501 §9), which also keeps the index form's spaces unambiguous.
fn is_keyword(atom: &str) -> bool {
    !atom.is_empty() && atom.bytes().all(crate::proto::imap::lexer::is_atom_char)
}

impl Flags {
    pub fn new() -> Flags {
        Flags::default()
    }

    pub fn has(&self, f: Flag) -> bool {
        self.bits & f.0 != 0
    }

    pub fn with(mut self, f: Flag) -> Flags {
        self.bits |= f.0;
        self
    }

    pub fn is_empty(&self) -> bool {
        self.bits == 0 && self.keywords.is_empty()
    }

    /// One IMAP atom, as a client sends it (system flags in any case; `\Recent` refused).
    pub fn parse_atom(atom: &str) -> Result<Flags, BadFlag> {
        let mut f = Flags::new();
        f.insert_atom(atom)?;
        Ok(f)
    }

    /// IMAP atoms (STORE, APPEND): `\Recent` is skipped, as clients may echo it.
    pub fn from_atoms<S: AsRef<str>>(atoms: &[S]) -> Result<Flags, String> {
        let mut f = Flags::new();
        for a in atoms {
            match f.insert_atom(a.as_ref()) {
                Ok(()) | Err(BadFlag::Recent) => {}
                Err(BadFlag::Invalid) => return Err(a.as_ref().to_string()),
            }
        }
        Ok(f)
    }

    fn insert_atom(&mut self, atom: &str) -> Result<(), BadFlag> {
        if let Some((bit, _, _)) = LETTERED.iter().find(|(_, _, a)| a.eq_ignore_ascii_case(atom)) {
            self.bits |= bit.0;
            return Ok(());
        }
        if atom.eq_ignore_ascii_case("\\Recent") {
            return Err(BadFlag::Recent);
        }
        if !is_keyword(atom) {
            return Err(BadFlag::Invalid);
        }
        if !self.has_keyword(atom) {
            self.keywords.push(atom.to_string());
        }
        Ok(())
    }

    fn has_keyword(&self, atom: &str) -> bool {
        self.keywords.iter().any(|k| k.eq_ignore_ascii_case(atom))
    }

    /// Does it hold this IMAP atom (case-insensitively, as SEARCH KEYWORD compares)?
    pub fn contains_atom(&self, atom: &str) -> bool {
        match LETTERED.iter().find(|(_, _, a)| a.eq_ignore_ascii_case(atom)) {
            Some((bit, _, _)) => self.has(*bit),
            None => self.has_keyword(atom),
        }
    }

    /// The IMAP atoms, in canonical order.
    pub fn atoms(&self) -> impl Iterator<Item = &str> {
        LETTERED
            .iter()
            .filter(|(bit, _, _)| self.has(*bit))
            .map(|(_, _, a)| *a)
            .chain(self.keywords.iter().map(String::as_str))
    }

    /// The keywords (not `\`-flags), `$Forwarded` included.
    pub fn keywords(&self) -> impl Iterator<Item = &str> {
        self.atoms().filter(|a| !a.starts_with('\\'))
    }

    /// STORE +FLAGS.
    pub fn add(&mut self, other: &Flags) {
        self.bits |= other.bits;
        for k in &other.keywords {
            if !self.has_keyword(k) {
                self.keywords.push(k.clone());
            }
        }
    }

    /// STORE -FLAGS.
    pub fn remove(&mut self, other: &Flags) {
        self.bits &= !other.bits;
        self.keywords.retain(|k| !other.has_keyword(k));
    }

    /// The index form; lenient, as it reads what earlier versions wrote: atoms that cannot
    /// be stored are dropped.
    pub fn from_index(s: &str) -> Flags {
        let mut f = Flags::new();
        for a in s.split(' ').filter(|a| !a.is_empty()) {
            let _ = f.insert_atom(a);
        }
        f
    }

    /// The index form: the atoms in canonical order, joined by spaces.
    pub fn to_index(&self) -> String {
        self.atoms().collect::<Vec<_>>().join(" ")
    }

    /// From a file name's info (`base:2,FRS`); keyword letters (lowercase, Dovecot's
    /// per-Maildir keyword file) and unknown letters are not kept.
    pub fn from_file_name(name: &str) -> Flags {
        let info = name.split_once(INFO).map(|(_, i)| i).unwrap_or("");
        let mut f = Flags::new();
        for c in info.chars() {
            if let Some((bit, _, _)) = LETTERED.iter().find(|(_, l, _)| *l == c) {
                f.bits |= bit.0;
            }
        }
        f
    }

    /// The info suffix of a file name in `cur/`: `:2,` then the letters, sorted.
    pub fn info(&self) -> String {
        let letters: String = LETTERED.iter().filter(|(bit, _, _)| self.has(*bit)).map(|(_, l, _)| *l).collect();
        format!("{INFO}{letters}")
    }
}

/// What separates a Maildir file's base name from its info.
pub const INFO: &str = ":2,";

impl fmt::Display for Flags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_index())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn idx(s: &str) -> Flags {
        Flags::from_index(s)
    }

    #[test]
    fn file_name_info_letters_map_to_flags_and_back_in_letter_order() {
        let cases = [
            ("123.M1P2.host,S=10:2,FRS", "\\Flagged \\Answered \\Seen", ":2,FRS"),
            ("123.M1P2.host:2,", "", ":2,"),
            ("123.M1P2.host", "", ":2,"),
            // Keyword letters and unknown letters are not ours to keep.
            ("x:2,DPTa", "\\Draft $Forwarded \\Deleted", ":2,DPT"),
            ("x:2,SSR", "\\Answered \\Seen", ":2,RS"),
            ("x:2,Zs?", "", ":2,"),
        ];
        for (name, index, info) in cases {
            let f = Flags::from_file_name(name);
            assert_eq!(f.to_index(), index, "{name}");
            assert_eq!(f.info(), info, "{name}");
        }
    }

    #[test]
    fn imap_atoms_are_case_insensitive_and_come_out_canonical() {
        let cases: [(&[&str], &str); 6] = [
            (&["\\seen", "\\ANSWERED"], "\\Answered \\Seen"),
            (&["$Junk", "\\Flagged", "$junk"], "\\Flagged $Junk"),
            (&["$forwarded"], "$Forwarded"),
            (&["\\Recent", "\\Draft"], "\\Draft"),
            (&[], ""),
            (
                &["\\Deleted", "\\Draft", "\\Flagged", "$Forwarded", "\\Seen", "\\Answered"],
                "\\Draft \\Flagged $Forwarded \\Answered \\Seen \\Deleted",
            ),
        ];
        for (atoms, want) in cases {
            assert_eq!(Flags::from_atoms(atoms).unwrap().to_index(), want, "{atoms:?}");
        }
    }

    #[test]
    fn hostile_keyword_atoms_are_refused() {
        let hostile = [
            "a b",
            "a)",
            "(a",
            "{5}",
            "a%",
            "*",
            "\"q\"",
            "a]",
            "\\Foo",
            "\\",
            "",
            "a\u{0}",
            "a\r\nx OK",
            "caf\u{e9}",
            "a\tb",
            "\u{7f}",
        ];
        for atom in hostile {
            assert_eq!(Flags::parse_atom(atom), Err(BadFlag::Invalid), "{atom:?}");
            assert_eq!(Flags::from_atoms(&["\\Seen", atom]), Err(atom.to_string()), "{atom:?}");
        }
        assert_eq!(Flags::parse_atom("\\Recent"), Err(BadFlag::Recent));
        for ok in ["$Junk", "NonJunk", "$label1", "a.b-c_d", "x[1"] {
            assert!(Flags::parse_atom(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn the_index_form_reads_what_earlier_versions_wrote() {
        let cases = [
            ("\\Seen \\Answered $Junk", "\\Answered \\Seen $Junk"),
            ("", ""),
            ("  \\Seen  ", "\\Seen"),
            ("\\Recent \\Bogus $Work", "$Work"),
            ("$Work $work", "$Work"),
        ];
        for (stored, canonical) in cases {
            assert_eq!(idx(stored).to_index(), canonical, "{stored:?}");
            assert_eq!(idx(canonical), idx(stored), "{stored:?}");
        }
    }

    #[test]
    fn store_adds_and_removes_keywords_case_insensitively() {
        let mut f = idx("\\Seen $Work");
        f.add(&idx("\\Flagged $work $Home"));
        assert_eq!(f.to_index(), "\\Flagged \\Seen $Work $Home");
        f.remove(&idx("$WORK \\Seen \\Draft"));
        assert_eq!(f.to_index(), "\\Flagged $Home");
        assert!(f.contains_atom("$home") && f.contains_atom("\\FLAGGED") && !f.contains_atom("\\Seen"));
        assert_eq!(f.keywords().collect::<Vec<_>>(), ["$Home"]);
        assert_eq!(idx("$Forwarded \\Seen").keywords().collect::<Vec<_>>(), ["$Forwarded"]);
    }
}
