//! Whether a review entry proves who made it: its SSH signature checked against the
//! policy's allowed signers, or, unsigned, a claim that counts only at the tiers the policy's
//! `signatures.unsigned_reviews` lists. Shared by `review-attestation` and `code-review`.

use super::{Ctx, Evidence};
use crate::manifest::Review;
use crate::signers::{REVIEW_NAMESPACE, review_message};

/// What a review entry's signature shows.
pub(super) struct Standing {
    /// Whether the review counts at this tier.
    pub counts: bool,
    /// Evidence saying what it rests on.
    pub evidence: Evidence,
}

/// The command that records a signed review, for remediation text.
fn sign_hint(ctx: &Ctx<'_>, r: &Review) -> String {
    format!(
        "record it signed: `tiercheck review {} --by {} --kind {} --key ~/.ssh/id_ed25519` (`--new-key` instead of `--key …` makes a key first)",
        ctx.artifact.shown_path(),
        r.by.value,
        r.kind_name()
    )
}

/// Judges `r`'s signature (of check kind `check`) at the context's tier.
pub(super) fn standing(ctx: &Ctx<'_>, check: &str, r: &Review) -> Standing {
    let unsigned_ok = ctx.detection.counts_unsigned_reviews(ctx.tier);
    let tier = ctx.tier;
    let unsigned = |why: String| {
        if unsigned_ok {
            Standing {
                counts: true,
                evidence: Evidence::new(
                    check,
                    "review-unsigned",
                    format!(
                        "the review is not signed ({why}): a claim, which the policy counts at {tier}"
                    ),
                )
                .marked(super::Status::Warn),
            }
        } else {
            Standing {
                counts: false,
                evidence: Evidence::new(
                    check,
                    "review-unsigned-refused",
                    format!(
                        "the review is not signed ({why}), and at {tier} the policy counts only signed reviews (`signatures.unsigned_reviews`); {}",
                        sign_hint(ctx, r)
                    ),
                ),
            }
        }
    };
    let Some(sig) = r.signature.as_ref().filter(|s| !s.value.trim().is_empty()) else {
        return unsigned("no `signature:`".into());
    };
    let Some(signers) = ctx.detection.signers() else {
        return unsigned(
            "its signature cannot be checked: the policy names no allowed signers (`signatures.allowed_signers` in the company policy given by --policy or TIERCHECK_POLICY)"
                .into(),
        );
    };
    let msg = review_message(&r.digest.value, r.kind_name(), &r.by.value, &r.date.value);
    let day = chrono::NaiveDate::parse_from_str(&r.date.value, "%Y-%m-%d").ok();
    match signers.verify(
        Some(&r.by.value),
        REVIEW_NAMESPACE,
        msg.as_bytes(),
        &sig.value,
        day,
    ) {
        Ok(s) => Standing {
            counts: true,
            evidence: Evidence::new(
                check,
                "review-signed",
                format!(
                    "signed by {} with key {} (allowed signers: {})",
                    s.principal, s.fingerprint, signers.path
                ),
            )
            .supporting(),
        },
        Err(why) => Standing {
            counts: false,
            evidence: Evidence::new(
                check,
                "review-signature-invalid",
                format!("the review's signature is invalid: {why}; it does not count"),
            ),
        },
    }
}
