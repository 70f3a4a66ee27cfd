//! A running `mailctl serve` for tests, and a minimal SMTP client for raw-socket cases.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::util::{Env, eventually};

pub struct Server {
    pub child: Child,
    pub smtp: SocketAddr,
    pub submission: SocketAddr,
    pub submissions: SocketAddr,
    pub pop3: SocketAddr,
    pub pop3s: SocketAddr,
    pub imap: SocketAddr,
    pub imaps: SocketAddr,
    /// The web listeners, when enabled.
    pub http: Option<SocketAddr>,
    pub https: Option<SocketAddr>,
    pub metrics: Option<SocketAddr>,
    pub stderr_path: std::path::PathBuf,
}

impl Env {
    /// Listen on loopback port 0 and set short limits, then start `serve`.
    pub fn serve_config(&self, extra: &[(&str, &str)]) {
        for (k, v) in [
            ("smtp_listen", "127.0.0.1:0"),
            ("submission_listen", "127.0.0.1:0"),
            ("submissions_listen", "127.0.0.1:0"),
            ("pop3_listen", "127.0.0.1:0"),
            ("pop3s_listen", "127.0.0.1:0"),
            ("imap_listen", "127.0.0.1:0"),
            ("imaps_listen", "127.0.0.1:0"),
            ("http_listen", "127.0.0.1:0"),
            ("https_listen", "127.0.0.1:0"),
            ("metrics_listen", "127.0.0.1:0"),
            ("dev_mode", "false"),
            // Spooled mail stays queued unless a test delivers it (tests/it/outbound.rs).
            ("outbound_delivery", "false"),
            // No sender checks (they would wait for DNS answers that never come here), except
            // in the tests about them (tests/it/filter.rs), which point them at Knot.
            ("inbound_auth", "false"),
        ]
        .iter()
        .chain(extra.iter())
        {
            self.ok(&["config", "set", k, v]);
        }
    }

    pub fn start_server(&self) -> Server {
        let stderr_path = self.path().join(format!("serve-{}.log", std::process::id()));
        let err = std::fs::File::create(&stderr_path).unwrap();
        let mut child = self
            .command(&["serve"])
            // The worker's queue passes too, for `Server::queue_settled`.
            .env("MAILCTL_LOG", "info,mailctl::server::outbound=debug")
            .stdout(Stdio::piped())
            .stderr(err)
            .spawn()
            .expect("starting mailctl serve");
        let mut reader = BufReader::new(child.stdout.take().unwrap());
        let mut ports = std::collections::HashMap::new();
        let deadline = Instant::now() + Duration::from_secs(20);
        const NAMES: [&str; 10] =
            ["smtp", "submission", "submissions", "pop3", "pop3s", "imap", "imaps", "http", "https", "metrics"];
        // The banner lists the listeners, then a line that is not one (the `try:` hint).
        while Instant::now() < deadline {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                let log = std::fs::read_to_string(&stderr_path).unwrap_or_default();
                panic!("mailctl serve exited early: {log}");
            }
            let words: Vec<&str> = line.split_whitespace().collect();
            if words.len() >= 2 && NAMES.contains(&words[0]) {
                ports.insert(words[0].to_string(), words[1].parse::<SocketAddr>().unwrap());
            } else if ports.len() >= 7 {
                break;
            }
        }
        // Keep draining stdout so the server never blocks on it.
        std::thread::spawn(move || {
            let mut sink = String::new();
            let _ = reader.read_to_string(&mut sink);
        });
        Server {
            child,
            smtp: ports["smtp"],
            submission: ports["submission"],
            submissions: ports["submissions"],
            pop3: ports["pop3"],
            pop3s: ports["pop3s"],
            imap: ports["imap"],
            imaps: ports["imaps"],
            http: ports.get("http").copied(),
            https: ports.get("https").copied(),
            metrics: ports.get("metrics").copied(),
            stderr_path,
        }
    }
}

impl Server {
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.stderr_path).unwrap_or_default()
    }

    pub fn signal(&self, sig: i32) {
        // SAFETY: sending a signal to our own child process.
        unsafe {
            libc::kill(self.child.id() as i32, sig);
        }
    }

    /// SIGTERM and wait for the exit; returns the exit code (None if a signal ended it).
    pub fn stop(mut self) -> Option<i32> {
        self.signal(libc::SIGTERM);
        let mut status = None;
        eventually("the server to exit after SIGTERM", || {
            status = self.child.try_wait().ok().flatten();
            status.is_some()
        });
        status.and_then(|s| s.code())
    }

    /// How many reloads the server has finished, whether it took the new config and
    /// certificate or kept the old ones.
    pub fn reloads(&self) -> usize {
        let log = self.log();
        log.matches("reloaded config and certificate").count() + log.matches("reload: certificate kept").count()
    }

    /// SIGHUP, and wait until the server has logged that this reload is done.
    pub fn reload(&self) {
        let done = self.reloads();
        self.signal(libc::SIGHUP);
        eventually("the reload after SIGHUP", || self.reloads() > done);
    }

    /// The outbound worker's queue passes logged so far: (pass number, messages in flight
    /// when it ended). Only whole lines count: the server may be writing the last one.
    fn queue_passes(&self) -> Vec<(u64, usize)> {
        fn field<T: std::str::FromStr>(line: &str, name: &str) -> Option<T> {
            line.split_whitespace().find_map(|w| w.strip_prefix(name)?.parse().ok())
        }
        self.log()
            .split_inclusive('\n')
            .filter(|l| l.ends_with('\n') && l.contains(" queue pass "))
            .filter_map(|l| Some((field(l, "pass=")?, field(l, "in_flight=")?)))
            .collect()
    }

    /// Wait for a queue pass that began after this call and left nothing in flight. By then
    /// the worker has sent whatever it would send for what happened before the call, so a
    /// test can assert that something was *not* sent, with no sleep.
    pub fn queue_settled(&self) {
        let last = self.queue_passes().iter().map(|p| p.0).max().unwrap_or(0);
        // Pass last + 1 may have begun before this call; last + 2 began after it.
        let first = last + 2;
        eventually(&format!("queue pass {first} or a later one with nothing in flight"), || {
            self.queue_passes().iter().any(|&(n, in_flight)| n >= first && in_flight == 0)
        });
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A plain-text SMTP client for protocol and attack tests.
pub struct Client {
    pub stream: BufReader<TcpStream>,
}

impl Client {
    pub fn connect(addr: SocketAddr) -> Client {
        let s = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
        let mut c = Client { stream: BufReader::new(s) };
        let (code, _) = c.read();
        assert_eq!(code, 220);
        c
    }

    /// Read one (possibly multi-line) reply: code and text. Code 0 on EOF.
    pub fn read(&mut self) -> (u16, String) {
        let mut text = String::new();
        loop {
            let mut line = String::new();
            match self.stream.read_line(&mut line) {
                Ok(0) | Err(_) => return (0, text),
                Ok(_) => {}
            }
            text.push_str(&line);
            if line.len() < 4 || line.as_bytes()[3] != b'-' {
                return (line.get(..3).and_then(|c| c.parse().ok()).unwrap_or(0), text);
            }
        }
    }

    pub fn send(&mut self, bytes: &[u8]) {
        self.stream.get_mut().write_all(bytes).unwrap();
    }

    /// Send a command line and read its reply.
    pub fn cmd(&mut self, line: &str) -> (u16, String) {
        self.send(format!("{line}\r\n").as_bytes());
        self.read()
    }

    pub fn expect(&mut self, line: &str, code: u16) -> String {
        let (c, t) = self.cmd(line);
        assert_eq!(c, code, "{line:?} -> {t}");
        t
    }
}

/// One message from outside to ann@example.com; the reply to its DATA.
pub fn deliver_one(smtp: SocketAddr) -> String {
    let mut c = Client::connect(smtp);
    c.expect("EHLO client.example.org", 250);
    c.expect("MAIL FROM:<x@example.org>", 250);
    c.expect("RCPT TO:<ann@example.com>", 250);
    c.expect("DATA", 354);
    let accepted = c.expect("Subject: hi\r\n\r\nhello\r\n.", 250);
    c.expect("QUIT", 221);
    accepted
}

/// SMTP sessions that deliver to bob@example.com in a loop, each message with its own
/// subject (`s<session>-<n>`), until stopped: what was acknowledged (and when), and how many
/// were deferred with 451 4.3.0. Anything else fails the test.
pub struct Senders {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    pub acked: std::sync::Arc<std::sync::Mutex<Vec<(String, std::time::Instant)>>>,
    pub deferred: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl Senders {
    pub fn start(addr: std::net::SocketAddr, sessions: usize) -> Senders {
        use std::sync::atomic::Ordering;
        let (stop, acked, deferred) = (Default::default(), Default::default(), Default::default());
        let mut out = Senders { stop, acked, deferred, threads: Vec::new() };
        for t in 0..sessions {
            let (stop, acked, deferred) = (out.stop.clone(), out.acked.clone(), out.deferred.clone());
            out.threads.push(std::thread::spawn(move || {
                let mut c = Client::connect(addr);
                c.expect("EHLO sender.example", 250);
                for n in 0..5000 {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    c.expect("MAIL FROM:<a@remote.example>", 250);
                    c.expect("RCPT TO:<bob@example.com>", 250);
                    c.expect("DATA", 354);
                    let subject = format!("s{t}-{n}");
                    c.send(format!("Subject: {subject}\r\n\r\nbody\r\n.\r\n").as_bytes());
                    match c.read() {
                        (250, _) => acked.lock().unwrap().push((subject, std::time::Instant::now())),
                        (451, text) if text.contains(" 4.3.0 ") => {
                            deferred.fetch_add(1, Ordering::Relaxed);
                        }
                        (code, text) => panic!("{subject}: {code} {text}"),
                    }
                }
                c.cmd("QUIT");
            }));
        }
        out
    }

    /// How many were acknowledged so far.
    pub fn count(&self) -> usize {
        self.acked.lock().unwrap().len()
    }

    /// Stop every session and wait for it (a session that failed fails the test here).
    pub fn stop(self) -> (Vec<(String, std::time::Instant)>, usize) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        for t in self.threads {
            t.join().unwrap();
        }
        let acked = std::mem::take(&mut *self.acked.lock().unwrap());
        (acked, self.deferred.load(std::sync::atomic::Ordering::Relaxed))
    }
}

/// A helper process (a scripted DNS, HTTPS or SMTP server), killed when the test ends.
pub struct Kill(std::process::Child);

impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Start a helper that prints one line once it is ready (its port, or "ready"): the process,
/// killed when dropped, its pid, and that line.
pub fn helper(cmd: &mut std::process::Command) -> (Kill, u32, String) {
    use std::io::BufRead;
    let mut child = cmd.stdout(std::process::Stdio::piped()).spawn().unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let pid = child.id();
    (Kill(child), pid, line.trim().to_string())
}

/// [`helper`] for a Python script (`python3 -c SCRIPT ARGS…`).
pub fn python_helper<I, S>(script: &str, args: I) -> (Kill, String)
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let (kill, _, line) = helper(std::process::Command::new("python3").args(["-c", script]).args(args));
    (kill, line)
}

/// Run a Python script with the given arguments; return its stdout (panics on failure).
pub fn python(script: &str, args: &[&str]) -> String {
    let out = Command::new("python3").arg("-c").arg(script).args(args).output().expect("python3");
    assert!(
        out.status.success(),
        "python failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Files in an account's INBOX new/ directory, with their contents. A file
/// the server removes between the listing and the read (a POP3 QUIT or an
/// IMAP EXPUNGE still under way) is left out, as a later listing would.
pub fn inbox(env: &Env, address: &str) -> Vec<(String, Vec<u8>)> {
    let dir = env.maildir(address).join("new");
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .map(|r| {
            r.flatten()
                .filter_map(|e| match std::fs::read(e.path()) {
                    Ok(bytes) => Some((e.file_name().to_string_lossy().into_owned(), bytes)),
                    Err(err) if err.kind() == std::io::ErrorKind::NotFound => None,
                    Err(err) => panic!("reading {}: {err}", e.path().display()),
                })
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

pub fn spool_files(env: &Env) -> Vec<std::path::PathBuf> {
    let dir = env.data_dir().join("spool/outbound");
    std::fs::read_dir(dir).map(|r| r.flatten().map(|e| e.path()).collect()).unwrap_or_default()
}

pub fn skip_without(tool: &str, test: &str) -> bool {
    let found =
        Command::new("sh").arg("-c").arg(format!("command -v {tool}")).output().is_ok_and(|o| o.status.success());
    if !found {
        if crate::util::peers_required() {
            panic!("{test}: {tool} is required (MAILCTL_TEST_PEERS=required) but not installed");
        }
        crate::util::skip(test, &format!("{tool} is not installed"));
    }
    !found
}
