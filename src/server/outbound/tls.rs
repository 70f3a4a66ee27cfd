//! What outbound TLS a delivery requires (a route's pinned level, the destination's MTA-STS
//! policy, else opportunistic), how each connection's certificate was judged, and the one line
//! that records it for `queue show`. Every certificate is checked against the system's roots
//! and `tls_extra_roots`: under `verify` (and MTA-STS enforce) a failure ends the handshake;
//! otherwise the session goes on and the verdict is recorded.

use std::sync::{Arc, Mutex};

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};

use crate::netaddr::TlsLevel;

/// Where a delivery's TLS level came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// `transport add --tls`.
    Transport,
    /// A relayhost login: the password only goes to a verified server.
    Login,
    MtaStsEnforce,
    /// The message asked for REQUIRETLS (RFC 8689): verified TLS to a host that offers it.
    RequireTls,
    /// Delivered as `may`; what enforce would have refused is recorded.
    MtaStsTesting,
    /// The host's DNSSEC-validated TLSA records (RFC 7672): they bind the certificate.
    Dane,
    /// Nothing asked for more than opportunistic TLS.
    Default,
}

impl Source {
    /// The metric label.
    pub fn label(self) -> &'static str {
        match self {
            Source::Transport => "transport",
            Source::Login => "relayhost-login",
            Source::MtaStsEnforce => "mta-sts-enforce",
            Source::RequireTls => "requiretls",
            Source::MtaStsTesting => "mta-sts-testing",
            Source::Dane => "dane",
            Source::Default => "opportunistic",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Source::Transport => "transport",
            Source::Login => "relayhost login",
            Source::MtaStsEnforce => "MTA-STS enforce",
            Source::RequireTls => "REQUIRETLS",
            Source::MtaStsTesting => "MTA-STS testing",
            Source::Dane => "DANE",
            Source::Default => "opportunistic",
        }
    }
}

/// The TLS a delivery requires, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub level: TlsLevel,
    pub source: Source,
}

/// Why a certificate did not verify: the TLS-RPT result type (RFC 8460 §4.3) and the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertProblem {
    pub kind: &'static str,
    pub text: String,
}

impl CertProblem {
    fn of(e: &rustls::Error) -> CertProblem {
        use rustls::CertificateError as C;
        let kind = match e {
            rustls::Error::InvalidCertificate(C::NotValidForName | C::NotValidForNameContext { .. }) => {
                "certificate-host-mismatch"
            }
            rustls::Error::InvalidCertificate(C::Expired | C::ExpiredContext { .. }) => "certificate-expired",
            rustls::Error::InvalidCertificate(C::UnknownIssuer) => "certificate-not-trusted",
            _ => "validation-failure",
        };
        CertProblem { kind, text: e.to_string() }
    }
}

impl std::fmt::Display for CertProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

/// What a session negotiated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Used {
    pub version: String,
    pub cipher: String,
    /// The certificate verified for the host name, or why not.
    pub verified: Result<(), CertProblem>,
}

/// Count a connection's TLS in `mailctl_outbound_tls_total`: `verified`, `unverified`, `none`
/// (no TLS), or `failed` (the host was given up for its TLS).
pub fn count(rule: Rule, used: Option<&Used>, failed: bool) {
    let result = match (failed, used) {
        (true, _) => "failed",
        (false, None) => "none",
        (false, Some(u)) if u.verified.is_ok() => "verified",
        (false, Some(_)) => "unverified",
    };
    crate::metrics::METRICS.outbound_tls.with_label_values(&[rule.source.label(), result]).inc();
}

/// The TLS-RPT result of a session that went ahead (RFC 8460 §4.3): `success`, the
/// certificate's problem when a policy needed it verified, `starttls-not-supported` when TLS
/// was wanted but not offered. None when TLS was not wanted (a route pinned to `none`).
pub fn rpt_result(rule: Rule, sts: bool, used: Option<&Used>) -> Option<&'static str> {
    match used {
        None if rule.level == TlsLevel::None => None,
        None => Some("starttls-not-supported"),
        Some(u) => match &u.verified {
            Err(p) if sts => Some(p.kind),
            _ => Some("success"),
        },
    }
}

/// The record of one delivery's TLS: `TLSv1_3 TLS13_AES_256_GCM_SHA384, certificate verified
/// (policy: MTA-STS enforce)`, or `no TLS (policy: opportunistic)`.
pub fn describe(host: &str, used: Option<&Used>, rule: Rule) -> String {
    let policy = match rule.source {
        Source::Transport => format!("transport --tls {}", rule.level.as_str()),
        other => other.as_str().to_string(),
    };
    match used {
        None => format!("{host}: no TLS (policy: {policy})"),
        Some(u) => {
            let cert = match &u.verified {
                Ok(()) => "certificate verified".to_string(),
                Err(why) => format!("certificate not verified: {why}"),
            };
            format!("{host}: {} {}, {cert} (policy: {policy})", u.version, u.cipher)
        }
    }
}

/// Where a connection's certificate verdict lands: None until the handshake judged it.
pub type Verdict = Arc<Mutex<Option<Result<(), CertProblem>>>>;

/// The roots certificates are judged by; or why there are none (then `verify` cannot be met).
pub struct Roots(Result<Arc<rustls::RootCertStore>, String>);

impl Roots {
    pub fn load(extra: Option<&std::path::Path>) -> Roots {
        Roots(crate::tls_material::client_roots(extra).map(Arc::new).map_err(|e| e.one_line()))
    }

    /// A connector for one connection at `level` (or bound by the host's TLSA records), and
    /// where its certificate verdict lands.
    pub fn connector(
        &self,
        level: TlsLevel,
        dane: Option<Arc<Vec<crate::ops::dane::Tlsa>>>,
    ) -> (tokio_rustls::TlsConnector, Verdict) {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let inner = match &self.0 {
            Ok(roots) => WebPkiServerVerifier::builder_with_provider(roots.clone(), provider.clone())
                .build()
                .map_err(|e| e.to_string()),
            Err(e) => Err(e.clone()),
        };
        let seen = Arc::new(Mutex::new(None));
        let enforce = level >= TlsLevel::Verify || dane.is_some();
        let verifier = Judge { inner, dane, seen: seen.clone(), enforce, provider: provider.clone() };
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap_or_else(|_| unreachable!("ring supports the default protocol versions"))
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(verifier))
            .with_no_client_auth();
        (tokio_rustls::TlsConnector::from(Arc::new(config)), seen)
    }
}

/// Judges a certificate with the WebPKI verifier (or, for a DANE host, by its TLSA records),
/// records the verdict, and refuses a bad one only when enforcing. Handshake signatures are always checked (the server holds the key of
/// the certificate it sent).
#[derive(Debug)]
struct Judge {
    inner: Result<Arc<WebPkiServerVerifier>, String>,
    dane: Option<Arc<Vec<crate::ops::dane::Tlsa>>>,
    seen: Verdict,
    enforce: bool,
    provider: Arc<rustls::crypto::CryptoProvider>,
}

impl ServerCertVerifier for Judge {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if let Some(tlsa) = &self.dane {
            let verdict = crate::ops::dane::verify(tlsa, end_entity, intermediates, server_name, now, &self.provider)
                .map_err(|text| CertProblem { kind: "validation-failure", text });
            *self.seen.lock().unwrap_or_else(|p| p.into_inner()) = Some(verdict.clone());
            return match verdict {
                Ok(()) => Ok(ServerCertVerified::assertion()),
                Err(p) => Err(rustls::Error::General(p.text)),
            };
        }
        let verdict = match &self.inner {
            Ok(v) => v.verify_server_cert(end_entity, intermediates, server_name, ocsp, now).map(|_| ()),
            Err(e) => Err(rustls::Error::General(format!("no trusted roots: {e}"))),
        };
        *self.seen.lock().unwrap_or_else(|p| p.into_inner()) = Some(verdict.clone().map_err(|e| CertProblem::of(&e)));
        match verdict {
            Err(e) if self.enforce => Err(e),
            _ => Ok(ServerCertVerified::assertion()),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_record_names_the_protocol_the_certificate_verdict_and_the_policy() {
        let used = Used { version: "TLSv1_3".into(), cipher: "TLS13_AES_256_GCM_SHA384".into(), verified: Ok(()) };
        let enforce = Rule { level: TlsLevel::Verify, source: Source::MtaStsEnforce };
        assert_eq!(
            describe("mx.example.net", Some(&used), enforce),
            "mx.example.net: TLSv1_3 TLS13_AES_256_GCM_SHA384, certificate verified (policy: MTA-STS enforce)"
        );
        let problem =
            CertProblem { kind: "certificate-not-trusted", text: "invalid peer certificate: UnknownIssuer".into() };
        let bad = Used { verified: Err(problem), ..used };
        let pinned = Rule { level: TlsLevel::Encrypt, source: Source::Transport };
        assert!(describe("h", Some(&bad), pinned).ends_with(
            "certificate not verified: invalid peer certificate: UnknownIssuer (policy: transport --tls encrypt)"
        ));
        assert_eq!(
            describe("h", None, Rule { level: TlsLevel::May, source: Source::Default }),
            "h: no TLS (policy: opportunistic)"
        );
    }
}
