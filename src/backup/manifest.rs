//! A backup's manifest: what the backup holds, every object with its hash and size. Written
//! last; its presence is what makes a backup complete (`docs/BACKUP.md`).

use serde::{Deserialize, Serialize};

use super::ObjectRef;

/// The manifest format this mailctl writes and reads.
pub const MANIFEST_FORMAT: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    /// `YYYYMMDDTHHMMSSZ` (UTC) of the start, with `-N` when two start in one second.
    pub id: String,
    /// Unix seconds.
    pub started_at: i64,
    pub finished_at: i64,
    pub duration_ms: u64,
    pub mailctl_version: String,
    /// The store it was taken from (`sqlite` or `postgres`); the snapshot does not depend on it.
    pub backend: String,
    /// The newest migration applied to that store.
    pub schema_version: i64,
    /// The store's tables, in the order a restore inserts them (parents first).
    pub tables: Vec<Table>,
    /// Each message row's file: by mailbox id and UID, as in the `messages` table.
    pub messages: Vec<MessageFile>,
    /// Message rows of the snapshot whose file was expunged before it could be copied: a
    /// restore leaves them out, as if the expunge had come first.
    pub vanished: Vec<(i64, i64)>,
    /// Queued messages of the snapshot whose spool entry was gone (delivered meanwhile): a
    /// restore leaves their queue rows out.
    pub vanished_queue: Vec<String>,
    /// Other files: the config, DKIM keys, TLS certificate and key, outbound spool entries.
    pub files: Vec<NamedFile>,
    pub stats: Stats,
}

/// One table of the snapshot: its columns and its rows, in chunks (objects), each a gzip'ed
/// JSON array of rows in primary-key order, a row being an array of values in column order.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Table {
    pub name: String,
    pub columns: Vec<String>,
    pub rows: u64,
    pub chunks: Vec<ObjectRef>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MessageFile {
    pub mailbox_id: i64,
    pub uid: i64,
    #[serde(flatten)]
    pub object: ObjectRef,
}

/// A file that is not a message, by what it is and where it goes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NamedFile {
    /// `config`, `dkim`, `tls_cert`, `tls_key` or `spool`.
    pub kind: String,
    /// For `config` and the TLS files: the absolute path it was read from; for `dkim` and `spool`: the
    /// path below the data directory.
    pub path: String,
    /// Unix permission bits.
    pub mode: u32,
    #[serde(flatten)]
    pub object: ObjectRef,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Stats {
    pub accounts: u64,
    pub messages: u64,
    /// Bytes of every object the backup names (what a restore reads).
    pub bytes_total: u64,
    /// Bytes of the objects this backup added to the repository.
    pub bytes_new: u64,
}
