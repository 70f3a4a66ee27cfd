//! Crash safety: clients send numbered messages in parallel while the server is killed with
//! SIGKILL at a random moment; after a restart, every message that got a 250 is in the
//! Maildir exactly once and whole, and no file in new/ is partial.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::RngExt;

use crate::server::{Client, deliver_one, inbox};
use crate::util::Env;
use crate::util::{block_on, eventually};

const TRAILER: &str = "-- end of message --";

fn send_until_dead(addr: std::net::SocketAddr, worker: usize, acked: Arc<Mutex<Vec<String>>>) {
    let Ok(s) = std::net::TcpStream::connect(addr) else { return };
    drop(s);
    let mut c = Client::connect(addr);
    if c.cmd("EHLO crash.example").0 != 250 {
        return;
    }
    for n in 0..10_000 {
        let id = format!("w{worker}-n{n}");
        if c.cmd("MAIL FROM:<load@remote.example>").0 != 250 || c.cmd("RCPT TO:<bob@example.com>").0 != 250 {
            return;
        }
        if c.cmd("DATA").0 != 354 {
            return;
        }
        // Big enough that a kill can land mid-write.
        let filler = "x".repeat(70);
        let mut body = format!("Subject: {id}\r\nMessage-Id: <{id}@crash.example>\r\n\r\n");
        for _ in 0..200 {
            body.push_str(&filler);
            body.push_str("\r\n");
        }
        body.push_str(&format!("{TRAILER} {id}\r\n.\r\n"));
        c.send(body.as_bytes());
        match c.read() {
            (250, _) => acked.lock().unwrap().push(id),
            _ => return,
        }
    }
}

fn sigkill_loses_nothing_acknowledged(env: Env) {
    env.create("bob@example.com", "business");
    env.serve_config(&[("smtp_listen", "127.0.0.1:0")]);
    let mut total_acked = 0;
    for round in 0..2 {
        let srv = env.start_server();
        let acked = Arc::new(Mutex::new(Vec::new()));
        let workers: Vec<_> = (0..6)
            .map(|w| {
                let (addr, acked) = (srv.smtp, acked.clone());
                std::thread::spawn(move || send_until_dead(addr, w + 10 * round, acked))
            })
            .collect();
        // A random kill point, on purpose (not a wait): SIGKILL lands somewhere new each run.
        std::thread::sleep(Duration::from_millis(rand::rng().random_range(300..900)));
        srv.signal(libc::SIGKILL);
        for w in workers {
            let _ = w.join();
        }
        drop(srv);
        let acked = acked.lock().unwrap().clone();
        total_acked += acked.len();
        // Restart on the same data dir (the lock died with the process) and check.
        let srv = env.start_server();
        let files = inbox(&env, "bob@example.com");
        let mut seen: HashMap<String, usize> = HashMap::new();
        for (name, data) in &files {
            let text = String::from_utf8_lossy(data);
            let id = text
                .lines()
                .find_map(|l| l.strip_prefix("Subject: "))
                .unwrap_or_else(|| panic!("{name}: no subject: partial file in new/"))
                .to_string();
            assert!(text.ends_with(&format!("{TRAILER} {id}\r\n")), "{name}: partial message in new/");
            *seen.entry(id).or_default() += 1;
        }
        for id in &acked {
            assert_eq!(seen.get(id), Some(&1), "round {round}: acknowledged {id} is missing or duplicated");
        }
        assert!(seen.values().all(|&n| n == 1), "a message is in new/ twice");
        drop(srv);
    }
    assert!(total_acked > 0, "the load never got a message through");
}

store_tests!(sigkill_loses_nothing_acknowledged);

/// ann@example.com with `n` messages delivered by a server that then stopped.
fn delivered(env: &Env, n: usize) {
    env.create("ann@example.com", "vip");
    env.serve_config(&[]);
    let srv = env.start_server();
    for _ in 0..n {
        deliver_one(srv.smtp);
    }
    assert_eq!(srv.stop(), Some(0));
}

/// The group commit syncs a batch's files beside its transaction, so a power cut can leave a
/// durable index row whose file never reached the disk (that delivery was never acknowledged).
/// Such a row is above the `files_synced` mark: the next start removes it, as an expunge, and
/// gives its usage back; an empty file it names goes too. A row above the mark whose file is
/// whole stays, and rows at or below the mark are not looked at.
fn a_start_removes_rows_above_the_synced_mark_whose_file_a_power_cut_took(env: Env) {
    delivered(&env, 4);
    let store = env.store();
    let rows: Vec<(i64, String, i64)> =
        block_on(sqlx::query_as("SELECT id, filename, size FROM messages ORDER BY id").fetch_all(&store.pool)).unwrap();
    assert_eq!(rows.len(), 4);
    let new = env.maildir("ann@example.com").join("new");
    // The power cut: the mark is at the second row; the first row's file, at or below it, is
    // gone (mailbox verify's business, not the start's); the third's file is gone, the
    // fourth's is empty.
    block_on(
        sqlx::query(sqlx::AssertSqlSafe(format!("UPDATE files_synced SET through_id = {}", rows[1].0)))
            .execute(&store.pool),
    )
    .unwrap();
    std::fs::remove_file(new.join(&rows[0].1)).unwrap();
    std::fs::remove_file(new.join(&rows[2].1)).unwrap();
    std::fs::write(new.join(&rows[3].1), b"").unwrap();
    drop(store);

    let srv = env.start_server();
    assert!(srv.log().contains("rows_without_file_removed=2"), "{}", srv.log());
    assert_eq!(srv.stop(), Some(0));
    let store = env.store();
    let left: Vec<(i64,)> =
        block_on(sqlx::query_as("SELECT id FROM messages ORDER BY id").fetch_all(&store.pool)).unwrap();
    assert_eq!(left, vec![(rows[0].0,), (rows[1].0,)], "the rows above the mark whose file is gone or empty went");
    let usage: (i64, i64) = block_on(
        sqlx::query_as("SELECT used_bytes, used_messages FROM accounts WHERE address = 'ann@example.com'")
            .fetch_one(&store.pool),
    )
    .unwrap();
    assert_eq!(usage, (rows[0].2 + rows[1].2, 2), "their usage was given back");
    let mark: (i64,) = block_on(sqlx::query_as("SELECT through_id FROM files_synced").fetch_one(&store.pool)).unwrap();
    assert_eq!(mark.0, rows[3].0, "the mark moved to the last row");
    assert!(!new.join(&rows[3].1).exists(), "the empty file went with its row");
    let tombstones: (i64,) = block_on(sqlx::query_as("SELECT COUNT(*) FROM expunged").fetch_one(&store.pool)).unwrap();
    assert_eq!(tombstones.0, 2, "IMAP sessions hear of the removal as an expunge");
}

/// The mark, as the store holds it.
fn mark(env: &Env) -> i64 {
    let store = env.store();
    block_on(sqlx::query_as::<_, (i64,)>("SELECT through_id FROM files_synced").fetch_one(&store.pool)).unwrap().0
}

/// While the server runs, its writer moves the mark past the rows whose files were synced, so
/// that a start after a power cut looks only at the last few rows.
fn the_writer_moves_the_synced_mark_past_delivered_messages(env: Env) {
    env.create("ann@example.com", "vip");
    env.serve_config(&[]);
    let srv = env.start_server();
    deliver_one(srv.smtp);
    let first: (i64,) = block_on(sqlx::query_as("SELECT MAX(id) FROM messages").fetch_one(&env.store().pool)).unwrap();
    // The mark is written with a later transaction, at most once a second: more mail brings it.
    eventually("the mark to pass the first delivery", || {
        deliver_one(srv.smtp);
        mark(&env) >= first.0
    });
    assert_eq!(srv.stop(), Some(0));
}

/// A folder that cannot be listed at start (its directory renamed away, the file system not
/// mounted) decides nothing: its rows above the mark stay, and the mark stays where it is, so
/// the next start looks at them again.
fn a_start_keeps_rows_above_the_mark_whose_folder_cannot_be_listed(env: Env) {
    delivered(&env, 2);
    let store = env.store();
    block_on(sqlx::query("UPDATE files_synced SET through_id = 0").execute(&store.pool)).unwrap();
    drop(store);
    let maildir = env.maildir("ann@example.com");
    let aside = env.path().join("ann-aside");
    std::fs::rename(&maildir, &aside).unwrap();
    let srv = env.start_server();
    assert!(!srv.log().contains("rows_without_file_removed"), "{}", srv.log());
    assert_eq!(srv.stop(), Some(0));
    if maildir.exists() {
        std::fs::remove_dir_all(&maildir).unwrap();
    }
    std::fs::rename(&aside, &maildir).unwrap();
    let store = env.store();
    let n: (i64,) = block_on(sqlx::query_as("SELECT COUNT(*) FROM messages").fetch_one(&store.pool)).unwrap();
    assert_eq!(n.0, 2, "the rows stay");
    assert_eq!(mark(&env), 0, "the mark stays");
}

store_tests!(
    a_start_removes_rows_above_the_synced_mark_whose_file_a_power_cut_took,
    the_writer_moves_the_synced_mark_past_delivered_messages,
    a_start_keeps_rows_above_the_mark_whose_folder_cannot_be_listed
);
