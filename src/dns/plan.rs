//! The plan: what to create, update and delete so that a zone holds the desired records,
//! touching only what mailctl owns.
//!
//! Ownership rules:
//! - SOA and NS are never touched.
//! - Where a type other than TXT or CAA is desired at a name (MX at the domain, A at the mail
//!   host, the SRV and CNAME records), mailctl owns that whole record set.
//! - CAA values are shared: mailctl adds its CA's and removes only values it published.
//! - TXT values are owned by kind (SPF, DKIM, DMARC, MTA-STS, TLS-RPT): at a name, mailctl
//!   changes only values of the kinds it wants there; other values (site verification
//!   strings) are kept. A different SPF that mailctl did not publish is a conflict: reported,
//!   left alone, and replaced only with `--replace-spf`.
//! - A record no longer desired is deleted only when mailctl published it (the store keeps
//!   what it published per zone) or when it is the DKIM record of a retired selector.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::records::Record;
use super::value::txt_kind;

/// The records at one name and type, as the zone has them (canonical values).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RrSet {
    pub name: String,
    #[serde(rename = "type")]
    pub rtype: String,
    pub ttl: u32,
    pub values: Vec<String>,
}

/// Records gathered into record sets as a provider lists them: one set per name and type,
/// each value once, the first TTL seen.
#[derive(Debug, Default)]
pub struct Sets {
    sets: Vec<RrSet>,
    index: std::collections::HashMap<(String, String), usize>,
}

impl Sets {
    pub fn add(&mut self, name: String, rtype: String, ttl: u32, value: String) {
        match self.index.get(&(name.clone(), rtype.clone())) {
            Some(&i) if !self.sets[i].values.contains(&value) => self.sets[i].values.push(value),
            Some(_) => {}
            None => {
                self.index.insert((name.clone(), rtype.clone()), self.sets.len());
                self.sets.push(RrSet { name, rtype, ttl, values: vec![value] });
            }
        }
    }

    pub fn into_vec(self) -> Vec<RrSet> {
        self.sets
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Create,
    Update,
    Delete,
}

/// One record set to change: its values before and after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    pub action: Action,
    pub name: String,
    #[serde(rename = "type")]
    pub rtype: String,
    pub ttl: u32,
    pub before_ttl: u32,
    pub before: Vec<String>,
    pub after: Vec<String>,
}

impl Change {
    pub fn added(&self) -> impl Iterator<Item = &String> {
        self.after.iter().filter(|v| !self.before.contains(v))
    }
    pub fn removed(&self) -> impl Iterator<Item = &String> {
        self.before.iter().filter(|v| !self.after.contains(v))
    }
    /// Values in both whose TTL changes.
    pub fn kept(&self) -> impl Iterator<Item = &String> {
        self.after.iter().filter(|v| self.before.contains(v))
    }
}

/// A desired record that was not applied because something else is in the way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Conflict {
    pub name: String,
    #[serde(rename = "type")]
    pub rtype: String,
    pub wanted: Vec<String>,
    pub found: Vec<String>,
    pub reason: String,
}

#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub changes: Vec<Change>,
    pub conflicts: Vec<Conflict>,
}

impl Plan {
    /// (name, type, value) wanted but held back by a conflict.
    pub fn held_back(&self) -> BTreeSet<(String, String, String)> {
        self.conflicts
            .iter()
            .flat_map(|c| c.wanted.iter().map(|v| (c.name.clone(), c.rtype.clone(), v.clone())))
            .collect()
    }
}

/// What mailctl may remove beyond the record sets it wants.
#[derive(Debug, Default)]
pub struct Ownership {
    /// (name, type, value) published by mailctl in this zone before.
    pub published: BTreeSet<(String, String, String)>,
    /// `<selector>._domainkey.<domain>` of retired keys.
    pub retired_dkim: BTreeSet<String>,
    pub replace_spf: bool,
}

impl Ownership {
    /// Every name mailctl manages in the zone: where it wants records, has published them,
    /// or must remove a retired DKIM key's.
    pub fn managed<'a>(&'a self, desired: &'a [Record]) -> BTreeSet<&'a str> {
        desired
            .iter()
            .filter(|r| r.publish)
            .map(|r| r.name.as_str())
            .chain(self.published.iter().map(|(n, _, _)| n.as_str()))
            .chain(self.retired_dkim.iter().map(String::as_str))
            .collect()
    }
}

type Key = (String, String);

pub fn plan(desired: &[Record], current: &[RrSet], own: &Ownership) -> Plan {
    let mut want: BTreeMap<Key, (u32, Vec<String>)> = BTreeMap::new();
    for r in desired.iter().filter(|r| r.publish) {
        let e = want.entry((r.name.clone(), r.rtype.to_string())).or_insert((r.ttl, Vec::new()));
        if !e.1.contains(&r.value) {
            e.1.push(r.value.clone());
        }
    }
    let managed = own.managed(desired);
    let have: BTreeMap<Key, &RrSet> = current
        .iter()
        .filter(|s| s.rtype != "SOA" && s.rtype != "NS" && managed.contains(s.name.as_str()))
        .map(|s| ((s.name.clone(), s.rtype.clone()), s))
        .collect();
    let keys: BTreeSet<&Key> = want.keys().chain(have.keys()).collect();

    let mut p = Plan::default();
    for key in keys {
        let (name, rtype) = key;
        let cur = have.get(key);
        let cur_values: Vec<String> = cur.map(|s| s.values.clone()).unwrap_or_default();
        let ours_before = |v: &String| own.published.contains(&(name.clone(), rtype.clone(), v.clone()));
        let (ttl, wanted) = want.get(key).cloned().unwrap_or((0, Vec::new()));
        let mut after: Vec<String>;
        let mut keeps_foreign = false;
        // Nothing wanted goes beside a CNAME, nor a CNAME beside anything (RFC 1034 §3.6.2).
        if !wanted.is_empty()
            && let Some(reason) = cname_clash(name, rtype, &have, own)
        {
            p.conflicts.push(Conflict {
                name: name.clone(),
                rtype: rtype.clone(),
                wanted: wanted.clone(),
                found: cur_values.clone(),
                reason,
            });
            continue;
        }
        if rtype == "CAA" {
            // CAA is shared: other CAs' and iodef values stay; mailctl adds its CA and removes
            // only values it published.
            after = cur_values.iter().filter(|v| wanted.contains(v) || !ours_before(v)).cloned().collect();
            keeps_foreign = after.iter().any(|v| !wanted.contains(v));
            for w in &wanted {
                if !after.contains(w) {
                    after.push(w.clone());
                }
            }
        } else if rtype == "TXT" {
            let kinds: BTreeSet<&str> = wanted.iter().map(|v| txt_kind(v)).collect();
            after = Vec::new();
            for v in &cur_values {
                let k = txt_kind(v);
                if kinds.contains(k) {
                    continue;
                }
                let drop = k != "other" && (ours_before(v) || (k == "dkim" && own.retired_dkim.contains(name)));
                if !drop {
                    after.push(v.clone());
                    keeps_foreign = true;
                }
            }
            for k in kinds {
                let w: Vec<String> = wanted.iter().filter(|v| txt_kind(v) == k).cloned().collect();
                let c: Vec<String> = cur_values.iter().filter(|v| txt_kind(v) == k).cloned().collect();
                if c.is_empty() || same(&c, &w) {
                    after.extend(w);
                } else if k == "spf" && !own.replace_spf && !c.iter().all(ours_before) {
                    p.conflicts.push(Conflict {
                        name: name.clone(),
                        rtype: rtype.clone(),
                        wanted: w,
                        found: c.clone(),
                        reason: "an SPF record mailctl did not publish is in place (one SPF per name); \
                                 merge it into spf_record, or pass --replace-spf"
                            .into(),
                    });
                    after.extend(c);
                    keeps_foreign = true;
                } else {
                    after.extend(w);
                }
            }
        } else if !wanted.is_empty() {
            after = wanted.clone();
        } else {
            after = cur_values.iter().filter(|v| !ours_before(v)).cloned().collect();
            keeps_foreign = !after.is_empty();
        }

        let before_ttl = cur.map(|s| s.ttl).unwrap_or(0);
        // A record set that keeps values mailctl does not own keeps its TTL.
        let new_ttl = if wanted.is_empty() || (keeps_foreign && cur.is_some()) { before_ttl } else { ttl };
        if cur.is_none() && after.is_empty() {
            continue;
        }
        if same(&after, &cur_values) && (after.is_empty() || new_ttl == before_ttl) {
            continue;
        }
        let action = if cur.is_none() {
            Action::Create
        } else if after.is_empty() {
            Action::Delete
        } else {
            Action::Update
        };
        p.changes.push(Change {
            action,
            name: name.clone(),
            rtype: rtype.clone(),
            ttl: new_ttl,
            before_ttl,
            before: cur_values,
            after,
        });
    }
    p
}

fn same(a: &[String], b: &[String]) -> bool {
    let x: BTreeSet<&String> = a.iter().collect();
    let y: BTreeSet<&String> = b.iter().collect();
    x == y
}

/// A CNAME cannot share its name with other records (RFC 1034 §3.6.2).
fn cname_clash(name: &str, rtype: &str, have: &BTreeMap<Key, &RrSet>, own: &Ownership) -> Option<String> {
    let others: Vec<&str> = have
        .iter()
        .filter(|((n, t), s)| {
            n == name
                && t != rtype
                && !s.values.iter().all(|v| own.published.contains(&(n.clone(), t.clone(), v.clone())))
        })
        .map(|((_, t), _)| t.as_str())
        .collect();
    if rtype == "CNAME" && !others.is_empty() {
        Some(format!("{name} already has {} records; a CNAME cannot sit beside them", others.join(", ")))
    } else if rtype != "CNAME" && others.contains(&"CNAME") {
        Some(format!("{name} is a CNAME; {rtype} records cannot sit beside it"))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(name: &str, rtype: &'static str, value: &str) -> Record {
        Record {
            name: name.into(),
            rtype,
            ttl: 3600,
            value: value.into(),
            purpose: "test",
            required: true,
            publish: true,
            note: None,
        }
    }
    fn set(name: &str, rtype: &str, ttl: u32, values: &[&str]) -> RrSet {
        RrSet { name: name.into(), rtype: rtype.into(), ttl, values: values.iter().map(|v| v.to_string()).collect() }
    }
    fn owned(items: &[(&str, &str, &str)]) -> Ownership {
        Ownership {
            published: items.iter().map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string())).collect(),
            ..Default::default()
        }
    }
    fn summary(p: &Plan) -> Vec<String> {
        p.changes
            .iter()
            .map(|c| format!("{:?} {} {} {:?}->{:?} ttl {}", c.action, c.name, c.rtype, c.before, c.after, c.ttl))
            .collect()
    }

    const SPF: &str = "v=spf1 mx ~all";

    #[test]
    fn table() {
        struct Case {
            what: &'static str,
            desired: Vec<Record>,
            current: Vec<RrSet>,
            own: Ownership,
            changes: Vec<&'static str>,
            conflicts: usize,
        }
        let cases = vec![
            Case {
                what: "create into an empty zone; SOA and NS untouched",
                desired: vec![rec("a.test", "MX", "10 mail.a.test"), rec("a.test", "TXT", SPF)],
                current: vec![
                    set("a.test", "SOA", 3600, &["ns1 x 1 2 3 4 5"]),
                    set("a.test", "NS", 3600, &["ns1.a.test"]),
                ],
                own: Ownership::default(),
                changes: vec![
                    "Create a.test MX []->[\"10 mail.a.test\"] ttl 3600",
                    "Create a.test TXT []->[\"v=spf1 mx ~all\"] ttl 3600",
                ],
                conflicts: 0,
            },
            Case {
                what: "a second run with nothing changed plans nothing",
                desired: vec![rec("a.test", "MX", "10 mail.a.test"), rec("a.test", "TXT", SPF)],
                current: vec![set("a.test", "MX", 3600, &["10 mail.a.test"]), set("a.test", "TXT", 3600, &[SPF])],
                own: Ownership::default(),
                changes: vec![],
                conflicts: 0,
            },
            Case {
                what: "an owned record set is replaced (foreign MX included) and its TTL set",
                desired: vec![rec("a.test", "MX", "10 mail.a.test")],
                current: vec![set("a.test", "MX", 300, &["10 old.example.net", "20 backup.example.net"])],
                own: Ownership::default(),
                changes: vec![
                    "Update a.test MX [\"10 old.example.net\", \"20 backup.example.net\"]->[\"10 mail.a.test\"] ttl 3600",
                ],
                conflicts: 0,
            },
            Case {
                what: "foreign TXT kept beside ours, with its TTL",
                desired: vec![rec("a.test", "TXT", SPF)],
                current: vec![set("a.test", "TXT", 300, &["google-site-verification=xyz"])],
                own: Ownership::default(),
                changes: vec![
                    "Update a.test TXT [\"google-site-verification=xyz\"]->[\"google-site-verification=xyz\", \"v=spf1 mx ~all\"] ttl 300",
                ],
                conflicts: 0,
            },
            Case {
                what: "foreign SPF is a conflict and is left alone",
                desired: vec![rec("a.test", "TXT", SPF)],
                current: vec![set("a.test", "TXT", 3600, &["v=spf1 include:_spf.google.com ~all", "verify=1"])],
                own: Ownership::default(),
                changes: vec![],
                conflicts: 1,
            },
            Case {
                what: "foreign SPF replaced with --replace-spf, other TXT kept",
                desired: vec![rec("a.test", "TXT", SPF)],
                current: vec![set("a.test", "TXT", 3600, &["v=spf1 include:_spf.google.com ~all", "verify=1"])],
                own: Ownership { replace_spf: true, ..Default::default() },
                changes: vec![
                    "Update a.test TXT [\"v=spf1 include:_spf.google.com ~all\", \"verify=1\"]->[\"verify=1\", \"v=spf1 mx ~all\"] ttl 3600",
                ],
                conflicts: 0,
            },
            Case {
                what: "our own earlier SPF is updated without --replace-spf",
                desired: vec![rec("a.test", "TXT", "v=spf1 mx ip4:192.0.2.2 ~all")],
                current: vec![set("a.test", "TXT", 3600, &["v=spf1 mx ip4:192.0.2.1 ~all"])],
                own: owned(&[("a.test", "TXT", "v=spf1 mx ip4:192.0.2.1 ~all")]),
                changes: vec![
                    "Update a.test TXT [\"v=spf1 mx ip4:192.0.2.1 ~all\"]->[\"v=spf1 mx ip4:192.0.2.2 ~all\"] ttl 3600",
                ],
                conflicts: 0,
            },
            Case {
                what: "a record we published and no longer want is deleted; a foreign one at the same name stays",
                desired: vec![rec("a.test", "MX", "10 mail.a.test")],
                current: vec![
                    set("a.test", "MX", 3600, &["10 mail.a.test"]),
                    set("mail.a.test", "AAAA", 3600, &["2001:db8::1"]),
                    set("www.a.test", "A", 3600, &["192.0.2.80"]),
                    set("mail.a.test", "TXT", 3600, &["v=spf1 a -all", "keep-me"]),
                ],
                own: owned(&[("mail.a.test", "AAAA", "2001:db8::1"), ("mail.a.test", "TXT", "v=spf1 a -all")]),
                changes: vec![
                    "Delete mail.a.test AAAA [\"2001:db8::1\"]->[] ttl 3600",
                    "Update mail.a.test TXT [\"v=spf1 a -all\", \"keep-me\"]->[\"keep-me\"] ttl 3600",
                ],
                conflicts: 0,
            },
            Case {
                what: "a retired DKIM selector's record is deleted even if not in the published state",
                desired: vec![],
                current: vec![set("old._domainkey.a.test", "TXT", 3600, &["v=DKIM1; k=rsa; p=AAAA"])],
                own: Ownership { retired_dkim: ["old._domainkey.a.test".to_string()].into(), ..Default::default() },
                changes: vec!["Delete old._domainkey.a.test TXT [\"v=DKIM1; k=rsa; p=AAAA\"]->[] ttl 3600"],
                conflicts: 0,
            },
            Case {
                what: "unrelated names are never looked at",
                desired: vec![],
                current: vec![set("www.a.test", "A", 60, &["192.0.2.80"]), set("a.test", "TXT", 60, &["v=spf1 -all"])],
                own: Ownership::default(),
                changes: vec![],
                conflicts: 0,
            },
            Case {
                what: "TTL change alone is an update",
                desired: vec![rec("a.test", "MX", "10 mail.a.test")],
                current: vec![set("a.test", "MX", 300, &["10 mail.a.test"])],
                own: Ownership::default(),
                changes: vec!["Update a.test MX [\"10 mail.a.test\"]->[\"10 mail.a.test\"] ttl 3600"],
                conflicts: 0,
            },
            Case {
                what: "a CNAME is not put beside a foreign A",
                desired: vec![rec("autoconfig.a.test", "CNAME", "mail.a.test")],
                current: vec![set("autoconfig.a.test", "A", 3600, &["192.0.2.9"])],
                own: Ownership::default(),
                changes: vec![],
                conflicts: 1,
            },
            Case {
                what: "CAA is shared: another CA and iodef stay",
                desired: vec![rec("mail.a.test", "CAA", "0 issue \"letsencrypt.org\"")],
                current: vec![set("mail.a.test", "CAA", 300, &["0 issue \"other.ca\"", "0 iodef \"mailto:x@a.test\""])],
                own: Ownership::default(),
                changes: vec![
                    "Update mail.a.test CAA [\"0 issue \\\"other.ca\\\"\", \"0 iodef \\\"mailto:x@a.test\\\"\"]->[\"0 issue \\\"other.ca\\\"\", \"0 iodef \\\"mailto:x@a.test\\\"\", \"0 issue \\\"letsencrypt.org\\\"\"] ttl 300",
                ],
                conflicts: 0,
            },
            Case {
                what: "no TXT beside a foreign CNAME (a DMARC service)",
                desired: vec![rec("_dmarc.a.test", "TXT", "v=DMARC1; p=none")],
                current: vec![set("_dmarc.a.test", "CNAME", 300, &["dmarc.service.test"])],
                own: Ownership::default(),
                changes: vec![],
                conflicts: 1,
            },
            Case {
                what: "records marked not to publish (PTR) are left out",
                desired: vec![Record { publish: false, ..rec("1.2.0.192.in-addr.arpa", "PTR", "mail.a.test") }],
                current: vec![],
                own: Ownership::default(),
                changes: vec![],
                conflicts: 0,
            },
        ];
        for c in cases {
            let p = plan(&c.desired, &c.current, &c.own);
            assert_eq!(summary(&p), c.changes, "{}", c.what);
            assert_eq!(p.conflicts.len(), c.conflicts, "{}: {:?}", c.what, p.conflicts);
        }
    }
}
