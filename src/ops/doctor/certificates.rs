//! `certificates`: the certificate on disk (`cert status`) covers every name serve answers on
//! (the mail host, `webmail_host`, `mta-sts.D` and `autoconfig.D`), is not expiring within
//! 21 days, could be renewed by `cert renew` now (its challenge answerable, the CA answering
//! with the kept account), and is the one the running server presents.

use super::{Check, Ctx};

/// Days before expiry that fail the check.
const FAIL_DAYS: i64 = 21;

pub async fn run(ctx: &Ctx<'_>) -> Vec<Check> {
    let cfg = ctx.cfg;
    let status = match crate::ops::cert::status(cfg) {
        Ok(s) => s,
        Err(e) => {
            return vec![Check::fail(
                "certificates",
                e.one_line(),
                "mailctl cert issue (Let's Encrypt), or mailctl cert self-signed for a test",
            )];
        }
    };
    let mut out = Vec::new();
    out.push(if status.days_left < FAIL_DAYS {
        Check::fail(
            "certificates.expiry",
            format!("{} expires in {} days ({})", status.path.display(), status.days_left, status.source),
            "mailctl cert renew (and schedule it: a daily cron line `mailctl cert renew`)",
        )
    } else {
        Check::pass("certificates.expiry", format!("{} days left ({})", status.days_left, status.source))
    });
    let wanted = crate::ops::cert::allowed_hosts(cfg, ctx.store).await.unwrap_or_else(|_| vec![cfg.hostname.clone()]);
    let covers = |name: &str| {
        status.hosts.iter().any(|h| {
            h.eq_ignore_ascii_case(name)
                || h.strip_prefix("*.")
                    .is_some_and(|d| name.split_once('.').is_some_and(|(_, rest)| rest.eq_ignore_ascii_case(d)))
        })
    };
    let missing: Vec<&String> = wanted.iter().filter(|n| !covers(n)).collect();
    out.push(if missing.is_empty() {
        Check::pass("certificates.names", format!("covers {}", wanted.join(", ")))
    } else {
        let names: Vec<&str> = missing.iter().map(|s| s.as_str()).collect();
        Check::fail(
            "certificates.names",
            format!("the certificate names {}; missing {}", status.hosts.join(", "), names.join(", ")),
            "mailctl cert issue (it asks for every name serve answers on)",
        )
    });
    out.push(renewal(cfg).await);
    // The served certificate: what the running server's implicit-TLS SMTP or IMAP port sends.
    if let Some(served) = super::listening::served_certificate(cfg).await {
        let on_disk = std::fs::read(&status.path).ok().and_then(|pem| first_der(&pem));
        out.push(match (served, on_disk) {
            (Ok(s), Some(d)) if s == d => {
                Check::pass("certificates.served", "the running server presents the certificate on disk")
            }
            (Ok(_), Some(_)) => Check::fail(
                "certificates.served",
                "the running server presents another certificate than the one on disk",
                "mailctl serve reloads it on SIGHUP: kill -HUP $(pidof mailctl), or restart it",
            ),
            (Ok(_), None) => {
                Check::unknown("certificates.served", format!("{} could not be read", status.path.display()))
            }
            (Err(why), _) => Check::unknown("certificates.served", why),
        });
    }
    out
}

/// Whether a scheduled `cert renew` could renew it now.
async fn renewal(cfg: &crate::config::Config) -> Check {
    use crate::error::Kind;
    use crate::ops::cert::Readiness;
    let id = "certificates.renewal";
    match crate::ops::cert::renewal_readiness(cfg).await {
        Ok(Readiness::Ready(seen)) => Check::pass(id, seen),
        Ok(Readiness::NoAccount(seen)) => Check::warn(
            id,
            format!("{seen}: the CA was not asked"),
            "the next mailctl cert renew makes the account: check after it ran that it renewed (mailctl cert status)",
        ),
        Ok(Readiness::NotAcme(source)) if source == "file" => {
            Check::pass(id, "installed by hand: renewed where it comes from (its expiry is checked here)")
        }
        Ok(Readiness::NotAcme(source)) => Check::warn(
            id,
            format!("the certificate is {source}: nothing renews it"),
            "mailctl cert issue (Let's Encrypt; then a daily cron line `mailctl cert renew` keeps it)",
        ),
        Err(e) if matches!(e.kind, Kind::TempFail | Kind::Permission) => {
            Check::unknown(id, format!("cannot tell: {}", e.one_line()))
        }
        Err(e) => Check::fail(
            id,
            e.one_line(),
            e.hint.clone().unwrap_or_else(|| "fix the cause before the next mailctl cert renew".into()),
        ),
    }
}

/// The first certificate of a PEM file, as DER.
fn first_der(pem: &[u8]) -> Option<Vec<u8>> {
    use rustls::pki_types::{CertificateDer, pem::PemObject};
    CertificateDer::pem_slice_iter(pem).next()?.ok().map(|c| c.to_vec())
}
