//! Sender authentication of inbound mail with mail-auth: SPF for the HELO and MAIL FROM
//! identities, every DKIM signature, ARC, DMARC (alignment and the policy that applies: `p`,
//! `sp` or `np`) and iprev. The results become one `Authentication-Results:` header (RFC
//! 8601) with our host name as authserv-id, and the verdicts the decision reads.
//!
//! DNS answers are cached by the filters' resolver (`filter::resolver`).

use std::net::IpAddr;

use mail_auth::{
    AuthenticatedMessage, AuthenticationResults, DkimResult, DmarcResult, IprevResult, MessageAuthenticator, SpfResult,
    dmarc::Policy, dmarc::verify::DmarcParameters, spf::verify::SpfParameters,
};

use super::verdict::{Auth, Dmarc, DmarcPolicy};

/// The checker: a resolver and its cache, shared by every session.
pub struct Authenticator {
    inner: MessageAuthenticator,
    /// Our host name: the authserv-id, and the host domain SPF names.
    hostname: String,
}

/// What sender authentication found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authenticated {
    pub spf: Auth,
    pub dkim: Auth,
    pub arc: Auth,
    pub iprev: Auth,
    pub dmarc: Option<Dmarc>,
    /// The domain of the newest ARC seal, when the chain is valid.
    pub arc_sealer: Option<String>,
    /// The `Authentication-Results:` header, CRLF-terminated.
    pub header: String,
}

/// The connection facts authentication needs.
pub struct Client<'a> {
    pub ip: IpAddr,
    pub helo: &'a str,
    /// The envelope sender; empty for the null sender.
    pub mail_from: &'a str,
}

impl Authenticator {
    /// Check with `resolver` (shared with the other filters: one cache).
    pub fn new(hostname: &str, resolver: hickory_resolver::TokioResolver) -> Authenticator {
        Authenticator { inner: MessageAuthenticator(resolver), hostname: hostname.to_string() }
    }

    /// SPF for the MAIL FROM identity alone (at RCPT, before there is a message).
    pub async fn spf_mail_from(&self, client: &Client<'_>) -> Auth {
        let helo = if client.helo.is_empty() { "unknown" } else { client.helo };
        let params = SpfParameters::verify_mail_from(client.ip, helo, &self.hostname, client.mail_from);
        spf_auth(self.inner.verify_spf(params).await.result())
    }

    /// Check a message (as received, without our own headers).
    pub async fn check(&self, client: &Client<'_>, message: &[u8]) -> Authenticated {
        let host = self.hostname.as_str();
        let helo = if client.helo.is_empty() { "unknown" } else { client.helo };
        // The null sender is checked as postmaster@HELO (RFC 7208 §2.4).
        let postmaster = format!("postmaster@{helo}");
        let sender = if client.mail_from.is_empty() { postmaster.as_str() } else { client.mail_from };
        let spf_helo = self.inner.verify_spf(SpfParameters::verify_ehlo(client.ip, helo, host)).await;
        let spf = self.inner.verify_spf(SpfParameters::verify_mail_from(client.ip, helo, host, sender)).await;
        let iprev = self.inner.verify_iprev(client.ip).await;
        let mut results = AuthenticationResults::new(host)
            .with_spf_ehlo_result(&spf_helo, client.ip, helo)
            .with_spf_mailfrom_result(&spf, client.ip, sender, helo)
            .with_iprev_result(&iprev, client.ip);
        let (dkim, arc, dmarc, arc_sealer) = match AuthenticatedMessage::parse(message) {
            Some(msg) => {
                let dkim = self.inner.verify_dkim(&msg).await;
                let arc = self.inner.verify_arc(&msg).await;
                let from_domain = sender.rsplit_once('@').map(|(_, d)| d).unwrap_or(helo);
                let dmarc = self.inner.verify_dmarc(DmarcParameters::new(&msg, &dkim, from_domain, &spf)).await;
                results = results.with_dkim_results(&dkim, msg.from()).with_arc_result(&arc, client.ip);
                let dkim_verdict = if dkim.is_empty() {
                    Auth::None
                } else if dkim.iter().any(|d| d.result() == &DkimResult::Pass) {
                    Auth::Pass
                } else {
                    dkim_auth(dkim[0].result())
                };
                let arc_auth = dkim_auth(arc.result());
                let sealer = (arc_auth == Auth::Pass)
                    .then(|| arc.sets().last().map(|s| s.seal.header.d.to_ascii_lowercase()))
                    .flatten();
                let dmarc_verdict = (!dmarc.domain().is_empty()).then(|| Dmarc {
                    result: dmarc_auth(dmarc.dmarc_record().is_some(), dmarc.spf_result(), dmarc.dkim_result()),
                    domain: dmarc.domain().to_string(),
                    policy: match dmarc.policy() {
                        Policy::Reject => DmarcPolicy::Reject,
                        Policy::Quarantine => DmarcPolicy::Quarantine,
                        Policy::None | Policy::Unspecified => DmarcPolicy::None,
                    },
                });
                (dkim_verdict, arc_auth, dmarc_verdict, sealer)
            }
            // Not a message mail-auth can read: nothing signed, no From to align with.
            None => (Auth::PermError, Auth::None, None, None),
        };
        // DMARC's part is ours: mail-auth says "none" when a policy exists and no aligned
        // identifier passed, which RFC 7489 §11.2 calls "fail".
        let mut header = {
            use mail_auth::common::headers::HeaderWriter;
            results.to_header().trim_end().to_string()
        };
        if let Some(d) = &dmarc {
            header.push_str(&format!(
                ";\r\n\tdmarc={} header.from={} policy.dmarc={}",
                d.result.as_str(),
                d.domain,
                d.policy.as_str()
            ));
        }
        header.push_str("\r\n");
        Authenticated {
            spf: spf_auth(spf.result()),
            dkim,
            arc,
            iprev: iprev_auth(iprev.result()),
            dmarc,
            arc_sealer,
            header,
        }
    }
}

fn spf_auth(r: SpfResult) -> Auth {
    match r {
        SpfResult::Pass => Auth::Pass,
        SpfResult::Fail => Auth::Fail,
        SpfResult::SoftFail => Auth::SoftFail,
        SpfResult::Neutral => Auth::Neutral,
        SpfResult::TempError => Auth::TempError,
        SpfResult::PermError => Auth::PermError,
        SpfResult::None => Auth::None,
    }
}

fn dkim_auth(r: &DkimResult) -> Auth {
    match r {
        DkimResult::Pass => Auth::Pass,
        DkimResult::Neutral(_) => Auth::Neutral,
        DkimResult::Fail(_) => Auth::Fail,
        DkimResult::PermError(_) => Auth::PermError,
        DkimResult::TempError(_) => Auth::TempError,
        DkimResult::None => Auth::None,
    }
}

fn iprev_auth(r: &IprevResult) -> Auth {
    match r {
        IprevResult::Pass => Auth::Pass,
        IprevResult::Fail(_) => Auth::Fail,
        IprevResult::TempError(_) => Auth::TempError,
        IprevResult::PermError(_) => Auth::PermError,
        IprevResult::None => Auth::None,
    }
}

/// DMARC passes when either aligned identifier passed (RFC 7489 §4.2), and fails when the
/// domain has a policy and neither did; without a policy record there is no verdict.
fn dmarc_auth(has_record: bool, spf: &DmarcResult, dkim: &DmarcResult) -> Auth {
    match (spf, dkim) {
        (DmarcResult::Pass, _) | (_, DmarcResult::Pass) => Auth::Pass,
        (DmarcResult::TempError(_), _) | (_, DmarcResult::TempError(_)) => Auth::TempError,
        (DmarcResult::PermError(_), _) | (_, DmarcResult::PermError(_)) => Auth::PermError,
        _ if has_record => Auth::Fail,
        _ => Auth::None,
    }
}

/// Remove the header fields a sender may forge to pass for our verdicts: every
/// `Authentication-Results:` that claims `authserv_id` (RFC 8601 §5), and every
/// `X-Mailctl-Verdict:` and `X-Spam-*:`. From the message's header section only, folded lines
/// with their field. Others' results stay.
pub fn strip_forged(message: &[u8], authserv_id: &str) -> Vec<u8> {
    let (head, body) = crate::proto::mime::header::split_header(message);
    let mut out = Vec::with_capacity(message.len());
    let mut dropping = false;
    for line in head.split_inclusive(|&b| b == b'\n') {
        let continuation = line.first().is_some_and(|b| *b == b' ' || *b == b'\t');
        if !continuation {
            dropping = claims(line, authserv_id) || ours(line);
        }
        if !dropping {
            out.extend_from_slice(line);
        }
    }
    out.extend_from_slice(body);
    out
}

/// Whether a header line starts a field only we write.
fn ours(line: &[u8]) -> bool {
    let starts = |p: &[u8]| line.len() >= p.len() && line[..p.len()].eq_ignore_ascii_case(p);
    starts(b"x-mailctl-verdict:") || starts(b"x-spam-")
}

/// Whether a header line is an Authentication-Results field whose authserv-id is ours.
fn claims(line: &[u8], authserv_id: &str) -> bool {
    const NAME: &[u8] = b"authentication-results:";
    if line.len() < NAME.len() || !line[..NAME.len()].eq_ignore_ascii_case(NAME) {
        return false;
    }
    let value = String::from_utf8_lossy(&line[NAME.len()..]);
    let id = value.trim_start().split([';', ' ', '\t', '\r', '\n']).next().unwrap_or("");
    id.eq_ignore_ascii_case(authserv_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_claiming_our_authserv_id_and_our_own_fields_are_removed() {
        let msg = b"Authentication-Results: mx.example.net; spf=pass\r\n\
Received: from x\r\n\
authentication-results:   MX.EXAMPLE.NET;\r\n\tdkim=pass header.d=bank.example\r\n\
Authentication-Results: other.example; dkim=fail\r\n\
X-Mailctl-Verdict: inbox;\r\n\treason=\"forged\"\r\n\
X-Spam-Status: No, score=-100\r\n\
Subject: hi\r\n\
\r\n\
Authentication-Results: mx.example.net; in the body stays\r\n";
        let out = String::from_utf8(strip_forged(msg, "mx.example.net")).unwrap();
        assert_eq!(
            out,
            "Received: from x\r\nAuthentication-Results: other.example; dkim=fail\r\nSubject: hi\r\n\r\n\
Authentication-Results: mx.example.net; in the body stays\r\n"
        );
    }

    #[test]
    fn a_prefix_of_our_name_is_not_our_name() {
        let msg = b"Authentication-Results: mx.example.net.evil; spf=pass\r\n\r\nx";
        assert_eq!(strip_forged(msg, "mx.example.net"), msg.to_vec());
    }

    #[test]
    fn dmarc_passes_on_either_aligned_identifier_and_fails_under_a_policy_without_one() {
        let e = || mail_auth::Error::NotAligned;
        assert_eq!(dmarc_auth(true, &DmarcResult::Pass, &DmarcResult::Fail(e())), Auth::Pass);
        assert_eq!(dmarc_auth(true, &DmarcResult::Fail(e()), &DmarcResult::Pass), Auth::Pass);
        assert_eq!(dmarc_auth(true, &DmarcResult::Fail(e()), &DmarcResult::Fail(e())), Auth::Fail);
        // SPF failed and nothing was signed: mail-auth leaves both at None.
        assert_eq!(dmarc_auth(true, &DmarcResult::None, &DmarcResult::None), Auth::Fail);
        assert_eq!(dmarc_auth(false, &DmarcResult::None, &DmarcResult::None), Auth::None);
    }
}
