use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

use mailctl::cli::{Cli, run};
use mailctl::error::Error;

/// mimalloc for blocks under 4 MiB, glibc's malloc for larger ones: the servers allocate and
/// free many small buffers from many threads (glibc's consolidation and arena locks showed as
/// a fifth of the admin API's CPU time under load), but mimalloc keeps what it freed for
/// reuse, and a login's Argon2id needs 19 MiB: after 200 IMAP logins a server held 19-57 MiB
/// more, 114-287 KiB per idle connection instead of about 15. glibc maps each block of
/// 4 MiB or more on its own (`server::return_big_allocations`) and gives it back when freed.
#[global_allocator]
static ALLOCATOR: SplitAlloc = SplitAlloc;

/// Blocks of at least this size go to the system allocator.
const LARGE: usize = 4 << 20;

struct SplitAlloc;

// SAFETY: every block is freed or resized by the allocator that made it, told apart by its
// layout's size (the size a block is freed with is the size it was allocated or resized to);
// a resize across the boundary allocates in the other one, copies and frees the old block.
unsafe impl std::alloc::GlobalAlloc for SplitAlloc {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        // SAFETY: forwarded as given.
        unsafe {
            if layout.size() >= LARGE { std::alloc::System.alloc(layout) } else { mimalloc::MiMalloc.alloc(layout) }
        }
    }

    unsafe fn alloc_zeroed(&self, layout: std::alloc::Layout) -> *mut u8 {
        // SAFETY: forwarded as given.
        unsafe {
            if layout.size() >= LARGE {
                std::alloc::System.alloc_zeroed(layout)
            } else {
                mimalloc::MiMalloc.alloc_zeroed(layout)
            }
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        // SAFETY: the block came from the allocator its size names (see above).
        unsafe {
            if layout.size() >= LARGE {
                std::alloc::System.dealloc(ptr, layout)
            } else {
                mimalloc::MiMalloc.dealloc(ptr, layout)
            }
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new_size: usize) -> *mut u8 {
        // SAFETY: same-side resizes are forwarded; a crossing one allocates the new block with
        // the same alignment, copies the bytes both sizes hold and frees the old block.
        unsafe {
            match (layout.size() >= LARGE, new_size >= LARGE) {
                (true, true) => std::alloc::System.realloc(ptr, layout, new_size),
                (false, false) => mimalloc::MiMalloc.realloc(ptr, layout, new_size),
                _ => {
                    let new_layout = std::alloc::Layout::from_size_align_unchecked(new_size, layout.align());
                    let new = self.alloc(new_layout);
                    if !new.is_null() {
                        std::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
                        self.dealloc(ptr, layout);
                    }
                    new
                }
            }
        }
    }
}

fn is_broken_pipe(err: &Error) -> bool {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(c) = cause {
        if let Some(io) = c.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::BrokenPipe
        {
            return true;
        }
        cause = c.source();
    }
    false
}

/// clap's message, on one line: what was wrong, without the usage block.
fn one_line_usage(e: &clap::Error) -> String {
    let text = e.render().to_string();
    let lines: Vec<&str> = text
        .lines()
        .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more information"))
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("tip:"))
        .collect();
    lines.join(" ").trim_start_matches("error: ").to_string()
}

fn main() -> ExitCode {
    // Everything mailctl creates (database, Maildirs, keys, config) is private to its user.
    // SAFETY: umask only sets the process's file-creation mask; no memory is involved.
    unsafe {
        libc::umask(0o077);
    }
    tune_malloc();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            // --help and --version
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "mailctl: {}\nhint: try --help", one_line_usage(&e));
            return ExitCode::from(64);
        }
    };
    // The server logs a line per transaction at the config's log_level, as text or JSON
    // (log_format); admin commands only warnings. MAILCTL_LOG overrides the level. A config
    // that does not load is reported by the command itself.
    // Its errors are also kept in the data dir for `doctor` (recent_errors).
    let serving = matches!(cli.command, mailctl::cli::Command::Serve(_));
    let (default_level, json, recorder) = if serving {
        match mailctl::config::Config::load(&mailctl::config::locate(cli.config.as_deref())) {
            Ok(c) => {
                (c.log_level.clone(), c.log_format == "json", Some(mailctl::recent_errors::Recorder::new(&c.data_dir)))
            }
            Err(_) => ("info".to_string(), false, None),
        }
    } else {
        ("warn".to_string(), false, None)
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("MAILCTL_LOG").unwrap_or_else(|_| default_level.into());
    let terminal = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let logs = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    {
        use tracing_subscriber::layer::SubscriberExt;
        use tracing_subscriber::util::SubscriberInitExt;
        if json {
            logs.json().with_current_span(true).finish().with(recorder).init();
        } else {
            logs.with_ansi(terminal).finish().with(recorder).init();
        }
    }
    // `serve`: a worker thread per CPU but one, placed (`placement` says why); other commands:
    // one per CPU (tokio's default). A fixed two left a larger server's other CPUs to the
    // blocking threads. TOKIO_WORKER_THREADS, when set, decides (tokio reads it).
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    if serving {
        if std::env::var_os("TOKIO_WORKER_THREADS").is_none() {
            let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
            runtime.worker_threads(mailctl::placement::worker_threads(cpus));
        }
        runtime
            .thread_name(mailctl::placement::POOL_THREAD)
            .on_thread_start(mailctl::placement::anywhere)
            .on_thread_park(mailctl::placement::worker);
    }
    let runtime = match runtime.enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "mailctl: cannot start the runtime: {e}");
            return ExitCode::from(71);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            let mut err = std::io::stderr().lock();
            let _ = writeln!(err, "mailctl: {}", e.one_line());
            if let Some(h) = &e.hint
                && !h.is_empty()
            {
                let _ = writeln!(err, "hint: {h}");
            }
            ExitCode::from(e.kind.exit_code() as u8)
        }
    }
}

/// glibc's malloc serves blocks up to 16 MiB from its heaps (not from mmap) and keeps up to
/// 32 MiB free at the top of each heap for reuse, instead of adapting both thresholds as it
/// goes. The adaptive trim returned the buffers of every large answer (a FETCH of 10,000
/// envelopes builds a few MiB) to the kernel, so the next one page-faulted them back in: a
/// third of the server's time in that FETCH. See docs/ARCHITECTURE.md, "Memory".
fn tune_malloc() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes two thresholds of glibc's allocator; called before any
    // other thread exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 16 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 32 << 20);
    }
}
