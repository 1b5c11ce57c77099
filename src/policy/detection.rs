//! Policy sections that describe what the ecosystem checks look for: where CI configuration
//! lives (`ci_files`), the package ecosystems and their lockfiles (`ecosystems`), the tools
//! that CI or pre-commit may run (`tools`), and the AI assistants with their footprints
//! (`ai_tools`). They are data so a company can add a tool or a file name without a release.

use serde::{Deserialize, Serialize};

use super::{Sp, Validator};

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
    pub(super) fn merge(&mut self, over: AiTools) {
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

/// Validates the detection sections of the policy.
pub(super) fn validate(v: &mut Validator<'_>) {
    let p = v.policy();
    let last = p.sources.len().saturating_sub(1);
    for g in p.vendored.iter().flatten() {
        v.glob(last, g, "`vendored`");
    }
    for c in &p.ci_files {
        let owner = format!("ci_files `{}`", c.id.value);
        for g in &c.globs {
            v.glob(c.origin, g, &owner);
        }
    }
    for e in &p.ecosystems {
        let owner = format!("ecosystem `{}`", e.id.value);
        for g in &e.manifests {
            v.glob(e.origin, g, &owner);
        }
        if let Some(r) = &e.requires {
            v.regex(e.origin, r, &owner);
        }
        for r in &e.test_commands {
            v.regex(e.origin, r, &owner);
        }
        if let Some(f) = &e.parse
            && f != "json"
            && f != "toml"
        {
            v.error(
                e.origin,
                &e.id,
                format!("{owner}: `parse` must be `json` or `toml`"),
            );
        }
    }
    for t in &p.tools {
        let owner = format!("tool `{}`", t.id.value);
        for r in &t.commands {
            v.regex(t.origin, r, &owner);
        }
        for g in &t.files {
            v.glob(t.origin, g, &owner);
        }
        for c in &t.contains {
            v.glob(t.origin, &c.glob, &owner);
            v.regex(t.origin, &c.pattern, &owner);
        }
        for eco in &t.ecosystems {
            if !p.ecosystems.iter().any(|e| &e.id.value == eco) {
                v.error(
                    t.origin,
                    &t.id,
                    format!("{owner} names unknown ecosystem `{eco}`"),
                );
            }
        }
    }
    if let Some(ai) = &p.ai_tools {
        for t in &ai.tools {
            for g in &t.footprints {
                v.glob(last, g, "`ai_tools`");
            }
        }
        for g in ai.shared() {
            v.glob(last, g, "`ai_tools`");
        }
        for a in ai.approved() {
            if !ai.tools.iter().any(|t| t.id.value == a.value) {
                let ids: Vec<&str> = ai.tools.iter().map(|t| t.id.value.as_str()).collect();
                v.error(
                    last,
                    a,
                    format!("approved AI tool `{}` is not in `ai_tools.tools`", a.value),
                )
                .help = Some(format!("known tools: `{}`", ids.join("`, `")));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::load::load_text;
    use std::path::Path;

    #[test]
    fn tool_and_ai_tool_problems_are_located() {
        let text = "version: 1\nextends: default\ntools:\n  - id: mine\n    name: Mine\n    category: [sast]\n    ecosystems: [cobol]\n    commands: ['(unclosed']\nai_tools:\n  approved: [clippy-ai]\n  tools:\n    - id: claude-code\n      name: Claude Code\n";
        let err = load_text(text, Path::new("p.yaml"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("invalid regex in tool `mine`"), "{err}");
        assert!(err.contains("p.yaml:8:"), "{err}");
        assert!(err.contains("unknown ecosystem `cobol`"), "{err}");
        assert!(err.contains("approved AI tool `clippy-ai`"), "{err}");
        assert!(err.contains("p.yaml:10:"), "{err}");
    }

    #[test]
    fn extending_replaces_a_tool_by_id_and_adds_new_ones() {
        let narrow = "version: 1\nextends: default\nai_tools:\n  approved: [copilot]\n";
        let p = load_text(narrow, Path::new("p.yaml")).unwrap();
        let ai = p.ai_tools.as_ref().unwrap();
        assert_eq!(ai.approved().len(), 1);
        assert!(ai.tools.iter().any(|t| t.id.value == "claude-code"));
        let text = "version: 1\nextends: default\ntools:\n  - id: semgrep\n    name: Semgrep (company wrapper)\n    category: [sast]\n    commands: ['\\bsec-scan\\b']\n  - id: inhouse\n    name: In-house scanner\n    category: [secret-scanner]\n    hooks: [inhouse]\n";
        let p = load_text(text, Path::new("p.yaml")).unwrap();
        let sg = p.tools.iter().find(|t| t.id.value == "semgrep").unwrap();
        assert!(sg.actions.is_empty());
        assert!(p.tools.iter().any(|t| t.id.value == "inhouse"));
        assert!(p.ai_tools.is_some() && !p.ecosystems.is_empty() && !p.ci_files.is_empty());
    }
}
