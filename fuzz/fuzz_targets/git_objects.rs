//! Git object reading on arbitrary objects: the input becomes a commit (and the tree it
//! names) in a real repository on disk, HEAD points at it, and the review walk and the
//! history scan read it. Whatever the bytes, both end in a result or an error naming the
//! object, never a panic or a hang.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use git2::{ObjectType, Repository};
use libfuzzer_sys::fuzz_target;
use tiercheck::git::scan::{HistoryRange, Limit};
use tiercheck::git::{Scope, history::Settings};
use tiercheck_scan::{ScanOptions, Scanner};

struct World {
    _dir: tempfile::TempDir,
    root: PathBuf,
    scanner: Scanner,
}

fn world() -> &'static World {
    static W: OnceLock<World> = OnceLock::new();
    W.get_or_init(|| {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let root = dir.path().join("repo");
        Repository::init(&root).expect("git init");
        let policy = tiercheck::policy::load_default().expect("the default policy loads");
        let scanner = Scanner::new(&policy.scan_rules()).expect("the default rules compile");
        World {
            _dir: dir,
            root,
            scanner,
        }
    })
}

static RUNS: AtomicUsize = AtomicUsize::new(0);

fuzz_target!(|data: &[u8]| {
    let w = world();
    // Keep the object store small: start again every few hundred inputs.
    if RUNS.fetch_add(1, Ordering::Relaxed) % 500 == 499 {
        let objects = w.root.join(".git/objects");
        let _ = std::fs::remove_dir_all(&objects);
        let _ = std::fs::create_dir_all(objects.join("info"));
        let _ = std::fs::create_dir_all(objects.join("pack"));
    }
    let raw = Repository::open(&w.root).expect("the fuzz repository opens");
    let odb = raw.odb().expect("its object database");
    // `commit bytes 0xff tree entries 0xff blob bytes`: each part written as it is.
    let mut parts = data.splitn(3, |&b| b == 0xff);
    let commit = parts.next().unwrap_or_default();
    let tree = parts.next().unwrap_or_default();
    let blob = parts.next().unwrap_or_default();
    let Ok(blob_id) = odb.write(ObjectType::Blob, blob) else {
        return;
    };
    // A tree holding the blob, then the fuzzer's own tree bytes after it.
    let mut tree_bytes = b"100644 secrets.env\0".to_vec();
    tree_bytes.extend_from_slice(blob_id.as_bytes());
    tree_bytes.extend_from_slice(tree);
    let Ok(tree_id) = odb.write(ObjectType::Tree, &tree_bytes) else {
        return;
    };
    let mut commit_bytes = Vec::new();
    if !commit.starts_with(b"tree ") {
        commit_bytes.extend_from_slice(format!("tree {tree_id}\n").as_bytes());
    }
    commit_bytes.extend_from_slice(commit);
    let Ok(commit_id) = odb.write(ObjectType::Commit, &commit_bytes) else {
        return;
    };
    let head = w.root.join(".git/refs/heads/main");
    if std::fs::write(&head, format!("{commit_id}\n")).is_err() {
        return;
    }
    let _ = std::fs::write(w.root.join(".git/HEAD"), "ref: refs/heads/main\n");
    drop(odb);
    drop(raw);

    let Ok(repo) = tiercheck::git::open(&w.root) else {
        return;
    };
    let trailers = ["Reviewed-by".to_string()];
    let patterns = [regex::Regex::new("^Merge pull request #[0-9]+").unwrap()];
    let settings = Settings {
        trailers: &trailers,
        merge_patterns: &patterns,
        max_commits: 50,
    };
    if let Ok(Some(walk)) = repo.review_walk(&Scope::default(), &settings) {
        let _ = walk.authors();
    }
    let _ = tiercheck::git::scan::history(
        &repo,
        &Limit::default(),
        &HistoryRange::default(),
        &w.scanner,
        &ScanOptions::default(),
    );
});
