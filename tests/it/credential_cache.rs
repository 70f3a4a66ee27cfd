//! The credential cache of `mailctl serve`: a repeated login skips the password hash, and a
//! change made by another process (`account passwd`, `suspend`, `delete`, `set-tier`) applies
//! to the very next login. The server's log says whether a login came from the cache.

use crate::server::{Server, python};
use crate::util::Env;

/// Log in over IMAPS once per `user:password` argument, each time on a new connection; print
/// `ok`, `denied` or `locked` for each.
const IMAP_LOGINS: &str = r#"
import imaplib, ssl, sys
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
for arg in sys.argv[2:]:
    user, pw = arg.split(':', 1)
    m = imaplib.IMAP4_SSL('127.0.0.1', int(sys.argv[1]), ssl_context=ctx, timeout=30)
    try:
        m.login(user, pw); m.select('INBOX', readonly=True); m.logout(); print('ok')
    except imaplib.IMAP4.error as e:
        print('locked' if 'UNAVAILABLE' in str(e) else 'denied' if 'AUTHENTICATIONFAILED' in str(e) else e)
"#;

fn imap_logins(srv: &Server, logins: &[&str]) -> Vec<String> {
    let mut args = vec![srv.imaps.port().to_string()];
    args.extend(logins.iter().map(|s| s.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    python(IMAP_LOGINS, &args).lines().map(str::to_string).collect()
}

/// How many logins the server answered from the cache and how many by hashing.
fn cached_and_hashed(srv: &Server) -> (usize, usize) {
    let log = srv.log();
    (log.matches("cached=true").count(), log.matches("cached=false").count())
}

const BOB: &str = "bob@example.com:password123";

fn start(env: &Env, extra: &[(&str, &str)]) -> Server {
    env.create("bob@example.com", "vip");
    env.serve_config(extra);
    env.start_server()
}

fn a_repeated_login_skips_the_password_hash_in_every_protocol(env: Env) {
    let srv = start(&env, &[]);
    assert_eq!(imap_logins(&srv, &[BOB, BOB]), ["ok", "ok"]);
    assert_eq!(cached_and_hashed(&srv), (1, 1), "{}", srv.log());
    let smtp = r#"
import smtplib, ssl, sys
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
s = smtplib.SMTP_SSL('127.0.0.1', int(sys.argv[1]), context=ctx, timeout=30)
s.login('bob@example.com', 'password123'); s.quit(); print('ok')
"#;
    assert_eq!(python(smtp, &[&srv.submissions.port().to_string()]).trim(), "ok");
    assert_eq!(cached_and_hashed(&srv), (2, 1), "the IMAP login is remembered for SMTP: {}", srv.log());
    assert_eq!(srv.stop(), Some(0));
}

fn a_password_changed_by_another_process_applies_to_the_next_login(env: Env) {
    let srv = start(&env, &[]);
    assert_eq!(imap_logins(&srv, &[BOB, BOB]), ["ok", "ok"]);
    env.ok_in(&["account", "passwd", "bob@example.com", "--password-stdin"], Some("newpassword1\n"));
    let new = "bob@example.com:newpassword1";
    assert_eq!(imap_logins(&srv, &[BOB, new, new]), ["denied", "ok", "ok"]);
    assert_eq!(cached_and_hashed(&srv), (2, 2), "the new password is checked once, then remembered: {}", srv.log());
    assert_eq!(srv.stop(), Some(0));
}

fn a_suspended_or_deleted_account_is_refused_at_the_next_login(env: Env) {
    let srv = start(&env, &[]);
    assert_eq!(imap_logins(&srv, &[BOB, BOB]), ["ok", "ok"]);
    env.ok(&["account", "suspend", "bob@example.com"]);
    assert_eq!(imap_logins(&srv, &[BOB]), ["denied"]);
    env.ok(&["account", "resume", "bob@example.com"]);
    assert_eq!(imap_logins(&srv, &[BOB]), ["ok"]);
    env.ok(&["account", "delete", "bob@example.com"]);
    assert_eq!(imap_logins(&srv, &[BOB]), ["denied"]);
    // The same address and password again is a new account: checked afresh.
    env.create("bob@example.com", "vip");
    assert_eq!(imap_logins(&srv, &[BOB]), ["ok"]);
    assert_eq!(cached_and_hashed(&srv), (1, 3), "{}", srv.log());
    assert_eq!(srv.stop(), Some(0));
}

fn a_tier_change_makes_the_next_login_a_full_check(env: Env) {
    let srv = start(&env, &[]);
    assert_eq!(imap_logins(&srv, &[BOB, BOB]), ["ok", "ok"]);
    env.ok(&["account", "set-tier", "bob@example.com", "business"]);
    assert_eq!(imap_logins(&srv, &[BOB]), ["ok"]);
    assert_eq!(cached_and_hashed(&srv), (1, 2), "{}", srv.log());
    assert_eq!(srv.stop(), Some(0));
}

fn a_wrong_password_after_a_cached_login_fails_and_counts_toward_the_lockout(env: Env) {
    let srv = start(&env, &[("auth_failures_per_minute", "3")]);
    let wrong = "bob@example.com:password124";
    assert_eq!(
        imap_logins(&srv, &[BOB, BOB, wrong, wrong, wrong, BOB]),
        ["ok", "ok", "denied", "denied", "denied", "locked"],
        "three failures lock the address out, even for a remembered password"
    );
    assert_eq!(srv.stop(), Some(0));
}

fn auth_cache_ttl_0_hashes_every_login(env: Env) {
    let srv = start(&env, &[("auth_cache_ttl", "0")]);
    assert_eq!(imap_logins(&srv, &[BOB, BOB]), ["ok", "ok"]);
    assert_eq!(cached_and_hashed(&srv), (0, 2), "{}", srv.log());
    assert_eq!(srv.stop(), Some(0));
}

store_tests!(
    a_repeated_login_skips_the_password_hash_in_every_protocol,
    a_password_changed_by_another_process_applies_to_the_next_login,
    a_suspended_or_deleted_account_is_refused_at_the_next_login,
    a_tier_change_makes_the_next_login_a_full_check,
    a_wrong_password_after_a_cached_login_fails_and_counts_toward_the_lockout,
    auth_cache_ttl_0_hashes_every_login,
);
