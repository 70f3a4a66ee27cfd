//! Settings that take one of a few words: each a type, so the check of the text and the typed
//! setting come from one list.

use std::fmt;
use std::str::FromStr;

macro_rules! choice {
    ($(#[doc = $doc:literal])* $T:ident { $($V:ident = $word:literal),+ $(,)? }) => {
        $(#[doc = $doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $T { $($V),+ }

        impl $T {
            /// Every word the setting accepts, in order.
            pub const WORDS: &'static [&'static str] = &[$($word),+];
        }

        impl FromStr for $T {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $($word => Ok($T::$V),)+
                    _ => Err(format!("not {}", one_of(Self::WORDS))),
                }
            }
        }

        impl fmt::Display for $T {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(match self { $($T::$V => $word),+ })
            }
        }
    };
}

/// "a, b or c".
fn one_of(words: &[&str]) -> String {
    match words {
        [] => String::new(),
        [one] => (*one).to_string(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

choice!(
    /// `spam_filter`: which spam scanner inbound mail goes through.
    SpamFilter { None = "none", Spamd = "spamd", Rspamd = "rspamd" }
);
choice!(
    /// `virus_scanner`: which virus scanner inbound mail goes through.
    VirusScanner { None = "none", Clamd = "clamd" }
);
choice!(
    /// `dmarc_reject_action`: what a DMARC failure under `p=reject` does.
    DmarcRejectAction { Reject = "reject", Junk = "junk" }
);
choice!(
    /// `scanner_failure`: what happens to a message when a configured scanner does not answer.
    ScannerFailure { Tempfail = "tempfail", Accept = "accept" }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_choice_reads_its_words_and_names_them_all_when_refusing_others() {
        assert_eq!("rspamd".parse::<SpamFilter>(), Ok(SpamFilter::Rspamd));
        assert_eq!(SpamFilter::Spamd.to_string(), "spamd");
        assert_eq!("Spamd".parse::<SpamFilter>(), Err("not none, spamd or rspamd".to_string()));
        assert_eq!("".parse::<ScannerFailure>(), Err("not tempfail or accept".to_string()));
    }
}
