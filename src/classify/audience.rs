//! The audience answer checked against the evidence (`audience_evidence` in the policy): a
//! git remote on a public code host, a package set up to be published, a CI step that
//! publishes. Each is a warning naming the evidence, or, when the policy says so, makes a
//! lower answer under-classified. tiercheck never asks a host whether a repository is
//! public: it reads what the files say.

use std::collections::BTreeMap;

use crate::artifact::Artifact;
use crate::evaluate::{AudienceFound, TierDecision};
use crate::policy::Policy;

/// The host of a git remote URL (`https://host/…`, `ssh://user@host/…`, `user@host:path`).
fn host_of(url: &str) -> Option<String> {
    let rest = match url.split_once("://") {
        Some((_, r)) => r,
        None if url.contains(':') && !url.starts_with('/') => url,
        None => return None,
    };
    let authority = rest.split(['/', ':']).next()?;
    let host = authority.rsplit('@').next()?;
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

/// Every piece of audience evidence in the artifact.
pub fn audience_found(policy: &Policy, artifact: &Artifact) -> Vec<AudienceFound> {
    let Some(ae) = &policy.audience_evidence else {
        return Vec::new();
    };
    let answer = ae.answer.value.clone();
    let mut out = Vec::new();
    if !ae.remote_hosts.is_empty()
        && let Ok(repo) = crate::git::open(&artifact.root)
        && let Ok(names) = repo.raw().remotes()
    {
        for name in names.iter().flatten().flatten() {
            let Some(url) = repo
                .raw()
                .find_remote(name)
                .ok()
                .and_then(|r| r.url().ok().map(str::to_string))
            else {
                continue;
            };
            let Some(host) = host_of(&url) else { continue };
            if ae.remote_hosts.iter().any(|h| {
                host == h.to_ascii_lowercase()
                    || host.ends_with(&format!(".{}", h.to_ascii_lowercase()))
            }) {
                out.push(AudienceFound {
                    signal: "public-remote".into(),
                    answer: answer.clone(),
                    message: format!(
                        "git remote `{name}` is on {host}, where code is often public (tiercheck cannot see whether this repository is)"
                    ),
                    path: None,
                    line: None,
                });
            }
        }
    }
    if ae.packages {
        // Installed packages (the policy's `vendored` trees) carry their own manifests.
        let mut vendored = globset::GlobSetBuilder::new();
        for g in policy.vendored.iter().flatten() {
            if let Ok(g) = globset::Glob::new(&g.value) {
                vendored.add(g);
            }
        }
        let vendored = vendored
            .build()
            .unwrap_or_else(|_| globset::GlobSet::empty());
        for rel in artifact.files() {
            if vendored.is_match(rel) {
                continue;
            }
            let shown = Artifact::display(rel);
            let name = rel.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if name != "package.json" && name != "Cargo.toml" {
                continue;
            }
            let Ok(text) = crate::checks::ci::read_capped(&artifact.root.join(rel)) else {
                continue;
            };
            let publishable = match name {
                "package.json" => serde_json::from_str::<serde_json::Value>(&text)
                    .ok()
                    .filter(|v| {
                        v.get("name").is_some()
                            && v.get("private") != Some(&serde_json::Value::Bool(true))
                    })
                    .map(|_| "can be published to npm (no `\"private\": true`)"),
                "Cargo.toml" => toml::from_str::<toml::Value>(&text)
                    .ok()
                    .filter(|v| {
                        v.get("package").is_some_and(|p| {
                            !matches!(p.get("publish"), Some(toml::Value::Boolean(false)))
                                && !p
                                    .get("publish")
                                    .and_then(|x| x.as_array())
                                    .is_some_and(|a| a.is_empty())
                        })
                    })
                    .map(|_| "can be published to crates.io (no `publish = false`)"),
                _ => None,
            };
            if let Some(how) = publishable {
                out.push(AudienceFound {
                    signal: "publishable-package".into(),
                    answer: answer.clone(),
                    message: format!("{shown} {how}"),
                    path: Some(shown),
                    line: None,
                });
            }
        }
    }
    if !ae.publish_commands.is_empty() {
        let patterns: Vec<regex::Regex> = ae
            .publish_commands
            .iter()
            .filter_map(|p| regex::Regex::new(&p.value).ok())
            .collect();
        let rules = policy.scan_rules();
        let ctx = crate::checks::Ctx {
            detection: policy.detection(&rules),
            artifact,
            tier: "",
            today: chrono::NaiveDate::default(),
        };
        let index = crate::checks::ci::index(&ctx);
        for (file, item) in index.items() {
            if let Some(m) = patterns.iter().find_map(|re| re.find(&item.text)) {
                out.push(AudienceFound {
                    signal: "publish-step".into(),
                    answer: answer.clone(),
                    message: format!(
                        "{} publishes (`{}`)",
                        file.path,
                        crate::checks::ci::quote_command(m.as_str())
                    ),
                    path: Some(file.path.clone()),
                    line: item.line,
                });
            }
        }
    }
    out
}

/// Records the audience evidence on the decision: a warning in the reason, or, when the
/// policy's `under_classify` is set and the answer given is lower, an under-classification
/// with the tier the implied answer gives.
pub fn raise_for_audience(
    policy: &Policy,
    answers: &BTreeMap<String, String>,
    decision: &mut TierDecision,
    found: Vec<AudienceFound>,
) {
    let Some(ae) = &policy.audience_evidence else {
        return;
    };
    let q = &ae.question.value;
    let rank = |a: &str| super::answer_rank(policy, q, a);
    let lower = match (answers.get(q).and_then(|g| rank(g)), rank(&ae.answer.value)) {
        (Some(g), Some(i)) => g < i,
        _ => false,
    };
    if found.is_empty() || !lower {
        return;
    }
    let first = &found[0].message;
    let more = if found.len() > 1 {
        format!(" and {} more", found.len() - 1)
    } else {
        String::new()
    };
    let given = answers.get(q).map(String::as_str).unwrap_or("");
    if ae.under_classify {
        let why = format!(
            "under-classified: {q} '{given}' was given, but {first}{more}, so {q} is at least '{}'",
            ae.answer.value
        );
        super::under_classify(policy, answers, (q, &ae.answer.value), why, decision);
    } else {
        decision.reason = format!(
            "{}; warning: {q} '{given}' was given, but {first}{more}",
            decision.reason
        );
    }
    decision.audience = found;
}

#[cfg(test)]
mod tests {
    use super::host_of;

    #[test]
    fn remote_hosts() {
        assert_eq!(
            host_of("git@github.com:org/x.git").as_deref(),
            Some("github.com")
        );
        assert_eq!(
            host_of("https://tok@GitLab.com/org/x").as_deref(),
            Some("gitlab.com")
        );
        assert_eq!(
            host_of("ssh://git@bitbucket.org:22/o/x").as_deref(),
            Some("bitbucket.org")
        );
        assert_eq!(host_of("/srv/git/x.git"), None);
    }
}
