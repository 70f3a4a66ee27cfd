//! The typed configuration (`mailctl.toml`), how it is found, and the table of keys that
//! `mailctl config show|get|set` reads and edits.
//!
//! Lookup order: `--config`, `$MAILCTL_CONFIG`, `./mailctl.toml`, `/etc/mailctl/mailctl.toml`.
//! With none of them, a dev instance in `./mailctl-data` (no file; defaults only).

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{Error, Kind, Result};
use crate::fsutil::absolute;

pub const FILE_NAME: &str = "mailctl.toml";
pub const SYSTEM_PATH: &str = "/etc/mailctl/mailctl.toml";
pub const DEV_DATA_DIR: &str = "mailctl-data";
pub const ENV_VAR: &str = "MAILCTL_CONFIG";

/// The file as written; every key optional. Unknown keys are an error.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub hostname: Option<String>,
    pub primary_domain: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub database: Option<String>,
    pub dev_mode: Option<bool>,
    pub log_level: Option<String>,
    pub smtp_listen: Option<String>,
    pub submission_listen: Option<String>,
    pub submissions_listen: Option<String>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    pub message_size_limit: Option<String>,
    pub message_memory_limit: Option<String>,
    pub max_recipients: Option<u64>,
    pub max_connections: Option<u64>,
    pub max_connections_per_ip: Option<u64>,
    pub auth_failures_per_minute: Option<u64>,
    pub auth_cache_ttl: Option<u64>,
    pub smtp_idle_timeout: Option<u64>,
    pub smtp_session_timeout: Option<u64>,
    pub pop3_listen: Option<String>,
    pub pop3s_listen: Option<String>,
    pub pop3_idle_timeout: Option<u64>,
    pub imap_listen: Option<String>,
    pub imaps_listen: Option<String>,
    pub imap_idle_timeout: Option<u64>,
    pub http_listen: Option<String>,
    pub https_listen: Option<String>,
    pub outbound_delivery: Option<bool>,
    pub relayhost: Option<String>,
    pub relayhost_user: Option<String>,
    pub relayhost_password_file: Option<String>,
    pub dns_resolver: Option<String>,
    pub queue_retry_first: Option<u64>,
    pub queue_retry_max: Option<u64>,
    pub queue_lifetime: Option<u64>,
    pub queue_delay_warning: Option<u64>,
    pub ipv4: Option<String>,
    pub ipv6: Option<String>,
    pub backup_mx: Option<String>,
    pub webmail_host: Option<String>,
    pub spf_record: Option<String>,
    pub dmarc_record: Option<String>,
    pub tlsrpt_rua: Option<String>,
    pub mta_sts_mode: Option<String>,
    pub acme_ca: Option<String>,
    pub dns_ttl: Option<u64>,
    pub dns_provider: Option<String>,
    pub dns_endpoint: Option<String>,
    pub dns_zone_id: Option<String>,
    pub dns_server: Option<String>,
    pub dns_tsig_key: Option<String>,
    pub dns_credentials_file: Option<String>,
    pub dkim_grace_days: Option<u64>,
}

/// The effective configuration: file values over defaults, paths made absolute.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file it came from; `None` for the dev instance.
    pub path: Option<PathBuf>,
    pub hostname: String,
    pub primary_domain: Option<String>,
    pub data_dir: PathBuf,
    pub database: String,
    pub dev_mode: bool,
    pub log_level: String,
    pub smtp: Smtp,
    pub dns: Dns,
}

/// The SMTP server's settings.
#[derive(Debug, Clone)]
pub struct Smtp {
    /// Inbound MX (25); `None` when disabled with an empty string.
    pub smtp_listen: Option<String>,
    /// Submission with STARTTLS (587).
    pub submission_listen: Option<String>,
    /// Submission over implicit TLS (465).
    pub submissions_listen: Option<String>,
    pub tls_cert: PathBuf,
    pub tls_key: PathBuf,
    pub message_size_limit: u64,
    /// Memory for messages being received, all sessions together.
    pub message_memory_limit: u64,
    pub max_recipients: u64,
    pub max_connections: u64,
    pub max_connections_per_ip: u64,
    pub auth_failures_per_minute: u64,
    /// How long a verified login is remembered; zero turns the credential cache off.
    pub auth_cache_ttl: std::time::Duration,
    pub idle_timeout: std::time::Duration,
    pub session_timeout: std::time::Duration,
    /// POP3 with STLS (110).
    pub pop3_listen: Option<String>,
    /// POP3 over implicit TLS (995).
    pub pop3s_listen: Option<String>,
    /// RFC 1939 §3: the autologout timer is at least 10 minutes.
    pub pop3_idle_timeout: std::time::Duration,
    /// IMAP with STARTTLS (143).
    pub imap_listen: Option<String>,
    /// IMAP over implicit TLS (993).
    pub imaps_listen: Option<String>,
    /// RFC 9051 §5.4: the autologout timer is at least 30 minutes once logged in.
    pub imap_idle_timeout: std::time::Duration,
    /// HTTP (80): ACME HTTP-01 answers and the MTA-STS policy.
    pub http_listen: Option<String>,
    /// HTTPS (443): ACME TLS-ALPN-01 answers and the MTA-STS policy.
    pub https_listen: Option<String>,
    /// Deliver queued mail; false keeps it queued (maintenance).
    pub outbound_delivery: bool,
    pub relayhost: Option<String>,
    pub relayhost_user: Option<String>,
    pub relayhost_password_file: Option<PathBuf>,
    pub dns_resolver: Option<String>,
    pub queue_retry_first: u64,
    pub queue_retry_max: u64,
    pub queue_lifetime: u64,
    pub queue_delay_warning: u64,
}

/// What `dns records` publishes and how `dns publish` reaches the provider.
#[derive(Debug, Clone)]
pub struct Dns {
    /// The mail host's public addresses (A, AAAA, SPF, PTR).
    pub ipv4: Option<std::net::Ipv4Addr>,
    pub ipv6: Option<std::net::Ipv6Addr>,
    /// A second MX (priority 20).
    pub backup_mx: Option<String>,
    pub webmail_host: Option<String>,
    /// Overrides of the generated TXT values; `{domain}` and `{host}` are replaced.
    pub spf_record: Option<String>,
    pub dmarc_record: String,
    pub tlsrpt_rua: String,
    /// MTA-STS policy mode: enforce, testing or none.
    pub mta_sts_mode: String,
    /// The CA named in CAA (the ACME issuer's domain).
    pub acme_ca: String,
    pub ttl: u32,
    pub provider: Option<String>,
    pub endpoint: Option<String>,
    pub zone_id: Option<String>,
    /// RFC 2136: the primary server, host:port.
    pub server: Option<String>,
    /// RFC 2136: a BIND key file (tsig-keygen).
    pub tsig_key: Option<PathBuf>,
    /// A 0600 file of KEY=VALUE lines (CLOUDFLARE_API_TOKEN, AWS_ACCESS_KEY_ID, ...).
    pub credentials_file: Option<PathBuf>,
    /// Days an inactive DKIM key stays published after the next one took over.
    pub dkim_grace_days: u64,
}

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
        let dev = path.is_none();
        let data_dir = match f.data_dir {
            Some(d) if d.is_absolute() => d,
            Some(d) => base.join(d),
            None if base == Path::new(".") => absolute(Path::new(DEV_DATA_DIR)),
            None => base.join(DEV_DATA_DIR),
        };
        let hostname = f.hostname.unwrap_or_else(|| match &f.primary_domain {
            Some(d) => format!("mail.{d}"),
            None => "localhost".into(),
        });
        let database = f.database.unwrap_or_else(|| sqlite_url(&data_dir.join("mailctl.db")));
        let dev_mode = f.dev_mode.unwrap_or(dev);
        let path_in = |p: Option<PathBuf>, default: &str| match p {
            Some(p) if p.is_absolute() => p,
            Some(p) => base.join(p),
            None => data_dir.join(default),
        };
        // The dev instance listens on unprivileged loopback ports; a configured one on the
        // standard ports. An empty string disables a listener.
        let listen = |v: Option<String>, dev_port: u16, port: u16| match v {
            Some(s) if s.is_empty() => None,
            Some(s) => Some(s),
            None if dev => Some(format!("127.0.0.1:{dev_port}")),
            None => Some(format!("0.0.0.0:{port}")),
        };
        let smtp = Smtp {
            smtp_listen: listen(f.smtp_listen, 2525, 25),
            submission_listen: listen(f.submission_listen, 2587, 587),
            submissions_listen: listen(f.submissions_listen, 2465, 465),
            tls_cert: path_in(f.tls_cert, "tls/cert.pem"),
            tls_key: path_in(f.tls_key, "tls/key.pem"),
            message_size_limit: f
                .message_size_limit
                .and_then(|v| crate::size::parse_bytes(&v).ok())
                .unwrap_or(25 << 20),
            message_memory_limit: f
                .message_memory_limit
                .and_then(|v| crate::size::parse_bytes(&v).ok())
                .unwrap_or(1 << 30),
            max_recipients: f.max_recipients.unwrap_or(100),
            max_connections: f.max_connections.unwrap_or(500),
            max_connections_per_ip: f.max_connections_per_ip.unwrap_or(20),
            auth_failures_per_minute: f.auth_failures_per_minute.unwrap_or(5),
            auth_cache_ttl: std::time::Duration::from_secs(f.auth_cache_ttl.unwrap_or(3600)),
            idle_timeout: std::time::Duration::from_secs(f.smtp_idle_timeout.unwrap_or(300)),
            session_timeout: std::time::Duration::from_secs(f.smtp_session_timeout.unwrap_or(1800)),
            pop3_listen: listen(f.pop3_listen, 2110, 110),
            pop3s_listen: listen(f.pop3s_listen, 2995, 995),
            pop3_idle_timeout: std::time::Duration::from_secs(f.pop3_idle_timeout.unwrap_or(600)),
            imap_listen: listen(f.imap_listen, 2143, 143),
            imaps_listen: listen(f.imaps_listen, 2993, 993),
            imap_idle_timeout: std::time::Duration::from_secs(f.imap_idle_timeout.unwrap_or(1800)),
            http_listen: listen(f.http_listen, 2080, 80),
            https_listen: listen(f.https_listen, 2443, 443),
            outbound_delivery: f.outbound_delivery.unwrap_or(true),
            relayhost: f.relayhost.clone().filter(|s| !s.is_empty()),
            relayhost_user: f.relayhost_user.clone().filter(|s| !s.is_empty()),
            relayhost_password_file: f.relayhost_password_file.clone().filter(|s| !s.is_empty()).map(PathBuf::from),
            dns_resolver: f.dns_resolver.clone().filter(|s| !s.is_empty()),
            queue_retry_first: f.queue_retry_first.unwrap_or(300),
            queue_retry_max: f.queue_retry_max.unwrap_or(14400),
            queue_lifetime: f.queue_lifetime.unwrap_or(432000),
            queue_delay_warning: f.queue_delay_warning.unwrap_or(14400),
        };
        let text = |v: Option<String>| v.filter(|s| !s.is_empty());
        let dns = Dns {
            ipv4: text(f.ipv4).and_then(|v| v.parse().ok()),
            ipv6: text(f.ipv6).and_then(|v| v.parse().ok()),
            backup_mx: text(f.backup_mx),
            webmail_host: text(f.webmail_host),
            spf_record: text(f.spf_record),
            dmarc_record: text(f.dmarc_record)
                .unwrap_or_else(|| "v=DMARC1; p=quarantine; rua=mailto:dmarc@{domain}".into()),
            tlsrpt_rua: text(f.tlsrpt_rua).unwrap_or_else(|| "mailto:tlsrpt@{domain}".into()),
            mta_sts_mode: text(f.mta_sts_mode).unwrap_or_else(|| "testing".into()),
            acme_ca: text(f.acme_ca).unwrap_or_else(|| "letsencrypt.org".into()),
            ttl: f.dns_ttl.map(|v| v.min(86400 * 7) as u32).unwrap_or(3600),
            provider: text(f.dns_provider),
            endpoint: text(f.dns_endpoint),
            zone_id: text(f.dns_zone_id),
            server: text(f.dns_server),
            tsig_key: text(f.dns_tsig_key).map(|p| path_in(Some(PathBuf::from(p)), "")),
            credentials_file: text(f.dns_credentials_file).map(|p| path_in(Some(PathBuf::from(p)), "")),
            dkim_grace_days: f.dkim_grace_days.unwrap_or(7),
        };
        Config {
            path,
            hostname,
            primary_domain: f.primary_domain,
            data_dir,
            database,
            dev_mode,
            log_level: f.log_level.unwrap_or_else(|| "info".into()),
            smtp,
            dns,
        }
    }

    pub fn is_dev_instance(&self) -> bool {
        self.path.is_none()
    }

    /// The effective value of a key, as text.
    pub fn get(&self, key: &str) -> Option<String> {
        Some(match key {
            "hostname" => self.hostname.clone(),
            "primary_domain" => self.primary_domain.clone().unwrap_or_default(),
            "data_dir" => self.data_dir.display().to_string(),
            "database" => redact_url(&self.database),
            "dev_mode" => self.dev_mode.to_string(),
            "log_level" => self.log_level.clone(),
            "smtp_listen" => self.smtp.smtp_listen.clone().unwrap_or_default(),
            "submission_listen" => self.smtp.submission_listen.clone().unwrap_or_default(),
            "submissions_listen" => self.smtp.submissions_listen.clone().unwrap_or_default(),
            "tls_cert" => self.smtp.tls_cert.display().to_string(),
            "tls_key" => self.smtp.tls_key.display().to_string(),
            "message_size_limit" => self.smtp.message_size_limit.to_string(),
            "message_memory_limit" => self.smtp.message_memory_limit.to_string(),
            "max_recipients" => self.smtp.max_recipients.to_string(),
            "max_connections" => self.smtp.max_connections.to_string(),
            "max_connections_per_ip" => self.smtp.max_connections_per_ip.to_string(),
            "auth_failures_per_minute" => self.smtp.auth_failures_per_minute.to_string(),
            "auth_cache_ttl" => self.smtp.auth_cache_ttl.as_secs().to_string(),
            "smtp_idle_timeout" => self.smtp.idle_timeout.as_secs().to_string(),
            "smtp_session_timeout" => self.smtp.session_timeout.as_secs().to_string(),
            "pop3_listen" => self.smtp.pop3_listen.clone().unwrap_or_default(),
            "pop3s_listen" => self.smtp.pop3s_listen.clone().unwrap_or_default(),
            "pop3_idle_timeout" => self.smtp.pop3_idle_timeout.as_secs().to_string(),
            "imap_listen" => self.smtp.imap_listen.clone().unwrap_or_default(),
            "imaps_listen" => self.smtp.imaps_listen.clone().unwrap_or_default(),
            "imap_idle_timeout" => self.smtp.imap_idle_timeout.as_secs().to_string(),
            "http_listen" => self.smtp.http_listen.clone().unwrap_or_default(),
            "https_listen" => self.smtp.https_listen.clone().unwrap_or_default(),
            "outbound_delivery" => self.smtp.outbound_delivery.to_string(),
            "relayhost" => self.smtp.relayhost.clone().unwrap_or_default(),
            "relayhost_user" => self.smtp.relayhost_user.clone().unwrap_or_default(),
            "relayhost_password_file" => {
                self.smtp.relayhost_password_file.as_ref().map(|p| p.display().to_string()).unwrap_or_default()
            }
            "dns_resolver" => self.smtp.dns_resolver.clone().unwrap_or_default(),
            "queue_retry_first" => self.smtp.queue_retry_first.to_string(),
            "queue_retry_max" => self.smtp.queue_retry_max.to_string(),
            "queue_lifetime" => self.smtp.queue_lifetime.to_string(),
            "queue_delay_warning" => self.smtp.queue_delay_warning.to_string(),
            "ipv4" => self.dns.ipv4.map(|v| v.to_string()).unwrap_or_default(),
            "ipv6" => self.dns.ipv6.map(|v| v.to_string()).unwrap_or_default(),
            "backup_mx" => self.dns.backup_mx.clone().unwrap_or_default(),
            "webmail_host" => self.dns.webmail_host.clone().unwrap_or_default(),
            "spf_record" => self.dns.spf_record.clone().unwrap_or_default(),
            "dmarc_record" => self.dns.dmarc_record.clone(),
            "tlsrpt_rua" => self.dns.tlsrpt_rua.clone(),
            "mta_sts_mode" => self.dns.mta_sts_mode.clone(),
            "acme_ca" => self.dns.acme_ca.clone(),
            "dns_ttl" => self.dns.ttl.to_string(),
            "dns_provider" => self.dns.provider.clone().unwrap_or_default(),
            "dns_endpoint" => self.dns.endpoint.clone().unwrap_or_default(),
            "dns_zone_id" => self.dns.zone_id.clone().unwrap_or_default(),
            "dns_server" => self.dns.server.clone().unwrap_or_default(),
            "dns_tsig_key" => self.dns.tsig_key.as_ref().map(|p| p.display().to_string()).unwrap_or_default(),
            "dns_credentials_file" => {
                self.dns.credentials_file.as_ref().map(|p| p.display().to_string()).unwrap_or_default()
            }
            "dkim_grace_days" => self.dns.dkim_grace_days.to_string(),
            _ => return None,
        })
    }
}

/// Parse and validate a whole config text.
pub fn parse(text: &str) -> Result<FileConfig> {
    let file: FileConfig = toml::from_str(text).map_err(|e| {
        Error::config(format!("invalid TOML: {}", e.message().trim()))
            .with_hint(e.span().map(|s| format!("at byte {}", s.start)).unwrap_or_default())
    })?;
    for key in KEYS {
        if let Some(v) = raw_value(&file, key.name) {
            (key.check)(&v).map_err(|e| Error::config(format!("{} = {v:?}: {}", key.name, e.message)))?;
        }
    }
    Ok(file)
}

fn raw_value(f: &FileConfig, key: &str) -> Option<String> {
    match key {
        "hostname" => f.hostname.clone(),
        "primary_domain" => f.primary_domain.clone(),
        "data_dir" => f.data_dir.as_ref().map(|p| p.display().to_string()),
        "database" => f.database.clone(),
        "dev_mode" => f.dev_mode.map(|b| b.to_string()),
        "log_level" => f.log_level.clone(),
        "smtp_listen" => f.smtp_listen.clone(),
        "submission_listen" => f.submission_listen.clone(),
        "submissions_listen" => f.submissions_listen.clone(),
        "tls_cert" => f.tls_cert.as_ref().map(|p| p.display().to_string()),
        "tls_key" => f.tls_key.as_ref().map(|p| p.display().to_string()),
        "message_size_limit" => f.message_size_limit.clone(),
        "message_memory_limit" => f.message_memory_limit.clone(),
        "max_recipients" => f.max_recipients.map(|v| v.to_string()),
        "max_connections" => f.max_connections.map(|v| v.to_string()),
        "max_connections_per_ip" => f.max_connections_per_ip.map(|v| v.to_string()),
        "auth_failures_per_minute" => f.auth_failures_per_minute.map(|v| v.to_string()),
        "auth_cache_ttl" => f.auth_cache_ttl.map(|v| v.to_string()),
        "smtp_idle_timeout" => f.smtp_idle_timeout.map(|v| v.to_string()),
        "smtp_session_timeout" => f.smtp_session_timeout.map(|v| v.to_string()),
        "pop3_listen" => f.pop3_listen.clone(),
        "pop3s_listen" => f.pop3s_listen.clone(),
        "pop3_idle_timeout" => f.pop3_idle_timeout.map(|v| v.to_string()),
        "imap_listen" => f.imap_listen.clone(),
        "imaps_listen" => f.imaps_listen.clone(),
        "imap_idle_timeout" => f.imap_idle_timeout.map(|v| v.to_string()),
        "http_listen" => f.http_listen.clone(),
        "https_listen" => f.https_listen.clone(),
        "outbound_delivery" => f.outbound_delivery.map(|b| b.to_string()),
        "relayhost" => f.relayhost.clone(),
        "relayhost_user" => f.relayhost_user.clone(),
        "relayhost_password_file" => f.relayhost_password_file.clone(),
        "dns_resolver" => f.dns_resolver.clone(),
        "queue_retry_first" => f.queue_retry_first.map(|v| v.to_string()),
        "queue_retry_max" => f.queue_retry_max.map(|v| v.to_string()),
        "queue_lifetime" => f.queue_lifetime.map(|v| v.to_string()),
        "queue_delay_warning" => f.queue_delay_warning.map(|v| v.to_string()),
        "ipv4" => f.ipv4.clone(),
        "ipv6" => f.ipv6.clone(),
        "backup_mx" => f.backup_mx.clone(),
        "webmail_host" => f.webmail_host.clone(),
        "spf_record" => f.spf_record.clone(),
        "dmarc_record" => f.dmarc_record.clone(),
        "tlsrpt_rua" => f.tlsrpt_rua.clone(),
        "mta_sts_mode" => f.mta_sts_mode.clone(),
        "acme_ca" => f.acme_ca.clone(),
        "dns_ttl" => f.dns_ttl.map(|v| v.to_string()),
        "dns_provider" => f.dns_provider.clone(),
        "dns_endpoint" => f.dns_endpoint.clone(),
        "dns_zone_id" => f.dns_zone_id.clone(),
        "dns_server" => f.dns_server.clone(),
        "dns_tsig_key" => f.dns_tsig_key.clone(),
        "dns_credentials_file" => f.dns_credentials_file.clone(),
        "dkim_grace_days" => f.dkim_grace_days.map(|v| v.to_string()),
        _ => None,
    }
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

/// What kind of value a key takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueType {
    Text,
    Bool,
    Integer,
}

/// One key of the config: name, type, validation, and what it is for.
pub struct Key {
    pub name: &'static str,
    pub ty: ValueType,
    pub check: fn(&str) -> Result<()>,
    pub help: &'static str,
}

fn check_hostname(v: &str) -> Result<()> {
    crate::names::domain(v).map(|_| ())
}
fn check_path(v: &str) -> Result<()> {
    if v.is_empty() || v.contains('\0') { Err(Error::invalid("not a path")) } else { Ok(()) }
}
fn check_database(v: &str) -> Result<()> {
    if v.starts_with("sqlite:") || v.starts_with("postgres://") || v.starts_with("postgresql://") {
        Ok(())
    } else {
        Err(Error::invalid("not a sqlite: or postgres:// URL"))
    }
}
fn check_bool(v: &str) -> Result<()> {
    match v {
        "true" | "false" => Ok(()),
        _ => Err(Error::invalid("not true or false")),
    }
}
fn check_listen(v: &str) -> Result<()> {
    if v.is_empty() || v.parse::<std::net::SocketAddr>().is_ok() {
        Ok(())
    } else {
        Err(Error::invalid("not an address:port like 0.0.0.0:25 or [::]:25 (empty disables)"))
    }
}
fn check_size(v: &str) -> Result<()> {
    crate::size::parse_bytes(v).map(|_| ())
}
fn check_any(_: &str) -> Result<()> {
    Ok(())
}

fn check_any_count(v: &str) -> Result<()> {
    v.parse::<u64>().map(|_| ()).map_err(|_| Error::invalid("not a whole number"))
}

fn check_relayhost(v: &str) -> Result<()> {
    if v.is_empty() { Ok(()) } else { crate::netaddr::NextHop::parse(v).map(|_| ()) }
}

fn check_resolver(v: &str) -> Result<()> {
    if v.is_empty() || crate::netaddr::parse_server(v).is_ok() {
        Ok(())
    } else {
        Err(Error::invalid("not an IP address or IP:port"))
    }
}

fn check_count(v: &str) -> Result<()> {
    match v.parse::<u64>() {
        Ok(n) if n > 0 && n < 1 << 40 => Ok(()),
        _ => Err(Error::invalid("not a positive whole number")),
    }
}

fn check_log_level(v: &str) -> Result<()> {
    match v {
        "error" | "warn" | "info" | "debug" | "trace" => Ok(()),
        _ => Err(Error::invalid("not one of error, warn, info, debug, trace")),
    }
}

fn check_ipv4(v: &str) -> Result<()> {
    check_empty_or::<std::net::Ipv4Addr>(v, "not an IPv4 address")
}
fn check_ipv6(v: &str) -> Result<()> {
    check_empty_or::<std::net::Ipv6Addr>(v, "not an IPv6 address")
}
fn check_empty_or<T: std::str::FromStr>(v: &str, problem: &str) -> Result<()> {
    if v.is_empty() || v.parse::<T>().is_ok() { Ok(()) } else { Err(Error::invalid(problem)) }
}
fn check_host_or_empty(v: &str) -> Result<()> {
    if v.is_empty() { Ok(()) } else { check_hostname(v) }
}
fn check_spf(v: &str) -> Result<()> {
    if v.is_empty() || v.starts_with("v=spf1") && v.len() < 2048 {
        Ok(())
    } else {
        Err(Error::invalid("an SPF record starts with v=spf1"))
    }
}
fn check_dmarc(v: &str) -> Result<()> {
    if v.is_empty() || v.starts_with("v=DMARC1;") && v.contains("p=") {
        Ok(())
    } else {
        Err(Error::invalid("a DMARC record starts with v=DMARC1; and has p="))
    }
}
fn check_sts_mode(v: &str) -> Result<()> {
    match v {
        "" | "enforce" | "testing" | "none" => Ok(()),
        _ => Err(Error::invalid("not enforce, testing or none")),
    }
}
fn check_provider(v: &str) -> Result<()> {
    match v {
        "" | "cloudflare" | "route53" | "rfc2136" => Ok(()),
        _ => Err(Error::invalid("not cloudflare, route53 or rfc2136")),
    }
}

/// Every key `config` knows, in display order.
pub const KEYS: &[Key] = &[
    Key {
        name: "hostname",
        ty: ValueType::Text,
        check: check_hostname,
        help: "the mail host's name (EHLO, banner, certificates); default mail.<primary_domain>",
    },
    Key { name: "primary_domain", ty: ValueType::Text, check: check_hostname, help: "the domain set up by `init`" },
    Key {
        name: "data_dir",
        ty: ValueType::Text,
        check: check_path,
        help: "where mail, keys and the SQLite database live; relative to the config file",
    },
    Key {
        name: "database",
        ty: ValueType::Text,
        check: check_database,
        help: "sqlite:// or postgres:// URL; default the SQLite file in data_dir",
    },
    Key {
        name: "dev_mode",
        ty: ValueType::Bool,
        check: check_bool,
        help: "allow AUTH and plaintext login on loopback before TLS (never in production)",
    },
    Key { name: "log_level", ty: ValueType::Text, check: check_log_level, help: "error, warn, info, debug or trace" },
    Key {
        name: "smtp_listen",
        ty: ValueType::Text,
        check: check_listen,
        help: "inbound SMTP (MX); default 0.0.0.0:25, dev 127.0.0.1:2525; empty disables",
    },
    Key {
        name: "submission_listen",
        ty: ValueType::Text,
        check: check_listen,
        help: "submission with STARTTLS; default 0.0.0.0:587, dev 127.0.0.1:2587",
    },
    Key {
        name: "submissions_listen",
        ty: ValueType::Text,
        check: check_listen,
        help: "submission over implicit TLS; default 0.0.0.0:465, dev 127.0.0.1:2465",
    },
    Key {
        name: "tls_cert",
        ty: ValueType::Text,
        check: check_path,
        help: "PEM certificate chain; default data_dir/tls/cert.pem (self-signed on first start)",
    },
    Key {
        name: "tls_key",
        ty: ValueType::Text,
        check: check_path,
        help: "PEM private key; default data_dir/tls/key.pem",
    },
    Key {
        name: "message_size_limit",
        ty: ValueType::Text,
        check: check_size,
        help: "largest message accepted (advertised in EHLO SIZE); default 25M",
    },
    Key {
        name: "message_memory_limit",
        ty: ValueType::Text,
        check: check_size,
        help: "memory for messages being received, all sessions together; beyond it, 452 4.3.1; default 1G",
    },
    Key {
        name: "max_recipients",
        ty: ValueType::Integer,
        check: check_count,
        help: "recipients per message; default 100",
    },
    Key {
        name: "max_connections",
        ty: ValueType::Integer,
        check: check_count,
        help: "concurrent connections in total; default 500",
    },
    Key {
        name: "max_connections_per_ip",
        ty: ValueType::Integer,
        check: check_count,
        help: "concurrent connections per client address; default 20",
    },
    Key {
        name: "auth_failures_per_minute",
        ty: ValueType::Integer,
        check: check_count,
        help: "failed logins per client address per minute before refusal; default 5",
    },
    Key {
        name: "auth_cache_ttl",
        ty: ValueType::Integer,
        check: check_any_count,
        help: "seconds a verified login is remembered (a keyed hash, in memory); 0 turns it off; default 3600",
    },
    Key {
        name: "smtp_idle_timeout",
        ty: ValueType::Integer,
        check: check_count,
        help: "seconds to wait for a command; default 300",
    },
    Key {
        name: "smtp_session_timeout",
        ty: ValueType::Integer,
        check: check_count,
        help: "seconds a session may last; default 1800",
    },
    Key {
        name: "pop3_listen",
        ty: ValueType::Text,
        check: check_listen,
        help: "POP3 with STLS; default 0.0.0.0:110, dev 127.0.0.1:2110; empty disables",
    },
    Key {
        name: "pop3s_listen",
        ty: ValueType::Text,
        check: check_listen,
        help: "POP3 over implicit TLS; default 0.0.0.0:995, dev 127.0.0.1:2995",
    },
    Key {
        name: "pop3_idle_timeout",
        ty: ValueType::Integer,
        check: check_count,
        help: "seconds a POP3 client may stay silent; default 600 (RFC 1939: at least 10 minutes)",
    },
    Key {
        name: "imap_listen",
        ty: ValueType::Text,
        check: check_listen,
        help: "IMAP with STARTTLS; default 0.0.0.0:143, dev 127.0.0.1:2143; empty disables",
    },
    Key {
        name: "imaps_listen",
        ty: ValueType::Text,
        check: check_listen,
        help: "IMAP over implicit TLS; default 0.0.0.0:993, dev 127.0.0.1:2993",
    },
    Key {
        name: "imap_idle_timeout",
        ty: ValueType::Integer,
        check: check_count,
        help: "seconds a logged-in IMAP client may stay silent; default 1800 (RFC 9051: at least 30 minutes)",
    },
    Key {
        name: "http_listen",
        ty: ValueType::Text,
        check: check_listen,
        help: "HTTP for ACME HTTP-01 and the MTA-STS policy; default 0.0.0.0:80, dev 127.0.0.1:2080; empty disables",
    },
    Key {
        name: "https_listen",
        ty: ValueType::Text,
        check: check_listen,
        help: "HTTPS for ACME TLS-ALPN-01 and the MTA-STS policy; default 0.0.0.0:443, dev 127.0.0.1:2443",
    },
    Key {
        name: "outbound_delivery",
        ty: ValueType::Bool,
        check: check_bool,
        help: "deliver queued mail to other domains; false keeps it queued (maintenance); default true",
    },
    Key {
        name: "relayhost",
        ty: ValueType::Text,
        check: check_relayhost,
        help: "send all outbound mail through this smarthost, [host]:port or host:port; empty: deliver directly",
    },
    Key {
        name: "relayhost_user",
        ty: ValueType::Text,
        check: check_any,
        help: "user name for AUTH at the relayhost (only ever sent under TLS)",
    },
    Key {
        name: "relayhost_password_file",
        ty: ValueType::Text,
        check: check_any,
        help: "a 0600 file holding the relayhost password (never put the password itself in the config)",
    },
    Key {
        name: "dns_resolver",
        ty: ValueType::Text,
        check: check_resolver,
        help: "nameserver for MX lookups, IP or IP:port; empty: /etc/resolv.conf",
    },
    Key {
        name: "queue_retry_first",
        ty: ValueType::Integer,
        check: check_count,
        help: "seconds before the first retry of a deferred message; doubles each time; default 300",
    },
    Key {
        name: "queue_retry_max",
        ty: ValueType::Integer,
        check: check_count,
        help: "longest wait between retries, seconds; default 14400 (4 h)",
    },
    Key {
        name: "queue_lifetime",
        ty: ValueType::Integer,
        check: check_count,
        help: "seconds a message may wait before it is bounced; default 432000 (5 days, RFC 5321)",
    },
    Key {
        name: "queue_delay_warning",
        ty: ValueType::Integer,
        check: check_any_count,
        help: "seconds after which the sender is told a message is delayed (once); 0: never; default 14400",
    },
    Key {
        name: "ipv4",
        ty: ValueType::Text,
        check: check_ipv4,
        help: "the mail host's public IPv4 address (A, SPF, PTR); set by `init --ipv4`",
    },
    Key {
        name: "ipv6",
        ty: ValueType::Text,
        check: check_ipv6,
        help: "the mail host's public IPv6 address (AAAA, SPF, PTR); set by `init --ipv6`",
    },
    Key { name: "backup_mx", ty: ValueType::Text, check: check_host_or_empty, help: "a backup MX host (priority 20)" },
    Key {
        name: "webmail_host",
        ty: ValueType::Text,
        check: check_host_or_empty,
        help: "the webmail host's name; gets the mail host's A/AAAA",
    },
    Key {
        name: "spf_record",
        ty: ValueType::Text,
        check: check_spf,
        help: "the SPF TXT value; default v=spf1 mx a:<host> ip4:<ipv4> ip6:<ipv6> ~all ({domain}, {host} replaced)",
    },
    Key {
        name: "dmarc_record",
        ty: ValueType::Text,
        check: check_dmarc,
        help: "the _dmarc TXT value; default v=DMARC1; p=quarantine; rua=mailto:dmarc@{domain}",
    },
    Key {
        name: "tlsrpt_rua",
        ty: ValueType::Text,
        check: check_any,
        help: "where TLS reports go (_smtp._tls); default mailto:tlsrpt@{domain}",
    },
    Key {
        name: "mta_sts_mode",
        ty: ValueType::Text,
        check: check_sts_mode,
        help: "MTA-STS policy mode: enforce, testing or none; default testing",
    },
    Key {
        name: "acme_ca",
        ty: ValueType::Text,
        check: check_host_or_empty,
        help: "the CA allowed by the CAA record on the mail host; default letsencrypt.org",
    },
    Key {
        name: "dns_ttl",
        ty: ValueType::Integer,
        check: check_count,
        help: "TTL of published records, seconds; default 3600",
    },
    Key {
        name: "dns_provider",
        ty: ValueType::Text,
        check: check_provider,
        help: "where `dns publish` writes: cloudflare, route53 or rfc2136",
    },
    Key {
        name: "dns_endpoint",
        ty: ValueType::Text,
        check: check_any,
        help: "the provider API's base URL (Cloudflare, Route53); default the provider's own",
    },
    Key {
        name: "dns_zone_id",
        ty: ValueType::Text,
        check: check_any,
        help: "the provider's zone id; default looked up by name",
    },
    Key {
        name: "dns_server",
        ty: ValueType::Text,
        check: check_any,
        help: "RFC 2136: the primary server, host:port (default port 53)",
    },
    Key {
        name: "dns_tsig_key",
        ty: ValueType::Text,
        check: check_any,
        help: "RFC 2136: a BIND key file as tsig-keygen writes it (hmac-sha256)",
    },
    Key {
        name: "dns_credentials_file",
        ty: ValueType::Text,
        check: check_any,
        help: "a 0600 file of KEY=VALUE lines: CLOUDFLARE_API_TOKEN, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY",
    },
    Key {
        name: "dkim_grace_days",
        ty: ValueType::Integer,
        check: check_any_count,
        help: "days a replaced DKIM key stays published before `dns publish` retires it; default 7",
    },
];

pub fn key(name: &str) -> Result<&'static Key> {
    KEYS.iter().find(|k| k.name == name).ok_or_else(|| {
        Error::usage(format!("unknown config key {name:?}"))
            .with_hint(format!("keys are: {}", KEYS.iter().map(|k| k.name).collect::<Vec<_>>().join(", ")))
    })
}

/// Is the key set in the file (as opposed to defaulted)?
pub fn is_set(path: &Path, name: &str) -> bool {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|t| t.parse::<toml_edit::DocumentMut>().ok())
        .is_some_and(|d| d.get(name).is_some())
}

/// Set `name = value` in the config text, keeping comments and layout, and validate the result.
pub fn edit(text: &str, name: &str, value: &str) -> Result<String> {
    let key = key(name)?;
    (key.check)(value).map_err(|e| Error::invalid(format!("invalid value for {name}: {:?}: {}", value, e.message)))?;
    let mut doc: toml_edit::DocumentMut =
        text.parse().map_err(|e: toml_edit::TomlError| Error::config(format!("invalid TOML: {}", e.message())))?;
    let item = match key.ty {
        ValueType::Bool => toml_edit::value(value == "true"),
        ValueType::Integer => toml_edit::value(value.parse::<i64>().unwrap_or(0)),
        ValueType::Text => toml_edit::value(value),
    };
    match doc.get_mut(name) {
        // Keep the existing decor (comments before and after the value).
        Some(toml_edit::Item::Value(v)) => {
            let decor = v.decor().clone();
            doc[name] = item;
            if let Some(v) = doc[name].as_value_mut() {
                *v.decor_mut() = decor;
            }
        }
        _ => doc[name] = item,
    }
    let out = doc.to_string();
    parse(&out)?;
    Ok(out)
}

/// The config file `init` writes, with comments.
pub fn template(domain: &str, hostname: &str, data_dir: &Path, database: Option<&str>) -> String {
    let db = match database {
        Some(url) => format!("database = {}\n", toml_edit::value(url)),
        None => "# database = \"postgres://mailctl@localhost/mailctl\"   # default: SQLite in data_dir\n".into(),
    };
    format!(
        "# mailctl configuration. Edit with `mailctl config set KEY VALUE`; see `mailctl config show`.\n\
         \n\
         # The domain this instance was set up for; more with `mailctl domain add`.\n\
         primary_domain = {}\n\
         \n\
         # The mail host's name, used in the SMTP banner, EHLO and certificates.\n\
         hostname = {}\n\
         \n\
         # Mail, keys and the SQLite database. Relative paths are relative to this file.\n\
         data_dir = {}\n\
         \n\
         {db}",
        toml_edit::value(domain),
        toml_edit::value(hostname),
        toml_edit::value(data_dir.display().to_string()),
    )
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
