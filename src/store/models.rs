//! Rows of the store, as the ops and the CLI see them. Field names are the `--json` names.

use serde::Serialize;

use crate::error::{Error, Result};
use crate::size::Limit;
use crate::tier::Tier;

#[derive(Debug, Clone, Serialize)]
pub struct Domain {
    pub name: String,
    /// The Unicode form, for IDNs (same as `name` otherwise).
    pub unicode: String,
    pub accounts: i64,
    pub aliases: i64,
    pub created_at: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Active,
    Suspended,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Suspended => "suspended",
        }
    }
    pub fn parse(s: &str) -> Result<Status> {
        match s {
            "active" => Ok(Status::Active),
            "suspended" => Ok(Status::Suspended),
            _ => Err(Error::new(crate::error::Kind::Internal, format!("unknown account status {s:?} in the store"))),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Account {
    pub id: i64,
    pub address: String,
    pub local_part: String,
    pub domain: String,
    #[serde(serialize_with = "ser_tier")]
    pub tier: Tier,
    pub owner: Option<String>,
    #[serde(skip)]
    pub password_hash: String,
    /// Bytes; null means unlimited.
    pub quota_bytes: Option<u64>,
    /// True when the quota was set by hand and does not follow the tier.
    pub quota_custom: bool,
    pub used_bytes: u64,
    pub messages: u64,
    /// In effect: suspended by an administrator, or because the tier has no mailbox.
    pub status: Status,
    /// Why it is suspended: `admin` (`account suspend`) or `tier` (moved to guest or free).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suspended_reason: Option<&'static str>,
    /// What `account suspend`/`resume` set, whatever the tier.
    #[serde(skip)]
    pub admin_status: Status,
    /// The last tier with a mailbox (`tier` when it has one): moving back up restores its quota.
    #[serde(skip)]
    pub mailbox_tier: Tier,
    pub created_at: i64,
    pub updated_at: i64,
    pub last_login_at: Option<i64>,
}

fn ser_tier<S: serde::Serializer>(t: &Tier, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(t.as_str())
}

impl Account {
    pub fn limit(&self) -> Limit {
        match self.quota_bytes {
            Some(b) => Limit::Bytes(b),
            None => Limit::Unlimited,
        }
    }
    pub fn over_quota(&self) -> bool {
        matches!(self.limit(), Limit::Bytes(b) if self.used_bytes > b)
    }
    /// Percent of the quota used, if limited.
    pub fn percent_used(&self) -> Option<f64> {
        match self.limit() {
            Limit::Bytes(0) => Some(if self.used_bytes > 0 { 100.0 } else { 0.0 }),
            Limit::Bytes(b) => Some(self.used_bytes as f64 * 100.0 / b as f64),
            Limit::Unlimited => None,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Alias {
    /// `local@domain`, or `@domain` for a catch-all.
    pub address: String,
    pub domain: String,
    pub destinations: Vec<String>,
    pub catch_all: bool,
    pub created_at: i64,
}
