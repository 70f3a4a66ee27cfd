//! Where `serve` runs its threads (`src/placement.rs`): the store's commit threads on the last
//! CPU the process may use, the session workers on the others; `cpu_placement = false` leaves
//! every thread to the kernel. SQLite only: the commit threads are SQLite's writer and syncers.

use std::collections::BTreeSet;

use crate::util::{Backend, Env, eventually};

const COMMIT_THREADS: [&str; 4] = ["mailctl-writer", "mailctl-syncer", "mailctl-fsync", "mailctl-dirsync"];

/// A `Cpus_allowed_list` ("0-2,5") as a set.
fn cpu_list(list: &str) -> BTreeSet<usize> {
    list.trim()
        .split(',')
        .filter(|r| !r.is_empty())
        .flat_map(|r| match r.split_once('-') {
            Some((a, b)) => a.parse().unwrap()..=b.parse().unwrap(),
            None => r.parse().unwrap()..=r.parse().unwrap(),
        })
        .collect()
}

fn allowed(status: &str) -> BTreeSet<usize> {
    let line = status.lines().find(|l| l.starts_with("Cpus_allowed_list:")).unwrap();
    cpu_list(&line["Cpus_allowed_list:".len()..])
}

/// Each thread of a process: its name and the CPUs it may run on.
fn threads(pid: u32) -> Vec<(String, BTreeSet<usize>)> {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else { return Vec::new() };
    tasks
        .flatten()
        .filter_map(|t| {
            let comm = std::fs::read_to_string(t.path().join("comm")).ok()?;
            let status = std::fs::read_to_string(t.path().join("status")).ok()?;
            Some((comm.trim().to_string(), allowed(&status)))
        })
        .collect()
}

/// The CPUs this test may use; None (said) with fewer than two, where nothing is placed.
fn two_or_more_cpus(test: &str) -> Option<BTreeSet<usize>> {
    let cpus = allowed(&std::fs::read_to_string("/proc/self/status").unwrap());
    if cpus.len() < 2 {
        eprintln!("SKIP {test}: one CPU here, and serve places no thread on one CPU");
        return None;
    }
    Some(cpus)
}

fn serve(extra: &[(&str, &str)]) -> (Env, crate::server::Server) {
    let env = Env::new(Backend::Sqlite, "placement").unwrap();
    env.init("example.com");
    env.serve_config(extra);
    let server = env.start_server();
    (env, server)
}

#[test]
fn serve_runs_the_commit_threads_on_the_last_cpu_and_the_session_workers_on_the_others() {
    let Some(cpus) = two_or_more_cpus("serve_runs_the_commit_threads_on_the_last_cpu") else { return };
    let last = *cpus.last().unwrap();
    let others: BTreeSet<usize> = cpus.iter().copied().filter(|&c| c != last).collect();
    let (_env, server) = serve(&[]);
    let pid = server.child.id();
    // A worker places itself when it first waits for work, just after the start.
    eventually("every worker and commit thread placed", || {
        let t = threads(pid);
        let placed = |name: &str, want: &BTreeSet<usize>| t.iter().filter(|(n, _)| n == name).all(|(_, c)| c == want);
        t.iter().any(|(n, _)| n == "mailctl-worker")
            && placed("mailctl-worker", &others)
            && COMMIT_THREADS.iter().all(|n| t.iter().any(|(m, _)| m == n))
            && COMMIT_THREADS.iter().all(|n| placed(n, &BTreeSet::from([last])))
    });
    // Nothing else is narrowed: the process's main thread and the blocking pool's threads
    // (named mailctl-pool, as a worker is until it first waits) keep every CPU.
    let t = threads(pid);
    assert!(t.iter().any(|(n, c)| n == "mailctl" && *c == cpus), "{t:?}");
    assert!(t.iter().filter(|(n, _)| n == "mailctl-pool").all(|(_, c)| *c == cpus), "{t:?}");
}

#[test]
fn with_cpu_placement_off_every_thread_may_run_on_every_cpu() {
    let Some(cpus) = two_or_more_cpus("with_cpu_placement_off_every_thread_may_run_on_every_cpu") else { return };
    let (_env, server) = serve(&[("cpu_placement", "false")]);
    let pid = server.child.id();
    eventually("the commit threads started", || {
        let t = threads(pid);
        COMMIT_THREADS.iter().all(|n| t.iter().any(|(m, _)| m == n))
    });
    for (name, allowed) in threads(pid) {
        assert_eq!(allowed, cpus, "{name}");
    }
}
