//! The checks behind requirements. Each kind of check is a module with its own typed config
//! (read from the policy's `checks:` entries), its own validation and its own tests; this
//! module holds what they share: the context they run in, their outcome and evidence, and the
//! enum that dispatches on `kind`.

mod ai_tools;
mod any_of;
pub mod ci;
mod ci_tests;
mod code_review;
mod codeowners;
pub(crate) mod content_scan;
mod dependencies;
mod dependency_scanner;
mod engineer;
mod file_contains;
mod file_exists;
mod manifest_field;
mod mcp_servers;
mod review_attestation;
mod sast;
mod signed;
mod workflow_hygiene;

use serde::{Deserialize, Serialize};

use tiercheck_scan::Finding;

use crate::artifact::Artifact;
use crate::config::Validator;
use crate::detection::Detection;

/// The status of a check or a requirement. `pass` is always good.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// The evidence shows the requirement is met.
    Pass,
    /// Not evaluated: not required at this tier, or waived.
    Skip,
    /// A recommended requirement is not met.
    Warn,
    /// The requirement could not be checked; counts as not met.
    Error,
    /// The evidence shows the requirement is not met.
    Fail,
}

impl Status {
    /// Lowercase name as in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Skip => "skip",
            Status::Warn => "warn",
            Status::Error => "error",
            Status::Fail => "fail",
        }
    }
}

/// One piece of evidence: what a check found (or did not find), and where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// The check kind that produced it.
    pub check: String,
    /// A stable short id of what was found (`owner-set`, `codeowners`, `lockfile-missing`).
    pub signal: String,
    /// The file, relative to the artifact root, when there is one.
    pub path: Option<String>,
    /// The 1-based line, when there is one.
    pub line: Option<u64>,
    /// A sentence for people.
    pub message: String,
    /// How this item bears on its requirement, when it differs from its check's outcome:
    /// a review that is current within a check that fails for want of a signature supports
    /// the requirement, and is never shown as a failure.
    #[serde(skip)]
    pub mark: Option<Status>,
}

impl Evidence {
    /// Evidence without a location.
    pub fn new(check: &str, signal: impl Into<String>, message: impl Into<String>) -> Self {
        Evidence {
            check: check.to_string(),
            signal: signal.into(),
            path: None,
            line: None,
            message: message.into(),
            mark: None,
        }
    }

    /// Marks the item as evidence that supports its requirement, whatever the check
    /// concludes.
    pub fn supporting(self) -> Self {
        self.marked(Status::Pass)
    }

    /// Marks the item with its own status.
    pub fn marked(mut self, status: Status) -> Self {
        self.mark = Some(status);
        self
    }

    /// Adds the file (and line) the evidence points at.
    pub fn at(mut self, path: impl Into<String>, line: Option<u64>) -> Self {
        self.path = Some(path.into());
        self.line = line;
        self
    }
}

/// What one check concluded.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// `pass`, `fail`, `error` or `skip`.
    pub status: Status,
    /// What was found.
    pub evidence: Vec<Evidence>,
    /// Secrets or personal data found, for the report's `findings`.
    pub findings: Vec<Finding>,
}

impl Outcome {
    /// An outcome with one piece of evidence.
    pub fn one(status: Status, evidence: Evidence) -> Self {
        Outcome {
            status,
            evidence: vec![evidence],
            findings: Vec::new(),
        }
    }
}

/// What a check can see: the artifact, the tier, the date, and what the policy tells the
/// checks (never its requirements: a check does not know why it runs).
pub struct Ctx<'a> {
    /// The policy's detection data and the scanner's rules.
    pub detection: Detection<'a>,
    /// The artifact under check.
    pub artifact: &'a Artifact,
    /// The tier being verified.
    pub tier: &'a str,
    /// Today's date (YYYY-MM-DD), fixed per run.
    pub today: chrono::NaiveDate,
}

/// One entry of a requirement's `checks:` list, by `kind`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum CheckSpec {
    /// A manifest field is set (and optionally matches a pattern).
    ManifestField(manifest_field::Config),
    /// Some file matches one of a list of globs.
    FileExists(file_exists::Config),
    /// Some file matching the globs contains a regex.
    FileContains(file_contains::Config),
    /// A manifest field names an engineer.
    Engineer(engineer::Config),
    /// Passes when any of its checks passes; may apply only at some tiers.
    AnyOf(any_of::Config),
    /// A review of the current content is recorded.
    ReviewAttestation(review_attestation::Config),
    /// An engineer other than the author reviewed the code.
    CodeReview(code_review::Config),
    /// Secret or personal-data scanning of prompt-like files or the whole tree.
    ContentScan(content_scan::Config),
    /// AI assistant footprints against the approved list.
    AiTools(ai_tools::Config),
    /// MCP server configurations.
    McpServers(mcp_servers::Config),
    /// A SAST tool and a secret scanner are wired into CI or pre-commit.
    Sast(sast::Config),
    /// Every dependency manifest has its lockfile.
    Dependencies(dependencies::Config),
    /// A dependency scanner or updater is configured.
    DependencyScanner(dependency_scanner::Config),
    /// CI runs the tests.
    CiTests(ci_tests::Config),
    /// CI workflows follow hardening practice.
    WorkflowHygiene(workflow_hygiene::Config),
    /// A CODEOWNERS file exists and every line of it is well-formed.
    Codeowners(codeowners::Config),
}

impl CheckSpec {
    /// The kind as written in the policy (`manifest-field`, ...).
    pub fn kind(&self) -> &'static str {
        match self {
            CheckSpec::ManifestField(_) => "manifest-field",
            CheckSpec::FileExists(_) => "file-exists",
            CheckSpec::FileContains(_) => "file-contains",
            CheckSpec::Engineer(_) => "engineer",
            CheckSpec::AnyOf(_) => "any-of",
            CheckSpec::ReviewAttestation(_) => "review-attestation",
            CheckSpec::CodeReview(_) => "code-review",
            CheckSpec::ContentScan(_) => "content-scan",
            CheckSpec::AiTools(_) => "ai-tools",
            CheckSpec::McpServers(_) => "mcp-servers",
            CheckSpec::Sast(_) => "sast",
            CheckSpec::Dependencies(_) => "dependencies",
            CheckSpec::DependencyScanner(_) => "dependency-scanner",
            CheckSpec::CiTests(_) => "ci-tests",
            CheckSpec::WorkflowHygiene(_) => "workflow-hygiene",
            CheckSpec::Codeowners(_) => "codeowners",
        }
    }

    /// Validates the check's config against the policy, recording problems in `v`.
    pub fn validate(&self, v: &mut Validator<'_>, origin: usize, owner: &str) {
        match self {
            CheckSpec::ManifestField(c) => c.validate(v, origin, owner),
            CheckSpec::FileExists(c) => c.validate(v, origin, owner),
            CheckSpec::FileContains(c) => c.validate(v, origin, owner),
            CheckSpec::Engineer(c) => c.validate(v, origin, owner),
            CheckSpec::AnyOf(c) => c.validate(v, origin, owner),
            CheckSpec::ReviewAttestation(c) => c.validate(v, origin, owner),
            CheckSpec::CodeReview(c) => c.validate(v, origin, owner),
            CheckSpec::AiTools(c) => c.validate(v, origin, owner),
            CheckSpec::McpServers(c) => c.validate(v, origin, owner),
            CheckSpec::Sast(c) => c.validate(v, origin, owner),
            CheckSpec::Dependencies(c) => c.validate(v, origin, owner),
            CheckSpec::DependencyScanner(c) => c.validate(v, origin, owner),
            CheckSpec::CiTests(c) => c.validate(v, origin, owner),
            CheckSpec::WorkflowHygiene(c) => c.validate(v, origin, owner),
            CheckSpec::Codeowners(c) => c.validate(v, origin, owner),
            CheckSpec::ContentScan(c) => c.validate(v, origin, owner),
        }
    }

    /// Runs the check.
    pub fn run(&self, ctx: &Ctx<'_>) -> Outcome {
        match self {
            CheckSpec::ManifestField(c) => c.run(ctx),
            CheckSpec::FileExists(c) => c.run(ctx),
            CheckSpec::FileContains(c) => c.run(ctx),
            CheckSpec::Engineer(c) => c.run(ctx),
            CheckSpec::AnyOf(c) => c.run(ctx),
            CheckSpec::ReviewAttestation(c) => c.run(ctx),
            CheckSpec::CodeReview(c) => c.run(ctx),
            CheckSpec::AiTools(c) => c.run(ctx),
            CheckSpec::McpServers(c) => c.run(ctx),
            CheckSpec::Sast(c) => c.run(ctx),
            CheckSpec::Dependencies(c) => c.run(ctx),
            CheckSpec::DependencyScanner(c) => c.run(ctx),
            CheckSpec::CiTests(c) => c.run(ctx),
            CheckSpec::WorkflowHygiene(c) => c.run(ctx),
            CheckSpec::Codeowners(c) => c.run(ctx),
            CheckSpec::ContentScan(c) => c.run(ctx),
        }
    }
}

/// Combines the statuses of a requirement's checks: any failure fails, else any error is an
/// error, else it passes (checks that were skipped do not count; all skipped is a skip).
pub fn combine(statuses: impl IntoIterator<Item = Status>) -> Status {
    // Skipped until a check says otherwise: a requirement whose every check was skipped
    // (nothing staged, say) is `skip`, never a silent `pass`.
    let mut worst = Status::Skip;
    for s in statuses {
        worst = match (worst, s) {
            (Status::Skip, s) => s,
            (_, Status::Fail) | (Status::Fail, _) => Status::Fail,
            (_, Status::Error) | (Status::Error, _) => Status::Error,
            (w, _) => w,
        };
    }
    worst
}

/// Runs one check, written as a policy `checks:` entry, on a folder with the default policy.
#[cfg(test)]
pub(crate) fn run_yaml(dir: &std::path::Path, spec: &str) -> Outcome {
    let policy = crate::policy::load_default().expect("default policy");
    let rules = policy.scan_rules();
    let spec: CheckSpec = serde_saphyr::from_str(spec).expect("check spec");
    let art = Artifact::new(dir, None, Vec::new());
    let ctx = Ctx {
        detection: policy.detection(&rules),
        artifact: &art,
        tier: "T4",
        today: chrono::NaiveDate::from_ymd_opt(2026, 1, 1).expect("date"),
    };
    spec.run(&ctx)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_outranks_error_outranks_pass() {
        assert_eq!(combine([Status::Pass, Status::Skip]), Status::Pass);
        assert_eq!(combine([Status::Skip, Status::Skip]), Status::Skip);
        assert_eq!(combine([Status::Skip, Status::Error]), Status::Error);
        assert_eq!(combine([Status::Pass, Status::Error]), Status::Error);
        assert_eq!(
            combine([Status::Error, Status::Fail, Status::Pass]),
            Status::Fail
        );
    }
}
