//! One serving process per SQLite file. What a server does at start on its SQLite file
//! (fail every `running` sync, drop every webhook lease) and the record counts it caches
//! are right only while it is the one process serving from the file; a second
//! `unifield serve` on it would undo the first's work in flight. So a serving process
//! holds an exclusive advisory lock (flock) on a lock file beside the database for its
//! whole life, and a second one is refused with [`StorageError::DatabaseInUse`] naming the
//! file. Administration (`unifield server org|key`) does not take it: SQLite serialises
//! those few writes with the server's. The lock goes with the process (a crash included),
//! so a stale lock file never blocks a restart.

use super::{restrict, Result, StorageError};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

/// The lock file, beside [`super::Sqlite::FILE`] in the data directory.
pub const LOCK_FILE: &str = "server.sqlite.lock";

/// The lock, held while this lives (the file stays open; closing it releases the lock).
pub(crate) struct ServingLock {
    _file: File,
}

impl ServingLock {
    /// Takes the lock on `dir`'s lock file (created 0600 if needed), writing this
    /// process's id into it for the message a second server gets; refused at once, not
    /// waited for, when another process holds it.
    pub(crate) fn take(dir: &Path) -> Result<ServingLock> {
        // The data directory, made private first as `Sqlite::open` makes it.
        std::fs::create_dir_all(dir)
            .and_then(|()| restrict(dir, 0o700))
            .map_err(|e| StorageError::Open {
                path: dir.display().to_string(),
                reason: e.to_string(),
            })?;
        let path = dir.join(LOCK_FILE);
        let fail = |reason: String| StorageError::Open {
            path: path.display().to_string(),
            reason,
        };
        let mut file = open_private(&path).map_err(|e| fail(e.to_string()))?;
        // Checked and narrowed through the open file, not the path: whatever the name
        // points to now is what gets locked and, below, emptied.
        let kind = file
            .metadata()
            .map_err(|e| fail(e.to_string()))?
            .file_type();
        if !kind.is_file() {
            return Err(fail(format!("not a regular file but {kind:?}")));
        }
        restrict_open(&file).map_err(|e| fail(e.to_string()))?;
        if !try_lock_exclusive(&file).map_err(|e| fail(format!("cannot lock it: {e}")))? {
            // The holder's id, as it wrote it (bounded: a pid is a few digits).
            let mut text = String::new();
            let _ = (&file).take(32).read_to_string(&mut text);
            let holder = text
                .trim()
                .parse::<u32>()
                .map(|pid| format!(" (process {pid})"))
                .unwrap_or_default();
            return Err(StorageError::DatabaseInUse {
                dir: dir.display().to_string(),
                lock_file: path.display().to_string(),
                holder,
            });
        }
        let written = file
            .set_len(0)
            .and_then(|()| file.seek(SeekFrom::Start(0)))
            .and_then(|_| writeln!(file, "{}", std::process::id()))
            .and_then(|()| file.flush());
        written.map_err(|e| fail(e.to_string()))?;
        Ok(ServingLock { _file: file })
    }
}

/// On unix, never through a symbolic link: the lock file is emptied and rewritten, and a
/// link planted in the data directory would have the server empty whatever it names.
fn open_private(path: &Path) -> std::io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.create(true).truncate(false).read(true).write(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    options.open(path)
}

#[cfg(unix)]
fn restrict_open(file: &File) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(std::fs::Permissions::from_mode(0o600))
}

#[cfg(not(unix))]
fn restrict_open(_file: &File) -> std::io::Result<()> {
    Ok(())
}

/// flock(LOCK_EX | LOCK_NB): true when taken, false when another open file holds it (in
/// this process or another).
#[cfg(unix)]
fn try_lock_exclusive(file: &File) -> std::io::Result<bool> {
    use std::os::unix::io::AsRawFd;
    loop {
        // SAFETY: flock only reads the descriptor, which `file` owns and keeps open.
        let taken = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        if taken == 0 {
            return Ok(true);
        }
        let error = std::io::Error::last_os_error();
        match error.raw_os_error() {
            Some(libc::EINTR) => continue,
            Some(libc::EWOULDBLOCK) => return Ok(false),
            _ => return Err(error),
        }
    }
}

/// Elsewhere there is no lock: the server is built and packaged for Linux.
#[cfg(not(unix))]
fn try_lock_exclusive(_file: &File) -> std::io::Result<bool> {
    Ok(true)
}
