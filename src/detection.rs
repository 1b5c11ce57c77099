//! What the checks know about the world, as the policy describes it: where CI configuration
//! lives (`ci_files`), the package ecosystems and their lockfiles (`ecosystems`), the tools
//! that CI or pre-commit may run (`tools`), the AI assistants with their footprints
//! (`ai_tools`), who counts as an engineer, which files are prompt-like, and the scanner's
//! rules. They are data so a company can add a tool or a file name without a release.
//!
//! This module holds the types; the policy reads and validates them, and hands the checks a
//! [`Detection`] view. The checks never see the tiers or the requirements.

use serde::{Deserialize, Serialize};
use tiercheck_scan::RuleSet;

use crate::config::Sp;

/// What the policy tells the checks: its detection data, never its tiers or requirements.
#[derive(Debug, Clone, Copy)]
pub struct Detection<'a> {
    /// Who counts as an engineer; `None` when the policy names nobody.
    pub engineers: Option<&'a Engineers>,
    /// Where CI and hook configuration lives and how to read it.
    pub ci_files: &'a [CiFileDef],
    /// Package ecosystems: manifests, lockfiles, test commands.
    pub ecosystems: &'a [EcosystemDef],
    /// Globs of vendored and installed dependency trees.
    pub vendored: Option<&'a [Sp<String>]>,
    /// Tools CI or pre-commit may run.
    pub tools: &'a [ToolDef],
    /// AI assistants, their footprints, and which are approved.
    pub ai_tools: Option<&'a AiTools>,
    /// Globs of prompt-like files.
    pub prompt_files: &'a [Sp<String>],
    /// The secret and personal-data rules, as the engine takes them.
    pub rules: &'a RuleSet,
    /// At which tiers what the repository wrote may hide findings from `verify`; `None`:
    /// at every tier.
    pub suppressions: Option<&'a Suppressions>,
    /// Which evidence of who reviewed counts at which tier, and the allowed signers that
    /// prove it; `None`: every claim counts and nothing can be proven.
    pub signatures: Option<&'a Signatures>,
}

/// At which tiers what the checked repository wrote may leave findings out of `verify`'s
/// content scans: its `tiercheck:allow` markers, and its ignore files (`.gitignore`,
/// `.ignore`, `.tiercheckignore`) for files git tracks. `scan` always honours both: it is
/// the author's own tool; `verify` is the company's.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Suppressions {
    /// Tier ids at which an inline `tiercheck:allow` marker hides the findings near it.
    #[serde(default)]
    pub allow_markers: Vec<Sp<String>>,
    /// Tier ids at which ignore files may leave tracked files out of the scans.
    #[serde(default)]
    pub ignore_files: Vec<Sp<String>>,
    /// Tier ids at which the manifest's `baseline:` accepts the findings it records.
    #[serde(default)]
    pub baselines: Vec<Sp<String>>,
}

/// Who reviewed is either proven (an SSH signature by a key the company's allowed-signers
/// list holds for that person) or claimed (a name in a manifest, a `Reviewed-by:` trailer, a
/// merge message: text the checked repository wrote). This says at which tiers a claim
/// counts.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Signatures {
    /// git's `allowed_signers` file, relative to the policy file that names it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_signers: Option<Sp<String>>,
    /// Tier ids at which a review entry without a valid signature counts.
    #[serde(default)]
    pub unsigned_reviews: Vec<Sp<String>>,
    /// Tier ids at which commit trailers and merge messages count as code review.
    #[serde(default)]
    pub claims: Vec<Sp<String>>,
    /// The list `allowed_signers` names, read when the policy is loaded.
    #[serde(skip)]
    pub signers: Option<std::sync::Arc<crate::signers::AllowedSigners>>,
    /// Which loaded policy file gave this section.
    #[serde(skip)]
    pub origin: usize,
}

impl Detection<'_> {
    /// The company's allowed signers, when the policy names them.
    pub fn signers(&self) -> Option<&crate::signers::AllowedSigners> {
        self.signatures.and_then(|s| s.signers.as_deref())
    }

    /// Whether an unsigned review entry counts at `tier` (at every tier when the policy has
    /// no `signatures`).
    pub fn counts_unsigned_reviews(&self, tier: &str) -> bool {
        self.signatures
            .is_none_or(|s| s.unsigned_reviews.iter().any(|t| t.value == tier))
    }

    /// Whether trailers and merge messages count as code review at `tier`.
    pub fn counts_claims(&self, tier: &str) -> bool {
        self.signatures
            .is_none_or(|s| s.claims.iter().any(|t| t.value == tier))
    }

    /// Whether what the repository wrote of one kind (`pick`: the markers, the ignore files
    /// or the baseline) may hide findings at `tier`; at every tier when the policy has no
    /// `suppressions`.
    pub fn lets(&self, tier: &str, pick: fn(&Suppressions) -> &[Sp<String>]) -> bool {
        self.suppressions
            .is_none_or(|s| pick(s).iter().any(|t| t.value == tier))
    }
}

/// A CI or hook configuration file pattern and how to read it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CiFileDef {
    /// Stable id (`github-actions`, `gitlab-ci`); a policy that extends replaces by id.
    pub id: Sp<String>,
    /// Display name.
    pub name: String,
    /// Globs relative to the artifact or repository root.
    pub globs: Vec<Sp<String>>,
    /// How the file is read.
    pub format: CiFormat,
    #[serde(skip)]
    pub origin: usize,
}

/// How a CI file is parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CiFormat {
    /// GitHub Actions workflow: `jobs` → `steps` with `uses:` and `run:`.
    GithubActions,
    /// `.pre-commit-config.yaml`: `repos` → `hooks` with `id` (and `entry` for local hooks).
    PreCommit,
    /// Any other YAML pipeline: every string value is a command that may run.
    Yaml,
    /// A text pipeline (Jenkinsfile): every line may run a command.
    Text,
}

/// A package ecosystem: its manifests and what locks them.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EcosystemDef {
    /// Stable id (`cargo`, `npm`).
    pub id: Sp<String>,
    /// Display name.
    pub name: String,
    /// File-name globs of its manifests (matched against the file name only).
    pub manifests: Vec<Sp<String>>,
    /// Paths (relative to the manifest's folder or a workspace root above it) that lock it.
    #[serde(default)]
    pub lockfiles: Vec<String>,
    /// How the manifest is locked.
    #[serde(default)]
    pub lock: LockRule,
    /// A manifest needs a lock only when its text matches this regex (dependencies declared).
    #[serde(default)]
    pub requires: Option<Sp<String>>,
    /// Parse the manifest to report it as unreadable when it is broken (`json`, `toml`).
    #[serde(default)]
    pub parse: Option<String>,
    /// The Dependabot `package-ecosystem` values that cover it.
    #[serde(default)]
    pub dependabot: Vec<String>,
    /// Regexes of CI commands that run its tests.
    #[serde(default)]
    pub test_commands: Vec<Sp<String>>,
    /// One lock per folder rather than per manifest (Terraform's `.tf` files).
    #[serde(default)]
    pub per_folder: bool,
    #[serde(skip)]
    pub origin: usize,
}

/// How the manifests of an ecosystem are locked.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LockRule {
    /// One of `lockfiles` beside the manifest or at a workspace root above it.
    #[default]
    Lockfile,
    /// The manifest pins every requirement itself (`==` or `--hash`): requirements*.txt.
    Pinned,
    /// The ecosystem has no lockfile format (Maven); reported, not failed.
    Unsupported,
}

/// A tool CI or pre-commit may run, and what reveals it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToolDef {
    /// Stable id, also the evidence signal (`codeql`, `cargo-audit`).
    pub id: Sp<String>,
    /// Display name.
    pub name: String,
    /// What it is: `sast`, `secret-scanner`, `dependency-scanner`, `dependency-updater`.
    pub category: Vec<String>,
    /// Ecosystem ids it covers (dependency scanners); empty means every ecosystem.
    #[serde(default)]
    pub ecosystems: Vec<String>,
    /// Prefixes of GitHub Actions `uses:` values (`github/codeql-action/`).
    #[serde(default)]
    pub actions: Vec<String>,
    /// Regexes matched against CI commands, pipeline values and local pre-commit entries.
    #[serde(default)]
    pub commands: Vec<Sp<String>>,
    /// pre-commit hook ids.
    #[serde(default)]
    pub hooks: Vec<String>,
    /// Globs of files whose presence reveals the tool (`renovate.json`).
    #[serde(default)]
    pub files: Vec<Sp<String>>,
    /// Files whose content reveals the tool.
    #[serde(default)]
    pub contains: Vec<ContainsDef>,
    /// For a tool enabled through another's configuration (Bandit's rules in Ruff, gosec in
    /// golangci-lint): regexes one of which a CI command or a pre-commit hook id must match,
    /// or `files` and `contains` do not count: a configured tool that nothing runs is not
    /// claimed.
    #[serde(default)]
    pub runs_with: Vec<Sp<String>>,
    #[serde(skip)]
    pub origin: usize,
}

/// A glob and a regex its content must match.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContainsDef {
    /// Glob of the file (relative path).
    pub glob: Sp<String>,
    /// Regex its text must match.
    pub pattern: Sp<String>,
}

/// The AI assistants the policy knows and which are approved.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AiTools {
    /// Ids of approved tools. A policy that extends another replaces the list when it
    /// gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approved: Option<Vec<Sp<String>>>,
    /// Known tools and their footprints; an extending policy replaces tools by id and adds
    /// new ones.
    #[serde(default)]
    pub tools: Vec<AiToolDef>,
    /// Footprints several tools share (AGENTS.md): they reveal an agent, not which one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shared_footprints: Option<Vec<Sp<String>>>,
    /// MCP servers allowed, by name, command-line word (an npm package) or URL prefix;
    /// absent or empty: every server is allowed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mcp_servers: Option<Vec<String>>,
}

impl AiTools {
    /// Layers `over` (from an extending policy) on `self`.
    pub fn merge(&mut self, over: AiTools) {
        if over.approved.is_some() {
            self.approved = over.approved;
        }
        if over.shared_footprints.is_some() {
            self.shared_footprints = over.shared_footprints;
        }
        if over.mcp_servers.is_some() {
            self.mcp_servers = over.mcp_servers;
        }
        for t in over.tools {
            match self.tools.iter_mut().find(|b| b.id.value == t.id.value) {
                Some(slot) => *slot = t,
                None => self.tools.push(t),
            }
        }
    }

    /// Ids of approved tools.
    pub fn approved(&self) -> &[Sp<String>] {
        self.approved.as_deref().unwrap_or_default()
    }

    /// Footprints shared by several tools.
    pub fn shared(&self) -> &[Sp<String>] {
        self.shared_footprints.as_deref().unwrap_or_default()
    }
}

/// One AI assistant.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AiToolDef {
    /// Id used in `ai_tools:` of the manifest.
    pub id: Sp<String>,
    /// Display name.
    pub name: String,
    /// Globs of the files and folders it leaves (`.claude/**`).
    #[serde(default)]
    pub footprints: Vec<Sp<String>>,
}

/// Who counts as an engineer.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Engineers {
    /// Exact emails or handles.
    #[serde(default)]
    pub emails: Vec<String>,
    /// Email domains (`corp.example`); subdomains match too.
    #[serde(default)]
    pub domains: Vec<String>,
    /// Regular expressions matched against the whole identity.
    #[serde(default)]
    pub patterns: Vec<Sp<String>>,
}

impl Engineers {
    /// Whether the policy names no engineers at all (so engineer checks cannot decide).
    pub fn is_empty(&self) -> bool {
        self.emails.is_empty() && self.domains.is_empty() && self.patterns.is_empty()
    }

    /// Whether `who` (an email, a handle, or `Name <email>`) is an engineer.
    pub fn matches(&self, who: &str) -> bool {
        let id = identity(who);
        if id.is_empty() {
            return false;
        }
        if self.emails.iter().any(|e| identity(e) == id) {
            return true;
        }
        if let Some((_, domain)) = id.rsplit_once('@') {
            let hit = self.domains.iter().any(|d| {
                let d = d.trim().trim_start_matches('@').to_ascii_lowercase();
                domain == d || domain.ends_with(&format!(".{d}"))
            });
            if hit {
                return true;
            }
        }
        self.patterns.iter().any(|p| {
            regex::Regex::new(&format!("^(?:{})$", p.value)).is_ok_and(|re| re.is_match(&id))
        })
    }
}

/// Normalises an identity for comparison: the email inside `Name <email>`, trimmed,
/// lowercased, without a leading `@` on handles.
pub fn identity(who: &str) -> String {
    let who = who.trim();
    let inner = match (who.rfind('<'), who.rfind('>')) {
        (Some(a), Some(b)) if a < b => &who[a + 1..b],
        _ => who,
    };
    inner.trim().trim_start_matches('@').to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engineers_by_email_domain_and_pattern() {
        let e: Engineers = serde_saphyr::from_str(
            "emails: [Bob@Corp.example]\ndomains: [eng.corp.example]\npatterns: ['.*-dev']\n",
        )
        .unwrap();
        assert!(e.matches("bob@corp.example"));
        assert!(e.matches("Bob B <BOB@corp.example>"));
        assert!(e.matches("amy@eng.corp.example"));
        assert!(e.matches("amy@team.eng.corp.example"));
        assert!(!e.matches("amy@notengcorp.example"));
        assert!(e.matches("@amy-dev"));
        assert!(!e.matches("jane@corp.example"));
    }
}
