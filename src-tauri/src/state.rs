//! What the shell holds between commands: the studio, and a cancel switch per running job.

use std::collections::{HashMap, VecDeque};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;
use unifield_studio_service::{Cancel, Studio};
use unifield_workspace::Keyring;

pub struct Shell {
    studio: Mutex<Studio>,
    jobs: Arc<Mutex<Jobs>>,
    pub launched: Instant,
}

/// Running jobs by the id the UI gave them, and the ids cancelled before their job had
/// registered (the UI's Cancel and the job's start travel separately).
#[derive(Default)]
struct Jobs {
    running: HashMap<u32, Cancel>,
    cancelled_early: VecDeque<u32>,
}

/// How many early cancels are remembered: ids are never reused, so only a few recent
/// ones can still have a job on its way.
const EARLY_CANCELS: usize = 64;

/// A running job's cancel switch; dropping it ends the job.
pub struct JobGuard {
    pub cancel: Cancel,
    id: u32,
    jobs: Arc<Mutex<Jobs>>,
}

impl Drop for JobGuard {
    fn drop(&mut self) {
        lock(&self.jobs).running.remove(&self.id);
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

impl Shell {
    pub fn open(dir: &Path, launched: Instant) -> unifield_studio_service::Result<Shell> {
        Ok(Shell::new(Studio::open(dir, Arc::new(Keyring))?, launched))
    }

    pub fn new(studio: Studio, launched: Instant) -> Shell {
        Shell {
            studio: Mutex::new(studio),
            jobs: Arc::default(),
            launched,
        }
    }

    /// The studio. A command that panicked mid-way leaves it usable: the service keeps no
    /// half-done state across calls (records are immutable once held).
    pub fn studio(&self) -> MutexGuard<'_, Studio> {
        lock(&self.studio)
    }

    /// Registers job `id` and gives its cancel switch, already set if the UI cancelled it
    /// before it got here.
    pub fn start_job(&self, id: u32) -> JobGuard {
        let cancel = Cancel::default();
        let mut jobs = lock(&self.jobs);
        if let Some(at) = jobs.cancelled_early.iter().position(|j| *j == id) {
            jobs.cancelled_early.remove(at);
            cancel.cancel();
        }
        jobs.running.insert(id, cancel.clone());
        JobGuard {
            cancel,
            id,
            jobs: Arc::clone(&self.jobs),
        }
    }

    /// False when no such job runs (it finished, or has not started: then it starts
    /// cancelled).
    pub fn cancel_job(&self, id: u32) -> bool {
        let mut jobs = lock(&self.jobs);
        match jobs.running.get(&id) {
            Some(cancel) => {
                cancel.cancel();
                true
            }
            None => {
                if jobs.cancelled_early.len() == EARLY_CANCELS {
                    jobs.cancelled_early.pop_front();
                }
                jobs.cancelled_early.push_back(id);
                false
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use unifield_workspace::MemorySecrets;

    fn shell() -> (tempfile::TempDir, Shell) {
        let dir = tempfile::tempdir().unwrap();
        let studio = Studio::open(dir.path(), Arc::new(MemorySecrets::default())).unwrap();
        (dir, Shell::new(studio, Instant::now()))
    }

    #[test]
    fn a_cancel_that_arrives_before_its_job_starts_the_job_cancelled() {
        let (_dir, shell) = shell();
        assert!(!shell.cancel_job(7), "job 7 is not running yet");
        let job = shell.start_job(7);
        assert!(
            job.cancel.is_cancelled(),
            "the early cancel was kept for job 7"
        );
        let other = shell.start_job(8);
        assert!(!other.cancel.is_cancelled(), "job 8 was never cancelled");
    }

    #[test]
    fn a_running_job_is_cancelled_and_ends_with_its_guard() {
        let (_dir, shell) = shell();
        let job = shell.start_job(3);
        assert!(shell.cancel_job(3));
        assert!(job.cancel.is_cancelled());
        drop(job);
        assert!(
            lock(&shell.jobs).running.is_empty(),
            "the guard ended the job"
        );
    }
}
