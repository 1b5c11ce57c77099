//! `workflow-hygiene`: GitHub Actions workflows follow hardening practice. Third-party
//! actions are pinned to a full commit SHA (a tag can be moved to other code), no
//! `pull_request_target` workflow checks out the pull request's head (that runs the PR's
//! code with the base repository's secrets), and no `run:` step expands attacker-controlled
//! `${{ github.event.* }}` text into a shell script.

use regex::Regex;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::ci::{self, ItemKind, line_of};
use super::{Ctx, Evidence, Outcome, Status};
use crate::config::{Sp, Validator};
use crate::detection::CiFormat;

const KIND: &str = "workflow-hygiene";

/// Settings of `workflow-hygiene`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// `uses:` prefixes allowed without a SHA (an organisation's own actions).
    #[serde(default)]
    pub allow_unpinned: Vec<String>,
    /// `uses:` prefixes of checkout actions (`actions/checkout`).
    #[serde(default)]
    pub checkout_actions: Vec<String>,
    /// Regex of a checkout `ref:` that names the pull request's head.
    pub head_ref: Sp<String>,
    /// Regexes of expression contexts an attacker controls (`github.event.issue.title`).
    #[serde(default)]
    pub untrusted: Vec<Sp<String>>,
}

/// Whether a `uses:` value is pinned: local actions, digests and full SHAs are.
pub fn pinned(uses: &str) -> bool {
    let u = uses.trim();
    if u.starts_with("./") {
        return true;
    }
    if let Some(image) = u.strip_prefix("docker://") {
        return image.contains("@sha256:");
    }
    match u.rsplit_once('@') {
        Some((_, rev)) => rev.len() == 40 && rev.bytes().all(|b| b.is_ascii_hexdigit()),
        None => false,
    }
}

/// Whether the workflow's `on:` includes `pull_request_target`.
fn on_pr_target(v: &Value) -> bool {
    const EVENT: &str = "pull_request_target";
    match v.get("on") {
        Some(Value::String(s)) => s == EVENT,
        Some(Value::Array(a)) => a.iter().any(|x| x.as_str() == Some(EVENT)),
        Some(Value::Object(o)) => o.contains_key(EVENT),
        _ => false,
    }
}

impl Config {
    pub(super) fn validate(&self, v: &mut Validator<'_>, origin: usize, owner: &str) {
        v.regex(origin, &self.head_ref, owner);
        for r in &self.untrusted {
            v.regex(origin, r, owner);
        }
    }

    pub(super) fn run(&self, ctx: &Ctx<'_>) -> Outcome {
        let index = ci::index(ctx);
        let mut ev: Vec<Evidence> = Vec::new();
        let mut failed = false;
        let head = Regex::new(&self.head_ref.value).ok();
        let untrusted: Vec<Regex> = self
            .untrusted
            .iter()
            .filter_map(|r| Regex::new(&r.value).ok())
            .collect();
        let expr = Regex::new(r"\$\{\{(.*?)\}\}").expect("static regex");
        let mut workflows = 0;
        for f in index.of(CiFormat::GithubActions) {
            workflows += 1;
            let mut pinned_count = 0;
            for item in &f.items {
                match item.kind {
                    ItemKind::Uses => {
                        if pinned(&item.text)
                            || self.allow_unpinned.iter().any(|p| item.text.starts_with(p))
                        {
                            pinned_count += 1;
                        } else {
                            failed = true;
                            ev.push(
                                Evidence::new(
                                    KIND,
                                    "action-unpinned",
                                    format!(
                                        "`uses: {}` is not pinned to a full commit SHA; pin it (`@<40-hex sha> # tag`)",
                                        item.text
                                    ),
                                )
                                .at(f.path.clone(), item.line),
                            );
                        }
                    }
                    ItemKind::Run => {
                        for m in expr.captures_iter(&item.text) {
                            let inner = m.get(1).map_or("", |g| g.as_str()).trim();
                            if untrusted.iter().any(|re| re.is_match(inner)) {
                                failed = true;
                                let at = m.get(0).map_or(0, |g| g.start());
                                let line = item.line.map(|l| l + line_of(&item.text, at) - 1);
                                ev.push(
                                    Evidence::new(
                                        KIND,
                                        "script-injection",
                                        format!(
                                            "`run:` expands untrusted `${{{{ {inner} }}}}`; pass it through `env:` and quote the variable"
                                        ),
                                    )
                                    .at(f.path.clone(), line),
                                );
                            }
                        }
                    }
                    ItemKind::Hook => {}
                }
            }
            if pinned_count > 0 {
                ev.push(
                    Evidence::new(
                        KIND,
                        "action-pinned",
                        format!("{pinned_count} action reference(s) pinned"),
                    )
                    .at(f.path.clone(), None),
                );
            }
            if let (Some(v), Some(head)) = (&f.value, &head)
                && on_pr_target(v)
            {
                for (line, r) in self.head_checkouts(v, &f.text, head) {
                    failed = true;
                    ev.push(
                        Evidence::new(
                            KIND,
                            "pr-target-checkout",
                            format!(
                                "`pull_request_target` workflow checks out the pull request head (`ref: {r}`), running untrusted code with the base repository's secrets"
                            ),
                        )
                        .at(f.path.clone(), line),
                    );
                }
            }
        }
        ev.extend(
            index
                .unreadable_as(KIND)
                .into_iter()
                .filter(|e| e.path.as_deref().is_some_and(|p| p.contains(".github/"))),
        );
        if workflows == 0 {
            ev.push(Evidence::new(
                KIND,
                "no-workflows",
                "no GitHub Actions workflows to harden",
            ));
        }
        Outcome {
            status: if failed { Status::Fail } else { Status::Pass },
            evidence: ev,
            findings: Vec::new(),
        }
    }

    /// Checkout steps whose `ref:` names the pull request head: (line, ref).
    fn head_checkouts(&self, v: &Value, text: &str, head: &Regex) -> Vec<(Option<u64>, String)> {
        let mut out = Vec::new();
        let steps = v
            .get("jobs")
            .and_then(Value::as_object)
            .into_iter()
            .flat_map(|j| j.values())
            .filter_map(|job| job.get("steps").and_then(Value::as_array))
            .flatten();
        for step in steps {
            let uses = step.get("uses").and_then(Value::as_str).unwrap_or("");
            if !self.checkout_actions.iter().any(|p| uses.starts_with(p)) {
                continue;
            }
            let Some(r) = step
                .get("with")
                .and_then(|w| w.get("ref"))
                .and_then(Value::as_str)
            else {
                continue;
            };
            if head.is_match(r) {
                let line = text.find(r).map(|at| line_of(text, at));
                out.push((line, r.to_string()));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pinning_rules() {
        assert!(pinned(
            "actions/checkout@8e5e7e5ab8b370d6c329ec480221332ada57f0ab"
        ));
        assert!(!pinned("actions/checkout@v4"));
        assert!(!pinned("actions/checkout@8e5e7e5"));
        assert!(pinned("./.github/actions/setup"));
        assert!(pinned("docker://alpine@sha256:0123"));
        assert!(!pinned("docker://alpine:3.20"));
        assert!(!pinned("octo/repo/.github/workflows/ci.yml@main"));
    }
}
