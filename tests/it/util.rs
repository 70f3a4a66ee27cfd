//! Helpers: a temporary instance per test (SQLite, or a fresh PostgreSQL database on the
//! server that `.ci/run` starts), running the real binary, and state snapshots for checking
//! that a failed command changed nothing.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;

pub const BIN: &str = env!("CARGO_BIN_EXE_mailctl");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Is a peer required (CI) or may tests skip without it?
pub fn peers_required() -> bool {
    std::env::var("MAILCTL_TEST_PEERS").is_ok_and(|v| v == "required")
}

/// Say a test is skipped, on the real stderr (libtest captures only the print macros).
pub fn skip(test: &str, why: &str) {
    let _ = writeln!(std::io::stderr(), "SKIPPED {test}: {why}");
}

/// A peer's settings from the environment (every one of `vars` set and not empty), or None
/// (skip, saying `unavailable`) / panic (required).
pub fn peer_env<const N: usize>(test: &str, peer: &str, vars: [&str; N], unavailable: &str) -> Option<[String; N]> {
    let values: Option<Vec<String>> = vars.iter().map(|v| std::env::var(v).ok().filter(|s| !s.is_empty())).collect();
    match values {
        Some(v) => v.try_into().ok(),
        None if peers_required() => {
            panic!("{test}: {peer} is required (MAILCTL_TEST_PEERS=required) but {} is not set", vars.join(" or "))
        }
        None => {
            skip(test, unavailable);
            None
        }
    }
}

/// The PostgreSQL server for tests, or None (skip) / panic (required).
pub fn pg_server(test: &str) -> Option<String> {
    let unavailable = "PostgreSQL not available; run scripts/peer-postgres.sh start and set MAILCTL_TEST_PG_URL";
    peer_env(test, "PostgreSQL", ["MAILCTL_TEST_PG_URL"], unavailable).map(|[url]| url)
}

/// One runtime for every test, so that a store opened in one call can be used in the next.
static RUNTIME: std::sync::LazyLock<tokio::runtime::Runtime> = std::sync::LazyLock::new(|| {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
});

pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
    RUNTIME.block_on(f)
}

/// Run SQL against a database URL.
pub fn sql(url: &str, stmt: &str) {
    sqlx::any::install_default_drivers();
    block_on(async {
        use sqlx::{ConnectOptions, Executor};
        let opts: sqlx::any::AnyConnectOptions = url.parse().unwrap();
        let mut conn = opts.connect().await.unwrap();
        conn.execute(sqlx::AssertSqlSafe(stmt.to_string())).await.unwrap();
    });
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A fresh PostgreSQL database on the test server.
pub fn fresh_pg_db(server: &str) -> String {
    let name = format!("mailctl_t{}_{}", std::process::id(), COUNTER.fetch_add(1, Ordering::SeqCst));
    sql(server, &format!("DROP DATABASE IF EXISTS {name}"));
    sql(server, &format!("CREATE DATABASE {name}"));
    let base = server.rsplit_once('/').map(|(b, _)| b).unwrap_or(server);
    format!("{base}/{name}")
}

/// One mailctl instance in a temporary directory.
pub struct Env {
    pub dir: tempfile::TempDir,
    pub backend: Backend,
    /// The PostgreSQL database URL (None for SQLite).
    pub pg_url: Option<String>,
}

/// Run `f` on a fresh instance of `backend` (initialised for example.com), or skip.
pub fn run_on(backend: Backend, test: &str, f: fn(Env)) {
    if let Some(env) = Env::new(backend, test) {
        env.init("example.com");
        f(env);
    }
}

impl Env {
    pub fn new(backend: Backend, test: &str) -> Option<Env> {
        let pg_url = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => Some(fresh_pg_db(&pg_server(test)?)),
        };
        Some(Env { dir: tempfile::tempdir().unwrap(), backend, pg_url })
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }
    pub fn config_path(&self) -> PathBuf {
        self.path().join("mailctl.toml")
    }
    pub fn data_dir(&self) -> PathBuf {
        self.path().join("data")
    }
    pub fn db_url(&self) -> String {
        match &self.pg_url {
            Some(u) => u.clone(),
            None => format!("sqlite://{}", self.data_dir().join("mailctl.db").display()),
        }
    }
    pub fn maildir(&self, address: &str) -> PathBuf {
        let (l, d) = address.split_once('@').unwrap();
        self.data_dir().join("mail").join(d).join(l)
    }

    pub fn init_args(&self, domain: &str) -> Vec<String> {
        let mut args = vec!["init".to_string(), "--domain".into(), domain.into(), "--data-dir".into(), "data".into()];
        if let Some(u) = &self.pg_url {
            args.push("--database".into());
            args.push(u.clone());
        }
        args
    }

    pub fn init(&self, domain: &str) {
        let args = self.init_args(domain);
        self.ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
    }

    /// A command in the instance's directory, with its config, and no inherited config.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(BIN);
        c.current_dir(self.path())
            .env_remove("MAILCTL_CONFIG")
            .env_remove("MAILCTL_LOG")
            .arg("--config")
            .arg(self.config_path())
            .args(args);
        c
    }

    pub fn run(&self, args: &[&str], stdin: Option<&str>) -> Output {
        let mut c = self.command(args);
        c.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = c.spawn().expect("spawning mailctl");
        {
            let mut input = child.stdin.take().unwrap();
            if let Some(s) = stdin {
                // mailctl may exit before reading (usage errors): a closed pipe is fine.
                let _ = input.write_all(s.as_bytes());
            }
        }
        child.wait_with_output().unwrap()
    }

    /// Run, expect success, return stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        self.ok_in(args, None)
    }

    pub fn ok_in(&self, args: &[&str], stdin: Option<&str>) -> String {
        let out = self.run(args, stdin);
        assert!(
            out.status.success(),
            "mailctl {args:?} failed ({:?}):\n{}{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Run, expect exit `code` and no change to the instance; return stderr.
    pub fn fails(&self, args: &[&str], code: i32) -> String {
        self.fails_in(args, None, code)
    }

    pub fn fails_in(&self, args: &[&str], stdin: Option<&str>, code: i32) -> String {
        let before = self.state();
        let out = self.run(args, stdin);
        let err = String::from_utf8_lossy(&out.stderr).to_string();
        assert_eq!(
            out.status.code(),
            Some(code),
            "mailctl {args:?}: want exit {code}\nstdout: {}\nstderr: {err}",
            String::from_utf8_lossy(&out.stdout)
        );
        let first = err.lines().next().unwrap_or("");
        assert!(first.starts_with("mailctl: ") && first.len() > 12, "one-line error expected, got {err:?}");
        assert!(!err.contains("panicked"), "{err}");
        assert_eq!(before, self.state(), "mailctl {args:?} failed but changed the instance");
        err
    }

    pub fn json(&self, args: &[&str]) -> Value {
        let mut a = args.to_vec();
        a.push("--json");
        let out = self.ok(&a);
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: bad JSON ({e}): {out}"))
    }

    /// Everything observable: the store (through the CLI's JSON), the config file, and the
    /// tree of the mail directory.
    pub fn state(&self) -> String {
        let mut s = String::new();
        for args in
            [["domain", "list"], ["account", "list"], ["alias", "list"], ["dkim", "list"], ["transport", "list"]]
        {
            let out = self.run(&[args[0], args[1], "--json"], None);
            s.push_str(&String::from_utf8_lossy(&out.stdout));
            // Whether it could be read is state; what it logged (a slow statement on a loaded
            // machine) is not.
            if !out.status.success() {
                s.push_str(&String::from_utf8_lossy(&out.stderr));
            }
        }
        s.push_str(&std::fs::read_to_string(self.config_path()).unwrap_or_default());
        s.push_str(&tree(&self.data_dir().join("mail")));
        s.push_str(&tree(&self.data_dir().join("dkim")));
        s
    }

    /// The library's view of this instance.
    pub fn store(&self) -> mailctl::store::Store {
        let cfg = mailctl::config::Config::load(&mailctl::config::Location::File(self.config_path())).unwrap();
        block_on(mailctl::store::Store::open(&cfg)).unwrap()
    }

    pub fn create(&self, address: &str, tier: &str) {
        self.ok_in(&["account", "create", address, "--tier", tier, "--password-stdin"], Some("password123\n"));
    }
}

/// Every path under `root` with file sizes, sorted.
pub fn tree(root: &Path) -> String {
    let mut out = Vec::new();
    fn walk(dir: &Path, root: &Path, out: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for e in entries.flatten() {
            let p = e.path();
            let rel = p.strip_prefix(root).unwrap().display().to_string();
            if p.is_dir() {
                out.push(format!("{rel}/"));
                walk(&p, root, out);
            } else {
                out.push(format!("{rel} {}", e.metadata().map(|m| m.len()).unwrap_or(0)));
            }
        }
    }
    walk(root, root, &mut out);
    out.sort();
    out.join("\n")
}

/// How long `eventually` waits. Generous, because a loaded CI machine is slow and a passing
/// test never waits this long: it goes on as soon as the event happens.
const PATIENCE: Duration = Duration::from_secs(60);

/// Wait until `f` is true: poll it with a short backoff, and fail naming `what` was awaited
/// if it is still false after `PATIENCE`. Every test that waits for something uses this.
pub fn eventually(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + PATIENCE;
    let mut pause = Duration::from_millis(5);
    loop {
        if f() {
            return;
        }
        if Instant::now() >= deadline {
            panic!("timed out after {PATIENCE:?} waiting for {what}");
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(200));
    }
}

/// Tests that run once per backend: `store_tests!(a, b)` makes `a::sqlite`, `a::postgres`, ...
#[macro_export]
macro_rules! store_tests {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[test]
                fn sqlite() {
                    $crate::util::run_on($crate::util::Backend::Sqlite, concat!(module_path!(), "::sqlite"), super::$name)
                }
                #[test]
                fn postgres() {
                    $crate::util::run_on($crate::util::Backend::Postgres, concat!(module_path!(), "::postgres"), super::$name)
                }
            }
        )*
    };
}

/// A small tmpfs mounted on `dir` (a full disk on demand), unmounted on drop; None, with the
/// skip said, where mounting needs a root this test does not have.
pub fn small_tmpfs(dir: &Path, size: &str, test: &str) -> Option<Mount> {
    std::fs::create_dir_all(dir).unwrap();
    let ok = Command::new("mount")
        .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
        .arg(dir)
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        skip(test, "cannot mount a small tmpfs here (needs root)");
        return None;
    }
    Some(Mount(dir.to_path_buf()))
}

/// Unmounts on drop.
pub struct Mount(PathBuf);

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}
