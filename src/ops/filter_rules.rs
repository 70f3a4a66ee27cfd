//! Allow and block lists (`mailctl filter allow|block|list|remove`): a sender address or
//! @domain, for every account or for one. A block refuses the sender at RCPT with 550 5.7.1;
//! an allow skips spam scoring, never virus scanning. `serve` reads them for every message, so
//! a change applies at once.

use crate::error::{Error, Result};
use crate::names::{Address, AliasSource};
use crate::store::conn::Conn;
use crate::store::filter_rules::{self, Rule};
use crate::store::{Store, now};

/// Allow or block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Allow,
    Block,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Allow => "allow",
            Kind::Block => "block",
        }
    }
}

/// The rule key: the sender pattern and the account, normalised; the account must exist.
async fn key(store: &Store, pattern: &str, account: Option<&str>) -> Result<(String, String)> {
    let pattern = AliasSource::parse(pattern).map_err(|e| e.context("sender pattern"))?.to_string();
    let account = match account {
        None => String::new(),
        Some(a) => {
            let a = Address::parse(a)?.to_string();
            let mut conn = store.pool.acquire().await?;
            if crate::store::accounts::get(&mut conn, &a).await?.is_none() {
                return Err(Error::not_found(format!("no account {a}")));
            }
            a
        }
    };
    Ok((pattern, account))
}

/// Allow or block a sender, replacing any rule for the same sender and account.
pub async fn put(store: &Store, kind: Kind, pattern: &str, account: Option<&str>) -> Result<Rule> {
    let (pattern, account) = key(store, pattern, account).await?;
    let r = Rule { pattern, account, kind: kind.as_str().into(), created_at: now() };
    let mut tx = store.begin_admin().await?;
    filter_rules::put(&mut tx, &r).await?;
    tx.commit().await?;
    Ok(r)
}

pub async fn list(store: &Store) -> Result<Vec<Rule>> {
    let mut conn = store.pool.acquire().await?;
    filter_rules::list(&mut conn).await
}

pub async fn remove(store: &Store, pattern: &str, account: Option<&str>) -> Result<()> {
    let (pattern, account) = key(store, pattern, account).await?;
    let mut tx = store.begin_admin().await?;
    if !filter_rules::delete(&mut tx, &pattern, &account).await? {
        let scope = if account.is_empty() { "every account".to_string() } else { account };
        return Err(Error::not_found(format!("no rule for {pattern} on {scope}")));
    }
    tx.commit().await?;
    Ok(())
}

/// What the lists say about a sender writing to an account: an account's own rule wins over a
/// rule for every account, and an address's over its domain's.
pub fn verdict(rules: &[Rule], sender: &str, account: &str) -> Option<Kind> {
    let rank = |r: &Rule| (r.account == account, r.pattern == sender);
    rules
        .iter()
        .filter(|r| r.account.is_empty() || r.account == account)
        .max_by_key(|r| rank(r))
        .map(|r| if r.kind == "block" { Kind::Block } else { Kind::Allow })
}

/// What the lists say about a sender writing to these accounts, from the rules that can apply
/// to it ([`for_sender`]): blocked when one of them blocks it, allowed when every one allows
/// it, else nothing.
pub fn for_recipients<'a>(rules: &[Rule], sender: &str, accounts: impl IntoIterator<Item = &'a str>) -> Option<Kind> {
    if rules.is_empty() {
        return None;
    }
    let sender = sender.to_ascii_lowercase();
    let each: Vec<Option<Kind>> = accounts.into_iter().map(|a| verdict(rules, &sender, a)).collect();
    if each.contains(&Some(Kind::Block)) {
        Some(Kind::Block)
    } else if !each.is_empty() && each.iter().all(|k| *k == Some(Kind::Allow)) {
        Some(Kind::Allow)
    } else {
        None
    }
}

/// The rules that can apply to a sender (none for the null sender, which no list names), read
/// on any connection: SMTP reads them once per transaction, with its first recipient.
pub async fn for_sender(c: &mut Conn<'_>, sender: &str) -> Result<Vec<Rule>> {
    let Some((_, domain)) = sender.rsplit_once('@') else { return Ok(Vec::new()) };
    filter_rules::matching(c, &sender.to_ascii_lowercase(), &domain.to_ascii_lowercase()).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(pattern: &str, account: &str, kind: &str) -> Rule {
        Rule { pattern: pattern.into(), account: account.into(), kind: kind.into(), created_at: 0 }
    }

    #[test]
    fn the_most_specific_rule_wins() {
        let rules = [
            rule("@spam.example", "", "block"),
            rule("friend@spam.example", "", "allow"),
            rule("@news.example", "", "allow"),
            rule("@news.example", "bob@example.com", "block"),
        ];
        let rows = [
            ("x@spam.example", "bob@example.com", Some(Kind::Block)),
            ("friend@spam.example", "bob@example.com", Some(Kind::Allow)),
            ("x@news.example", "ann@example.com", Some(Kind::Allow)),
            ("x@news.example", "bob@example.com", Some(Kind::Block)),
            ("x@other.example", "bob@example.com", None),
        ];
        for (sender, account, want) in rows {
            let matching: Vec<Rule> = rules
                .iter()
                .filter(|r| r.pattern == sender || r.pattern == format!("@{}", sender.split('@').nth(1).unwrap()))
                .cloned()
                .collect();
            assert_eq!(verdict(&matching, sender, account), want, "{sender} -> {account}");
        }
    }
}
