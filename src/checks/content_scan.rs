//! `content-scan`: no secret or personal data in the artifact's prompt-like files (scope
//! `prompt-files`, the policy's `prompt_files` globs) or in all its files (scope `tree`).
//! The scanning itself is the `tiercheck-scan` crate; this module chooses the files, honours the
//! manifest's baseline and turns the scan into evidence.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::{Ctx, Evidence, Outcome, Status};
use crate::config::Validator;
use crate::git::scan::Limit;
use tiercheck_scan::baseline::Baseline;
use tiercheck_scan::{Category, ScanOptions, ScanReport};

const KIND: &str = "content-scan";

/// Which files a content scan reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scope {
    /// Files matching the policy's `prompt_files`.
    PromptFiles,
    /// Every file of the artifact.
    Tree,
}

impl Scope {
    fn as_str(self) -> &'static str {
        match self {
            Scope::PromptFiles => "prompt-files",
            Scope::Tree => "tree",
        }
    }
}

/// Settings of `content-scan`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// `prompt-files` or `tree`.
    pub scope: Scope,
    /// `secret` or `pii`.
    pub category: Category,
}

impl Config {
    /// Nothing to check beyond what the types enforce; the rules themselves are validated
    /// with the policy's `rules:` section.
    pub(super) fn validate(&self, _v: &mut Validator<'_>, _origin: usize, _owner: &str) {}

    pub(super) fn run(&self, ctx: &Ctx<'_>) -> Outcome {
        let scanner = match ctx.artifact.scans.scanner(ctx.detection.rules) {
            Ok(s) => s,
            Err(e) => {
                return Outcome::one(Status::Error, Evidence::new(KIND, "invalid-rules", e));
            }
        };
        if !ctx
            .detection
            .rules
            .rules
            .iter()
            .any(|r| r.category == self.category)
        {
            return Outcome::one(
                Status::Error,
                Evidence::new(
                    KIND,
                    "no-rules",
                    format!(
                        "the policy has no `{}` rules, so nothing can be scanned for",
                        self.category.as_str()
                    ),
                ),
            );
        }
        let prompt_globs = match self.scope {
            Scope::Tree => None,
            Scope::PromptFiles => {
                let globs = ctx.detection.prompt_files;
                match super::file_exists::glob_set(globs, false) {
                    Ok(set) => Some(set),
                    Err(e) => {
                        return Outcome::one(
                            Status::Error,
                            Evidence::new(KIND, "invalid-glob", e.to_string()),
                        );
                    }
                }
            }
        };
        let m = ctx.artifact.manifest();
        // What the repository wrote to hide findings counts only where the policy says.
        let markers = ctx.detection.lets(ctx.tier, |s| &s.allow_markers);
        let ignore_files = ctx.detection.lets(ctx.tier, |s| &s.ignore_files);
        // Markers are never honoured by the scan itself: the findings they would hide come
        // back marked, so that they are counted in the report whether or not they count.
        let opts = ScanOptions {
            category: Some(self.category),
            ignore_values: own_people(m),
            honour_allow_marker: false,
            ..ScanOptions::default()
        };
        let key = format!(
            "{}{}",
            self.scope.as_str(),
            if ignore_files { "" } else { "+ignored" }
        );
        let mut notes: Vec<Evidence> = Vec::new();
        let report = if ctx.artifact.staged {
            match staged_report(ctx, prompt_globs.as_deref(), &scanner, &opts) {
                Ok(r) => Arc::new(r),
                Err(o) => return o,
            }
        } else {
            let mut all: Vec<PathBuf> = ctx.artifact.files().to_vec();
            let hidden = tracked_but_ignored(ctx);
            let in_scope: Vec<&PathBuf> = match &prompt_globs {
                None => hidden.0.iter().collect(),
                Some(set) => hidden.0.iter().filter(|f| set.is_match(f)).collect(),
            };
            let n = in_scope.len();
            let files_were = format!(
                "{n} tracked file{} that ignore files leave out",
                if n == 1 { "" } else { "s" }
            );
            if n > 0 && ignore_files {
                notes.push(
                    Evidence::new(
                        KIND,
                        "ignored-tracked-honoured",
                        format!(
                            "{files_were} {} not scanned: at {} the policy lets ignore files hide committed files",
                            if n == 1 { "was" } else { "were" },
                            ctx.tier
                        ),
                    )
                    .at(crate::artifact::Artifact::display(in_scope[0]), None),
                );
            } else if n > 0 {
                notes.push(Evidence::new(
                    KIND,
                    "ignored-tracked-scanned",
                    format!(
                        "{files_were} {} scanned too: at {} the policy does not let ignore files hide committed files",
                        if n == 1 { "was" } else { "were" },
                        ctx.tier
                    ),
                ));
                all.extend(hidden.0.iter().cloned());
                all.sort();
                all.dedup();
            }
            let files: Vec<PathBuf> = match &prompt_globs {
                None => all,
                Some(set) => all.into_iter().filter(|f| set.is_match(f)).collect(),
            };
            // The same files were scanned for every category already (the data the files
            // hold): this category's findings are taken from that scan.
            let every = ctx
                .artifact
                .scans
                .every_category_made()
                .filter(|(scanned, _)| prompt_globs.is_none() && *scanned == files);
            ctx.artifact.scans.get_or_scan(&key, self.category, || {
                let mut report = match every {
                    Some((_, all)) => {
                        let mut r = (*all).clone();
                        r.findings.retain(|f| f.category == self.category.as_str());
                        r
                    }
                    None => scanner.scan_files(&ctx.artifact.root, &files, &opts),
                };
                // What the walk could not read was not scanned either.
                report
                    .errors
                    .extend(ctx.artifact.walk_errors().iter().cloned());
                report.errors.sort();
                report
            })
        };
        let baselines = ctx.detection.lets(ctx.tier, |s| &s.baselines);
        let baseline = match (&ctx.artifact.manifest, &m.baseline) {
            (Some(_), Some(b)) if !b.value.trim().is_empty() && !baselines => {
                notes.push(
                    Evidence::new(
                        KIND,
                        "baseline-ignored",
                        format!(
                            "the manifest's baseline `{}` was not applied: at {} the policy does not let a baseline accept findings",
                            b.value, ctx.tier
                        ),
                    )
                    .at(ctx.artifact.manifest_name(), Some(b.referenced.line())),
                );
                None
            }
            (Some(lm), Some(b)) if !b.value.trim().is_empty() => {
                let path = lm.dir().join(&b.value);
                match Baseline::load(&path) {
                    Ok(b) => Some(b),
                    Err(e) => {
                        return Outcome::one(
                            Status::Error,
                            Evidence::new(KIND, "baseline-invalid", e)
                                .at(crate::artifact::shown(&lm.path), None),
                        );
                    }
                }
            }
            _ => None,
        };
        let marked: Vec<&tiercheck_scan::Finding> = report
            .findings
            .iter()
            .filter(|f| f.marked_allowed)
            .collect();
        let mut o = if marked.is_empty() {
            outcome(self, &report, baseline.as_ref())
        } else if markers {
            // Honoured: the marked findings do not count, and the report says how many.
            let first = marked[0];
            notes.push(
                Evidence::new(
                    KIND,
                    "allow-marker-honoured",
                    format!(
                        "{} finding{} hidden by `tiercheck:allow` markers, which the policy honours at {}",
                        marked.len(),
                        if marked.len() == 1 { "" } else { "s" },
                        ctx.tier
                    ),
                )
                .at(first.path.clone(), Some(first.line)),
            );
            let mut kept = (*report).clone();
            kept.findings.retain(|f| !f.marked_allowed);
            outcome(self, &kept, baseline.as_ref())
        } else {
            notes.push(Evidence::new(
                KIND,
                "allow-marker-ignored",
                format!(
                    "{} of the findings {} on a line marked `tiercheck:allow`: at {} the policy does not let the markers hide findings",
                    marked.len(),
                    if marked.len() == 1 { "is" } else { "are" },
                    ctx.tier
                ),
            ));
            outcome(self, &report, baseline.as_ref())
        };
        o.evidence.extend(notes);
        o
    }
}

/// Files git tracks in the artifact that its ignore files leave out of the walk, relative
/// to the artifact root: a `.gitignore` line or a `.tiercheckignore` naming a committed file
/// does not hide it where the policy does not let ignore files count. Empty outside a git
/// working tree.
/// Looked up once per artifact, however many content scans ask.
fn tracked_but_ignored(ctx: &Ctx<'_>) -> Arc<TrackedIgnored> {
    tracked_but_ignored_in(ctx.artifact)
}

/// [`tracked_but_ignored`] for an artifact, outside a check (the data evidence reads every
/// committed file whatever the ignore files say).
pub(crate) fn tracked_but_ignored_in(artifact: &crate::artifact::Artifact) -> Arc<TrackedIgnored> {
    artifact.memo(|| TrackedIgnored(find_tracked_but_ignored(artifact)))
}

/// Files git tracks that the artifact's walk left out (see [`tracked_but_ignored`]).
pub(crate) struct TrackedIgnored(pub(crate) Vec<PathBuf>);

fn find_tracked_but_ignored(artifact: &crate::artifact::Artifact) -> Vec<PathBuf> {
    let Ok(repo) = crate::git::open(&artifact.root) else {
        return Vec::new();
    };
    let Some(scope) = artifact.git_scope(&repo) else {
        return Vec::new();
    };
    let Ok(tracked) = repo.tracked(&scope) else {
        return Vec::new();
    };
    let walked: std::collections::HashSet<&PathBuf> = artifact.files().iter().collect();
    tracked
        .iter()
        .map(|p| {
            let rel = scope.relative(p);
            tiercheck_scan::path_from_display(rel).unwrap_or_else(|| PathBuf::from(rel))
        })
        .filter(|rel| !walked.contains(rel))
        // Only what is there to read: a tracked file deleted from the work tree, or a
        // symlink, is not the walk's to report.
        .filter(|rel| std::fs::symlink_metadata(artifact.root.join(rel)).is_ok_and(|m| m.is_file()))
        .collect()
}

/// `verify --staged`: the scan of the artifact's staged blobs (those that differ from HEAD),
/// as a report over paths relative to the artifact. Nothing staged is a `skip`, never a pass.
fn staged_report(
    ctx: &Ctx<'_>,
    prompt_globs: Option<&globset::GlobSet>,
    scanner: &tiercheck_scan::Scanner,
    opts: &ScanOptions,
) -> Result<ScanReport, Outcome> {
    let error =
        |signal: &str, msg: String| Outcome::one(Status::Error, Evidence::new(KIND, signal, msg));
    let repo = crate::git::open(&ctx.artifact.root).map_err(|e| error("no-git", e.to_string()))?;
    let Some(scope) = ctx.artifact.git_scope(&repo) else {
        return Err(error(
            "no-git",
            "the artifact lies outside the repository's working tree".into(),
        ));
    };
    // A one-file artifact is looked for in its folder; `keep` takes its files alone.
    let limit = Limit {
        prefix: scope.prefix.clone(),
        file: false,
    };
    let keep =
        |p: &str| scope.contains(p) && prompt_globs.is_none_or(|g| g.is_match(limit.relative(p)));
    let scan = crate::git::scan::staged_matching(&repo, &limit, &keep, scanner, opts)
        .map_err(|e| error("git-error", e))?;
    if let Some(why) = &scan.nothing {
        return Err(Outcome::one(
            Status::Skip,
            Evidence::new(
                KIND,
                "nothing-staged",
                format!("--staged: {why} in this artifact"),
            ),
        ));
    }
    let rel = |v: Vec<(String, String)>| {
        v.into_iter()
            .map(|(p, m)| (limit.relative(&p).to_string(), m))
            .collect()
    };
    Ok(ScanReport {
        findings: scan.findings.into_iter().map(|g| g.finding).collect(),
        skipped: rel(scan.skipped),
        errors: rel(scan.errors),
        files_scanned: scan.files_scanned,
        bytes_scanned: scan.bytes_scanned,
    })
}

/// The identities of a manifest's own people (owner, sponsor, maintainers), whose emails
/// are not personal-data findings.
pub(crate) fn own_people(m: &crate::manifest::Manifest) -> Vec<String> {
    m.owner
        .iter()
        .chain(m.sponsor.iter())
        .chain(m.maintainers.iter())
        .map(|s| crate::detection::identity(&s.value))
        .collect()
}

fn outcome(cfg: &Config, report: &ScanReport, baseline: Option<&Baseline>) -> Outcome {
    let cat = cfg.category.as_str();
    let what = match cfg.category {
        Category::Secret => "secret",
        Category::Pii => "personal-data",
    };
    let files_word = match cfg.scope {
        Scope::PromptFiles => "prompt-like files",
        Scope::Tree => "files",
    };
    let findings = match baseline {
        Some(b) => b.filter(report.findings.clone()),
        None => report.findings.clone(),
    };
    let accepted = report.findings.len() - findings.len();
    let mut evidence = Vec::new();
    let mut per_file: BTreeMap<&str, (usize, u64, Vec<&str>)> = BTreeMap::new();
    for f in &findings {
        let e = per_file.entry(&f.path).or_insert((0, f.line, Vec::new()));
        e.0 += 1;
        if !e.2.contains(&f.rule_id.as_str()) {
            e.2.push(&f.rule_id);
        }
    }
    for (path, (n, line, rules)) in &per_file {
        evidence.push(
            Evidence::new(
                KIND,
                format!("{what}-found"),
                format!(
                    "{n} {cat} finding{} ({})",
                    if *n == 1 { "" } else { "s" },
                    rules.join(", ")
                ),
            )
            .at(*path, Some(*line)),
        );
    }
    for (path, msg) in &report.errors {
        evidence
            .push(Evidence::new(KIND, "unreadable", format!("cannot read: {msg}")).at(path, None));
    }
    for (path, why) in &report.skipped {
        if why != "binary" {
            evidence
                .push(Evidence::new(KIND, "skipped", format!("not scanned: {why}")).at(path, None));
        }
    }
    let status = if !findings.is_empty() {
        Status::Fail
    } else if !report.errors.is_empty() {
        Status::Error
    } else {
        Status::Pass
    };
    if report.files_scanned == 0 && report.errors.is_empty() && cfg.scope == Scope::PromptFiles {
        evidence.push(Evidence::new(
            KIND,
            "no-prompt-files",
            "no prompt-like files",
        ));
    } else {
        let mut msg = format!(
            "scanned {} {files_word} ({} bytes) for {cat}: {} finding{}",
            report.files_scanned,
            report.bytes_scanned,
            findings.len(),
            if findings.len() == 1 { "" } else { "s" }
        );
        if !per_file.is_empty() {
            msg.push_str(&format!(
                " in {} file{}",
                per_file.len(),
                if per_file.len() == 1 { "" } else { "s" }
            ));
        }
        if accepted > 0 {
            msg.push_str(&format!("; {accepted} more accepted by the baseline"));
        }
        if !report.skipped.is_empty() {
            msg.push_str(&format!("; {} skipped", report.skipped.len()));
        }
        evidence.push(Evidence::new(KIND, format!("{what}-scan"), msg));
    }
    Outcome {
        status,
        evidence,
        findings,
    }
}
