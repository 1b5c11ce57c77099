//! `review-attestation`: a review of a given kind, by the person a manifest field names, is
//! recorded in the manifest and bound to the artifact's current digest. A review of older
//! content is stale; when it recorded a commit, the files changed since are listed so the
//! reviewer knows what to read.

use serde::{Deserialize, Serialize};

use super::{Ctx, Evidence, Outcome, Status};
use crate::artifact::digest::abbrev;
use crate::config::{Sp, Validator};
use crate::detection::identity;
use crate::manifest::{FIELD_NAMES, FieldValue, Review, ReviewKind};

const KIND: &str = "review-attestation";

/// At most this many changed files are listed for a stale review.
const MAX_LISTED: usize = 50;

/// Settings of `review-attestation`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The kind of review required: `self` or `engineering`.
    pub review_kind: ReviewKind,
    /// Manifest field naming who must have reviewed (`owner`); anyone when absent.
    #[serde(default)]
    pub by: Option<Sp<String>>,
}

/// Evidence pointing at a review entry in the manifest.
pub(super) fn at_review(e: Evidence, r: &Review, artifact: &crate::artifact::Artifact) -> Evidence {
    e.at(artifact.manifest_name(), Some(r.by.referenced.line()))
}

/// The error outcome when the digest cannot be computed.
pub(super) fn digest_error(kind: &str, why: &str) -> Outcome {
    Outcome::one(
        Status::Error,
        Evidence::new(
            kind,
            "digest-error",
            format!("cannot compute the artifact digest: {why}"),
        ),
    )
}

impl Config {
    pub(super) fn validate(&self, v: &mut Validator<'_>, origin: usize, owner: &str) {
        if let Some(f) = &self.by
            && !FIELD_NAMES.contains(&f.value.as_str())
        {
            v.error_str(
                origin,
                f,
                format!("unknown manifest field `{}` in {owner}", f.value),
            )
            .help = Some(format!("manifest fields: `{}`", FIELD_NAMES.join("`, `")));
        }
    }

    pub(super) fn run(&self, ctx: &Ctx<'_>) -> Outcome {
        let kind = match self.review_kind {
            ReviewKind::SelfReview => "self",
            ReviewKind::Engineering => "engineering",
        };
        let manifest = ctx.artifact.manifest();
        let person = match &self.by {
            None => None,
            Some(field) => match manifest.field(&field.value) {
                FieldValue::One(v) => Some(v.value.trim().to_string()),
                FieldValue::Many(vs) => vs.first().map(|v| v.value.trim().to_string()),
                FieldValue::Missing => {
                    return Outcome::one(
                        Status::Fail,
                        Evidence::new(
                            KIND,
                            format!("{}-missing", field.value),
                            format!(
                                "`{}` is not set in {}, so whose {kind} review counts is unknown",
                                field.value,
                                ctx.artifact.manifest_name()
                            ),
                        ),
                    );
                }
            },
        };
        let digest = match ctx.artifact.digest() {
            Ok(d) => d,
            Err(why) => return digest_error(KIND, why),
        };
        let mut notes: Vec<Evidence> = digest
            .submodules
            .iter()
            .map(|s| {
                Evidence::new(
                    KIND,
                    "submodule-not-followed",
                    "submodule: not covered by the digest (its own repository is not followed)",
                )
                .at(s.clone(), None)
            })
            .collect();
        let of_kind: Vec<&Review> = manifest
            .reviews
            .iter()
            .filter(|r| r.kind == self.review_kind)
            .collect();
        let by_person: Vec<&Review> = of_kind
            .iter()
            .copied()
            .filter(|r| {
                person
                    .as_ref()
                    .is_none_or(|p| identity(p) == identity(&r.by.value))
            })
            .collect();
        let who = person
            .as_ref()
            .map(|p| format!(" by {p}"))
            .unwrap_or_default();
        // Reviews of the current content, the latest first; the first that counts (signed,
        // or unsigned where the policy counts claims) passes.
        let mut refused: Vec<Evidence> = Vec::new();
        for r in by_person
            .iter()
            .rev()
            .filter(|r| r.digest.value == digest.value)
        {
            let current = at_review(
                Evidence::new(
                    KIND,
                    "review-current",
                    format!(
                        "{kind} review by {} on {} covers the current content ({}, {} file{})",
                        r.by.value,
                        r.date.value,
                        abbrev(&digest.value),
                        digest.files.len(),
                        if digest.files.len() == 1 { "" } else { "s" }
                    ),
                )
                .supporting(),
                r,
                ctx.artifact,
            );
            let standing = super::signed::standing(ctx, KIND, r);
            let proof = at_review(standing.evidence, r, ctx.artifact);
            if standing.counts {
                let mut ev = vec![current, proof];
                ev.append(&mut notes);
                return Outcome {
                    status: Status::Pass,
                    evidence: ev,
                    findings: Vec::new(),
                };
            }
            refused.push(current);
            refused.push(proof);
        }
        if !refused.is_empty() {
            refused.append(&mut notes);
            return Outcome {
                status: Status::Fail,
                evidence: refused,
                findings: Vec::new(),
            };
        }
        // The latest review by the person: the last entry with the latest date.
        let latest = by_person
            .iter()
            .enumerate()
            .max_by(|(i, a), (j, b)| (&a.date.value, i).cmp(&(&b.date.value, j)))
            .map(|(_, r)| *r);
        let Some(r) = latest else {
            let mut ev = match of_kind.first() {
                Some(other) => vec![at_review(
                    Evidence::new(
                        KIND,
                        "review-by-other",
                        format!(
                            "the {kind} review recorded is by {}, but it must be{who}",
                            other.by.value
                        ),
                    ),
                    other,
                    ctx.artifact,
                )],
                None => vec![Evidence::new(
                    KIND,
                    "review-missing",
                    format!(
                        "no {kind} review{who} is recorded in {}",
                        ctx.artifact.manifest_name()
                    ),
                )],
            };
            ev.append(&mut notes);
            return Outcome {
                status: Status::Fail,
                evidence: ev,
                findings: Vec::new(),
            };
        };
        let mut ev = vec![at_review(
            Evidence::new(
                KIND,
                "review-stale",
                format!(
                    "the {kind} review by {} on {} covers {}, but the content is now {}: it changed after the review",
                    r.by.value,
                    r.date.value,
                    abbrev(&r.digest.value),
                    abbrev(&digest.value)
                ),
            ),
            r,
            ctx.artifact,
        )];
        ev.extend(changed_files(ctx, r));
        ev.append(&mut notes);
        Outcome {
            status: Status::Fail,
            evidence: ev,
            findings: Vec::new(),
        }
    }
}

/// Evidence naming each file changed since the commit a review recorded.
fn changed_files(ctx: &Ctx<'_>, r: &Review) -> Vec<Evidence> {
    let Some(commit) = r
        .commit
        .as_ref()
        .map(|c| c.value.trim())
        .filter(|c| !c.is_empty())
    else {
        return vec![Evidence::new(
            KIND,
            "review-no-commit",
            "the review recorded no commit, so the files changed since cannot be listed",
        )];
    };
    let short: String = commit.chars().take(7).collect();
    let repo = match crate::git::open(&ctx.artifact.root) {
        Ok(r) => r,
        Err(e) => {
            return vec![Evidence::new(
                KIND,
                "changes-unknown",
                format!("cannot list the files changed since {short}: {e}"),
            )];
        }
    };
    let Some(scope) = ctx.artifact.git_scope(&repo) else {
        return Vec::new();
    };
    match repo.changed_since(commit, &scope) {
        Err(why) => vec![Evidence::new(
            KIND,
            "changes-unknown",
            format!("cannot list the files changed since the review: {why}"),
        )],
        Ok(changes) if changes.is_empty() => vec![Evidence::new(
            KIND,
            "changes-unknown",
            format!(
                "git shows no change since {short} in this folder; a file git ignores or does not track may have changed"
            ),
        )],
        Ok(changes) => {
            let total = changes.len();
            let mut ev: Vec<Evidence> = changes
                .iter()
                .take(MAX_LISTED)
                .map(|c| {
                    Evidence::new(
                        KIND,
                        "changed-since-review",
                        format!("{} since the review (commit {short})", c.what),
                    )
                    .at(scope.relative(&c.path), None)
                })
                .collect();
            if total > MAX_LISTED {
                ev.push(Evidence::new(
                    KIND,
                    "changed-since-review",
                    format!("… and {} more files", total - MAX_LISTED),
                ));
            }
            ev
        }
    }
}
