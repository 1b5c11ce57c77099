//! `manifest-field`: a field of `.tier.yaml` is set, non-empty, and optionally matches a
//! regular expression.

use serde::{Deserialize, Serialize};

use super::{Ctx, Evidence, Outcome, Status};
use crate::config::{Sp, Validator};
use crate::manifest::{FIELD_NAMES, FieldValue};

const KIND: &str = "manifest-field";

/// Settings of `manifest-field`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The manifest field (`owner`, `maintainers`, ...).
    pub field: Sp<String>,
    /// A regex every value must match.
    #[serde(default)]
    pub pattern: Option<Sp<String>>,
    /// The evidence signal when the field is set; defaults to `<field>-set`.
    #[serde(default)]
    pub signal: Option<String>,
}

impl Config {
    pub(super) fn validate(&self, v: &mut Validator<'_>, origin: usize, owner: &str) {
        if !FIELD_NAMES.contains(&self.field.value.as_str()) {
            let help =
                match crate::error::did_you_mean(&self.field.value, FIELD_NAMES.iter().copied()) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!("manifest fields: `{}`", FIELD_NAMES.join("`, `")),
                };
            v.error_str(
                origin,
                &self.field,
                format!("unknown manifest field `{}` in {owner}", self.field.value),
            )
            .help = Some(help);
        }
        if let Some(p) = &self.pattern {
            v.regex(origin, p, owner);
        }
    }

    fn signal(&self) -> String {
        self.signal
            .clone()
            .unwrap_or_else(|| format!("{}-set", self.field.value.replace('_', "-")))
    }

    pub(super) fn run(&self, ctx: &Ctx<'_>) -> Outcome {
        let field = &self.field.value;
        let signal = self.signal();
        let missing_signal = format!("{}-missing", field.replace('_', "-"));
        let Some(loaded) = &ctx.artifact.manifest else {
            return Outcome::one(
                Status::Fail,
                Evidence::new(
                    KIND,
                    missing_signal,
                    format!(
                        "no {}, so `{field}` is not set",
                        ctx.artifact.manifest_name()
                    ),
                ),
            );
        };
        let manifest_path = loaded
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned());
        let values: Vec<&Sp<String>> = match ctx.artifact.manifest().field(field) {
            FieldValue::Missing => {
                // The manifest's path goes with the evidence, not in its message twice.
                let mut e = Evidence::new(KIND, missing_signal, format!("`{field}` is not set"));
                e.path = manifest_path;
                return Outcome::one(Status::Fail, e);
            }
            FieldValue::One(v) => vec![v],
            FieldValue::Many(vs) => vs.iter().filter(|v| !v.value.trim().is_empty()).collect(),
        };
        let re = match self.pattern.as_ref().map(|p| regex::Regex::new(&p.value)) {
            Some(Err(e)) => {
                return Outcome::one(
                    Status::Error,
                    Evidence::new(KIND, "invalid-pattern", e.to_string()),
                );
            }
            Some(Ok(re)) => Some(re),
            None => None,
        };
        let at = |v: &Sp<String>, ev: Evidence| -> Evidence {
            ev.at(
                manifest_path.clone().unwrap_or_default(),
                Some(v.referenced.line()),
            )
        };
        if let Some(re) = re {
            let bad: Vec<&&Sp<String>> = values
                .iter()
                .filter(|v| !re.is_match(v.value.trim()))
                .collect();
            if !bad.is_empty() {
                let evidence = bad
                    .iter()
                    .map(|v| {
                        at(
                            v,
                            Evidence::new(
                                KIND,
                                format!("{}-invalid", field.replace('_', "-")),
                                format!(
                                    "`{field}` value `{}` does not match `{}`",
                                    v.value,
                                    re.as_str()
                                ),
                            ),
                        )
                    })
                    .collect();
                return Outcome {
                    status: Status::Fail,
                    evidence,
                    findings: Vec::new(),
                };
            }
        }
        let shown: Vec<&str> = values.iter().map(|v| v.value.trim()).collect();
        Outcome::one(
            Status::Pass,
            at(
                values[0],
                Evidence::new(KIND, signal, format!("`{field}` is {}", shown.join(", "))),
            ),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::artifact::Artifact;

    fn run(manifest: &str, cfg: &str) -> Outcome {
        let policy = crate::policy::load_default().unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(".tier.yaml"), manifest).unwrap();
        let m = crate::manifest::load(&dir.path().join(".tier.yaml")).unwrap();
        let art = Artifact::new(dir.path(), Some(m), vec![]);
        let cfg: Config = serde_saphyr::from_str(cfg).unwrap();
        let rules = policy.scan_rules();
        let ctx = Ctx {
            detection: policy.detection(&rules),
            artifact: &art,
            tier: "T2",
            today: chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        };
        cfg.run(&ctx)
    }

    #[test]
    fn set_missing_and_pattern() {
        let o = run("owner: jane@corp.example\n", "field: owner\npattern: '@'\n");
        assert_eq!(o.status, Status::Pass);
        assert_eq!(o.evidence[0].signal, "owner-set");
        assert_eq!(o.evidence[0].line, Some(1));
        let o = run("name: x\n", "field: owner\n");
        assert_eq!(o.status, Status::Fail);
        assert_eq!(o.evidence[0].signal, "owner-missing");
        let o = run("owner: '  '\n", "field: owner\n");
        assert_eq!(o.status, Status::Fail);
        let o = run(
            "maintainers: [a, 'b c']\n",
            "field: maintainers\npattern: '^\\S+$'\n",
        );
        assert_eq!(o.status, Status::Fail);
        assert!(o.evidence[0].message.contains("b c"));
    }
}
