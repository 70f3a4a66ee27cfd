//! RFC 2136 dynamic update with TSIG (RFC 8945), to any authoritative primary (BIND, Knot,
//! PowerDNS). The zone is read by AXFR; all changes go in one UPDATE message, which the
//! server applies atomically. Messages are built and signed with hickory-proto and sent
//! over TCP.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use hickory_proto::op::{Message, OpCode, Query, ResponseCode, UpdateMessage};
use hickory_proto::rr::rdata::tsig::{TsigAlgorithm, TsigError};
use hickory_proto::rr::rdata::{A, AAAA, CAA, CNAME, MX, NS, PTR, SRV, TXT};
use hickory_proto::rr::{DNSClass, Name, RData, Record, RecordType, TSigVerifier, TSigner};
use tokio::net::TcpStream;

use super::{Requests, Settings, read_secret_file};
use crate::dns::lookup::canonical_of;
use crate::dns::plan::{Action, Change, RrSet, Sets};
use crate::dns::value::txt_strings;
use crate::error::{Error, Kind, Result};

const TIMEOUT: Duration = Duration::from_secs(15);
const TRANSFER_REFUSED: &str = "rfc2136: the server accepts the key but refuses it zone transfers";

pub struct Rfc2136 {
    /// The primary as configured, and its address with the port (53 unless given).
    name: String,
    server: String,
    signer: TSigner,
    /// (name, type, canonical value) -> the record data as the zone holds it, from the last
    /// `list`: removals and re-adds send exactly that (a TXT split differently, a CAA we could
    /// not encode).
    raw: std::collections::HashMap<(String, String, String), RData>,
    /// Domain -> the zone holding it, when that is a parent's.
    zones: std::collections::HashMap<String, String>,
    pub requests: Requests,
}

impl Rfc2136 {
    pub fn new(s: &Settings) -> Result<Rfc2136> {
        let server = s.server.clone().ok_or_else(|| {
            Error::usage("rfc2136: no server: pass --server HOST:PORT")
                .with_hint("or: mailctl config set dns_server HOST:PORT")
        })?;
        let key = s.tsig_key.as_deref().ok_or_else(|| {
            Error::usage("rfc2136: no TSIG key: pass --tsig-key FILE (a BIND key file, as tsig-keygen writes it)")
                .with_hint("or: mailctl config set dns_tsig_key FILE")
        })?;
        Ok(Rfc2136 {
            server: with_port(&server),
            name: server,
            signer: load_key(key)?,
            raw: Default::default(),
            zones: Default::default(),
            requests: Requests::default(),
        })
    }

    /// The primary server: its name as configured, and its address with the port.
    pub fn primary(&self) -> (&str, &str) {
        (&self.name, &self.server)
    }

    /// The zone's record sets. A domain that is not a zone apex (`lists.example.com`) is
    /// looked for in the zone the server says holds it (the SOA of its answer).
    ///
    /// A server that takes the key's updates but refuses it transfers (a common BIND set-up)
    /// is read by queries instead: every type mailctl manages at every name it was told of
    /// (`names`).
    pub async fn list(&mut self, domain: &str, names: &[String]) -> Result<Vec<RrSet>> {
        // A domain already placed (DNS-01 lists the same zone again to clean up).
        if let Some(zone) = self.zones.get(domain).cloned() {
            let t = self.transfer(&zone).await;
            return self.or_queries(t, &zone, names).await;
        }
        let refused = match self.transfer(domain).await {
            Err(e @ (TransferError::Refused(_) | TransferError::NotThisZone(_))) => e,
            other => return other.map_err(Error::from),
        };
        let zone = self.zone_of(domain).await?;
        self.zones.insert(domain.to_string(), zone.clone());
        let t = if zone == domain { Err(refused) } else { self.transfer(&zone).await };
        self.or_queries(t, &zone, names).await
    }

    /// A transfer's result, or the zone read by queries when the server refused it.
    async fn or_queries(
        &mut self,
        t: Result<Vec<RrSet>, TransferError>,
        zone: &str,
        names: &[String],
    ) -> Result<Vec<RrSet>> {
        match t {
            Err(TransferError::Refused(_)) if !names.is_empty() => {
                tracing::info!(zone = %zone, "the server refuses transfers: reading the zone by queries");
                self.query_sets(names).await
            }
            other => other.map_err(Error::from),
        }
    }

    /// Each managed type at each of `names`, asked of the primary over one connection.
    async fn query_sets(&mut self, names: &[String]) -> Result<Vec<RrSet>> {
        const TYPES: [RecordType; 7] = [
            RecordType::A,
            RecordType::AAAA,
            RecordType::MX,
            RecordType::TXT,
            RecordType::SRV,
            RecordType::CAA,
            RecordType::CNAME,
        ];
        let mut conn = self.connect().await?;
        let mut sets = Sets::default();
        for name in names {
            for t in TYPES {
                self.requests.reads += 1;
                send(&mut conn, &message(name, t)?).await?;
                let reply = Message::from_vec(&recv(&mut conn).await?).map_err(|e| bad_reply(&e))?;
                if !matches!(reply.metadata.response_code, ResponseCode::NoError | ResponseCode::NXDomain) {
                    check_rcode(&reply, "query")?;
                }
                for r in reply.answers.iter().filter(|r| r.record_type() == t && owner(r) == *name) {
                    self.keep(&mut sets, r);
                }
            }
        }
        Ok(sets.into_vec())
    }

    /// A record into `sets`, with its data as the zone holds it.
    fn keep(&mut self, sets: &mut Sets, r: &Record) {
        let (name, rtype, value) = (owner(r), r.record_type().to_string(), canonical_of(&r.data));
        self.raw.insert((name.clone(), rtype.clone(), value.clone()), r.data.clone());
        sets.add(name, rtype, r.ttl, value);
    }

    /// The apex of the zone holding `name`, from the server's answer to an SOA query.
    async fn zone_of(&mut self, name: &str) -> Result<String> {
        self.requests.reads += 1;
        let mut conn = self.connect().await?;
        send(&mut conn, &message(name, RecordType::SOA)?).await?;
        let reply = Message::from_vec(&recv(&mut conn).await?).map_err(|e| bad_reply(&e))?;
        reply
            .answers
            .iter()
            .chain(reply.authorities.iter())
            .find(|r| r.record_type() == RecordType::SOA)
            .map(owner)
            .ok_or_else(|| {
                Error::not_found(format!("rfc2136: {} is not authoritative for {name} or a zone above it", self.server))
            })
    }

    async fn transfer(&mut self, zone: &str) -> Result<Vec<RrSet>, TransferError> {
        self.requests.reads += 1;
        let mut msg = message(zone, RecordType::AXFR)?;
        let mut verifier = self.sign(&mut msg)?;
        let mut conn = self.connect().await?;
        send(&mut conn, &msg).await?;
        let mut sets = Sets::default();
        let mut soas = 0;
        let mut signed_last;
        for n in 0..100_000 {
            let bytes = recv(&mut conn).await?;
            let plain = Message::from_vec(&bytes).map_err(|e| bad_reply(&e))?;
            if n == 0 && plain.metadata.response_code != ResponseCode::NoError {
                // The TSIG error says why: BADKEY is a key the server will not use for
                // transfers (Knot says so for a key whose ACL allows only updates; an unknown
                // key name is caught by the UPDATE); BADSIG is a wrong secret.
                match plain.signature().and_then(|s| s.data.error) {
                    Some(TsigError::BadKey) => {
                        return Err(TransferError::Refused(Error::new(
                            Kind::Permission,
                            format!("{TRANSFER_REFUSED} (BADKEY)"),
                        )));
                    }
                    Some(TsigError::BadSig) => {
                        return Err(Error::new(
                            Kind::Permission,
                            "rfc2136: the server rejects the key's signatures (BADSIG): the secret is wrong",
                        )
                        .into());
                    }
                    Some(TsigError::BadTime) => {
                        return Err(Error::new(
                            Kind::Permission,
                            "rfc2136: the server rejects the key's signatures (BADTIME): check this host's clock",
                        )
                        .into());
                    }
                    _ if plain.signature().is_some() && verifier.verify(&bytes).is_ok() => {
                        return Err(TransferError::Refused(Error::new(
                            Kind::Permission,
                            format!("{TRANSFER_REFUSED} ({})", plain.metadata.response_code),
                        )));
                    }
                    _ => {}
                }
            }
            if let Err(e) = check_rcode(&plain, "zone transfer") {
                // NOTAUTH, REFUSED or NOTZONE without a TSIG error may mean "not this zone"
                // (a domain below the apex): the caller asks for the SOA.
                return Err(match e.kind {
                    Kind::Permission | Kind::NotFound => TransferError::NotThisZone(e),
                    _ => TransferError::Failed(e),
                });
            }
            if plain.signature().is_some() {
                verifier.verify(&bytes).map_err(|e| {
                    Error::new(Kind::Permission, format!("rfc2136: the transfer's TSIG signature does not verify: {e}"))
                })?;
                signed_last = true;
            } else if n == 0 {
                return Err(Error::new(Kind::Permission, "rfc2136: the server's transfer is not signed").into());
            } else {
                signed_last = false;
            }
            for r in &plain.answers {
                // The transfer ends with the SOA it began with (a repeat `keep` drops).
                if r.record_type() == RecordType::SOA {
                    soas += 1;
                }
                self.keep(&mut sets, r);
            }
            if soas >= 2 {
                if !signed_last {
                    return Err(
                        Error::new(Kind::Permission, "rfc2136: the transfer's last message is not signed").into()
                    );
                }
                return Ok(sets.into_vec());
            }
        }
        Err(Error::new(Kind::Unavailable, "rfc2136: the zone transfer does not end").into())
    }

    pub async fn apply(&mut self, domain: &str, changes: &[Change]) -> Result<usize> {
        if changes.is_empty() {
            return Ok(0);
        }
        self.requests.writes += 1;
        let origin = fqdn(self.zones.get(domain).map(String::as_str).unwrap_or(domain))?;
        let mut msg = Message::query();
        msg.metadata.id = rand::random();
        msg.metadata.op_code = OpCode::Update;
        msg.metadata.recursion_desired = false;
        let mut z = Query::query(origin, RecordType::SOA);
        z.set_query_class(DNSClass::IN);
        msg.add_zone(z);
        for c in changes {
            let name = fqdn(&c.name)?;
            let rtype = RecordType::from_str(&c.rtype)
                .map_err(|_| Error::invalid(format!("rfc2136: unknown record type {}", c.rtype)))?;
            let data = |v: &String| match self.raw.get(&(c.name.clone(), c.rtype.clone(), v.clone())) {
                Some(d) => Ok(d.clone()),
                None => rdata(&c.rtype, v),
            };
            let add = |msg: &mut Message, v: &String| -> Result<()> {
                msg.add_update(Record::from_rdata(name.clone(), c.ttl, data(v)?));
                Ok(())
            };
            let remove = |msg: &mut Message, v: &String| -> Result<()> {
                let mut r = Record::from_rdata(name.clone(), 0, data(v)?);
                r.dns_class = DNSClass::NONE;
                msg.add_update(r);
                Ok(())
            };
            match c.action {
                Action::Create => c.after.iter().try_for_each(|v| add(&mut msg, v))?,
                Action::Delete => c.before.iter().try_for_each(|v| remove(&mut msg, v))?,
                Action::Update if c.ttl != c.before_ttl => {
                    // A new TTL: replace the whole set (RFC 2136 §2.5.2, then §2.5.1).
                    let mut all = Record::update0(name.clone(), 0, rtype);
                    all.dns_class = DNSClass::ANY;
                    msg.add_update(all);
                    c.after.iter().try_for_each(|v| add(&mut msg, v))?;
                }
                Action::Update => {
                    c.removed().try_for_each(|v| remove(&mut msg, v))?;
                    c.added().try_for_each(|v| add(&mut msg, v))?;
                }
            }
        }
        let mut verifier = self.sign(&mut msg)?;
        let mut conn = self.connect().await?;
        send(&mut conn, &msg).await?;
        let bytes = recv(&mut conn).await?;
        let reply = Message::from_vec(&bytes).map_err(|e| bad_reply(&e))?;
        check_rcode(&reply, "update")?;
        verifier.verify(&bytes).map_err(|e| {
            Error::new(Kind::Permission, format!("rfc2136: the update's reply signature does not verify: {e}"))
        })?;
        Ok(changes.len())
    }

    /// Sign a request with the TSIG key; the verifier checks the replies.
    fn sign(&self, msg: &mut Message) -> Result<TSigVerifier> {
        msg.finalize(&self.signer, crate::store::now().max(0) as u64)
            .map_err(|e| Error::new(Kind::Internal, format!("rfc2136: signing: {e}")))?
            .ok_or_else(|| Error::new(Kind::Internal, "rfc2136: no TSIG verifier"))
    }

    async fn connect(&self) -> Result<TcpStream> {
        crate::dns::wire::connect(&self.server, "rfc2136", TIMEOUT).await
    }
}

/// `HOST:PORT`, port 53 when none is given.
pub fn with_port(server: &str) -> String {
    if server.rsplit_once(':').is_some_and(|(_, p)| p.parse::<u16>().is_ok()) && !server.ends_with(']') {
        server.to_string()
    } else {
        format!("{server}:53")
    }
}

/// A query for `name` and `t`, not recursive.
fn message(name: &str, t: RecordType) -> Result<Message> {
    let mut msg = Message::query();
    msg.metadata.id = rand::random();
    msg.metadata.recursion_desired = false;
    msg.add_query(Query::query(fqdn(name)?, t));
    Ok(msg)
}

/// A record's owner name as the plan writes names: lowercase, no trailing dot.
fn owner(r: &Record) -> String {
    r.name.to_ascii().trim_end_matches('.').to_ascii_lowercase()
}

/// Why a zone transfer failed, which decides what `list` tries next.
#[derive(Debug)]
enum TransferError {
    /// The server accepts the key but refuses it transfers: read the zone by queries.
    Refused(Error),
    /// Refused without a TSIG error: perhaps not a zone apex; ask the server for the SOA.
    NotThisZone(Error),
    /// Anything else, reported as it is.
    Failed(Error),
}

impl From<Error> for TransferError {
    fn from(e: Error) -> Self {
        TransferError::Failed(e)
    }
}

impl From<TransferError> for Error {
    fn from(e: TransferError) -> Self {
        match e {
            TransferError::Refused(e) | TransferError::NotThisZone(e) | TransferError::Failed(e) => e,
        }
    }
}

fn fqdn(name: &str) -> Result<Name> {
    Name::from_ascii(format!("{}.", name.trim_end_matches('.')))
        .map_err(|_| Error::invalid(format!("{name:?} is not a DNS name")))
}

fn bad_reply(e: &dyn std::fmt::Display) -> Error {
    Error::new(Kind::Unavailable, format!("rfc2136: malformed reply: {e}"))
}

fn check_rcode(m: &Message, what: &str) -> Result<()> {
    let rc = m.metadata.response_code;
    let (kind, why) = match rc {
        ResponseCode::NoError => return Ok(()),
        ResponseCode::NotAuth => (Kind::Permission, "NOTAUTH: the server does not accept this TSIG key for the zone"),
        ResponseCode::Refused => (Kind::Permission, "REFUSED: the server's ACL does not allow it"),
        ResponseCode::NotZone | ResponseCode::NXDomain => {
            (Kind::NotFound, "the server is not authoritative for the zone")
        }
        ResponseCode::ServFail => (Kind::TempFail, "SERVFAIL"),
        _ => (Kind::Invalid, "rejected"),
    };
    Err(Error::new(kind, format!("rfc2136: {what} refused by the server: {why} ({rc})")))
}

async fn send(conn: &mut TcpStream, msg: &Message) -> Result<()> {
    crate::dns::wire::send(conn, msg, "rfc2136", TIMEOUT).await
}

async fn recv(conn: &mut TcpStream) -> Result<Vec<u8>> {
    crate::dns::wire::recv(conn, "rfc2136", TIMEOUT).await
}

/// Record data from a canonical value.
fn rdata(rtype: &str, v: &str) -> Result<RData> {
    let bad = || Error::invalid(format!("rfc2136: cannot encode {rtype} {v:?}"));
    let parts: Vec<&str> = v.split_whitespace().collect();
    let num = |i: usize| parts.get(i).and_then(|p| p.parse::<u16>().ok()).ok_or_else(bad);
    let host = |i: usize| parts.get(i).ok_or_else(bad).and_then(|h| fqdn(h));
    Ok(match rtype {
        "A" => RData::A(A(v.parse().map_err(|_| bad())?)),
        "AAAA" => RData::AAAA(AAAA(v.parse().map_err(|_| bad())?)),
        "MX" => RData::MX(MX::new(num(0)?, host(1)?)),
        "SRV" => RData::SRV(SRV::new(num(0)?, num(1)?, num(2)?, host(3)?)),
        "CNAME" => RData::CNAME(CNAME(fqdn(v)?)),
        "NS" => RData::NS(NS(fqdn(v)?)),
        "PTR" => RData::PTR(PTR(fqdn(v)?)),
        "TXT" => RData::TXT(TXT::from_bytes(txt_strings(v))),
        "CAA" => {
            let flags = num(0)?;
            let ca = v.splitn(3, ' ').nth(2).map(|s| s.trim_matches('"')).unwrap_or("");
            if parts.get(1) != Some(&"issue") {
                return Err(bad());
            }
            let name = if ca.is_empty() { None } else { Some(Name::from_ascii(ca).map_err(|_| bad())?) };
            RData::CAA(CAA::new_issue(flags & 128 != 0, name, vec![]))
        }
        _ => return Err(bad()),
    })
}

/// A BIND key file, as tsig-keygen writes it:
/// `key "name" { algorithm hmac-sha256; secret "BASE64"; };`
fn load_key(path: &Path) -> Result<TSigner> {
    use base64::Engine;
    let text = read_secret_file(path)?;
    let bad =
        |what: &str| Error::invalid(format!("{}: {what} (expected a BIND key file from tsig-keygen)", path.display()));
    let after = |word: &str| -> Option<String> {
        let i = text.find(word)? + word.len();
        let rest = text[i..].trim_start();
        let end = rest.find([';', '{']).unwrap_or(rest.len());
        Some(rest[..end].trim().trim_matches('"').to_string())
    };
    let name = after("key").filter(|n| !n.is_empty()).ok_or_else(|| bad("no key name"))?;
    let algorithm = match after("algorithm").ok_or_else(|| bad("no algorithm"))?.to_ascii_lowercase().as_str() {
        "hmac-sha256" => TsigAlgorithm::HmacSha256,
        "hmac-sha384" => TsigAlgorithm::HmacSha384,
        "hmac-sha512" => TsigAlgorithm::HmacSha512,
        other => return Err(bad(&format!("algorithm {other} is not supported; use hmac-sha256"))),
    };
    let secret = after("secret").ok_or_else(|| bad("no secret"))?;
    let key = base64::engine::general_purpose::STANDARD
        .decode(secret.as_bytes())
        .map_err(|_| bad("the secret is not base64"))?;
    let name = fqdn(&name).map_err(|_| bad("bad key name"))?;
    TSigner::new(key, algorithm, name, 300).map_err(|e| Error::invalid(format!("{}: {e}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rdata_round_trips() {
        for (t, v) in [
            ("A", "192.0.2.1"),
            ("AAAA", "2001:db8::1"),
            ("MX", "10 mail.example.com"),
            ("SRV", "0 1 587 mail.example.com"),
            ("CNAME", "mail.example.com"),
            ("TXT", "v=spf1 mx ~all"),
            ("CAA", "0 issue \"letsencrypt.org\""),
        ] {
            assert_eq!(canonical_of(&rdata(t, v).unwrap()), v, "{t}");
        }
        let long = "p=".to_string() + &"B".repeat(600);
        assert_eq!(canonical_of(&rdata("TXT", &long).unwrap()), long);
    }

    #[test]
    fn reads_bind_key_files() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("k.key");
        std::fs::write(
            &p,
            "key \"mailctl-test\" {\n\talgorithm hmac-sha256;\n\tsecret \"c2VjcmV0c2VjcmV0c2VjcmV0\";\n};\n",
        )
        .unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
        let k = load_key(&p).unwrap();
        assert_eq!(k.signer_name().to_ascii(), "mailctl-test.");
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(load_key(&p).is_err(), "a key others can read is refused");
    }
}
