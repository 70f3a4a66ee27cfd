//! The library's one error type: a kind (which maps to a sysexits code in the CLI),
//! a message naming the problem, an optional cause chain and an optional hint.

use std::fmt;

/// What went wrong, coarsely; each kind has one exit code (see `exit_code`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The command line was wrong (EX_USAGE 64).
    Usage,
    /// The input was malformed or violates a rule (EX_DATAERR 65).
    Invalid,
    /// An input file does not exist or cannot be read (EX_NOINPUT 66).
    NoInput,
    /// A named account, domain or alias does not exist (EX_NOUSER 67).
    NotFound,
    /// A service (the database) cannot be reached (EX_UNAVAILABLE 69).
    Unavailable,
    /// Something that should not happen (EX_SOFTWARE 70).
    Internal,
    /// Cannot create: the thing already exists or the file cannot be written (EX_CANTCREAT 73).
    Exists,
    /// An I/O error on the data directory (EX_IOERR 74).
    Io,
    /// Try again later: the database is busy (EX_TEMPFAIL 75).
    TempFail,
    /// Not allowed: the tier does not include the feature (EX_NOPERM 77).
    Permission,
    /// The mailbox's quota does not fit it (EX_NOPERM 77): IMAP's `[OVERQUOTA]`, SMTP's
    /// 452 4.2.2.
    OverQuota,
    /// The configuration is missing or wrong (EX_CONFIG 78).
    Config,
}

impl Kind {
    /// The sysexits(3) code for this kind.
    pub fn exit_code(self) -> i32 {
        match self {
            Kind::Usage => 64,
            Kind::Invalid => 65,
            Kind::NoInput => 66,
            Kind::NotFound => 67,
            Kind::Unavailable => 69,
            Kind::Internal => 70,
            Kind::Exists => 73,
            Kind::Io => 74,
            Kind::TempFail => 75,
            Kind::Permission | Kind::OverQuota => 77,
            Kind::Config => 78,
        }
    }
}

/// An error with a kind, a message, a cause chain and a hint.
#[derive(Debug)]
pub struct Error {
    pub kind: Kind,
    pub message: String,
    pub source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
    pub hint: Option<String>,
    /// The message is a conversion's stand-in ("database error"), which the first
    /// [`Context::context`] replaces instead of prefixing.
    pub stand_in: bool,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(kind: Kind, message: impl Into<String>) -> Self {
        Error { kind, message: message.into(), source: None, hint: None, stand_in: false }
    }
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(Kind::Invalid, message)
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(Kind::NotFound, message)
    }
    pub fn exists(message: impl Into<String>) -> Self {
        Self::new(Kind::Exists, message)
    }
    pub fn permission(message: impl Into<String>) -> Self {
        Self::new(Kind::Permission, message)
    }
    pub fn config(message: impl Into<String>) -> Self {
        Self::new(Kind::Config, message)
    }
    pub fn usage(message: impl Into<String>) -> Self {
        Self::new(Kind::Usage, message)
    }
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }
    /// An I/O error on `path`, with what we were doing.
    pub fn io(what: impl fmt::Display, path: &std::path::Path, err: std::io::Error) -> Self {
        let kind = match err.kind() {
            std::io::ErrorKind::NotFound => Kind::NoInput,
            std::io::ErrorKind::PermissionDenied => Kind::Permission,
            // A full disk (or a quota of the file system) is temporary: try again with room.
            _ if matches!(err.raw_os_error(), Some(libc::ENOSPC | libc::EDQUOT)) => Kind::TempFail,
            _ => Kind::Io,
        };
        Error::new(kind, format!("{what} {}", path.display())).with_source(err)
    }
    /// Prefix the message with context ("creating account x: ..."); a stand-in
    /// message is replaced by the context instead.
    pub fn context(mut self, ctx: impl fmt::Display) -> Self {
        self.message = if self.stand_in { ctx.to_string() } else { format!("{ctx}: {}", self.message) };
        self.stand_in = false;
        self
    }

    /// The message and every cause, on one line.
    pub fn one_line(&self) -> String {
        let mut line = self.message.clone();
        let mut cause: Option<&(dyn std::error::Error + 'static)> =
            self.source.as_deref().map(|e| e as &(dyn std::error::Error + 'static));
        while let Some(c) = cause {
            let text = c.to_string();
            if !text.is_empty() && !line.ends_with(&text) {
                line.push_str(": ");
                line.push_str(&text);
            }
            cause = c.source();
        }
        line.replace('\n', " ")
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_deref().map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// A database error that means "try again": SQLite's SQLITE_BUSY (5) and SQLITE_LOCKED (6),
/// with their extended codes (the primary code is the low byte); PostgreSQL's serialization
/// failure (40001) and deadlock (40P01).
fn is_busy(db: &dyn sqlx::error::DatabaseError) -> bool {
    let code = db.code();
    if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
        code.and_then(|c| c.parse::<u32>().ok()).is_some_and(|n| matches!(n & 0xff, 5 | 6))
    } else {
        matches!(code.as_deref(), Some("40001" | "40P01" | "55P03"))
    }
}

impl From<sqlx::Error> for Error {
    fn from(err: sqlx::Error) -> Self {
        let kind = match &err {
            sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::Tls(_) => Kind::Unavailable,
            sqlx::Error::Database(db) => {
                // A write to a store `store migrate` moved away from: say so, not "database error".
                if let Some(refused) = refusal(db.message()) {
                    return refused;
                }
                if db.is_unique_violation() {
                    Kind::Exists
                } else if is_busy(db.as_ref()) {
                    Kind::TempFail
                } else if db.is_foreign_key_violation() || db.is_check_violation() {
                    Kind::Invalid
                } else {
                    Kind::Internal
                }
            }
            _ => Kind::Internal,
        };
        Error { stand_in: true, ..Error::new(kind, "database error").with_source(err) }
    }
}

/// Only the CLI's writers of standard output lean on this (a broken pipe is success in
/// `main`); every file's I/O error is made with [`Error::io`], which names the path.
impl From<std::io::Error> for Error {
    fn from(err: std::io::Error) -> Self {
        Error { stand_in: true, ..Error::new(Kind::Io, "writing the output").with_source(err) }
    }
}

/// Add context to a fallible result.
pub trait Context<T> {
    fn context(self, ctx: impl fmt::Display) -> Result<T>;
}

impl<T, E: Into<Error>> Context<T> for std::result::Result<T, E> {
    fn context(self, ctx: impl fmt::Display) -> Result<T> {
        self.map_err(|e| e.into().context(ctx))
    }
}

/// What the triggers of a store that `store migrate` retired say (`store/retired.rs`); a
/// database error with this text is a write that came too late.
pub const RETIRED: &str = "mailctl: this store was retired by `mailctl store migrate`";

/// A database error's text, when it is a write that a retired store refused: the error to
/// report (exit 69, SMTP 451, IMAP NO), saying where the store went.
pub fn refusal(text: &str) -> Option<Error> {
    let at = text.find(RETIRED)?;
    Some(
        Error::new(Kind::Unavailable, text[at..].to_string())
            .with_hint("the config should name the new store; a running serve switches on SIGHUP"),
    )
}
