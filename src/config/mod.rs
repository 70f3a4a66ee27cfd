//! The typed configuration (`mailctl.toml`), how it is found, and the table of keys that
//! `mailctl config show|get|set` reads and edits.
//!
//! Lookup order: `--config`, `$MAILCTL_CONFIG`, `./mailctl.toml`, `/etc/mailctl/mailctl.toml`.
//! With none of them, a dev instance in `./mailctl-data` (no file; defaults only).
//!
//! `keys.rs` declares every key once (the `config_keys!` table, `declare.rs`); `rules.rs` says
//! how a file value becomes a typed setting and what its default is, `check.rs` what a value
//! must look like, `edit.rs` how `config set` and `init` write the file.

use std::path::{Path, PathBuf};

use crate::error::{Error, Kind, Result};
use crate::fsutil::absolute;

#[macro_use]
mod declare;
mod check;
pub mod choices;
mod edit;
mod keys;
mod rules;

pub use declare::{Key, ValueType};
pub use edit::{edit, is_set, set_keys, template};
pub use keys::{Config, Dns, FileConfig, Filter, KEYS, Server};
use rules::Context;

pub const FILE_NAME: &str = "mailctl.toml";
pub const SYSTEM_PATH: &str = "/etc/mailctl/mailctl.toml";
pub const DEV_DATA_DIR: &str = "mailctl-data";
pub const ENV_VAR: &str = "MAILCTL_CONFIG";

impl Dns {
    /// How long a replaced DKIM key stays published, in seconds.
    pub fn dkim_grace(&self) -> i64 {
        self.dkim_grace_days as i64 * 86400
    }
}

/// Where the config was found, or that none was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    File(PathBuf),
    Dev,
}

/// Find the config file by the lookup order. An explicit path (flag or env) need not exist
/// here; `load` reports it missing.
pub fn locate(flag: Option<&Path>) -> Location {
    if let Some(p) = flag {
        return Location::File(p.to_path_buf());
    }
    if let Some(p) = std::env::var_os(ENV_VAR).filter(|v| !v.is_empty()) {
        return Location::File(PathBuf::from(p));
    }
    let local = PathBuf::from(FILE_NAME);
    if local.exists() {
        return Location::File(local);
    }
    let system = PathBuf::from(SYSTEM_PATH);
    if system.exists() {
        return Location::File(system);
    }
    Location::Dev
}

/// The path `init` writes to: an explicit one, or `./mailctl.toml`.
pub fn init_path(flag: Option<&Path>) -> PathBuf {
    match locate(flag) {
        Location::File(p) if flag.is_some() || std::env::var_os(ENV_VAR).is_some_and(|v| !v.is_empty()) => p,
        _ => PathBuf::from(FILE_NAME),
    }
}

/// The SQLite URL for a database file (the path percent-encoded, created if missing).
pub fn sqlite_url(file: &Path) -> String {
    use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
    const SET: &AsciiSet = &CONTROLS.add(b' ').add(b'%').add(b'?').add(b'#').add(b'"');
    format!("sqlite://{}?mode=rwc", utf8_percent_encode(&file.to_string_lossy(), SET))
}

impl Config {
    /// The dev instance: `./mailctl-data`, SQLite, dev mode.
    pub fn dev() -> Config {
        Self::resolve(None, FileConfig::default(), Path::new("."))
    }

    pub fn load(loc: &Location) -> Result<Config> {
        match loc {
            Location::Dev => Ok(Config::dev()),
            Location::File(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| {
                    let kind = if e.kind() == std::io::ErrorKind::NotFound { Kind::NoInput } else { Kind::Config };
                    Error::new(kind, format!("reading config {}", path.display()))
                        .with_source(e)
                        .with_hint("create one with `mailctl init --domain example.com`")
                })?;
                let file = parse(&text).map_err(|e| e.context(format!("config {}", path.display())))?;
                let base = absolute(path).parent().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("/"));
                Ok(Self::resolve(Some(absolute(path)), file, &base))
            }
        }
    }

    fn resolve(path: Option<PathBuf>, f: FileConfig, base: &Path) -> Config {
        let cx = Context::new(path.is_none(), base, f.data_dir.as_deref(), f.primary_domain.as_deref());
        let server = Server::from_file(&f, &cx);
        let dns = Dns::from_file(&f, &cx);
        let filter = Filter::from_file(&f, &cx);
        Config::from_file(&f, &cx, path, server, dns, filter)
    }

    pub fn is_dev_instance(&self) -> bool {
        self.path.is_none()
    }

    /// The effective value of a key, as text.
    pub fn get(&self, key: &str) -> Option<String> {
        self.show(key)
            .or_else(|| self.server.show(key))
            .or_else(|| self.dns.show(key))
            .or_else(|| self.filter.show(key))
    }
}

/// Parse and validate a whole config text.
pub fn parse(text: &str) -> Result<FileConfig> {
    let file: FileConfig = toml::from_str(text).map_err(|e| {
        Error::config(format!("invalid TOML: {}", e.message().trim()))
            .with_hint(e.span().map(|s| format!("at byte {}", s.start)).unwrap_or_default())
    })?;
    for key in KEYS {
        if let Some(v) = file.raw(key.name) {
            (key.check)(&v).map_err(|e| Error::config(format!("{} = {v:?}: {}", key.name, e.message)))?;
        }
    }
    Ok(file)
}

pub fn key(name: &str) -> Result<&'static Key> {
    KEYS.iter().find(|k| k.name == name).ok_or_else(|| {
        Error::usage(format!("unknown config key {name:?}"))
            .with_hint(format!("keys are: {}", KEYS.iter().map(|k| k.name).collect::<Vec<_>>().join(", ")))
    })
}

/// Hide a password in a database URL (user info or a `password=` parameter).
pub fn redact_url(url: &str) -> String {
    match url.split_once('?') {
        Some((base, query)) => {
            let q: Vec<String> = query
                .split('&')
                .map(|kv| match kv.split_once('=') {
                    Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=****"),
                    _ => kv.to_string(),
                })
                .collect();
            format!("{}?{}", redact_userinfo(base), q.join("&"))
        }
        None => redact_userinfo(url),
    }
}

fn redact_userinfo(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let cred = &url[s + 3..at];
            match cred.split_once(':') {
                Some((user, _)) => format!("{}{user}:****{}", &url[..s + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_keeps_comments() {
        let text = "# top\nhostname = \"mail.a.com\" # trailing\n\n# about dev\ndev_mode = false\n";
        let out = edit(text, "dev_mode", "true").unwrap();
        assert!(out.contains("# about dev\ndev_mode = true"), "{out}");
        let out = edit(&out, "hostname", "mx.b.com").unwrap();
        assert!(out.contains("# top\nhostname = \"mx.b.com\" # trailing"), "{out}");
        assert!(edit(text, "dev_mode", "yes").is_err());
        assert!(edit(text, "nope", "1").is_err());
        assert!(edit(text, "hostname", "bad host").is_err());
        let out = edit(text, "log_level", "debug").unwrap();
        assert!(out.ends_with("log_level = \"debug\"\n"), "{out}");
    }

    #[test]
    fn parse_rejects_unknown_and_invalid() {
        assert!(parse("bogus = 1").is_err());
        assert!(parse("hostname = \"not a host\"").is_err());
        assert!(parse("database = \"mysql://x\"").is_err());
        assert!(parse("hostname = \"mail.example.com\"").is_ok());
    }

    #[test]
    fn an_empty_listen_address_disables_the_listener() {
        let c = Config::resolve(
            Some("/etc/m/mailctl.toml".into()),
            parse("smtp_listen = \"\"").unwrap(),
            Path::new("/etc/m"),
        );
        assert_eq!(c.server.smtp_listen, None);
        assert_eq!(c.server.submission_listen.as_deref(), Some("0.0.0.0:587"));
        assert_eq!(Config::dev().server.smtp_listen.as_deref(), Some("127.0.0.1:2525"));
    }

    #[test]
    fn relative_paths_are_relative_to_the_config_file() {
        let text = "tls_cert = \"c.pem\"\ndns_tsig_key = \"k\"\nrelayhost_password_file = \"p\"";
        let c = Config::resolve(Some("/etc/m/mailctl.toml".into()), parse(text).unwrap(), Path::new("/etc/m"));
        assert_eq!(c.server.tls_cert, Path::new("/etc/m/c.pem"));
        assert_eq!(c.server.tls_key, Path::new("/etc/m/mailctl-data/tls/key.pem"));
        assert_eq!(c.dns.tsig_key.as_deref(), Some(Path::new("/etc/m/k")));
        // The one exception, as it has always been: relative to the working directory.
        assert_eq!(c.server.relayhost_password_file.as_deref(), Some(Path::new("p")));
    }

    #[test]
    fn redacts() {
        assert_eq!(redact_url("postgres://u:secret@h/db"), "postgres://u:****@h/db");
        assert_eq!(redact_url("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(
            redact_url("postgres://u@h/db?password=s3cret&sslmode=require"),
            "postgres://u@h/db?password=****&sslmode=require"
        );
        assert_eq!(sqlite_url(Path::new("/a b/m.db")), "sqlite:///a%20b/m.db?mode=rwc");
    }
}
