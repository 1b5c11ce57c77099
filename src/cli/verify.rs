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
use crate::manifest::{self, find_governing, find_nested};
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

/// The artifacts under `path`: the one its governing manifest defines (when there is one),
/// and one per nested manifest. With no manifest at all and `allow_bare`, PATH itself.
pub(crate) fn collect(
    path: &Path,
    policy: &Policy,
    allow_bare: bool,
) -> Result<Vec<Artifact>, ConfigError> {
    let abs = std::fs::canonicalize(path).map_err(|e| {
        ConfigError::plain(format!("cannot resolve path `{}`: {e}", path.display()))
    })?;
    let governing = find_governing(&abs);
    let nested = if abs.is_dir() {
        find_nested(&abs)
    } else {
        Vec::new()
    };
    let mut artifacts = Vec::new();
    let run = std::sync::Arc::new(crate::artifact::Memo::default());
    let mut problems: Vec<Problem> = Vec::new();
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
    if let Some(g) = &governing {
        let root = g.parent().unwrap_or(&abs).to_path_buf();
        // A manifest above PATH governs a folder that may hold nested manifests outside PATH.
        let all_nested = if root == abs {
            nested.clone()
        } else {
            find_nested(&root)
        };
        match load_manifest(g, policy) {
            Ok(m) => artifacts
                .push(Artifact::new(&root, Some(m), nested_dirs(&root, &all_nested)).sharing(&run)),
            Err(e) => problems.extend(e.problems),
        }
    }
    for m in &nested {
        let dir = m.parent().unwrap_or(&abs).to_path_buf();
        match load_manifest(m, policy) {
            Ok(lm) => artifacts
                .push(Artifact::new(&dir, Some(lm), nested_dirs(&dir, &nested)).sharing(&run)),
            Err(e) => problems.extend(e.problems),
        }
    }
    if !problems.is_empty() {
        return Err(ConfigError { problems });
    }
    if artifacts.is_empty() && allow_bare {
        artifacts.push(Artifact::new(&abs, None, Vec::new()));
    }
    Ok(artifacts)
}

/// A nested manifest may not declare a tier lower than the artifact that contains it: a
/// folder declared `me`/`none` inside a public repository would otherwise carve its files
/// out of the repository's checks. Such an artifact is checked at the containing tier and
/// reported as under-classified. The container is the nearest other artifact above it, or,
/// for the topmost, the manifest above it in the same repository.
pub(crate) fn bound_by_enclosing(
    policy: &Policy,
    artifacts: &[Artifact],
    decisions: &mut [crate::evaluate::TierDecision],
) {
    // The manifest above the topmost artifact, when PATH is a folder inside another.
    let outside: Option<(PathBuf, String)> = artifacts.first().and_then(|top| {
        if top.root.join(".git").exists() {
            return None;
        }
        let up = find_governing(top.root.parent()?)?;
        let m = load_manifest(&up, policy).ok()?;
        let d = decide(policy, &m.manifest, None).ok()?;
        Some((up.parent()?.to_path_buf(), d.tier))
    });
    let mut order: Vec<usize> = (0..artifacts.len()).collect();
    order.sort_by_key(|&i| artifacts[i].root.components().count());
    for i in order {
        let root = &artifacts[i].root;
        let parent = (0..artifacts.len())
            .filter(|&j| {
                j != i && root.starts_with(&artifacts[j].root) && *root != artifacts[j].root
            })
            .max_by_key(|&j| artifacts[j].root.components().count());
        let bound = match parent {
            Some(j) => Some((artifacts[j].root.clone(), decisions[j].tier.clone())),
            None => outside
                .clone()
                .filter(|(r, _)| root.starts_with(r) && root != r),
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
    let mut artifacts = collect(&path, &policy, args.tier.is_some())?;
    if args.staged {
        // Content scans read the staged blobs; every other check reads the working tree.
        crate::git::open(&path).map_err(|e| {
            ConfigError::plain(format!("`verify --staged`: `{}`: {e}", path.display()))
                .with_help("run it inside a git working tree, or run `tiercheck verify`")
        })?;
        for a in &mut artifacts {
            a.staged = true;
        }
    }
    if artifacts.is_empty() {
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
    args.format.report(color).artifacts(&reports, out)?;
    Ok(verdict(reports.iter().all(|r| r.passed)))
}
