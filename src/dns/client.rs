//! What a mail client needs to know, from the same source as the SRV records `dns records`
//! publishes (RFC 6186, RFC 8314): the mail host and [`SERVICES`]. Rendered for people and
//! scripts (`mailctl client-config`), Thunderbird's autoconfig, Microsoft's Autodiscover (POX)
//! and Apple's configuration profile. Every value that came from a request is an address that
//! `names::Address` accepted, and is XML-escaped all the same.

use serde::Serialize;
use sha2::{Digest, Sha256};

/// How a client talks to a port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Security {
    /// TLS from the first byte (993, 995, 465).
    Tls,
    /// STARTTLS (143, 587).
    Starttls,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    Imap,
    Pop3,
    Smtp,
}

/// One service a client may use.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Service {
    /// The SRV owner label.
    #[serde(skip)]
    pub srv: &'static str,
    pub protocol: Protocol,
    pub port: u16,
    pub security: Security,
}

/// The services, best first within a protocol (implicit TLS, RFC 8314 §3).
pub const SERVICES: [Service; 5] = [
    Service { srv: "_imaps", protocol: Protocol::Imap, port: 993, security: Security::Tls },
    Service { srv: "_imap", protocol: Protocol::Imap, port: 143, security: Security::Starttls },
    Service { srv: "_pop3s", protocol: Protocol::Pop3, port: 995, security: Security::Tls },
    Service { srv: "_submissions", protocol: Protocol::Smtp, port: 465, security: Security::Tls },
    Service { srv: "_submission", protocol: Protocol::Smtp, port: 587, security: Security::Starttls },
];

/// The settings of one address (or of a domain, with `address` None).
#[derive(Debug, Clone, Serialize)]
pub struct Settings {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    pub domain: String,
    pub host: String,
    /// What the client logs in with: the whole address.
    pub username: String,
    pub services: Vec<Service>,
}

impl Settings {
    pub fn new(host: &str, domain: &str, address: Option<&str>) -> Settings {
        Settings {
            address: address.map(str::to_string),
            domain: domain.to_string(),
            host: host.to_string(),
            username: address.map(str::to_string).unwrap_or_else(|| "%EMAILADDRESS%".into()),
            services: SERVICES.to_vec(),
        }
    }

    fn first(&self, p: Protocol) -> &Service {
        self.services.iter().find(|s| s.protocol == p).expect("every protocol has a service")
    }

    /// The help desk's answer.
    pub fn text(&self) -> String {
        let mut out = format!("Mail settings for {}\n", self.address.as_deref().unwrap_or(&self.domain));
        for s in &self.services {
            let proto = match s.protocol {
                Protocol::Imap => "IMAP",
                Protocol::Pop3 => "POP3",
                Protocol::Smtp => "SMTP",
            };
            let sec = match s.security {
                Security::Tls => "SSL/TLS",
                Security::Starttls => "STARTTLS",
            };
            out.push_str(&format!("  {proto:<5} {}  port {:<4} {sec}\n", self.host, s.port));
        }
        out.push_str(&format!("  username: {} (the whole address); password: the account's\n", self.username));
        out
    }

    /// Thunderbird's autoconfig (config-v1.1.xml).
    pub fn thunderbird(&self) -> String {
        let e = |s: &str| quick_xml::escape::escape(s).into_owned();
        let server = |kind: &str, tag: &str, s: &Service| {
            let socket = match s.security {
                Security::Tls => "SSL",
                Security::Starttls => "STARTTLS",
            };
            format!(
                "    <{tag} type=\"{kind}\">\n      <hostname>{}</hostname>\n      <port>{}</port>\n      \
                 <socketType>{socket}</socketType>\n      <authentication>password-cleartext</authentication>\n      \
                 <username>{}</username>\n    </{tag}>\n",
                e(&self.host),
                s.port,
                e(&self.username)
            )
        };
        let mut body = String::new();
        for s in &self.services {
            body.push_str(&match s.protocol {
                Protocol::Imap => server("imap", "incomingServer", s),
                Protocol::Pop3 => server("pop3", "incomingServer", s),
                Protocol::Smtp => server("smtp", "outgoingServer", s),
            });
        }
        let d = e(&self.domain);
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<clientConfig version=\"1.1\">\n  \
             <emailProvider id=\"{d}\">\n    <domain>{d}</domain>\n    <displayName>{d} mail</displayName>\n    \
             <displayShortName>{d}</displayShortName>\n{body}  </emailProvider>\n</clientConfig>\n"
        )
    }

    /// Microsoft's Autodiscover (POX) response, outlook schema 2006a: IMAP and SMTP.
    pub fn autodiscover(&self) -> String {
        let e = |s: &str| quick_xml::escape::escape(s).into_owned();
        let proto = |kind: &str, s: &Service| {
            format!(
                "      <Protocol>\n        <Type>{kind}</Type>\n        <Server>{}</Server>\n        <Port>{}</Port>\n        \
                 <DomainRequired>off</DomainRequired>\n        <LoginName>{}</LoginName>\n        <SPA>off</SPA>\n        \
                 <SSL>on</SSL>\n        <Encryption>{}</Encryption>\n        <AuthRequired>on</AuthRequired>\n      </Protocol>\n",
                e(&self.host),
                s.port,
                e(&self.username),
                if s.security == Security::Tls { "SSL" } else { "TLS" }
            )
        };
        format!(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n\
             <Autodiscover xmlns=\"http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006\">\n  \
             <Response xmlns=\"{OUTLOOK_2006A}\">\n    <User>\n      <DisplayName>{}</DisplayName>\n    </User>\n    \
             <Account>\n      <AccountType>email</AccountType>\n      <Action>settings</Action>\n{}{}    </Account>\n  \
             </Response>\n</Autodiscover>\n",
            e(&self.username),
            proto("IMAP", self.first(Protocol::Imap)),
            proto("SMTP", self.first(Protocol::Smtp)),
        )
    }

    /// An Apple configuration profile (unsigned plist) with one IMAP account; its UUIDs are
    /// derived from the address, so the same profile is the same file.
    pub fn mobileconfig(&self) -> String {
        let e = |s: &str| quick_xml::escape::escape(s).into_owned();
        let (imap, smtp) = (self.first(Protocol::Imap), self.first(Protocol::Smtp));
        let who = self.address.as_deref().unwrap_or(&self.domain);
        let uuid = |salt: &str| {
            let h = Sha256::digest(format!("{salt}:{who}").as_bytes());
            let x = crate::backup::hex(&h[..16]).to_uppercase();
            format!("{}-{}-{}-{}-{}", &x[..8], &x[8..12], &x[12..16], &x[16..20], &x[20..32])
        };
        let reverse: String = self.domain.split('.').rev().collect::<Vec<_>>().join(".");
        let id = format!("{reverse}.mailctl.{}", uuid("id").to_lowercase());
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
  <key>PayloadContent</key>
  <array>
    <dict>
      <key>EmailAccountDescription</key><string>{who}</string>
      <key>EmailAccountType</key><string>EmailTypeIMAP</string>
      <key>EmailAddress</key><string>{address}</string>
      <key>IncomingMailServerAuthentication</key><string>EmailAuthPassword</string>
      <key>IncomingMailServerHostName</key><string>{host}</string>
      <key>IncomingMailServerPortNumber</key><integer>{imap_port}</integer>
      <key>IncomingMailServerUseSSL</key><{imap_ssl}/>
      <key>IncomingMailServerUsername</key><string>{user}</string>
      <key>OutgoingMailServerAuthentication</key><string>EmailAuthPassword</string>
      <key>OutgoingMailServerHostName</key><string>{host}</string>
      <key>OutgoingMailServerPortNumber</key><integer>{smtp_port}</integer>
      <key>OutgoingMailServerUseSSL</key><{smtp_ssl}/>
      <key>OutgoingMailServerUsername</key><string>{user}</string>
      <key>OutgoingPasswordSameAsIncomingPassword</key><true/>
      <key>PayloadDescription</key><string>Mail account {who}</string>
      <key>PayloadDisplayName</key><string>{who}</string>
      <key>PayloadIdentifier</key><string>{id}.account</string>
      <key>PayloadType</key><string>com.apple.mail.managed</string>
      <key>PayloadUUID</key><string>{account_uuid}</string>
      <key>PayloadVersion</key><integer>1</integer>
    </dict>
  </array>
  <key>PayloadDescription</key><string>Mail settings for {who}</string>
  <key>PayloadDisplayName</key><string>{domain} mail</string>
  <key>PayloadIdentifier</key><string>{id}</string>
  <key>PayloadOrganization</key><string>{domain}</string>
  <key>PayloadRemovalDisallowed</key><false/>
  <key>PayloadType</key><string>Configuration</string>
  <key>PayloadUUID</key><string>{profile_uuid}</string>
  <key>PayloadVersion</key><integer>1</integer>
</dict>
</plist>
"#,
            who = e(who),
            address = e(self.address.as_deref().unwrap_or("")),
            host = e(&self.host),
            user = e(&self.username),
            domain = e(&self.domain),
            imap_port = imap.port,
            smtp_port = smtp.port,
            imap_ssl = if imap.security == Security::Tls { "true" } else { "false" },
            smtp_ssl = if smtp.security == Security::Tls { "true" } else { "false" },
            id = e(&id),
            account_uuid = uuid("account"),
            profile_uuid = uuid("profile"),
        )
    }
}

/// The Autodiscover response schema mailctl answers with.
pub const OUTLOOK_2006A: &str = "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a";

/// The `EMailAddress` of an Autodiscover POX request, if it has one.
pub fn autodiscover_request_address(body: &[u8]) -> Option<String> {
    use quick_xml::events::Event;
    let mut r = quick_xml::Reader::from_reader(body);
    let mut inside = false;
    let mut buf = Vec::new();
    loop {
        match r.read_event_into(&mut buf).ok()? {
            Event::Start(t) => inside = t.local_name().into_inner() == "EMailAddress",
            Event::Text(t) if inside => return Some(t.xml10_content().trim().to_string()),
            Event::End(_) => inside = false,
            Event::Eof => return None,
            _ => {}
        }
        buf.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_values_come_out_escaped() {
        let s = Settings::new("mx.example.net", "example.com", Some("a\"><script>@example.com"));
        for doc in [s.thunderbird(), s.autodiscover(), s.mobileconfig()] {
            assert!(!doc.contains("<script>") && doc.contains("&lt;script&gt;"), "{doc}");
        }
    }

    #[test]
    fn the_pox_request_names_its_address() {
        let req = br#"<?xml version="1.0" encoding="utf-8"?><Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"><Request><EMailAddress>ann@example.com</EMailAddress><AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema></Request></Autodiscover>"#;
        assert_eq!(autodiscover_request_address(req).as_deref(), Some("ann@example.com"));
        assert_eq!(autodiscover_request_address(b"<x>"), None);
        assert_eq!(autodiscover_request_address(b"not xml at all <<<"), None);
    }
}
