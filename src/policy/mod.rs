//! The policy: tiers, classification questions and rules, requirements and the checks behind
//! them, and the detection data the checks and the scanner read. Parsed strictly from YAML
//! (`load`), layered with `extends: default`, then validated once (`validate`) so the rest
//! of the program can trust it. The policy is the one place that knows both the tiers and
//! the checks: it maps its YAML onto the checks' configs ([`CheckSpec`]), the detection
//! view they read ([`Detection`]) and the scanning engine's rules ([`RuleSet`]).

mod detection;
mod load;
mod rules;
mod validate;

pub use load::{DEFAULT_POLICY, load_default, load_file, load_text};
pub use rules::{AllowlistDef, NearDef, Pattern, RuleDef};

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use tiercheck_scan::RuleSet;

use crate::checks::CheckSpec;
use crate::config::{Source, Sp};
use crate::detection::{
    AiTools, CiFileDef, Detection, EcosystemDef, Engineers, Signatures, Suppressions, ToolDef,
};

/// How much a requirement matters at a tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Must pass; a failure sets exit code 1.
    Required,
    /// Should pass; a failure is a warning (exit code 1 only with `--strict`).
    Recommended,
    /// Not evaluated at this tier.
    NotRequired,
}

impl Level {
    /// The mark used in the matrix: ✓ required, ! recommended, – not required.
    pub fn mark(self) -> &'static str {
        match self {
            Level::Required => "✓",
            Level::Recommended => "!",
            Level::NotRequired => "–",
        }
    }
}

/// A policy as written in YAML (and, after `load`, merged with what it extends).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Format version of the policy file; 1.
    pub version: u32,
    /// `default` to start from the embedded default policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extends: Option<Sp<String>>,
    /// Tiers from least to most demanding.
    #[serde(default)]
    pub tiers: Vec<TierDef>,
    /// The classification questionnaire.
    #[serde(default)]
    pub questions: Vec<Question>,
    /// Rules from answers to tier; the first that matches wins.
    #[serde(default)]
    pub classification: Vec<Rule>,
    /// Who counts as an engineer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engineers: Option<Engineers>,
    /// The requirements and the checks behind them.
    #[serde(default)]
    pub requirements: Vec<RequirementDef>,
    /// At which tiers the repository's allow markers and ignore files may hide findings
    /// from `verify`; absent: at every tier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suppressions: Option<Suppressions>,
    /// What a manifest's waivers may do; absent: any waiver counts until it expires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waivers: Option<WaiverRules>,
    /// Signed reviews and commits: the allowed signers, and at which tiers claims count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signatures: Option<Signatures>,
    /// What the findings in an artifact's files imply about the data it touches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_evidence: Option<DataEvidence>,
    /// Evidence that the output reaches further than the audience declared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audience_evidence: Option<AudienceEvidence>,
    /// Where CI and hook configuration lives and how to read it.
    #[serde(default)]
    pub ci_files: Vec<CiFileDef>,
    /// Package ecosystems: manifests, lockfiles, test commands.
    #[serde(default)]
    pub ecosystems: Vec<EcosystemDef>,
    /// Globs of vendored and installed dependency trees that are not the artifact's own
    /// manifests (`**/node_modules/**`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendored: Option<Vec<Sp<String>>>,
    /// Tools CI or pre-commit may run (SAST, secret and dependency scanners).
    #[serde(default)]
    pub tools: Vec<ToolDef>,
    /// AI assistants, their footprints, and which are approved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ai_tools: Option<AiTools>,
    /// Globs of prompt-like files (prompts, AI instructions, chat histories, MCP configs,
    /// notebooks) that the `prompt-files` scope of `content-scan` scans.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt_files: Option<Vec<Sp<String>>>,
    /// Secret and personal-data rules.
    #[serde(default)]
    pub rules: Vec<RuleDef>,
    /// Values and paths no rule reports.
    #[serde(default)]
    pub allowlist: AllowlistDef,
    /// `--trust-repo`: the limits of `suppressions` and `waivers` were lifted for this run,
    /// which every report then says.
    #[serde(skip)]
    pub trust_repo: bool,
    /// Which loaded file `prompt_files` came from.
    #[serde(skip)]
    pub prompt_files_origin: usize,
    /// Which loaded file each item came from (index into the loader's sources).
    #[serde(skip)]
    pub sources: Vec<Source>,
}

/// One tier.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TierDef {
    /// Short id such as `T3`.
    pub id: Sp<String>,
    /// Human name such as `External/Shared`.
    pub name: String,
    /// One sentence on what belongs in this tier.
    #[serde(default)]
    pub description: String,
    #[serde(skip)]
    pub origin: usize,
}

/// One classification question.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    /// Id used in the manifest and on the command line (`audience`, `data`).
    pub id: Sp<String>,
    /// The question as asked interactively.
    pub prompt: String,
    /// The possible answers.
    pub answers: Vec<Answer>,
    #[serde(skip)]
    pub origin: usize,
}

/// One answer to a question.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Answer {
    /// Id as written in the manifest.
    pub id: Sp<String>,
    /// Human label shown in the questionnaire.
    pub label: String,
    /// One line of help shown beside the label.
    #[serde(default)]
    pub help: String,
}

/// A classification rule.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Stable id; a policy that extends another replaces a rule by giving its id again.
    pub id: Sp<String>,
    /// Why the rule exists, shown in the classification reason.
    pub description: String,
    /// Question id → answers that match. Every named question must match.
    #[serde(default)]
    pub when: BTreeMap<String, Vec<Sp<String>>>,
    /// The tier this rule assigns.
    pub tier: Sp<String>,
    #[serde(skip)]
    pub origin: usize,
}

/// What the findings in an artifact's files imply about an answer (the data it touches):
/// a finding of a listed category or rule implies at least that answer, so a lower one is
/// under-classified.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataEvidence {
    /// The question the findings answer (`data`).
    pub question: Sp<String>,
    /// The first entry matching a finding decides what it implies and how it is counted.
    pub implies: Vec<Implication>,
    #[serde(skip)]
    pub origin: usize,
}

/// Evidence that an artifact's output reaches further than the audience answer says: a git
/// remote on a public host, a package set up to be published, a CI step that publishes.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AudienceEvidence {
    /// The question the evidence answers (`audience`).
    pub question: Sp<String>,
    /// The least answer the evidence implies (`public`).
    pub answer: Sp<String>,
    /// `true`: a lower answer is under-classified; `false` (default): each piece of evidence
    /// is a warning in the report.
    #[serde(default)]
    pub under_classify: bool,
    /// Hosts of public code hosting (`github.com`); a git remote on one is evidence.
    #[serde(default)]
    pub remote_hosts: Vec<String>,
    /// Package manifests set up to be published (package.json without `"private": true`,
    /// Cargo.toml without `publish = false`) are evidence.
    #[serde(default)]
    pub packages: bool,
    /// Regexes over CI and hook commands that publish (`\bnpm publish\b`).
    #[serde(default)]
    pub publish_commands: Vec<Sp<String>>,
    #[serde(skip)]
    pub origin: usize,
}

/// What one kind of finding implies.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Implication {
    /// Findings of this category (`secret`, `pii`) …
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<tiercheck_scan::Category>,
    /// … or of these rules (globs over rule ids); both given: both must match.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<Sp<String>>,
    /// The least answer such a finding implies.
    pub answer: Sp<String>,
    /// Lower answers that also account for it: people's e-mail addresses are personal data,
    /// and an honest `customer` answer covers a customer list too.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub also: Vec<Sp<String>>,
    /// How one is named in reports (`e-mail address`).
    pub noun: String,
    /// How several are named; the noun and an `s` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plural: Option<String>,
}

/// What the policy lets a manifest's waivers do. The checked repository writes its own
/// waivers; these rules decide which of them count.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WaiverRules {
    /// The longest a waiver may run: its expiry at most this many days after today.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_days: Option<Sp<u32>>,
    /// Who may approve a waiver.
    #[serde(default)]
    pub approvers: Approvers,
    /// Per tier id, the requirements no waiver can skip.
    #[serde(default)]
    pub not_waivable: BTreeMap<String, Vec<Sp<String>>>,
}

/// Who may approve a waiver.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Approvers {
    /// Any name in `approved_by`.
    #[default]
    Anyone,
    /// An engineer of the policy (`engineers:`) who is not the artifact's owner.
    Engineers,
}

/// A requirement, its level per tier and the checks that decide it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequirementDef {
    /// Stable id (`ownership`, `human-review`, ...).
    pub id: Sp<String>,
    /// Short title for the matrix.
    pub title: String,
    /// What the requirement asks for.
    #[serde(default)]
    pub description: String,
    /// What to do when it fails.
    pub remediation: String,
    /// Level per tier id; every tier must be given.
    pub levels: BTreeMap<String, Level>,
    /// The checks; the requirement passes when all of them pass.
    #[serde(default)]
    pub checks: Vec<CheckSpec>,
    /// What `verify --pre-commit` makes of a failure of this requirement.
    #[serde(default, skip_serializing_if = "AtCommit::is_enforce")]
    pub at_commit: AtCommit,
    #[serde(skip)]
    pub origin: usize,
}

/// What a commit-time check (`verify --pre-commit`) makes of a requirement's failure.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AtCommit {
    /// A failure fails the commit, as it fails `verify`.
    #[default]
    Enforce,
    /// A failure only warns: what it asks for cannot exist yet when the code is committed
    /// (a review of that very commit), and `verify` without `--pre-commit` still requires it.
    Warn,
}

impl AtCommit {
    fn is_enforce(&self) -> bool {
        *self == AtCommit::Enforce
    }
}

impl Policy {
    /// Position of a tier id in the ordered tier list (higher is stricter).
    pub fn tier_rank(&self, id: &str) -> Option<usize> {
        self.tiers.iter().position(|t| t.id.value == id)
    }

    /// The tier with the given id.
    pub fn tier(&self, id: &str) -> Option<&TierDef> {
        self.tiers.iter().find(|t| t.id.value == id)
    }

    /// The question with the given id.
    pub fn question(&self, id: &str) -> Option<&Question> {
        self.questions.iter().find(|q| q.id.value == id)
    }

    /// Ids of all tiers, in order.
    pub fn tier_ids(&self) -> Vec<&str> {
        self.tiers.iter().map(|t| t.id.value.as_str()).collect()
    }

    /// The scanner's rules and global allowlist, as the engine takes them.
    pub fn scan_rules(&self) -> RuleSet {
        RuleSet {
            rules: self.rules.iter().map(RuleDef::to_engine).collect(),
            allowlist: self.allowlist.to_engine(),
        }
    }

    /// What a manifest's answers, tier and waivers may name.
    pub fn vocabulary(&self) -> crate::manifest::Vocabulary<'_> {
        crate::manifest::Vocabulary {
            questions: self
                .questions
                .iter()
                .map(|q| (q.id.value.as_str(), q.answer_ids()))
                .collect(),
            tiers: self.tier_ids(),
            requirements: self
                .requirements
                .iter()
                .map(|r| r.id.value.as_str())
                .collect(),
        }
    }

    /// What the checks may read of the policy; `rules` is [`Policy::scan_rules`].
    pub fn detection<'a>(&'a self, rules: &'a RuleSet) -> Detection<'a> {
        Detection {
            engineers: self.engineers.as_ref(),
            ci_files: &self.ci_files,
            ecosystems: &self.ecosystems,
            vendored: self.vendored.as_deref(),
            tools: &self.tools,
            ai_tools: self.ai_tools.as_ref(),
            prompt_files: self.prompt_files.as_deref().unwrap_or_default(),
            rules,
            suppressions: self.suppressions.as_ref(),
            signatures: self.signatures.as_ref(),
        }
    }

    /// The level of a requirement at a tier (`not_required` if the policy is silent, which
    /// validation forbids).
    pub fn level(&self, req: &RequirementDef, tier: &str) -> Level {
        req.levels.get(tier).copied().unwrap_or(Level::NotRequired)
    }
}

impl Question {
    /// Ids of all answers, in order.
    pub fn answer_ids(&self) -> Vec<&str> {
        self.answers.iter().map(|a| a.id.value.as_str()).collect()
    }
}
