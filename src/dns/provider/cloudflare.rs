//! Cloudflare API v4: the zone by name, `dns_records` listed page by page (`result_info`),
//! created (POST), replaced (PUT) and deleted one record at a time, with a bearer token
//! (`CLOUDFLARE_API_TOKEN`). A 429 is retried after its Retry-After, a few times.

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::{Value, json};

use super::{
    Credentials, Requests, Settings, half_applied, http_client, kind_for_status, retry_after, transport_error,
};
use crate::dns::plan::{Change, RrSet, Sets};
use crate::dns::value::{canonical, to_zone};
use crate::error::{Error, Kind, Result};

const PER_PAGE: u32 = 100;

pub struct Cloudflare {
    http: reqwest::Client,
    base: String,
    token: String,
    /// `--zone-id`: used for the one domain being published.
    zone_id: Option<String>,
    /// Domain -> zone id, as found by name.
    zone_ids: HashMap<String, String>,
    /// (name, type, canonical value) -> record ids, from the last `list`.
    ids: HashMap<(String, String, String), Vec<String>>,
    pub requests: Requests,
}

#[derive(Deserialize)]
struct Envelope {
    #[serde(default)]
    success: bool,
    #[serde(default)]
    errors: Vec<ApiError>,
    #[serde(default)]
    result: Value,
    result_info: Option<ResultInfo>,
}

#[derive(Deserialize)]
struct ApiError {
    #[serde(default)]
    code: i64,
    #[serde(default)]
    message: String,
}

#[derive(Deserialize)]
struct ResultInfo {
    #[serde(default)]
    total_pages: Option<u32>,
}

#[derive(Deserialize)]
struct WireRecord {
    id: String,
    name: String,
    #[serde(rename = "type")]
    rtype: String,
    #[serde(default)]
    content: String,
    #[serde(default)]
    ttl: u32,
    priority: Option<u16>,
    data: Option<Value>,
    #[serde(default)]
    proxied: bool,
}

impl Cloudflare {
    pub fn new(s: &Settings, creds: &Credentials) -> Result<Cloudflare> {
        let Some(token) = creds.get("CLOUDFLARE_API_TOKEN") else {
            return Err(Error::config("cloudflare: no API token: set CLOUDFLARE_API_TOKEN")
                .with_hint("in the environment, or in the 0600 file named by dns_credentials_file"));
        };
        Ok(Cloudflare {
            http: http_client(s)?,
            base: s
                .endpoint
                .clone()
                .unwrap_or_else(|| "https://api.cloudflare.com/client/v4".into())
                .trim_end_matches('/')
                .to_string(),
            token,
            zone_id: s.zone_id.clone(),
            zone_ids: HashMap::new(),
            ids: HashMap::new(),
            requests: Requests::default(),
        })
    }

    async fn call(&mut self, method: reqwest::Method, path: &str, body: Option<Value>) -> Result<Envelope> {
        let url = format!("{}{path}", self.base);
        for attempt in 0.. {
            if method == reqwest::Method::GET {
                self.requests.reads += 1;
            } else {
                self.requests.writes += 1;
            }
            let mut req = self.http.request(method.clone(), &url).bearer_auth(&self.token);
            if let Some(b) = &body {
                req = req.json(b);
            }
            let resp = req.send().await.map_err(|e| transport_error("cloudflare", e))?;
            let status = resp.status().as_u16();
            let wait = retry_after(resp.headers());
            let text = resp.text().await.map_err(|e| transport_error("cloudflare", e))?;
            let env: Option<Envelope> = serde_json::from_str(&text).ok();
            if (200..300).contains(&status) && env.as_ref().is_some_and(|e| e.success) {
                return Ok(env.unwrap_or_else(|| unreachable!()));
            }
            if status == 429 && attempt < 3 {
                tokio::time::sleep(wait).await;
                continue;
            }
            let detail = match &env {
                Some(e) if !e.errors.is_empty() => {
                    e.errors.iter().map(|x| format!("{} (code {})", x.message, x.code)).collect::<Vec<_>>().join("; ")
                }
                _ => "unexpected response".to_string(),
            };
            let kind = if (200..300).contains(&status) { Kind::Unavailable } else { kind_for_status(status) };
            return Err(Error::new(kind, format!("cloudflare: {detail} (HTTP {status})")));
        }
        unreachable!()
    }

    /// The zone holding a domain's records: its own, or its nearest parent's.
    async fn zone_id(&mut self, domain: &str) -> Result<String> {
        if let Some(id) = self.zone_id.as_ref().or_else(|| self.zone_ids.get(domain)) {
            return Ok(id.clone());
        }
        let found = super::find_zone(domain, ("cloudflare", "zones"), async |zone| {
            let env = self.call(reqwest::Method::GET, &format!("/zones?name={zone}"), None).await?;
            let zones: Vec<Value> = serde_json::from_value(env.result).unwrap_or_default();
            Ok(zones
                .iter()
                .filter(|z| z["name"].as_str().is_some_and(|n| n.eq_ignore_ascii_case(zone)))
                .filter_map(|z| z["id"].as_str().map(str::to_string))
                .collect())
        })
        .await?;
        let id = found.ok_or_else(|| {
            Error::not_found(format!("cloudflare: no zone for {domain} with this token"))
                .with_hint("add the zone in Cloudflare, give the token Zone:DNS:Edit on it, or pass --zone-id")
        })?;
        self.zone_ids.insert(domain.to_string(), id.clone());
        Ok(id)
    }

    pub async fn list(&mut self, zone: &str) -> Result<Vec<RrSet>> {
        let id = self.zone_id(zone).await?;
        let mut sets = Sets::default();
        self.ids.clear();
        let mut page = 1;
        loop {
            let path = format!("/zones/{id}/dns_records?page={page}&per_page={PER_PAGE}");
            let env = self.call(reqwest::Method::GET, &path, None).await?;
            let records: Vec<WireRecord> = serde_json::from_value(env.result)
                .map_err(|e| Error::new(Kind::Unavailable, format!("cloudflare: unexpected record list: {e}")))?;
            let n = records.len();
            for r in records {
                let name = r.name.trim_end_matches('.').to_ascii_lowercase();
                let rtype = r.rtype.to_ascii_uppercase();
                // A proxied record answers with Cloudflare's addresses, not its content: it
                // never counts as the value mailctl wants (the update turns proxying off).
                let mut value = value_of(&r, &rtype);
                if r.proxied {
                    value.push_str(" (proxied)");
                }
                self.ids.entry((name.clone(), rtype.clone(), value.clone())).or_default().push(r.id.clone());
                sets.add(name, rtype, r.ttl, value);
            }
            let total = env.result_info.and_then(|i| i.total_pages).unwrap_or(1);
            if page >= total || n == 0 || page >= 100_000 {
                return Ok(sets.into_vec());
            }
            page += 1;
        }
    }

    pub async fn apply(&mut self, zone: &str, changes: &[Change]) -> Result<usize> {
        let id = self.zone_id(zone).await?;
        for (done, c) in changes.iter().enumerate() {
            self.apply_one(&id, c).await.map_err(|e| half_applied(e, done, changes.len()))?;
        }
        Ok(changes.len())
    }

    /// One record set: a removed value paired with an added one becomes a PUT (the record
    /// keeps its id); the rest are POSTs and DELETEs; kept values with a new TTL are PUT.
    async fn apply_one(&mut self, zone_id: &str, c: &Change) -> Result<()> {
        let removed: Vec<String> = c.removed().cloned().collect();
        let added: Vec<String> = c.added().cloned().collect();
        let ttl_changed = c.ttl != c.before_ttl;
        let base = format!("/zones/{zone_id}/dns_records");
        for (i, old) in removed.iter().enumerate() {
            let rid = self.take_id(c, old)?;
            match added.get(i) {
                Some(new) => {
                    self.call(reqwest::Method::PUT, &format!("{base}/{rid}"), Some(body(c, new))).await?;
                }
                None => {
                    self.call(reqwest::Method::DELETE, &format!("{base}/{rid}"), None).await?;
                }
            }
        }
        for new in added.iter().skip(removed.len()) {
            self.call(reqwest::Method::POST, &base, Some(body(c, new))).await?;
        }
        if ttl_changed {
            for v in c.kept().cloned().collect::<Vec<_>>() {
                let rid = self.take_id(c, &v)?;
                self.call(reqwest::Method::PUT, &format!("{base}/{rid}"), Some(body(c, &v))).await?;
            }
        }
        Ok(())
    }

    fn take_id(&mut self, c: &Change, value: &str) -> Result<String> {
        self.ids.get_mut(&(c.name.clone(), c.rtype.clone(), value.to_string())).and_then(|v| v.pop()).ok_or_else(|| {
            Error::new(Kind::Internal, format!("cloudflare: no record id for {} {} {value}", c.name, c.rtype))
        })
    }
}

/// A record's canonical value from Cloudflare's fields (`priority` apart for MX and SRV;
/// `data` for SRV and CAA).
fn value_of(r: &WireRecord, rtype: &str) -> String {
    let d = r.data.as_ref();
    match rtype {
        "MX" => canonical("MX", &format!("{} {}", r.priority.unwrap_or(0), r.content)),
        "SRV" => match d {
            Some(d) if d.get("target").is_some() => canonical(
                "SRV",
                &format!(
                    "{} {} {} {}",
                    d["priority"].as_u64().unwrap_or(0),
                    d["weight"].as_u64().unwrap_or(0),
                    d["port"].as_u64().unwrap_or(0),
                    d["target"].as_str().unwrap_or("")
                ),
            ),
            _ => canonical("SRV", &format!("{} {}", r.priority.unwrap_or(0), r.content)),
        },
        "CAA" => match d {
            Some(d) if d.get("tag").is_some() => canonical(
                "CAA",
                &format!(
                    "{} {} \"{}\"",
                    d["flags"].as_u64().unwrap_or(0),
                    d["tag"].as_str().unwrap_or(""),
                    d["value"].as_str().unwrap_or("")
                ),
            ),
            _ => canonical("CAA", &r.content),
        },
        t => canonical(t, &r.content),
    }
}

/// The request body for a record (Create/Overwrite DNS Record).
fn body(c: &Change, value: &str) -> Value {
    let mut b = json!({ "type": c.rtype, "name": c.name, "ttl": c.ttl, "proxied": false, "comment": "mailctl" });
    let parts: Vec<&str> = value.split_whitespace().collect();
    match c.rtype.as_str() {
        "MX" => {
            b["priority"] = json!(parts.first().and_then(|p| p.parse::<u16>().ok()).unwrap_or(10));
            b["content"] = json!(parts.get(1).copied().unwrap_or(""));
        }
        "SRV" if parts.len() == 4 => {
            let n = |i: usize| parts[i].parse::<u16>().unwrap_or(0);
            b["data"] = json!({ "priority": n(0), "weight": n(1), "port": n(2), "target": parts[3] });
        }
        "CAA" => {
            let mut it = value.splitn(3, ' ');
            let (flags, tag, v) = (it.next().unwrap_or("0"), it.next().unwrap_or("issue"), it.next().unwrap_or(""));
            b["data"] = json!({ "flags": flags.parse::<u8>().unwrap_or(0), "tag": tag, "value": v.trim_matches('"') });
        }
        "TXT" => b["content"] = json!(to_zone("TXT", value)),
        _ => b["content"] = json!(value),
    }
    b
}
