//! Lookups whose answer says whether it was DNSSEC-validated: asked of a validating resolver
//! the administrator trusts (`dnssec_trust = resolver`, at `dns_resolver`) with the AD and DO
//! bits set (RFC 6840 §5.7), over TCP; the reply's AD flag is the verdict. This is how Postfix
//! and Exim learn it too: the validation is the resolver's (Unbound, Knot Resolver, BIND), the
//! trust is in the path to it, so it must be on this host or a network the administrator
//! controls. hickory-resolver's own lookup hides the reply's header, hence this module.

use std::time::Duration;

use hickory_proto::op::{Edns, Message, Query, ResponseCode};
use hickory_proto::rr::{Name, RData, RecordType};

use crate::error::{Error, Kind, Result};

const WHO: &str = "DNSSEC lookup";
const TIMEOUT: Duration = Duration::from_secs(10);

/// The records of the asked type (none for NXDOMAIN or no data), and whether the resolver
/// vouched for them (or for their absence).
#[derive(Debug, Clone)]
pub struct Answer {
    pub records: Vec<RData>,
    pub secure: bool,
}

/// Ask `server` (IP:port) for `name`'s `t` records. A SERVFAIL (what a validating resolver
/// answers for a bogus signature), a timeout or another error is an Err: the caller cannot
/// tell what is there.
pub async fn query(server: &str, name: &str, t: RecordType) -> Result<Answer> {
    let qname = Name::from_ascii(format!("{}.", name.trim_end_matches('.')))
        .map_err(|_| Error::invalid(format!("{name:?} is not a DNS name")))?;
    let mut msg = Message::query();
    msg.metadata.id = rand::random();
    msg.metadata.recursion_desired = true;
    msg.metadata.authentic_data = true;
    let mut edns = Edns::new();
    edns.set_dnssec_ok(true);
    edns.set_max_payload(4096);
    msg.set_edns(edns);
    msg.add_query(Query::query(qname, t));
    let mut conn = super::wire::connect(server, WHO, TIMEOUT).await?;
    super::wire::send(&mut conn, &msg, WHO, TIMEOUT).await?;
    let bytes = super::wire::recv(&mut conn, WHO, TIMEOUT).await?;
    let reply = Message::from_vec(&bytes)
        .map_err(|e| Error::new(Kind::Unavailable, format!("{WHO}: malformed reply from {server}: {e}")))?;
    if reply.metadata.id != msg.metadata.id {
        return Err(Error::new(Kind::Unavailable, format!("{WHO}: a reply to another query from {server}")));
    }
    let secure = reply.metadata.authentic_data;
    match reply.metadata.response_code {
        ResponseCode::NoError => {
            let records = reply.answers.iter().filter(|r| r.record_type() == t).map(|r| r.data.clone()).collect();
            Ok(Answer { records, secure })
        }
        ResponseCode::NXDomain => Ok(Answer { records: vec![], secure }),
        rc => Err(Error::new(Kind::TempFail, format!("{WHO}: {name} {t} at {server}: {rc}"))),
    }
}
