//! Check kinds the policy can already name but this version cannot run yet. They report
//! `error` ("check not available in this version"), never `pass`.

use serde::{Deserialize, Serialize};

use super::{Evidence, Outcome, Status};

/// A check that takes no settings.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Empty {}

/// Settings of `review-attestation`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewAttestation {
    /// `self` or `engineering`.
    pub review_kind: String,
    /// Manifest field naming who must have reviewed (`owner`).
    #[serde(default)]
    pub by: Option<String>,
}

/// The outcome of a check kind that is not available yet.
pub fn run(kind: &str) -> Outcome {
    Outcome::one(
        Status::Error,
        Evidence::new(
            kind,
            "check-unavailable",
            format!("check `{kind}` is not available in this version of tiercheck"),
        ),
    )
}
