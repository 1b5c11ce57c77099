//! The one directory walker every part of tiercheck uses, so they all agree on which files
//! belong to a tree: ignore files are honoured (`.ignore`, `.tiercheckignore` everywhere;
//! `.gitignore` and git's exclude file inside a git repository only: outside one nothing is
//! committed, so a `.gitignore` keeps nothing from being shared and a folder handed over as
//! it is holds its `.env` too), hidden files are included (that is where `.env` and AI
//! configs live), `.git/` is skipped and symlinks are not followed.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use ignore::WalkBuilder;

/// Name of tiercheck's own ignore file, in `.gitignore` syntax.
pub const IGNORE_FILE: &str = ".tiercheckignore";

/// The ignore files the walker reads in each folder.
pub const IGNORE_FILES: [&str; 3] = [".gitignore", ".ignore", IGNORE_FILE];

/// The largest ignore file read; a larger one is treated as hostile.
pub const MAX_IGNORE_BYTES: u64 = 1024 * 1024;

/// Ignore files the walk refused to read (their folders were not walked), as (path, why).
pub type Refused = Arc<Mutex<Vec<(PathBuf, String)>>>;

/// A walker over `root` with tiercheck's rules.
pub fn builder(root: &Path) -> WalkBuilder {
    guarded(root, Vec::new()).0
}

/// A walker over `root` that also skips the given folders (paths as the walker yields
/// them, i.e. joined onto `root`).
pub fn builder_excluding(root: &Path, excluded: Vec<PathBuf>) -> WalkBuilder {
    guarded(root, excluded).0
}

/// The ignore file of `dir` that the walker must not read, and why: one that is not a
/// regular file (a FIFO would block the walk, `/dev/zero` would fill memory; a committed
/// symlink can be either in a fresh clone) or is larger than [`MAX_IGNORE_BYTES`]. Only
/// `stat` is used, which never blocks.
pub fn hostile_ignore_file(dir: &Path) -> Option<(PathBuf, String)> {
    // `.git/info/exclude` is read like an ignore file at a repository's top.
    IGNORE_FILES.iter().chain([&".git/info/exclude"]).find_map(|name| {
        let p = dir.join(name);
        let meta = std::fs::metadata(&p).ok()?;
        if !meta.is_file() {
            let what = match meta.file_type() {
                t if t.is_dir() => "a folder",
                _ => "not a regular file (a FIFO, a device or a socket)",
            };
            Some((p, format!("the ignore file is {what}; it was not read and its folder was not walked")))
        } else if meta.len() > MAX_IGNORE_BYTES {
            Some((p, format!(
                "the ignore file is {} bytes, more than the {MAX_IGNORE_BYTES} tiercheck reads; its folder was not walked",
                meta.len()
            )))
        } else {
            None
        }
    })
}

/// A walker over `root` (skipping `excluded`), and the list it fills with the ignore files
/// it refused: a folder whose ignore file is hostile ([`hostile_ignore_file`]) is not
/// entered, so the walk neither blocks nor reads without end, and the folder is reported
/// instead of passed over. When the root or a folder above it holds such a file, no ignore
/// file above the root is read and the root's own are not either: everything is walked.
pub fn guarded(root: &Path, excluded: Vec<PathBuf>) -> (WalkBuilder, Refused) {
    let refused: Refused = Arc::default();
    let abs = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    let above = abs.ancestors().find_map(hostile_ignore_file);
    // With a hostile ignore file at the root or above, the walk reads none at all.
    let reads_ignore_files = above.is_none();
    if let Some((path, _)) = above {
        refused.lock().unwrap_or_else(|p| p.into_inner()).push((
            path,
            "the ignore file is not a regular file or too large; no ignore file was read for this walk".into(),
        ));
    }
    let mut b = WalkBuilder::new(root);
    b.hidden(false)
        .git_ignore(reads_ignore_files)
        .git_exclude(reads_ignore_files)
        .ignore(reads_ignore_files)
        .parents(reads_ignore_files)
        .git_global(false)
        .require_git(true)
        .follow_links(false);
    if reads_ignore_files {
        b.add_custom_ignore_filename(IGNORE_FILE);
    }
    let sink = refused.clone();
    b.filter_entry(move |e| {
        if e.file_name() == ".git" || excluded.iter().any(|x| x == e.path()) {
            return false;
        }
        if reads_ignore_files
            && e.depth() > 0
            && e.file_type().is_some_and(|t| t.is_dir())
            && let Some(bad) = hostile_ignore_file(e.path())
        {
            sink.lock().unwrap_or_else(|p| p.into_inner()).push(bad);
            return false;
        }
        true
    });
    (b, refused)
}

/// The refused ignore files as walk errors: (path relative to `root` as reports show it,
/// or the absolute path for one above the root; why).
pub fn refusals(root: &Path, refused: &Refused) -> Vec<(String, String)> {
    let abs = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    refused
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
        .map(|(p, why)| {
            let shown = p
                .strip_prefix(root)
                .or_else(|_| p.strip_prefix(&abs))
                .map(tiercheck_scan::display_path)
                .unwrap_or_else(|_| p.display().to_string());
            (shown, why.clone())
        })
        .collect()
}

/// A walk error as (path relative to `root` as reports show it, or `.`; what went wrong,
/// without the path repeated).
pub fn describe_error(root: &Path, e: &ignore::Error) -> (String, String) {
    tiercheck_scan::describe_walk_error(root, e)
}
