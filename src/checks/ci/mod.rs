//! CI and hook configuration, found and parsed once per artifact for every check that reads
//! it (`ci-tests`, `sast`, `dependency-scanner`, `workflow-hygiene`). Which files are CI
//! files is policy data (`ci_files:`); this module knows how each format is laid out.
//!
//! Files are looked for at the artifact root and, for an artifact nested in a repository, at
//! the repository root too (a monorepo's workflows live there). CI folders that are symlinks
//! are followed while they stay inside the repository.

pub mod parse;
mod tools;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use globset::GlobSet;

pub use parse::{Item, ItemKind};
pub use tools::{Detection, detect, known};

use super::{Ctx, Evidence};
use crate::artifact::Artifact;
use crate::config::Sp;
use crate::detection::CiFormat;

/// Files larger than this are reported as unreadable rather than parsed.
pub const MAX_BYTES: u64 = 4 * 1024 * 1024;

/// One CI or hook configuration file.
#[derive(Debug)]
pub struct CiFile {
    /// Path shown in evidence, relative to the artifact root (`../../.github/...` when the
    /// file is at the repository root of a nested artifact).
    pub path: String,
    /// Path relative to the folder it was found in (artifact or repository root).
    pub rel: String,
    /// Id of the `ci_files` entry it matched.
    pub system: String,
    /// How it was read.
    pub format: CiFormat,
    /// Its text.
    pub text: String,
    /// The parsed YAML, for YAML formats that parsed.
    pub value: Option<serde_json::Value>,
    /// What it runs: actions, commands, hooks.
    pub items: Vec<Item>,
}

/// Every CI file of an artifact, and those that could not be read.
#[derive(Debug, Default)]
pub struct CiIndex {
    /// Files read; one that did not parse is listed with no items.
    pub files: Vec<CiFile>,
    /// `unreadable` evidence for files that could not be read or parsed.
    pub unreadable: Vec<Evidence>,
}

impl CiIndex {
    /// Every item of every file, with its file.
    pub fn items(&self) -> impl Iterator<Item = (&CiFile, &Item)> {
        self.files
            .iter()
            .flat_map(|f| f.items.iter().map(move |i| (f, i)))
    }

    /// The `unreadable` evidence, as reported by `check`.
    pub fn unreadable_as(&self, check: &str) -> Vec<Evidence> {
        self.unreadable
            .iter()
            .cloned()
            .map(|mut e| {
                e.check = check.to_string();
                e
            })
            .collect()
    }

    /// Files of a format.
    pub fn of(&self, format: CiFormat) -> impl Iterator<Item = &CiFile> {
        self.files.iter().filter(move |f| f.format == format)
    }
}

/// The CI index of the artifact, built on first use.
pub fn index(ctx: &Ctx<'_>) -> std::sync::Arc<CiIndex> {
    ctx.artifact.memo(|| build(ctx))
}

/// Files near the top of the enclosing repository, for a nested artifact: walked once per
/// artifact.
struct RepoTop(Vec<Found>);

fn build(ctx: &Ctx<'_>) -> CiIndex {
    let mut out = CiIndex::default();
    let defs = ctx.detection.ci_files;
    let mut sets = Vec::new();
    for d in defs {
        match super::file_exists::glob_set(&d.globs, false) {
            Ok(s) => sets.push((d, s)),
            Err(e) => out.unreadable.push(Evidence::new(
                "ci",
                "unreadable",
                format!("invalid glob in ci_files `{}`: {e}", d.id.value),
            )),
        }
    }
    let depth = defs
        .iter()
        .flat_map(|d| d.globs.iter())
        .map(glob_depth)
        .max()
        .unwrap_or(1);
    let mut queue: std::collections::VecDeque<(Found, String, CiFormat)> =
        shallow_files(ctx.artifact, depth, true)
            .into_iter()
            .filter_map(|f| {
                let (def, _) = sets.iter().find(|(_, s)| s.is_match(&f.rel))?;
                Some((f, def.id.value.clone(), def.format))
            })
            .collect();
    let mut seen = HashSet::new();
    while let Some((found, system, format)) = queue.pop_front() {
        if !seen.insert(found.canonical.clone()) {
            continue;
        }
        if let Some(why) = &found.outside {
            out.unreadable
                .push(Evidence::new("ci", "unreadable", why.clone()).at(found.shown.clone(), None));
            continue;
        }
        match read_capped(&found.abs) {
            Err(why) => out.unreadable.push(unreadable("ci", &found.shown, &why)),
            Ok(text) => {
                let (file, problem) = parse::parse(
                    found.shown.clone(),
                    Artifact::display(&found.rel),
                    system.clone(),
                    format,
                    text,
                );
                if let Some((msg, line)) = problem {
                    out.unreadable
                        .push(unparsable("ci", &file.path, &msg, line));
                }
                if format == CiFormat::Yaml
                    && let Some(v) = &file.value
                {
                    for inc in local_includes(v) {
                        queue.push_back((
                            included(ctx.artifact, &found, &inc),
                            system.clone(),
                            format,
                        ));
                    }
                }
                out.files.push(file);
            }
        }
    }
    out
}

/// Local files a pipeline includes (GitLab `include: 'path.yml'`, `include: [{local:
/// path}]`); remote URLs, templates and other projects are not files of this repository.
fn local_includes(v: &serde_json::Value) -> Vec<String> {
    use serde_json::Value;
    let items: Vec<&Value> = match v.get("include") {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(x) => vec![x],
        None => return Vec::new(),
    };
    items
        .into_iter()
        .filter_map(|i| match i {
            Value::String(s) if !s.contains("://") => Some(s.clone()),
            Value::Object(o) => o.get("local").and_then(Value::as_str).map(str::to_string),
            _ => None,
        })
        .filter(|p| !p.contains('*') && (p.ends_with(".yml") || p.ends_with(".yaml")))
        .collect()
}

/// The file `inc` (relative to the root `from` was found under) as a [`Found`].
fn included(artifact: &Artifact, from: &Found, inc: &str) -> Found {
    let rel = PathBuf::from(inc.trim_start_matches('/'));
    let depth = from.rel.components().count();
    let base = from.abs.ancestors().nth(depth).unwrap_or(Path::new("."));
    let shown_rel = Artifact::display(&from.rel);
    let prefix = from.shown.strip_suffix(&shown_rel).unwrap_or("");
    let shown = format!("{prefix}{}", Artifact::display(&rel));
    let abs = base.join(&rel);
    let art_canon = std::fs::canonicalize(&artifact.root).unwrap_or(artifact.root.clone());
    let fence = artifact.repo_root.clone().unwrap_or(art_canon);
    // A missing file is reported when it is read.
    let (canonical, outside) = match std::fs::canonicalize(&abs) {
        Ok(c) if !c.starts_with(&fence) => {
            let why = format!(
                "{shown} (included by {}) is outside the repository; not read",
                from.shown
            );
            (c, Some(why))
        }
        Ok(c) => (c, None),
        Err(_) => (abs.clone(), None),
    };
    Found {
        shown,
        rel,
        abs,
        canonical,
        outside,
    }
}

/// How many path components a glob can span.
pub fn glob_depth(g: &Sp<String>) -> usize {
    if g.value.contains("**") {
        8
    } else {
        g.value.matches('/').count() + 1
    }
}

/// Reads a file as text, refusing files above [`MAX_BYTES`] and anything but a regular
/// file (a committed symlink to `/dev/zero` or a FIFO is refused, not read).
pub fn read_capped(path: &Path) -> Result<String, String> {
    match tiercheck_scan::read::read_regular(path, MAX_BYTES) {
        Ok(bytes) => Ok(String::from_utf8_lossy(&bytes).into_owned()),
        Err(tiercheck_scan::read::ReadError::TooLarge { size, .. }) => Err(format!(
            "{size} bytes, larger than the {} MiB tiercheck reads",
            MAX_BYTES / 1024 / 1024
        )),
        Err(e) => Err(e.to_string()),
    }
}

/// A file found near the top of the artifact or of its repository.
#[derive(Debug, Clone)]
pub struct Found {
    /// Shown relative to the artifact root.
    pub shown: String,
    /// Relative to the folder it was found under (artifact or repository root).
    pub rel: PathBuf,
    /// Where to read it.
    pub abs: PathBuf,
    /// Canonical path, to count a file once.
    pub canonical: PathBuf,
    /// Why it must not be read (a symlink leaving the repository).
    pub outside: Option<String>,
}

/// Files up to `depth` levels below the artifact root and, for a nested artifact, below the
/// repository root. With `follow`, symlinked folders are followed (a file whose real path
/// leaves the repository is returned with `outside` set, never read).
pub fn shallow_files(artifact: &Artifact, depth: usize, follow: bool) -> Vec<Found> {
    walk_bases(artifact, depth, follow, true)
}

/// Repository-root configuration lives near the top: a nested artifact looks this deep there.
const REPO_ROOT_DEPTH: usize = 3;

fn walk_bases(artifact: &Artifact, depth: usize, follow: bool, with_artifact: bool) -> Vec<Found> {
    let art_canon = std::fs::canonicalize(&artifact.root).unwrap_or(artifact.root.clone());
    let fence = artifact.repo_root.clone().unwrap_or(art_canon.clone());
    let mut bases = Vec::new();
    if with_artifact {
        bases.push((artifact.root.clone(), String::new()));
    }
    if let Some(repo) = &artifact.repo_root
        && *repo != art_canon
    {
        let up = art_canon
            .strip_prefix(repo)
            .map(|p| p.components().count())
            .unwrap_or(0);
        bases.push((repo.clone(), "../".repeat(up)));
    }
    let mut out = Vec::new();
    for (base, prefix) in bases {
        let listed = listing(artifact, &base, depth, follow);
        out.extend(listed.iter().map(|(rel, abs, canonical)| {
            let outside = (!canonical.starts_with(&fence)).then(|| {
                format!(
                    "{prefix}{} is reached through a symlink that leaves the repository; not read",
                    Artifact::display(rel)
                )
            });
            Found {
                shown: format!("{prefix}{}", Artifact::display(rel)),
                rel: rel.clone(),
                abs: abs.clone(),
                canonical: canonical.clone(),
                outside,
            }
        }));
    }
    out
}

/// The files up to `depth` below `base` (relative, as walked, canonical), sorted by relative
/// path. Listed once per run: the nested artifacts of a monorepo all look at the same
/// repository root, and walking it again for each made their number count twice.
pub(crate) fn listing(
    artifact: &Artifact,
    base: &Path,
    depth: usize,
    follow: bool,
) -> Arc<Vec<(PathBuf, PathBuf, PathBuf)>> {
    let key = (base.to_path_buf(), depth, follow);
    let cache = artifact.run_memo(Listings::default);
    let cache = &cache.0;
    if let Some(known) = cache.lock().unwrap_or_else(|p| p.into_inner()).get(&key) {
        return known.clone();
    }
    let mut files: Vec<(PathBuf, PathBuf, PathBuf)> = crate::walk::builder(base)
        .max_depth(Some(depth))
        .follow_links(follow)
        .build()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_some_and(|t| t.is_file()))
        .filter_map(|e| {
            let rel = e.path().strip_prefix(base).ok()?.to_path_buf();
            let canonical = std::fs::canonicalize(e.path()).ok()?;
            Some((rel, e.path().to_path_buf(), canonical))
        })
        .collect();
    files.sort_by(|a, b| a.0.cmp(&b.0));
    let files = Arc::new(files);
    cache
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(key, files.clone());
    files
}

type Listed = Arc<Vec<(PathBuf, PathBuf, PathBuf)>>;

/// Folder listings of one run, by (folder, depth, whether links are followed).
#[derive(Default)]
struct Listings(Mutex<HashMap<(PathBuf, usize, bool), Listed>>);

/// Files of the artifact matching `set` (outside the policy's `vendored` trees: installed
/// packages carry their own configuration), then those of the repository root (up to the
/// glob depth) for a nested artifact: the places tool configuration may be.
pub fn matching_files(ctx: &Ctx<'_>, set: &GlobSet, depth: usize) -> Vec<Found> {
    let mut out: Vec<Found> = Vec::new();
    let mut seen = HashSet::new();
    let vendored = super::dependencies::vendored(ctx);
    for rel in ctx.artifact.files() {
        if set.is_match(rel) && !vendored.is_match(rel) {
            let abs = ctx.artifact.root.join(rel);
            let canonical = std::fs::canonicalize(&abs).unwrap_or(abs.clone());
            seen.insert(canonical.clone());
            out.push(Found {
                shown: Artifact::display(rel),
                rel: rel.clone(),
                abs,
                canonical,
                outside: None,
            });
        }
    }
    if ctx.artifact.repo_root.is_some() {
        let top = ctx
            .artifact
            .memo(|| RepoTop(walk_bases(ctx.artifact, REPO_ROOT_DEPTH, false, false)));
        for f in top.0.iter().filter(|f| f.rel.components().count() <= depth) {
            if set.is_match(&f.rel) && seen.insert(f.canonical.clone()) {
                out.push(f.clone());
            }
        }
    }
    out
}

/// Evidence that `path` could not be read.
pub fn unreadable(check: &str, path: &str, why: &str) -> Evidence {
    Evidence::new(check, "unreadable", format!("{path}: {why}")).at(path, None)
}

/// Evidence that `path` could not be parsed, at the parser's line.
pub fn unparsable(check: &str, path: &str, msg: &str, line: Option<u64>) -> Evidence {
    Evidence::new(
        check,
        "unreadable",
        format!("{path} could not be parsed: {msg}"),
    )
    .at(path, line)
}

/// A matched command as quoted in a message: its first line, at most eight words, with
/// `key=value` values and long opaque words hidden (a command line may carry a token).
pub fn quote_command(cmd: &str) -> String {
    let first = cmd.lines().next().unwrap_or("").trim();
    let words: Vec<&str> = first.split_whitespace().collect();
    let mut out: Vec<String> = words
        .iter()
        .take(8)
        .map(|w| match w.split_once('=') {
            Some((k, v)) if !v.is_empty() => format!("{k}=…"),
            _ if w.len() >= 20 && !w.contains('/') && w.chars().any(|c| c.is_ascii_digit()) => {
                "…".to_string()
            }
            _ => w.to_string(),
        })
        .collect();
    if words.len() > 8 {
        out.push("…".into());
    }
    out.join(" ")
}

/// The 1-based line of byte offset `at` in `text`.
pub fn line_of(text: &str, at: usize) -> u64 {
    let end = at.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|b| **b == b'\n')
        .count() as u64
        + 1
}

#[cfg(test)]
mod tests;
