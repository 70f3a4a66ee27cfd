//! `roundtrip`: a message submitted as a throw-away local account over the submission port
//! (STARTTLS or implicit TLS, then AUTH) arrives in that account's INBOX, read over IMAP (TLS,
//! LOGIN, SEARCH); the account and its mail are deleted afterwards, whatever happened. Local
//! delivery is not DKIM-signed (the outbound worker signs); DKIM on disk against DNS is the
//! `dns` group's.

use std::time::{Duration, Instant};

use base64::Engine;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};

use super::listening::{connect, converse, reachable, smtp_end, tls};
use super::{Check, Ctx};

/// How long the message may take to arrive.
const ARRIVAL: Duration = Duration::from_secs(10);
/// The whole round trip, well inside the group's limit (the cleanup comes after it).
const BUDGET: Duration = Duration::from_secs(14);

/// Expect a reply of class `class` (2 or 3) to `line`.
async fn smtp<S: AsyncRead + AsyncWrite + Unpin>(
    s: &mut BufReader<S>,
    line: Option<&str>,
    class: u8,
) -> Result<String, String> {
    let r = converse(s, line, smtp_end).await?;
    if r.as_bytes().first() != Some(&(b'0' + class)) {
        let what = line
            .map(|l| l.split_whitespace().next().unwrap_or("").to_string())
            .unwrap_or_else(|| "the greeting".into());
        return Err(format!("{what} answered {:?}", r.trim_end()));
    }
    Ok(r)
}

/// After EHLO (over TLS): AUTH, the envelope, the message.
async fn send<S: AsyncRead + AsyncWrite + Unpin>(
    s: &mut BufReader<S>,
    user: &str,
    pass: &str,
    message: &str,
) -> Result<(), String> {
    smtp(s, Some("EHLO doctor.invalid"), 2).await?;
    let token = base64::engine::general_purpose::STANDARD.encode(format!("\0{user}\0{pass}"));
    smtp(s, Some(&format!("AUTH PLAIN {token}")), 2).await?;
    smtp(s, Some(&format!("MAIL FROM:<{user}>")), 2).await?;
    smtp(s, Some(&format!("RCPT TO:<{user}>")), 2).await?;
    smtp(s, Some("DATA"), 3).await?;
    s.get_mut().write_all(format!("{message}\r\n.").as_bytes()).await.map_err(|e| e.to_string())?;
    smtp(s, Some(""), 2).await?;
    let _ = converse(s, Some("QUIT"), smtp_end).await;
    Ok(())
}

async fn submit(name: &str, addr: &str, user: &str, pass: &str, message: &str) -> Result<(), String> {
    let tcp = connect(addr).await?;
    if name == "submissions" {
        let mut s = BufReader::new(tls(tcp, "doctor.invalid").await?.0);
        smtp(&mut s, None, 2).await?;
        return send(&mut s, user, pass, message).await;
    }
    let mut s = BufReader::new(tcp);
    smtp(&mut s, None, 2).await?;
    smtp(&mut s, Some("EHLO doctor.invalid"), 2).await?;
    smtp(&mut s, Some("STARTTLS"), 2).await?;
    let mut s = BufReader::new(tls(s.into_inner(), "doctor.invalid").await?.0);
    send(&mut s, user, pass, message).await
}

/// Log in over IMAP (after reading the greeting, unless it came before STARTTLS) and wait
/// for a message whose subject is `token`; then delete it.
async fn arrives<S: AsyncRead + AsyncWrite + Unpin>(
    s: &mut BufReader<S>,
    greeting: bool,
    user: &str,
    pass: &str,
    token: &str,
) -> Result<Duration, String> {
    let tagged = |tag: &'static str| move |l: &str| l.starts_with(tag);
    let ok = |r: String, what: &str| {
        if r.lines().last().is_some_and(|l| l.split_whitespace().nth(1) == Some("OK")) {
            Ok(r)
        } else {
            Err(format!("{what}: {:?}", r.trim_end()))
        }
    };
    if greeting {
        converse(s, None, |_| true).await?;
    }
    ok(converse(s, Some(&format!("a LOGIN \"{user}\" \"{pass}\"")), tagged("a ")).await?, "LOGIN")?;
    ok(converse(s, Some("b SELECT INBOX"), tagged("b ")).await?, "SELECT")?;
    let started = Instant::now();
    loop {
        let found = ok(converse(s, Some(&format!("c SEARCH SUBJECT \"{token}\"")), tagged("c ")).await?, "SEARCH")?;
        let hits: Vec<&str> =
            found.lines().filter_map(|l| l.strip_prefix("* SEARCH")).flat_map(|l| l.split_whitespace()).collect();
        if let Some(n) = hits.first() {
            let _ = converse(s, Some(&format!("d STORE {n} +FLAGS.SILENT (\\Deleted)")), tagged("d ")).await;
            let _ = converse(s, Some("e EXPUNGE"), tagged("e ")).await;
            let _ = converse(s, Some("f LOGOUT"), tagged("f ")).await;
            return Ok(started.elapsed());
        }
        if started.elapsed() > ARRIVAL {
            return Err(format!("the message did not arrive within {} s", ARRIVAL.as_secs()));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        ok(converse(s, Some("g NOOP"), tagged("g ")).await?, "NOOP")?;
    }
}

async fn read(name: &str, addr: &str, user: &str, pass: &str, token: &str) -> Result<Duration, String> {
    let tcp = connect(addr).await?;
    if name == "imaps" {
        return arrives(&mut BufReader::new(tls(tcp, "doctor.invalid").await?.0), true, user, pass, token).await;
    }
    let mut s = BufReader::new(tcp);
    converse(&mut s, None, |_| true).await?;
    converse(&mut s, Some("s STARTTLS"), |l| l.starts_with("s ")).await?;
    arrives(&mut BufReader::new(tls(s.into_inner(), "doctor.invalid").await?.0), false, user, pass, token).await
}

pub async fn run(ctx: &Ctx<'_>) -> Vec<Check> {
    let bound = crate::running::bound_addresses(&ctx.cfg.data_dir);
    let pick = |names: [&str; 2]| {
        names.iter().find_map(|n| bound.iter().find(|(b, _)| b == n)).map(|(n, a)| (n.clone(), reachable(a)))
    };
    let (Some((sub_name, sub)), Some((imap_name, imap))) =
        (pick(["submission", "submissions"]), pick(["imaps", "imap"]))
    else {
        return vec![Check::unknown("roundtrip", "no running submission and IMAP listeners to use")];
    };
    let Some(domain) = ctx.domains.first() else { return vec![Check::unknown("roundtrip", "no domain")] };
    let token = format!("doctor-{}", crate::ids::new_id());
    let user = format!("{token}@{domain}");
    let pass = crate::password::generate();
    let new = crate::ops::account::NewAccount {
        address: user.clone(),
        tier: crate::tier::Tier::Vip,
        owner: None,
        quota: None,
        password: crate::ops::account::NewPassword::Given(pass.clone()),
    };
    if let Err(e) = crate::ops::account::create(ctx.store, new).await {
        return vec![Check::unknown("roundtrip", format!("a throw-away account could not be made: {}", e.one_line()))];
    }
    let message = format!(
        "From: <{user}>\r\nTo: <{user}>\r\nSubject: {token}\r\nMessage-ID: <{token}@doctor.invalid>\r\n\
         Date: {}\r\n\r\nmailctl doctor: a round trip, deleted when read.\r\n",
        chrono::Utc::now().to_rfc2822()
    );
    let attempt = async {
        submit(&sub_name, &sub, &user, &pass, &message)
            .await
            .map_err(|e| format!("submitting on {sub_name} {sub}: {e}"))?;
        read(&imap_name, &imap, &user, &pass, &token).await.map_err(|e| format!("reading on {imap_name} {imap}: {e}"))
    };
    // Within the group's limit, so the account below is always deleted.
    let result = match tokio::time::timeout(BUDGET, attempt).await {
        Ok(r) => r,
        Err(_) => Err(format!("no round trip within {} s", BUDGET.as_secs())),
    };
    let removed = crate::ops::account::delete(ctx.store, &user, false, true).await;
    let mut out = vec![match result {
        Ok(took) => Check::pass(
            "roundtrip",
            format!("submitted on {sub_name}, read on {imap_name} after {} ms", took.as_millis()),
        ),
        Err(why) => Check::fail(
            "roundtrip",
            why,
            "mailctl doctor --only listening,operations, then serve's log for the message",
        ),
    }];
    if let Err(e) = removed {
        out.push(Check::warn(
            "roundtrip.cleanup",
            format!("the throw-away account {user} was not removed: {}", e.one_line()),
            format!("mailctl account delete {user}"),
        ));
    }
    out
}
