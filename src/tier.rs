//! Account tiers, from the product's plans. Guest and free have no mailbox.

use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Tier {
    Guest,
    Free,
    Vip,
    Paid,
    Business,
}

pub const GIB: u64 = 1 << 30;

impl Tier {
    pub const ALL: [Tier; 5] = [Tier::Guest, Tier::Free, Tier::Vip, Tier::Paid, Tier::Business];

    pub fn parse(input: &str) -> Result<Tier> {
        match input.trim().to_ascii_lowercase().as_str() {
            "guest" => Ok(Tier::Guest),
            "free" => Ok(Tier::Free),
            "vip" => Ok(Tier::Vip),
            "paid" => Ok(Tier::Paid),
            "business" => Ok(Tier::Business),
            _ => Err(Error::invalid(format!("unknown tier {input:?}"))
                .with_hint("tiers are guest, free, vip, paid and business")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Guest => "guest",
            Tier::Free => "free",
            Tier::Vip => "vip",
            Tier::Paid => "paid",
            Tier::Business => "business",
        }
    }

    pub fn has_mailbox(self) -> bool {
        self >= Tier::Vip
    }

    /// Refuse tiers without a mailbox, with the product's wording.
    pub fn require_mailbox(self) -> Result<Tier> {
        if self.has_mailbox() { Ok(self) } else { Err(self.no_mailbox()) }
    }

    /// The refusal of a mail feature to this tier, in the product's words.
    pub fn no_mailbox(self) -> Error {
        Error::permission("email requires the vip tier or higher")
            .with_hint(format!("the {} tier has no mailbox", self.as_str()))
    }

    /// The tier's mailbox quota in bytes.
    pub fn default_quota(self) -> Option<u64> {
        match self {
            Tier::Guest | Tier::Free => Some(0),
            Tier::Vip => Some(GIB),
            Tier::Paid => Some(5 * GIB),
            Tier::Business => Some(50 * GIB),
        }
    }

    /// Aliases pointing at the account (other than role addresses) need business.
    pub fn allows_aliases(self) -> bool {
        self >= Tier::Business
    }
}

impl std::fmt::Display for Tier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
