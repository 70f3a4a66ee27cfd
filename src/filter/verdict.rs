//! What the inbound checks found (the verdicts) and the one decision made from them: deliver
//! to INBOX, deliver to Junk, refuse, or ask the sender to retry. Pure: the table of rules is
//! [`decide`], tested row by row below and written out in the README.

use std::fmt::Write;

use crate::config::choices::{DmarcRejectAction, ScannerFailure};
use crate::proto::smtp::codes::{self, Reply};

/// An SPF, DKIM, ARC, DMARC or iprev result (RFC 8601 §2.7 names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    Pass,
    Fail,
    SoftFail,
    Neutral,
    None,
    TempError,
    PermError,
}

impl Auth {
    pub fn as_str(self) -> &'static str {
        match self {
            Auth::Pass => "pass",
            Auth::Fail => "fail",
            Auth::SoftFail => "softfail",
            Auth::Neutral => "neutral",
            Auth::None => "none",
            Auth::TempError => "temperror",
            Auth::PermError => "permerror",
        }
    }
}

/// The policy a domain's DMARC record asks for the message's case (`p`, `sp` or `np`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DmarcPolicy {
    None,
    Quarantine,
    Reject,
}

impl DmarcPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            DmarcPolicy::None => "none",
            DmarcPolicy::Quarantine => "quarantine",
            DmarcPolicy::Reject => "reject",
        }
    }
}

/// The DMARC verdict: the result, the From domain it is about and the policy that applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dmarc {
    pub result: Auth,
    pub domain: String,
    pub policy: DmarcPolicy,
}

/// What rspamd says to do with a message (its `action`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpamAction {
    NoAction,
    Greylist,
    AddHeader,
    RewriteSubject,
    SoftReject,
    Reject,
}

impl SpamAction {
    pub fn parse(s: &str) -> Option<SpamAction> {
        Some(match s {
            "no action" => SpamAction::NoAction,
            "greylist" => SpamAction::Greylist,
            "add header" => SpamAction::AddHeader,
            "rewrite subject" => SpamAction::RewriteSubject,
            "soft reject" => SpamAction::SoftReject,
            "reject" => SpamAction::Reject,
            _ => return None,
        })
    }
    pub fn as_str(self) -> &'static str {
        match self {
            SpamAction::NoAction => "no action",
            SpamAction::Greylist => "greylist",
            SpamAction::AddHeader => "add header",
            SpamAction::RewriteSubject => "rewrite subject",
            SpamAction::SoftReject => "soft reject",
            SpamAction::Reject => "reject",
        }
    }
}

/// The allow list's part.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Allow {
    /// The sender is not on every recipient's allow list.
    NotListed,
    /// It is, and it authenticated: spam scoring was skipped.
    Applied,
    /// It is, but it did not pass SPF or DMARC: the list was not applied.
    Unauthenticated,
}

/// The spam scanner's verdict.
#[derive(Debug, Clone, PartialEq)]
pub enum Spam {
    /// No scanner configured, or the sender is allow-listed.
    NotScanned,
    /// The scanner did not answer (why).
    Failed(String),
    /// A score, with rspamd's action when rspamd scored it, and the rules that matched.
    Scored { score: f64, action: Option<SpamAction>, rules: Vec<String> },
}

/// The virus scanner's verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Virus {
    NotScanned,
    /// The scanner did not answer, or could not scan (too large): never reported as clean.
    Failed(String),
    Clean,
    Found(String),
}

/// Everything the checks of one message found.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdicts {
    pub spf: Option<Auth>,
    pub dkim: Option<Auth>,
    pub arc: Option<Auth>,
    pub iprev: Option<Auth>,
    pub dmarc: Option<Dmarc>,
    /// The ARC chain is valid and its last sealer is in `arc_trusted_sealers`.
    pub arc_trusted: bool,
    /// The envelope sender is in `trusted_forwarders`.
    pub trusted_forwarder: bool,
    /// What the allow list did.
    pub allow: Allow,
    pub spam: Spam,
    pub virus: Virus,
}

impl Default for Verdicts {
    fn default() -> Self {
        Verdicts {
            spf: None,
            dkim: None,
            arc: None,
            iprev: None,
            dmarc: None,
            arc_trusted: false,
            trusted_forwarder: false,
            allow: Allow::NotListed,
            spam: Spam::NotScanned,
            virus: Virus::NotScanned,
        }
    }
}

/// The settings the decision follows (from the `filter` config section).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Policy {
    pub junk_score: f64,
    pub reject_score: f64,
    pub dmarc_reject_action: DmarcRejectAction,
    pub scanner_failure: ScannerFailure,
}

/// Where a message goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Inbox,
    Junk,
    /// Refused for good: the reply's code, and its text.
    Reject(Reply, String),
    /// Refused for now: the sender retries.
    TempFail(Reply, String),
}

impl Action {
    pub fn as_str(&self) -> &'static str {
        match self {
            Action::Inbox => "inbox",
            Action::Junk => "junk",
            Action::Reject(..) => "reject",
            Action::TempFail(..) => "tempfail",
        }
    }
}

/// The decision and the reason for it, in words a person reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub action: Action,
    pub reason: String,
}

/// 554 5.7.1: a virus.
pub const VIRUS: Reply = codes::Reply { code: 554, enhanced: "5.7.1", text: "message contains a virus" };
/// 550 5.7.1: spam, or a DMARC policy that says reject (RFC 7489 §7.3 suggests 5.7.1).
pub const POLICY_REJECT: Reply = codes::Reply { code: 550, enhanced: "5.7.1", text: "message refused by policy" };
/// 554 5.7.1: the client is on a DNS blocklist (RFC 5782 §2.1 suggests naming the list).
pub const LISTED: Reply = codes::Reply { code: 554, enhanced: "5.7.1", text: "client address is on a blocklist" };
/// 451 4.7.0: a scanner did not answer; the sender retries later.
pub const SCANNER_DOWN: Reply =
    codes::Reply { code: 451, enhanced: "4.7.0", text: "message could not be scanned, try again later" };

/// The decision table, first matching row wins:
///
/// | verdicts | action |
/// | --- | --- |
/// | a virus | refuse, 554 5.7.1 naming it |
/// | spam score >= `spam_reject_score`, or rspamd says "reject" | refuse, 550 5.7.1 |
/// | DMARC fail under `p=reject`, not forwarded by a trusted ARC sealer or forwarder | `dmarc_reject_action`: refuse 550 5.7.1, or Junk |
/// | a scanner did not answer, `scanner_failure = tempfail` | 451 4.7.0 |
/// | DMARC fail under `p=quarantine` (not trusted-forwarded), spam score >= `spam_junk_score`, or rspamd says "add header" or "rewrite subject" | Junk |
/// | anything else (a scanner that did not answer, `scanner_failure = accept`, is marked so) | INBOX |
pub fn decide(v: &Verdicts, p: &Policy) -> Decision {
    let d = |action, reason: String| Decision { action, reason };
    if let Virus::Found(name) = &v.virus {
        return d(Action::Reject(VIRUS, format!("message contains a virus ({name})")), format!("virus {name}"));
    }
    if let Spam::Scored { score, action, .. } = &v.spam {
        if *score >= p.reject_score {
            return d(
                Action::Reject(POLICY_REJECT, "message refused as spam".into()),
                format!("spam score {score} >= reject score {}", p.reject_score),
            );
        }
        if *action == Some(SpamAction::Reject) {
            return d(Action::Reject(POLICY_REJECT, "message refused as spam".into()), "rspamd action reject".into());
        }
    }
    let forwarded = v.arc_trusted || v.trusted_forwarder;
    let dmarc_failed = v.dmarc.as_ref().filter(|m| m.result == Auth::Fail);
    if let Some(m) = dmarc_failed
        && m.policy == DmarcPolicy::Reject
        && !forwarded
    {
        let why = format!("DMARC fail for {} with p=reject", m.domain);
        return match p.dmarc_reject_action {
            DmarcRejectAction::Reject => {
                d(Action::Reject(POLICY_REJECT, format!("DMARC policy of {} says reject", m.domain)), why)
            }
            DmarcRejectAction::Junk => d(Action::Junk, format!("{why} (dmarc_reject_action = junk)")),
        };
    }
    let failed: Vec<&str> = [
        match &v.virus {
            Virus::Failed(e) => Some(e.as_str()),
            _ => None,
        },
        match &v.spam {
            Spam::Failed(e) => Some(e.as_str()),
            _ => None,
        },
    ]
    .into_iter()
    .flatten()
    .collect();
    if !failed.is_empty() && p.scanner_failure == ScannerFailure::Tempfail {
        return d(
            Action::TempFail(SCANNER_DOWN, SCANNER_DOWN.text.into()),
            format!("not scanned: {}", failed.join("; ")),
        );
    }
    let mut junk = Vec::new();
    if let Some(m) = dmarc_failed {
        match (m.policy, forwarded) {
            (DmarcPolicy::Quarantine, false) => junk.push(format!("DMARC fail for {} with p=quarantine", m.domain)),
            (DmarcPolicy::None, _) => {}
            (_, true) => {}
            (DmarcPolicy::Reject, false) => {}
        }
    }
    if let Spam::Scored { score, action, .. } = &v.spam {
        if *score >= p.junk_score {
            junk.push(format!("spam score {score} >= junk score {}", p.junk_score));
        } else if let Some(a @ (SpamAction::AddHeader | SpamAction::RewriteSubject)) = action {
            junk.push(format!("rspamd action {}", a.as_str()));
        }
    }
    let mut notes = Vec::new();
    if let Some(m) = dmarc_failed
        && forwarded
        && m.policy != DmarcPolicy::None
    {
        notes.push(format!(
            "DMARC fail for {} ignored: forwarded by a trusted {}",
            m.domain,
            if v.arc_trusted { "ARC sealer" } else { "forwarder" }
        ));
    }
    if !failed.is_empty() {
        notes.push(format!("NOT SCANNED: {} (scanner_failure = accept)", failed.join("; ")));
    }
    if v.allow == Allow::Unauthenticated {
        notes.push("allow list not applied: the sender did not pass SPF or DMARC".into());
    }
    if !junk.is_empty() {
        junk.extend(notes);
        return d(Action::Junk, junk.join("; "));
    }
    if notes.is_empty() {
        notes.push("no check objected".into());
    }
    d(Action::Inbox, notes.join("; "))
}

/// The `X-Mailctl-Verdict:` header a delivered message carries: the action, each verdict, and
/// the reason, so a person reading the message can tell why it landed where it did.
pub fn verdict_header(v: &Verdicts, decision: &Decision) -> String {
    let mut h = format!("X-Mailctl-Verdict: {}", decision.action.as_str());
    let mut item = |name: &str, value: &str| {
        let _ = write!(h, ";\r\n\t{name}={value}");
    };
    for (name, r) in [("spf", v.spf), ("dkim", v.dkim), ("arc", v.arc), ("iprev", v.iprev)] {
        if let Some(r) = r {
            item(name, r.as_str());
        }
    }
    if let Some(m) = &v.dmarc {
        item("dmarc", &format!("{} (p={} domain={})", m.result.as_str(), m.policy.as_str(), m.domain));
    }
    match &v.spam {
        Spam::NotScanned if v.allow == Allow::Applied => item("spam", "not-scanned (allow-listed sender)"),
        Spam::NotScanned => item("spam", "not-scanned"),
        Spam::Failed(_) => item("spam", "unscanned-scanner-failed"),
        Spam::Scored { score, action, .. } => {
            let a = action.map(|a| format!(" action=\"{}\"", a.as_str())).unwrap_or_default();
            item("spam", &format!("score={score}{a}"))
        }
    }
    match &v.virus {
        Virus::NotScanned => item("virus", "not-scanned"),
        Virus::Failed(_) => item("virus", "unscanned-scanner-failed"),
        Virus::Clean => item("virus", "clean"),
        Virus::Found(n) => item("virus", &format!("found ({})", header_safe(n))),
    }
    let _ = write!(h, ";\r\n\treason=\"{}\"\r\n", header_safe(&decision.reason).replace('"', "'"));
    h
}

/// Text safe inside a header: no line breaks or control characters (scanner output and
/// domain names come from the outside).
pub fn header_safe(s: &str) -> String {
    s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: Policy = Policy {
        junk_score: 5.0,
        reject_score: 15.0,
        dmarc_reject_action: DmarcRejectAction::Reject,
        scanner_failure: ScannerFailure::Tempfail,
    };

    fn dmarc(result: Auth, policy: DmarcPolicy) -> Option<Dmarc> {
        Some(Dmarc { result, domain: "example.org".into(), policy })
    }
    fn scored(score: f64, action: Option<SpamAction>) -> Spam {
        Spam::Scored { score, action, rules: vec![] }
    }

    #[test]
    fn the_decision_follows_the_table_row_by_row() {
        let clean = Verdicts { spam: scored(1.0, None), virus: Virus::Clean, ..Verdicts::default() };
        let accept = Policy { scanner_failure: ScannerFailure::Accept, ..POLICY };
        let junk_dmarc = Policy { dmarc_reject_action: DmarcRejectAction::Junk, ..POLICY };
        #[rustfmt::skip]
        let rows: Vec<(&str, Verdicts, Policy, &str)> = vec![
            ("nothing objects", clean.clone(), POLICY, "inbox"),
            ("no scanner configured", Verdicts::default(), POLICY, "inbox"),
            ("a virus is refused", Verdicts { virus: Virus::Found("Eicar-Test".into()), ..clean.clone() }, POLICY, "reject"),
            ("a virus beats an allow-listed sender", Verdicts { virus: Virus::Found("X".into()), spam: Spam::NotScanned, ..clean.clone() }, POLICY, "reject"),
            ("a score at the reject score is refused", Verdicts { spam: scored(15.0, None), ..clean.clone() }, POLICY, "reject"),
            ("rspamd reject is refused", Verdicts { spam: scored(3.0, Some(SpamAction::Reject)), ..clean.clone() }, POLICY, "reject"),
            ("DMARC p=reject fail is refused", Verdicts { dmarc: dmarc(Auth::Fail, DmarcPolicy::Reject), ..clean.clone() }, POLICY, "reject"),
            ("DMARC p=reject fail goes to Junk when so configured", Verdicts { dmarc: dmarc(Auth::Fail, DmarcPolicy::Reject), ..clean.clone() }, junk_dmarc, "junk"),
            ("DMARC p=reject fail via a trusted ARC sealer is delivered", Verdicts { dmarc: dmarc(Auth::Fail, DmarcPolicy::Reject), arc_trusted: true, ..clean.clone() }, POLICY, "inbox"),
            ("DMARC p=reject fail via an ARC chain that passes but is not trusted is refused", Verdicts { dmarc: dmarc(Auth::Fail, DmarcPolicy::Reject), arc: Some(Auth::Pass), arc_trusted: false, ..clean.clone() }, POLICY, "reject"),
            ("DMARC p=quarantine fail via a trusted ARC sealer is delivered", Verdicts { dmarc: dmarc(Auth::Fail, DmarcPolicy::Quarantine), arc_trusted: true, ..clean.clone() }, POLICY, "inbox"),
            ("DMARC p=reject fail via a trusted forwarder is delivered", Verdicts { dmarc: dmarc(Auth::Fail, DmarcPolicy::Reject), trusted_forwarder: true, ..clean.clone() }, POLICY, "inbox"),
            ("DMARC p=quarantine fail goes to Junk", Verdicts { dmarc: dmarc(Auth::Fail, DmarcPolicy::Quarantine), ..clean.clone() }, POLICY, "junk"),
            ("DMARC p=none fail is delivered", Verdicts { dmarc: dmarc(Auth::Fail, DmarcPolicy::None), ..clean.clone() }, POLICY, "inbox"),
            ("DMARC pass under p=reject is delivered", Verdicts { dmarc: dmarc(Auth::Pass, DmarcPolicy::Reject), ..clean.clone() }, POLICY, "inbox"),
            ("a score at the junk score goes to Junk", Verdicts { spam: scored(5.0, None), ..clean.clone() }, POLICY, "junk"),
            ("rspamd add header goes to Junk", Verdicts { spam: scored(2.0, Some(SpamAction::AddHeader)), ..clean.clone() }, POLICY, "junk"),
            ("rspamd rewrite subject goes to Junk", Verdicts { spam: scored(2.0, Some(SpamAction::RewriteSubject)), ..clean.clone() }, POLICY, "junk"),
            ("rspamd no action is delivered", Verdicts { spam: scored(2.0, Some(SpamAction::NoAction)), ..clean.clone() }, POLICY, "inbox"),
            ("a spam scanner down asks for a retry", Verdicts { spam: Spam::Failed("spamd: refused".into()), ..clean.clone() }, POLICY, "tempfail"),
            ("a virus scanner down asks for a retry", Verdicts { virus: Virus::Failed("clamd: timeout".into()), ..clean.clone() }, POLICY, "tempfail"),
            ("a scanner down, accept: delivered, marked", Verdicts { virus: Virus::Failed("clamd: timeout".into()), ..clean.clone() }, accept, "inbox"),
            ("a scanner down, accept, and a junk score: Junk", Verdicts { virus: Virus::Failed("x".into()), spam: scored(6.0, None), ..clean.clone() }, accept, "junk"),
            ("a virus found while spamd is down is still refused", Verdicts { virus: Virus::Found("X".into()), spam: Spam::Failed("down".into()), ..clean.clone() }, POLICY, "reject"),
            ("a null sender with no DMARC record is delivered", Verdicts { spf: Some(Auth::None), dmarc: None, ..clean.clone() }, POLICY, "inbox"),
            ("a mailing list that rewrote From passes its own DMARC", Verdicts { dkim: Some(Auth::Pass), dmarc: dmarc(Auth::Pass, DmarcPolicy::Reject), arc: Some(Auth::Pass), ..clean.clone() }, POLICY, "inbox"),
        ];
        for (name, v, p, want) in rows {
            assert_eq!(decide(&v, &p).action.as_str(), want, "{name}: {:?}", decide(&v, &p));
        }
    }

    #[test]
    fn refusals_carry_their_reply_codes() {
        let v = Verdicts { virus: Virus::Found("Eicar-Signature".into()), ..Verdicts::default() };
        match decide(&v, &POLICY).action {
            Action::Reject(r, text) => {
                assert_eq!((r.code, r.enhanced), (554, "5.7.1"));
                assert!(text.contains("Eicar-Signature"), "{text}");
            }
            other => panic!("{other:?}"),
        }
        let v = Verdicts { spam: Spam::Failed("down".into()), ..Verdicts::default() };
        assert!(matches!(decide(&v, &POLICY).action, Action::TempFail(r, _) if (r.code, r.enhanced) == (451, "4.7.0")));
        let v = Verdicts { dmarc: dmarc(Auth::Fail, DmarcPolicy::Reject), ..Verdicts::default() };
        assert!(matches!(decide(&v, &POLICY).action, Action::Reject(r, _) if (r.code, r.enhanced) == (550, "5.7.1")));
    }

    #[test]
    fn unscanned_mail_says_so_in_its_verdict_header() {
        let accept = Policy { scanner_failure: ScannerFailure::Accept, ..POLICY };
        let v = Verdicts { virus: Virus::Failed("clamd: connection refused".into()), ..Verdicts::default() };
        let d = decide(&v, &accept);
        let h = verdict_header(&v, &d);
        assert!(h.contains("virus=unscanned-scanner-failed"), "{h}");
        assert!(h.contains("NOT SCANNED"), "{h}");
        assert!(!h.contains("virus=clean"), "{h}");
    }

    #[test]
    fn the_verdict_header_cannot_be_broken_by_what_scanners_say() {
        let v = Verdicts { virus: Virus::Found("Evil\r\nBcc: victim@example.org".into()), ..Verdicts::default() };
        let h = verdict_header(&v, &decide(&v, &POLICY));
        let body: Vec<&str> = h.trim_end().split("\r\n").collect();
        assert!(body.iter().skip(1).all(|l| l.starts_with('\t')), "{h}");
    }
}
