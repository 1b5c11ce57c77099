//! `dependencies`: every dependency manifest of the artifact is locked. Which files are
//! manifests and which lock them is policy data (`ecosystems:`); this module knows the rules
//! that are not a file name: workspace roots, pinned requirements files, PEP 723 inline
//! script metadata, manifests that declare nothing.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use globset::GlobSet;
use regex::Regex;
use serde::{Deserialize, Serialize};

use super::ci::read_capped;
use super::{Ctx, Evidence, Outcome, Status};
use crate::artifact::Artifact;
use crate::config::{Sp, Validator};
use crate::detection::{EcosystemDef, LockRule};

const KIND: &str = "dependencies";

/// Settings of `dependencies`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Globs of scripts that may carry PEP 723 inline metadata (`**/*.py`).
    #[serde(default)]
    pub inline_scripts: Vec<Sp<String>>,
    /// How scripts of each language import packages, for an artifact with no manifest: a
    /// script that imports third-party packages has dependencies nothing pins.
    #[serde(default)]
    pub imports: Vec<Imports>,
}

/// How one language's scripts import packages.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Imports {
    /// The language, for messages (`Python`).
    pub language: String,
    /// Its scripts (`**/*.py`).
    pub globs: Vec<Sp<String>>,
    /// Regexes whose first group is an imported module or package name.
    pub patterns: Vec<Sp<String>>,
    /// Names that come with the language (its standard library, built-in modules).
    #[serde(default)]
    pub builtin: Vec<String>,
    /// How to pin them, for the evidence (`a requirements.txt with == pins`).
    pub pin_with: String,
}

/// A manifest found in the artifact.
#[derive(Debug, Clone)]
pub struct Manifest {
    /// Index into the policy's `ecosystems`.
    pub eco: usize,
    /// Path relative to the artifact root.
    pub rel: PathBuf,
}

/// The manifests of an artifact, outside vendored trees.
#[derive(Debug, Default)]
pub struct Found {
    /// Every manifest, in path order.
    pub manifests: Vec<Manifest>,
}

impl Found {
    /// Ids of the ecosystems found.
    pub fn ecosystems<'p>(&self, ctx: &Ctx<'p>) -> Vec<&'p EcosystemDef> {
        let idx: BTreeSet<usize> = self.manifests.iter().map(|m| m.eco).collect();
        idx.into_iter()
            .map(|i| &ctx.detection.ecosystems[i])
            .collect()
    }
}

/// The policy's `vendored` globs.
pub(super) fn vendored(ctx: &Ctx<'_>) -> std::sync::Arc<GlobSet> {
    ctx.detection
        .vendored
        .and_then(|g| super::file_exists::glob_set(g, false).ok())
        .unwrap_or_else(|| std::sync::Arc::new(GlobSet::empty()))
}

/// Manifests of the artifact, found once and shared with `ci-tests` and
/// `dependency-scanner`.
pub fn found(ctx: &Ctx<'_>) -> std::sync::Arc<Found> {
    ctx.artifact.memo(|| {
        let vendored = vendored(ctx);
        let sets: Vec<Option<std::sync::Arc<GlobSet>>> = ctx
            .detection
            .ecosystems
            .iter()
            .map(|e| super::file_exists::glob_set(&e.manifests, false).ok())
            .collect();
        let mut manifests = Vec::new();
        for rel in ctx.artifact.files() {
            if vendored.is_match(rel) {
                continue;
            }
            let Some(name) = rel.file_name() else {
                continue;
            };
            if let Some(eco) = sets
                .iter()
                .position(|s| s.as_ref().is_some_and(|s| s.is_match(name)))
            {
                manifests.push(Manifest {
                    eco,
                    rel: rel.clone(),
                });
            }
        }
        Found { manifests }
    })
}

impl Config {
    pub(super) fn validate(&self, v: &mut Validator<'_>, origin: usize, owner: &str) {
        for g in &self.inline_scripts {
            v.glob(origin, g, owner);
        }
        for i in &self.imports {
            for g in &i.globs {
                v.glob(origin, g, owner);
            }
            for p in &i.patterns {
                v.regex(origin, p, owner);
            }
        }
    }

    pub(super) fn run(&self, ctx: &Ctx<'_>) -> Outcome {
        let mut ev = Vec::new();
        let mut failed = false;
        let found = found(ctx);
        // Terraform-like ecosystems lock a folder, not a file: check each folder once.
        let mut folders_done: BTreeSet<(usize, PathBuf)> = BTreeSet::new();
        for m in &found.manifests {
            let eco = &ctx.detection.ecosystems[m.eco];
            let dir = m.rel.parent().unwrap_or(Path::new("")).to_path_buf();
            if eco.per_folder && !folders_done.insert((m.eco, dir.clone())) {
                continue;
            }
            let targets: Vec<PathBuf> = if eco.per_folder {
                found
                    .manifests
                    .iter()
                    .filter(|o| o.eco == m.eco && o.rel.parent() == m.rel.parent())
                    .map(|o| o.rel.clone())
                    .collect()
            } else {
                vec![m.rel.clone()]
            };
            failed |= check_manifest(ctx, eco, &targets, &dir, &mut ev);
        }
        let inline = self.inline(ctx, &mut ev);
        failed |= inline.1;
        if found.manifests.is_empty() && !inline.0 {
            if self.unpinned_imports(ctx, &mut ev) {
                failed = true;
            } else {
                ev.push(Evidence::new(
                    KIND,
                    "no-dependencies",
                    "no dependency manifest found, and no script imports a third-party package: nothing to lock",
                ));
            }
        }
        Outcome {
            status: if failed { Status::Fail } else { Status::Pass },
            evidence: ev,
            findings: Vec::new(),
        }
    }

    /// Scripts that import third-party packages although no manifest pins anything: one
    /// evidence item per script; whether any was found.
    fn unpinned_imports(&self, ctx: &Ctx<'_>, ev: &mut Vec<Evidence>) -> bool {
        let vendored = vendored(ctx);
        let files = ctx.artifact.files();
        // A module the artifact holds (`helper.py`, `lib/`) is its own code, not a package.
        let local: BTreeSet<String> = files
            .iter()
            .filter_map(|f| f.components().next())
            .filter_map(|c| c.as_os_str().to_str())
            .map(|s| s.split('.').next().unwrap_or(s).to_string())
            .collect();
        let mut any = false;
        for lang in &self.imports {
            let Ok(set) = super::file_exists::glob_set(&lang.globs, false) else {
                continue;
            };
            let patterns: Vec<Regex> = lang
                .patterns
                .iter()
                .filter_map(|p| Regex::new(&p.value).ok())
                .collect();
            for rel in files {
                if !set.is_match(rel) || vendored.is_match(rel) {
                    continue;
                }
                // Imports sit at the top of a script: its first 32 KiB is where they are read.
                let Ok(head) =
                    tiercheck_scan::read::read_head(&ctx.artifact.root.join(rel), IMPORTS_HEAD)
                else {
                    continue;
                };
                let text = String::from_utf8_lossy(&head);
                let text = text.as_ref();
                let mut names: Vec<String> = Vec::new();
                let mut first_line = None;
                for re in &patterns {
                    for c in re.captures_iter(text) {
                        let Some(m) = c.get(1) else { continue };
                        let name = package_name(m.as_str());
                        if name.is_empty()
                            || lang.builtin.contains(&name)
                            || local.contains(&name)
                            || names.contains(&name)
                        {
                            continue;
                        }
                        let line = super::ci::line_of(text, m.start());
                        first_line = Some(first_line.map_or(line, |l: u64| l.min(line)));
                        names.push(name);
                    }
                }
                if names.is_empty() {
                    continue;
                }
                any = true;
                names.sort();
                let shown = Artifact::display(rel);
                ev.push(
                    Evidence::new(
                        KIND,
                        "imports-unpinned",
                        format!(
                            "{shown} imports {} ({}), which no manifest pins: add {}",
                            names.join(", "),
                            lang.language,
                            lang.pin_with
                        ),
                    )
                    .at(shown, first_line),
                );
            }
        }
        any
    }

    /// PEP 723 blocks; returns (any found, any unpinned).
    fn inline(&self, ctx: &Ctx<'_>, ev: &mut Vec<Evidence>) -> (bool, bool) {
        let Ok(set) = super::file_exists::glob_set(&self.inline_scripts, false) else {
            return (false, false);
        };
        let vendored = vendored(ctx);
        let (mut any, mut bad) = (false, false);
        for rel in ctx.artifact.files() {
            if !set.is_match(rel) || vendored.is_match(rel) {
                continue;
            }
            let Ok(text) = read_capped(&ctx.artifact.root.join(rel)) else {
                continue;
            };
            let Some((line, deps)) = pep723_dependencies(&text) else {
                continue;
            };
            any = true;
            let shown = Artifact::display(rel);
            let loose: Vec<&String> = deps.iter().filter(|d| !requirement_pinned(d)).collect();
            if loose.is_empty() {
                ev.push(
                    Evidence::new(
                        KIND,
                        "inline-pinned",
                        format!(
                            "{shown}: inline script metadata pins its {} dependencies",
                            deps.len()
                        ),
                    )
                    .at(shown, Some(line))
                    .supporting(),
                );
            } else {
                bad = true;
                let names: Vec<String> = loose.iter().map(|s| requirement_name(s)).collect();
                ev.push(
                    Evidence::new(
                        KIND,
                        "inline-unpinned",
                        format!(
                            "{shown}: inline script dependencies not pinned with `==`: {}",
                            names.join(", ")
                        ),
                    )
                    .at(shown, Some(line)),
                );
            }
        }
        (any, bad)
    }
}

/// Checks one manifest (or one folder of per-folder manifests); returns whether it fails.
fn check_manifest(
    ctx: &Ctx<'_>,
    eco: &EcosystemDef,
    targets: &[PathBuf],
    dir: &Path,
    ev: &mut Vec<Evidence>,
) -> bool {
    let shown = Artifact::display(&targets[0]);
    let mut needs = eco.requires.is_none();
    let mut texts = Vec::new();
    for t in targets {
        match read_capped(&ctx.artifact.root.join(t)) {
            Ok(text) => texts.push((t, text)),
            Err(why) => {
                ev.push(super::ci::unreadable(KIND, &Artifact::display(t), &why));
                needs = true;
            }
        }
    }
    for (t, text) in &texts {
        if let Some(problem) = parse_problem(eco.parse.as_deref(), text) {
            let (msg, line) = problem;
            ev.push(super::ci::unparsable(
                KIND,
                &Artifact::display(t),
                &msg,
                line,
            ));
            needs = true;
        }
        if let Some(re) = eco
            .requires
            .as_ref()
            .and_then(|r| Regex::new(&r.value).ok())
            && re.is_match(text)
        {
            needs = true;
        }
    }
    if !needs {
        ev.push(
            Evidence::new(
                KIND,
                "lockfile-not-needed",
                format!("{shown} declares no dependencies ({})", eco.name),
            )
            .at(shown, None)
            .supporting(),
        );
        return false;
    }
    match eco.lock {
        LockRule::Unsupported => {
            ev.push(
                Evidence::new(
                    KIND,
                    "lockfile-unsupported",
                    format!(
                        "no lockfile for {}: the format has none; pin exact versions in {shown} and let the dependency scanner watch them",
                        eco.name
                    ),
                )
                .at(shown, None),
            );
            false
        }
        LockRule::Pinned => {
            let Some((_, text)) = texts.first() else {
                return true;
            };
            let loose = unpinned_requirements(text);
            if loose.is_empty() {
                ev.push(
                    Evidence::new(
                        KIND,
                        "requirements-pinned",
                        format!("{shown} pins every requirement"),
                    )
                    .at(shown, None)
                    .supporting(),
                );
                false
            } else {
                let first = loose[0].0;
                let names: Vec<&str> = loose.iter().take(5).map(|(_, n)| n.as_str()).collect();
                let more = if loose.len() > 5 {
                    format!(" and {} more", loose.len() - 5)
                } else {
                    String::new()
                };
                ev.push(
                    Evidence::new(
                        KIND,
                        "requirement-unpinned",
                        format!(
                            "{shown}: requirements not pinned with `==` or `--hash`: {}{more}",
                            names.join(", ")
                        ),
                    )
                    .at(shown, Some(first)),
                );
                true
            }
        }
        LockRule::Lockfile => match find_lock(ctx, eco, dir) {
            Some(lock) => {
                ev.push(
                    Evidence::new(
                        KIND,
                        "lockfile-present",
                        format!("{shown} is locked by {lock}"),
                    )
                    .at(lock, None)
                    .supporting(),
                );
                false
            }
            None => {
                ev.push(
                    Evidence::new(
                        KIND,
                        "lockfile-missing",
                        format!(
                            "{shown} has no lockfile ({} beside it or at its workspace root); generate and commit it",
                            eco.lockfiles.join(" | ")
                        ),
                    )
                    .at(shown, None),
                );
                true
            }
        },
    }
}

/// The problem (message, line) when `text` does not parse as `format`.
fn parse_problem(format: Option<&str>, text: &str) -> Option<(String, Option<u64>)> {
    match format {
        Some("json") => serde_json::from_str::<serde_json::Value>(text)
            .err()
            .map(|e| (e.to_string(), Some(e.line() as u64))),
        Some("toml") => toml::from_str::<toml::Table>(text).err().map(|e| {
            let line = e.span().map(|s| super::ci::line_of(text, s.start));
            (e.message().to_string(), line)
        }),
        _ => None,
    }
}

/// A lockfile of `eco` in `dir` or in a folder above it that is a workspace root (holds a
/// manifest of the same ecosystem), not above the repository (or artifact) root.
fn find_lock(ctx: &Ctx<'_>, eco: &EcosystemDef, dir: &Path) -> Option<String> {
    let root = std::fs::canonicalize(&ctx.artifact.root).ok()?;
    let fence = ctx.artifact.repo_root.clone().unwrap_or(root.clone());
    let set = super::file_exists::glob_set(&eco.manifests, false).ok()?;
    let start = std::fs::canonicalize(ctx.artifact.root.join(dir)).ok()?;
    for (i, folder) in start.ancestors().enumerate() {
        if !folder.starts_with(&fence) {
            break;
        }
        let is_workspace = i == 0
            || std::fs::read_dir(folder).is_ok_and(|rd| {
                rd.filter_map(Result::ok)
                    .any(|e| set.is_match(e.file_name()))
            });
        if !is_workspace {
            continue;
        }
        if let Some(lock) = eco.lockfiles.iter().find(|l| folder.join(l).is_file()) {
            return Some(relative_to(&root, &folder.join(lock)));
        }
    }
    None
}

/// `path` shown relative to `root` (with `..` when above it).
fn relative_to(root: &Path, path: &Path) -> String {
    if let Ok(rel) = path.strip_prefix(root) {
        return Artifact::display(rel);
    }
    let mut up = PathBuf::new();
    for a in root.ancestors().skip(1) {
        up.push("..");
        if let Ok(rel) = path.strip_prefix(a) {
            return Artifact::display(&up.join(rel));
        }
    }
    path.display().to_string()
}

/// Requirement lines of a pip requirements file that are not pinned: (line, requirement).
pub fn unpinned_requirements(text: &str) -> Vec<(u64, String)> {
    let mut out = Vec::new();
    let mut logical = String::new();
    let mut start = 0u64;
    for (i, raw) in text.lines().enumerate() {
        if logical.is_empty() {
            start = i as u64 + 1;
        }
        let line = raw.trim_end();
        if let Some(cont) = line.strip_suffix('\\') {
            logical.push_str(cont);
            logical.push(' ');
            continue;
        }
        logical.push_str(line);
        let req = std::mem::take(&mut logical);
        let req = match req.find(" #") {
            Some(c) => req[..c].trim().to_string(),
            None => req.trim().to_string(),
        };
        if req.is_empty() || req.starts_with('#') {
            continue;
        }
        if !requirement_pinned(&req) {
            out.push((start, requirement_name(&req)));
        }
    }
    out
}

/// The package name of a requirement, never its URL (which may carry credentials).
fn requirement_name(req: &str) -> String {
    let name: String = req
        .trim()
        .chars()
        .take_while(|c| !c.is_whitespace() && !"<>=!~;[@".contains(*c))
        .collect();
    if name.is_empty() || name.contains(':') || name.contains('/') {
        "(a URL or path requirement)".to_string()
    } else {
        name
    }
}

/// Whether one requirement (PEP 508, or a pip requirements line) pins an exact version.
pub fn requirement_pinned(req: &str) -> bool {
    let r = req.trim();
    // Options (-r, -c, --index-url, -e with a local path) and local paths are not packages
    // from an index.
    if r.starts_with("-e") || r.starts_with("--editable") {
        let target = r.split_whitespace().nth(1).unwrap_or("");
        return is_local(target) || pinned_url(target);
    }
    if r.starts_with('-') || is_local(r) {
        return true;
    }
    if r.contains("--hash=") {
        return true;
    }
    if r.contains("://") {
        return pinned_url(r);
    }
    let spec = r.split(';').next().unwrap_or(r);
    match spec.find("==") {
        Some(i) => {
            let version = spec[i..].trim_start_matches('=').trim();
            !version.is_empty() && !version.contains('*') && !version.contains(',')
        }
        None => false,
    }
}

fn is_local(s: &str) -> bool {
    s.starts_with('.') || s.starts_with('/') || s.starts_with("file:")
}

/// A URL requirement is pinned when it names a commit or carries a hash.
fn pinned_url(s: &str) -> bool {
    if s.contains("#sha256=") || s.contains("#sha512=") {
        return true;
    }
    s.rsplit_once('@').is_some_and(|(_, rev)| {
        let rev = rev.split(['#', ' ']).next().unwrap_or("");
        rev.len() == 40 && rev.bytes().all(|b| b.is_ascii_hexdigit())
    })
}

/// The PEP 723 `script` block of a Python file: its first line and its dependencies.
pub fn pep723_dependencies(text: &str) -> Option<(u64, Vec<String>)> {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.iter().position(|l| l.trim_end() == "# /// script")?;
    let end = lines[start + 1..]
        .iter()
        .position(|l| l.trim_end() == "# ///")?
        + start
        + 1;
    let body: String = lines[start + 1..end]
        .iter()
        .map(|l| {
            let l = l.strip_prefix('#').unwrap_or(l);
            l.strip_prefix(' ').unwrap_or(l)
        })
        .collect::<Vec<_>>()
        .join("\n");
    let table: toml::Table = toml::from_str(&body).ok()?;
    let deps = table
        .get("dependencies")
        .and_then(|d| d.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    Some((start as u64 + 1, deps))
}

/// How much of each script is read for its imports.
const IMPORTS_HEAD: u64 = 32 * 1024;

/// The package an import names: `node:fs` is built in (empty), `@scope/pkg/sub` is
/// `@scope/pkg`, `pkg/sub` and `pkg.sub` are `pkg`.
fn package_name(import: &str) -> String {
    let import = import.trim();
    if import.starts_with("node:") {
        return String::new();
    }
    let mut parts = import.split('/');
    let first = parts.next().unwrap_or("");
    if first.starts_with('@') {
        return match parts.next() {
            Some(second) => format!("{first}/{second}"),
            None => first.to_string(),
        };
    }
    first.split('.').next().unwrap_or(first).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requirements_pinning() {
        let text = "# tools\nrequests==2.32.3\nflask>=2.0\n-r base.txt\n--index-url https://pypi.org/simple\nnumpy==1.*\nurllib3==2.2.2 \\\n    --hash=sha256:abc\n./local/pkg\nattrs\ngit+https://github.com/a/b@0123456789abcdef0123456789abcdef01234567\nclick==8.1.7 ; python_version >= '3.8'\n";
        let loose = unpinned_requirements(text);
        let names: Vec<&str> = loose.iter().map(|(_, n)| n.as_str()).collect();
        assert_eq!(names, ["flask", "numpy", "attrs"]);
        assert_eq!(loose[0].0, 3);
    }

    #[test]
    fn pep723_block() {
        let text = "#!/usr/bin/env python3\n# /// script\n# requires-python = \">=3.11\"\n# dependencies = [\n#   \"requests==2.32.3\",\n#   \"rich\",\n# ]\n# ///\nimport requests\n";
        let (line, deps) = pep723_dependencies(text).unwrap();
        assert_eq!(line, 2);
        assert_eq!(deps, ["requests==2.32.3", "rich"]);
        assert!(requirement_pinned(&deps[0]));
        assert!(!requirement_pinned(&deps[1]));
        assert!(pep723_dependencies("print('no block')\n").is_none());
    }

    #[test]
    fn relative_paths_above_the_root() {
        assert_eq!(
            relative_to(Path::new("/r/a/b"), Path::new("/r/Cargo.lock")),
            "../../Cargo.lock"
        );
        assert_eq!(
            relative_to(Path::new("/r"), Path::new("/r/x/y.lock")),
            "x/y.lock"
        );
    }
}
