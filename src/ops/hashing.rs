//! Password hashing on threads of its own. An Argon2id run costs tens of milliseconds of one
//! CPU; on tokio's blocking pool a burst of logins would take the threads that FETCH and
//! SEARCH read files on, and every CPU with them. Here it runs on half the CPUs (at least
//! one), at a lower scheduling priority, so mailbox commands of sessions already logged in
//! go first. The credential cache keeps most logins away from here anyway.

use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock};

use crate::error::{Error, Kind, Result};

type Job = Box<dyn FnOnce() + Send>;

/// How much lower than the server's other threads the hashing threads run (nice).
const NICENESS: i32 = 5;

fn queue() -> &'static Mutex<mpsc::Sender<Job>> {
    static QUEUE: OnceLock<Mutex<mpsc::Sender<Job>>> = OnceLock::new();
    QUEUE.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        let cpus = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
        for i in 0..(cpus / 2).max(1) {
            let rx = rx.clone();
            let spawned = std::thread::Builder::new().name(format!("mailctl-hash-{i}")).spawn(move || {
                crate::placement::anywhere();
                // SAFETY: setpriority on this thread's own id; failure only leaves the priority.
                unsafe {
                    libc::setpriority(libc::PRIO_PROCESS, libc::gettid() as libc::id_t, NICENESS);
                }
                loop {
                    let job = match rx.lock().unwrap_or_else(|p| p.into_inner()).recv() {
                        Ok(job) => job,
                        Err(_) => return,
                    };
                    // A panicking job drops its reply (the caller gets an error); the thread
                    // goes on.
                    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                }
            });
            if let Err(e) = spawned {
                tracing::error!(error = %e, "cannot start a password hashing thread");
            }
        }
        Mutex::new(tx)
    })
}

/// Run `f` (a password hash or check) on the hashing threads and wait for it.
pub async fn run<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move || {
        let _ = tx.send(f());
    });
    let gone = || Error::new(Kind::Unavailable, "the password hashing threads have stopped");
    queue().lock().unwrap_or_else(|p| p.into_inner()).send(job).map_err(|_| gone())?;
    rx.await.map_err(|_| gone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn jobs_run_and_a_panicking_one_fails_alone() {
        assert_eq!(run(|| 2 + 2).await.unwrap(), 4);
        assert!(run(|| -> u8 { panic!("boom") }).await.is_err());
        assert_eq!(run(|| "still here").await.unwrap(), "still here");
    }
}
