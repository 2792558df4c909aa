//! The workspace's own small files (the pane layout, the servers list) are read only when
//! they are regular files, and only up to their bound: a symlink to /dev/zero (size 0, and
//! endless), a FIFO (whose opener waits for a writer) or an oversized file is refused with
//! the reason, at once. Each read runs on a thread with a bounded wait, so a regression
//! fails the test instead of hanging it.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::Duration;
use unifield_studio_service::{ServiceError, Studio};
use unifield_workspace::MemorySecrets;

const LAYOUT: &str = "studio-layout.json";
const SERVERS: &str = "servers.json";

/// The studio's answer for the file, or a failure when it has not come within 20 s.
fn read_with_bounded_wait(dir: &Path, file: &str) -> Result<(), ServiceError> {
    let dir = dir.to_path_buf();
    let layout = file == LAYOUT;
    let (done, answer) = mpsc::channel();
    std::thread::spawn(move || {
        let studio = Studio::open(&dir, Arc::new(MemorySecrets::default())).unwrap();
        let result = if layout {
            studio.pane_sizes().map(|_| ())
        } else {
            studio.servers().map(|_| ())
        };
        let _ = done.send(result);
    });
    answer
        .recv_timeout(Duration::from_secs(20))
        .unwrap_or_else(|_| panic!("reading {file} did not return within 20 s"))
}

fn refused(dir: &Path, file: &str) -> ServiceError {
    match read_with_bounded_wait(dir, file) {
        Ok(()) => panic!("{file}: read, though it is not a small regular file"),
        Err(error) => error,
    }
}

fn code_for(file: &str) -> &'static str {
    if file == LAYOUT {
        "invalid_layout_file"
    } else {
        "invalid_servers_file"
    }
}

fn workspace() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_path_buf();
    // Opened once first, so the workspace exists before a file is planted in it.
    Studio::open(&path, Arc::new(MemorySecrets::default())).unwrap();
    (dir, path)
}

#[test]
fn a_symlink_to_dev_zero_is_refused_as_not_a_regular_file() {
    for file in [LAYOUT, SERVERS] {
        let (_keep, dir) = workspace();
        std::os::unix::fs::symlink("/dev/zero", dir.join(file)).unwrap();
        let error = refused(&dir, file);
        assert_eq!(error.code, code_for(file), "{file}: {}", error.message);
        assert!(
            error.message.contains("not a regular file but a device"),
            "{file}: {}",
            error.message
        );
    }
}

#[test]
fn a_fifo_is_refused_without_waiting_for_a_writer() {
    for file in [LAYOUT, SERVERS] {
        let (_keep, dir) = workspace();
        let made = std::process::Command::new("mkfifo")
            .arg(dir.join(file))
            .status();
        if !matches!(made, Ok(status) if status.success()) {
            eprintln!("SKIPPED: mkfifo is not available ({made:?})");
            return;
        }
        let error = refused(&dir, file);
        assert_eq!(error.code, code_for(file), "{file}: {}", error.message);
        assert!(
            error.message.contains("not a regular file but a FIFO"),
            "{file}: {}",
            error.message
        );
    }
}

#[test]
fn an_oversized_file_is_refused_with_its_size() {
    for (file, size) in [(LAYOUT, 10_000), (SERVERS, 2 * 1024 * 1024)] {
        let (_keep, dir) = workspace();
        std::fs::write(dir.join(file), vec![b' '; size]).unwrap();
        let error = refused(&dir, file);
        assert_eq!(error.code, code_for(file), "{file}: {}", error.message);
        assert!(
            error.message.contains(&format!("{size} bytes, over")),
            "{file}: {}",
            error.message
        );
    }
}

#[test]
fn a_servers_file_within_its_bound_is_still_read() {
    let (_keep, dir) = workspace();
    std::fs::write(dir.join(SERVERS), r#"{"servers": []}"#).unwrap();
    read_with_bounded_wait(&dir, SERVERS).unwrap();
}

/// A mapping file chosen for import goes through the same bounded reader: a FIFO is
/// refused at once (`unreadable_file`, saying what it is) instead of blocking the import
/// until someone writes to it.
#[test]
fn a_fifo_chosen_for_import_is_refused_without_waiting_for_a_writer() {
    let (_keep, dir) = workspace();
    let fifo = dir.join("chosen.json");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if !matches!(made, Ok(status) if status.success()) {
        eprintln!("SKIPPED: mkfifo is not available ({made:?})");
        return;
    }
    let (done, answer) = mpsc::channel();
    std::thread::spawn(move || {
        let studio = Studio::open(&dir, Arc::new(MemorySecrets::default())).unwrap();
        let _ = done.send(studio.import_mapping(&fifo).map(|_| ()));
    });
    let error = answer
        .recv_timeout(Duration::from_secs(20))
        .expect("importing a FIFO did not return within 20 s")
        .expect_err("a FIFO was imported");
    assert_eq!(error.code, "unreadable_file", "{}", error.message);
    assert!(
        error.message.contains("not a regular file but a FIFO"),
        "{}",
        error.message
    );
}
