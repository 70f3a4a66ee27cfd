//! THREAD (RFC 5256 §3): ORDEREDSUBJECT and REFERENCES over the sort fields stored with each
//! message ([`super::sort::Fields`]), and the thread list writer. Pure: the caller gives the
//! matching messages with their numbers (sequence numbers or UIDs) in mailbox order.

use std::collections::HashMap;

use super::lexer::{Cursor, PResult, bad};
use super::sort::Fields;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    OrderedSubject,
    References,
}

pub fn algorithm(c: &mut Cursor) -> PResult<Algorithm> {
    match c.atom()?.to_ascii_uppercase().as_str() {
        "ORDEREDSUBJECT" => Ok(Algorithm::OrderedSubject),
        "REFERENCES" => Ok(Algorithm::References),
        _ => bad("unknown THREAD algorithm"),
    }
}

/// One message to thread: the number to answer with, its sent date (Date:, else arrival)
/// and its fields. Given in mailbox order, which breaks ties of dates.
pub struct Msg<'a> {
    pub num: u32,
    pub date: i64,
    pub fields: &'a Fields,
}

/// A thread: a message (None for a dummy that holds siblings whose parent is missing) and
/// its replies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub num: Option<u32>,
    pub children: Vec<Node>,
}

pub fn thread(algorithm: Algorithm, msgs: &[Msg<'_>]) -> Vec<Node> {
    match algorithm {
        Algorithm::OrderedSubject => ordered_subject(msgs),
        Algorithm::References => references(msgs),
    }
}

/// Sorted by (base subject, date, mailbox order); each subject is one thread whose first
/// message is the parent of all the others (RFC 5256 §3, ORDEREDSUBJECT); threads in the
/// order of their first message's date.
fn ordered_subject(msgs: &[Msg<'_>]) -> Vec<Node> {
    let mut order: Vec<usize> = (0..msgs.len()).collect();
    order.sort_by(|&a, &b| (&msgs[a].fields.subject, msgs[a].date, a).cmp(&(&msgs[b].fields.subject, msgs[b].date, b)));
    let mut threads: Vec<(i64, usize, Node)> = Vec::new();
    let mut last_subject: Option<&str> = None;
    for i in order {
        let m = &msgs[i];
        let leaf = Node { num: Some(m.num), children: Vec::new() };
        match threads.last_mut() {
            Some(t) if last_subject == Some(m.fields.subject.as_str()) => t.2.children.push(leaf),
            _ => threads.push((m.date, i, leaf)),
        }
        last_subject = Some(m.fields.subject.as_str());
    }
    threads.sort_by_key(|t| (t.0, t.1));
    threads.into_iter().map(|t| t.2).collect()
}

/// A container of the REFERENCES algorithm: a message-id's place in the tree.
#[derive(Default)]
struct Container {
    msg: Option<usize>,
    parent: Option<usize>,
    children: Vec<usize>,
}

struct Tree {
    boxes: Vec<Container>,
}

impl Tree {
    fn is_ancestor(&self, a: usize, mut b: usize) -> bool {
        // Bounded by the number of containers, so a damaged tree cannot loop.
        for _ in 0..=self.boxes.len() {
            if a == b {
                return true;
            }
            match self.boxes[b].parent {
                Some(p) => b = p,
                None => return false,
            }
        }
        true
    }

    fn unlink(&mut self, child: usize) {
        if let Some(p) = self.boxes[child].parent.take() {
            self.boxes[p].children.retain(|&c| c != child);
        }
    }

    fn link(&mut self, parent: usize, child: usize) {
        if self.is_ancestor(child, parent) {
            return; // would make a loop
        }
        self.unlink(child);
        self.boxes[child].parent = Some(parent);
        self.boxes[parent].children.push(child);
    }
}

/// RFC 5256 §3, REFERENCES (after Jamie Zawinski's algorithm).
fn references(msgs: &[Msg<'_>]) -> Vec<Node> {
    let mut tree = Tree { boxes: Vec::new() };
    let container = |tree: &mut Tree, id: &str, by_id: &mut HashMap<String, usize>| -> usize {
        if let Some(&c) = by_id.get(id) {
            return c;
        }
        tree.boxes.push(Container::default());
        by_id.insert(id.to_string(), tree.boxes.len() - 1);
        tree.boxes.len() - 1
    };
    let mut ids: HashMap<String, usize> = HashMap::new();
    for (i, m) in msgs.iter().enumerate() {
        // (1B) The message's own container; a missing or duplicate Message-ID gets its own.
        let own = match m.fields.message_id.as_str() {
            "" => None,
            id => Some(container(&mut tree, id, &mut ids)),
        };
        let own = match own {
            Some(c) if tree.boxes[c].msg.is_none() => c,
            _ => {
                tree.boxes.push(Container::default());
                tree.boxes.len() - 1
            }
        };
        tree.boxes[own].msg = Some(i);
        // (1A) Link the references in order, without changing links already made.
        let refs: Vec<&str> = if m.fields.references.is_empty() {
            m.fields.in_reply_to.iter().take(1).map(String::as_str).collect()
        } else {
            m.fields.references.iter().map(String::as_str).collect()
        };
        let mut prev: Option<usize> = None;
        for r in &refs {
            let c = container(&mut tree, r, &mut ids);
            if let Some(p) = prev
                && tree.boxes[c].parent.is_none()
                && c != p
            {
                tree.link(p, c);
            }
            prev = Some(c);
        }
        // (1C) The message's parent is its last reference (or none).
        match prev {
            Some(p) if p != own => tree.link(p, own),
            _ => tree.unlink(own),
        }
    }
    // (2) The root set; (3) dummies pruned.
    let roots: Vec<usize> = (0..tree.boxes.len()).filter(|&c| tree.boxes[c].parent.is_none()).collect();
    let mut nodes: Vec<Node> = roots.iter().flat_map(|&r| prune(&tree, msgs, r, true)).collect();
    let msgs = Msgs::new(msgs);
    // (4) Roots by date; (6) children by date, recursively.
    for n in nodes.iter_mut() {
        sort_children(n, &msgs);
    }
    nodes.sort_by_key(|n| first_date(n, &msgs));
    // (5) Roots with the same base subject grouped.
    group_by_subject(nodes, &msgs)
}

/// A container as nodes: itself, or (a dummy) its children promoted, except at the root
/// where a dummy with several children stays.
fn prune(tree: &Tree, msgs: &[Msg<'_>], c: usize, at_root: bool) -> Vec<Node> {
    let children: Vec<Node> = tree.boxes[c].children.iter().flat_map(|&k| prune(tree, msgs, k, false)).collect();
    match tree.boxes[c].msg {
        Some(i) => vec![Node { num: Some(msgs[i].num), children }],
        None if children.is_empty() => Vec::new(),
        None if !at_root || children.len() == 1 => children,
        None => vec![Node { num: None, children }],
    }
}

/// The messages, with each number's position found in constant time (sorting children asks
/// for it at every comparison).
struct Msgs<'a, 'b> {
    list: &'a [Msg<'b>],
    pos: HashMap<u32, usize>,
}

impl<'a, 'b> Msgs<'a, 'b> {
    fn new(list: &'a [Msg<'b>]) -> Self {
        Msgs { list, pos: list.iter().enumerate().map(|(i, m)| (m.num, i)).collect() }
    }

    fn index_of(&self, num: u32) -> usize {
        self.pos.get(&num).copied().unwrap_or(0)
    }
}

/// (date, mailbox order) of a node's message, or of its first child for a dummy.
fn first_date(n: &Node, msgs: &Msgs<'_, '_>) -> (i64, usize) {
    match n.num {
        Some(num) => {
            let i = msgs.index_of(num);
            (msgs.list[i].date, i)
        }
        None => n.children.first().map(|c| first_date(c, msgs)).unwrap_or((i64::MAX, usize::MAX)),
    }
}

fn sort_children(n: &mut Node, msgs: &Msgs<'_, '_>) {
    for c in n.children.iter_mut() {
        sort_children(c, msgs);
    }
    n.children.sort_by_key(|c| first_date(c, msgs));
}

fn subject_of<'a>(n: &Node, msgs: &Msgs<'a, '_>) -> (&'a str, bool) {
    match n.num {
        Some(num) => {
            let f = msgs.list[msgs.index_of(num)].fields;
            (&f.subject, f.subject_reply)
        }
        None => n.children.first().map(|c| subject_of(c, msgs)).unwrap_or(("", false)),
    }
}

/// RFC 5256 §3 REFERENCES step 5: roots that share a base subject become one thread.
fn group_by_subject(roots: Vec<Node>, msgs: &Msgs<'_, '_>) -> Vec<Node> {
    let mut out: Vec<Node> = Vec::new();
    let mut table: HashMap<String, usize> = HashMap::new();
    for n in roots {
        let (subject, reply) = subject_of(&n, msgs);
        let Some(&at) = table.get(subject).filter(|_| !subject.is_empty()) else {
            if !subject.is_empty() {
                table.insert(subject.to_string(), out.len());
            }
            out.push(n);
            continue;
        };
        let existing = &mut out[at];
        let (_, existing_reply) = subject_of(existing, msgs);
        match (existing.num.is_none(), n.num.is_none()) {
            // Both dummies: one set of children.
            (true, true) => existing.children.extend(n.children),
            // The dummy takes the message.
            (true, false) => existing.children.push(n),
            (false, true) => {
                let mut d = n;
                d.children.push(std::mem::replace(existing, Node { num: None, children: Vec::new() }));
                *existing = d;
            }
            // A reply goes under the original.
            (false, false) if !existing_reply && reply => existing.children.push(n),
            _ => {
                let old = std::mem::replace(existing, Node { num: None, children: Vec::new() });
                existing.children = vec![old, n];
            }
        }
        // The subtrees merged are sorted already: only this level's order changed.
        existing.children.sort_by_key(|c| first_date(c, msgs));
    }
    out
}

/// `* THREAD` data: each thread as RFC 5256 §4 writes it, `(1 2 (3)(4 5))`.
pub fn write(threads: &[Node], out: &mut Vec<u8>) {
    for t in threads {
        out.push(b'(');
        members(t, out);
        out.push(b')');
    }
}

fn members(n: &Node, out: &mut Vec<u8>) {
    let mut n = n;
    loop {
        if let Some(num) = n.num {
            out.extend_from_slice(num.to_string().as_bytes());
        }
        match n.children.as_slice() {
            [] => return,
            [only] if n.num.is_some() => {
                out.push(b' ');
                n = only;
            }
            many => {
                if n.num.is_some() {
                    out.push(b' ');
                }
                for c in many {
                    out.push(b'(');
                    members(c, out);
                    out.push(b')');
                }
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(subject: &str, reply: bool, id: &str, refs: &[&str]) -> Fields {
        Fields {
            subject: subject.into(),
            subject_reply: reply,
            message_id: id.into(),
            references: refs.iter().map(|r| r.to_string()).collect(),
            ..Default::default()
        }
    }

    fn run(algorithm: Algorithm, fs: &[(Fields, i64)]) -> String {
        let msgs: Vec<Msg<'_>> =
            fs.iter().enumerate().map(|(i, (f, date))| Msg { num: i as u32 + 1, date: *date, fields: f }).collect();
        let mut out = Vec::new();
        write(&thread(algorithm, &msgs), &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn references_builds_trees_from_the_ids() {
        type Case = (&'static str, Vec<(Fields, i64)>, &'static str);
        let cases: Vec<Case> = vec![
            ("one message", vec![(fields("a", false, "1@x", &[]), 1)], "(1)"),
            (
                "a chain",
                vec![
                    (fields("a", false, "1@x", &[]), 1),
                    (fields("a", true, "2@x", &["1@x"]), 2),
                    (fields("a", true, "3@x", &["1@x", "2@x"]), 3),
                ],
                "(1 2 3)",
            ),
            (
                "two replies to one",
                vec![
                    (fields("a", false, "1@x", &[]), 1),
                    (fields("a", true, "2@x", &["1@x"]), 3),
                    (fields("a", true, "3@x", &["1@x"]), 2),
                ],
                "(1 (3)(2))",
            ),
            (
                "siblings of a missing parent stay together under a dummy",
                vec![(fields("p", true, "2@x", &["gone@x"]), 1), (fields("q", true, "3@x", &["gone@x"]), 2)],
                "((1)(2))",
            ),
            (
                "unrelated messages with one subject are grouped by it, reply under original",
                vec![(fields("s", true, "2@x", &[]), 2), (fields("s", false, "1@x", &[]), 1)],
                "(2 1)",
            ),
            (
                "a loop in References is not followed",
                vec![(fields("a", false, "1@x", &["2@x"]), 1), (fields("b", false, "2@x", &["1@x"]), 2)],
                "(2 1)",
            ),
            (
                "duplicate Message-IDs are two messages",
                vec![(fields("a", false, "1@x", &[]), 1), (fields("b", false, "1@x", &[]), 2)],
                "(1)(2)",
            ),
            ("no Message-ID", vec![(fields("a", false, "", &[]), 2), (fields("b", false, "", &[]), 1)], "(2)(1)"),
        ];
        for (what, msgs, want) in cases {
            assert_eq!(run(Algorithm::References, &msgs), want, "{what}");
        }
    }

    #[test]
    fn ordered_subject_groups_by_subject_under_the_first() {
        let msgs = vec![
            (fields("b", false, "", &[]), 5),
            (fields("a", false, "", &[]), 3),
            (fields("a", true, "", &[]), 4),
            (fields("a", true, "", &[]), 9),
            (fields("c", false, "", &[]), 1),
        ];
        assert_eq!(run(Algorithm::OrderedSubject, &msgs), "(5)(2 (3)(4))(1)");
    }

    #[test]
    fn the_writer_follows_rfc_5256_section_4() {
        let leaf = |n| Node { num: Some(n), children: vec![] };
        let t = Node {
            num: Some(3),
            children: vec![Node {
                num: Some(6),
                children: vec![
                    Node { num: Some(4), children: vec![leaf(23)] },
                    Node { num: Some(44), children: vec![Node { num: Some(7), children: vec![leaf(96)] }] },
                ],
            }],
        };
        let mut out = Vec::new();
        write(&[leaf(2), t], &mut out);
        assert_eq!(out, b"(2)(3 6 (4 23)(44 7 96))");
        let mut out = Vec::new();
        write(&[Node { num: None, children: vec![leaf(3), leaf(5)] }], &mut out);
        assert_eq!(out, b"((3)(5))");
    }
}
