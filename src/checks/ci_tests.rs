//! `ci-tests`: a CI pipeline runs the tests. The test commands of each ecosystem come from
//! the policy (`ecosystems[].test_commands`), plus generic ones (`make test`, `tox`) from
//! this check's settings that stand for any ecosystem.

use regex::Regex;
use serde::{Deserialize, Serialize};

use super::ci::{self, ItemKind, line_of};
use super::{Ctx, Evidence, Outcome, Status};
use crate::config::{Sp, Validator};
use crate::detection::CiFormat;

const KIND: &str = "ci-tests";

/// Settings of `ci-tests`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Regexes of test commands that count whatever the ecosystem (`make test`).
    #[serde(default)]
    pub commands: Vec<Sp<String>>,
}

impl Config {
    pub(super) fn validate(&self, v: &mut Validator<'_>, origin: usize, owner: &str) {
        for r in &self.commands {
            v.regex(origin, r, owner);
        }
    }

    pub(super) fn run(&self, ctx: &Ctx<'_>) -> Outcome {
        let index = ci::index(ctx);
        let mut ev: Vec<Evidence> = index.unreadable_as(KIND);
        let pipelines: Vec<_> = index
            .files
            .iter()
            .filter(|f| f.format != CiFormat::PreCommit)
            .collect();
        if pipelines.is_empty() {
            let wanted: Vec<String> = ctx
                .detection
                .ci_files
                .iter()
                .filter(|d| d.format != CiFormat::PreCommit)
                .map(|d| d.name.clone())
                .collect();
            ev.push(Evidence::new(
                KIND,
                "ci-missing",
                format!(
                    "no CI configuration found ({}); add a pipeline that runs the tests",
                    wanted.join(", ")
                ),
            ));
            return Outcome {
                status: Status::Fail,
                evidence: ev,
                findings: Vec::new(),
            };
        }
        // The test commands of the ecosystems found; with no manifest at all (scripts), any
        // ecosystem's test command shows that CI runs tests.
        let found = super::dependencies::found(ctx).ecosystems(ctx);
        let none_found = found.is_empty();
        let ecos = if none_found {
            ctx.detection.ecosystems.iter().collect()
        } else {
            found
        };
        let mut groups: Vec<(Option<&str>, Vec<Regex>)> = ecos
            .iter()
            .map(|e| {
                (
                    Some(e.name.as_str()),
                    e.test_commands
                        .iter()
                        .filter_map(|r| Regex::new(&r.value).ok())
                        .collect(),
                )
            })
            .collect();
        groups.push((
            None,
            self.commands
                .iter()
                .filter_map(|r| Regex::new(&r.value).ok())
                .collect(),
        ));
        let mut untested: Vec<&str> = Vec::new();
        // (file, line, command, ecosystems): one piece of evidence per command found.
        let mut hits: Vec<(String, Option<u64>, String, Vec<&str>)> = Vec::new();
        for (eco, res) in &groups {
            let found = pipelines.iter().find_map(|f| {
                f.items
                    .iter()
                    .filter(|i| i.kind == ItemKind::Run)
                    .find_map(|item| {
                        let m = res.iter().find_map(|re| re.find(&item.text))?;
                        let line = item.line.map(|l| l + line_of(&item.text, m.start()) - 1);
                        Some((f.path.clone(), line, ci::quote_command(m.as_str())))
                    })
            });
            match found {
                Some((path, line, cmd)) => {
                    match hits.iter_mut().find(|h| h.0 == path && h.1 == line) {
                        Some(h) => h.3.extend(eco.iter()),
                        None => hits.push((path, line, cmd, eco.iter().copied().collect())),
                    }
                }
                None if !none_found => untested.extend(eco.iter()),
                None => {}
            }
        }
        let any = !hits.is_empty();
        // A generic command (`make test`) may run any ecosystem's tests: name the untested
        // ecosystems only when others are tested by their own commands.
        let specific = hits.iter().any(|h| !h.3.is_empty()) && !none_found;
        for (path, line, cmd, names) in hits {
            let what = if names.is_empty() || none_found {
                format!("CI runs tests (`{cmd}`)")
            } else {
                format!("CI runs the {} tests (`{cmd}`)", names.join(" and "))
            };
            ev.push(Evidence::new(KIND, "ci-tests", what).at(path, line));
        }
        if !untested.is_empty() && specific {
            ev.push(
                Evidence::new(
                    KIND,
                    "ci-tests-uncovered",
                    format!("no CI step runs the tests of {}", untested.join(", ")),
                )
                .marked(Status::Warn),
            );
        }
        if !any {
            let files: Vec<&str> = pipelines.iter().map(|f| f.path.as_str()).collect();
            ev.push(Evidence::new(
                KIND,
                "ci-tests-missing",
                format!(
                    "no CI step runs a test command ({} read); add one that runs the tests",
                    files.join(", ")
                ),
            ));
        }
        Outcome {
            status: if any { Status::Pass } else { Status::Fail },
            evidence: ev,
            findings: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_commands_of_the_ecosystems_found() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let spec = "kind: ci-tests\ncommands: ['\\bmake\\s+test\\b']\n";
        assert_eq!(
            crate::checks::run_yaml(d, spec).evidence[0].signal,
            "ci-missing"
        );
        std::fs::write(d.join("go.mod"), "module a\n").unwrap();
        std::fs::write(
            d.join(".travis.yml"),
            "language: go\nscript:\n  - go vet ./...\n",
        )
        .unwrap();
        let o = crate::checks::run_yaml(d, spec);
        assert_eq!(o.status, Status::Fail);
        assert!(o.evidence.iter().any(|e| e.signal == "ci-tests-missing"));
        std::fs::write(
            d.join(".travis.yml"),
            "language: go\nscript:\n  - go vet ./...\n  - go test ./...\n",
        )
        .unwrap();
        let o = crate::checks::run_yaml(d, spec);
        assert_eq!(o.status, Status::Pass);
        assert_eq!(o.evidence[0].line, Some(4));
    }
}
