//! `engineer`: a manifest field (usually `sponsor`) names an engineer as the policy's
//! `engineers:` defines them, and, with `distinct_from`, is not that other field's person
//! unless that person is an engineer too.

use serde::{Deserialize, Serialize};

use super::{Ctx, Evidence, Outcome, Status};
use crate::config::{Sp, Validator};
use crate::detection::identity;
use crate::manifest::{FIELD_NAMES, FieldValue};

const KIND: &str = "engineer";

/// Settings of `engineer`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The manifest field naming the person (`sponsor`).
    pub field: Sp<String>,
    /// Evidence signal when the person is an engineer.
    #[serde(default)]
    pub signal: Option<String>,
    /// Another field (`owner`): the same person only counts when they are an engineer.
    #[serde(default)]
    pub distinct_from: Option<Sp<String>>,
}

fn single(ctx: &Ctx<'_>, field: &str) -> Option<String> {
    match ctx.artifact.manifest().field(field) {
        FieldValue::Missing => None,
        FieldValue::One(v) => Some(v.value.trim().to_string()),
        FieldValue::Many(vs) => vs.first().map(|v| v.value.trim().to_string()),
    }
}

impl Config {
    pub(super) fn validate(&self, v: &mut Validator<'_>, origin: usize, owner: &str) {
        for f in std::iter::once(&self.field).chain(self.distinct_from.as_ref()) {
            if !FIELD_NAMES.contains(&f.value.as_str()) {
                v.error_str(
                    origin,
                    f,
                    format!("unknown manifest field `{}` in {owner}", f.value),
                )
                .help = Some(format!("manifest fields: `{}`", FIELD_NAMES.join("`, `")));
            }
        }
    }

    pub(super) fn run(&self, ctx: &Ctx<'_>) -> Outcome {
        let field = &self.field.value;
        let signal = self
            .signal
            .clone()
            .unwrap_or_else(|| format!("{field}-engineer"));
        let Some(person) = single(ctx, field) else {
            return Outcome::one(
                Status::Fail,
                Evidence::new(
                    KIND,
                    format!("{field}-missing"),
                    format!("`{field}` is not set in {}", ctx.artifact.manifest_name()),
                ),
            );
        };
        let engineers = ctx.detection.engineers.cloned().unwrap_or_default();
        if engineers.is_empty() {
            return Outcome::one(
                Status::Error,
                Evidence::new(
                    KIND,
                    "engineers-undefined",
                    format!(
                        "the policy names no engineers (`engineers:` emails, domains or patterns), so whether {person} is one cannot be checked; a company policy names them (`tiercheck policy init --engineer-domain DOMAIN`, then `--policy FILE` or TIERCHECK_POLICY=FILE)"
                    ),
                ),
            );
        }
        let is_engineer = engineers.matches(&person);
        if let Some(other) = &self.distinct_from
            && let Some(other_person) = single(ctx, &other.value)
            && identity(&other_person) == identity(&person)
            && !is_engineer
        {
            return Outcome::one(
                Status::Fail,
                Evidence::new(
                    KIND,
                    format!("{field}-is-{}", other.value),
                    format!(
                        "`{field}` is the {} ({person}), who is not an engineer",
                        other.value
                    ),
                ),
            );
        }
        if is_engineer {
            Outcome::one(
                Status::Pass,
                Evidence::new(KIND, signal, format!("{person} is an engineer")),
            )
        } else {
            Outcome::one(
                Status::Fail,
                Evidence::new(
                    KIND,
                    format!("{field}-not-engineer"),
                    format!("{person} is not an engineer per the policy's `engineers:`"),
                ),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::artifact::Artifact;

    fn run(policy_extra: &str, manifest: &str) -> Outcome {
        let policy = crate::policy::load_text(
            &format!("version: 1\nextends: default\n{policy_extra}"),
            std::path::Path::new("p.yaml"),
        )
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(".tier.yaml"), manifest).unwrap();
        let m = crate::manifest::load(&dir.path().join(".tier.yaml")).unwrap();
        let art = Artifact::new(dir.path(), Some(m), vec![]);
        let rules = policy.scan_rules();
        let ctx = Ctx {
            detection: policy.detection(&rules),
            artifact: &art,
            tier: "T3",
            today: chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        };
        let cfg: Config = serde_saphyr::from_str("field: sponsor\ndistinct_from: owner\n").unwrap();
        cfg.run(&ctx)
    }

    #[test]
    fn sponsor_rules() {
        let eng = "engineers:\n  domains: [eng.example]\n";
        assert_eq!(
            run(eng, "owner: a@corp.example\nsponsor: b@eng.example\n").status,
            Status::Pass
        );
        let o = run(eng, "owner: a@corp.example\nsponsor: a@corp.example\n");
        assert_eq!(o.status, Status::Fail);
        assert_eq!(o.evidence[0].signal, "sponsor-is-owner");
        assert_eq!(
            run(eng, "owner: b@eng.example\nsponsor: b@eng.example\n").status,
            Status::Pass
        );
        assert_eq!(
            run(eng, "owner: a@corp.example\n").evidence[0].signal,
            "sponsor-missing"
        );
        assert_eq!(run("", "owner: a\nsponsor: b\n").status, Status::Error);
    }
}
