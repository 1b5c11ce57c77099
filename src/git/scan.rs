//! Scans of what git holds rather than the working tree: the staged blobs (`scan --staged`,
//! for pre-commit hooks) and every blob the history ever held (`scan --history`).
//!
//! Both read objects through libgit2. The staged scan compares the index with HEAD's tree
//! by object id (a tree-to-index diff without content), so unchanged files are never read.
//! The history scan walks the commits oldest first (topological order) and compares each
//! commit's tree with its first parent's by object id (descending only into subtrees that
//! differ) to learn which (path, blob) pairs it introduced and which blob each path held
//! before. Each distinct blob is then read once, in parallel, versions of one file in a row
//! (git stores them as deltas of one another). A version whose previous version at the same
//! path is part of the scan is searched only where it changed (the engine's
//! `Scanner::scan_change`: the lines between the first and last difference, with the reach
//! of multi-line rules around them); the lines it kept were searched in the version that
//! brought them. Any other version is scanned whole, and so is a changed version in which
//! the change holds a finding (so that its fingerprints are those of the whole file).
//! Every finding is mapped back to the earliest commit that introduced it (findings are
//! deduplicated by fingerprint), and HEAD's blob at each path with a finding is scanned
//! whole to tell whether HEAD still holds it.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

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
    let results = scan_blobs(raw, &jobs, &HashMap::new(), limit, scanner, opts);
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
    // libgit2 re-hashes every object it inflates (SHA-1 with collision detection) to check
    // it against its id: a fifth of a history scan's CPU (measured). zlib's own checksum
    // still catches a damaged object; git's `log -p` does not re-hash either.
    git2::opts::strict_hash_verification(false);
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
    // (path, blob) -> index of the first commit that introduced it, and the blob the path
    // held in that commit's first parent.
    let mut first: HashMap<(String, Oid), (usize, Option<Oid>)> = HashMap::new();
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
    // Group by blob so each distinct blob is read once. A version whose previous version
    // at the same path is scanned too is scanned only where it changed (that version's scan
    // covers the rest); any other is scanned whole.
    // TIERCHECK_HISTORY_WHOLE=1 scans every version whole, the reference that
    // benches/vs_scanners.sh compares the findings with.
    let whole = std::env::var_os("TIERCHECK_HISTORY_WHOLE").is_some_and(|v| v == "1");
    let mut by_blob: HashMap<Oid, Vec<(String, usize)>> = HashMap::new();
    let mut previous: HashMap<(String, Oid), Oid> = HashMap::new();
    for ((path, blob), (idx, old)) in &first {
        by_blob.entry(*blob).or_default().push((path.clone(), *idx));
        if let Some(old) = old.filter(|_| !whole)
            && first.contains_key(&(path.clone(), old))
        {
            previous.insert((path.clone(), *blob), old);
        }
    }
    drop(first);
    let mut jobs: Vec<(Oid, Vec<(String, usize)>)> = by_blob.into_iter().collect();
    // Versions of one file, in the order commits introduced them: git stores them as deltas
    // of one another, so reading them in a row reuses the delta bases just inflated.
    for (_, paths) in &mut jobs {
        paths.sort();
    }
    jobs.sort_by(|(a, pa), (b, pb)| {
        let key = |p: &Vec<(String, usize)>| p.first().map(|(path, i)| (path.clone(), *i));
        key(pa).cmp(&key(pb)).then(a.cmp(b))
    });
    let results = scan_blobs(raw, &jobs, &previous, limit, scanner, opts);
    // fingerprint -> (first commit index, finding).
    let mut best: BTreeMap<String, (usize, Finding, String)> = BTreeMap::new();
    for r in results {
        out.absorb_counts(&r);
        for ((path, idx), found) in r.findings {
            for f in found {
                match best.get(&f.fingerprint) {
                    Some((i, _, _)) if *i <= idx => {}
                    _ => {
                        best.insert(f.fingerprint.clone(), (idx, f, path.clone()));
                    }
                }
            }
        }
    }
    // Still present at HEAD: HEAD's blob at that path, scanned whole, holds the same
    // fingerprint (a version scanned only where it changed does not tell).
    let head_tree = repo.head()?.and_then(|c| c.tree().ok());
    let mut head_jobs: HashMap<Oid, Vec<(String, usize)>> = HashMap::new();
    let paths: BTreeSet<&String> = best.values().map(|(_, _, p)| p).collect();
    for path in paths {
        let Some(entry) = head_tree
            .as_ref()
            .and_then(|t| t.get_path(std::path::Path::new(path)).ok())
        else {
            continue;
        };
        if entry.kind() == Some(ObjectType::Blob) {
            head_jobs
                .entry(entry.id())
                .or_default()
                .push((path.clone(), 0));
        }
    }
    let head_jobs: Vec<(Oid, Vec<(String, usize)>)> = head_jobs.into_iter().collect();
    let mut at_head: HashSet<(String, String)> = HashSet::new();
    for r in scan_blobs(raw, &head_jobs, &HashMap::new(), limit, scanner, opts) {
        for ((path, _), found) in r.findings {
            at_head.extend(found.into_iter().map(|f| (path.clone(), f.fingerprint)));
        }
    }
    for (fp, (idx, f, path)) in best {
        let present_at_head = at_head.contains(&(path, fp));
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
    first: &mut HashMap<(String, Oid), (usize, Option<Oid>)>,
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
    let mut seen = |path: String, id: Oid, mode: i32, old: Option<Oid>| {
        if mode == 0o160000 {
            submodules.insert(path);
        } else if mode == 0o100644 || mode == 0o100755 {
            first.entry((path, id)).or_insert((idx, old));
        }
    };
    compare_trees(raw, parent_tree.as_ref(), &tree, "", limit, &mut seen)
}

/// Calls `seen` for every entry of `new` that `old` lacks (by name, object id and mode),
/// with the blob `old` held under that name, if any,
/// descending only into subtrees whose ids differ and that can hold paths of `limit` —
/// cheaper than a libgit2 diff, which expands unchanged subtrees.
fn compare_trees(
    raw: &Repository,
    old: Option<&git2::Tree<'_>>,
    new: &git2::Tree<'_>,
    base: &str,
    limit: &Limit,
    seen: &mut dyn FnMut(String, Oid, i32, Option<Oid>),
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
            let old_blob = before
                .filter(|b| b.kind() == Some(ObjectType::Blob))
                .map(|b| b.id());
            seen(path, e.id(), e.filemode_raw(), old_blob);
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

/// What a worker thread keeps from one blob to the next: its repository handle, the
/// engine's scratch space, and the last blob it read (usually the previous version of the
/// next one, as jobs come sorted by path and commit).
struct Worker {
    repo: Result<Repository, git2::Error>,
    scratch: Scratch,
    last: Option<(Oid, Vec<u8>)>,
}

/// Reads each blob once (one repository handle per worker thread) and scans it under each
/// of its paths (path allowlists and fingerprints depend on the path). Where `previous`
/// names the version a path held before, only what changed since is scanned.
fn scan_blobs(
    raw: &Repository,
    jobs: &[(Oid, Vec<(String, usize)>)],
    previous: &HashMap<(String, Oid), Oid>,
    limit: &Limit,
    scanner: &Scanner,
    opts: &ScanOptions,
) -> Vec<BlobResult> {
    let git_dir = raw.path().to_path_buf();
    let one = |w: &mut Worker, (blob, paths): &(Oid, Vec<(String, usize)>)| {
        let mut r = BlobResult {
            findings: Vec::new(),
            bytes: 0,
            binary: false,
            skipped: Vec::new(),
            error: None,
        };
        let where_ = paths.first().map(|(p, _)| p.clone()).unwrap_or_default();
        let repo = match &w.repo {
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
        let mut before: Option<(Oid, Vec<u8>)> = None;
        for (path, idx) in paths {
            let rel = limit.relative(path);
            if scanner.path_allowed(rel) {
                r.findings.push(((path.clone(), *idx), Vec::new()));
                continue;
            }
            let old = previous.get(&(path.clone(), *blob)).and_then(|&old| {
                if let Some((id, d)) = w.last.as_ref().filter(|(id, _)| *id == old) {
                    return Some((*id, d.as_slice()));
                }
                if before.as_ref().is_none_or(|(id, _)| *id != old) {
                    before = repo
                        .odb()
                        .and_then(|odb| odb.read(old).map(|o| o.data().to_vec()))
                        .ok()
                        .map(|d| (old, d));
                }
                before.as_ref().map(|(id, d)| (*id, d.as_slice()))
            });
            let content = match old {
                // Only what changed since the previous version (which was scanned in its
                // own right). When that finds something, the version is scanned whole after
                // all (a rare case): a finding's fingerprint counts the findings of the same
                // rule and context above it, which may lie outside the change.
                Some((_, old)) if !is_binary(old) => {
                    match scanner.scan_change(rel, old, &data, opts, &mut w.scratch) {
                        Content::Scanned(found) if found.is_empty() => Content::Scanned(found),
                        _ => scanner.scan_content(rel, &data, opts, &mut w.scratch),
                    }
                }
                _ => scanner.scan_content(rel, &data, opts, &mut w.scratch),
            };
            match content {
                Content::Binary => {
                    r.binary = true;
                    r.findings.clear();
                    return r;
                }
                Content::Scanned(found) => r.findings.push(((path.clone(), *idx), found)),
            }
        }
        r.bytes = data.len() as u64;
        w.last = Some((*blob, data));
        r
    };
    let worker = || Worker {
        repo: Repository::open(&git_dir),
        scratch: Scratch::default(),
        last: None,
    };
    if jobs.len() == 1 {
        let mut w = worker();
        return jobs.iter().map(|j| one(&mut w, j)).collect();
    }
    jobs.par_iter().map_init(worker, one).collect()
}
