//! Evaluation: runs each requirement's checks on an artifact at a tier, applies levels and
//! waivers, and produces the artifact's report.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::artifact::Artifact;
use tiercheck_scan::Finding;

use crate::checks::{Ctx, Evidence, Status, combine};
use crate::detection::identity;
use crate::policy::{Approvers, Level, Policy, RequirementDef};

/// The result of one requirement.
#[derive(Debug, Clone, Serialize)]
pub struct RequirementResult {
    /// Requirement id.
    pub id: String,
    /// Its title.
    pub title: String,
    /// Its level at the evaluated tier.
    pub level: Level,
    /// The outcome.
    pub status: Status,
    /// What the checks found.
    pub evidence: Vec<Evidence>,
    /// The status of the check (or waiver) behind each evidence item, in the same order; the
    /// table marks each line with it.
    #[serde(skip)]
    pub evidence_status: Vec<Status>,
    /// What to do, when the requirement is not met.
    pub remediation: Option<String>,
    /// What the requirement asks for (the policy's description), for rule metadata.
    #[serde(skip)]
    pub description: String,
    /// How to meet it, whatever its status (the policy's remediation), for rule metadata
    /// that stays the same from run to run.
    #[serde(skip)]
    pub fix: String,
}

/// How the tier was decided.
#[derive(Debug, Clone, Serialize)]
pub struct TierDecision {
    /// The tier evaluated.
    pub tier: String,
    /// A sentence on why.
    pub reason: String,
    /// The tier declared in the manifest (or `--tier`), if any.
    pub declared: Option<String>,
    /// The tier the answers imply, if answered.
    pub classified: Option<String>,
    /// True when the declared tier is lower than the answers imply.
    pub under_classified: bool,
    /// True when the data answer given is lower than what the files hold.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub data_under_classified: bool,
    /// What the artifact's files show about the data it touches, per file and kind.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub data: Vec<DataFound>,
    /// Evidence that the output reaches further than the audience answer says.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub audience: Vec<AudienceFound>,
}

/// One piece of evidence about who the output reaches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AudienceFound {
    /// `public-remote`, `publishable-package`, `publish-step`.
    pub signal: String,
    /// The least answer it implies.
    pub answer: String,
    /// A sentence for people.
    pub message: String,
    /// Where, relative to the artifact, when in a file.
    pub path: Option<String>,
    pub line: Option<u64>,
}

/// Data of one kind found in one file of the artifact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DataFound {
    /// The least answer it implies (`personal`).
    pub answer: String,
    /// Lower answers that also account for it (`customer`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub also: Vec<String>,
    /// What it is, counted (`3 e-mail addresses`).
    pub what: String,
    /// The file, relative to the artifact.
    pub path: String,
    /// How many findings of that kind the file holds.
    pub count: usize,
    /// The first one: its line, rule and redacted form.
    pub line: u64,
    pub rule_id: String,
    pub redacted: String,
}

/// Everything tiercheck concluded about one artifact.
#[derive(Debug, Clone, Serialize)]
pub struct ArtifactReport {
    /// The artifact's folder (or file), as the user named it.
    pub path: String,
    /// The governing manifest, if any.
    pub manifest: Option<String>,
    /// The artifact's folder as shown (its file's folder for a one-file artifact): evidence
    /// and finding paths are relative to it.
    #[serde(skip)]
    pub folder: String,
    /// For a one-file artifact: the other files shipped with it (those its manifest lists
    /// and those the file names), relative to its folder.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ships_with: Vec<String>,
    /// The evaluated tier id.
    pub tier: String,
    /// The evaluated tier's name.
    pub tier_name: String,
    /// Why this tier.
    pub reason: String,
    /// The declared and classified tiers.
    pub classification: TierDecision,
    /// True when every required requirement passes (and, with `--strict`, every recommended
    /// one) and the manifest is not under-classified.
    pub passed: bool,
    /// One result per requirement, in policy order.
    pub requirements: Vec<RequirementResult>,
    /// Secrets and personal data found.
    pub findings: Vec<Finding>,
    /// The description of each rule behind a finding, by rule id, for rule metadata.
    #[serde(skip)]
    pub rule_descriptions: BTreeMap<String, String>,
    /// The policy files applied, in order (the built-in policy first when extended).
    pub policy: Vec<PolicyFile>,
    /// Whether `--trust-repo` lifted the policy's limits on what the repository may
    /// suppress or waive.
    pub trust_repo: bool,
    /// Why the artifact could not be checked at all (its manifest does not load); it then
    /// has no tier and no requirements, and fails.
    pub error: Option<String>,
}

impl ArtifactReport {
    /// The report of an artifact whose manifest could not be loaded: an error in the report,
    /// beside the artifacts that could be checked.
    pub fn broken(policy: &Policy, path: String, manifest: String, error: String) -> Self {
        ArtifactReport {
            folder: path.clone(),
            path,
            manifest: Some(manifest),
            ships_with: Vec::new(),
            tier: String::new(),
            tier_name: String::new(),
            reason: "its manifest could not be read, so nothing was checked".into(),
            classification: TierDecision {
                tier: String::new(),
                reason: String::new(),
                declared: None,
                classified: None,
                under_classified: false,
                data_under_classified: false,
                data: Vec::new(),
                audience: Vec::new(),
            },
            passed: false,
            requirements: Vec::new(),
            findings: Vec::new(),
            rule_descriptions: BTreeMap::new(),
            policy: PolicyFile::of(policy),
            trust_repo: policy.trust_repo,
            error: Some(error),
        }
    }
}

/// A policy file that was applied, and the digest of its text.
#[derive(Debug, Clone, Serialize)]
pub struct PolicyFile {
    /// Its path as given (`<built-in>/policies/default.yaml` for the embedded one).
    pub path: String,
    /// `sha256:` and the hex digest of its text.
    pub sha256: String,
}

impl PolicyFile {
    /// The files `policy` was read from, in the order they were applied.
    pub fn of(policy: &Policy) -> Vec<PolicyFile> {
        use sha2::Digest;
        policy
            .sources
            .iter()
            .map(|s| PolicyFile {
                path: s.path.display().to_string(),
                sha256: format!(
                    "sha256:{}",
                    sha2::Sha256::digest(s.text.as_bytes())
                        .iter()
                        .map(|b| format!("{b:02x}"))
                        .collect::<String>()
                ),
            })
            .collect()
    }

    /// `path (sha256:1234abcd…)`, for people.
    pub fn short(&self) -> String {
        let hex: String = self
            .sha256
            .trim_start_matches("sha256:")
            .chars()
            .take(12)
            .collect();
        format!("{} (sha256:{hex}…)", self.path)
    }
}

/// Evaluates every requirement of `policy` on `artifact` at `decision.tier`.
pub fn evaluate(
    policy: &Policy,
    artifact: &Artifact,
    decision: TierDecision,
    display_path: String,
    strict: bool,
    today: chrono::NaiveDate,
) -> ArtifactReport {
    let tier = decision.tier.clone();
    let rules = policy.scan_rules();
    let ctx = Ctx {
        detection: policy.detection(&rules),
        artifact,
        tier: &tier,
        today,
    };
    let mut findings = Vec::new();
    let mut requirements: Vec<RequirementResult> = policy
        .requirements
        .iter()
        .map(|req| evaluate_requirement(policy, req, &ctx, &mut findings))
        .collect();
    findings.sort_by(|a, b| {
        (&a.path, a.line, a.column, &a.rule_id).cmp(&(&b.path, b.line, b.column, &b.rule_id))
    });
    // The policy's fix texts name the artifact's own manifest and path.
    let (manifest_name, path_arg) = (
        artifact.manifest_name(),
        crate::artifact::shell_word(&display_path),
    );
    for r in &mut requirements {
        let fill = |t: &str| {
            t.replace("{manifest}", &manifest_name)
                .replace("{path}", &path_arg)
        };
        if let Some(fix) = &mut r.remediation {
            *fix = fill(fix);
        }
        r.fix = fill(&r.fix);
    }
    // One value at one place is one finding, whichever checks found it.
    findings.dedup_by(|a, b| {
        (&a.path, a.line, a.column, &a.rule_id) == (&b.path, b.line, b.column, &b.rule_id)
    });
    let passed = !decision.under_classified
        && requirements.iter().all(|r| match r.level {
            Level::Required => matches!(r.status, Status::Pass | Status::Skip),
            Level::Recommended => !strict || matches!(r.status, Status::Pass | Status::Skip),
            Level::NotRequired => true,
        });
    let mut report = ArtifactReport {
        path: display_path,
        manifest: artifact
            .manifest
            .as_ref()
            .map(|m| crate::artifact::shown(&m.path)),
        folder: crate::artifact::shown(&artifact.root),
        ships_with: artifact
            .companions()
            .iter()
            .map(|p| Artifact::display(p))
            .collect(),
        tier_name: policy
            .tier(&tier)
            .map(|t| t.name.clone())
            .unwrap_or_default(),
        tier,
        reason: decision.reason.clone(),
        classification: decision,
        passed,
        requirements,
        rule_descriptions: policy
            .rules
            .iter()
            .filter(|r| findings.iter().any(|f| f.rule_id == r.id.value))
            .map(|r| (r.id.value.clone(), r.description.trim().to_string()))
            .collect(),
        findings,
        policy: PolicyFile::of(policy),
        trust_repo: policy.trust_repo,
        error: None,
    };
    // Whatever the repository wrote (file names, commit subjects and authors, manifest
    // values, lines of its files) reaches the report through the evidence: a value a rule
    // would report is shown redacted there too, in every format.
    if let Ok(scanner) = artifact.scans.scanner(&rules) {
        redact_report(&mut report, &scanner);
    }
    report
}

/// Replaces every value a rule would report, in the report's repository-derived text, by
/// its redacted form.
fn redact_report(report: &mut ArtifactReport, scanner: &tiercheck_scan::Scanner) {
    let hide = |s: &mut String| scanner.redact_in_place(s);
    hide(&mut report.path);
    hide(&mut report.folder);
    for f in &mut report.ships_with {
        hide(f);
    }
    hide(&mut report.reason);
    hide(&mut report.classification.reason);
    for d in &mut report.classification.data {
        hide(&mut d.path);
    }
    for a in &mut report.classification.audience {
        hide(&mut a.message);
        if let Some(p) = &mut a.path {
            hide(p);
        }
    }
    if let Some(m) = &mut report.manifest {
        hide(m);
    }
    for r in &mut report.requirements {
        for e in &mut r.evidence {
            hide(&mut e.message);
            // A signal may carry a name from the repository (`mcp-server:<name>`).
            hide(&mut e.signal);
            if let Some(p) = &mut e.path {
                hide(p);
            }
        }
    }
    scanner.redact_paths(&mut report.findings);
}

fn evaluate_requirement(
    policy: &Policy,
    req: &RequirementDef,
    ctx: &Ctx<'_>,
    findings: &mut Vec<Finding>,
) -> RequirementResult {
    let level = policy.level(req, ctx.tier);
    let mut result = RequirementResult {
        id: req.id.value.clone(),
        title: req.title.clone(),
        level,
        status: Status::Skip,
        evidence: Vec::new(),
        evidence_status: Vec::new(),
        remediation: None,
        description: req.description.trim().to_string(),
        fix: req.remediation.trim().to_string(),
    };
    if level == Level::NotRequired {
        return result;
    }
    let mut statuses = Vec::new();
    for check in &req.checks {
        let mut o = check.run(ctx);
        // What the policy says cannot exist yet at commit time (`at_commit: warn`, such as
        // the review of what is being committed) warns there; `verify` without --pre-commit
        // still requires it.
        if ctx.artifact.pre_commit
            && req.at_commit == crate::policy::AtCommit::Warn
            && matches!(o.status, Status::Fail | Status::Error)
        {
            for e in &mut o.evidence {
                e.mark.get_or_insert(Status::Warn);
            }
            o.evidence.push(
                crate::checks::Evidence::new(
                    check.kind(),
                    "checked-when-shared",
                    "--pre-commit: the policy checks this when the code is shared (`tiercheck verify`), not at each commit (`at_commit: warn`)",
                )
                .marked(Status::Warn),
            );
            o.status = Status::Pass;
        }
        statuses.push(o.status);
        for e in o.evidence {
            // Checks that read the same files report the same unreadable file alike; say it
            // once per requirement.
            let seen = result.evidence.iter().any(|x| {
                (&x.signal, &x.path, x.line, &x.message) == (&e.signal, &e.path, e.line, &e.message)
            });
            if !seen {
                result.evidence_status.push(e.mark.unwrap_or(o.status));
                result.evidence.push(e);
            }
        }
        findings.extend(o.findings);
    }
    let mut status = combine(statuses);
    let waiver = ctx
        .artifact
        .manifest()
        .waivers
        .iter()
        .find(|w| w.requirement.value == req.id.value);
    if let Some(w) = waiver {
        let expires = chrono::NaiveDate::parse_from_str(&w.expires.value, "%Y-%m-%d").ok();
        let line = Some(w.requirement.referenced.line());
        let name = ctx.artifact.manifest_name();
        let at = |e: Evidence| e.at(&name, line);
        // The policy, not the manifest, decides whether this waiver may count.
        if status != Status::Pass
            && let Some(why) = refused(policy, ctx, w, expires)
        {
            result.evidence_status.push(Status::Fail);
            result
                .evidence
                .push(at(Evidence::new("waiver", "waiver-refused", why)));
            return finish(req, level, status, result);
        }
        let waiver_status = match (status, expires) {
            (Status::Pass, _) => Status::Warn,
            (_, Some(day)) if day >= ctx.today => Status::Skip,
            _ => Status::Fail,
        };
        result.evidence_status.push(waiver_status);
        match (status, expires) {
            (Status::Pass, _) => result.evidence.push(at(Evidence::new(
                "waiver",
                "waiver-unused",
                "the requirement passes without its waiver; remove the waiver",
            ))),
            (_, Some(day)) if day >= ctx.today => {
                status = Status::Skip;
                result.evidence.push(at(Evidence::new(
                    "waiver",
                    "waived",
                    format!(
                        "waived until {} by {}: {}",
                        w.expires.value, w.approved_by, w.reason
                    ),
                )));
            }
            _ => {
                status = Status::Fail;
                result.evidence.push(at(Evidence::new(
                    "waiver",
                    "waiver-expired",
                    format!(
                        "the waiver approved by {} expired on {}",
                        w.approved_by, w.expires.value
                    ),
                )));
            }
        }
    }
    finish(req, level, status, result)
}

/// Sets a requirement's final status (a failed recommended one is a warning) and its
/// remediation when it is not met.
fn finish(
    req: &RequirementDef,
    level: Level,
    mut status: Status,
    mut result: RequirementResult,
) -> RequirementResult {
    if level == Level::Recommended && status == Status::Fail {
        status = Status::Warn;
    }
    if !matches!(status, Status::Pass | Status::Skip) {
        result.remediation = Some(req.remediation.trim().to_string());
    }
    result.status = status;
    result
}

/// Why the policy's waiver rules do not let `w` skip its requirement, if they do not.
fn refused(
    policy: &Policy,
    ctx: &Ctx<'_>,
    w: &crate::manifest::Waiver,
    expires: Option<chrono::NaiveDate>,
) -> Option<String> {
    let rules = policy.waivers.as_ref()?;
    let req = &w.requirement.value;
    if rules
        .not_waivable
        .get(ctx.tier)
        .is_some_and(|l| l.iter().any(|r| &r.value == req))
    {
        return Some(format!(
            "the policy lets no waiver skip `{req}` at {}; the requirement must be met",
            ctx.tier
        ));
    }
    if rules.approvers == Approvers::Engineers {
        let engineers = policy.engineers.clone().unwrap_or_default();
        if engineers.is_empty() {
            return Some(format!(
                "the waiver approved by {} does not count: waivers must be approved by an engineer of the policy, and the policy names none (a company policy lists them under `engineers:`)",
                w.approved_by
            ));
        }
        if !engineers.matches(&w.approved_by) {
            return Some(format!(
                "the waiver does not count: {} is not an engineer under the policy, and only an engineer may approve a waiver",
                w.approved_by
            ));
        }
        let owner = ctx
            .artifact
            .manifest()
            .owner
            .as_ref()
            .map(|o| identity(&o.value));
        if owner.is_some_and(|o| o == identity(&w.approved_by)) {
            return Some(format!(
                "the waiver does not count: {} owns the artifact and cannot approve its own waiver",
                w.approved_by
            ));
        }
    }
    if let (Some(max), Some(day)) = (&rules.max_days, expires)
        && (day - ctx.today).num_days() > i64::from(max.value)
    {
        return Some(format!(
            "the waiver runs until {}, longer than the {} days the policy allows; approve it again with a nearer expiry",
            w.expires.value, max.value
        ));
    }
    None
}
