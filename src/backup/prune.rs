//! Which backups a retention policy keeps (as restic's `forget --keep-*` and borg's `prune`
//! decide it), and removing the rest: their manifests first, then every object no kept backup
//! names. A crash between the two leaves only unreferenced objects, which the next prune
//! removes; a kept backup never loses an object.

use std::collections::HashSet;

use chrono::{DateTime, Datelike};
use serde::Serialize;

use super::{Manifest, Repo};
use crate::error::{Error, Result};
use crate::fsutil;

/// How many backups to keep: the newest `last`, and the newest of each of the last `daily`
/// days, `weekly` ISO weeks and `monthly` months (UTC) that have one. A backup kept by one
/// rule counts for the others too.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Policy {
    pub last: usize,
    pub daily: usize,
    pub weekly: usize,
    pub monthly: usize,
}

impl Policy {
    pub fn is_empty(&self) -> bool {
        *self == Policy::default()
    }
}

/// The backups a policy keeps, given each one's id and start (Unix seconds): their indexes.
pub fn keep(backups: &[(String, i64)], policy: Policy) -> HashSet<usize> {
    let mut order: Vec<usize> = (0..backups.len()).collect();
    // Newest first (the id breaks a tie: two started in one second get -2, -3 ...).
    order.sort_by(|&a, &b| (backups[b].1, &backups[b].0).cmp(&(backups[a].1, &backups[a].0)));
    let mut kept: HashSet<usize> = order.iter().take(policy.last).copied().collect();
    let bucket = |at: i64, rule: u8| -> (i32, u32, u32) {
        let t = DateTime::from_timestamp(at, 0).unwrap_or_default();
        match rule {
            b'd' => (t.year(), t.ordinal(), 0),
            b'w' => (t.iso_week().year(), t.iso_week().week(), 0),
            _ => (t.year(), t.month(), 0),
        }
    };
    for (rule, n) in [(b'd', policy.daily), (b'w', policy.weekly), (b'm', policy.monthly)] {
        let mut last = None;
        let mut taken = 0;
        for &i in &order {
            if taken == n {
                break;
            }
            let b = bucket(backups[i].1, rule);
            if last != Some(b) {
                last = Some(b);
                kept.insert(i);
                taken += 1;
            }
        }
    }
    kept
}

/// What a prune did (or, dry, would do).
#[derive(Debug, Default, Serialize)]
pub struct Pruned {
    pub kept: Vec<String>,
    pub removed: Vec<String>,
    /// Backups that never finished (their markers; nothing else of theirs is named).
    pub incomplete_removed: Vec<String>,
    pub objects_removed: u64,
    pub bytes_freed: u64,
    pub dry_run: bool,
}

impl Repo {
    /// Apply a retention policy, under the repository's lock (so no backup is under way: the
    /// markers of those that never finished are removed too), then remove the objects no kept
    /// backup names, and the temporary files of runs that died.
    pub fn prune(&mut self, policy: Policy, dry_run: bool) -> Result<Pruned> {
        if policy.is_empty() {
            return Err(Error::usage(
                "prune needs at least one of --keep-last, --keep-daily, --keep-weekly, --keep-monthly",
            ));
        }
        let _lock = self.lock()?;
        let mut complete: Vec<Manifest> = Vec::new();
        let mut out = Pruned { dry_run, ..Default::default() };
        for (id, done) in self.ids()? {
            if done {
                complete.push(self.manifest(&id)?);
            } else {
                out.incomplete_removed.push(id);
            }
        }
        let starts: Vec<(String, i64)> = complete.iter().map(|m| (m.id.clone(), m.started_at)).collect();
        let kept = keep(&starts, policy);
        let mut referenced: HashSet<&str> = HashSet::new();
        for (i, m) in complete.iter().enumerate() {
            if kept.contains(&i) {
                out.kept.push(m.id.clone());
                referenced.extend(m.objects().map(|o| o.sha256.as_str()));
            } else {
                out.removed.push(m.id.clone());
            }
        }
        let mut doomed = Vec::new();
        let objects = self.dir.join("objects");
        for sub in read_dir(&objects)? {
            for path in read_dir(&sub)? {
                let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                // A temporary file (a name starting with '.') of a run that died, or an object no kept
                // backup names.
                if name.starts_with('.') || !referenced.contains(name.as_str()) {
                    doomed.push(path);
                }
            }
        }
        out.objects_removed = doomed.len() as u64;
        out.bytes_freed = doomed.iter().filter_map(|p| std::fs::metadata(p).ok()).map(|m| m.len()).sum();
        if dry_run {
            return Ok(out);
        }
        // The manifests first: once they are gone (and that is durable), nothing names the objects.
        let backups = self.dir.join("backups");
        for id in out.removed.iter() {
            remove(&self.manifest_path(id))?;
        }
        for id in &out.incomplete_removed {
            remove(&self.partial_path(id))?;
        }
        fsutil::sync_dir(&backups)?;
        for path in &doomed {
            remove(path)?;
        }
        Ok(out)
    }
}

impl Manifest {
    /// Every object the backup names: snapshot chunks, message files, other files.
    pub fn objects(&self) -> impl Iterator<Item = &super::ObjectRef> {
        self.tables
            .iter()
            .flat_map(|t| t.chunks.iter())
            .chain(self.messages.iter().map(|m| &m.object))
            .chain(self.files.iter().map(|f| &f.object))
    }
}

fn read_dir(dir: &std::path::Path) -> Result<Vec<std::path::PathBuf>> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io("reading", dir, e))?;
    entries.map(|e| e.map(|e| e.path()).map_err(|e| Error::io("reading", dir, e))).collect()
}

fn remove(path: &std::path::Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::io("removing", path, e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400;

    /// Backups at `(day, hour)` after Monday 2026-11-02 00:00 UTC.
    fn at(days: &[(i64, i64)]) -> Vec<(String, i64)> {
        let monday = 1_793_577_600;
        days.iter().map(|&(d, h)| (format!("b{d}-{h}"), monday + d * DAY + h * 3600)).collect()
    }

    fn kept(backups: &[(String, i64)], p: Policy) -> Vec<String> {
        let mut k: Vec<String> = keep(backups, p).into_iter().map(|i| backups[i].0.clone()).collect();
        k.sort();
        k
    }

    #[test]
    fn the_base_day_is_a_monday() {
        let t = DateTime::from_timestamp(at(&[(0, 0)])[0].1, 0).unwrap();
        assert_eq!(t.weekday(), chrono::Weekday::Mon);
    }

    #[test]
    fn retention_rules_keep_the_newest_of_each_period() {
        // Two backups a day for 40 days.
        let all: Vec<(i64, i64)> = (0..40).flat_map(|d| [(d, 3), (d, 15)]).collect();
        let b = at(&all);
        let cases: &[(Policy, &[&str])] = &[
            (Policy { last: 3, ..Default::default() }, &["b38-15", "b39-15", "b39-3"]),
            (Policy { daily: 2, ..Default::default() }, &["b38-15", "b39-15"]),
            (Policy { last: 1, daily: 2, ..Default::default() }, &["b38-15", "b39-15"]),
            // Weeks start on Monday: day 39 is in the sixth week (days 35..41), day 34 ends the fifth.
            (Policy { weekly: 2, ..Default::default() }, &["b34-15", "b39-15"]),
            // Day 28 is 2026-11-30, the last of its month.
            (Policy { monthly: 3, ..Default::default() }, &["b28-15", "b39-15"]),
        ];
        for (p, want) in cases {
            assert_eq!(kept(&b, *p), want.iter().map(|s| s.to_string()).collect::<Vec<_>>(), "{p:?}");
        }
    }

    #[test]
    fn a_period_without_a_backup_does_not_count() {
        let b = at(&[(0, 1), (10, 1), (20, 1)]);
        assert_eq!(kept(&b, Policy { daily: 2, ..Default::default() }), ["b10-1", "b20-1"]);
    }
}
