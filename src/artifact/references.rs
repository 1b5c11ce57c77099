//! The files a script names: a script that reads `customers.csv` beside it ships with it,
//! and the data in it is data the script touches. Only names of files that exist in the
//! script's folder (or below it) count; nothing is run.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::manifest::{file_manifest_for, relative_entry};

/// The largest script whose text is searched for file names.
const MAX_SCRIPT_BYTES: u64 = 4 * 1024 * 1024;
/// At most this many distinct names are looked up on disk.
const MAX_LOOKUPS: usize = 20_000;

/// The files below `root` that the script `root/script` names, relative to `root`, sorted:
/// words of its text (split at spaces, quotes, brackets and operators) that are the path of a
/// regular file there, other than the script itself, a manifest, or a file that has a
/// manifest of its own. A binary or unreadable script names nothing.
pub fn named_in(root: &Path, script: &Path) -> Vec<PathBuf> {
    let Ok(bytes) = tiercheck_scan::read::read_regular(&root.join(script), MAX_SCRIPT_BYTES) else {
        return Vec::new();
    };
    if tiercheck_scan::is_binary(&bytes[..bytes.len().min(tiercheck_scan::BINARY_PROBE)]) {
        return Vec::new();
    }
    let text = String::from_utf8_lossy(&bytes);
    let words: BTreeSet<&str> = text
        .split(|c: char| c.is_whitespace() || "'\"`(){}[]<>,;=|&!?*$:#%^+".contains(c))
        .filter(|w| (3..=255).contains(&w.len()) && (w.contains('.') || w.contains('/')))
        .collect();
    let mut found = BTreeSet::new();
    // A file below a nested folder manifest belongs to that folder's artifact.
    let here = crate::manifest::nearest_folder_manifest(root);
    for word in words.into_iter().take(MAX_LOOKUPS) {
        let Ok(rel) = relative_entry(word) else {
            continue;
        };
        if rel == script {
            continue;
        }
        let full = root.join(&rel);
        if std::fs::symlink_metadata(&full).is_ok_and(|m| m.is_file())
            && std::fs::symlink_metadata(file_manifest_for(&full)).is_err()
            && full
                .parent()
                .is_none_or(|d| crate::manifest::nearest_folder_manifest(d) == here)
        {
            found.insert(rel);
        }
    }
    found.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_of_files_beside_the_script_are_found() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        std::fs::create_dir(root.join("data")).unwrap();
        std::fs::write(root.join("customers.csv"), "a\n").unwrap();
        std::fs::write(root.join("data/x.json"), "{}\n").unwrap();
        std::fs::write(root.join("other.csv"), "b\n").unwrap();
        std::fs::write(root.join("own.csv"), "c\n").unwrap();
        std::fs::write(root.join("own.csv.tier.yaml"), "").unwrap();
        std::fs::create_dir(root.join("team")).unwrap();
        std::fs::write(root.join("team/.tier.yaml"), "").unwrap();
        std::fs::write(root.join("team/list.csv"), "d\n").unwrap();
        std::fs::write(
            root.join("demo.py"),
            "import pandas as pd\ndf = pd.read_csv('customers.csv')\nj = open(\"./data/x.json\")\n\
             k = open('../etc/passwd')\nm = open('own.csv')\nt = open('team/list.csv')\n# demo.py reads missing.csv\n",
        )
        .unwrap();
        assert_eq!(
            named_in(root, Path::new("demo.py")),
            vec![PathBuf::from("customers.csv"), PathBuf::from("data/x.json")]
        );
    }

    #[test]
    fn a_binary_script_names_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("a.csv"), "x").unwrap();
        std::fs::write(tmp.path().join("tool"), b"\0\x01a.csv\0").unwrap();
        assert!(named_in(tmp.path(), Path::new("tool")).is_empty());
    }
}
