//! Which CPUs `serve`'s threads run on: the tokio workers on every CPU but the last, the
//! group commit's threads (the store's writer and its syncers, `store::writer`) on the last,
//! every other thread (the blocking pool, password hashing, the full-text indexer) on any.
//!
//! Why: under load the workers (sessions: the network, parsing, creating message files) and the
//! group commit (the transaction, the syncs, the wake-ups) each keep a CPU busy; left to the
//! scheduler, they took turns on both CPUs and preempted one another at every hand-off. SMTP
//! at 20 sessions on 2 CPUs (smtp-source, 8,000 messages, mailctl alone, interleaved runs,
//! threads placed with `taskset`): 12 of 13 pairs faster placed, medians 5,512 against 4,991,
//! 5,580 against 5,317 and 5,676 against 5,200 msg/s; the group commit's threads alone placed
//! 5,238, the worker alone 4,787 (worse): the separation is what pays. Placed from here, six
//! interleaved runs each: medians 6,480 placed, 6,190 not.
//!
//! Only within the CPUs the process may use (`sched_getaffinity`: a container's or `taskset`'s
//! set), only with two or more of them, only for `serve`, and never when `cpu_placement`
//! is off. A thread inherits the mask of the thread that started it: the runtime's threads
//! widen theirs to the whole set when they start, and a worker narrows its own when it first
//! waits for work ([`worker`], from tokio's `on_thread_park`, which only workers call);
//! threads the program starts itself from a worker widen theirs ([`anywhere`]).

use std::cell::Cell;
use std::sync::OnceLock;

/// Worker threads of `serve`'s runtime on a machine with `cpus` CPUs: one fewer, at least one.
/// The group commit's threads (the writer, the syncer, the file and directory syncs:
/// `store::writer`) and the kernel's network and file work take about a third of the CPU time
/// under load; with a worker on every CPU they and the workers preempted one another. SMTP at 20
/// sessions on 2 CPUs (smtp-source, 8,000 messages, runs interleaved, msg/s): one worker 5,483
/// 5,493 5,102 5,341 5,448 4,926 (median 5,394), two 4,878 5,384 5,191 5,283 4,953 5,074
/// (5,132). `TOKIO_WORKER_THREADS`, when set, decides instead (`main.rs`). [`plan`] then
/// keeps the workers off the last allowed CPU.
pub fn worker_threads(cpus: usize) -> usize {
    cpus.saturating_sub(1).max(1)
}

/// The CPU sets, decided once by [`plan`]; None: no placement.
struct Plan {
    all: libc::cpu_set_t,
    workers: libc::cpu_set_t,
    commit: libc::cpu_set_t,
}

static PLAN: OnceLock<Option<Plan>> = OnceLock::new();

/// Decide the placement for this process, once (`serve`, before its runtime starts): with
/// `enabled` and two or more CPUs allowed, the workers get all but the last, the group commit
/// the last. Returns the CPUs the group commit got, for the start-up log (None: no placement).
pub fn plan(enabled: bool) -> Option<usize> {
    PLAN.get_or_init(|| if enabled { split(allowed()?) } else { None }).as_ref().and_then(|p| last(&p.commit))
}

/// The CPUs this process may run on (None when the kernel will not say).
fn allowed() -> Option<libc::cpu_set_t> {
    // SAFETY: cpu_set_t is plain data; sched_getaffinity writes at most its size.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        (libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) == 0).then_some(set)
    }
}

fn cpus(set: &libc::cpu_set_t) -> Vec<usize> {
    // SAFETY: CPU_ISSET reads within the set for every index below CPU_SETSIZE.
    (0..libc::CPU_SETSIZE as usize).filter(|&c| unsafe { libc::CPU_ISSET(c, set) }).collect()
}

fn last(set: &libc::cpu_set_t) -> Option<usize> {
    cpus(set).last().copied()
}

/// All but the last allowed CPU for the workers, the last for the group commit; None with
/// fewer than two.
fn split(all: libc::cpu_set_t) -> Option<Plan> {
    let list = cpus(&all);
    let (&commit_cpu, rest) = list.split_last()?;
    if rest.is_empty() {
        return None;
    }
    // SAFETY: CPU_ZERO/CPU_SET on local sets, indices from `cpus` (below CPU_SETSIZE).
    unsafe {
        let mut workers: libc::cpu_set_t = std::mem::zeroed();
        let mut commit: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_ZERO(&mut workers);
        libc::CPU_ZERO(&mut commit);
        for &c in rest {
            libc::CPU_SET(c, &mut workers);
        }
        libc::CPU_SET(commit_cpu, &mut commit);
        Some(Plan { all, workers, commit })
    }
}

fn apply(pick: impl Fn(&Plan) -> &libc::cpu_set_t) {
    if let Some(Some(plan)) = PLAN.get() {
        // SAFETY: sets this thread's own mask (pid 0) from a valid set; a failure (a CPU taken
        // away meanwhile) leaves the mask as it was.
        unsafe {
            libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), pick(plan));
        }
    }
}

/// A thread of the group commit: onto its CPU.
pub fn group_commit() {
    apply(|p| &p.commit);
}

/// Any other thread, including those started from a worker: onto every allowed CPU.
pub fn anywhere() {
    apply(|p| &p.all);
}

/// The name of `serve`'s runtime threads ([`POOL_THREAD`]) until a worker renames itself
/// ([`WORKER_THREAD`]): tokio gives its workers and its blocking pool's threads one name, and
/// `top -H`, `perf` and the tests need to tell them apart (the blocking threads run anywhere).
pub const POOL_THREAD: &str = "mailctl-pool";
/// A tokio worker's name once it first waited for work (see [`worker`]).
const WORKER_THREAD: &std::ffi::CStr = c"mailctl-worker";

/// A tokio worker, when it waits for work: onto the workers' CPUs and named
/// [`WORKER_THREAD`], once per thread.
pub fn worker() {
    thread_local!(static PLACED: Cell<bool> = const { Cell::new(false) });
    if !PLACED.get() && PLAN.get().is_some() {
        PLACED.set(true);
        apply(|p| &p.workers);
        name_this_thread(WORKER_THREAD);
    }
}

/// Rename the calling thread (what `/proc/<pid>/task/<tid>/comm` shows; 15 bytes at most).
fn name_this_thread(name: &std::ffi::CStr) {
    // SAFETY: PR_SET_NAME reads a NUL-terminated string (the kernel truncates it to 15 bytes)
    // and renames only the calling thread.
    unsafe {
        libc::prctl(libc::PR_SET_NAME, name.as_ptr() as libc::c_ulong, 0, 0, 0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set_of(list: &[usize]) -> libc::cpu_set_t {
        // SAFETY: as in `split`.
        unsafe {
            let mut s: libc::cpu_set_t = std::mem::zeroed();
            libc::CPU_ZERO(&mut s);
            for &c in list {
                libc::CPU_SET(c, &mut s);
            }
            s
        }
    }

    #[test]
    fn the_group_commit_gets_the_last_allowed_cpu_and_the_workers_the_others() {
        for (allowed, workers, commit) in [
            (&[0, 1][..], &[0][..], 1),
            (&[0, 1, 2, 3], &[0, 1, 2], 3),
            // A container's set need not start at 0 nor be contiguous.
            (&[2, 5, 7], &[2, 5], 7),
        ] {
            let plan = split(set_of(allowed)).unwrap();
            assert_eq!(cpus(&plan.workers), workers, "{allowed:?}");
            assert_eq!(cpus(&plan.commit), [commit], "{allowed:?}");
            assert_eq!(cpus(&plan.all), allowed, "{allowed:?}");
        }
    }

    #[test]
    fn serve_leaves_one_cpu_to_the_group_commit_and_the_kernel_and_always_has_a_worker() {
        for (cpus, workers) in [(0, 1), (1, 1), (2, 1), (4, 3), (16, 15)] {
            assert_eq!(worker_threads(cpus), workers, "{cpus} CPUs");
        }
    }

    #[test]
    fn one_allowed_cpu_places_nothing() {
        assert!(split(set_of(&[3])).is_none());
        assert!(split(set_of(&[])).is_none());
    }
}
