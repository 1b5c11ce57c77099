//! Reading a file that someone else wrote, without trusting it: only a regular file is
//! read (a FIFO, a device or a socket is refused, even behind a symlink, and opening one
//! never blocks), its size is checked before a byte is read, and no more than the limit is
//! read even if it grows meanwhile.

use std::fmt;
use std::io::Read;
use std::path::Path;

/// Why a file was not read.
#[derive(Debug)]
pub enum ReadError {
    /// It is not a regular file: what it is instead (`a FIFO`, `a device`, `a folder`, …).
    NotRegular(&'static str),
    /// It is larger than the limit (its size, or the limit plus one when it grew while
    /// being read).
    TooLarge {
        /// Bytes it has (at least).
        size: u64,
        /// Bytes the caller allows.
        limit: u64,
    },
    /// The operating system's error.
    Io(std::io::Error),
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::NotRegular(what) => write!(f, "it is {what}, not a regular file"),
            ReadError::TooLarge { size, limit } => {
                write!(f, "it is {size} bytes, more than the {limit} bytes allowed")
            }
            ReadError::Io(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for ReadError {}

/// What a file type is, for messages.
fn kind(t: std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    if t.is_dir() {
        "a folder"
    } else if t.is_symlink() {
        "a symlink"
    } else {
        "not a file"
    }
}

/// Opens `path` for reading without blocking on a FIFO or taking a terminal.
fn open(path: &Path) -> std::io::Result<std::fs::File> {
    let mut o = std::fs::OpenOptions::new();
    o.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY);
    }
    o.open(path)
}

/// The regular file at `path` (symlinks followed), opened, with its metadata.
fn open_regular(path: &Path) -> Result<(std::fs::File, std::fs::Metadata), ReadError> {
    // Checked before opening as well, so that nothing but a regular file is ever opened
    // (opening some devices has effects); checked again on the handle, which is what is read.
    let before = std::fs::metadata(path).map_err(ReadError::Io)?;
    if !before.is_file() {
        return Err(ReadError::NotRegular(kind(before.file_type())));
    }
    let file = open(path).map_err(ReadError::Io)?;
    let meta = file.metadata().map_err(ReadError::Io)?;
    if !meta.is_file() {
        return Err(ReadError::NotRegular(kind(meta.file_type())));
    }
    Ok((file, meta))
}

/// The first `len` bytes (or fewer) of the regular file at `path`, whatever its size.
pub fn read_head(path: &Path, len: u64) -> Result<Vec<u8>, ReadError> {
    let (file, meta) = open_regular(path)?;
    let mut bytes = Vec::with_capacity(meta.len().min(len) as usize);
    file.take(len)
        .read_to_end(&mut bytes)
        .map_err(ReadError::Io)?;
    Ok(bytes)
}

/// The bytes of the regular file at `path` (symlinks followed), at most `limit` of them.
pub fn read_regular(path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    let (file, meta) = open_regular(path)?;
    if meta.len() > limit {
        return Err(ReadError::TooLarge {
            size: meta.len(),
            limit,
        });
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(ReadError::Io)?;
    if bytes.len() as u64 > limit {
        return Err(ReadError::TooLarge {
            size: bytes.len() as u64,
            limit,
        });
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_regular_files_within_the_limit_only() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("a.yaml");
        std::fs::write(&f, "version: 1\n").unwrap();
        assert_eq!(read_regular(&f, 100).unwrap(), b"version: 1\n");
        let e = read_regular(&f, 4).unwrap_err();
        assert!(
            matches!(e, ReadError::TooLarge { size: 11, limit: 4 }),
            "{e}"
        );
        assert_eq!(read_head(&f, 4).unwrap(), b"vers");
        assert_eq!(read_head(&f, 100).unwrap(), b"version: 1\n");
        assert!(read_head(dir.path(), 4).is_err());
        let e = read_regular(dir.path(), 100).unwrap_err();
        assert_eq!(e.to_string(), "it is a folder, not a regular file");
        assert!(matches!(
            read_regular(&dir.path().join("gone"), 100),
            Err(ReadError::Io(_))
        ));
    }

    #[cfg(unix)]
    #[test]
    fn devices_and_fifos_are_refused_without_blocking_even_behind_a_symlink() {
        let dir = tempfile::tempdir().unwrap();
        let e = read_regular(Path::new("/dev/zero"), 1 << 20).unwrap_err();
        assert_eq!(e.to_string(), "it is a device, not a regular file");
        let link = dir.path().join("zero.yaml");
        std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
        assert!(matches!(
            read_regular(&link, 1 << 20),
            Err(ReadError::NotRegular("a device"))
        ));
        let fifo = dir.path().join("fifo.yaml");
        match std::process::Command::new("mkfifo").arg(&fifo).status() {
            Ok(s) if s.success() => {}
            _ => {
                eprintln!("skipped the FIFO case: no `mkfifo` program on this machine");
                return;
            }
        }
        assert!(matches!(
            read_regular(&fifo, 1 << 20),
            Err(ReadError::NotRegular("a FIFO"))
        ));
    }
}
