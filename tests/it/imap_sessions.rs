//! IMAP with several sessions on one mailbox: what each session must be told, and what no
//! other session may take from it (raw sockets, so every untagged line is checked).

use crate::imap::{Raw, deliver, login, start};
use crate::server::{Client, Server};
use crate::util::{Env, block_on};

fn selected(srv: &Server, verb: &str) -> (Raw, String) {
    let mut c = login(srv);
    let r = c.cmd("s", &format!("{verb} INBOX"));
    assert!(r.contains("s OK"), "{r}");
    (c, r)
}

/// The line's position in a response, or panic naming what is missing.
fn at(response: &str, needle: &str) -> usize {
    response.find(needle).unwrap_or_else(|| panic!("no {needle:?} in:\n{response}"))
}

/// `f` in `n` sessions at once, each logged in on its own connection; their results in order.
fn in_parallel<T: Send + 'static>(srv: &Server, n: usize, f: fn(usize, Raw) -> T) -> Vec<T> {
    let imap = srv.imap;
    let threads: Vec<_> = (0..n)
        .map(|i| {
            std::thread::spawn(move || {
                let mut c = Raw::connect(imap);
                let r = c.cmd("l", "LOGIN bob@example.com password123");
                assert!(r.contains("l OK"), "session {i}: {r}");
                f(i, c)
            })
        })
        .collect();
    threads.into_iter().map(|t| t.join().unwrap()).collect()
}

fn recent_count(response: &str) -> usize {
    response
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("* ")?.strip_suffix(" RECENT")?.parse().ok())
        .unwrap_or_else(|| panic!("no RECENT in:\n{response}"))
}

/// RFC 3501 §7.2.6: a keyword appears in FETCH only after a FLAGS response named it, in the
/// session that stored it and in every other session on the mailbox.
fn imap_a_new_keyword_is_announced_before_any_fetch_shows_it(env: Env) {
    let srv = start(&env);
    deliver(&srv, 2, "kw");
    let (mut a, _) = selected(&srv, "SELECT");
    let (mut b, select) = selected(&srv, "SELECT");
    assert!(!select.contains("$Label2"), "{select}");
    let stored = b.cmd("t1", "STORE 1 +FLAGS ($Label2)");
    assert!(at(&stored, "* FLAGS (") < at(&stored, "* 1 FETCH"), "{stored}");
    assert!(stored[at(&stored, "* FLAGS (")..].lines().next().unwrap().contains("$Label2"), "{stored}");
    assert!(stored.contains("[PERMANENTFLAGS (") && stored.contains("\\*)]"), "{stored}");
    // The other session learns of it at its next command, FLAGS first.
    let told = a.cmd("n1", "NOOP");
    let flags = at(&told, "* FLAGS (");
    assert!(told[flags..].lines().next().unwrap().contains("$Label2"), "{told}");
    assert!(flags < at(&told, "* 1 FETCH ("), "{told}");
    // A keyword already announced is not announced again.
    let again = b.cmd("t2", "STORE 2 +FLAGS ($Label2)");
    assert!(!again.contains("* FLAGS"), "{again}");
    // A message that arrives with a new keyword (APPEND by another session) is announced too.
    b.send(b"ap APPEND INBOX ($Fresh) {20}\r\n");
    assert!(b.line().starts_with('+'));
    b.send(b"Subject: new\r\n\r\nhi\r\n\r\n");
    let appended = b.until("ap");
    assert!(appended.contains("ap OK"), "{appended}");
    let told = a.cmd("n2", "NOOP");
    assert!(at(&told, "$Fresh") < at(&told, "EXISTS"), "{told}");
    let fetched = a.cmd("f", "FETCH 3 FLAGS");
    assert!(fetched.contains("$Fresh") && !fetched.contains("* FLAGS"), "{fetched}");
}

/// RFC 3501 §2.3.2: \Recent goes to one session only, however many select at once.
fn imap_recent_is_given_to_one_session_only(env: Env) {
    let srv = start(&env);
    deliver(&srv, 5, "recent");
    let mut sessions: Vec<(Raw, usize)> = in_parallel(&srv, 8, |_, mut c| {
        let r = c.cmd("s", "SELECT INBOX");
        (c, recent_count(&r))
    });
    assert_eq!(sessions.iter().map(|s| s.1).sum::<usize>(), 5, "each message is \\Recent in one session");
    // A message that arrives later is \Recent in the one session that hears of it first.
    deliver(&srv, 1, "late");
    let mut holders = 0;
    for (i, (c, before)) in sessions.iter_mut().enumerate() {
        let r = c.cmd(&format!("n{i}"), "NOOP");
        if r.contains("EXISTS") && recent_count(&r) > *before {
            holders += 1;
            let f = c.cmd("f", "FETCH 6 FLAGS");
            assert!(f.contains("\\Recent"), "{f}");
        } else {
            let f = c.cmd("f", "FETCH 6 FLAGS");
            assert!(!f.contains("\\Recent"), "{f}");
        }
    }
    assert_eq!(holders, 1, "the late message is \\Recent in exactly one session");
    // EXAMINE takes nothing and shows nothing as \Recent.
    deliver(&srv, 1, "examined");
    let (_, examined) = selected(&srv, "EXAMINE");
    assert_eq!(recent_count(&examined), 0, "{examined}");
    let (_, took) = selected(&srv, "SELECT");
    assert_eq!(recent_count(&took), 1, "EXAMINE left the message \\Recent: {took}");
}

/// RFC 2180 §4.1.3, RFC 5530: FETCH of a message another session expunged answers what still
/// exists and says EXPUNGEISSUED; it never fails the command for good.
fn imap_fetch_of_a_message_expunged_elsewhere_answers_what_exists(env: Env) {
    let srv = start(&env);
    deliver(&srv, 3, "gone");
    let (mut a, _) = selected(&srv, "SELECT");
    let (mut b, _) = selected(&srv, "SELECT");
    assert!(b.cmd("d", "STORE 2 +FLAGS.SILENT (\\Deleted)").contains("d OK"));
    assert!(b.cmd("x", "EXPUNGE").contains("* 2 EXPUNGE"));
    // Its file goes once the expunge is durable; until then `a` may still be given it (RFC
    // 2180 §4.1.1). Here it is gone.
    let dir = env.maildir("bob@example.com");
    crate::util::eventually("the expunged message's file is unlinked", || {
        ["cur", "new"].iter().map(|d| std::fs::read_dir(dir.join(d)).unwrap().count()).sum::<usize>() == 2
    });
    // `a` has not been told: message 2 still has its sequence number there.
    let r = a.cmd("f", "FETCH 1:3 BODY.PEEK[]");
    assert!(r.contains("Subject: gone 1") && r.contains("Subject: gone 3"), "{r}");
    assert!(!r.contains("Subject: gone 2"), "{r}");
    assert!(r.contains("f OK [EXPUNGEISSUED]"), "{r}");
    // The next command reports the expunge, and FETCH is whole again.
    let n = a.cmd("n", "NOOP");
    assert!(n.contains("* 2 EXPUNGE"), "{n}");
    let r = a.cmd("g", "FETCH 1:* BODY.PEEK[]");
    assert!(r.contains("g OK FETCH"), "{r}");
    assert!(!srv.log().contains("cannot be read"), "an expunged message is no fault: {}", srv.log());
}

/// A DELETE is never undone by a login's scan of the Maildir running beside it.
fn imap_a_deleted_mailbox_stays_deleted_while_others_log_in(env: Env) {
    let srv = start(&env);
    let imap = srv.imap;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let logins: Vec<_> = (0..2)
        .map(|_| {
            let stop = stop.clone();
            std::thread::spawn(move || {
                let mut n = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) && n < 300 {
                    let mut c = Raw::connect(imap);
                    let r = c.cmd("l", "LOGIN bob@example.com password123");
                    assert!(r.contains("l OK"), "{r}");
                    c.cmd("o", "LOGOUT");
                    n += 1;
                }
            })
        })
        .collect();
    let mut c = login(&srv);
    for i in 0..40 {
        let r = c.cmd(&format!("c{i}"), &format!("CREATE Doomed{i}"));
        assert!(r.contains("OK"), "{r}\n{}", srv.log());
        let r = c.cmd(&format!("d{i}"), &format!("DELETE Doomed{i}"));
        assert!(r.contains("OK"), "{r}\n{}", srv.log());
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for t in logins {
        assert!(t.join().is_ok(), "a login failed: {}", srv.log());
    }
    let list = login(&srv).cmd("l2", "LIST \"\" \"*\"");
    assert!(!list.contains("Doomed") && !list.contains("deleted"), "{list}");
    let dirs: Vec<String> = std::fs::read_dir(env.maildir("bob@example.com"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("Doomed"))
        .collect();
    assert!(dirs.is_empty(), "{dirs:?}");
}

/// A DELETE cut short by a crash after its folder left the Maildir is finished or undone at
/// start, by what the index says.
fn imap_an_interrupted_delete_is_finished_or_undone_at_start(env: Env) {
    let srv = start(&env);
    let mut c = login(&srv);
    assert!(c.cmd("c", "CREATE Kept").contains("c OK"));
    c.send(b"a APPEND Kept {21}\r\n");
    assert!(c.line().starts_with('+'));
    c.send(b"Subject: kept\r\n\r\nhi\r\n\r\n");
    assert!(c.until("a").contains("a OK"));
    srv.stop();
    let root = env.maildir("bob@example.com");
    // "Kept" was set aside but its row is still there (the DELETE never committed): it comes
    // back. "Orphan" has no row (the DELETE committed): its holder is removed.
    for (name, holder) in [("Kept", ".deleted-t1"), ("Orphan", ".deleted-t2")] {
        let h = root.join("tmp").join(holder);
        std::fs::create_dir_all(&h).unwrap();
        let from = root.join(format!(".{name}"));
        if from.exists() {
            std::fs::rename(&from, h.join(format!(".{name}"))).unwrap();
        } else {
            std::fs::create_dir_all(h.join(format!(".{name}/cur"))).unwrap();
        }
    }
    let srv = env.start_server();
    assert!(root.join(".Kept/cur").exists() || root.join(".Kept/new").exists(), "Kept is back");
    assert!(!root.join("tmp/.deleted-t1").exists() && !root.join("tmp/.deleted-t2").exists());
    assert!(!root.join(".Orphan").exists());
    let mut c = login(&srv);
    let list = c.cmd("l", "LIST \"\" \"*\"");
    assert!(list.contains("Kept") && !list.contains("Orphan"), "{list}");
    let s = c.cmd("s", "SELECT Kept");
    assert!(s.contains("* 1 EXISTS"), "{s}");
    assert!(srv.log().contains("mailbox_deletes_finished=2"), "{}", srv.log());
}

/// RFC 3501 §6.3.6, §6.3.9, RFC 5258 §3.5, RFC 5530: subscriptions outlive DELETE, LSUB's `%`
/// shows hidden subscribed children as \Noselect parents, RECURSIVEMATCH says CHILDINFO, and a
/// mailbox with children is refused with HASCHILDREN.
fn imap_subscriptions_follow_the_rfcs(env: Env) {
    let srv = start(&env);
    let mut c = login(&srv);
    for (i, cmd) in
        ["CREATE Par.Child", "SUBSCRIBE Par.Child", "CREATE Old", "SUBSCRIBE Old", "DELETE Old"].iter().enumerate()
    {
        let r = c.cmd(&format!("p{i}"), cmd);
        assert!(r.contains(&format!("p{i} OK")), "{cmd}: {r}");
    }
    let lsub = c.cmd("a", "LSUB \"\" \"*\"");
    assert!(lsub.contains("* LSUB (\\Noselect) \".\" Old"), "a deleted mailbox stays subscribed: {lsub}");
    let lsub = c.cmd("b", "LSUB \"\" \"%\"");
    assert!(lsub.contains("* LSUB (\\Noselect) \".\" Par"), "{lsub}");
    assert!(!lsub.contains("Par.Child"), "{lsub}");
    let list = c.cmd("c", "LIST (SUBSCRIBED) \"\" \"*\"");
    assert!(list.contains("(\\NonExistent \\HasNoChildren \\Subscribed) \".\" Old"), "{list}");
    let list = c.cmd("d", "LIST (SUBSCRIBED RECURSIVEMATCH) \"\" \"%\"");
    assert!(list.contains("\".\" Par (\"CHILDINFO\" (\"SUBSCRIBED\"))"), "{list}");
    assert!(!list.contains("Par.Child"), "{list}");
    let del = c.cmd("e", "DELETE Par");
    assert!(del.contains("e NO [HASCHILDREN]"), "{del}");
}

/// SEARCH FROM and TO find an address as it reads, whatever comments the header puts in it.
fn imap_search_from_matches_an_address_written_with_comments(env: Env) {
    let srv = start(&env);
    let mut s = Client::connect(srv.smtp);
    s.expect("EHLO x.example", 250);
    s.expect("MAIL FROM:<user-from@domain.org>", 250);
    s.expect("RCPT TO:<bob@example.com>", 250);
    s.expect("DATA", 354);
    s.send(b"From: <user-from (comment)@ (comment) domain.org>\r\nTo: Bob (home) <bob@example.com>\r\nSubject: c\r\n\r\nx\r\n.\r\n");
    assert_eq!(s.read().0, 250);
    deliver(&srv, 1, "plain");
    let (mut c, _) = selected(&srv, "SELECT");
    for (i, key) in ["FROM user-from@domain.org", "FROM \"USER-FROM@DOMAIN\"", "TO bob@example.com"].iter().enumerate()
    {
        let r = c.cmd(&format!("s{i}"), &format!("SEARCH {key}"));
        let hits = r.lines().find(|l| l.starts_with("* SEARCH")).unwrap_or_default();
        let want = if key.starts_with("TO") { "* SEARCH 1 2" } else { "* SEARCH 1" };
        assert_eq!(hits.trim_end(), want, "{key}: {r}");
    }
}

/// An APPEND command with these messages (each `{n+}` literal, so no continuation waits).
fn multiappend(c: &mut Raw, tag: &str, mailbox: &str, msgs: &[(&str, &str)]) -> String {
    let mut cmd = format!("{tag} APPEND {mailbox}");
    for (flags, body) in msgs {
        cmd.push_str(&format!(" {flags} {{{}+}}\r\n{body}", body.len()));
    }
    cmd.push_str("\r\n");
    c.send(cmd.as_bytes());
    c.until(tag)
}

/// RFC 3502: several messages in one APPEND are appended together or not at all.
fn imap_multiappend_is_all_or_nothing(env: Env) {
    let srv = start(&env);
    let mut c = login(&srv);
    let caps = c.cmd("c", "CAPABILITY");
    assert!(caps.contains(" MULTIAPPEND "), "{caps}");
    let msg = |n: usize| format!("Subject: m{n}\r\n\r\n{}\r\n", "x".repeat(300));
    let (m1, m2, m3) = (msg(1), msg(2), msg(3));
    let r = multiappend(&mut c, "a", "Drafts", &[("(\\Draft)", &m1), ("()", &m2), ("(\\Seen)", &m3)]);
    assert!(r.contains("a OK [APPENDUID ") && r.contains(" 1,2,3]"), "{r}");
    let s = c.cmd("s", "STATUS Drafts (MESSAGES)");
    assert!(s.contains("(MESSAGES 3)"), "{s}");
    // The third message fails (a flag that cannot be stored, then the quota): none is kept.
    let r = multiappend(&mut c, "b", "Sent", &[("()", &m1), ("()", &m2), ("(\\Unknown)", &m3)]);
    assert!(r.contains("b BAD"), "{r}");
    // Room for two more of them, not three.
    let used = 3 * m1.len();
    env.ok(&["quota", "set", "bob@example.com", &(used + 2 * m1.len() + 100).to_string()]);
    let r = multiappend(&mut c, "q", "Sent", &[("()", &m1), ("()", &m2), ("()", &m3)]);
    assert!(r.contains("q NO [OVERQUOTA]"), "{r}");
    let s = c.cmd("t", "STATUS Sent (MESSAGES)");
    assert!(s.contains("(MESSAGES 0)"), "{s}");
    let sent = env.maildir("bob@example.com").join(".Sent");
    for sub in ["cur", "new", "tmp"] {
        assert_eq!(std::fs::read_dir(sent.join(sub)).unwrap().count(), 0, "{sub} holds nothing");
    }
}

/// RFC 9051 (IMAP4rev2), offered beside IMAP4rev1: after `ENABLE IMAP4rev2` there is no
/// \Recent (no RECENT response, no \Recent flag, none claimed from rev1 sessions), no LSUB,
/// a plain SEARCH answers ESEARCH, and mailbox names are UTF-8.
fn imap_imap4rev2_is_enabled_and_behaves_as_rfc_9051(env: Env) {
    let srv = start(&env);
    deliver(&srv, 3, "rev2");
    let mut c = login(&srv);
    let caps = c.cmd("c", "CAPABILITY");
    assert!(caps.contains(" IMAP4rev1 ") && caps.contains(" IMAP4rev2 "), "{caps}");
    let on = c.cmd("e", "ENABLE IMAP4rev2");
    assert!(on.contains("* ENABLED IMAP4rev2"), "{on}");
    let sel = c.cmd("s", "SELECT INBOX");
    assert!(sel.contains("* 3 EXISTS") && !sel.contains("RECENT"), "{sel}");
    let f = c.cmd("f", "FETCH 1:3 FLAGS");
    assert!(f.contains("* 3 FETCH") && !f.contains("\\Recent"), "{f}");
    // The rev2 session took no \Recent: a rev1 session still gets all three.
    let (_, rev1) = selected(&srv, "SELECT");
    assert_eq!(recent_count(&rev1), 3, "{rev1}");
    let found = c.cmd("q", "SEARCH ALL");
    assert!(found.contains("* ESEARCH (TAG \"q\") ALL 1:3") && !found.contains("* SEARCH"), "{found}");
    let none = c.cmd("n", "UID SEARCH SUBJECT nothing-matches-this");
    assert!(none.contains("* ESEARCH (TAG \"n\") UID\r\n"), "{none}");
    let lsub = c.cmd("l", "LSUB \"\" *");
    assert!(lsub.contains("l BAD"), "{lsub}");
    let subscribed = c.cmd("ls", "LIST (SUBSCRIBED) \"\" *");
    assert!(subscribed.contains("ls OK"), "{subscribed}");
    // New mail is announced without RECENT.
    deliver(&srv, 1, "later");
    let told = c.cmd("p", "NOOP");
    assert!(told.contains("* 4 EXISTS") && !told.contains("RECENT"), "{told}");
}

/// RFC 9051 §5.1 and RFC 6855: a session that speaks UTF-8 names and one that speaks modified
/// UTF-7 (IMAP4rev1) see one mailbox under the name each understands.
fn imap_utf8_and_modified_utf7_names_are_one_mailbox(env: Env) {
    let srv = start(&env);
    let mut u = login(&srv);
    assert!(u.cmd("e", "ENABLE UTF8=ACCEPT").contains("* ENABLED UTF8=ACCEPT"));
    let made = u.cmd("c", "CREATE \"Entwürfe.日本語\"");
    assert!(made.contains("c OK"), "{made}");
    let listed = u.cmd("l", "LIST \"\" \"Entw*\"");
    // (Sent as a literal or a quoted string: either is UTF-8 here.)
    assert!(listed.contains("Entwürfe.日本語") && !listed.contains("&"), "{listed}");
    let mut old = login(&srv);
    let seen = old.cmd("l", "LIST \"\" \"Entw*\"");
    assert!(seen.contains("Entw&APw-rfe.&ZeVnLIqe-"), "{seen}");
    assert!(old.cmd("s", "SELECT \"Entw&APw-rfe.&ZeVnLIqe-\"").contains("s OK"));
    let st = u.cmd("st", "STATUS \"Entwürfe.日本語\" (MESSAGES)");
    assert!(st.contains("Entwürfe.日本語") && st.contains("(MESSAGES 0)") && !st.contains("&"), "{st}");
    // An ampersand is itself in UTF-8 and "&-" in modified UTF-7.
    assert!(u.cmd("c2", "CREATE \"Q&A\"").contains("c2 OK"));
    let q = old.cmd("l2", "LIST \"\" Q*");
    assert!(q.contains("Q&-A") && !q.contains("Q&A"), "{q}");
    let q = u.cmd("l3", "LIST \"\" Q*");
    assert!(q.contains("Q&A") && !q.contains("Q&-A"), "{q}");
}

/// Flag changes from many sessions at once on one message all land: each is read and written
/// in one transaction of the group commit, so none overwrites another's.
fn imap_concurrent_stores_on_one_message_all_land(env: Env) {
    let srv = start(&env);
    deliver(&srv, 1, "busy");
    in_parallel(&srv, 8, |i, mut c| {
        assert!(c.cmd("s", "SELECT INBOX").contains("s OK"));
        for j in 0..6 {
            let r = c.cmd(&format!("t{j}"), &format!("STORE 1 +FLAGS.SILENT ($K{i}x{j})"));
            assert!(r.contains(&format!("t{j} OK")), "{r}");
        }
    });
    let mut c = login(&srv);
    c.cmd("s", "EXAMINE INBOX");
    let f = c.cmd("f", "FETCH 1 FLAGS");
    for i in 0..8 {
        for j in 0..6 {
            assert!(f.contains(&format!("$K{i}x{j}")), "$K{i}x{j} was lost: {f}");
        }
    }
}

/// RFC 3501 §7.2.6 for a change this server did not make (another process writes the store):
/// a FETCH that reads ENVELOPE from the store shows the flags the session has announced,
/// never a keyword it was not told of; the change comes with the next sync, FLAGS first.
fn imap_a_fetch_never_shows_a_keyword_the_session_was_not_told_of(env: Env) {
    let srv = start(&env);
    deliver(&srv, 1, "outside");
    let (mut a, _) = selected(&srv, "SELECT");
    let store = env.store();
    block_on(async {
        use mailctl::store::{accounts, mailboxes};
        let mut conn = store.pool.acquire().await.unwrap();
        let account = accounts::get(&mut conn, "bob@example.com").await.unwrap().unwrap();
        let inbox = mailboxes::get(&mut mailctl::store::conn::Conn::Any(&mut conn), account.id, "INBOX")
            .await
            .unwrap()
            .unwrap();
        drop(conn);
        let outside = mailctl::store::maildir::Flags::from_atoms(&["$Outside"]).unwrap();
        let add = move |f: &mailctl::store::maildir::Flags| {
            let mut f = f.clone();
            f.add(&outside);
            f
        };
        mailctl::ops::mailbox::store_flags(&store, &account, &inbox, &[1], add, None).await.unwrap();
    });
    let f = a.cmd("f", "FETCH 1 (FLAGS ENVELOPE)");
    assert!(f.contains("f OK") && !f.contains("$Outside"), "{f}");
}

crate::store_tests!(
    imap_a_new_keyword_is_announced_before_any_fetch_shows_it,
    imap_recent_is_given_to_one_session_only,
    imap_fetch_of_a_message_expunged_elsewhere_answers_what_exists,
    imap_a_deleted_mailbox_stays_deleted_while_others_log_in,
    imap_an_interrupted_delete_is_finished_or_undone_at_start,
    imap_subscriptions_follow_the_rfcs,
    imap_search_from_matches_an_address_written_with_comments,
    imap_multiappend_is_all_or_nothing,
    imap_imap4rev2_is_enabled_and_behaves_as_rfc_9051,
    imap_utf8_and_modified_utf7_names_are_one_mailbox,
    imap_concurrent_stores_on_one_message_all_land,
    imap_a_fetch_never_shows_a_keyword_the_session_was_not_told_of,
);
