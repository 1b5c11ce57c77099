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
use crate::policy::Validator;

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
        let sast = ci::detect(ctx, KIND, |t| {
            t.category.iter().any(|c| self.categories.contains(c))
        });
        let secrets = ci::detect(ctx, KIND, |t| {
            t.category
                .iter()
                .any(|c| self.secret_categories.contains(c))
                && !t.category.iter().any(|c| self.categories.contains(c))
        });
        let mut ev: Vec<Evidence> = Vec::new();
        let mut status = Status::Pass;
        if sast.is_empty() {
            status = Status::Fail;
            ev.push(Evidence::new(
                KIND,
                "sast-missing",
                "no SAST tool runs in CI or pre-commit (CodeQL, Semgrep, Bandit, gosec, clippy with `-D warnings`, ESLint security plugins, Sonar, ...)",
            ));
        }
        ev.extend(sast.into_iter().map(|d| d.evidence));
        if secrets.is_empty() {
            if self.require_secret_scanner {
                status = Status::Fail;
            }
            ev.push(Evidence::new(
                KIND,
                "secret-scanner-missing",
                "no secret scanner runs in CI or pre-commit (tiercheck scan, gitleaks, trufflehog, detect-secrets, ...)",
            ));
        }
        ev.extend(secrets.into_iter().map(|d| d.evidence));
        ev.extend(ci::index(ctx).unreadable.iter().cloned().map(|mut e| {
            e.check = KIND.to_string();
            e
        }));
        Outcome {
            status,
            evidence: ev,
            findings: Vec::new(),
        }
    }
}
