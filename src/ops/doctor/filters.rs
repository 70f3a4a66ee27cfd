//! `filters`: the configured content scanners answer, and catch what they must: GTUBE scores
//! as spam (at least `spam_junk_score`, or rspamd's reject), EICAR is found as a virus. A
//! scanner that is not configured is a warning: mail then goes unscanned.

use super::{Check, Ctx};
use crate::config::choices::{SpamFilter, VirusScanner};
use crate::filter::scanners;
use crate::filter::verdict::{Spam, SpamAction, Virus};

/// SpamAssassin's and rspamd's test pattern (GTUBE).
const GTUBE: &str = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X";
/// The antivirus test string (EICAR).
const EICAR: &str = r"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";

fn message(subject: &str, body: &str) -> Vec<u8> {
    format!(
        "From: doctor@doctor.invalid\r\nTo: postmaster@doctor.invalid\r\nSubject: {subject}\r\n\
         Message-ID: <doctor-{subject}@doctor.invalid>\r\nDate: Thu, 01 Jan 2026 00:00:00 +0000\r\n\r\n{body}\r\n"
    )
    .into_bytes()
}

pub async fn run(ctx: &Ctx<'_>) -> Vec<Check> {
    let f = &ctx.cfg.filter;
    let mut out = Vec::new();
    let gtube = message("gtube", GTUBE);
    let spam = match (&f.spam_filter, &f.spam_filter_address) {
        (SpamFilter::Spamd, Some(addr)) => Some((addr, scanners::spamd_check(addr, &gtube, None).await)),
        (SpamFilter::Rspamd, Some(addr)) => {
            let env = scanners::Envelope {
                ip: "127.0.0.1".into(),
                helo: "doctor.invalid".into(),
                from: "doctor@doctor.invalid".into(),
                rcpts: vec!["postmaster@doctor.invalid".into()],
                queue_id: "doctor".into(),
                user: None,
            };
            let client = reqwest::Client::builder().no_proxy().build().unwrap_or_default();
            Some((addr, scanners::rspamd_check(&client, addr, &gtube, &env).await))
        }
        _ => None,
    };
    out.push(match spam {
        None => Check::warn(
            "filters.spam",
            "no spam scanner is configured: inbound mail is not scored",
            "install rspamd (or spamd), then mailctl config set spam_filter rspamd and spam_filter_address 127.0.0.1:11333",
        ),
        Some((addr, Spam::Scored { score, action, .. }))
            if score >= f.spam_junk_score || action == Some(SpamAction::Reject) =>
        {
            Check::pass("filters.spam", format!("{addr} scores GTUBE {score:.1}"))
        }
        Some((addr, Spam::Scored { score, .. })) => Check::fail(
            "filters.spam",
            format!("{addr} scores GTUBE only {score:.1} (spam_junk_score {})", f.spam_junk_score),
            "check the scanner's rules are loaded (spamassassin --lint, rspamadm configtest)",
        ),
        Some((addr, Spam::Failed(why))) => Check::fail(
            "filters.spam",
            format!("{addr} did not answer: {why}"),
            format!("start the spam scanner, or correct spam_filter_address ({addr})"),
        ),
        Some((addr, Spam::NotScanned)) => Check::unknown("filters.spam", format!("{addr}: not scanned")),
    });
    let virus = match (&f.virus_scanner, &f.virus_scanner_address) {
        (VirusScanner::Clamd, Some(addr)) => Some((addr, scanners::clamd_scan(addr, &message("eicar", EICAR)).await)),
        _ => None,
    };
    out.push(match virus {
        None => Check::warn(
            "filters.virus",
            "no virus scanner is configured: attachments are not scanned",
            "install clamav-daemon, then mailctl config set virus_scanner clamd and virus_scanner_address 127.0.0.1:3310",
        ),
        Some((addr, Virus::Found(name))) => Check::pass("filters.virus", format!("{addr} finds EICAR ({name})")),
        Some((addr, Virus::Clean)) => Check::fail(
            "filters.virus",
            format!("{addr} finds nothing in EICAR"),
            "update clamd's signatures (freshclam), then restart it",
        ),
        Some((addr, Virus::Failed(why))) => Check::fail(
            "filters.virus",
            format!("{addr} did not scan: {why}"),
            format!("start clamd, or correct virus_scanner_address ({addr})"),
        ),
        Some((addr, Virus::NotScanned)) => Check::unknown("filters.virus", format!("{addr}: not scanned")),
    });
    out
}
