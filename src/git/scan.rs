//! Scans of what git holds rather than the working tree: the staged blobs (`scan --staged`,
//! for pre-commit hooks) and every blob the history ever held (`scan --history`).
//!
//! Both read objects through libgit2. The staged scan compares the index with HEAD's tree
//! by object id (a tree-to-index diff without content), so unchanged files are never read.
//! The history scan walks the commits oldest first (topological order), compares each
//! commit's tree with its first parent's by object id (descending only into subtrees that
//! differ) to learn which (path, blob) pairs it introduced, then reads and scans each distinct blob once, in parallel, and maps every
//! finding back to the earliest commit that introduced it (findings are deduplicated by
//! fingerprint: rule, path and value hash).

use std::collections::{BTreeMap, HashMap, HashSet};

use git2::{Delta, DiffOptions, FileMode, ObjectType, Oid, Repository, Sort};
use rayon::prelude::*;

use super::GitRepo;
use tiercheck_scan::{Content, Finding, ScanOptions, Scanner, Scratch, is_binary};

/// Where a history finding came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Introduced {
    /// The earliest commit (topological order) whose tree holds the value at that path.
    pub commit: Oid,
    /// Whether HEAD's tree still holds the value at that path.
    pub present_at_head: bool,
}

/// One finding of a git scan; `introduced` is set by history scans only.
#[derive(Debug, Clone)]
pub struct GitFinding {
    /// The finding; its path is relative to the scanned folder.
    pub finding: Finding,
    /// The commit that introduced it (history scans).
    pub introduced: Option<Introduced>,
}

/// The result of a staged or history scan.
#[derive(Debug, Clone, Default)]
pub struct GitScan {
    /// Findings sorted by path, line, column and rule.
    pub findings: Vec<GitFinding>,
    /// Blobs not scanned, with why (too large, symlink, conflicted); binary blobs are
    /// counted in `binary` instead.
    pub skipped: Vec<(String, String)>,
    /// Objects that could not be read (the scan goes on).
    pub errors: Vec<(String, String)>,
    /// (path, blob) pairs scanned.
    pub files_scanned: u64,
    /// Bytes scanned (each distinct blob counted once).
    pub bytes_scanned: u64,
    /// Distinct blobs read and scanned.
    pub blobs_scanned: u64,
    /// Binary blobs passed over.
    pub binary: u64,
    /// Commits walked (history scans).
    pub commits_walked: u64,
    /// Things the reader must know: partial history, submodules not followed.
    pub notes: Vec<String>,
    /// Why nothing was scanned, when nothing was.
    pub nothing: Option<String>,
}

/// Which part of the repository a scan covers: `prefix` is the repository-relative folder
/// or file (empty for the whole repository). Findings name paths relative to the folder
/// (to the file's folder when `prefix` is a file), as `scan PATH` does, so baselines agree.
#[derive(Debug, Clone, Default)]
pub struct Limit {
    /// Repository-relative path of the scanned folder or file.
    pub prefix: String,
    /// Whether `prefix` names a file.
    pub file: bool,
}

impl Limit {
    fn contains(&self, path: &str) -> bool {
        path == self.prefix || super::under(path, &self.prefix)
    }

    /// `path` relative to the scanned folder.
    pub fn relative<'p>(&self, path: &'p str) -> &'p str {
        let base = if self.file {
            self.prefix.rsplit_once('/').map_or("", |(d, _)| d)
        } else {
            self.prefix.as_str()
        };
        if base.is_empty() {
            path
        } else {
            path.strip_prefix(base)
                .and_then(|r| r.strip_prefix('/'))
                .unwrap_or(path)
        }
    }

    fn diff_options(&self) -> DiffOptions {
        let mut o = DiffOptions::new();
        o.skip_binary_check(true).ignore_submodules(false);
        if !self.prefix.is_empty() {
            o.pathspec(&self.prefix).disable_pathspec_match(false);
        }
        o
    }
}

/// What a history scan walks.
#[derive(Debug, Clone, Default)]
pub struct HistoryRange {
    /// Only commits not reachable from this revision.
    pub since: Option<String>,
    /// Only commits reachable from this revision (all refs when `None`).
    pub branch: Option<String>,
}

fn msg(e: git2::Error) -> String {
    e.message().to_string()
}

/// Scans the staged content: the index entries that differ from HEAD's tree (every entry
/// when there is no commit yet). Line numbers are those of the staged content.
pub fn staged(
    repo: &GitRepo,
    limit: &Limit,
    scanner: &Scanner,
    opts: &ScanOptions,
) -> Result<GitScan, String> {
    staged_matching(repo, limit, &|_| true, scanner, opts)
}

/// [`staged`], limited further to the repository paths `keep` accepts (an artifact's
/// scope, prompt-file globs).
pub fn staged_matching(
    repo: &GitRepo,
    limit: &Limit,
    keep: &dyn Fn(&str) -> bool,
    scanner: &Scanner,
    opts: &ScanOptions,
) -> Result<GitScan, String> {
    if repo.is_bare() {
        return Err(
            "a bare repository has no index: nothing is staged there (scan its history with --history)"
                .into(),
        );
    }
    let raw = repo.raw();
    let index = raw
        .index()
        .map_err(|e| format!("cannot read the git index: {}", msg(e)))?;
    let head_tree = match repo.head()? {
        Some(c) => Some(
            c.tree()
                .map_err(|e| format!("cannot read HEAD's tree: {}", msg(e)))?,
        ),
        None => None,
    };
    let mut dopts = limit.diff_options();
    let diff = raw
        .diff_tree_to_index(head_tree.as_ref(), Some(&index), Some(&mut dopts))
        .map_err(|e| format!("cannot compare the index with HEAD: {}", msg(e)))?;
    let mut out = GitScan::default();
    let mut wanted: Vec<(String, Oid)> = Vec::new();
    let mut submodules = Vec::new();
    for d in diff.deltas() {
        let nf = d.new_file();
        let Some(path) = nf
            .path_bytes()
            .map(|p| tiercheck_scan::display_bytes(p).into_owned())
        else {
            continue;
        };
        if !limit.contains(&path) || !keep(&path) {
            continue;
        }
        match d.status() {
            Delta::Deleted => continue,
            Delta::Conflicted => {
                out.skipped
                    .push((path, "merge conflict in the index: not scanned".into()));
                continue;
            }
            _ => {}
        }
        match nf.mode() {
            FileMode::Commit => submodules.push(path),
            FileMode::Link => out.skipped.push((path, "symlink".into())),
            FileMode::Blob | FileMode::BlobExecutable => wanted.push((path, nf.id())),
            _ => {}
        }
    }
    note_submodules(&mut out, submodules);
    if wanted.is_empty() {
        out.nothing = Some(if out.skipped.is_empty() {
            "nothing staged".into()
        } else {
            "nothing staged that can be scanned".into()
        });
        return Ok(out);
    }
    let jobs: Vec<(Oid, Vec<(String, usize)>)> = wanted
        .into_iter()
        .map(|(p, id)| (id, vec![(p, 0)]))
        .collect();
    let results = scan_blobs(raw, &jobs, limit, scanner, opts);
    for r in results {
        out.absorb_counts(&r);
        for (_, f) in r.findings {
            out.findings.extend(f.into_iter().map(|finding| GitFinding {
                finding,
                introduced: None,
            }));
        }
    }
    out.finish();
    Ok(out)
}

/// Scans every blob the walked history introduced; see the module documentation.
pub fn history(
    repo: &GitRepo,
    limit: &Limit,
    range: &HistoryRange,
    scanner: &Scanner,
    opts: &ScanOptions,
) -> Result<GitScan, String> {
    let raw = repo.raw();
    // libgit2's object cache keeps every tree the walk reads (up to 256 MB); each tree is
    // read about twice (as a commit's tree, then as its child's parent tree), so the cache
    // buys no speed here and costs 60 MB on a 10 000-commit history (measured).
    git2::opts::enable_caching(false);
    let mut out = GitScan::default();
    if repo.is_shallow() {
        out.notes.push(
            "shallow clone: history is partial (commits before the shallow boundary are not scanned)"
                .into(),
        );
    }
    let mut walk = raw
        .revwalk()
        .map_err(|e| format!("cannot walk the history: {}", msg(e)))?;
    walk.set_sorting(Sort::TOPOLOGICAL | Sort::REVERSE)
        .map_err(msg)?;
    let mut tips = 0;
    match &range.branch {
        Some(b) => {
            let c = peel_commit(raw, b)?;
            walk.push(c).map_err(msg)?;
            tips += 1;
        }
        None => {
            let refs = raw
                .references()
                .map_err(|e| format!("cannot list references: {}", msg(e)))?;
            for r in refs.flatten() {
                if let Ok(c) = r.peel_to_commit() {
                    walk.push(c.id()).map_err(msg)?;
                    tips += 1;
                }
            }
            if let Some(h) = repo.head()? {
                walk.push(h.id()).map_err(msg)?;
                tips += 1;
            }
        }
    }
    if tips == 0 {
        out.nothing = Some("no commits yet: nothing to scan".into());
        return Ok(out);
    }
    if let Some(s) = &range.since {
        let c = peel_commit(raw, s)?;
        walk.hide(c).map_err(msg)?;
    }
    // (path, blob) -> index of the first commit that introduced it.
    let mut first: HashMap<(String, Oid), usize> = HashMap::new();
    let mut commits: Vec<Oid> = Vec::new();
    let mut submodules: HashSet<String> = HashSet::new();
    for id in walk {
        let id = match id {
            Ok(id) => id,
            Err(e) => {
                out.errors.push(("history".into(), msg(e)));
                continue;
            }
        };
        let idx = commits.len();
        commits.push(id);
        if let Err(e) = introduced_by(raw, id, limit, idx, &mut first, &mut submodules) {
            out.errors.push((format!("commit {id}"), e));
        }
    }
    out.commits_walked = commits.len() as u64;
    note_submodules(&mut out, submodules.into_iter().collect());
    if commits.is_empty() {
        out.nothing = Some("no commits in the range: nothing to scan".into());
        return Ok(out);
    }
    // Group by blob so each distinct blob is read once.
    let mut by_blob: HashMap<Oid, Vec<(String, usize)>> = HashMap::new();
    for ((path, blob), idx) in first {
        by_blob.entry(blob).or_default().push((path, idx));
    }
    let mut jobs: Vec<(Oid, Vec<(String, usize)>)> = by_blob.into_iter().collect();
    jobs.sort_by_key(|(id, _)| *id);
    let results = scan_blobs(raw, &jobs, limit, scanner, opts);
    // fingerprint -> (first commit index, finding); (path, blob) -> fingerprints found there.
    let mut best: BTreeMap<String, (usize, Finding, String)> = BTreeMap::new();
    let mut held: HashMap<(String, Oid), HashSet<String>> = HashMap::new();
    for r in results {
        out.absorb_counts(&r);
        for ((path, idx), found) in r.findings {
            let set = held.entry((path.clone(), r.blob)).or_default();
            for f in found {
                set.insert(f.fingerprint.clone());
                match best.get(&f.fingerprint) {
                    Some((i, _, _)) if *i <= idx => {}
                    _ => {
                        best.insert(f.fingerprint.clone(), (idx, f, path.clone()));
                    }
                }
            }
        }
    }
    // Still present at HEAD: HEAD's blob at that path holds the same fingerprint.
    let head_tree = repo.head()?.and_then(|c| c.tree().ok());
    let mut at_head: HashMap<String, Option<HashSet<String>>> = HashMap::new();
    for (fp, (idx, f, path)) in best {
        let set = at_head.entry(path.clone()).or_insert_with(|| {
            let tree = head_tree.as_ref()?;
            let entry = tree.get_path(std::path::Path::new(&path)).ok()?;
            if entry.kind() != Some(ObjectType::Blob) {
                return None;
            }
            let blob = entry.id();
            if let Some(s) = held.get(&(path.clone(), blob)) {
                return Some(s.clone());
            }
            // HEAD lies outside the walked range: scan its blob at that path.
            let job = vec![(blob, vec![(path.clone(), 0)])];
            let r = scan_blobs(raw, &job, limit, scanner, opts);
            Some(
                r.into_iter()
                    .flat_map(|r| r.findings)
                    .flat_map(|(_, f)| f)
                    .map(|f| f.fingerprint)
                    .collect(),
            )
        });
        let present_at_head = set.as_ref().is_some_and(|s| s.contains(&fp));
        out.findings.push(GitFinding {
            finding: f,
            introduced: Some(Introduced {
                commit: commits[idx],
                present_at_head,
            }),
        });
    }
    out.finish();
    Ok(out)
}

fn peel_commit(raw: &Repository, rev: &str) -> Result<Oid, String> {
    raw.revparse_single(rev)
        .and_then(|o| o.peel_to_commit())
        .map(|c| c.id())
        .map_err(|e| format!("`{rev}` is not a commit: {}", msg(e)))
}

/// Records the (path, blob) pairs commit `id` introduced relative to its first parent.
fn introduced_by(
    raw: &Repository,
    id: Oid,
    limit: &Limit,
    idx: usize,
    first: &mut HashMap<(String, Oid), usize>,
    submodules: &mut HashSet<String>,
) -> Result<(), String> {
    let commit = raw.find_commit(id).map_err(msg)?;
    let tree = commit
        .tree()
        .map_err(|e| format!("cannot read its tree: {}", msg(e)))?;
    // A parent missing from the object store (shallow boundary) counts as none.
    let parent_tree = match commit.parent(0) {
        Ok(p) => Some(
            p.tree()
                .map_err(|e| format!("cannot read its parent's tree: {}", msg(e)))?,
        ),
        Err(_) => None,
    };
    let mut seen = |path: String, id: Oid, mode: i32| {
        if mode == 0o160000 {
            submodules.insert(path);
        } else if mode == 0o100644 || mode == 0o100755 {
            first.entry((path, id)).or_insert(idx);
        }
    };
    compare_trees(raw, parent_tree.as_ref(), &tree, "", limit, &mut seen)
}

/// Calls `seen` for every entry of `new` that `old` lacks (by name, object id and mode),
/// descending only into subtrees whose ids differ and that can hold paths of `limit` —
/// cheaper than a libgit2 diff, which expands unchanged subtrees.
fn compare_trees(
    raw: &Repository,
    old: Option<&git2::Tree<'_>>,
    new: &git2::Tree<'_>,
    base: &str,
    limit: &Limit,
    seen: &mut dyn FnMut(String, Oid, i32),
) -> Result<(), String> {
    for e in new.iter() {
        let name = tiercheck_scan::display_bytes(e.name_bytes());
        let path = if base.is_empty() {
            name.into_owned()
        } else {
            format!("{base}/{name}")
        };
        let before = old.and_then(|o| o.get_name_bytes(e.name_bytes()));
        if before
            .as_ref()
            .is_some_and(|b| b.id() == e.id() && b.filemode_raw() == e.filemode_raw())
        {
            continue;
        }
        if e.kind() == Some(ObjectType::Tree) {
            // Descend only where `limit` can lie: below it, or on the way to it.
            if !(limit.contains(&path) || super::under(&limit.prefix, &path)) {
                continue;
            }
            let sub = raw
                .find_tree(e.id())
                .map_err(|err| format!("cannot read tree {path}: {}", msg(err)))?;
            let old_sub = before
                .filter(|b| b.kind() == Some(ObjectType::Tree))
                .and_then(|b| raw.find_tree(b.id()).ok());
            compare_trees(raw, old_sub.as_ref(), &sub, &path, limit, seen)?;
        } else if limit.contains(&path) {
            seen(path, e.id(), e.filemode_raw());
        }
    }
    Ok(())
}

fn note_submodules(out: &mut GitScan, mut subs: Vec<String>) {
    if subs.is_empty() {
        return;
    }
    subs.sort();
    out.notes.push(format!(
        "submodule{} not followed: {}",
        if subs.len() == 1 { "" } else { "s" },
        subs.join(", ")
    ));
}

/// What scanning one blob gave.
struct BlobResult {
    blob: Oid,
    /// Per (path, first commit index): the findings under that path.
    findings: Vec<((String, usize), Vec<Finding>)>,
    bytes: u64,
    binary: bool,
    skipped: Vec<(String, String)>,
    error: Option<(String, String)>,
}

impl GitScan {
    fn absorb_counts(&mut self, r: &BlobResult) {
        if let Some(e) = &r.error {
            self.errors.push(e.clone());
        }
        self.skipped.extend(r.skipped.iter().cloned());
        if r.binary {
            self.binary += 1;
        }
        if r.bytes > 0 || !r.findings.is_empty() {
            self.blobs_scanned += 1;
            self.bytes_scanned += r.bytes;
            self.files_scanned += r.findings.len() as u64;
        }
    }

    fn finish(&mut self) {
        self.findings.sort_by(|a, b| {
            let (x, y) = (&a.finding, &b.finding);
            (&x.path, x.line, x.column, &x.rule_id).cmp(&(&y.path, y.line, y.column, &y.rule_id))
        });
        self.skipped.sort();
        self.skipped.dedup();
        self.errors.sort();
    }
}

/// Reads each blob once (one repository handle per worker thread) and scans it under each
/// of its paths (path allowlists and fingerprints depend on the path).
fn scan_blobs(
    raw: &Repository,
    jobs: &[(Oid, Vec<(String, usize)>)],
    limit: &Limit,
    scanner: &Scanner,
    opts: &ScanOptions,
) -> Vec<BlobResult> {
    let git_dir = raw.path().to_path_buf();
    let one = |repo: &Result<Repository, git2::Error>,
               scratch: &mut Scratch,
               (blob, paths): &(Oid, Vec<(String, usize)>)| {
        let mut r = BlobResult {
            blob: *blob,
            findings: Vec::new(),
            bytes: 0,
            binary: false,
            skipped: Vec::new(),
            error: None,
        };
        let where_ = paths.first().map(|(p, _)| p.clone()).unwrap_or_default();
        let repo = match repo {
            Ok(repo) => repo,
            Err(e) => {
                r.error = Some((
                    where_,
                    format!("cannot open the repository: {}", e.message()),
                ));
                return r;
            }
        };
        let read = repo.odb().and_then(|odb| {
            let (size, _) = odb.read_header(*blob)?;
            if size as u64 > opts.max_file_size {
                return Ok(Err(size));
            }
            odb.read(*blob).map(|o| Ok(o.data().to_vec()))
        });
        let data = match read {
            Ok(Ok(d)) => d,
            Ok(Err(size)) => {
                r.skipped.push((
                    where_,
                    format!(
                        "{size} bytes, larger than the {} byte limit",
                        opts.max_file_size
                    ),
                ));
                return r;
            }
            Err(e) => {
                r.error = Some((where_, format!("cannot read blob {blob}: {}", e.message())));
                return r;
            }
        };
        if is_binary(&data) {
            r.binary = true;
            return r;
        }
        // Each path of the blob goes through the engine as a file of the tree does (path
        // allowlists and fingerprints depend on the path).
        for (path, idx) in paths {
            let rel = limit.relative(path);
            if scanner.path_allowed(rel) {
                r.findings.push(((path.clone(), *idx), Vec::new()));
                continue;
            }
            match scanner.scan_content(rel, &data, opts, scratch) {
                Content::Binary => {
                    r.binary = true;
                    r.findings.clear();
                    return r;
                }
                Content::Scanned(found) => r.findings.push(((path.clone(), *idx), found)),
            }
        }
        r.bytes = data.len() as u64;
        r
    };
    if jobs.len() == 1 {
        let repo = Repository::open(&git_dir);
        let mut scratch = Scratch::default();
        return jobs.iter().map(|j| one(&repo, &mut scratch, j)).collect();
    }
    jobs.par_iter()
        .map_init(
            || (Repository::open(&git_dir), Scratch::default()),
            |(repo, scratch), j| one(repo, scratch, j),
        )
        .collect()
}
