//! The full-text index: derived data under `<data_dir>/fts/` (tantivy), never backed up,
//! rebuilt from the Maildirs whenever it is missing or asked for. It answers one question:
//! which messages may contain a search string. The answer is a superset (`terms.rs` says
//! why); the substring rule on the file decides, so a search answers what a scan would.
//!
//! One document per message: its key (mailbox id and UID), mailbox, account, whether it has a
//! term too long to keep, and its terms (no positions, no frequencies: only which documents
//! hold a term). How far each mailbox is indexed (its `Mark`) is kept in `marks.json`,
//! written after each commit; a message above its mailbox's mark is a candidate of every
//! search, so an index that lags behind delivery never hides mail. Only the process that
//! holds tantivy's writer lock (`serve`'s indexer) writes; others ask it to rebuild through a
//! request file.
//!
//! The index has a thread of its own at the lowest CPU priority (nice 19), where it is opened
//! (so tantivy's indexing and merge threads, started from there, inherit the priority) and
//! where the indexer builds documents and commits (`Fts::background`): indexing is catch-up
//! work that a lagging index never makes wrong, so under load it takes only the CPU that
//! serving mail leaves. Searches read on the caller's thread.

pub mod terms;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

use serde::{Deserialize, Serialize};
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::Column;
use tantivy::query::{BooleanQuery, EmptyQuery, Occur, Query, RegexQuery, TermQuery};
use tantivy::schema::{FAST, Field, INDEXED, IndexRecordOption, Schema, TextFieldIndexing, TextOptions};
use tantivy::tokenizer::{SimpleTokenizer, TextAnalyzer};
use tantivy::{DocId, Index, IndexReader, IndexWriter, ReloadPolicy, Score, SegmentReader, TantivyDocument, Term};

use crate::error::{Error, Kind, Result};
use terms::Pattern;

const TOKENIZER: &str = "mailctl_terms";
const MARKS: &str = "marks.json";
const REBUILD: &str = "rebuild";
/// The writer's memory for documents not yet committed (one thread).
const WRITER_MEMORY: usize = 32 << 20;

/// The index's directory in a data directory.
pub fn dir(data_dir: &Path) -> PathBuf {
    data_dir.join("fts")
}

/// How far a mailbox is indexed: every message up to `uid`, every expunge up to `modseq`,
/// for the mailbox with this UIDVALIDITY.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mark {
    pub uidvalidity: i64,
    pub uid: i64,
    pub modseq: i64,
}

/// A message's document.
pub struct Doc {
    pub mailbox: i64,
    pub account: i64,
    pub uid: i64,
    /// Its terms, space-separated (`terms::terms`).
    pub terms: String,
    pub long: bool,
}

/// One commit's worth of changes.
#[derive(Default)]
pub struct Batch {
    pub forget_mailboxes: Vec<i64>,
    pub forget: Vec<(i64, i64)>,
    pub add: Vec<Doc>,
    /// New marks; None forgets a mailbox's mark.
    pub marks: Vec<(i64, Option<Mark>)>,
}

impl Batch {
    pub fn is_empty(&self) -> bool {
        self.forget_mailboxes.is_empty() && self.forget.is_empty() && self.add.is_empty() && self.marks.is_empty()
    }
}

/// Where to search.
#[derive(Debug, Clone, Copy)]
pub enum Scope {
    Mailbox(i64),
    Account(i64),
}

/// What a rebuild request asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rebuild {
    All,
    Accounts(Vec<i64>),
}

struct Fields {
    key: Field,
    mailbox: Field,
    account: Field,
    long: Field,
    text: Field,
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let key = b.add_u64_field("key", INDEXED | FAST);
    let mailbox = b.add_u64_field("mailbox", INDEXED);
    let account = b.add_u64_field("account", INDEXED);
    let long = b.add_u64_field("long", INDEXED);
    let indexing = TextFieldIndexing::default().set_tokenizer(TOKENIZER).set_index_option(IndexRecordOption::Basic);
    let text = b.add_text_field("text", TextOptions::default().set_indexing_options(indexing));
    (b.build(), Fields { key, mailbox, account, long, text })
}

fn key(mailbox: i64, uid: i64) -> u64 {
    ((mailbox as u64) << 32) | (uid as u64 & 0xffff_ffff)
}

fn unkey(k: u64) -> (i64, i64) {
    ((k >> 32) as i64, (k & 0xffff_ffff) as i64)
}

fn fault(what: &str, e: impl std::fmt::Display) -> Error {
    Error::new(Kind::Io, format!("full-text index: {what}: {e}"))
}

fn thread_gone() -> Error {
    Error::new(Kind::Internal, "full-text index: its thread stopped (a panic while indexing; see the log)")
}

type Job = Box<dyn FnOnce() + Send>;

/// The index's own thread, at nice 19; it ends when the last `Fts` holding it is gone.
#[derive(Clone)]
struct IndexThread {
    jobs: std::sync::mpsc::Sender<Job>,
}

impl IndexThread {
    fn start() -> Result<IndexThread> {
        let (jobs, queue) = std::sync::mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("mailctl-fts".into())
            .spawn(move || {
                crate::placement::anywhere();
                lower_priority();
                for job in queue {
                    // A panicking job drops its reply: its caller gets an error, the thread goes on.
                    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                }
            })
            .map_err(|e| fault("start its thread", e))?;
        Ok(IndexThread { jobs })
    }

    fn send(&self, job: Job) -> Result<()> {
        self.jobs.send(job).map_err(|_| thread_gone())
    }

    /// Run `f` there and wait for it on this thread.
    fn call<R: Send + 'static>(&self, f: impl FnOnce() -> R + Send + 'static) -> Result<R> {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        self.send(Box::new(move || {
            let _ = tx.send(f());
        }))?;
        rx.recv().map_err(|_| thread_gone())
    }
}

/// Nice 19 for the calling thread only (Linux's nice is per thread, and threads it starts
/// inherit it). Raising one's own nice needs no privilege; if it fails, indexing runs at
/// normal priority, which is only slower for the others.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: setpriority with this thread's own id changes only its scheduling weight.
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, libc::gettid() as libc::id_t, 19);
    }
}

pub struct Fts {
    dir: PathBuf,
    reader: IndexReader,
    writer: Mutex<IndexWriter>,
    fields: Fields,
    marks: RwLock<HashMap<i64, Mark>>,
    thread: IndexThread,
}

impl Fts {
    /// Open (or create) the index of a data directory for writing, on its own thread; None
    /// when another process holds it. An index that cannot be opened (damaged, or from
    /// another version) is removed and made again empty: it is derived data.
    pub fn open(data_dir: &Path) -> Result<Option<Arc<Fts>>> {
        let dir = dir(data_dir);
        let thread = IndexThread::start()?;
        let own = thread.clone();
        let opened = thread.call(move || match Self::open_dir(&dir, own.clone()) {
            Ok(f) => Ok(f),
            Err(e) if e.kind == Kind::TempFail => Err(e),
            Err(e) => {
                tracing::warn!(error = %e.one_line(), dir = %dir.display(), "full-text index unreadable: made again");
                std::fs::remove_dir_all(&dir).map_err(|e| Error::io("remove", &dir, e))?;
                Self::open_dir(&dir, own)
            }
        })??;
        Ok(opened.map(Arc::new))
    }

    /// Run `f` on the index's thread (nice 19) and wait for it: building documents and
    /// `apply`, so that indexing yields the CPU to everything else.
    pub async fn background<R: Send + 'static>(
        self: &Arc<Self>,
        f: impl FnOnce(&Fts) -> R + Send + 'static,
    ) -> Result<R> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let me = Arc::clone(self);
        self.thread.send(Box::new(move || {
            let r = f(&me);
            // Before the caller hears: a caller that drops the last `Fts` next finds the
            // writer's lock released.
            drop(me);
            let _ = tx.send(r);
        }))?;
        rx.await.map_err(|_| thread_gone())
    }

    fn open_dir(dir: &Path, thread: IndexThread) -> Result<Option<Fts>> {
        crate::fsutil::create_private_dir(dir)?;
        let (schema, fields) = schema();
        let mmap = tantivy::directory::MmapDirectory::open(dir).map_err(|e| fault("open", e))?;
        let index = Index::open_or_create(mmap, schema).map_err(|e| fault("open", e))?;
        index.tokenizers().register(TOKENIZER, TextAnalyzer::from(SimpleTokenizer::default()));
        let writer = match index.writer_with_num_threads(1, WRITER_MEMORY) {
            Ok(w) => w,
            Err(tantivy::TantivyError::LockFailure(..)) => return Ok(None),
            Err(e) => return Err(fault("open for writing", e)),
        };
        let reader =
            index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into().map_err(|e| fault("read", e))?;
        let marks = match std::fs::read(dir.join(MARKS)) {
            Ok(b) => serde_json::from_slice(&b).map_err(|e| fault("marks", e))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => HashMap::new(),
            Err(e) => return Err(Error::io("read", &dir.join(MARKS), e)),
        };
        Ok(Some(Fts {
            dir: dir.to_path_buf(),
            reader,
            writer: Mutex::new(writer),
            fields,
            marks: RwLock::new(marks),
            thread,
        }))
    }

    pub fn mark(&self, mailbox: i64) -> Option<Mark> {
        self.marks.read().expect("marks").get(&mailbox).copied()
    }

    pub fn marks(&self) -> HashMap<i64, Mark> {
        self.marks.read().expect("marks").clone()
    }

    /// Write a batch: deletions first, then the new documents, one commit, then the marks.
    /// A crash before the marks are saved indexes those messages again (each add replaces
    /// its key), never skips one. The server calls it through `background`: a commit started
    /// on another thread starts tantivy's next indexing thread at that thread's priority.
    pub fn apply(&self, batch: Batch) -> Result<()> {
        if batch.is_empty() {
            return Ok(());
        }
        // Marks that go or go down go first: a mark names documents as present, so until the
        // commit is visible a search must not trust it for what this batch deletes (without a
        // mark, every message of the mailbox is a candidate, read from its file). The map is
        // changed on a copy and swapped in, so searches never wait for this (low-priority)
        // thread; only this thread writes the marks.
        let mut marks = self.marks();
        let lowered: Vec<i64> = batch
            .forget_mailboxes
            .iter()
            .copied()
            .chain(batch.marks.iter().filter(|(m, new)| lowers(marks.get(m), new.as_ref())).map(|(m, _)| *m))
            .collect();
        let mut any_lowered = false;
        for m in lowered {
            any_lowered |= marks.remove(&m).is_some();
        }
        if any_lowered {
            self.swap_marks(marks.clone());
        }
        let f = &self.fields;
        let mut w = self.writer.lock().expect("fts writer");
        for m in &batch.forget_mailboxes {
            w.delete_term(Term::from_field_u64(f.mailbox, *m as u64));
        }
        for (m, uid) in &batch.forget {
            w.delete_term(Term::from_field_u64(f.key, key(*m, *uid)));
        }
        for d in &batch.add {
            w.delete_term(Term::from_field_u64(f.key, key(d.mailbox, d.uid)));
            let mut doc = TantivyDocument::default();
            doc.add_u64(f.key, key(d.mailbox, d.uid));
            doc.add_u64(f.mailbox, d.mailbox as u64);
            doc.add_u64(f.account, d.account as u64);
            doc.add_u64(f.long, d.long as u64);
            doc.add_text(f.text, &d.terms);
            w.add_document(doc).map_err(|e| fault("add", e))?;
        }
        w.commit().map_err(|e| fault("commit", e))?;
        drop(w);
        self.reader.reload().map_err(|e| fault("reload", e))?;
        for (m, mark) in batch.marks {
            match mark {
                Some(mark) => marks.insert(m, mark),
                None => marks.remove(&m),
            };
        }
        let json = serde_json::to_vec(&marks).map_err(|e| fault("marks", e))?;
        self.swap_marks(marks);
        crate::fsutil::write_atomic(&self.dir.join(MARKS), &json, 0o600)
    }

    /// `apply` on the index's thread.
    pub async fn write(self: &Arc<Self>, batch: Batch) -> Result<()> {
        self.background(move |f| f.apply(batch)).await?
    }

    /// Put in new marks; the old map is dropped after the lock is released.
    fn swap_marks(&self, marks: HashMap<i64, Mark>) {
        let old = std::mem::replace(&mut *self.marks.write().expect("marks"), marks);
        drop(old);
    }

    /// The messages of `scope` that may contain every needle: their (mailbox, UID), in no
    /// order. None when the needles narrow nothing (every message is a candidate).
    pub fn candidates(&self, scope: Scope, needles: &[&str]) -> Result<Option<Vec<(i64, i64)>>> {
        let mut parts: Vec<Box<dyn Query>> = Vec::new();
        for needle in needles {
            for p in terms::patterns(needle) {
                parts.push(self.pattern_query(&p)?);
            }
        }
        if parts.is_empty() {
            return Ok(None);
        }
        let f = &self.fields;
        let (field, id) = match scope {
            Scope::Mailbox(m) => (f.mailbox, m),
            Scope::Account(a) => (f.account, a),
        };
        let all = BooleanQuery::intersection(parts);
        let long = TermQuery::new(Term::from_field_u64(f.long, 1), IndexRecordOption::Basic);
        let either = BooleanQuery::union(vec![Box::new(all), Box::new(long)]);
        let scoped = BooleanQuery::new(vec![
            (Occur::Must, Box::new(TermQuery::new(Term::from_field_u64(field, id as u64), IndexRecordOption::Basic))),
            (Occur::Must, Box::new(either)),
        ]);
        let keys = self.reader.searcher().search(&scoped, &Keys).map_err(|e| fault("search", e))?;
        Ok(Some(keys.into_iter().map(unkey).collect()))
    }

    fn pattern_query(&self, p: &Pattern) -> Result<Box<dyn Query>> {
        let text = p.text();
        if text.len() > terms::LONG {
            // Only a term too long to keep could hold it: the marked messages.
            return Ok(Box::new(EmptyQuery));
        }
        let field = self.fields.text;
        let regex = match p {
            Pattern::Exact(t) => {
                return Ok(Box::new(TermQuery::new(Term::from_field_text(field, t), IndexRecordOption::Basic)));
            }
            Pattern::StartsWith(t) => format!("{}.*", escape(t)),
            Pattern::EndsWith(t) => format!(".*{}", escape(t)),
            Pattern::Inside(t) => format!(".*{}.*", escape(t)),
        };
        Ok(Box::new(RegexQuery::from_pattern(&regex, field).map_err(|e| fault("pattern", e))?))
    }

    /// Bytes on disk.
    pub fn size(&self) -> u64 {
        std::fs::read_dir(&self.dir)
            .map(|d| d.flatten().filter_map(|e| e.metadata().ok()).filter(|m| m.is_file()).map(|m| m.len()).sum())
            .unwrap_or(0)
    }

    pub fn documents(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// The rebuild another process asked for, taken (the request file removed).
    pub fn take_rebuild(&self) -> Option<Rebuild> {
        let path = self.dir.join(REBUILD);
        let text = std::fs::read_to_string(&path).ok()?;
        let _ = std::fs::remove_file(&path);
        parse_rebuild(&text)
    }
}

/// Whether a batch's new mark for a mailbox (None: forgotten) claims less than the old one.
fn lowers(old: Option<&Mark>, new: Option<&Mark>) -> bool {
    match (old, new) {
        (_, None) => true,
        (Some(o), Some(n)) => n.uidvalidity != o.uidvalidity || n.uid < o.uid || n.modseq < o.modseq,
        (None, Some(_)) => false,
    }
}

/// Ask the process that holds the index to rebuild it, whole or for some accounts (requests
/// add up until it takes them).
pub fn request_rebuild(data_dir: &Path, what: &Rebuild) -> Result<()> {
    let dir = dir(data_dir);
    crate::fsutil::create_private_dir(&dir)?;
    let path = dir.join(REBUILD);
    let before = std::fs::read_to_string(&path).ok().and_then(|t| parse_rebuild(&t));
    let merged = match (before, what) {
        (Some(Rebuild::All), _) | (_, Rebuild::All) => Rebuild::All,
        (Some(Rebuild::Accounts(mut a)), Rebuild::Accounts(b)) => {
            a.extend(b);
            Rebuild::Accounts(a)
        }
        (None, w) => w.clone(),
    };
    let text = match merged {
        Rebuild::All => "all\n".to_string(),
        Rebuild::Accounts(a) => a.iter().map(|id| format!("{id}\n")).collect(),
    };
    crate::fsutil::write_atomic(&path, text.as_bytes(), 0o600)
}

fn parse_rebuild(text: &str) -> Option<Rebuild> {
    if text.lines().any(|l| l.trim() == "all") {
        return Some(Rebuild::All);
    }
    let ids: Vec<i64> = text.lines().filter_map(|l| l.trim().parse().ok()).collect();
    (!ids.is_empty()).then_some(Rebuild::Accounts(ids))
}

/// Regex-escape a term (terms are alphanumeric, but the rule costs nothing).
fn escape(t: &str) -> String {
    let mut s = String::with_capacity(t.len());
    for c in t.chars() {
        if !c.is_alphanumeric() {
            s.push('\\');
        }
        s.push(c);
    }
    s
}

/// Collects the keys of matching documents.
struct Keys;

struct SegmentKeys {
    column: Column<u64>,
    out: Vec<u64>,
}

impl Collector for Keys {
    type Fruit = Vec<u64>;
    type Child = SegmentKeys;

    fn for_segment(&self, _: u32, segment: &SegmentReader) -> tantivy::Result<SegmentKeys> {
        Ok(SegmentKeys { column: segment.fast_fields().u64("key")?, out: Vec::new() })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<Vec<u64>>) -> tantivy::Result<Vec<u64>> {
        Ok(fruits.concat())
    }
}

impl SegmentCollector for SegmentKeys {
    type Fruit = Vec<u64>;

    fn collect(&mut self, doc: DocId, _: Score) {
        if let Some(k) = self.column.first(doc) {
            self.out.push(k);
        }
    }

    fn harvest(self) -> Vec<u64> {
        self.out
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    fn doc(mailbox: i64, uid: i64, text: &str) -> Doc {
        let mut set = HashSet::new();
        let long = terms::terms(text, &mut set);
        Doc { mailbox, account: 1, uid, terms: set.into_iter().collect::<Vec<_>>().join(" "), long }
    }

    fn found(f: &Fts, scope: Scope, needle: &str) -> Vec<(i64, i64)> {
        let mut v = f.candidates(scope, &[needle]).unwrap().expect("narrowed");
        v.sort();
        v
    }

    #[test]
    fn finds_substrings_forgets_deleted_messages_and_keeps_marks_across_opens() {
        let data = tempfile::tempdir().unwrap();
        let f = Fts::open(data.path()).unwrap().expect("free");
        assert!(Fts::open(data.path()).unwrap().is_none(), "a second writer is refused");
        let mark = Mark { uidvalidity: 7, uid: 3, modseq: 9 };
        f.apply(Batch {
            add: vec![
                doc(1, 1, "Subject: the quarterly report"),
                doc(1, 2, "lunch on friday?"),
                doc(2, 1, "Quarterly numbers attached"),
                doc(1, 3, &format!("junk {}", "A".repeat(200))),
            ],
            marks: vec![(1, Some(mark))],
            ..Batch::default()
        })
        .unwrap();
        // The long-termed message (1, 3) is a candidate of everything.
        assert_eq!(found(&f, Scope::Mailbox(1), "QUARTER"), vec![(1, 1), (1, 3)]);
        assert_eq!(found(&f, Scope::Account(1), "arterly rep"), vec![(1, 1), (1, 3)]);
        assert_eq!(found(&f, Scope::Account(1), "quarterly"), vec![(1, 1), (1, 3), (2, 1)]);
        assert_eq!(found(&f, Scope::Mailbox(1), "friday"), vec![(1, 2), (1, 3)]);
        assert_eq!(found(&f, Scope::Mailbox(2), "nothing"), Vec::<(i64, i64)>::new());
        assert_eq!(f.candidates(Scope::Mailbox(1), &["a"]).unwrap(), None, "one letter narrows nothing");
        f.apply(Batch { forget: vec![(1, 1)], forget_mailboxes: vec![2], ..Batch::default() }).unwrap();
        assert_eq!(found(&f, Scope::Account(1), "quarterly"), vec![(1, 3)]);
        drop(f);
        let f = Fts::open(data.path()).unwrap().expect("free again");
        assert_eq!(f.mark(1), Some(mark));
        assert_eq!(f.documents(), 2);
    }

    #[test]
    fn rebuild_requests_add_up() {
        let data = tempfile::tempdir().unwrap();
        request_rebuild(data.path(), &Rebuild::Accounts(vec![4])).unwrap();
        request_rebuild(data.path(), &Rebuild::Accounts(vec![5])).unwrap();
        let f = Fts::open(data.path()).unwrap().unwrap();
        assert_eq!(f.take_rebuild(), Some(Rebuild::Accounts(vec![4, 5])));
        assert_eq!(f.take_rebuild(), None);
        request_rebuild(data.path(), &Rebuild::Accounts(vec![4])).unwrap();
        request_rebuild(data.path(), &Rebuild::All).unwrap();
        assert_eq!(f.take_rebuild(), Some(Rebuild::All));
    }
}
