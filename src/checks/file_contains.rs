//! `file-contains`: some file matching the globs contains a line matching a regex.

use serde::{Deserialize, Serialize};

use super::file_exists::glob_set;
use super::{Ctx, Evidence, Outcome, Status};
use crate::artifact::Artifact;
use crate::config::{Sp, Validator};

const KIND: &str = "file-contains";

/// Files larger than this are not searched by `file-contains`.
const MAX_BYTES: u64 = 10 * 1024 * 1024;

/// Settings of `file-contains`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Globs relative to the artifact root.
    pub globs: Vec<Sp<String>>,
    /// The regex a line must match.
    pub regex: Sp<String>,
    /// Evidence signal; `<signal>-missing` when nothing matches.
    #[serde(default)]
    pub signal: Option<String>,
}

impl Config {
    pub(super) fn validate(&self, v: &mut Validator<'_>, origin: usize, owner: &str) {
        for g in &self.globs {
            v.glob(origin, g, owner);
        }
        v.regex(origin, &self.regex, owner);
    }

    pub(super) fn run(&self, ctx: &Ctx<'_>) -> Outcome {
        let signal = self.signal.clone().unwrap_or_else(|| KIND.to_string());
        let (set, re) = match (
            glob_set(&self.globs, false),
            regex::Regex::new(&self.regex.value),
        ) {
            (Ok(s), Ok(r)) => (s, r),
            (Err(e), _) => {
                return Outcome::one(
                    Status::Error,
                    Evidence::new(KIND, "invalid-glob", e.to_string()),
                );
            }
            (_, Err(e)) => {
                return Outcome::one(
                    Status::Error,
                    Evidence::new(KIND, "invalid-pattern", e.to_string()),
                );
            }
        };
        let mut unreadable = Vec::new();
        for rel in ctx.artifact.files().iter().filter(|f| set.is_match(f)) {
            let full = ctx.artifact.root.join(rel);
            let text = match tiercheck_scan::read::read_regular(&full, MAX_BYTES) {
                Ok(b) => String::from_utf8_lossy(&b).into_owned(),
                // Larger files are passed over, as before they are read.
                Err(tiercheck_scan::read::ReadError::TooLarge { .. }) => continue,
                Err(e) => {
                    unreadable.push(
                        Evidence::new(KIND, "unreadable", format!("cannot read: {e}"))
                            .at(Artifact::display(rel), None),
                    );
                    continue;
                }
            };
            if let Some((n, line)) = text.lines().enumerate().find(|(_, l)| re.is_match(l)) {
                let shown = Artifact::display(rel);
                let excerpt: String = line.trim().chars().take(80).collect();
                return Outcome::one(
                    Status::Pass,
                    Evidence::new(KIND, signal, format!("`{excerpt}`"))
                        .at(shown, Some(n as u64 + 1)),
                );
            }
        }
        let wanted: Vec<&str> = self.globs.iter().map(|g| g.value.as_str()).collect();
        let mut evidence = unreadable;
        evidence.push(Evidence::new(
            KIND,
            format!("{signal}-missing"),
            format!(
                "no file matching {} contains /{}/",
                wanted.join(", "),
                self.regex.value
            ),
        ));
        Outcome {
            status: Status::Fail,
            evidence,
            findings: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_line() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join(".github/workflows")).unwrap();
        std::fs::write(
            dir.path().join(".github/workflows/ci.yml"),
            "on: push\njobs:\n  t:\n    steps:\n      - run: cargo test\n",
        )
        .unwrap();
        let policy = crate::policy::load_default().unwrap();
        let art = Artifact::new(dir.path(), None, vec![]);
        let rules = policy.scan_rules();
        let ctx = Ctx {
            detection: policy.detection(&rules),
            artifact: &art,
            tier: "T4",
            today: chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        };
        let cfg: Config = serde_saphyr::from_str(
            "globs: ['.github/workflows/*.yml']\nregex: 'cargo (test|nextest)'\nsignal: ci-tests\n",
        )
        .unwrap();
        let o = cfg.run(&ctx);
        assert_eq!(o.status, Status::Pass);
        assert_eq!(o.evidence[0].line, Some(5));
        let cfg: Config = serde_saphyr::from_str("globs: ['*.yml']\nregex: 'pytest'\n").unwrap();
        assert_eq!(cfg.run(&ctx).status, Status::Fail);
    }
}
