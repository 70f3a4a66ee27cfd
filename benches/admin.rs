//! Admin command benchmarks (`cargo bench --bench admin`). Prints figures against the targets:
//! - `account list --json` over 100,000 accounts: under 1 s (SQLite, and PostgreSQL when
//!   MAILCTL_TEST_PG_URL names a server, e.g. from `scripts/peer-postgres.sh start`);
//! - one `account create` including Argon2id at m=19456 KiB, t=2, p=1: median under 150 ms.
//!
//! Each figure is the wall time of the real binary, as a sysadmin's shell would see it.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_mailctl");
const ACCOUNTS: usize = 100_000;

fn run(config: &std::path::Path, args: &[&str], stdin: Option<&str>) -> Duration {
    let start = Instant::now();
    let mut child = Command::new(BIN)
        .arg("--config")
        .arg(config)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(s) = stdin {
        child.stdin.take().unwrap().write_all(s.as_bytes()).unwrap();
    }
    drop(child.stdin.take());
    let out = child.wait_with_output().unwrap();
    let t = start.elapsed();
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    t
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn seed(url: &str, n: usize) {
    sqlx::any::install_default_drivers();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        use sqlx::{ConnectOptions, Connection, Executor};
        let opts: sqlx::any::AnyConnectOptions = url.parse().unwrap();
        let mut conn = opts.connect().await.unwrap();
        let hash = mailctl::password::hash("benchmark-password").unwrap();
        let mut tx = conn.begin().await.unwrap();
        for chunk in (0..n).collect::<Vec<_>>().chunks(1000) {
            let rows: Vec<String> = chunk
                .iter()
                .map(|i| {
                    format!(
                        "('user{i:06}@example.com', 'user{i:06}', 'example.com', 'vip', 'owner-{i}', '{hash}', 1073741824, 0, {i}, 1700000000, 1700000000)"
                    )
                })
                .collect();
            let sql = format!(
                "INSERT INTO accounts (address, local_part, domain, tier, owner, password_hash, quota_bytes, \
                 quota_custom, used_bytes, created_at, updated_at) VALUES {}",
                rows.join(",")
            );
            tx.execute(sqlx::AssertSqlSafe(sql)).await.unwrap();
        }
        tx.commit().await.unwrap();
    });
}

fn instance(db: Option<&str>) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("mailctl.toml");
    let mut args = vec!["init", "--domain", "example.com", "--data-dir"];
    let data = dir.path().join("data");
    let data_s = data.to_str().unwrap().to_string();
    args.push(&data_s);
    if let Some(u) = db {
        args.push("--database");
        args.push(u);
    }
    run(&cfg, &args, None);
    (dir, cfg)
}

fn bench_list(name: &str, db: Option<String>) {
    let (dir, cfg) = instance(db.as_deref());
    let url = db.unwrap_or_else(|| format!("sqlite://{}", dir.path().join("data/mailctl.db").display()));
    let t = Instant::now();
    seed(&url, ACCOUNTS);
    eprintln!("  ({name}: seeded {ACCOUNTS} accounts in {:.1} s)", t.elapsed().as_secs_f64());
    run(&cfg, &["account", "list", "--json"], None); // warm the cache
    let times: Vec<Duration> = (0..5).map(|_| run(&cfg, &["account", "list", "--json"], None)).collect();
    let m = median(times);
    println!(
        "account list --json, {ACCOUNTS} accounts, {name:<8}: median {:>10} (target < 1000 ms) {}",
        ms(m),
        if m < Duration::from_secs(1) { "OK" } else { "MISSED" }
    );
}

fn bench_create(name: &str, db: Option<String>) {
    let (_dir, cfg) = instance(db.as_deref());
    let times: Vec<Duration> = (0..21)
        .map(|i| {
            let addr = format!("new{i}@example.com");
            run(&cfg, &["account", "create", &addr, "--tier", "vip", "--password-stdin"], Some("a-good-password\n"))
        })
        .collect();
    let m = median(times);
    println!(
        "account create (Argon2id m=19456 t=2 p=1), {name:<8}: median {:>10} (target < 150 ms) {}",
        ms(m),
        if m < Duration::from_millis(150) { "OK" } else { "MISSED" }
    );
}

fn fresh_pg(server: &str) -> String {
    let name = format!("mailctl_bench_{}", std::process::id());
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    sqlx::any::install_default_drivers();
    rt.block_on(async {
        use sqlx::{ConnectOptions, Executor};
        let opts: sqlx::any::AnyConnectOptions = server.parse().unwrap();
        let mut conn = opts.connect().await.unwrap();
        conn.execute(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name}"))).await.unwrap();
        conn.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).await.unwrap();
    });
    format!("{}/{name}", server.rsplit_once('/').unwrap().0)
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo test --benches` asks for a listing
    }
    let pg = std::env::var("MAILCTL_TEST_PG_URL").ok().filter(|s| !s.is_empty());
    bench_list("sqlite", None);
    match &pg {
        Some(server) => bench_list("postgres", Some(fresh_pg(server))),
        None => eprintln!("SKIPPED postgres: set MAILCTL_TEST_PG_URL (scripts/peer-postgres.sh start)"),
    }
    bench_create("sqlite", None);
    if let Some(server) = &pg {
        bench_create("postgres", Some(fresh_pg(server)));
    }
}
