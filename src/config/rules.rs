//! How a value in the file becomes a typed setting, what the setting is when the file does not
//! say, and how `config get` prints it. One rule per kind of setting; the table in `keys.rs`
//! names one for each key.

use std::marker::PhantomData;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::{DEV_DATA_DIR, redact_url, sqlite_url};
use crate::fsutil::absolute;

/// What defaults are derived from, besides the key's own value.
pub struct Context {
    /// No config file: the dev instance (loopback ports, dev mode).
    pub dev: bool,
    /// The config file's directory; relative paths in the file are relative to it.
    pub base: PathBuf,
    /// Resolved before every other key, because their defaults live inside it.
    pub data_dir: PathBuf,
    pub primary_domain: Option<String>,
}

impl Context {
    pub fn new(dev: bool, base: &Path, data_dir: Option<&str>, primary_domain: Option<&str>) -> Context {
        let data_dir = match data_dir.map(PathBuf::from) {
            Some(d) if d.is_absolute() => d,
            Some(d) => base.join(d),
            None if base == Path::new(".") => absolute(Path::new(DEV_DATA_DIR)),
            None => base.join(DEV_DATA_DIR),
        };
        Context { dev, base: base.to_path_buf(), data_dir, primary_domain: primary_domain.map(String::from) }
    }

    /// A path from the file: absolute as written, else relative to the config file.
    fn path(&self, p: &str) -> PathBuf {
        let p = PathBuf::from(p);
        if p.is_absolute() { p } else { self.base.join(p) }
    }
}

pub trait Rule {
    /// The value as the file holds it.
    type File;
    /// The typed setting.
    type Value: Shown;
    fn resolve(&self, raw: Option<Self::File>, cx: &Context) -> Self::Value;
    /// As `config get` prints it.
    fn show(&self, value: &Self::Value) -> String {
        value.shown()
    }
    /// The default as people read it; `None` when unset means none.
    fn default_doc(&self) -> Option<String>;
}

/// How `config get` prints a setting: as the file would hold it.
pub trait Shown {
    fn shown(&self) -> String;
}

macro_rules! shown_by_display {
    ($($t:ty),*) => {$(
        impl Shown for $t {
            fn shown(&self) -> String {
                self.to_string()
            }
        }
    )*};
}
shown_by_display!(String, u64, u32, bool, f64, std::net::Ipv4Addr, std::net::Ipv6Addr);
shown_by_display!(
    super::choices::SpamFilter,
    super::choices::VirusScanner,
    super::choices::DmarcRejectAction,
    super::choices::ScannerFailure
);

/// Lists print as the file holds them: comma-separated.
impl Shown for Vec<String> {
    fn shown(&self) -> String {
        self.join(",")
    }
}

impl Shown for PathBuf {
    fn shown(&self) -> String {
        self.display().to_string()
    }
}

impl Shown for Duration {
    fn shown(&self) -> String {
        self.as_secs().to_string()
    }
}

/// Unset prints as empty.
impl<T: Shown> Shown for Option<T> {
    fn shown(&self) -> String {
        self.as_ref().map(Shown::shown).unwrap_or_default()
    }
}

/// Empty is the same as unset.
fn text(raw: Option<String>) -> Option<String> {
    raw.filter(|s| !s.is_empty())
}

/// Optional text; empty or unset is none.
pub struct Text;

impl Rule for Text {
    type File = String;
    type Value = Option<String>;
    fn resolve(&self, raw: Option<String>, _: &Context) -> Option<String> {
        text(raw)
    }
    fn default_doc(&self) -> Option<String> {
        None
    }
}

/// Optional text that, unset, lets someone else decide; the string says who or what.
pub struct TextElse(pub &'static str);

impl Rule for TextElse {
    type File = String;
    type Value = Option<String>;
    fn resolve(&self, raw: Option<String>, _: &Context) -> Option<String> {
        text(raw)
    }
    fn default_doc(&self) -> Option<String> {
        Some(self.0.into())
    }
}

/// Text with a default; empty is the default too.
pub struct TextOr(pub &'static str);

impl Rule for TextOr {
    type File = String;
    type Value = String;
    fn resolve(&self, raw: Option<String>, _: &Context) -> String {
        text(raw).unwrap_or_else(|| self.0.into())
    }
    fn default_doc(&self) -> Option<String> {
        Some(self.0.into())
    }
}

/// A listener's address. The dev instance listens on unprivileged loopback ports, a
/// configured one on the standard ports; an empty string disables the listener.
pub struct Listen {
    pub port: u16,
    pub dev: u16,
}

impl Rule for Listen {
    type File = String;
    type Value = Option<String>;
    fn resolve(&self, raw: Option<String>, cx: &Context) -> Option<String> {
        match raw {
            Some(s) if s.is_empty() => None,
            Some(s) => Some(s),
            None if cx.dev => Some(format!("127.0.0.1:{}", self.dev)),
            None => Some(format!("0.0.0.0:{}", self.port)),
        }
    }
    fn default_doc(&self) -> Option<String> {
        Some(format!("0.0.0.0:{}, dev 127.0.0.1:{}", self.port, self.dev))
    }
}

/// A listener that defaults to loopback even in production (metrics and health).
pub struct LoopbackListen(pub Listen);

impl Rule for LoopbackListen {
    type File = String;
    type Value = Option<String>;
    fn resolve(&self, raw: Option<String>, cx: &Context) -> Option<String> {
        let Listen { port, dev } = self.0;
        match raw {
            None => Some(format!("127.0.0.1:{}", if cx.dev { dev } else { port })),
            raw => self.0.resolve(raw, cx),
        }
    }
    fn default_doc(&self) -> Option<String> {
        Some(format!("127.0.0.1:{}, dev 127.0.0.1:{}", self.0.port, self.0.dev))
    }
}

/// A file that defaults to this path inside the data dir.
pub struct InDataDir(pub &'static str);

impl Rule for InDataDir {
    type File = String;
    type Value = PathBuf;
    fn resolve(&self, raw: Option<String>, cx: &Context) -> PathBuf {
        match raw {
            Some(p) => cx.path(&p),
            None => cx.data_dir.join(self.0),
        }
    }
    fn default_doc(&self) -> Option<String> {
        Some(format!("data_dir/{}", self.0))
    }
}

/// An optional file, relative to the config file; `as_written` keeps a relative path relative
/// to the working directory, as `relayhost_password_file` always has.
pub struct OptionalFile {
    pub as_written: bool,
}

impl Rule for OptionalFile {
    type File = String;
    type Value = Option<PathBuf>;
    fn resolve(&self, raw: Option<String>, cx: &Context) -> Option<PathBuf> {
        text(raw).map(|p| if self.as_written { PathBuf::from(p) } else { cx.path(&p) })
    }
    fn default_doc(&self) -> Option<String> {
        None
    }
}

/// A size in bytes, written like `25M` (see `crate::size`).
pub struct Size(pub &'static str);

impl Rule for Size {
    type File = String;
    type Value = u64;
    fn resolve(&self, raw: Option<String>, _: &Context) -> u64 {
        let parse = |v: &str| crate::size::parse_bytes(v).ok();
        raw.as_deref().and_then(parse).or_else(|| parse(self.0)).unwrap_or_default()
    }
    fn default_doc(&self) -> Option<String> {
        Some(self.0.into())
    }
}

/// A number or a flag, with its default.
pub struct Or<T>(pub T);

impl<T: Copy + Shown> Rule for Or<T> {
    type File = T;
    type Value = T;
    fn resolve(&self, raw: Option<T>, _: &Context) -> T {
        raw.unwrap_or(self.0)
    }
    fn default_doc(&self) -> Option<String> {
        Some(self.0.shown())
    }
}

/// A value written as text and parsed (one of a few words, `choices.rs`; a score), with its
/// default; empty is the default too.
pub struct Parsed<T>(pub T);

impl<T: std::str::FromStr + Copy + Shown> Rule for Parsed<T> {
    type File = String;
    type Value = T;
    fn resolve(&self, raw: Option<String>, _: &Context) -> T {
        text(raw).and_then(|v| v.parse().ok()).unwrap_or(self.0)
    }
    fn default_doc(&self) -> Option<String> {
        Some(self.0.shown())
    }
}

/// A comma-separated list; empty or unset is an empty list.
pub struct List;

impl Rule for List {
    type File = String;
    type Value = Vec<String>;
    fn resolve(&self, raw: Option<String>, _: &Context) -> Vec<String> {
        raw.unwrap_or_default().split(',').map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect()
    }
    fn default_doc(&self) -> Option<String> {
        None
    }
}

/// A duration, written in seconds.
pub struct Secs(pub u64);

impl Rule for Secs {
    type File = u64;
    type Value = Duration;
    fn resolve(&self, raw: Option<u64>, _: &Context) -> Duration {
        Duration::from_secs(raw.unwrap_or(self.0))
    }
    fn default_doc(&self) -> Option<String> {
        Some(self.0.to_string())
    }
}

/// A DNS TTL in seconds; larger values are cut to `max`.
pub struct Ttl {
    pub default: u32,
    pub max: u32,
}

impl Rule for Ttl {
    type File = u64;
    type Value = u32;
    fn resolve(&self, raw: Option<u64>, _: &Context) -> u32 {
        raw.map(|v| v.min(self.max.into()) as u32).unwrap_or(self.default)
    }
    fn default_doc(&self) -> Option<String> {
        Some(self.default.to_string())
    }
}

/// An optional address (`IPV4`, `IPV6`); empty is none.
pub struct Addr<T>(PhantomData<T>);

pub const IPV4: Addr<std::net::Ipv4Addr> = Addr(PhantomData);
pub const IPV6: Addr<std::net::Ipv6Addr> = Addr(PhantomData);

impl<T: std::str::FromStr + Shown> Rule for Addr<T> {
    type File = String;
    type Value = Option<T>;
    fn resolve(&self, raw: Option<String>, _: &Context) -> Option<T> {
        text(raw).and_then(|v| v.parse().ok())
    }
    fn default_doc(&self) -> Option<String> {
        None
    }
}

/// `hostname`: unset, the mail host of the primary domain.
pub struct Hostname;

impl Rule for Hostname {
    type File = String;
    type Value = String;
    fn resolve(&self, raw: Option<String>, cx: &Context) -> String {
        raw.unwrap_or_else(|| match &cx.primary_domain {
            Some(d) => format!("mail.{d}"),
            None => "localhost".into(),
        })
    }
    fn default_doc(&self) -> Option<String> {
        Some("mail.<primary_domain>".into())
    }
}

/// `data_dir`: resolved first, into the [`Context`].
pub struct DataDir;

impl Rule for DataDir {
    type File = String;
    type Value = PathBuf;
    fn resolve(&self, _: Option<String>, cx: &Context) -> PathBuf {
        cx.data_dir.clone()
    }
    fn default_doc(&self) -> Option<String> {
        Some(format!("{DEV_DATA_DIR} beside the config file"))
    }
}

/// `database`: unset, SQLite in the data dir. Shown with its password hidden.
pub struct Database;

impl Rule for Database {
    type File = String;
    type Value = String;
    fn resolve(&self, raw: Option<String>, cx: &Context) -> String {
        raw.unwrap_or_else(|| sqlite_url(&cx.data_dir.join("mailctl.db")))
    }
    fn show(&self, value: &String) -> String {
        redact_url(value)
    }
    fn default_doc(&self) -> Option<String> {
        Some("the SQLite file data_dir/mailctl.db".into())
    }
}

/// `dev_mode`: on for the dev instance, off for a configured one.
pub struct DevMode;

impl Rule for DevMode {
    type File = bool;
    type Value = bool;
    fn resolve(&self, raw: Option<bool>, cx: &Context) -> bool {
        raw.unwrap_or(cx.dev)
    }
    fn default_doc(&self) -> Option<String> {
        Some("false (true for the dev instance)".into())
    }
}

/// A rule's default as people read it, for a key whose file type is `F` (so that in the table
/// `Or(100)` is a u64 where nothing else says so).
pub fn default_doc<F, R: Rule<File = F>>(rule: &R) -> Option<String> {
    rule.default_doc()
}
