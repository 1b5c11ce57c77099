//! An artifact: the code a manifest governs (a folder minus the subtrees of nested
//! manifests), or a single file or folder checked without a manifest.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::manifest::{LoadedManifest, Manifest};

/// The unit tiercheck classifies and verifies.
#[derive(Debug)]
pub struct Artifact {
    /// The folder the artifact lives in; evidence paths are relative to it.
    pub root: PathBuf,
    /// When the artifact is one file, its path relative to `root`.
    pub only: Option<PathBuf>,
    /// The governing manifest, if any.
    pub manifest: Option<LoadedManifest>,
    /// Folders below `root` governed by nested manifests, excluded from this artifact.
    pub excluded: Vec<PathBuf>,
    /// The enclosing repository's top folder (holding `.git`), if any.
    pub repo_root: Option<PathBuf>,
    /// The artifact's files, and the folders the walk could not read (path relative to
    /// `root`, why), walked once.
    files: OnceLock<Walked>,
    digest: OnceLock<Result<crate::digest::ArtifactDigest, String>>,
    /// What checks parsed once and share (CI files, manifests found).
    pub(crate) cache: crate::checks::Cache,
    /// Scan results shared by the requirements that scan this artifact.
    pub(crate) scans: crate::scan::ScanCache,
    /// `verify --staged`: content scans read the staged blobs instead of the working tree.
    pub staged: bool,
}

/// What walking an artifact found.
#[derive(Debug)]
struct Walked {
    files: Vec<PathBuf>,
    /// Paths the walk could not read (relative to the root) and why.
    errors: Vec<(String, String)>,
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
            manifest,
            excluded,
            repo_root,
            files: OnceLock::new(),
            digest: OnceLock::new(),
            cache: Default::default(),
            scans: Default::default(),
            staged: false,
        }
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
                return Walked {
                    files: vec![only.clone()],
                    errors: Vec::new(),
                };
            }
            let (mut files, mut errors) = (Vec::new(), Vec::new());
            for entry in crate::walk::builder_excluding(&self.root, self.excluded.clone()).build() {
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
            files.sort();
            errors.sort();
            Walked { files, errors }
        })
    }

    /// The artifact's content digest (see `docs/digest.md`); computed once and cached.
    pub fn digest(&self) -> Result<&crate::digest::ArtifactDigest, &str> {
        self.digest
            .get_or_init(|| crate::digest::of(self))
            .as_ref()
            .map_err(String::as_str)
    }

    /// Displays a path relative to the artifact root with forward slashes.
    pub fn display(rel: &Path) -> String {
        let s = rel.to_string_lossy();
        if cfg!(windows) {
            s.replace('\\', "/")
        } else {
            s.into_owned()
        }
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
