//! AWS Route53 over its REST API (2013-04-01): the hosted zone by name,
//! ListResourceRecordSets with pagination, one ChangeResourceRecordSets batch (atomic at
//! AWS), then GetChange until INSYNC. Requests are signed with SigV4 by `aws-sigv4`.
//!
//! Endpoint: `--endpoint`, else `AWS_ENDPOINT_URL_ROUTE_53`, else `AWS_ENDPOINT_URL` (as the
//! AWS tools do), else `https://route53.amazonaws.com`.

use std::time::{Duration, SystemTime};

use serde::Deserialize;

use super::{Credentials, Requests, Settings, half_applied, http_client, kind_for_status, transport_error};
use crate::dns::plan::{Action, Change, RrSet};
use crate::dns::value::{canonical, to_zone};
use crate::error::{Error, Kind, Result};

const API: &str = "2013-04-01";
const XMLNS: &str = "https://route53.amazonaws.com/doc/2013-04-01/";
/// Changes per ChangeResourceRecordSets call (AWS allows 1,000 records per batch).
const BATCH: usize = 100;

pub struct Route53 {
    http: reqwest::Client,
    endpoint: String,
    /// `--zone-id`: used for the one domain being published.
    zone_id: Option<String>,
    /// Domain -> hosted zone id, as found by name.
    zone_ids: std::collections::HashMap<String, String>,
    /// (name, type, canonical value) -> the value as Route53 holds it, from the last `list`:
    /// a DELETE must name it exactly, and kept values are sent back as they were.
    raw: std::collections::HashMap<(String, String, String), String>,
    access_key: String,
    secret_key: String,
    session_token: Option<String>,
    pub requests: Requests,
}

impl Route53 {
    pub fn new(s: &Settings, creds: &Credentials) -> Result<Route53> {
        let endpoint = s
            .endpoint
            .clone()
            .or_else(|| creds.get("AWS_ENDPOINT_URL_ROUTE_53"))
            .or_else(|| creds.get("AWS_ENDPOINT_URL"))
            .unwrap_or_else(|| "https://route53.amazonaws.com".into())
            .trim_end_matches('/')
            .to_string();
        let (Some(access_key), Some(secret_key)) = (creds.get("AWS_ACCESS_KEY_ID"), creds.get("AWS_SECRET_ACCESS_KEY"))
        else {
            return Err(Error::config("route53: no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
                .with_hint("in the environment, or in the 0600 file named by dns_credentials_file"));
        };
        Ok(Route53 {
            http: http_client(s)?,
            endpoint,
            zone_id: s.zone_id.clone().map(|z| z.trim_start_matches("/hostedzone/").to_string()),
            zone_ids: Default::default(),
            raw: Default::default(),
            access_key,
            secret_key,
            session_token: creds.get("AWS_SESSION_TOKEN"),
            requests: Requests::default(),
        })
    }

    /// One signed request; 5xx and throttling are retried a few times.
    async fn call(&mut self, method: &str, path_query: &str, body: Option<String>) -> Result<String> {
        let url = format!("{}{path_query}", self.endpoint);
        let mut delay = Duration::from_millis(500);
        for attempt in 0.. {
            if method == "GET" {
                self.requests.reads += 1;
            } else {
                self.requests.writes += 1;
            }
            let body_bytes = body.clone().unwrap_or_default().into_bytes();
            let mut headers = vec![("content-type".to_string(), "application/xml".to_string())];
            if body.is_none() {
                headers.clear();
            }
            for (k, v) in self.sign(method, &url, &headers, &body_bytes)? {
                headers.push((k, v));
            }
            let mut req = self.http.request(method.parse().unwrap_or(reqwest::Method::GET), &url);
            for (k, v) in &headers {
                req = req.header(k.as_str(), v.as_str());
            }
            let resp = req.body(body_bytes).send().await.map_err(|e| transport_error("route53", e))?;
            let status = resp.status().as_u16();
            let text = resp.text().await.map_err(|e| transport_error("route53", e))?;
            if (200..300).contains(&status) {
                return Ok(text);
            }
            let (code, message) = error_of(&text);
            // A change batch is retried only when AWS says it was not applied (throttling);
            // after a 5xx it may have been, and a second CREATE would fail.
            let throttled = code == "Throttling" || code == "PriorRequestNotComplete";
            let retry = throttled || (status >= 500 && method == "GET");
            if retry && attempt < 4 {
                tokio::time::sleep(delay).await;
                delay *= 2;
                continue;
            }
            let kind = match code.as_str() {
                "NoSuchHostedZone" => Kind::NotFound,
                "Throttling" | "PriorRequestNotComplete" => Kind::TempFail,
                "InvalidClientTokenId" | "SignatureDoesNotMatch" | "AccessDenied" | "ExpiredToken" => Kind::Permission,
                _ => kind_for_status(status),
            };
            return Err(Error::new(kind, format!("route53: {code}: {message} (HTTP {status})")));
        }
        unreachable!()
    }

    fn sign(
        &self,
        method: &str,
        url: &str,
        headers: &[(String, String)],
        body: &[u8],
    ) -> Result<Vec<(String, String)>> {
        use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
        let identity = aws_credential_types::Credentials::new(
            &self.access_key,
            &self.secret_key,
            self.session_token.clone(),
            None,
            "mailctl",
        )
        .into();
        let fail = |e: &dyn std::fmt::Display| Error::new(Kind::Internal, format!("route53: signing: {e}"));
        let params = aws_sigv4::sign::v4::SigningParams::builder()
            .identity(&identity)
            .region("us-east-1")
            .name("route53")
            .time(SystemTime::now())
            .settings(SigningSettings::default())
            .build()
            .map_err(|e| fail(&e))?
            .into();
        let request = SignableRequest::new(
            method,
            url,
            headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            SignableBody::Bytes(body),
        )
        .map_err(|e| fail(&e))?;
        let (instructions, _) = sign(request, &params).map_err(|e| fail(&e))?.into_parts();
        Ok(instructions.headers().map(|(k, v)| (k.to_string(), v.to_string())).collect())
    }

    /// The public hosted zone holding a domain's records: its own, or its nearest parent's.
    async fn zone_id(&mut self, domain: &str) -> Result<String> {
        if let Some(id) = self.zone_id.as_ref().or_else(|| self.zone_ids.get(domain)) {
            return Ok(id.clone());
        }
        let found = super::find_zone(domain, ("route53", "public hosted zones"), async |zone| {
            let text =
                self.call("GET", &format!("/{API}/hostedzonesbyname?dnsname={zone}.&maxitems=100"), None).await?;
            let list: ZonesByName = parse(&text)?;
            let wanted = format!("{zone}.");
            Ok(list
                .hosted_zones
                .items
                .iter()
                .filter(|z| z.name.eq_ignore_ascii_case(&wanted) && !z.config.as_ref().is_some_and(|c| c.private_zone))
                .map(|z| z.id.trim_start_matches("/hostedzone/").to_string())
                .collect())
        })
        .await?;
        let id = found.ok_or_else(|| {
            Error::not_found(format!("route53: no public hosted zone for {domain}"))
                .with_hint("create it in Route53 first, or pass --zone-id")
        })?;
        self.zone_ids.insert(domain.to_string(), id.clone());
        Ok(id)
    }

    pub async fn list(&mut self, zone: &str) -> Result<Vec<RrSet>> {
        let id = self.zone_id(zone).await?;
        let mut out = Vec::new();
        let mut next: Option<(String, String, Option<String>)> = None;
        for _ in 0..10_000 {
            let q = match &next {
                None => format!("/{API}/hostedzone/{id}/rrset?maxitems=100"),
                Some((n, t, i)) => format!(
                    "/{API}/hostedzone/{id}/rrset?maxitems=100&name={}&type={t}{}",
                    encode(n),
                    i.as_ref().map(|i| format!("&identifier={}", encode(i))).unwrap_or_default()
                ),
            };
            let text = self.call("GET", &q, None).await?;
            let page: ListRrSets = parse(&text)?;
            for s in page.sets.items {
                // Alias and routing-policy record sets are not mailctl's.
                if s.set_identifier.is_some() || s.alias_target.is_some() {
                    continue;
                }
                let rtype = s.rtype.to_ascii_uppercase();
                let name = name_from_wire(&s.name);
                let mut values = Vec::new();
                for v in s.records.map(|r| r.items).unwrap_or_default() {
                    let c = canonical(&rtype, &v.value);
                    self.raw.insert((name.clone(), rtype.clone(), c.clone()), v.value);
                    values.push(c);
                }
                out.push(RrSet { name, rtype, ttl: s.ttl.unwrap_or(300), values });
            }
            match (page.is_truncated, page.next_name, page.next_type) {
                (Some(true), Some(n), Some(t)) => next = Some((n, t, page.next_identifier)),
                _ => return Ok(out),
            }
        }
        Err(Error::new(Kind::Unavailable, "route53: the record list does not end"))
    }

    pub async fn apply(&mut self, zone: &str, changes: &[Change]) -> Result<usize> {
        let id = self.zone_id(zone).await?;
        let mut done = 0;
        for batch in changes.chunks(BATCH) {
            let body = change_batch(batch, |c, v| {
                self.raw
                    .get(&(c.name.clone(), c.rtype.clone(), v.to_string()))
                    .cloned()
                    .unwrap_or_else(|| to_zone(&c.rtype, v))
            });
            let text = match self.call("POST", &format!("/{API}/hostedzone/{id}/rrset"), Some(body)).await {
                Ok(t) => t,
                Err(e) => return Err(half_applied(e, done, changes.len())),
            };
            let info: ChangeResponse = parse(&text)?;
            self.wait_insync(&info.info.id).await.map_err(|e| half_applied(e, done, changes.len()))?;
            done += batch.len();
        }
        Ok(done)
    }

    /// GetChange until INSYNC (bounded: two minutes).
    async fn wait_insync(&mut self, change: &str) -> Result<()> {
        let id = change.trim_start_matches("/change/").to_string();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
        let mut status = String::new();
        while tokio::time::Instant::now() < deadline {
            let text = self.call("GET", &format!("/{API}/change/{id}"), None).await?;
            let r: ChangeResponse = parse(&text)?;
            status = r.info.status;
            if status == "INSYNC" {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
        Err(Error::new(Kind::TempFail, format!("route53: change {id} still {status} after 2 minutes")))
    }
}

/// The ChangeResourceRecordSets request body; `wire` gives a value's text (as the zone holds
/// it, or the zone-file form of a new one).
fn change_batch(changes: &[Change], wire: impl Fn(&Change, &str) -> String) -> String {
    let esc = |s: &str| quick_xml::escape::escape(s).into_owned();
    let mut x = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ChangeResourceRecordSetsRequest xmlns=\"{XMLNS}\"><ChangeBatch><Comment>mailctl dns publish</Comment><Changes>"
    );
    for c in changes {
        let (action, ttl, values) = match c.action {
            Action::Create => ("CREATE", c.ttl, &c.after),
            Action::Update => ("UPSERT", c.ttl, &c.after),
            Action::Delete => ("DELETE", c.before_ttl, &c.before),
        };
        x.push_str(&format!(
            "<Change><Action>{action}</Action><ResourceRecordSet><Name>{}.</Name><Type>{}</Type><TTL>{ttl}</TTL><ResourceRecords>",
            esc(&c.name),
            c.rtype
        ));
        for v in values {
            x.push_str(&format!("<ResourceRecord><Value>{}</Value></ResourceRecord>", esc(&wire(c, v))));
        }
        x.push_str("</ResourceRecords></ResourceRecordSet></Change>");
    }
    x.push_str("</Changes></ChangeBatch></ChangeResourceRecordSetsRequest>");
    x
}

/// Route53 names end with a dot and escape some bytes as `\OOO` (octal).
fn name_from_wire(n: &str) -> String {
    let n = n.trim_end_matches('.');
    let mut out = String::with_capacity(n.len());
    let b = n.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 3 < b.len() && b[i + 1..i + 4].iter().all(u8::is_ascii_digit) {
            let v = (b[i + 1] - b'0') as u32 * 64 + (b[i + 2] - b'0') as u32 * 8 + (b[i + 3] - b'0') as u32;
            out.push(char::from_u32(v).unwrap_or('?'));
            i += 4;
        } else {
            out.push(b[i] as char);
            i += 1;
        }
    }
    out.to_ascii_lowercase()
}

fn encode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

fn parse<'a, T: Deserialize<'a>>(text: &'a str) -> Result<T> {
    quick_xml::de::from_str(text)
        .map_err(|e| Error::new(Kind::Unavailable, format!("route53: unexpected response: {e}")))
}

/// The code and message of an error response: `<ErrorResponse><Error><Code>` or
/// `<InvalidChangeBatch><Messages><Message>`.
fn error_of(text: &str) -> (String, String) {
    if let Ok(e) = quick_xml::de::from_str::<ErrorResponse>(text) {
        return (e.error.code, e.error.message.unwrap_or_default());
    }
    if let Ok(e) = quick_xml::de::from_str::<InvalidChangeBatch>(text) {
        return ("InvalidChangeBatch".into(), e.messages.items.join("; "));
    }
    ("Error".into(), text.chars().take(200).collect())
}

#[derive(Deserialize)]
struct ErrorResponse {
    #[serde(rename = "Error")]
    error: ErrorBody,
}
#[derive(Deserialize)]
struct ErrorBody {
    #[serde(rename = "Code")]
    code: String,
    #[serde(rename = "Message")]
    message: Option<String>,
}
#[derive(Deserialize)]
struct InvalidChangeBatch {
    #[serde(rename = "Messages")]
    messages: Messages,
}
#[derive(Deserialize)]
struct Messages {
    #[serde(rename = "Message", default)]
    items: Vec<String>,
}

#[derive(Deserialize)]
struct ZonesByName {
    #[serde(rename = "HostedZones")]
    hosted_zones: HostedZones,
}
#[derive(Deserialize)]
struct HostedZones {
    #[serde(rename = "HostedZone", default)]
    items: Vec<HostedZone>,
}
#[derive(Deserialize)]
struct HostedZone {
    #[serde(rename = "Id")]
    id: String,
    #[serde(rename = "Name")]
    name: String,
    #[serde(rename = "Config")]
    config: Option<ZoneConfig>,
}
#[derive(Deserialize)]
struct ZoneConfig {
    #[serde(rename = "PrivateZone", default)]
    private_zone: bool,
}

#[derive(Deserialize)]
struct ListRrSets {
    #[serde(rename = "ResourceRecordSets")]
    sets: Sets,
    #[serde(rename = "IsTruncated")]
    is_truncated: Option<bool>,
    #[serde(rename = "NextRecordName")]
    next_name: Option<String>,
    #[serde(rename = "NextRecordType")]
    next_type: Option<String>,
    #[serde(rename = "NextRecordIdentifier")]
    next_identifier: Option<String>,
}
#[derive(Deserialize)]
struct Sets {
    #[serde(rename = "ResourceRecordSet", default)]
    items: Vec<WireSet>,
}
#[derive(Deserialize)]
struct WireSet {
    #[serde(rename = "Name")]
    name: String,
    #[serde(rename = "Type")]
    rtype: String,
    #[serde(rename = "TTL")]
    ttl: Option<u32>,
    #[serde(rename = "SetIdentifier")]
    set_identifier: Option<String>,
    #[serde(rename = "AliasTarget")]
    alias_target: Option<serde::de::IgnoredAny>,
    #[serde(rename = "ResourceRecords")]
    records: Option<WireRecords>,
}
#[derive(Deserialize)]
struct WireRecords {
    #[serde(rename = "ResourceRecord", default)]
    items: Vec<WireValue>,
}
#[derive(Deserialize)]
struct WireValue {
    #[serde(rename = "Value")]
    value: String,
}

/// The answer to ChangeResourceRecordSets and to GetChange alike.
#[derive(Deserialize)]
struct ChangeResponse {
    #[serde(rename = "ChangeInfo")]
    info: ChangeInfo,
}
#[derive(Deserialize)]
struct ChangeInfo {
    #[serde(rename = "Id")]
    id: String,
    #[serde(rename = "Status")]
    status: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_list_and_errors() {
        let xml = r#"<ListResourceRecordSetsResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><ResourceRecordSets>
          <ResourceRecordSet><Name>example.test.</Name><Type>MX</Type><TTL>300</TTL><ResourceRecords>
          <ResourceRecord><Value>10 mx1.example.test.</Value></ResourceRecord></ResourceRecords></ResourceRecordSet>
          <ResourceRecordSet><Name>\052.example.test.</Name><Type>A</Type><AliasTarget><HostedZoneId>Z</HostedZoneId><DNSName>x.</DNSName><EvaluateTargetHealth>false</EvaluateTargetHealth></AliasTarget></ResourceRecordSet>
          </ResourceRecordSets><IsTruncated>true</IsTruncated><NextRecordName>example.test.</NextRecordName><NextRecordType>NS</NextRecordType><MaxItems>1</MaxItems></ListResourceRecordSetsResponse>"#;
        let l: ListRrSets = parse(xml).unwrap();
        assert_eq!(l.sets.items.len(), 2);
        assert_eq!(l.next_type.as_deref(), Some("NS"));
        assert!(l.sets.items[1].alias_target.is_some());
        assert_eq!(name_from_wire("\\052.Example.test."), "*.example.test");
        let e = "<ErrorResponse><Error><Type>Sender</Type><Code>InvalidChangeBatch</Code><Message>nope</Message><message>nope</message></Error><RequestId>1</RequestId></ErrorResponse>";
        assert_eq!(error_of(e), ("InvalidChangeBatch".into(), "nope".into()));
        let e =
            "<InvalidChangeBatch><Messages><Message>a</Message><Message>b</Message></Messages></InvalidChangeBatch>";
        assert_eq!(error_of(e), ("InvalidChangeBatch".into(), "a; b".into()));
    }

    #[test]
    fn batch_body() {
        let c = Change {
            action: Action::Delete,
            name: "a.test".into(),
            rtype: "TXT".into(),
            ttl: 0,
            before_ttl: 60,
            before: vec!["x<y".into()],
            after: vec![],
        };
        let b = change_batch(&[c], |c, v| to_zone(&c.rtype, v));
        assert!(
            b.contains("<Action>DELETE</Action><ResourceRecordSet><Name>a.test.</Name><Type>TXT</Type><TTL>60</TTL>"),
            "{b}"
        );
        assert!(b.contains("<Value>&quot;x&lt;y&quot;</Value>"), "{b}");
    }
}
