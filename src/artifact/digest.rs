//! The artifact digest: one `sha256:` value that changes whenever any file the artifact
//! governs changes, and is the same on every machine and checkout. Reviews are bound to it.
//! The format is specified in `docs/digest.md`; changing it invalidates every recorded review.

use std::collections::BTreeSet;
use std::io::Read;
use std::path::Path;

use sha2::{Digest as _, Sha256};

use super::Artifact;
use crate::manifest::MANIFEST_FILE;

/// The first bytes hashed, naming the format version.
const DOMAIN: &[u8] = b"tiercheck-digest-v1\0";

/// What was hashed and the result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArtifactDigest {
    /// `sha256:` and 64 lowercase hex digits.
    pub value: String,
    /// The files hashed, relative to the artifact root, `/`-separated, sorted.
    pub files: Vec<String>,
    /// Submodules inside the artifact, which are not hashed.
    pub submodules: Vec<String>,
}

/// The files an artifact's digest covers, relative to its root with `/` separators, sorted
/// by their bytes: files under the folder that git tracks, plus files the walker finds (not
/// ignored), minus the governing manifest, nested manifests' folders and submodules. Only
/// regular files count (symlinks are not followed).
pub fn files(artifact: &Artifact) -> Result<(Vec<String>, Vec<String>), String> {
    let mut set: BTreeSet<String> = artifact
        .files()
        .iter()
        .map(|p| Artifact::display(p))
        .collect();
    let mut submodules = Vec::new();
    if let Ok(repo) = crate::git::open(&artifact.root)
        && let Some(scope) = artifact.git_scope(&repo)
    {
        for path in repo.tracked(&scope)? {
            let rel = scope.relative(&path).to_string();
            let meta = std::fs::symlink_metadata(on_disk(&artifact.root, &rel));
            if meta.is_ok_and(|m| m.is_file()) {
                set.insert(rel);
            }
        }
        submodules = repo
            .submodules(&scope)
            .iter()
            .map(|p| scope.relative(p).to_string())
            .collect();
    }
    if artifact.only.is_none() {
        set.remove(MANIFEST_FILE);
    }
    let files = set
        .into_iter()
        .filter(|f| !submodules.iter().any(|s| f == s || crate::git::under(f, s)))
        .collect();
    Ok((files, submodules))
}

/// Where the file a digest names lies under `root`: its name, or, for a name that is not
/// UTF-8 (written with `\xNN` escapes), the name those escapes stand for.
pub fn on_disk(root: &Path, rel: &str) -> std::path::PathBuf {
    let plain = root.join(rel);
    if std::fs::symlink_metadata(&plain).is_ok() {
        return plain;
    }
    tiercheck_scan::path_from_display(rel).map_or(plain, |p| root.join(p))
}

/// The digest of an artifact as it is in the working tree now.
pub fn of(artifact: &Artifact) -> Result<ArtifactDigest, String> {
    let (files, submodules) = files(artifact)?;
    let value = compute(&artifact.root, &files)?;
    Ok(ArtifactDigest {
        value,
        files,
        submodules,
    })
}

/// Hashes the given files under `root` (already sorted and `/`-separated): a domain tag, then
/// for each file its path length (u64 big-endian), path bytes, content length (u64
/// big-endian) and content bytes as stored on disk.
pub fn compute(root: &Path, files: &[String]) -> Result<String, String> {
    let mut sorted: Vec<&String> = files.iter().collect();
    sorted.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    sorted.dedup();
    let mut h = Sha256::new();
    h.update(DOMAIN);
    let mut buf = vec![0u8; 64 * 1024];
    for rel in sorted {
        let full = on_disk(root, rel);
        let mut file = std::fs::File::open(&full).map_err(|e| format!("cannot read {rel}: {e}"))?;
        let len = file
            .metadata()
            .map_err(|e| format!("cannot read {rel}: {e}"))?
            .len();
        h.update((rel.len() as u64).to_be_bytes());
        h.update(rel.as_bytes());
        h.update(len.to_be_bytes());
        let mut seen: u64 = 0;
        loop {
            let n = file
                .read(&mut buf)
                .map_err(|e| format!("cannot read {rel}: {e}"))?;
            if n == 0 {
                break;
            }
            seen += n as u64;
            if seen > len {
                break;
            }
            h.update(&buf[..n]);
        }
        if seen != len {
            return Err(format!("{rel} changed while it was being read; run again"));
        }
    }
    let hex: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
    Ok(format!("sha256:{hex}"))
}

/// The first 12 hex digits of a digest, for messages.
pub fn abbrev(digest: &str) -> String {
    let hex = digest.strip_prefix("sha256:").unwrap_or(digest);
    let head: String = hex.chars().take(12).collect();
    format!("sha256:{head}…")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn write(root: &Path, rel: &str, body: &str) {
        let p = root.join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, body).unwrap();
    }

    fn digest_of(root: &Path, excluded: Vec<std::path::PathBuf>) -> ArtifactDigest {
        let art = Artifact::new(root, None, excluded);
        of(&art).unwrap()
    }

    #[test]
    fn known_value_and_order_independence() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "b.txt", "two\n");
        write(dir.path(), "a/x.txt", "one\r\n");
        let files = vec!["b.txt".to_string(), "a/x.txt".to_string()];
        let reversed = vec!["a/x.txt".to_string(), "b.txt".to_string()];
        let d = compute(dir.path(), &files).unwrap();
        assert_eq!(d, compute(dir.path(), &reversed).unwrap());
        // Pinned: the format is a contract (docs/digest.md); a change here breaks every review.
        let mut h = Sha256::new();
        h.update(DOMAIN);
        for (p, c) in [("a/x.txt", "one\r\n"), ("b.txt", "two\n")] {
            h.update((p.len() as u64).to_be_bytes());
            h.update(p.as_bytes());
            h.update((c.len() as u64).to_be_bytes());
            h.update(c.as_bytes());
        }
        let hex: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(d, format!("sha256:{hex}"));
        assert!(crate::manifest::is_digest(&d));
    }

    #[test]
    fn boundaries_are_unambiguous() {
        let one = tempfile::tempdir().unwrap();
        write(one.path(), "ab", "c");
        let two = tempfile::tempdir().unwrap();
        write(two.path(), "a", "bc");
        assert_ne!(
            compute(one.path(), &["ab".into()]).unwrap(),
            compute(two.path(), &["a".into()]).unwrap()
        );
    }

    #[test]
    fn line_endings_are_not_normalised() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "x", "a\n");
        let lf = digest_of(dir.path(), vec![]).value;
        write(dir.path(), "x", "a\r\n");
        assert_ne!(lf, digest_of(dir.path(), vec![]).value);
    }

    #[test]
    fn manifest_and_nested_artifacts_are_excluded() {
        let dir = tempfile::tempdir().unwrap();
        let root = fs::canonicalize(dir.path()).unwrap();
        write(&root, "main.py", "print(1)\n");
        write(&root, "sub/.tier.yaml", "version: 1\n");
        write(&root, "sub/tool.py", "print(2)\n");
        let nested = vec![root.join("sub")];
        let before = digest_of(&root, nested.clone());
        assert_eq!(before.files, vec!["main.py"]);
        write(&root, MANIFEST_FILE, "version: 1\nowner: a\n");
        write(&root, "sub/tool.py", "print(3)\n");
        assert_eq!(before.value, digest_of(&root, nested.clone()).value);
        write(&root, "main.py", "print(4)\n");
        assert_ne!(before.value, digest_of(&root, nested).value);
    }

    #[test]
    fn renaming_or_adding_a_file_changes_the_digest() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "a.py", "x\n");
        let d1 = digest_of(dir.path(), vec![]).value;
        fs::rename(dir.path().join("a.py"), dir.path().join("b.py")).unwrap();
        let d2 = digest_of(dir.path(), vec![]).value;
        assert_ne!(d1, d2);
        write(dir.path(), "c.py", "");
        assert_ne!(d2, digest_of(dir.path(), vec![]).value);
    }

    #[test]
    fn ignored_files_do_not_count() {
        // In a git repository a .gitignore keeps a file out of what is shared.
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join(".git")).unwrap();
        write(dir.path(), ".gitignore", "out/\n");
        write(dir.path(), "a.py", "x\n");
        let d1 = digest_of(dir.path(), vec![]);
        write(dir.path(), "out/result.csv", "1,2\n");
        assert_eq!(d1, digest_of(dir.path(), vec![]));
        // Outside one, nothing is committed: a folder is shared as it is, .gitignore or not.
        let plain = tempfile::tempdir().unwrap();
        write(plain.path(), ".gitignore", "out/\n");
        write(plain.path(), "a.py", "x\n");
        let d1 = digest_of(plain.path(), vec![]);
        write(plain.path(), "out/result.csv", "1,2\n");
        assert_ne!(d1, digest_of(plain.path(), vec![]));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(24))]

        /// The digest is a function of the artifact's files alone: the order they were
        /// written or listed in does not change it, nor does anything in the manifest.
        #[test]
        fn the_digest_ignores_file_order_and_the_manifest(
            files in proptest::collection::btree_map(
                "(d/)?[a-z]{1,6}\\.txt",
                proptest::collection::vec(proptest::prelude::any::<u8>(), 0..48),
                1..8,
            ),
            manifest in "[ -~]{0,60}",
            rotate in 0usize..8,
        ) {
            let (one, two) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
            let mut order: Vec<(&String, &Vec<u8>)> = files.iter().collect();
            for (rel, body) in &order {
                let p = one.path().join(rel.as_str());
                fs::create_dir_all(p.parent().unwrap()).unwrap();
                fs::write(p, body).unwrap();
            }
            let n = order.len();
            order.rotate_left(rotate % n);
            order.reverse();
            for (rel, body) in &order {
                let p = two.path().join(rel.as_str());
                fs::create_dir_all(p.parent().unwrap()).unwrap();
                fs::write(p, body).unwrap();
            }
            let a = digest_of(one.path(), vec![]);
            write(two.path(), MANIFEST_FILE, &manifest);
            let b = digest_of(two.path(), vec![]);
            proptest::prop_assert_eq!(&a.value, &b.value);
            proptest::prop_assert_eq!(a.files.len(), files.len());
            let listed: Vec<String> = order.iter().map(|(r, _)| r.to_string()).collect();
            proptest::prop_assert_eq!(compute(one.path(), &listed).unwrap(), a.value);
        }
    }
}
