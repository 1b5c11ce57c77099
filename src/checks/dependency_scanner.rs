//! `dependency-scanner`: a dependency scanner or updater watches every ecosystem found.
//! Dependabot is read natively (its `updates:` say which ecosystems it covers); every other
//! scanner comes from the policy's `tools:` (category `dependency-scanner` or
//! `dependency-updater`), covering the ecosystems it lists, or all when it lists none.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::ci::{self, read_capped};
use super::{Ctx, Evidence, Outcome, Status};
use crate::config::{Sp, Validator};

const KIND: &str = "dependency-scanner";

/// Settings of `dependency-scanner`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Where Dependabot's configuration lives (`.github/dependabot.yml`).
    #[serde(default)]
    pub dependabot: Vec<Sp<String>>,
    /// Tool categories that count (`dependency-scanner`, `dependency-updater`).
    pub categories: Vec<String>,
}

impl Config {
    pub(super) fn validate(&self, v: &mut Validator<'_>, origin: usize, owner: &str) {
        for g in &self.dependabot {
            v.glob(origin, g, owner);
        }
    }

    pub(super) fn run(&self, ctx: &Ctx<'_>) -> Outcome {
        let found = super::dependencies::found(ctx);
        let ecos = found.ecosystems(ctx);
        let mut ev: Vec<Evidence> = Vec::new();
        // ecosystem id -> covered
        let mut covered: BTreeSet<String> = BTreeSet::new();
        let mut any_tool = false;

        if let Ok(set) = super::file_exists::glob_set(&self.dependabot, false) {
            let depth = self
                .dependabot
                .iter()
                .map(ci::glob_depth)
                .max()
                .unwrap_or(2);
            for f in ci::matching_files(ctx, &set, depth) {
                any_tool = true;
                let text = match read_capped(&f.abs) {
                    Ok(t) => t,
                    Err(why) => {
                        ev.push(ci::unreadable(KIND, &f.shown, &why));
                        continue;
                    }
                };
                let value: Value = match serde_saphyr::from_str(&text) {
                    Ok(v) => v,
                    Err(e) => {
                        let (msg, line) = ci::parse::yaml_problem(&e.to_string());
                        ev.push(ci::unparsable(KIND, &f.shown, &msg, line));
                        continue;
                    }
                };
                let listed: BTreeSet<String> = value
                    .get("updates")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|u| u.get("package-ecosystem").and_then(Value::as_str))
                    .map(str::to_string)
                    .collect();
                let mut uncovered = Vec::new();
                for e in &ecos {
                    if e.dependabot.iter().any(|d| listed.contains(d)) {
                        covered.insert(e.id.value.clone());
                    } else {
                        uncovered.push(e.name.as_str());
                    }
                }
                let names: Vec<&str> = listed.iter().map(String::as_str).collect();
                ev.push(
                    Evidence::new(
                        KIND,
                        "dependabot",
                        format!("Dependabot watches: {}", or_none(&names)),
                    )
                    .at(f.shown.clone(), None)
                    .marked(if names.is_empty() {
                        Status::Fail
                    } else {
                        Status::Pass
                    }),
                );
                if !uncovered.is_empty() {
                    ev.push(
                        Evidence::new(
                            KIND,
                            "dependabot-uncovered",
                            format!(
                                "Dependabot does not cover {}: add an `updates:` entry for each",
                                uncovered.join(", ")
                            ),
                        )
                        .at(f.shown.clone(), None),
                    );
                }
            }
        }

        for d in ci::detect(ctx, KIND, |t| {
            t.category.iter().any(|c| self.categories.contains(c))
        }) {
            any_tool = true;
            if let Some(tool) = ctx.detection.tools.iter().find(|t| t.id.value == d.tool) {
                for e in &ecos {
                    if tool.ecosystems.is_empty() || tool.ecosystems.contains(&e.id.value) {
                        covered.insert(e.id.value.clone());
                    }
                }
            }
            ev.push(d.evidence.supporting());
        }
        ev.extend(ci::index(ctx).unreadable_as(KIND));

        if ecos.is_empty() {
            ev.push(Evidence::new(
                KIND,
                "no-dependencies",
                "no dependency manifest found: nothing to scan",
            ));
            return Outcome {
                status: Status::Pass,
                evidence: ev,
                findings: Vec::new(),
            };
        }
        let uncovered: Vec<&str> = ecos
            .iter()
            .filter(|e| !covered.contains(&e.id.value))
            .map(|e| e.name.as_str())
            .collect();
        let status = if uncovered.is_empty() {
            Status::Pass
        } else {
            let msg = if any_tool {
                format!(
                    "no dependency scanner covers {}; add them to Dependabot or run a scanner for them in CI",
                    uncovered.join(", ")
                )
            } else {
                format!(
                    "no dependency scanner or updater found for {}; configure Dependabot or one of {}",
                    uncovered.join(", "),
                    ci::known(ctx, |t| t
                        .category
                        .iter()
                        .any(|c| self.categories.contains(c)))
                )
            };
            ev.push(Evidence::new(KIND, "dependency-scanner-missing", msg));
            Status::Fail
        };
        Outcome {
            status,
            evidence: ev,
            findings: Vec::new(),
        }
    }
}

fn or_none(names: &[&str]) -> String {
    if names.is_empty() {
        "no ecosystem".to_string()
    } else {
        names.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: &str = "kind: dependency-scanner\ndependabot: [.github/dependabot.yml]\ncategories: [dependency-scanner, dependency-updater]\n";

    #[test]
    fn an_ecosystem_specific_scanner_covers_only_its_ecosystem() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(
            d.join("Cargo.toml"),
            "[package]\nname='a'\n[dependencies]\nx='1'\n",
        )
        .unwrap();
        std::fs::write(d.join("go.mod"), "module a\n\nrequire b v1.0.0\n").unwrap();
        std::fs::write(
            d.join(".gitlab-ci.yml"),
            "audit:\n  script:\n    - cargo audit\n",
        )
        .unwrap();
        let o = crate::checks::run_yaml(d, SPEC);
        assert_eq!(o.status, Status::Fail);
        let gap = o
            .evidence
            .iter()
            .find(|e| e.signal == "dependency-scanner-missing")
            .unwrap();
        assert!(
            gap.message.contains("Go") && !gap.message.contains("Rust"),
            "{gap:?}"
        );
        std::fs::write(
            d.join(".gitlab-ci.yml"),
            "audit:\n  script:\n    - osv-scanner -r .\n",
        )
        .unwrap();
        assert_eq!(crate::checks::run_yaml(d, SPEC).status, Status::Pass);
    }
}
