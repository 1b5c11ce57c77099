//! `ai-tools`: the AI assistants used on the artifact, declared in the manifest's
//! `ai_tools:` or revealed by their footprints in the tree, are all on the policy's approved
//! list (`ai_tools:` at the top of the policy). A footprint several tools share (AGENTS.md)
//! reveals "an AI agent, tool unspecified" and is satisfied by any declared tool.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::ci;
use super::{Ctx, Evidence, Outcome, Status};
use crate::config::Validator;
use crate::detection::AiToolDef;

const KIND: &str = "ai-tools";

/// Settings of `ai-tools` (the tools themselves are the policy's `ai_tools:` section).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {}

/// Whether a manifest entry names a tool (by id or display name, any case).
fn names(entry: &str, tool: &AiToolDef) -> bool {
    let e = entry.trim();
    e.eq_ignore_ascii_case(&tool.id.value) || e.eq_ignore_ascii_case(&tool.name)
}

impl Config {
    pub(super) fn validate(&self, _v: &mut Validator<'_>, _origin: usize, _owner: &str) {}

    pub(super) fn run(&self, ctx: &Ctx<'_>) -> Outcome {
        let Some(ai) = ctx.detection.ai_tools else {
            return Outcome::one(
                Status::Error,
                Evidence::new(
                    KIND,
                    "policy-incomplete",
                    "the policy has no `ai_tools:` section listing known and approved AI tools",
                ),
            );
        };
        let declared = &ctx.artifact.manifest().ai_tools;
        let mut ev = Vec::new();
        let mut failed = false;
        // Footprints found: tool id -> first file.
        let mut found: BTreeMap<&str, String> = BTreeMap::new();
        for t in &ai.tools {
            if let Some(f) = first_match(ctx, &t.footprints) {
                ev.push(
                    Evidence::new(
                        KIND,
                        format!("ai-tool:{}", t.id.value),
                        format!("{} footprint: {f}", t.name),
                    )
                    .at(f.clone(), None),
                );
                found.insert(t.id.value.as_str(), f);
            }
        }
        if let Some(f) = first_match(ctx, ai.shared()) {
            if declared.is_empty() && found.is_empty() {
                failed = true;
                ev.push(
                    Evidence::new(
                        KIND,
                        "ai-agent",
                        format!(
                            "{f} reveals an AI agent, tool unspecified: declare it in ai_tools in {}",
                            ctx.artifact.manifest_name()
                        ),
                    )
                    .at(f, None),
                );
            } else {
                ev.push(
                    Evidence::new(KIND, "ai-agent", format!("{f}: instructions for AI agents"))
                        .at(f, None),
                );
            }
        }
        for (id, f) in &found {
            let tool = ai.tools.iter().find(|t| t.id.value == *id);
            let is_declared = tool.is_some_and(|t| declared.iter().any(|d| names(&d.value, t)));
            if !is_declared {
                failed = true;
                ev.push(
                    Evidence::new(
                        KIND,
                        "ai-tool-undeclared",
                        format!(
                            "{} is in use ({f}) but not declared: declare it in ai_tools (`{id}`) in {}",
                            tool.map_or(*id, |t| t.name.as_str()),
                            ctx.artifact.manifest_name()
                        ),
                    )
                    .at(f.clone(), None),
                );
            }
        }
        let approved: Vec<&AiToolDef> = ai
            .tools
            .iter()
            .filter(|t| ai.approved().iter().any(|a| a.value == t.id.value))
            .collect();
        for d in declared {
            let known = ai.tools.iter().find(|t| names(&d.value, t));
            let ok = known.is_some_and(|t| approved.iter().any(|a| a.id.value == t.id.value));
            if ok {
                ev.push(Evidence::new(
                    KIND,
                    "ai-tool-approved",
                    format!(
                        "{} is declared and approved",
                        known.map_or("", |t| t.name.as_str())
                    ),
                ));
            } else {
                failed = true;
                let list: Vec<String> = approved
                    .iter()
                    .map(|t| format!("{} (`{}`)", t.name, t.id.value))
                    .collect();
                ev.push(Evidence::new(
                    KIND,
                    "ai-tool-unapproved",
                    format!(
                        "`{}` is not an approved AI tool; approved: {}",
                        d.value,
                        if list.is_empty() {
                            "none".to_string()
                        } else {
                            list.join(", ")
                        }
                    ),
                ));
            }
        }
        if ev.is_empty() {
            ev.push(Evidence::new(
                KIND,
                "no-ai-tools",
                "no AI tool declared and no AI tool footprint found",
            ));
        }
        Outcome {
            status: if failed { Status::Fail } else { Status::Pass },
            evidence: ev,
            findings: Vec::new(),
        }
    }
}

/// The first file (artifact first, then the repository root) matching any of `globs`.
fn first_match(ctx: &Ctx<'_>, globs: &[crate::config::Sp<String>]) -> Option<String> {
    if globs.is_empty() {
        return None;
    }
    let set = super::file_exists::glob_set(globs, false).ok()?;
    let depth = globs.iter().map(ci::glob_depth).max().unwrap_or(1).min(4);
    ci::matching_files(ctx, &set, depth)
        .into_iter()
        .next()
        .map(|f| f.shown)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn footprints_without_declaration_fail() {
        let dir = tempfile::tempdir().unwrap();
        let o = crate::checks::run_yaml(dir.path(), "kind: ai-tools\n");
        assert_eq!(o.status, Status::Pass);
        assert_eq!(o.evidence[0].signal, "no-ai-tools");
        std::fs::write(
            dir.path().join(".windsurfrules"),
            "Prefer small functions.\n",
        )
        .unwrap();
        let o = crate::checks::run_yaml(dir.path(), "kind: ai-tools\n");
        assert_eq!(o.status, Status::Fail);
        assert!(o.evidence.iter().any(|e| e.signal == "ai-tool:windsurf"));
        assert!(o.evidence.iter().any(|e| e.signal == "ai-tool-undeclared"));
    }
}
