//! The one directory walker every part of tiercheck uses, so they all agree on which files
//! belong to a tree: ignore files are honoured (`.gitignore`, `.ignore`, `.tiercheckignore`),
//! hidden files are included (that is where `.env` and AI configs live), `.git/` is skipped
//! and symlinks are not followed.

use std::path::{Path, PathBuf};

use ignore::WalkBuilder;

/// Name of tiercheck's own ignore file, in `.gitignore` syntax.
pub const IGNORE_FILE: &str = ".tiercheckignore";

/// A walker over `root` with tiercheck's rules.
pub fn builder(root: &Path) -> WalkBuilder {
    builder_excluding(root, Vec::new())
}

/// A walker over `root` that also skips the given folders (paths as the walker yields
/// them, i.e. joined onto `root`).
pub fn builder_excluding(root: &Path, excluded: Vec<PathBuf>) -> WalkBuilder {
    let mut b = WalkBuilder::new(root);
    b.hidden(false)
        .git_ignore(true)
        .git_exclude(true)
        .git_global(false)
        .require_git(false)
        .follow_links(false)
        .add_custom_ignore_filename(IGNORE_FILE)
        .filter_entry(move |e| e.file_name() != ".git" && !excluded.iter().any(|x| x == e.path()));
    b
}

/// A walk error as (path relative to `root` as reports show it, or `.`; what went wrong,
/// without the path repeated).
pub fn describe_error(root: &Path, e: &ignore::Error) -> (String, String) {
    tiercheck_scan::describe_walk_error(root, e)
}
