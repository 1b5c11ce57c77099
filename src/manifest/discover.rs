//! Which `.tier.yaml` governs a path, and which manifests a folder holds.

use std::path::{Path, PathBuf};

/// The manifest's file name.
pub const MANIFEST_FILE: &str = ".tier.yaml";

/// The nearest manifest at `path` or above it, stopping at the repository root (the first
/// folder holding `.git`) or the filesystem root.
pub fn find_governing(path: &Path) -> Option<PathBuf> {
    let start = if path.is_dir() {
        path.to_path_buf()
    } else {
        path.parent()?.to_path_buf()
    };
    let mut dir = Some(start.as_path());
    while let Some(d) = dir {
        let candidate = d.join(MANIFEST_FILE);
        // Anything named .tier.yaml counts, so a folder of that name is reported, not skipped.
        if candidate.exists() {
            return Some(candidate);
        }
        if d.join(".git").exists() {
            return None;
        }
        dir = d.parent();
    }
    None
}

/// Every manifest strictly below `dir` (not `dir/.tier.yaml` itself), honouring ignore files,
/// sorted by path.
pub fn find_nested(dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = crate::walk::builder(dir)
        .build()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_some_and(|t| t.is_file()))
        .filter(|e| e.file_name() == MANIFEST_FILE && e.depth() > 1)
        .map(|e| e.into_path())
        .collect();
    found.sort();
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_manifest_wins_and_stops_at_repo_root() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        std::fs::create_dir_all(root.join("repo/.git")).unwrap();
        std::fs::create_dir_all(root.join("repo/a/b")).unwrap();
        std::fs::write(root.join(MANIFEST_FILE), "").unwrap();
        assert_eq!(find_governing(&root.join("repo/a/b")), None);
        std::fs::write(root.join("repo/a/.tier.yaml"), "").unwrap();
        assert_eq!(
            find_governing(&root.join("repo/a/b")),
            Some(root.join("repo/a/.tier.yaml"))
        );
        assert_eq!(
            find_nested(&root.join("repo")),
            vec![root.join("repo/a/.tier.yaml")]
        );
    }
}
