//! Check kinds the policy can already name but this version cannot run yet. They report
//! `error` ("check not available in this version"), never `pass`.

use serde::{Deserialize, Serialize};

use super::{Evidence, Outcome, Status};

/// Settings of `content-scan`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContentScan {
    /// `prompt-files` or `tree`.
    pub scope: String,
    /// `secret` or `pii`.
    pub category: String,
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
