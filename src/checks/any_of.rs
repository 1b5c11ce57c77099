//! `any-of`: passes when any of its checks passes; with `tiers`, applies only at those tiers
//! (ownership asks for a maintainers file only from T3).

use serde::{Deserialize, Serialize};

use super::{CheckSpec, Ctx, Evidence, Outcome, Status};
use crate::config::{Sp, Validator};

const KIND: &str = "any-of";

/// Settings of `any-of`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The alternatives.
    pub checks: Vec<CheckSpec>,
    /// Tiers at which this group applies; all tiers when absent.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tiers: Vec<Sp<String>>,
}

impl Config {
    pub(super) fn validate(&self, v: &mut Validator<'_>, origin: usize, owner: &str) {
        for t in &self.tiers {
            v.tier(origin, t, owner);
        }
        for c in &self.checks {
            c.validate(v, origin, owner);
        }
    }

    pub(super) fn run(&self, ctx: &Ctx<'_>) -> Outcome {
        if !self.tiers.is_empty() && !self.tiers.iter().any(|t| t.value == ctx.tier) {
            return Outcome::one(
                Status::Skip,
                Evidence::new(KIND, "not-applicable", format!("not asked at {}", ctx.tier)),
            );
        }
        let mut evidence = Vec::new();
        let mut findings = Vec::new();
        let mut any_error = false;
        for c in &self.checks {
            let o = c.run(ctx);
            if o.status == Status::Pass {
                return o;
            }
            any_error |= o.status == Status::Error;
            evidence.extend(o.evidence);
            findings.extend(o.findings);
        }
        let status = if any_error {
            Status::Error
        } else {
            Status::Fail
        };
        Outcome {
            status,
            evidence,
            findings,
        }
    }
}
