//! Address suggestions for the composer: the people in the member's own mail, the senders of
//! what they received and the recipients of what they sent, the most frequent first. Drawn
//! from the ENVELOPE stored with each message's row (the newest [`PER_FOLDER`] of each
//! folder), and kept per account for a minute.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use crate::error::Result;
use crate::proto::imap::body::envelope_addresses;
use crate::store::maildir::{DRAFTS, JUNK, SENT, TRASH};
use crate::store::{Account, Store, mailboxes, messages};

/// How long an account's list is reused before it is read again.
const FRESH: Duration = Duration::from_secs(60);
/// Most accounts whose lists are kept.
const MOST_ACCOUNTS: usize = 1000;
/// Most messages read per folder, and in all: the newest, who the member writes with now.
const PER_FOLDER: i64 = 20_000;
const IN_ALL: i64 = 100_000;
/// Longest typed text looked up.
const MAX_TYPED: usize = 200;

/// Someone in the member's mail.
#[derive(Debug, Clone)]
struct Known {
    /// Lower case.
    address: String,
    /// The display name as written (lower case), for matching.
    name: String,
    uses: u32,
}

type Lists = HashMap<i64, (Instant, Arc<Vec<Known>>)>;

fn lists() -> std::sync::MutexGuard<'static, Lists> {
    static LISTS: OnceLock<Mutex<Lists>> = OnceLock::new();
    LISTS.get_or_init(Default::default).lock().unwrap_or_else(|p| p.into_inner())
}

/// Everyone in the account's mail (not its Junk, Trash or Drafts), the most frequent first.
async fn known(store: &Store, account: &Account) -> Result<Arc<Vec<Known>>> {
    let stale = match lists().get(&account.id) {
        Some((at, list)) if at.elapsed() < FRESH => return Ok(list.clone()),
        Some((_, list)) => Some(list.clone()),
        None => None,
    };
    // One reading per account at a time: meanwhile, what was read before (or nothing).
    if !building().insert(account.id) {
        return Ok(stale.unwrap_or_default());
    }
    // Cleared however this ends, a dropped request included.
    struct Building(i64);
    impl Drop for Building {
        fn drop(&mut self) {
            building().remove(&self.0);
        }
    }
    let guard = Building(account.id);
    let read = read(store, account).await?;
    drop(guard);
    let me = account.address.to_lowercase();
    // Parsing a large mailbox's envelopes is CPU work: off the async threads.
    let list = crate::store::blocking(move || Ok(rank(&me, &read))).await?;
    let list = Arc::new(list);
    let mut all = lists();
    if all.len() >= MOST_ACCOUNTS {
        all.retain(|_, (at, _)| at.elapsed() < FRESH);
    }
    while all.len() >= MOST_ACCOUNTS {
        let Some(oldest) = all.iter().min_by_key(|(_, (at, _))| *at).map(|(id, _)| *id) else { break };
        all.remove(&oldest);
    }
    all.insert(account.id, (Instant::now(), list.clone()));
    Ok(list)
}

fn building() -> std::sync::MutexGuard<'static, std::collections::HashSet<i64>> {
    static BUILDING: OnceLock<Mutex<std::collections::HashSet<i64>>> = OnceLock::new();
    BUILDING.get_or_init(Default::default).lock().unwrap_or_else(|p| p.into_inner())
}

/// The envelopes of the account's folders but Junk, Trash and Drafts ((is Sent, envelopes)),
/// INBOX and Sent first, at most [`IN_ALL`] in all.
async fn read(store: &Store, account: &Account) -> Result<Vec<(bool, Vec<Vec<u8>>)>> {
    let mut folders = {
        let mut conn = store.pool.acquire().await?;
        mailboxes::list(&mut conn, account.id).await?
    };
    folders.retain(|f| ![JUNK, TRASH, DRAFTS].contains(&f.name.as_str()));
    folders.sort_by_key(|f| (f.name != "INBOX", f.name != SENT));
    let (mut read, mut left) = (Vec::new(), IN_ALL);
    for f in folders {
        if left <= 0 {
            break;
        }
        let mut conn = store.pool.acquire().await?;
        let envelopes = messages::envelopes(&mut conn, f.id, PER_FOLDER.min(left)).await?;
        left -= envelopes.len() as i64;
        read.push((f.name == SENT, envelopes));
    }
    Ok(read)
}

/// Everyone in these folders' envelopes ((is Sent, envelopes)) but `me`, the most frequent
/// first: whom Sent wrote to (To and Cc), who wrote to the others (From).
fn rank(me: &str, folders: &[(bool, Vec<Vec<u8>>)]) -> Vec<Known> {
    let mut count: HashMap<String, Known> = HashMap::new();
    for (sent, envelopes) in folders {
        for e in envelopes.iter().filter_map(|e| envelope_addresses(e)) {
            let people: Vec<&(Option<String>, String)> =
                if *sent { e.to.iter().chain(&e.cc).collect() } else { e.from.iter().collect() };
            for (name, address) in people {
                let address = address.to_lowercase();
                if !address.contains('@') || address == me {
                    continue;
                }
                let k = count.entry(address.clone()).or_insert_with(|| Known { address, name: String::new(), uses: 0 });
                k.uses += 1;
                if k.name.is_empty()
                    && let Some(n) = name
                {
                    k.name = n.to_lowercase();
                }
            }
        }
    }
    let mut list: Vec<Known> = count.into_values().collect();
    list.sort_by(|a, b| b.uses.cmp(&a.uses).then_with(|| a.address.cmp(&b.address)));
    list
}

/// Up to `most` addresses whose address or name starts with `typed`, or has a word that does
/// (case aside), the most frequent first.
pub async fn suggest(store: &Store, account: &Account, typed: &str, most: usize) -> Result<Vec<String>> {
    let typed = typed.trim().to_lowercase();
    if typed.is_empty() || typed.len() > MAX_TYPED {
        return Ok(Vec::new());
    }
    let list = known(store, account).await?;
    Ok(list.iter().filter(|k| matches(k, &typed)).take(most).map(|k| k.address.clone()).collect())
}

fn matches(k: &Known, typed: &str) -> bool {
    let words = |s: &str| s.split(|c: char| !c.is_alphanumeric()).any(|w| w.starts_with(typed));
    k.address.starts_with(typed) || k.name.starts_with(typed) || words(&k.name) || words(&k.address)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_suggestion_matches_the_start_of_the_address_the_name_or_one_of_their_words() {
        let k = Known { address: "jane.doe@example.org".into(), name: "jane doe".into(), uses: 1 };
        for (typed, want) in [("jane", true), ("doe", true), ("example", true), ("ane", false), ("x", false)] {
            assert_eq!(matches(&k, typed), want, "{typed}");
        }
    }
}
