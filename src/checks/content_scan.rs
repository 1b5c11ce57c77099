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
        let opts = ScanOptions {
            category: Some(self.category),
            ignore_values: own_people(m),
            ..ScanOptions::default()
        };
        let report = if ctx.artifact.staged {
            match staged_report(ctx, prompt_globs.as_ref(), &scanner, &opts) {
                Ok(r) => Arc::new(r),
                Err(o) => return o,
            }
        } else {
            let files: Vec<PathBuf> = match &prompt_globs {
                None => ctx.artifact.files().to_vec(),
                Some(set) => ctx
                    .artifact
                    .files()
                    .iter()
                    .filter(|f| set.is_match(f))
                    .cloned()
                    .collect(),
            };
            ctx.artifact
                .scans
                .get_or_scan(self.scope.as_str(), self.category, || {
                    let mut report = scanner.scan_files(&ctx.artifact.root, &files, &opts);
                    // What the walk could not read was not scanned either.
                    report
                        .errors
                        .extend(ctx.artifact.walk_errors().iter().cloned());
                    report.errors.sort();
                    report
                })
        };
        let baseline = match (&ctx.artifact.manifest, &m.baseline) {
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
        outcome(self, &report, baseline.as_ref())
    }
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
    let limit = Limit {
        prefix: scope.only.clone().unwrap_or_else(|| scope.prefix.clone()),
        file: scope.only.is_some(),
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
