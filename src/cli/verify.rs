//! `tiercheck verify`: every artifact under PATH against its tier.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;

use super::{PolicyArg, existing, shown, today, verdict};
use crate::artifact::Artifact;
use crate::classify::{Unclassified, decide};
use crate::error::{ConfigError, Problem};
use crate::evaluate::{ArtifactReport, evaluate};
use crate::manifest::{self, find_nested};
use crate::policy::Policy;
use crate::report::Format;

/// `tiercheck verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// File or folder to verify; every .tier.yaml in it is verified over its own subtree.
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// Verify at this tier instead of the declared one (and without a .tier.yaml).
    #[arg(long, value_name = "TIER")]
    pub tier: Option<String>,
    #[command(flatten)]
    pub policy: PolicyArg,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Secret and personal-data scans read the staged blobs (what the next commit holds)
    /// instead of the working tree; the other checks read the working tree as usual.
    #[arg(long)]
    pub staged: bool,
    /// The check that makes sense while committing (what `tiercheck hook install` and the
    /// pre-commit hook run): implies --staged; reviews made stale by the change being
    /// committed and missing code reviews warn instead of failing (they are checked when the
    /// code is shared), and a repository with no manifest passes with a note.
    #[arg(long)]
    pub pre_commit: bool,
    /// Fail (exit 1) on recommended requirements too.
    #[arg(long)]
    pub strict: bool,
    /// Checking your own code: let the repository's `tiercheck:allow` markers, ignore
    /// files, baseline and waivers count at every tier, whatever the policy's
    /// `suppressions` and `waivers` say (said on stderr).
    #[arg(long)]
    pub trust_repo: bool,
}

/// Loads and validates a manifest against the policy.
pub(crate) fn load_manifest(
    path: &Path,
    policy: &Policy,
) -> Result<manifest::LoadedManifest, ConfigError> {
    let m = manifest::load(path)?;
    manifest::validate(&m, &policy.vocabulary())?;
    Ok(m)
}

/// A file's manifest, loaded and validated, with the files it ships (relative to its folder).
struct FileManifest {
    loaded: manifest::LoadedManifest,
    target: PathBuf,
    ships: Vec<PathBuf>,
}

impl FileManifest {
    /// Every path this manifest takes out of its folder's artifact.
    fn claimed(&self) -> impl Iterator<Item = PathBuf> + '_ {
        let dir = self.loaded.dir().to_path_buf();
        [self.loaded.path.clone(), self.target.clone()]
            .into_iter()
            .chain(self.ships.iter().map(move |s| dir.join(s)))
    }

    fn artifact(&self, run: &std::sync::Arc<crate::artifact::Memo>) -> Artifact {
        Artifact::file(&self.target, Some(self.loaded.clone()), self.ships.clone()).sharing(run)
    }
}

/// Where the problems of loading manifests go: a manifest that does not load is, for
/// `verify`, an artifact reported as an error while the others are checked (`tolerant`);
/// otherwise every problem ends the run.
#[derive(Default)]
struct Sink {
    tolerant: bool,
    problems: Vec<Problem>,
    broken: Vec<Broken>,
}

/// A nested manifest that could not be loaded, and why.
pub(crate) struct Broken {
    /// The manifest.
    pub manifest: PathBuf,
    /// What is wrong with it, located.
    pub error: ConfigError,
}

impl Sink {
    fn fail(&mut self, manifest: &Path, error: ConfigError) {
        if self.tolerant {
            self.broken.push(Broken {
                manifest: manifest.to_path_buf(),
                error,
            });
        } else {
            self.problems.extend(error.problems);
        }
    }
}

/// Loads files' manifests; one file claimed by two of them is an error.
fn load_file_manifests(paths: &[PathBuf], policy: &Policy, sink: &mut Sink) -> Vec<FileManifest> {
    let mut out = Vec::new();
    for m in paths {
        let Some(target) = manifest::file_manifest_target(m) else {
            continue;
        };
        let loaded = match load_manifest(m, policy) {
            Ok(l) => l,
            Err(e) => {
                sink.fail(m, e);
                continue;
            }
        };
        if !std::fs::symlink_metadata(&target).is_ok_and(|t| t.is_file()) {
            sink.fail(m, ConfigError { problems: vec![
                Problem::at(
                    format!(
                        "this manifest governs `{}`, which is not a file here",
                        shown(&target)
                    ),
                    &loaded.path,
                    &loaded.text,
                    0,
                    0,
                )
                .help("a file's manifest is named after the file beside it; rename it, or delete it with the file"),
            ]});
            continue;
        }
        match manifest::shipped_files(&loaded) {
            Ok(ships) => out.push(FileManifest {
                loaded,
                target,
                ships,
            }),
            Err(e) => sink.fail(m, e),
        }
    }
    let mut by_file: std::collections::BTreeMap<PathBuf, Vec<Problem>> = Default::default();
    for f in &out {
        by_file
            .entry(f.target.clone())
            .or_default()
            .push(Problem::at(
                format!("`{}` has this manifest of its own", shown(&f.target)),
                &f.loaded.path,
                &f.loaded.text,
                0,
                0,
            ));
        for entry in &f.loaded.manifest.files {
            if let Ok(r) = manifest::relative_entry(&entry.value) {
                by_file.entry(f.loaded.dir().join(r)).or_default().push(
                    f.loaded
                        .problem(entry, format!("`{}` is listed here", entry.value)),
                );
            }
        }
    }
    for (file, claims) in by_file {
        if claims.len() > 1 {
            sink.problems
                .extend(manifest::two_claims(Path::new(&shown(&file)), claims).problems);
        }
    }
    out
}

/// The artifacts under `path`: the one its governing manifest defines (when there is one),
/// one per nested folder manifest, and one per file's manifest (`demo.py.tier.yaml`). A FILE
/// is the artifact of its own manifest, of the manifest that lists it in `files:`, or of
/// its folder's manifest. With no manifest at all and `allow_bare`, PATH itself.
pub(crate) fn collect(
    path: &Path,
    policy: &Policy,
    allow_bare: bool,
) -> Result<Vec<Artifact>, ConfigError> {
    collect_all(path, policy, allow_bare, false).map(|(a, _)| a)
}

/// [`collect`], and with `tolerant` the nested manifests that could not be loaded, to be
/// reported as errors beside the artifacts that could.
pub(crate) fn collect_all(
    path: &Path,
    policy: &Policy,
    allow_bare: bool,
    tolerant: bool,
) -> Result<(Vec<Artifact>, Vec<Broken>), ConfigError> {
    let mut sink = Sink {
        tolerant,
        ..Sink::default()
    };
    let abs = std::fs::canonicalize(path).map_err(|e| {
        ConfigError::plain(format!("cannot resolve path `{}`: {e}", path.display()))
    })?;
    let run = std::sync::Arc::new(crate::artifact::Memo::default());
    let is_file = std::fs::metadata(&abs).is_ok_and(|m| m.is_file());
    if is_file {
        refuse_binary(path, &abs)?;
        if abs.file_name().is_some_and(manifest::is_manifest_name) {
            return Err(ConfigError::plain(format!(
                "`{}` is a manifest, not code to check",
                path.display()
            ))
            .with_help("pass the file or folder it governs"));
        }
        match manifest::find_governing(&abs)? {
            Some(m) if manifest::file_manifest_target(&m).is_some() => {
                let dir = m.parent().unwrap_or(&abs).to_path_buf();
                // The other files' manifests of the folder, for files claimed twice; the
                // file's own manifest must load.
                let mut list = manifest::file_manifests_in(&dir);
                if !list.contains(&m) {
                    list.push(m.clone());
                }
                let mut strict = Sink::default();
                let loaded = load_file_manifests(&list, policy, &mut strict);
                if !strict.problems.is_empty() {
                    return Err(ConfigError {
                        problems: strict.problems,
                    });
                }
                return Ok((
                    loaded
                        .iter()
                        .filter(|f| f.loaded.path == m)
                        .map(|f| f.artifact(&run))
                        .collect(),
                    Vec::new(),
                ));
            }
            Some(_) => {}
            None if allow_bare => {
                return Ok((vec![Artifact::file(&abs, None, Vec::new())], Vec::new()));
            }
            None => return Ok((Vec::new(), Vec::new())),
        }
    }
    let governing = manifest::nearest_folder_manifest(&abs);
    let nested = if is_file {
        Vec::new()
    } else {
        find_nested(&abs)
    };
    let mut artifacts = Vec::new();
    let folders = |list: &[PathBuf]| -> Vec<PathBuf> {
        list.iter()
            .filter(|m| manifest::file_manifest_target(m).is_none())
            .cloned()
            .collect()
    };
    // Only the outermost nested folders: a folder below one of them is excluded with it, and
    // listing every one made each artifact's work grow with the whole monorepo's manifests.
    let nested_dirs = |under: &Path, list: &[PathBuf]| -> Vec<PathBuf> {
        let inside: std::collections::BTreeSet<&Path> = list
            .iter()
            .filter_map(|m| m.parent())
            .filter(|d| d.starts_with(under) && *d != under)
            .collect();
        inside
            .iter()
            .filter(|d| {
                !d.ancestors()
                    .skip(1)
                    .take_while(|a| *a != under)
                    .any(|a| inside.contains(a))
            })
            .map(|d| d.to_path_buf())
            .collect()
    };
    // A folder's artifact leaves out its nested folders and what files' manifests claim.
    let excluded = |under: &Path, list: &[PathBuf], files: &[FileManifest]| -> Vec<PathBuf> {
        let mut out = nested_dirs(under, &folders(list));
        for f in files {
            if f.loaded.path.starts_with(under) {
                out.extend(f.claimed());
            }
        }
        out
    };
    let file_manifests = |list: &[PathBuf]| -> Vec<PathBuf> {
        list.iter()
            .filter(|m| manifest::file_manifest_target(m).is_some())
            .cloned()
            .collect()
    };
    let local = load_file_manifests(&file_manifests(&nested), policy, &mut sink);
    if let Some(g) = &governing {
        let root = g.parent().unwrap_or(&abs).to_path_buf();
        // A manifest above PATH governs a folder that may hold nested manifests outside PATH.
        let (all_nested, outer, outer_broken) = if root == abs {
            (nested.clone(), Vec::new(), Vec::new())
        } else {
            let all = find_nested(&root);
            let others: Vec<PathBuf> = file_manifests(&all)
                .into_iter()
                .filter(|m| !nested.contains(m))
                .collect();
            // Outside PATH, only for what they take out of the folder's artifact.
            let mut quiet = Sink {
                tolerant: true,
                ..Sink::default()
            };
            let outer = load_file_manifests(&others, policy, &mut quiet);
            sink.problems.extend(quiet.problems);
            (all, outer, quiet.broken)
        };
        let mut claims: Vec<&FileManifest> = local.iter().collect();
        claims.extend(outer.iter());
        let mut out = nested_dirs(&root, &folders(&all_nested));
        for f in claims {
            if f.loaded.path.starts_with(&root) {
                out.extend(f.claimed());
            }
        }
        // A file's manifest that did not load (inside PATH or outside it) still takes its file
        // out of the folder's artifact.
        for b in sink.broken.iter().chain(&outer_broken) {
            if let Some(t) = manifest::file_manifest_target(&b.manifest) {
                out.push(b.manifest.clone());
                out.push(t);
            }
        }
        match load_manifest(g, policy) {
            Ok(m) => artifacts.push(Artifact::new(&root, Some(m), out).sharing(&run)),
            // The manifest governing PATH itself must load.
            Err(e) => sink.problems.extend(e.problems),
        }
    }
    if !is_file {
        let broken_files: Vec<PathBuf> = sink
            .broken
            .iter()
            .filter_map(|b| {
                manifest::file_manifest_target(&b.manifest).map(|t| [b.manifest.clone(), t])
            })
            .flatten()
            .collect();
        for m in folders(&nested) {
            let dir = m.parent().unwrap_or(&abs).to_path_buf();
            let mut out = excluded(&dir, &nested, &local);
            out.extend(broken_files.iter().filter(|p| p.starts_with(&dir)).cloned());
            match load_manifest(&m, policy) {
                Ok(lm) => artifacts.push(Artifact::new(&dir, Some(lm), out).sharing(&run)),
                Err(e) => sink.fail(&m, e),
            }
        }
        artifacts.extend(local.iter().map(|f| f.artifact(&run)));
    }
    if !sink.problems.is_empty() {
        return Err(ConfigError {
            problems: sink.problems,
        });
    }
    if artifacts.is_empty() && sink.broken.is_empty() && allow_bare {
        artifacts.push(Artifact::new(&abs, None, Vec::new()));
    }
    Ok((artifacts, sink.broken))
}

/// A FILE to assess, verify or review must be text: a binary is built from code tiercheck
/// would have to see.
fn refuse_binary(shown_as: &Path, abs: &Path) -> Result<(), ConfigError> {
    use std::io::Read;
    let mut head = vec![0u8; tiercheck_scan::BINARY_PROBE];
    let n = std::fs::File::open(abs)
        .and_then(|f| f.take(head.len() as u64).read(&mut head))
        .map_err(|e| ConfigError::plain(format!("cannot read `{}`: {e}", shown_as.display())))?;
    if tiercheck_scan::is_binary(&head[..n]) {
        return Err(ConfigError::plain(format!(
            "`{}` is a binary file; tiercheck checks scripts and source code",
            shown_as.display()
        ))
        .with_help("check the script or folder it is built from"));
    }
    Ok(())
}

/// Where an artifact is, for containment: its folder, or its file.
fn key(a: &Artifact) -> PathBuf {
    match &a.only {
        Some(f) => a.root.join(f),
        None => a.root.clone(),
    }
}

/// A nested manifest may not declare a tier lower than the artifact that contains it: a
/// folder (or file) declared `me`/`none` inside a public repository would otherwise carve its
/// files out of the repository's checks. Such an artifact is checked at the containing tier
/// and reported as under-classified. The container is the nearest folder artifact above it,
/// or, when none was collected, the nearest folder manifest above it in the same repository.
pub(crate) fn bound_by_enclosing(
    policy: &Policy,
    artifacts: &[Artifact],
    decisions: &mut [crate::evaluate::TierDecision],
) {
    let mut outside: std::collections::HashMap<PathBuf, Option<(PathBuf, String)>> =
        Default::default();
    let mut above = |a: &Artifact| -> Option<(PathBuf, String)> {
        // A folder's container starts above it (a repository's root has none); a file's, in
        // its own folder.
        let from = match &a.only {
            Some(_) => a.root.clone(),
            None if a.root.join(".git").exists() => return None,
            None => a.root.parent()?.to_path_buf(),
        };
        outside
            .entry(from.clone())
            .or_insert_with(|| {
                let up = manifest::nearest_folder_manifest(&from)?;
                let m = load_manifest(&up, policy).ok()?;
                let d = decide(policy, &m.manifest, None).ok()?;
                Some((up.parent()?.to_path_buf(), d.tier))
            })
            .clone()
    };
    let keys: Vec<PathBuf> = artifacts.iter().map(key).collect();
    let mut order: Vec<usize> = (0..artifacts.len()).collect();
    order.sort_by_key(|&i| keys[i].components().count());
    for i in order {
        let here = &keys[i];
        let parent = (0..artifacts.len())
            .filter(|&j| {
                j != i
                    && artifacts[j].only.is_none()
                    && here.starts_with(&artifacts[j].root)
                    && *here != artifacts[j].root
            })
            .max_by_key(|&j| artifacts[j].root.components().count());
        let bound = match parent {
            Some(j) => Some((artifacts[j].root.clone(), decisions[j].tier.clone())),
            None => above(&artifacts[i]).filter(|(r, _)| here.starts_with(r) && here != r),
        };
        let Some((container, tier)) = bound else {
            continue;
        };
        let d = &mut decisions[i];
        if policy.tier_rank(&d.tier) < policy.tier_rank(&tier) {
            d.reason = format!(
                "{}; it lies inside {} ({tier}), and a nested manifest may not declare a lower tier",
                d.reason,
                shown(&container)
            );
            d.tier = tier;
            d.under_classified = true;
        }
    }
}

/// The error for answers that do not classify.
pub(crate) fn unclassified(err: Unclassified, manifest: Option<&Path>) -> ConfigError {
    let file = manifest
        .map(|m| format!("{}: ", m.display()))
        .unwrap_or_default();
    match err {
        Unclassified::Missing(qs) => ConfigError::plain(format!(
            "{file}cannot tell the tier: no `tier:` and no answer to `{}`",
            qs.join("`, `")
        ))
        .with_help("set `tier:` or the answers in .tier.yaml, run `tiercheck assess --write`, or pass --tier"),
        Unclassified::NoRule => ConfigError::plain(format!(
            "{file}no classification rule of the policy matches these answers"
        ))
        .with_help("add a rule to the policy's `classification:` or set `tier:` in .tier.yaml"),
    }
}

pub(super) fn run(args: &VerifyArgs, color: bool, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let mut policy = args.policy.load()?;
    if args.trust_repo {
        super::trust_repo(&mut policy);
    }
    let path = existing(&args.path)?;
    if let Some(t) = &args.tier
        && policy.tier(t).is_none()
    {
        return Err(ConfigError::plain(format!("unknown tier `{t}`"))
            .with_help(format!("tiers: `{}`", policy.tier_ids().join("`, `")))
            .into());
    }
    // A nested manifest that does not load is an error in the report, not the end of it.
    let (mut artifacts, broken) = collect_all(&path, &policy, args.tier.is_some(), true)?;
    if args.pre_commit && artifacts.is_empty() && broken.is_empty() {
        eprintln!(
            "note: no .tier.yaml governs `{}`: nothing to verify at commit time (`tiercheck assess --write` makes one)",
            path.display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    for a in &mut artifacts {
        a.pre_commit = args.pre_commit;
    }
    if args.staged || args.pre_commit {
        // Content scans read the staged blobs; every other check reads the working tree.
        crate::git::open(&path).map_err(|e| {
            ConfigError::plain(format!("`verify --staged`: `{}`: {e}", path.display()))
                .with_help("run it inside a git working tree, or run `tiercheck verify`")
        })?;
        for a in &mut artifacts {
            a.staged = true;
        }
    }
    if artifacts.is_empty() && broken.is_empty() {
        return Err(ConfigError::plain(
            "no .tier.yaml found; run `tiercheck assess --write` or pass --tier",
        )
        .with_help(format!(
            "looked in `{}` and the folders above it, up to the repository root",
            path.display()
        ))
        .into());
    }
    let today = today()?;
    let progress = super::progress::Progress::start(
        &format!("checking {}", path.display()),
        args.format.for_people(),
    );
    let mut decisions = Vec::new();
    for art in &artifacts {
        let mut d = decide(&policy, art.manifest(), args.tier.as_deref())
            .map_err(|e| unclassified(e, art.manifest.as_ref().map(|m| m.path.as_path())))?;
        // The answers are checked against what the files hold.
        let answers = crate::classify::answers_of(&policy, art.manifest());
        crate::classify::raise_for_data(
            &policy,
            &answers,
            &mut d,
            crate::classify::data_found(&policy, art),
        );
        crate::classify::raise_for_audience(
            &policy,
            &answers,
            &mut d,
            crate::classify::audience_found(&policy, art),
        );
        decisions.push(d);
    }
    bound_by_enclosing(&policy, &artifacts, &mut decisions);
    let mut reports: Vec<ArtifactReport> = Vec::new();
    // Each artifact (its walk, scans and caches) is dropped once its report is made.
    for (art, decision) in artifacts.into_iter().zip(decisions) {
        let display = match &art.only {
            Some(f) => shown(&art.root.join(f)),
            None => shown(&art.root),
        };
        reports.push(evaluate(
            &policy,
            &art,
            decision,
            display,
            args.strict,
            today,
        ));
    }
    for b in &broken {
        let target = manifest::file_manifest_target(&b.manifest);
        let shown_as = match &target {
            Some(file) => shown(file),
            None => shown(b.manifest.parent().unwrap_or(&b.manifest)),
        };
        reports.push(crate::evaluate::ArtifactReport::broken(
            &policy,
            shown_as,
            shown(&b.manifest),
            super::render_error(&b.error),
        ));
    }
    drop(progress);
    args.format.report(color).artifacts(&reports, out)?;
    Ok(verdict(reports.iter().all(|r| r.passed)))
}
