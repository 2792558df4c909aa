//! What the shell holds between commands: the studio, and a cancel switch per running job.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;
use unifield_studio_service::{Cancel, Studio};
use unifield_workspace::Keyring;

pub struct Shell {
    studio: Mutex<Studio>,
    jobs: Mutex<HashMap<u32, Cancel>>,
    pub launched: Instant,
}

impl Shell {
    pub fn open(dir: &Path, launched: Instant) -> unifield_studio_service::Result<Shell> {
        Ok(Shell::new(Studio::open(dir, Arc::new(Keyring))?, launched))
    }

    pub fn new(studio: Studio, launched: Instant) -> Shell {
        Shell {
            studio: Mutex::new(studio),
            jobs: Mutex::new(HashMap::new()),
            launched,
        }
    }

    /// The studio. A command that panicked mid-way leaves it usable: the service keeps no
    /// half-done state across calls (records are immutable once held).
    pub fn studio(&self) -> MutexGuard<'_, Studio> {
        self.studio.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A fresh cancel switch for job `id`.
    pub fn start_job(&self, id: u32) -> Cancel {
        let cancel = Cancel::default();
        self.jobs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id, cancel.clone());
        cancel
    }

    pub fn end_job(&self, id: u32) {
        self.jobs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&id);
    }

    /// False when no such job runs (it finished, or never started).
    pub fn cancel_job(&self, id: u32) -> bool {
        match self.jobs.lock().unwrap_or_else(|p| p.into_inner()).get(&id) {
            Some(cancel) => {
                cancel.cancel();
                true
            }
            None => false,
        }
    }
}
