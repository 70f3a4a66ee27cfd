//! `operations`: what keeps a mail server alive unattended. `cert renew` and `backup create`
//! are scheduled (a cron line or systemd unit that runs mailctl), the newest complete backup is
//! younger than `backup_max_age`, no queued message is older than a day, the disk holding
//! the Maildirs has room for what the quotas promise, and serve logged no error in a day.

use super::{Check, Ctx};
use crate::store::now;

/// Where cron lines and systemd units that could run mailctl live.
const SCHEDULE_DIRS: &[&str] =
    &["/etc/cron.d", "/etc/cron.daily", "/etc/cron.hourly", "/var/spool/cron/crontabs", "/etc/systemd/system"];

/// Whether some line of these texts runs `mailctl … <words>` (a cron line or an ExecStart).
pub fn scheduled(texts: &[String], words: &str) -> bool {
    texts.iter().flat_map(|t| t.lines()).any(|l| {
        let l = l.split('#').next().unwrap_or("");
        l.contains("mailctl") && l.split_whitespace().collect::<Vec<_>>().join(" ").contains(words)
    })
}

fn schedule_texts() -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_to_string("/etc/crontab").into_iter().collect();
    for dir in SCHEDULE_DIRS {
        let Ok(entries) = std::fs::read_dir(dir) else { continue };
        for e in entries.flatten().take(500) {
            if let Ok(text) = std::fs::read_to_string(e.path()) {
                out.push(text);
            }
        }
    }
    out
}

pub async fn run(ctx: &Ctx<'_>) -> Vec<Check> {
    let cfg = ctx.cfg;
    let mut out = Vec::new();
    let texts = schedule_texts();
    let bin = std::env::current_exe().map(|p| p.display().to_string()).unwrap_or_else(|_| "mailctl".into());
    for (what, line) in [
        ("cert renew", format!("17 3 * * * root {bin} cert renew")),
        ("backup create", format!("41 2 * * * root {bin} backup create")),
    ] {
        let id = format!("operations.schedule.{}", what.replace(' ', "-"));
        out.push(if scheduled(&texts, what) {
            Check::pass(id, format!("a cron line or systemd unit runs mailctl {what}"))
        } else {
            Check::warn(
                id,
                format!("nothing in /etc/crontab, {} runs mailctl {what}", SCHEDULE_DIRS.join(", ")),
                format!("echo '{line}' > /etc/cron.d/mailctl-{}", what.replace(' ', "-")),
            )
        });
    }
    let max_age = cfg.backup_max_age.as_secs() as i64;
    out.push(match crate::ops::backup::list(&cfg.backup_dir) {
        Ok(list) => {
            let newest = list
                .iter()
                .filter_map(|l| match l {
                    crate::backup::Listed::Complete(m) => Some(m.finished_at),
                    crate::backup::Listed::Incomplete { .. } => None,
                })
                .max();
            match newest {
                Some(at) if now() - at <= max_age => Check::pass(
                    "operations.backup",
                    format!("the newest complete backup is {} h old", (now() - at) / 3600),
                ),
                Some(at) => Check::fail(
                    "operations.backup",
                    format!(
                        "the newest complete backup is {} h old (backup_max_age: {} h)",
                        (now() - at) / 3600,
                        max_age / 3600
                    ),
                    "mailctl backup create, and check why the scheduled one stopped (its cron mail or journal)",
                ),
                None => Check::fail(
                    "operations.backup",
                    format!("no complete backup in {}", cfg.backup_dir.display()),
                    "mailctl backup create (and schedule it daily)",
                ),
            }
        }
        Err(e) => Check::fail("operations.backup", e.one_line(), "mailctl backup create (and schedule it daily)"),
    });
    match crate::ops::queue::list(ctx.store, &Default::default()).await {
        Ok(queued) => {
            let day_ago = now() - 86_400;
            let stuck: Vec<_> = queued.iter().filter(|q| q.received_at < day_ago).collect();
            out.push(match stuck.first() {
                None => Check::pass("operations.queue", format!("{} queued, none older than a day", queued.len())),
                Some(q) => Check::fail(
                    "operations.queue",
                    format!(
                        "{} queued messages are older than a day; the oldest, {}, {} h: {}",
                        stuck.len(),
                        q.id,
                        (now() - q.received_at) / 3600,
                        q.last_error.as_deref().unwrap_or("not tried yet")
                    ),
                    format!("mailctl queue show {} (then fix the cause, or mailctl queue bounce {})", q.id, q.id),
                ),
            });
        }
        Err(e) => out.push(Check::unknown("operations.queue", e.one_line())),
    }
    out.push(disk(ctx).await);
    out.push(logged_errors(ctx));
    out
}

/// The errors serve logged in the last day (`recent_errors`): none passes; some warn, with
/// how many and the newest.
fn logged_errors(ctx: &Ctx<'_>) -> Check {
    let file = crate::recent_errors::path(&ctx.cfg.data_dir);
    let recent = match crate::recent_errors::since(&ctx.cfg.data_dir, now() - 86_400) {
        Ok(r) => r,
        Err(e) => return Check::unknown("operations.log", format!("{}: {e}", file.display())),
    };
    let Some(newest) = recent.errors.last() else {
        return Check::pass("operations.log", "no errors logged by mailctl serve in the last 24 h");
    };
    let ago = (now() - newest.at).max(0);
    let when = if ago < 3600 { format!("{} min ago", ago / 60) } else { format!("{} h ago", ago / 3600) };
    let count = format!("{}{}", if recent.cut { "at least " } else { "" }, recent.errors.len());
    Check::warn(
        "operations.log",
        format!("{count} errors logged by mailctl serve in the last 24 h; the newest, {when}: {}", newest.text),
        format!(
            "read the server's log around then (journalctl -u mailctl --since '-{} min'); the last ones are in {}",
            ago / 60 + 5,
            file.display()
        ),
    )
}

/// Free space where the Maildirs live, against what the quotas promise beyond what is used.
async fn disk(ctx: &Ctx<'_>) -> Check {
    let dir = &ctx.cfg.data_dir;
    let free = match crate::fsutil::free_bytes(dir) {
        Ok((f, _)) => f,
        Err(e) => return Check::unknown("operations.disk", format!("{}: {e}", dir.display())),
    };
    let promised = match crate::ops::quota::promised(ctx.store).await {
        Ok(p) => p,
        Err(e) => return Check::unknown("operations.disk", e.one_line()),
    };
    let gib = |b: u64| format!("{:.1} GiB", b as f64 / (1u64 << 30) as f64);
    if free < promised / 20 || free < 1 << 30 {
        Check::fail(
            "operations.disk",
            format!("{} free under {}; the quotas promise {} more", gib(free), dir.display(), gib(promised)),
            "free space or grow the file system now: deliveries stop when it is full",
        )
    } else if free < promised {
        Check::warn(
            "operations.disk",
            format!("over-committed: {} free, the quotas promise {} more", gib(free), gib(promised)),
            "grow the file system before the mailboxes fill, or lower quotas (mailctl account quota)",
        )
    } else {
        Check::pass("operations.disk", format!("{} free; the quotas promise {} more", gib(free), gib(promised)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_schedule_is_a_line_that_runs_mailctl_with_the_words_not_a_comment() {
        let cron =
            "# 0 3 * * * root mailctl cert renew\n17 3 * * * root /usr/local/bin/mailctl  cert   renew\n".to_string();
        let unit = "[Service]\nExecStart=/usr/bin/mailctl --config /etc/mailctl.toml backup create\n".to_string();
        assert!(scheduled(std::slice::from_ref(&cron), "cert renew"));
        assert!(!scheduled(std::slice::from_ref(&cron), "backup create"));
        assert!(scheduled(&[cron, unit], "backup create"));
        assert!(!scheduled(&["# mailctl backup create\n".to_string()], "backup create"));
        assert!(!scheduled(&["certbot renew\n".to_string()], "cert renew"));
    }
}
