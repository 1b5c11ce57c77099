//! An artifact: the code a manifest governs (a folder minus the subtrees of nested
//! manifests), or a single file or folder checked without a manifest. It walks its files
//! once, computes its content digest once (`digest`), and keeps what the layers above
//! compute once per artifact: scan results (`scans`) and a memo by type ([`Artifact::memo`]).

pub mod digest;
mod references;
mod scans;

pub use scans::ScanCache;

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use crate::git::{GitRepo, Scope};
use crate::manifest::{LoadedManifest, MANIFEST_FILE, Manifest};

/// The unit tiercheck classifies and verifies.
#[derive(Debug)]
pub struct Artifact {
    /// The folder the artifact lives in; evidence paths are relative to it.
    pub root: PathBuf,
    /// When the artifact is one file, its path relative to `root`.
    pub only: Option<PathBuf>,
    /// With `only`: the files its manifest says ship with it (`files:`), relative to `root`.
    pub with: Vec<PathBuf>,
    /// With `only`: whether the files the script names (`open('customers.csv')`) are part
    /// of the artifact, as when it is assessed or verified; `scan FILE` reads one file.
    pub follow_names: bool,
    /// The governing manifest, if any.
    pub manifest: Option<LoadedManifest>,
    /// Folders below `root` governed by nested manifests, excluded from this artifact.
    pub excluded: Vec<PathBuf>,
    /// The enclosing repository's top folder (holding `.git`), if any.
    pub repo_root: Option<PathBuf>,
    /// The artifact's files, and the folders the walk could not read (path relative to
    /// `root`, why), walked once.
    files: OnceLock<Walked>,
    digest: OnceLock<Result<digest::ArtifactDigest, String>>,
    /// What the layers above computed once for this artifact, by type.
    memo: Memo,
    /// What they computed once for every artifact of this run.
    run: Arc<Memo>,
    /// Scan results shared by the requirements that scan this artifact.
    pub scans: ScanCache,
    /// `verify --staged`: content scans read the staged blobs instead of the working tree.
    pub staged: bool,
    /// `verify --pre-commit`: reviews, which come after a commit, warn instead of failing.
    pub pre_commit: bool,
}

/// What walking an artifact found.
#[derive(Debug)]
struct Walked {
    files: Vec<PathBuf>,
    /// Paths the walk could not read (relative to the root) and why.
    errors: Vec<(String, String)>,
}

/// Values computed once, by type.
#[derive(Debug, Default)]
pub struct Memo(Mutex<HashMap<TypeId, Arc<dyn Any + Send + Sync>>>);

impl Memo {
    /// The value of type `T`, built by `build` the first time it is asked for.
    pub fn get<T: Any + Send + Sync>(&self, build: impl FnOnce() -> T) -> Arc<T> {
        let key = TypeId::of::<T>();
        let known = self
            .0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
            .cloned();
        if let Some(v) = known.and_then(|v| v.downcast::<T>().ok()) {
            return v;
        }
        // Built without the lock held, so that `build` may ask for other values; when two
        // threads race, the first value stored is the one every caller gets.
        let built = Arc::new(build());
        let stored = self
            .0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(key)
            .or_insert_with(|| built.clone())
            .clone();
        stored.downcast::<T>().unwrap_or(built)
    }
}

static EMPTY_MANIFEST: OnceLock<Manifest> = OnceLock::new();

impl Artifact {
    /// An artifact at `path` (file or folder) with an optional manifest.
    pub fn new(path: &Path, manifest: Option<LoadedManifest>, excluded: Vec<PathBuf>) -> Self {
        let (root, only) = if path.is_file() {
            let parent = path
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_else(|| PathBuf::from("."));
            let name = path.file_name().map(PathBuf::from);
            (parent, name)
        } else {
            (path.to_path_buf(), None)
        };
        let root = if root.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            root
        };
        let repo_root = find_repo_root(&root);
        Artifact {
            root,
            only,
            with: Vec::new(),
            follow_names: false,
            manifest,
            excluded,
            repo_root,
            files: OnceLock::new(),
            digest: OnceLock::new(),
            memo: Default::default(),
            run: Default::default(),
            scans: Default::default(),
            staged: false,
            pre_commit: false,
        }
    }

    /// The artifact of one file: the file, the files its manifest ships with it (`with`,
    /// relative to the file's folder) and the files its text names.
    pub fn file(path: &Path, manifest: Option<LoadedManifest>, with: Vec<PathBuf>) -> Self {
        let mut a = Artifact::new(path, manifest, Vec::new());
        a.with = with;
        a.follow_names = a.only.is_some();
        a
    }

    /// The files shipped with a one-file artifact's file, relative to `root`: those its
    /// manifest lists and those its text names. Empty for a folder.
    pub fn companions(&self) -> Vec<&PathBuf> {
        match &self.only {
            Some(only) => self.files().iter().filter(|f| *f != only).collect(),
            None => Vec::new(),
        }
    }

    /// The artifact's file or folder as shown to the user, quoted for a shell when needed.
    pub fn shown_path(&self) -> String {
        let path = match &self.only {
            Some(f) => shown(&self.root.join(f)),
            None => shown(&self.root),
        };
        shell_word(&path)
    }

    /// The manifest's file name, as evidence names it: `.tier.yaml` for a folder,
    /// `demo.py.tier.yaml` for a file (the one `assess --write` would make when there is none).
    pub fn manifest_name(&self) -> String {
        let path = match (&self.manifest, &self.only) {
            (Some(m), _) => m.path.clone(),
            (None, Some(f)) => crate::manifest::file_manifest_for(f),
            (None, None) => PathBuf::from(MANIFEST_FILE),
        };
        path.file_name().map_or_else(
            || MANIFEST_FILE.to_string(),
            |n| n.to_string_lossy().into_owned(),
        )
    }

    /// The manifest, or an empty one when there is none.
    pub fn manifest(&self) -> &Manifest {
        match &self.manifest {
            Some(m) => &m.manifest,
            None => EMPTY_MANIFEST.get_or_init(Manifest::default),
        }
    }

    /// Every file of the artifact, relative to `root`, sorted; walked once and cached.
    pub fn files(&self) -> &[PathBuf] {
        &self.walked().files
    }

    /// The folders (or files) the walk could not read, relative to `root`, with why; the
    /// checks that read every file report them rather than pass over them.
    pub fn walk_errors(&self) -> &[(String, String)] {
        &self.walked().errors
    }

    fn walked(&self) -> &Walked {
        self.files.get_or_init(|| {
            if let Some(only) = &self.only {
                let mut files = vec![only.clone()];
                files.extend(self.with.iter().cloned());
                if self.follow_names {
                    files.extend(references::named_in(&self.root, only));
                }
                files.sort();
                files.dedup();
                return Walked {
                    files,
                    errors: Vec::new(),
                };
            }
            let (mut files, mut errors) = (Vec::new(), Vec::new());
            let (walker, refused) = crate::walk::guarded(&self.root, self.excluded.clone());
            for entry in walker.build() {
                match entry {
                    Ok(e) if e.file_type().is_some_and(|t| t.is_file()) => {
                        if let Ok(rel) = e.path().strip_prefix(&self.root) {
                            files.push(rel.to_path_buf());
                        }
                    }
                    Ok(_) => {}
                    Err(err) => errors.push(crate::walk::describe_error(&self.root, &err)),
                }
            }
            errors.extend(crate::walk::refusals(&self.root, &refused));
            files.sort();
            errors.sort();
            Walked { files, errors }
        })
    }

    /// The artifact's content digest (see `docs/digest.md`); computed once and cached.
    pub fn digest(&self) -> Result<&digest::ArtifactDigest, &str> {
        self.digest
            .get_or_init(|| digest::of(self))
            .as_ref()
            .map_err(String::as_str)
    }

    /// The value of type `T` computed for this artifact, built by `build` the first time
    /// it is asked for: what several checks derive from the same files (the CI index, the
    /// dependency manifests found) is built once. A `T` is one thing per artifact; wrap a
    /// common type in a type of its own.
    pub fn memo<T: Any + Send + Sync>(&self, build: impl FnOnce() -> T) -> Arc<T> {
        self.memo.get(build)
    }

    /// Like [`Artifact::memo`], but shared by every artifact of one run
    /// ([`Artifact::sharing`]): what does not depend on the artifact, such as a listing of the
    /// repository root that every nested artifact of a monorepo looks at.
    pub fn run_memo<T: Any + Send + Sync>(&self, build: impl FnOnce() -> T) -> Arc<T> {
        self.run.get(build)
    }

    /// This artifact, sharing [`Artifact::run_memo`] with the others of `run`.
    pub fn sharing(mut self, run: &Arc<Memo>) -> Self {
        self.run = run.clone();
        self.scans.share(run.get(scans::ScannerCell::default));
        self
    }

    /// The repository paths this artifact covers in `repo`, when it lies inside its working
    /// tree: its folder (or file), minus the manifest and the folders of nested manifests.
    pub fn git_scope(&self, repo: &GitRepo) -> Option<Scope> {
        let prefix = repo.relative(&self.root)?;
        let join = |rel: &str| {
            if prefix.is_empty() {
                rel.to_string()
            } else {
                format!("{prefix}/{rel}")
            }
        };
        let only = self.only.as_ref().map(|_| {
            self.files()
                .iter()
                .map(|f| join(&Artifact::display(f)))
                .collect()
        });
        let mut excluded = vec![join(MANIFEST_FILE)];
        excluded.extend(self.excluded.iter().filter_map(|d| repo.relative(d)));
        Some(Scope {
            prefix,
            only,
            excluded,
        })
    }

    /// Displays a path relative to the artifact root with forward slashes.
    pub fn display(rel: &Path) -> String {
        tiercheck_scan::display_path(rel)
    }
}

/// `path` as one word of a shell command line: quoted when it holds anything but plain
/// characters.
pub fn shell_word(path: &str) -> String {
    if !path.is_empty()
        && path
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-/+@,:".contains(c))
    {
        path.to_string()
    } else {
        format!("'{}'", path.replace('\'', "'\\''"))
    }
}

/// The nearest folder at or above `dir` that holds `.git`.
pub fn find_repo_root(dir: &Path) -> Option<PathBuf> {
    let abs = std::fs::canonicalize(dir).ok()?;
    abs.ancestors()
        .find(|d| d.join(".git").exists())
        .map(Path::to_path_buf)
}

/// How a path is shown: relative to the working folder when below it.
pub fn shown(path: &Path) -> String {
    let cwd = std::env::current_dir()
        .ok()
        .and_then(|c| std::fs::canonicalize(c).ok());
    let abs = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    match cwd.as_deref().and_then(|c| abs.strip_prefix(c).ok()) {
        Some(rel) if rel.as_os_str().is_empty() => ".".to_string(),
        Some(rel) => rel.display().to_string(),
        None => abs.display().to_string(),
    }
}
