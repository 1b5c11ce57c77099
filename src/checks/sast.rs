//! `sast`: a static analysis tool runs in CI or pre-commit (or is configured for a service
//! such as Sonar), and, as separate evidence, a secret scanner. Which tools count is the
//! policy's `tools:` list, by category.
//!
//! A missing secret scanner fails only with `require_secret_scanner: true`: the default
//! policy proves the secret half of `sast-secret-detection` with the `content-scan` check
//! (the tree is free of secrets), so a scanner in CI is reported, not demanded.

use serde::{Deserialize, Serialize};

use super::ci;
use super::{Ctx, Evidence, Outcome, Status};
use crate::config::Validator;
use crate::detection::ToolDef;

const KIND: &str = "sast";

/// Settings of `sast`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Tool categories that count as SAST (`sast`).
    pub categories: Vec<String>,
    /// Tool categories that count as secret scanners (`secret-scanner`).
    #[serde(default)]
    pub secret_categories: Vec<String>,
    /// Fail when no secret scanner is found (default: report only).
    #[serde(default)]
    pub require_secret_scanner: bool,
}

impl Config {
    pub(super) fn validate(&self, _v: &mut Validator<'_>, _origin: usize, _owner: &str) {}

    pub(super) fn run(&self, ctx: &Ctx<'_>) -> Outcome {
        let is_sast = |t: &ToolDef| t.category.iter().any(|c| self.categories.contains(c));
        let is_secret_scanner = |t: &ToolDef| {
            t.category
                .iter()
                .any(|c| self.secret_categories.contains(c))
                && !is_sast(t)
        };
        let sast = ci::detect(ctx, KIND, is_sast);
        let secrets = ci::detect(ctx, KIND, is_secret_scanner);
        let mut ev: Vec<Evidence> = Vec::new();
        let mut status = Status::Pass;
        if sast.is_empty() {
            status = Status::Fail;
            ev.push(Evidence::new(
                KIND,
                "sast-missing",
                format!(
                    "no SAST tool runs in CI or pre-commit ({})",
                    ci::known(ctx, is_sast)
                ),
            ));
        }
        ev.extend(sast.into_iter().map(|d| d.evidence.supporting()));
        if secrets.is_empty() {
            let mark = if self.require_secret_scanner {
                status = Status::Fail;
                Status::Fail
            } else {
                Status::Warn
            };
            ev.push(
                Evidence::new(
                    KIND,
                    "secret-scanner-missing",
                    format!(
                        "no secret scanner runs in CI or pre-commit ({})",
                        ci::known(ctx, is_secret_scanner)
                    ),
                )
                .marked(mark),
            );
        }
        ev.extend(secrets.into_iter().map(|d| d.evidence.supporting()));
        ev.extend(ci::index(ctx).unreadable_as(KIND));
        Outcome {
            status,
            evidence: ev,
            findings: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: &str = "kind: sast\ncategories: [sast]\nsecret_categories: [secret-scanner]\n";

    #[test]
    fn sast_needed_secret_scanner_reported() {
        let dir = tempfile::tempdir().unwrap();
        let o = crate::checks::run_yaml(dir.path(), SPEC);
        assert_eq!(o.status, Status::Fail);
        std::fs::create_dir_all(dir.path().join(".github/workflows")).unwrap();
        std::fs::write(
            dir.path().join(".github/workflows/sec.yml"),
            "on: push\njobs:\n  s:\n    runs-on: ubuntu-latest\n    steps:\n      - run: pip install semgrep && semgrep ci\n",
        )
        .unwrap();
        let o = crate::checks::run_yaml(dir.path(), SPEC);
        assert_eq!(o.status, Status::Pass);
        assert!(
            o.evidence
                .iter()
                .any(|e| e.signal == "semgrep" && e.line == Some(6))
        );
        assert!(
            o.evidence
                .iter()
                .any(|e| e.signal == "secret-scanner-missing")
        );
        let strict = format!("{SPEC}require_secret_scanner: true\n");
        assert_eq!(
            crate::checks::run_yaml(dir.path(), &strict).status,
            Status::Fail
        );
    }
}
