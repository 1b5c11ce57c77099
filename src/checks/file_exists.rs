//! `file-exists`: some file of the artifact matches one of a list of globs. Governance files
//! such as CODEOWNERS or LICENSE often live at the repository root of a monorepo rather than
//! beside a nested manifest, so the repository root is searched too.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use serde::{Deserialize, Serialize};

use super::{Ctx, Evidence, Outcome, Status};
use crate::artifact::Artifact;
use crate::config::{Sp, Validator};

const KIND: &str = "file-exists";

/// Settings of `file-exists`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Globs relative to the artifact root (`.github/CODEOWNERS`, `LICENSE.*`).
    pub globs: Vec<Sp<String>>,
    /// Evidence signal; `<signal>-missing` when nothing matches.
    #[serde(default)]
    pub signal: Option<String>,
    /// Match names case-sensitively (default: case-insensitive, as file systems differ).
    #[serde(default)]
    pub case_sensitive: bool,
    /// Also look at the repository root when the artifact is a subfolder (default: true).
    #[serde(default = "yes")]
    pub repo_root: bool,
}

fn yes() -> bool {
    true
}

/// Builds a glob set from policy globs (validated earlier). Sets are built once per process
/// and shared: a monorepo's hundreds of artifacts run the same checks with the same globs.
pub(crate) fn glob_set(
    globs: &[Sp<String>],
    case_sensitive: bool,
) -> Result<Arc<GlobSet>, globset::Error> {
    type Key = (Vec<String>, bool);
    type Built = Result<Arc<GlobSet>, globset::Error>;
    static BUILT: OnceLock<Mutex<HashMap<Key, Built>>> = OnceLock::new();
    let key: Key = (
        globs.iter().map(|g| g.value.clone()).collect(),
        case_sensitive,
    );
    let built = BUILT.get_or_init(Default::default);
    if let Some(known) = built.lock().unwrap_or_else(|p| p.into_inner()).get(&key) {
        return known.clone();
    }
    let set = build_glob_set(&key.0, case_sensitive).map(Arc::new);
    built
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(key, set.clone());
    set
}

fn build_glob_set(globs: &[String], case_sensitive: bool) -> Result<GlobSet, globset::Error> {
    let mut b = GlobSetBuilder::new();
    for g in globs {
        b.add(
            GlobBuilder::new(g)
                .case_insensitive(!case_sensitive)
                .literal_separator(true)
                .build()?,
        );
    }
    b.build()
}

/// The path from the artifact root to `rel` under the repository root.
fn from_artifact(artifact: &Artifact, repo: &Path, rel: &Path) -> String {
    let depth = std::fs::canonicalize(&artifact.root)
        .ok()
        .and_then(|a| a.strip_prefix(repo).ok().map(|p| p.components().count()))
        .unwrap_or(0);
    let mut p = PathBuf::new();
    for _ in 0..depth {
        p.push("..");
    }
    Artifact::display(&p.join(rel))
}

impl Config {
    pub(super) fn validate(&self, v: &mut Validator<'_>, origin: usize, owner: &str) {
        for g in &self.globs {
            v.glob(origin, g, owner);
        }
    }

    pub(super) fn run(&self, ctx: &Ctx<'_>) -> Outcome {
        let signal = self.signal.clone().unwrap_or_else(|| KIND.to_string());
        let set = match glob_set(&self.globs, self.case_sensitive) {
            Ok(s) => s,
            Err(e) => {
                return Outcome::one(
                    Status::Error,
                    Evidence::new(KIND, "invalid-glob", e.to_string()),
                );
            }
        };
        if let Some(hit) = ctx.artifact.files().iter().find(|f| set.is_match(f)) {
            let shown = Artifact::display(hit);
            return Outcome::one(
                Status::Pass,
                Evidence::new(KIND, signal, format!("found {shown}")).at(shown, None),
            );
        }
        if self.repo_root
            && let Some(repo) = &ctx.artifact.repo_root
            && std::fs::canonicalize(&ctx.artifact.root).ok().as_deref() != Some(repo.as_path())
        {
            let depth = self
                .globs
                .iter()
                .map(|g| g.value.matches('/').count() + 1)
                .max()
                .unwrap_or(1);
            // The repository root's listing, shared by the artifacts of one run.
            let listed = super::ci::listing(ctx.artifact, repo, depth, false);
            let mut hits: Vec<&PathBuf> = listed
                .iter()
                .map(|(rel, _, _)| rel)
                .filter(|rel| set.is_match(rel))
                .collect();
            hits.sort();
            if let Some(hit) = hits.first() {
                let shown = from_artifact(ctx.artifact, repo, hit);
                return Outcome::one(
                    Status::Pass,
                    Evidence::new(
                        KIND,
                        signal,
                        format!("found {} at the repository root", Artifact::display(hit)),
                    )
                    .at(shown, None),
                );
            }
        }
        let wanted: Vec<&str> = self.globs.iter().map(|g| g.value.as_str()).collect();
        Outcome::one(
            Status::Fail,
            Evidence::new(
                KIND,
                format!("{signal}-missing"),
                format!("no file matches {}", wanted.join(", ")),
            ),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_in(dir: &Path, globs: &str) -> Outcome {
        let policy = crate::policy::load_default().unwrap();
        let art = Artifact::new(dir, None, vec![]);
        let cfg: Config =
            serde_saphyr::from_str(&format!("globs: {globs}\nsignal: license\n")).unwrap();
        let rules = policy.scan_rules();
        let ctx = Ctx {
            detection: policy.detection(&rules),
            artifact: &art,
            tier: "T4",
            today: chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        };
        cfg.run(&ctx)
    }

    #[test]
    fn matches_case_insensitively_and_reports_missing() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            run_in(dir.path(), "['LICENSE*']").evidence[0].signal,
            "license-missing"
        );
        std::fs::write(dir.path().join("License.md"), "MIT").unwrap();
        let o = run_in(dir.path(), "['LICENSE*']");
        assert_eq!(o.status, Status::Pass);
        assert_eq!(o.evidence[0].path.as_deref(), Some("License.md"));
    }

    #[test]
    fn finds_repository_root_files_from_a_subfolder() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join(".git")).unwrap();
        std::fs::create_dir_all(dir.path().join("svc/api")).unwrap();
        std::fs::create_dir_all(dir.path().join(".github")).unwrap();
        std::fs::write(dir.path().join(".github/CODEOWNERS"), "* @team").unwrap();
        let o = run_in(&dir.path().join("svc/api"), "['.github/CODEOWNERS']");
        assert_eq!(o.status, Status::Pass, "{:?}", o.evidence);
        assert_eq!(
            o.evidence[0].path.as_deref(),
            Some("../../.github/CODEOWNERS")
        );
    }
}
