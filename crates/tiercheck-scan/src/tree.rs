//! Trees of files: a list of files or a directory walk, read and scanned in parallel, each
//! file handed to [`Scanner::scan_content`] like any other content. A file that cannot be
//! read is reported and the scan goes on.

use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::compile::Scanner;
use crate::content::{BINARY_PROBE, Content, Scratch, is_binary};
use crate::{Finding, ScanOptions, sort_findings};

/// The largest file size limit accepted: files are scanned in memory, and the prefilter's
/// run counters assume files under 2 GiB.
pub const MAX_FILE_SIZE_LIMIT: u64 = 1 << 30;

/// Files larger than this are skipped (and reported) unless the caller says otherwise.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 10 * 1024 * 1024;

/// The result of scanning a set of files.
#[derive(Debug, Clone, Default)]
pub struct ScanReport {
    /// Findings sorted by path, line, column and rule.
    pub findings: Vec<Finding>,
    /// Files not scanned, with why (binary, too large, symlink outside the tree).
    pub skipped: Vec<(String, String)>,
    /// Files that could not be read.
    pub errors: Vec<(String, String)>,
    /// How many files were scanned.
    pub files_scanned: u64,
    /// How many bytes were scanned.
    pub bytes_scanned: u64,
}

impl Scanner {
    /// Scans `files` (relative to `root`) in parallel. A file that cannot be read is
    /// reported in `errors` and the scan goes on.
    pub fn scan_files(&self, root: &Path, files: &[PathBuf], opts: &ScanOptions) -> ScanReport {
        let canon_root = std::fs::canonicalize(root).ok();
        let results: Vec<FileResult> = files
            .par_iter()
            .map_init(ReadBuf::default, |buf, rel| {
                self.scan_file(root, canon_root.as_deref(), rel, opts, buf)
            })
            .collect();
        self.report(results)
    }

    /// Walks `walker` (rooted at `root`) and scans each regular file as the walk finds it,
    /// on the walker's threads, so that reading folders and scanning files overlap. Paths
    /// in findings are relative to `root`. The walker decides what belongs to the tree
    /// (ignore files, hidden files, symlinks); only regular files are scanned.
    pub fn scan_walk(
        &self,
        root: &Path,
        walker: ignore::WalkBuilder,
        opts: &ScanOptions,
    ) -> ScanReport {
        let results = std::sync::Mutex::new(Vec::new());
        walker.build_parallel().run(|| {
            let mut buf = ReadBuf::default();
            let results = &results;
            Box::new(move |entry| {
                let r = match entry {
                    Ok(e) => match e.path().strip_prefix(root) {
                        Ok(rel) if e.file_type().is_some_and(|t| t.is_file()) => {
                            let shown = display_path(rel);
                            Some(if self.global.path(&shown) {
                                FileResult::Allowlisted
                            } else {
                                self.scan_regular(e.path(), shown, opts, &mut buf)
                            })
                        }
                        // A FIFO, socket or device is never opened (a FIFO would block the
                        // scan): it is reported as skipped, so that nothing is passed over
                        // silently.
                        Ok(rel) => e.file_type().and_then(special_kind).map(|kind| {
                            FileResult::Skipped(
                                display_path(rel),
                                format!("{kind}, not a regular file"),
                            )
                        }),
                        _ => None,
                    },
                    // A folder that cannot be read: reported, and the walk goes on.
                    Err(err) => {
                        let (path, why) = describe_walk_error(root, &err);
                        Some(FileResult::Error(path, why))
                    }
                };
                if let Some(r) = r {
                    results.lock().unwrap_or_else(|p| p.into_inner()).push(r);
                }
                ignore::WalkState::Continue
            })
        });
        self.report(results.into_inner().unwrap_or_else(|p| p.into_inner()))
    }

    /// Sums up per-file results, in a stable order.
    fn report(&self, results: Vec<FileResult>) -> ScanReport {
        let mut report = ScanReport::default();
        for r in results {
            match r {
                FileResult::Allowlisted => {}
                FileResult::Skipped(p, why) => report.skipped.push((p, why)),
                FileResult::Error(p, e) => report.errors.push((p, e)),
                FileResult::Scanned(bytes, findings) => {
                    report.files_scanned += 1;
                    report.bytes_scanned += bytes;
                    report.findings.extend(findings);
                }
            }
        }
        sort_findings(&mut report.findings);
        report.errors.extend(
            self.broken
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .drain(..),
        );
        report.skipped.sort();
        report.errors.sort();
        report
    }

    fn scan_file(
        &self,
        root: &Path,
        canon_root: Option<&Path>,
        rel: &Path,
        opts: &ScanOptions,
        buf: &mut ReadBuf,
    ) -> FileResult {
        let shown = display_path(rel);
        if self.global.path(&shown) {
            return FileResult::Allowlisted;
        }
        let full = root.join(rel);
        let meta = match std::fs::symlink_metadata(&full) {
            Ok(m) => m,
            Err(e) => return FileResult::Error(shown, e.to_string()),
        };
        if meta.file_type().is_symlink() {
            let target = std::fs::canonicalize(&full);
            match (target, canon_root) {
                (Ok(t), Some(r)) if t.starts_with(r) && t.is_file() => {}
                (Ok(t), _) if t.is_dir() => {
                    return FileResult::Skipped(shown, "symlink to a folder".into());
                }
                (Ok(_), _) => {
                    return FileResult::Skipped(shown, "symlink outside the tree".into());
                }
                (Err(e), _) => {
                    return FileResult::Skipped(shown, format!("broken symlink: {e}"));
                }
            }
        } else if meta.is_dir() {
            return FileResult::Skipped(shown, "a folder".into());
        }
        self.scan_regular(&full, shown, opts, buf)
    }

    /// Reads and scans one file known to be a file (or a symlink to one inside the tree).
    fn scan_regular(
        &self,
        full: &Path,
        shown: String,
        opts: &ScanOptions,
        buf: &mut ReadBuf,
    ) -> FileResult {
        use std::io::Read;
        let file = match std::fs::File::open(full) {
            Ok(f) => f,
            Err(e) => return FileResult::Error(shown, e.to_string()),
        };
        let size = match file.metadata() {
            Ok(m) => m.len(),
            Err(e) => return FileResult::Error(shown, e.to_string()),
        };
        if size > opts.max_file_size {
            return FileResult::Skipped(
                shown,
                format!(
                    "{size} bytes, larger than the {} byte limit",
                    opts.max_file_size
                ),
            );
        }
        // As many bytes as the file has (a file that grows meanwhile is read as it was);
        // the first bytes alone tell a binary file, which is not read further. Reserving
        // the size first makes each part one read.
        let text = &mut buf.text;
        text.clear();
        if text.capacity() < size as usize {
            // A fresh buffer rather than a grown one: growing copies the old content.
            *text = Vec::with_capacity((size as usize).max(2 * text.capacity()));
        }
        // A size of 0 may be a file that does not know its size: read to the limit.
        let limit = opts.max_file_size;
        let mut file = file.take(if size == 0 {
            limit.saturating_add(1)
        } else {
            size
        });
        if let Err(e) = file.by_ref().take(BINARY_PROBE as u64).read_to_end(text) {
            return FileResult::Error(shown, e.to_string());
        }
        if is_binary(text) {
            return FileResult::Skipped(shown, "binary".into());
        }
        if let Err(e) = file.read_to_end(text) {
            return FileResult::Error(shown, e.to_string());
        }
        let bytes = text.len() as u64;
        if bytes > limit {
            return FileResult::Skipped(shown, format!("larger than the {limit} byte limit"));
        }
        match self.scan_content(&shown, text, opts, &mut buf.scratch) {
            Content::Binary => FileResult::Skipped(shown, "binary".into()),
            Content::Scanned(findings) => FileResult::Scanned(bytes, findings),
        }
    }
}

enum FileResult {
    Allowlisted,
    Skipped(String, String),
    Error(String, String),
    Scanned(u64, Vec<Finding>),
}

/// What a scanning thread reuses from file to file: the read buffer and the search state.
#[derive(Default)]
struct ReadBuf {
    text: Vec<u8>,
    scratch: Scratch,
}

/// A path relative to the scanned root as findings name it: `/` between folders, and each
/// byte of a name that is not UTF-8 written `\xNN` (so that two such names stay apart and
/// [`path_from_display`] finds the file again).
pub fn display_path(rel: &Path) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        display_bytes(rel.as_os_str().as_bytes()).into_owned()
    }
    #[cfg(not(unix))]
    {
        rel.to_string_lossy().replace('\\', "/")
    }
}

/// Bytes of a path (git's index holds them so) as [`display_path`] writes them; UTF-8 (nearly
/// every name) is borrowed, not copied.
pub fn display_bytes(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    if let Ok(s) = std::str::from_utf8(bytes) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(bytes.len() + 8);
    for chunk in bytes.utf8_chunks() {
        out.push_str(chunk.valid());
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    std::borrow::Cow::Owned(out)
}

/// The path [`display_path`] wrote as `shown`, when it holds `\xNN` escapes of bytes that
/// are not UTF-8; `None` when there is nothing to undo.
pub fn path_from_display(shown: &str) -> Option<std::path::PathBuf> {
    if !shown.contains("\\x") {
        return None;
    }
    let b = shown.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\'
            && b.get(i + 1) == Some(&b'x')
            && let Some(v) = b
                .get(i + 2..i + 4)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStringExt;
        Some(std::path::PathBuf::from(std::ffi::OsString::from_vec(out)))
    }
    #[cfg(not(unix))]
    {
        String::from_utf8(out).ok().map(std::path::PathBuf::from)
    }
}

/// A walk error as (path relative to `root` as findings show it, or `.`; what went wrong,
/// without the path repeated).
pub fn describe_walk_error(root: &Path, e: &ignore::Error) -> (String, String) {
    let path = error_path(e)
        .and_then(|p| p.strip_prefix(root).ok())
        .map_or_else(|| ".".to_string(), display_path);
    // The operating system's own words: an error passed up through the walker's layers
    // repeats the path around them.
    let why = match e.io_error() {
        Some(io) => std::error::Error::source(io)
            .and_then(|s| s.downcast_ref::<std::io::Error>())
            .unwrap_or(io)
            .to_string(),
        None => e.to_string(),
    };
    (path, why)
}

/// The path a walk error is about, when it names one.
fn error_path(e: &ignore::Error) -> Option<&Path> {
    match e {
        ignore::Error::WithPath { path, .. } => Some(path),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            error_path(err)
        }
        ignore::Error::Partial(errs) => errs.iter().find_map(error_path),
        _ => None,
    }
}

/// What kind of special file `t` is (a FIFO, a socket, a device), or `None` for a regular
/// file, a folder or a symlink.
fn special_kind(t: std::fs::FileType) -> Option<&'static str> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return Some("a FIFO");
        }
        if t.is_socket() {
            return Some("a socket");
        }
        if t.is_block_device() || t.is_char_device() {
            return Some("a device");
        }
    }
    let _ = t;
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::*;

    #[test]
    fn scan_files_reports_skips_and_errors_and_sorts() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(root.join("b.txt"), token(1)).unwrap();
        std::fs::write(root.join("a.txt"), format!("{}\n{}", token(2), token(3))).unwrap();
        std::fs::write(root.join("bin.dat"), b"\0\0\0ghp_").unwrap();
        std::fs::write(root.join("big.txt"), "z".repeat(2000)).unwrap();
        let files: Vec<PathBuf> = ["b.txt", "a.txt", "bin.dat", "big.txt", "gone.txt"]
            .iter()
            .map(PathBuf::from)
            .collect();
        let s = scanner(GH);
        let o = ScanOptions {
            max_file_size: 1000,
            ..ScanOptions::default()
        };
        let r = s.scan_files(root, &files, &o);
        let got: Vec<(&str, u64)> = r
            .findings
            .iter()
            .map(|f| (f.path.as_str(), f.line))
            .collect();
        assert_eq!(got, [("a.txt", 1), ("a.txt", 2), ("b.txt", 1)]);
        assert_eq!(r.files_scanned, 2);
        assert_eq!(r.skipped.len(), 2);
        assert_eq!(r.skipped[0].0, "big.txt");
        assert_eq!(r.skipped[1], ("bin.dat".to_string(), "binary".to_string()));
        assert_eq!(r.errors.len(), 1);
        assert_eq!(r.errors[0].0, "gone.txt");
    }
}

#[cfg(all(test, unix))]
mod display_tests {
    use super::*;
    use std::os::unix::ffi::OsStrExt;

    #[test]
    fn names_that_are_not_utf8_are_escaped_and_found_again() {
        let p = Path::new(std::ffi::OsStr::from_bytes(b"dir\xfe/bad\xff name.py"));
        let shown = display_path(p);
        assert_eq!(shown, "dir\\xfe/bad\\xff name.py");
        assert_eq!(path_from_display(&shown).unwrap(), p);
        assert_eq!(display_path(Path::new("ok/ünï.rs")), "ok/ünï.rs");
        assert!(path_from_display("ok/ünï.rs").is_none());
    }
}
