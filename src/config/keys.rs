//! Every config key, declared once: its section, file type, rule (how it becomes the typed
//! setting, and its default), check, a sample value, and the field it fills; the line above
//! is its help. Adding a key is one entry here. Display order is table order.

use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::PathBuf;
use std::time::Duration;

use super::check;
use super::choices::{DmarcRejectAction, ScannerFailure, SpamFilter, VirusScanner};
use super::declare::Key;
use super::rules::*;

config_keys! {
    /// The effective configuration: file values over defaults, paths made absolute.
    pub struct Config {
        /// The file it came from; `None` for the dev instance.
        pub path: Option<PathBuf>,
        pub server: Server,
        pub dns: Dns,
        pub filter: Filter,
    }
    keys {
        /// the mail host's name (EHLO, banner, certificates)
        general hostname: text = Hostname, check::hostname, sample "mx.example.net" => hostname: String;
        /// the domain set up by `init`
        general primary_domain: text = Text, check::hostname, sample "example.net" => primary_domain: Option<String>;
        /// where mail, keys and the SQLite database live; relative to the config file
        general data_dir: text = DataDir, check::path, sample "/srv/mailctl" => data_dir: PathBuf;
        /// where `mailctl backup` keeps its repository (best on another disk or machine)
        general backup_dir: text = InDataDir("backups"), check::path, sample "/var/backups/mailctl"
            => backup_dir: PathBuf;
        /// seconds the newest complete backup may be old before `doctor` fails (schedule `backup create` daily)
        general backup_max_age: int = Secs(129600), check::count, sample "86400" => backup_max_age: Duration;
        /// sqlite:// or postgres:// URL
        general database: text = Database, check::database, sample "postgres://mailctl@db.example.net/mailctl"
            => database: String;
        /// allow AUTH and plaintext login on loopback before TLS (never in production)
        general dev_mode: bool = DevMode, check::boolean, sample "true" => dev_mode: bool;
        /// error, warn, info, debug or trace
        general log_level: text = TextOr("info"), check::log_level, sample "debug" => log_level: String;
        /// serve's log lines: text for people, json (one object per line) for log collectors
        general log_format: text = TextOr("text"), check::log_format, sample "json" => log_format: String;
    }

    /// What `mailctl serve` runs with: listeners, TLS files, limits and timeouts, the outbound
    /// queue and relay.
    pub struct Server {}
    keys {
        /// inbound SMTP (MX); empty disables
        smtp smtp_listen: text = Listen { port: 25, dev: 2525 }, check::listen, sample "127.0.0.1:2626"
            => smtp_listen: Option<String>;
        /// submission with STARTTLS
        smtp submission_listen: text = Listen { port: 587, dev: 2587 }, check::listen, sample "127.0.0.1:2687"
            => submission_listen: Option<String>;
        /// submission over implicit TLS
        smtp submissions_listen: text = Listen { port: 465, dev: 2465 }, check::listen, sample "127.0.0.1:2665"
            => submissions_listen: Option<String>;
        /// PEM certificate chain (self-signed on first start)
        tls tls_cert: text = InDataDir("tls/cert.pem"), check::path, sample "/etc/ssl/mail/cert.pem"
            => tls_cert: PathBuf;
        /// PEM private key
        tls tls_key: text = InDataDir("tls/key.pem"), check::path, sample "/etc/ssl/mail/key.pem" => tls_key: PathBuf;
        /// largest message accepted (advertised in EHLO SIZE)
        smtp message_size_limit: text = Size("25M"), check::size, sample "10485760" => message_size_limit: u64;
        /// memory for messages being received, all sessions together; beyond it, 452 4.3.1
        smtp message_memory_limit: text = Size("1G"), check::size, sample "536870912" => message_memory_limit: u64;
        /// recipients per message
        smtp max_recipients: int = Or(100), check::count, sample "50" => max_recipients: u64;
        /// concurrent connections in total
        server max_connections: int = Or(500), check::count, sample "200" => max_connections: u64;
        /// concurrent connections per client address
        server max_connections_per_ip: int = Or(20), check::count, sample "10" => max_connections_per_ip: u64;
        /// failed logins per client address per minute before refusal
        server auth_failures_per_minute: int = Or(5), check::count, sample "3" => auth_failures_per_minute: u64;
        /// seconds a verified login is remembered (a keyed hash, in memory); 0 turns it off
        server auth_cache_ttl: int = Secs(3600), check::any_count, sample "600" => auth_cache_ttl: Duration;
        /// serve's session workers on every CPU but the last, the store's commit threads on the last; read at start (false: the kernel places them)
        server cpu_placement: bool = Or(true), check::boolean, sample "false" => cpu_placement: bool;
        /// seconds to wait for a command
        smtp smtp_idle_timeout: int = Secs(300), check::count, sample "120" => idle_timeout: Duration;
        /// seconds a session may last
        smtp smtp_session_timeout: int = Secs(1800), check::count, sample "900" => session_timeout: Duration;
        /// POP3 with STLS; empty disables
        pop3 pop3_listen: text = Listen { port: 110, dev: 2110 }, check::listen, sample "127.0.0.1:2111"
            => pop3_listen: Option<String>;
        /// POP3 over implicit TLS
        pop3 pop3s_listen: text = Listen { port: 995, dev: 2995 }, check::listen, sample "127.0.0.1:2996"
            => pop3s_listen: Option<String>;
        /// seconds a POP3 client may stay silent (RFC 1939 §3: at least 10 minutes)
        pop3 pop3_idle_timeout: int = Secs(600), check::count, sample "900" => pop3_idle_timeout: Duration;
        /// IMAP with STARTTLS; empty disables
        imap imap_listen: text = Listen { port: 143, dev: 2143 }, check::listen, sample "127.0.0.1:2144"
            => imap_listen: Option<String>;
        /// IMAP over implicit TLS
        imap imaps_listen: text = Listen { port: 993, dev: 2993 }, check::listen, sample "127.0.0.1:2994"
            => imaps_listen: Option<String>;
        /// seconds a logged-in IMAP client may stay silent (RFC 9051 §5.4: at least 30 minutes)
        imap imap_idle_timeout: int = Secs(1800), check::count, sample "3600" => imap_idle_timeout: Duration;
        /// keep a full-text index (<data_dir>/fts) for IMAP SEARCH and the webmail's search; false: read every message
        imap search_index: bool = Or(true), check::boolean, sample "false" => search_index: bool;
        /// HTTP for ACME HTTP-01 and the MTA-STS policy; empty disables
        http http_listen: text = Listen { port: 80, dev: 2080 }, check::listen, sample "127.0.0.1:2081"
            => http_listen: Option<String>;
        /// HTTPS for ACME TLS-ALPN-01 and the MTA-STS policy
        http https_listen: text = Listen { port: 443, dev: 2443 }, check::listen, sample "127.0.0.1:2444"
            => https_listen: Option<String>;
        /// Prometheus metrics (/metrics) and health checks (/healthz/live, /healthz/ready); empty disables
        http metrics_listen: text = LoopbackListen(Listen { port: 9465, dev: 2946 }), check::listen, sample "127.0.0.1:9466"
            => metrics_listen: Option<String>;
        /// deliver queued mail to other domains; false keeps it queued (maintenance)
        queue outbound_delivery: bool = Or(true), check::boolean, sample "false" => outbound_delivery: bool;
        /// send all outbound mail through this smarthost, [host]:port or host:port; empty: deliver directly
        queue relayhost: text = Text, check::relayhost, sample "[smtp.example.net]:587" => relayhost: Option<String>;
        /// user name for AUTH at the relayhost (only ever sent under TLS)
        queue relayhost_user: text = Text, check::any, sample "mailer" => relayhost_user: Option<String>;
        /// a 0600 file holding the relayhost password (never put the password itself in the config)
        queue relayhost_password_file: text = OptionalFile { as_written: true }, check::any,
            sample "/etc/mailctl/relay.pass" => relayhost_password_file: Option<PathBuf>;
        /// nameserver for MX lookups, IP or IP:port; empty: /etc/resolv.conf
        queue dns_resolver: text = Text, check::resolver, sample "192.0.2.53:53" => dns_resolver: Option<String>;
        /// who vouches for DNSSEC (DANE, RFC 7672): resolver (trust the AD flag of dns_resolver, a validating resolver on this host or a network you control) or none
        queue dnssec_trust: text = TextOr("none"), check::dnssec_trust, sample "resolver" => dnssec_trust: String;
        /// send a daily TLS report (RFC 8460) to each destination domain that publishes a _smtp._tls rua
        queue tls_reports: bool = Or(true), check::boolean, sample "false" => tls_reports: bool;
        /// From: of the TLS reports we send (DKIM-signed for its domain); empty: postmaster@ the first domain
        queue tlsrpt_sender: text = Text, check::address_or_empty, sample "tls-reports@example.com" => tlsrpt_sender: Option<String>;
        /// a PEM file of CA certificates trusted besides the system's when outbound TLS is verified (MTA-STS, transport --tls verify)
        queue tls_extra_roots: text = OptionalFile { as_written: false }, check::any,
            sample "/etc/mailctl/extra-roots.pem" => tls_extra_roots: Option<PathBuf>;
        /// a mail server `doctor` connects to on port 25 to see whether outbound port 25 is open (host or host:port)
        queue doctor_probe_mx: text = TextOr("gmail-smtp-in.l.google.com:25"), check::any, sample "mx.example.net:25"
            => doctor_probe_mx: String;
        /// seconds before the first retry of a deferred message; doubles each time
        queue queue_retry_first: int = Or(300), check::count, sample "600" => queue_retry_first: u64;
        /// longest wait between retries, seconds
        queue queue_retry_max: int = Or(14400), check::count, sample "7200" => queue_retry_max: u64;
        /// seconds a message may wait before it is bounced (RFC 5321 §4.5.4.1: 4-5 days)
        queue queue_lifetime: int = Or(432000), check::count, sample "86400" => queue_lifetime: u64;
        /// seconds after which the sender is told a message is delayed (once); 0: never
        queue queue_delay_warning: int = Or(14400), check::any_count, sample "3600" => queue_delay_warning: u64;
    }

    /// What `dns records` publishes and how `dns publish` reaches the provider.
    pub struct Dns {}
    keys {
        /// the mail host's public IPv4 address (A, SPF, PTR); set by `init --ipv4`
        dns ipv4: text = IPV4, check::ipv4, sample "192.0.2.10" => ipv4: Option<Ipv4Addr>;
        /// the mail host's public IPv6 address (AAAA, SPF, PTR); set by `init --ipv6`
        dns ipv6: text = IPV6, check::ipv6, sample "2001:db8::10" => ipv6: Option<Ipv6Addr>;
        /// a backup MX host (priority 20)
        dns backup_mx: text = Text, check::host_or_empty, sample "mx2.example.net" => backup_mx: Option<String>;
        /// the webmail host's name; gets the mail host's A/AAAA
        dns webmail_host: text = Text, check::host_or_empty, sample "webmail.example.net"
            => webmail_host: Option<String>;
        /// the SPF TXT value ({domain}, {host} replaced)
        dns spf_record: text = TextElse("v=spf1 mx a:<host> ip4:<ipv4> ip6:<ipv6> ~all"), check::spf,
            sample "v=spf1 mx -all" => spf_record: Option<String>;
        /// the _dmarc TXT value ({domain} replaced)
        dns dmarc_record: text = TextOr("v=DMARC1; p=quarantine; rua=mailto:dmarc@{domain}"), check::dmarc,
            sample "v=DMARC1; p=reject" => dmarc_record: String;
        /// where TLS reports go (_smtp._tls)
        dns tlsrpt_rua: text = TextOr("mailto:tlsrpt@{domain}"), check::any, sample "mailto:tls@example.net"
            => tlsrpt_rua: String;
        /// MTA-STS policy mode: enforce, testing or none
        dns mta_sts_mode: text = TextOr("testing"), check::sts_mode, sample "enforce" => mta_sts_mode: String;
        /// the CA allowed by the CAA record on the mail host (the ACME issuer's domain)
        dns acme_ca: text = TextOr("letsencrypt.org"), check::host_or_empty, sample "sectigo.com" => acme_ca: String;
        /// TTL of published records, seconds (at most a week)
        dns dns_ttl: int = Ttl { default: 3600, max: 7 * 86400 }, check::count, sample "300" => ttl: u32;
        /// where `dns publish` writes: cloudflare, route53 or rfc2136
        dns dns_provider: text = Text, check::provider, sample "rfc2136" => provider: Option<String>;
        /// the provider API's base URL (Cloudflare, Route53)
        dns dns_endpoint: text = TextElse("the provider's own"), check::any, sample "https://dns.example.net/api"
            => endpoint: Option<String>;
        /// the provider's zone id
        dns dns_zone_id: text = TextElse("looked up by name"), check::any, sample "Z0123456789"
            => zone_id: Option<String>;
        /// RFC 2136: the primary server, host:port (default port 53)
        dns dns_server: text = Text, check::any, sample "192.0.2.53:53" => server: Option<String>;
        /// RFC 2136: a BIND key file as tsig-keygen writes it (hmac-sha256)
        dns dns_tsig_key: text = OptionalFile { as_written: false }, check::any, sample "/etc/mailctl/tsig.key"
            => tsig_key: Option<PathBuf>;
        /// a 0600 file of KEY=VALUE lines: CLOUDFLARE_API_TOKEN, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY
        dns dns_credentials_file: text = OptionalFile { as_written: false }, check::any,
            sample "/etc/mailctl/dns.env" => credentials_file: Option<PathBuf>;
        /// days a replaced DKIM key stays published before `dns publish` retires it
        dns dkim_grace_days: int = Or(7), check::any_count, sample "14" => dkim_grace_days: u64;
    }

    /// What inbound mail (port 25) goes through: sender authentication, scanners, blocklists,
    /// greylisting, and what their verdicts lead to.
    pub struct Filter {}
    keys {
        /// verify SPF, DKIM, DMARC, ARC and iprev of inbound mail and add Authentication-Results
        filter inbound_auth: bool = Or(true), check::boolean, sample "false" => inbound_auth: bool;
        /// spam scanner: none, spamd (SpamAssassin) or rspamd
        filter spam_filter: text = Parsed(SpamFilter::None), check::choice::<SpamFilter>, sample "spamd"
            => spam_filter: SpamFilter;
        /// the spam scanner's address: host:port for spamd, host:port or http://host:port for rspamd
        filter spam_filter_address: text = Text, check::scanner_address, sample "127.0.0.1:783"
            => spam_filter_address: Option<String>;
        /// rspamd's controller (learning), host:port or URL; unset: spam_filter_address's host, port 11334
        filter spam_learn_address: text = Text, check::scanner_address, sample "127.0.0.1:11334"
            => spam_learn_address: Option<String>;
        /// virus scanner: none or clamd
        filter virus_scanner: text = Parsed(VirusScanner::None), check::choice::<VirusScanner>, sample "clamd"
            => virus_scanner: VirusScanner;
        /// clamd's address, host:port
        filter virus_scanner_address: text = Text, check::scanner_address, sample "127.0.0.1:3310"
            => virus_scanner_address: Option<String>;
        /// spam score from which a message goes to Junk
        filter spam_junk_score: text = Parsed(5.0), check::score, sample "6" => spam_junk_score: f64;
        /// spam score from which a message is refused (550 5.7.1)
        filter spam_reject_score: text = Parsed(15.0), check::score, sample "20" => spam_reject_score: f64;
        /// what a DMARC failure under p=reject does: reject or junk
        filter dmarc_reject_action: text = Parsed(DmarcRejectAction::Reject), check::choice::<DmarcRejectAction>,
            sample "junk" => dmarc_reject_action: DmarcRejectAction;
        /// when a scanner does not answer: tempfail (451, the sender retries) or accept (marked unscanned)
        filter scanner_failure: text = Parsed(ScannerFailure::Tempfail), check::choice::<ScannerFailure>, sample "accept"
            => scanner_failure: ScannerFailure;
        /// DNS blocklist zones asked once per connection, comma-separated
        filter dnsbl_zones: text = List, check::host_list, sample "zen.spamhaus.org" => dnsbl_zones: Vec<String>;
        /// greylist unknown (client network, sender, recipient) triplets
        filter greylist: bool = Or(false), check::boolean, sample "true" => greylist: bool;
        /// seconds a new triplet must wait before it is accepted
        filter greylist_delay: int = Secs(300), check::count, sample "60" => greylist_delay: Duration;
        /// ARC sealers whose chains are trusted for DMARC, comma-separated domains
        filter arc_trusted_sealers: text = List, check::host_list, sample "google.com"
            => arc_trusted_sealers: Vec<String>;
        /// forwarders (addresses or @domains) whose DMARC failures are only tagged, comma-separated
        filter trusted_forwarders: text = List, check::sender_list, sample "@lists.example.org"
            => trusted_forwarders: Vec<String>;
        /// seconds the verdicts of a received message are kept for `filter explain`
        filter verdict_retention: int = Secs(7 * 86400), check::count, sample "86400" => verdict_retention: Duration;
    }
}
