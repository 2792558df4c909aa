//! Reading a small file of the workspace's own (the layout, the servers list) without
//! trusting what is at its path: a symlink to /dev/zero passes a size check (its size is 0)
//! and is never read to the end; a FIFO blocks the opener until someone writes. The file
//! is opened once (on unix without waiting, O_NONBLOCK), refused unless the opened file is
//! a regular file, and read no further than its bound.

use std::io::Read;
use std::path::Path;

/// Why a file was not read.
#[derive(Debug)]
pub(crate) enum BoundedReadError {
    /// Nothing at the path.
    NotFound,
    /// Something other than a regular file (a device, a FIFO, a directory, a socket):
    /// what it is, for the message.
    NotAFile(&'static str),
    /// Over the bound: the bytes seen (at least `max + 1`).
    TooLarge {
        bytes: u64,
        max: u64,
    },
    Io(std::io::Error),
}

impl std::fmt::Display for BoundedReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BoundedReadError::NotFound => write!(f, "no such file"),
            BoundedReadError::NotAFile(kind) => write!(f, "not a regular file but {kind}"),
            BoundedReadError::TooLarge { bytes, max } => {
                write!(f, "{bytes} bytes, over {max}")
            }
            BoundedReadError::Io(e) => write!(f, "{e}"),
        }
    }
}

fn kind_of(file_type: std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_fifo() {
            return "a FIFO";
        }
        if file_type.is_char_device() || file_type.is_block_device() {
            return "a device";
        }
        if file_type.is_socket() {
            return "a socket";
        }
    }
    if file_type.is_dir() {
        "a directory"
    } else {
        "not a regular file"
    }
}

/// The bytes of the regular file at `path`, at most `max` of them.
pub(crate) fn read_regular_file(path: &Path, max: u64) -> Result<Vec<u8>, BoundedReadError> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // Opening a FIFO for reading waits for a writer; with O_NONBLOCK it returns at
        // once and the check below refuses it. On a regular file the flag changes nothing.
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => BoundedReadError::NotFound,
        _ => BoundedReadError::Io(e),
    })?;
    let meta = file.metadata().map_err(BoundedReadError::Io)?;
    if !meta.is_file() {
        return Err(BoundedReadError::NotAFile(kind_of(meta.file_type())));
    }
    if meta.len() > max {
        return Err(BoundedReadError::TooLarge {
            bytes: meta.len(),
            max,
        });
    }
    // The file may grow after the size was read: never more than max + 1 bytes.
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(BoundedReadError::Io)?;
    if bytes.len() as u64 > max {
        return Err(BoundedReadError::TooLarge {
            bytes: bytes.len() as u64,
            max,
        });
    }
    Ok(bytes)
}
