//! Git evidence, read in-process with libgit2 (never by running `git`): the repository that
//! holds an artifact, its tracked files, what changed since a commit, and the history the
//! `code-review` check reads.
//!
//! Paths handed to and returned from this module are relative to the repository's working
//! folder with `/` separators (git's own form), except where a function says otherwise.

pub mod history;
pub mod scan;

use std::path::{Path, PathBuf};

use git2::{Delta, DiffOptions, ErrorCode, Oid, Repository};

/// A non-bare repository and its working folder.
pub struct GitRepo {
    repo: Repository,
    workdir: PathBuf,
}

/// Why a folder's history cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoRepo {
    /// No repository holds the folder.
    NotARepo,
    /// The repository exists but cannot be used (bare, unreadable, corrupt).
    Broken(String),
}

impl std::fmt::Display for NoRepo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NoRepo::NotARepo => f.write_str("not a git repository"),
            NoRepo::Broken(why) => write!(f, "git repository cannot be read: {why}"),
        }
    }
}

/// A file that differs between a commit and the working tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// Path relative to the repository working folder.
    pub path: String,
    /// `added`, `deleted`, `modified`, `renamed`, `type changed` or `untracked`.
    pub what: &'static str,
}

/// Short form of a commit id, as people quote them.
pub fn short(id: Oid) -> String {
    let s = id.to_string();
    s[..s.len().min(7)].to_string()
}

/// Whether `path` (repository-relative, `/`-separated) lies in the folder `prefix` (empty
/// for the whole repository).
pub fn under(path: &str, prefix: &str) -> bool {
    prefix.is_empty()
        || path
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// Repository-relative paths an artifact covers: its folder, minus the manifest file and the
/// folders of nested manifests.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// The artifact folder (empty for the repository root).
    pub prefix: String,
    /// When the artifact is one file, its paths: the file and the files shipped with it.
    pub only: Option<Vec<String>>,
    /// Paths that do not belong to the artifact (the manifest, nested manifests' folders).
    pub excluded: Vec<String>,
}

impl Scope {
    /// Whether the repository path belongs to the artifact.
    pub fn contains(&self, path: &str) -> bool {
        if let Some(o) = &self.only {
            return o.iter().any(|f| f == path);
        }
        under(path, &self.prefix) && !self.excluded.iter().any(|x| path == x || under(path, x))
    }

    /// The path relative to the artifact folder, for evidence.
    pub fn relative<'p>(&self, path: &'p str) -> &'p str {
        if self.prefix.is_empty() {
            path
        } else {
            path.strip_prefix(&self.prefix)
                .and_then(|r| r.strip_prefix('/'))
                .unwrap_or(path)
        }
    }
}

/// The largest git config file read while checking its includes.
const MAX_GIT_CONFIG_BYTES: u64 = 1024 * 1024;

/// The git folder of the repository holding `path`: the nearest `.git` folder at or above
/// it, or the folder a `.git` file points at (`gitdir: …`, worktrees and submodules).
fn git_dir_above(path: &Path) -> Option<PathBuf> {
    let abs = std::fs::canonicalize(path).ok()?;
    for dir in abs.ancestors() {
        let dot = dir.join(".git");
        let Ok(meta) = std::fs::symlink_metadata(&dot) else {
            continue;
        };
        if meta.is_dir() {
            return Some(dot);
        }
        if meta.is_file() {
            let text = tiercheck_scan::read::read_regular(&dot, 64 * 1024).ok()?;
            let text = String::from_utf8_lossy(&text);
            let target = text.trim().strip_prefix("gitdir:")?.trim().to_string();
            return Some(dir.join(target));
        }
        return None;
    }
    None
}

/// Why the repository's own configuration must not be handed to libgit2, if it must not:
/// its `config` (or a file it includes, `[include]` or `[includeIf]`, followed to a depth of
/// eight) is not a regular file or is too large. libgit2 would read a FIFO there forever, so
/// a checked-out repository could hang every run.
fn hostile_config(git_dir: &Path) -> Option<String> {
    fn check(file: &Path, depth: usize) -> Option<String> {
        let meta = match std::fs::metadata(file) {
            Ok(m) => m,
            // A missing include is passed over by git and libgit2 alike.
            Err(_) => return None,
        };
        let bytes = match tiercheck_scan::read::read_regular(file, MAX_GIT_CONFIG_BYTES) {
            Ok(b) => b,
            Err(e) if meta.is_file() || !meta.is_dir() => {
                return Some(format!(
                    "the git config {} cannot be read safely: {e}",
                    file.display()
                ));
            }
            Err(_) => return None,
        };
        if depth >= 8 {
            return None;
        }
        let text = String::from_utf8_lossy(&bytes);
        let base = file.parent().unwrap_or(Path::new("."));
        let mut section = String::new();
        for line in text.lines() {
            let l = line.trim();
            if let Some(rest) = l.strip_prefix('[') {
                section = rest.to_ascii_lowercase();
                continue;
            }
            if !(section.starts_with("include]") || section.starts_with("includeif")) {
                continue;
            }
            let Some((key, value)) = l.split_once('=') else {
                continue;
            };
            if !key.trim().eq_ignore_ascii_case("path") {
                continue;
            }
            let value = value.trim().trim_matches('"');
            let target = match value.strip_prefix("~/") {
                Some(rest) => std::env::var_os("HOME").map(|h| PathBuf::from(h).join(rest))?,
                None => base.join(value),
            };
            if let Some(why) = check(&target, depth + 1) {
                return Some(why);
            }
        }
        None
    }
    check(&git_dir.join("config"), 0)
}

/// Opens the repository holding `path`. Its own configuration is checked first (see
/// [`hostile_config`]): a repository whose config would block libgit2 is reported broken.
pub fn open(path: &Path) -> Result<GitRepo, NoRepo> {
    // A bare repository (a mirror clone, as servers and CI caches keep them) is its own git
    // folder: its configuration is checked like any other before libgit2 reads it.
    let git_dir = bare_git_dir(path).or_else(|| git_dir_above(path));
    if let Some(why) = git_dir.as_deref().and_then(hostile_config) {
        return Err(NoRepo::Broken(why));
    }
    let repo = match Repository::discover(path) {
        Ok(r) => r,
        Err(e) if e.code() == ErrorCode::NotFound => return Err(NoRepo::NotARepo),
        Err(e) => return Err(NoRepo::Broken(e.message().to_string())),
    };
    // A bare repository has no working tree: its paths are the repository's own, relative
    // to its top, as in a checkout.
    let wd = repo.workdir().unwrap_or_else(|| repo.path()).to_path_buf();
    let workdir = std::fs::canonicalize(&wd).unwrap_or(wd);
    Ok(GitRepo { repo, workdir })
}

/// `path` (canonical) when it is the top of a bare repository: `HEAD`, `objects/` and
/// `refs/` with no `.git` inside.
fn bare_git_dir(path: &Path) -> Option<PathBuf> {
    let abs = std::fs::canonicalize(path).ok()?;
    let is = |p: &str, dir: bool| {
        std::fs::symlink_metadata(abs.join(p))
            .is_ok_and(|m| if dir { m.is_dir() } else { m.is_file() })
    };
    (is("HEAD", false) && is("objects", true) && is("refs", true) && !abs.join(".git").exists())
        .then_some(abs)
}

impl GitRepo {
    /// The libgit2 handle.
    pub fn raw(&self) -> &Repository {
        &self.repo
    }

    /// Whether the repository is bare (a mirror clone): no working tree, no index.
    pub fn is_bare(&self) -> bool {
        self.repo.is_bare()
    }

    /// The working folder (canonical); for a bare repository, its git folder.
    pub fn workdir(&self) -> &Path {
        &self.workdir
    }

    /// `path` relative to the working folder with `/` separators, when it lies inside it.
    pub fn relative(&self, path: &Path) -> Option<String> {
        let abs = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        let rel = abs.strip_prefix(&self.workdir).ok()?;
        let parts: Vec<String> = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        Some(parts.join("/"))
    }

    /// The commit HEAD points at; `None` when the repository has no commits yet.
    pub fn head(&self) -> Result<Option<git2::Commit<'_>>, String> {
        match self.repo.head() {
            Ok(r) => r
                .peel_to_commit()
                .map(Some)
                .map_err(|e| format!("cannot read the HEAD commit: {}", e.message())),
            Err(e) if matches!(e.code(), ErrorCode::UnbornBranch | ErrorCode::NotFound) => Ok(None),
            Err(e) => Err(format!("cannot read HEAD: {}", e.message())),
        }
    }

    /// Whether this is a shallow clone (history is partial).
    pub fn is_shallow(&self) -> bool {
        self.repo.is_shallow()
    }

    /// A commit's SSH signature (armored) and the bytes it signs, when the commit is signed
    /// with an SSH key (`gpg.format = ssh`); `None` when unsigned or signed another way.
    pub fn ssh_signature(&self, id: git2::Oid) -> Option<(String, Vec<u8>)> {
        let (sig, data) = self.repo.extract_signature(&id, None).ok()?;
        let sig = std::str::from_utf8(&sig).ok()?.to_string();
        sig.trim_start()
            .starts_with("-----BEGIN SSH SIGNATURE-----")
            .then(|| (sig, data.to_vec()))
    }

    /// Whether HEAD is detached (points at a commit, not a branch).
    pub fn head_detached(&self) -> bool {
        self.repo.head_detached().unwrap_or(false)
    }

    /// Regular files and symlinks the index tracks in `scope`, repository-relative.
    pub fn tracked(&self, scope: &Scope) -> Result<Vec<String>, String> {
        let index = self
            .repo
            .index()
            .map_err(|e| format!("cannot read the git index: {}", e.message()))?;
        Ok(index
            .iter()
            .filter(|e| e.mode != 0o160000)
            .map(|e| tiercheck_scan::display_bytes(&e.path).into_owned())
            .filter(|p| scope.contains(p))
            .collect())
    }

    /// Submodules (gitlinks in the index) inside `scope`'s folder; they are not followed.
    pub fn submodules(&self, scope: &Scope) -> Vec<String> {
        let Ok(index) = self.repo.index() else {
            return Vec::new();
        };
        index
            .iter()
            .filter(|e| e.mode == 0o160000)
            .map(|e| tiercheck_scan::display_bytes(&e.path).into_owned())
            .filter(|p| scope.contains(p))
            .collect()
    }

    /// Files in `scope` that differ between commit `rev` and the working tree (index
    /// included, untracked files that are not ignored too), sorted by path.
    pub fn changed_since(&self, rev: &str, scope: &Scope) -> Result<Vec<Change>, String> {
        let obj = self
            .repo
            .revparse_single(rev)
            .map_err(|e| format!("commit {rev} is not in this repository ({})", e.message()))?;
        let commit = obj
            .peel_to_commit()
            .map_err(|e| format!("{rev} is not a commit: {}", e.message()))?;
        let tree = commit
            .tree()
            .map_err(|e| format!("cannot read the tree of {rev}: {}", e.message()))?;
        let mut opts = DiffOptions::new();
        opts.include_untracked(true)
            .recurse_untracked_dirs(true)
            .include_typechange(true)
            .ignore_submodules(true);
        let diff = self
            .repo
            .diff_tree_to_workdir_with_index(Some(&tree), Some(&mut opts))
            .map_err(|e| {
                format!(
                    "cannot compare {rev} with the working tree: {}",
                    e.message()
                )
            })?;
        let mut out: Vec<Change> = diff
            .deltas()
            .filter_map(|d| {
                let file = d.new_file().path().or_else(|| d.old_file().path())?;
                let path = file
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join("/");
                let what = match d.status() {
                    Delta::Added => "added",
                    Delta::Deleted => "deleted",
                    Delta::Modified => "modified",
                    Delta::Renamed => "renamed",
                    Delta::Typechange => "type changed",
                    Delta::Untracked => "untracked",
                    _ => return None,
                };
                scope.contains(&path).then_some(Change { path, what })
            })
            .collect();
        out.sort_by(|a, b| a.path.cmp(&b.path));
        out.dedup();
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_membership() {
        let s = Scope {
            prefix: "tools/a".into(),
            only: None,
            excluded: vec!["tools/a/.tier.yaml".into(), "tools/a/sub".into()],
        };
        assert!(s.contains("tools/a/x.py"));
        assert!(s.contains("tools/a/deep/x.py"));
        assert!(!s.contains("tools/ab/x.py"));
        assert!(!s.contains("tools/a/.tier.yaml"));
        assert!(!s.contains("tools/a/sub/x.py"));
        assert!(s.contains("tools/a/subway.py"));
        assert_eq!(s.relative("tools/a/deep/x.py"), "deep/x.py");
        let root = Scope::default();
        assert!(root.contains("x"));
        assert_eq!(root.relative("x/y"), "x/y");
    }

    #[test]
    fn outside_any_repository() {
        let dir = tempfile::tempdir().unwrap();
        // A temp folder may sit inside a repository on some machines; only assert when not.
        if Repository::discover(dir.path()).is_err() {
            assert_eq!(open(dir.path()).err(), Some(NoRepo::NotARepo));
        }
    }
}
