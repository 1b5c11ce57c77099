//! `code-review`: an engineer other than the author reviewed the current code. Passes on an
//! `engineering` review entry bound to the current digest by an engineer who did not write
//! the changes, or on git evidence that the commits which last touched the artifact were
//! reviewed (see `git::history` for how the history is read).

use serde::{Deserialize, Serialize};

use super::review_attestation::{at_review, digest_error};
use super::{Ctx, Evidence, Outcome, Status};
use crate::artifact::digest::abbrev;
use crate::config::{Sp, Validator};
use crate::detection::identity;
use crate::git::history::{Coverage, Settings, Stop, Walk};
use crate::git::{NoRepo, short};
use crate::manifest::{FieldValue, ReviewKind};

const KIND: &str = "code-review";

/// At most this many commits are named in the evidence.
const MAX_LISTED: usize = 20;

/// Settings of `code-review`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Commit trailer keys that name a reviewer (`Reviewed-by`, `Approved-by`).
    pub trailers: Vec<Sp<String>>,
    /// Regexes matched against a merge commit's message: a match means the merge brought in
    /// a reviewed pull/merge request.
    pub merge_patterns: Vec<Sp<String>>,
    /// How many commits of the first-parent history to examine at most.
    pub max_commits: Sp<usize>,
}

/// What the check concluded from one source of evidence.
struct Verdict {
    /// `Some(true)` reviewed, `Some(false)` shown not reviewed, `None` cannot tell.
    reviewed: Option<bool>,
    evidence: Vec<Evidence>,
}

impl Config {
    pub(super) fn validate(&self, v: &mut Validator<'_>, origin: usize, owner: &str) {
        for p in &self.merge_patterns {
            v.regex(origin, p, owner);
        }
        for t in &self.trailers {
            let k = t.value.trim();
            if k.is_empty() || k.contains(':') || k.chars().any(char::is_whitespace) {
                v.error_str(
                    origin,
                    t,
                    format!("`{}` is not a commit trailer key in {owner}", t.value),
                )
                .help = Some("write the key alone, such as `Reviewed-by`".into());
            }
        }
        if self.max_commits.value == 0 {
            v.error(
                origin,
                &self.max_commits,
                format!("`max_commits` must be at least 1 in {owner}"),
            );
        }
    }

    pub(super) fn run(&self, ctx: &Ctx<'_>) -> Outcome {
        let git = self.git_history(ctx);
        let walk_authors: Vec<String> = git.1.as_ref().map(Walk::authors).unwrap_or_default();
        let entries = match self.review_entries(ctx, &walk_authors) {
            Ok(v) => v,
            Err(o) => return o,
        };
        let git = git.0;
        let (status, evidence) = match (entries.reviewed, git.reviewed) {
            (Some(true), _) => (Status::Pass, entries.evidence),
            (_, Some(true)) => (Status::Pass, git.evidence),
            (a, b) => {
                let status = if a == Some(false) || b == Some(false) {
                    Status::Fail
                } else {
                    Status::Error
                };
                let mut ev = entries.evidence;
                ev.extend(git.evidence);
                (status, ev)
            }
        };
        Outcome {
            status,
            evidence,
            findings: Vec::new(),
        }
    }

    /// Engineering review entries of the manifest.
    fn review_entries(&self, ctx: &Ctx<'_>, git_authors: &[String]) -> Result<Verdict, Outcome> {
        let manifest = ctx.artifact.manifest();
        let entries: Vec<_> = manifest
            .reviews
            .iter()
            .filter(|r| r.kind == ReviewKind::Engineering)
            .collect();
        if entries.is_empty() {
            return Ok(Verdict {
                reviewed: None,
                evidence: Vec::new(),
            });
        }
        let digest = match ctx.artifact.digest() {
            Ok(d) => d,
            Err(why) => return Err(digest_error(KIND, why)),
        };
        let engineers = ctx.detection.engineers.cloned().unwrap_or_default();
        // Authors of the reviewed changes: the commits' authors, and the owner, whose own
        // review is a self review whatever kind it claims.
        let mut authors: Vec<String> = git_authors.iter().map(|a| identity(a)).collect();
        if let FieldValue::One(o) = manifest.field("owner") {
            authors.push(identity(&o.value));
        }
        let mut evidence = Vec::new();
        let mut reviewed = Some(false);
        for r in entries.iter().rev() {
            let who = &r.by.value;
            let (signal, message, ok) = if r.digest.value != digest.value {
                (
                    "engineering-review-stale",
                    format!(
                        "engineering review by {who} on {} covers {}, but the content is now {}",
                        r.date.value,
                        abbrev(&r.digest.value),
                        abbrev(&digest.value)
                    ),
                    Some(false),
                )
            } else if engineers.is_empty() {
                (
                    "engineers-undefined",
                    format!(
                        "engineering review by {who} cannot be confirmed: the policy names no engineers (`engineers:` emails, domains or patterns); a company policy names them (`tiercheck policy init --engineer-domain DOMAIN`, then `--policy FILE` or TIERCHECK_POLICY=FILE)"
                    ),
                    None,
                )
            } else if !engineers.matches(who) {
                (
                    "reviewer-not-engineer",
                    format!(
                        "engineering review by {who}, who is not an engineer per the policy's `engineers:`"
                    ),
                    Some(false),
                )
            } else if authors.contains(&identity(who)) {
                (
                    "review-by-author",
                    format!(
                        "engineering review by {who}, who is an author or the owner of the code reviewed"
                    ),
                    Some(false),
                )
            } else {
                (
                    "engineering-review",
                    format!(
                        "engineering review by {who} on {} covers the current content ({})",
                        r.date.value,
                        abbrev(&digest.value)
                    ),
                    Some(true),
                )
            };
            let mut e = at_review(Evidence::new(KIND, signal, message), r, ctx.artifact);
            if ok == Some(true) {
                e = e.supporting();
                // Who reviewed is proven by a signature, or a claim the policy counts here.
                let standing = super::signed::standing(ctx, KIND, r);
                let proof = at_review(standing.evidence, r, ctx.artifact);
                if standing.counts {
                    return Ok(Verdict {
                        reviewed: Some(true),
                        evidence: vec![e, proof],
                    });
                }
                evidence.push(e);
                evidence.push(proof);
                continue;
            }
            if ok.is_none() {
                reviewed = None;
            }
            evidence.push(e);
        }
        Ok(Verdict { reviewed, evidence })
    }

    /// Review evidence in the git history, and the walk (for its authors).
    fn git_history(&self, ctx: &Ctx<'_>) -> (Verdict, Option<Walk>) {
        let cannot = |signal: &str, message: String| Verdict {
            reviewed: None,
            evidence: vec![Evidence::new(KIND, signal, message)],
        };
        let repo = match crate::git::open(&ctx.artifact.root) {
            Ok(r) => r,
            Err(NoRepo::NotARepo) => {
                return (
                    cannot(
                        "not-a-git-repo",
                        "not a git repository: no history to check".into(),
                    ),
                    None,
                );
            }
            Err(e) => return (cannot("git-unreadable", e.to_string()), None),
        };
        let Some(scope) = ctx.artifact.git_scope(&repo) else {
            return (
                cannot(
                    "git-unreadable",
                    "the artifact lies outside the repository's working tree".into(),
                ),
                None,
            );
        };
        let mut patterns = Vec::new();
        for p in &self.merge_patterns {
            match regex::Regex::new(&p.value) {
                Ok(re) => patterns.push(re),
                Err(e) => return (cannot("invalid-pattern", e.to_string()), None),
            }
        }
        let trailers: Vec<String> = self
            .trailers
            .iter()
            .map(|t| t.value.trim().to_string())
            .collect();
        let settings = Settings {
            trailers: &trailers,
            merge_patterns: &patterns,
            max_commits: self.max_commits.value.max(1),
        };
        let walk = match repo.review_walk(&scope, &settings) {
            Ok(Some(w)) => w,
            Ok(None) => {
                return (
                    cannot(
                        "no-commits",
                        "the repository has no commits yet: no history to check".into(),
                    ),
                    None,
                );
            }
            Err(why) => return (cannot("git-error", why), None),
        };
        let mut evidence = Vec::new();
        let mut notes = Vec::new();
        if repo.head_detached()
            && let Ok(Some(head)) = repo.head()
        {
            notes.push(Evidence::new(
                KIND,
                "detached-head",
                format!(
                    "HEAD is detached at {}; the history behind that commit was checked",
                    short(head.id())
                ),
            ));
        }
        for s in repo.submodules(&scope) {
            notes.push(
                Evidence::new(
                    KIND,
                    "submodule-not-followed",
                    "submodule: its history is not checked",
                )
                .at(scope.relative(&s), None),
            );
        }
        let uncommitted = match repo.changed_since("HEAD", &scope) {
            Ok(c) => c,
            Err(why) => return (cannot("git-error", why), Some(walk)),
        };
        let mut unreviewed = 0;
        let claims_count = ctx.detection.counts_claims(ctx.tier);
        for t in walk.touches.iter().take(MAX_LISTED) {
            let id = short(t.id);
            let proof = match &t.coverage {
                Coverage::Unreviewed { .. } => None,
                c => commit_proof(ctx, &repo, t, c),
            };
            let resting = match &proof {
                Some(p) => format!(
                    "; proven: signed by {} with key {}",
                    p.principal, p.fingerprint
                ),
                None => {
                    " (a claim the commit's author can write: no signature by an allowed signer)"
                        .to_string()
                }
            };
            if proof.is_none()
                && !matches!(t.coverage, Coverage::Unreviewed { .. })
                && !claims_count
            {
                unreviewed += 1;
                evidence.push(Evidence::new(
                    KIND,
                    "review-claim-refused",
                    format!(
                        "{id} \"{}\" by {}: its review is only claimed (a trailer or merge message), and at {} the policy counts only commits signed by an allowed signer (`signatures.claims`)",
                        t.summary, t.author, ctx.tier
                    ),
                ));
                continue;
            }
            let e = match &t.coverage {
                Coverage::Trailers(by) => Evidence::new(
                    KIND,
                    if proof.is_some() {
                        "commit-review-signed"
                    } else {
                        "commit-reviewed"
                    },
                    format!(
                        "{id} \"{}\" by {}: reviewed by {}{resting}",
                        t.summary,
                        t.author,
                        by.join(", ")
                    ),
                )
                .supporting(),
                Coverage::Merged { matched, merged } => {
                    let list: Vec<String> = merged.iter().map(|(m, _)| short(*m)).collect();
                    let brought = if list.is_empty() {
                        String::new()
                    } else {
                        format!(", bringing in {}", list.join(", "))
                    };
                    Evidence::new(
                        KIND,
                        if proof.is_some() {
                            "merged-request-signed"
                        } else {
                            "merged-request"
                        },
                        format!(
                            "{id} \"{}\" merged a reviewed request ({matched}){brought}{resting}",
                            t.summary
                        ),
                    )
                    .supporting()
                }
                Coverage::Unreviewed { self_trailers } => {
                    unreviewed += 1;
                    let own = if self_trailers.is_empty() {
                        String::new()
                    } else {
                        format!(
                            " (its trailers name only its author: {})",
                            self_trailers.join(", ")
                        )
                    };
                    Evidence::new(
                        KIND,
                        "commit-unreviewed",
                        format!(
                            "{id} \"{}\" by {}: no {} trailer naming someone else, and not merged through a pull/merge request{own}",
                            t.summary,
                            t.author,
                            trailers.join("/")
                        ),
                    )
                }
            };
            evidence.push(e);
        }
        unreviewed += walk
            .touches
            .iter()
            .skip(MAX_LISTED)
            .filter(|t| matches!(t.coverage, Coverage::Unreviewed { .. }))
            .count();
        if walk.touches.len() > MAX_LISTED {
            evidence.push(Evidence::new(
                KIND,
                "commits-more",
                format!("… and {} more commits", walk.touches.len() - MAX_LISTED),
            ));
        }
        let mut reviewed = Some(unreviewed == 0 && !walk.touches.is_empty());
        match walk.stop {
            Stop::Shallow => {
                notes.push(Evidence::new(
                    KIND,
                    "history-partial",
                    format!(
                        "shallow clone: history is partial (stopped after {} commits); fetch the full history (`git fetch --unshallow`, or `fetch-depth: 0` in CI)",
                        walk.examined
                    ),
                ));
                if unreviewed == 0 {
                    reviewed = None;
                }
            }
            Stop::Window if walk.touches.is_empty() => {
                notes.push(Evidence::new(
                    KIND,
                    "history-window",
                    format!(
                        "none of the last {} commits touched this artifact (the policy's `max_commits`)",
                        walk.examined
                    ),
                ));
                reviewed = None;
            }
            Stop::Window => notes.push(Evidence::new(
                KIND,
                "history-window",
                format!(
                    "checked the last {} commits (the policy's `max_commits`)",
                    walk.examined
                ),
            )),
            Stop::Root if walk.touches.is_empty() => notes.push(Evidence::new(
                KIND,
                "no-commit-touches",
                "no commit touches this artifact: its files are not committed",
            )),
            Stop::Root | Stop::PullRequest => {}
        }
        if !uncommitted.is_empty() {
            let listed: Vec<&str> = uncommitted
                .iter()
                .take(10)
                .map(|c| scope.relative(&c.path))
                .collect();
            let more = uncommitted.len().saturating_sub(listed.len());
            notes.push(Evidence::new(
                KIND,
                "uncommitted-changes",
                format!(
                    "uncommitted changes are not covered by the history: {}{}",
                    listed.join(", "),
                    if more > 0 {
                        format!(" and {more} more")
                    } else {
                        String::new()
                    }
                ),
            ));
            if reviewed == Some(true) {
                reviewed = Some(false);
            }
        }
        evidence.append(&mut notes);
        (Verdict { reviewed, evidence }, Some(walk))
    }
}

/// A signature that proves a commit's review claim: the commit (for trailers) or the merge
/// commit (for a merged request) is signed by a key the policy's allowed signers hold for
/// someone other than the authors of the reviewed changes, and, for trailers, for one of
/// the reviewers they name.
fn commit_proof(
    ctx: &Ctx<'_>,
    repo: &crate::git::GitRepo,
    t: &crate::git::history::Touch,
    coverage: &Coverage,
) -> Option<crate::signers::Signer> {
    let signers = ctx.detection.signers()?;
    let (sig, data) = repo.ssh_signature(t.id)?;
    let verify = |who: Option<&str>| {
        signers
            .verify(who, crate::signers::GIT_NAMESPACE, &data, &sig, None)
            .ok()
    };
    match coverage {
        // The commit is signed by one of the reviewers its trailers name, not its author.
        Coverage::Trailers(by) => by
            .iter()
            .map(|b| identity(b))
            .filter(|b| *b != identity(&t.author))
            .find_map(|b| verify(Some(&b))),
        // The merge is signed by a named person who wrote none of the changes merged.
        Coverage::Merged { merged, .. } => verify(None).filter(|s| {
            let who = identity(&s.principal);
            !merged.is_empty()
                && !who.contains(['*', '?'])
                && merged.iter().all(|(_, author)| identity(author) != who)
        }),
        Coverage::Unreviewed { .. } => None,
    }
}
