//! The `.tier.yaml` manifest: strict parsing, validation against the policy, and discovery of
//! which manifest governs a path.

mod discover;
pub mod edit;

pub use discover::{
    MANIFEST_FILE, file_manifest_for, file_manifest_target, file_manifests_in, find_governing,
    find_nested, is_manifest_name, nearest_folder_manifest, relative_entry, shipped_files,
    two_claims,
};

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::config::Sp;
use crate::error::{ConfigError, Problem, did_you_mean, yaml_problem};

/// The kind of a recorded review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReviewKind {
    /// The owner read the code and its output.
    #[serde(rename = "self")]
    SelfReview,
    /// An engineer other than the author reviewed the code.
    Engineering,
}

/// A recorded review.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Review {
    /// Who reviewed (email or handle).
    pub by: Sp<String>,
    /// `self` or `engineering`.
    pub kind: ReviewKind,
    /// The artifact digest the review covers (`sha256:<64 hex>`).
    pub digest: Sp<String>,
    /// The day of the review (YYYY-MM-DD).
    pub date: Sp<String>,
    /// The HEAD commit at review time, when the artifact is in git.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<Sp<String>>,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The reviewer's SSH signature over what the review says (digest, kind, reviewer and
    /// date; see `signers::review_message`), its base64 body on one line or in PEM.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<Sp<String>>,
}

impl Review {
    /// The kind as written in the manifest (`self`, `engineering`).
    pub fn kind_name(&self) -> &'static str {
        match self.kind {
            ReviewKind::SelfReview => "self",
            ReviewKind::Engineering => "engineering",
        }
    }
}

/// An approved exception to a requirement.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Waiver {
    /// The requirement id it waives.
    pub requirement: Sp<String>,
    /// Why.
    pub reason: String,
    /// Who approved it.
    pub approved_by: String,
    /// Last day it is valid (YYYY-MM-DD).
    pub expires: Sp<String>,
}

/// The `.tier.yaml` manifest as written.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Format version; 1.
    #[serde(default)]
    pub version: Option<u32>,
    /// The artifact's name.
    #[serde(default)]
    pub name: Option<Sp<String>>,
    /// Answer to the `audience` question.
    #[serde(default)]
    pub audience: Option<Sp<String>>,
    /// Answer to the `data` question.
    #[serde(default)]
    pub data: Option<Sp<String>>,
    /// Answers to further questions a custom policy asks.
    #[serde(default)]
    pub answers: BTreeMap<String, Sp<String>>,
    /// Declared tier; may be higher than the classification, never lower.
    #[serde(default)]
    pub tier: Option<Sp<String>>,
    /// The accountable owner.
    #[serde(default)]
    pub owner: Option<Sp<String>>,
    /// The engineer sponsor.
    #[serde(default)]
    pub sponsor: Option<Sp<String>>,
    /// Who maintains it.
    #[serde(default)]
    pub maintainers: Vec<Sp<String>>,
    /// AI tools used on it.
    #[serde(default)]
    pub ai_tools: Vec<Sp<String>>,
    /// Recorded reviews.
    #[serde(default)]
    pub reviews: Vec<Review>,
    /// Approved exceptions.
    #[serde(default)]
    pub waivers: Vec<Waiver>,
    /// A findings baseline file, relative to the manifest.
    #[serde(default)]
    pub baseline: Option<Sp<String>>,
    /// In a file's manifest (`demo.py.tier.yaml`): the files shipped with it, relative to
    /// the manifest's folder.
    #[serde(default)]
    pub files: Vec<Sp<String>>,
}

/// A field of the manifest, as the generic checks see it.
#[derive(Debug)]
pub enum FieldValue<'a> {
    /// Absent or empty.
    Missing,
    /// A single value.
    One(&'a Sp<String>),
    /// A list of values.
    Many(&'a [Sp<String>]),
}

/// Names of the manifest fields a policy check may read.
pub const FIELD_NAMES: &[&str] = &[
    "name",
    "audience",
    "data",
    "tier",
    "owner",
    "sponsor",
    "maintainers",
    "ai_tools",
    "baseline",
];

impl Manifest {
    /// The field with the given name (see [`FIELD_NAMES`]).
    pub fn field(&self, name: &str) -> FieldValue<'_> {
        let single = match name {
            "name" => self.name.as_ref(),
            "audience" => self.audience.as_ref(),
            "data" => self.data.as_ref(),
            "tier" => self.tier.as_ref(),
            "owner" => self.owner.as_ref(),
            "sponsor" => self.sponsor.as_ref(),
            "baseline" => self.baseline.as_ref(),
            "maintainers" => return many(&self.maintainers),
            "ai_tools" => return many(&self.ai_tools),
            _ => None,
        };
        match single {
            Some(s) if !s.value.trim().is_empty() => FieldValue::One(s),
            _ => FieldValue::Missing,
        }
    }

    /// The answer to a question, by question id.
    pub fn answer(&self, question: &str) -> Option<&Sp<String>> {
        match question {
            "audience" => self.audience.as_ref(),
            "data" => self.data.as_ref(),
            other => self.answers.get(other),
        }
    }
}

fn many(list: &[Sp<String>]) -> FieldValue<'_> {
    if list.iter().any(|s| !s.value.trim().is_empty()) {
        FieldValue::Many(list)
    } else {
        FieldValue::Missing
    }
}

/// A manifest read from disk.
#[derive(Debug, Clone)]
pub struct LoadedManifest {
    /// The `.tier.yaml` file.
    pub path: PathBuf,
    /// Its text, for error snippets and in-place edits.
    pub text: String,
    /// The parsed manifest.
    pub manifest: Manifest,
}

impl LoadedManifest {
    /// The folder the manifest lies in: the folder it governs, or the folder of the file it
    /// governs.
    pub fn dir(&self) -> &Path {
        self.path.parent().unwrap_or(Path::new("."))
    }

    /// For a file's manifest (`demo.py.tier.yaml`), the file it governs.
    pub fn file(&self) -> Option<PathBuf> {
        file_manifest_target(&self.path)
    }

    /// A problem located at a spanned value of this manifest.
    pub fn problem<T>(&self, at: &Sp<T>, message: impl Into<String>) -> Problem {
        Problem::at(
            message,
            &self.path,
            &self.text,
            at.referenced.line() as usize,
            at.referenced.column() as usize,
        )
    }
}

/// Parses manifest text; `path` names it in messages.
pub fn parse(text: &str, path: &Path) -> Result<LoadedManifest, ConfigError> {
    let manifest: Manifest = if text.trim().is_empty() {
        Manifest::default()
    } else {
        serde_saphyr::from_str(text).map_err(|e| ConfigError {
            problems: vec![yaml_problem(&e, path, text)],
        })?
    };
    Ok(LoadedManifest {
        path: path.to_path_buf(),
        text: text.to_string(),
        manifest,
    })
}

/// Reads and parses a manifest file. A manifest is part of the repository under check, so
/// a symlink is not followed: it could point at any file of the machine (whose text an
/// error would quote) or at a device.
pub fn load(path: &Path) -> Result<LoadedManifest, ConfigError> {
    if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(ConfigError::plain(format!(
            "manifest {} is a symlink; tiercheck reads a manifest only from a regular file",
            path.display()
        ))
        .with_help("replace the link with the manifest itself"));
    }
    let text = crate::config::read_config_file(path, "manifest")?;
    parse(&text, path)
}

fn is_date(s: &str) -> bool {
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok()
}

/// Whether `s` is a well-formed artifact digest (`sha256:` and 64 lowercase hex digits).
pub fn is_digest(s: &str) -> bool {
    s.strip_prefix("sha256:").is_some_and(|h| {
        h.len() == 64
            && h.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

/// Whether `s` looks like a git commit id (4 to 64 hex digits, abbreviated or full).
fn is_commit_id(s: &str) -> bool {
    (4..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// What a manifest's values may name, as the policy says: its questions with their
/// answers, its tiers and its requirements.
#[derive(Debug, Clone, Default)]
pub struct Vocabulary<'a> {
    /// Question id and its answer ids, in the policy's order.
    pub questions: Vec<(&'a str, Vec<&'a str>)>,
    /// Tier ids, in order.
    pub tiers: Vec<&'a str>,
    /// Requirement ids.
    pub requirements: Vec<&'a str>,
}

/// Checks a manifest's values against the policy's vocabulary: answers, tier, waivers,
/// reviews.
pub fn validate(m: &LoadedManifest, policy: &Vocabulary<'_>) -> Result<(), ConfigError> {
    let mut problems = Vec::new();
    let man = &m.manifest;
    if let Some(v) = man.version
        && v != 1
    {
        // `version` is a plain number (not spanned); find its line in the text.
        let line = m
            .text
            .lines()
            .position(|l| l.starts_with("version:"))
            .map_or(0, |i| i + 1);
        problems.push(
            Problem::at(
                format!("unsupported manifest version {v}; this tiercheck reads version 1"),
                &m.path,
                &m.text,
                line,
                if line > 0 { 10 } else { 0 },
            )
            .help("write `version: 1`"),
        );
    }
    let mut check_answer =
        |qid: &str, ans: &Sp<String>| match policy.questions.iter().find(|(id, _)| *id == qid) {
            None => {
                let ids: Vec<&str> = policy.questions.iter().map(|(id, _)| *id).collect();
                problems.push(
                    m.problem(ans, format!("the policy asks no question `{qid}`"))
                        .help(format!("questions: `{}`", ids.join("`, `"))),
                );
            }
            Some((_, valid)) => {
                if !valid.contains(&ans.value.as_str()) {
                    let list = valid.join("`, `");
                    let help = match did_you_mean(&ans.value, valid.iter().copied()) {
                        Some(s) => format!("did you mean `{s}`? (valid answers: `{list}`)"),
                        None => format!("valid answers: `{list}`"),
                    };
                    problems.push(
                        m.problem(ans, format!("unknown {qid} `{}`", ans.value))
                            .help(help),
                    );
                }
            }
        };
    if let Some(a) = &man.audience {
        check_answer("audience", a);
    }
    if let Some(d) = &man.data {
        check_answer("data", d);
    }
    for (q, a) in &man.answers {
        check_answer(q, a);
    }
    if let Some(t) = &man.tier
        && !policy.tiers.contains(&t.value.as_str())
    {
        let ids = &policy.tiers;
        let help = match did_you_mean(&t.value, ids.iter().copied()) {
            Some(s) => format!("did you mean `{s}`? (tiers: `{}`)", ids.join("`, `")),
            None => format!("tiers: `{}`", ids.join("`, `")),
        };
        problems.push(
            m.problem(t, format!("unknown tier `{}`", t.value))
                .help(help),
        );
    }
    for w in &man.waivers {
        if !policy.requirements.contains(&w.requirement.value.as_str()) {
            let ids = &policy.requirements;
            let help = match did_you_mean(&w.requirement.value, ids.iter().copied()) {
                Some(s) => format!("did you mean `{s}`?"),
                None => format!("requirements: `{}`", ids.join("`, `")),
            };
            problems.push(
                m.problem(
                    &w.requirement,
                    format!("waiver names unknown requirement `{}`", w.requirement.value),
                )
                .help(help),
            );
        }
        if !is_date(&w.expires.value) {
            problems.push(
                m.problem(
                    &w.expires,
                    format!("waiver expiry `{}` is not a date", w.expires.value),
                )
                .help("write it as YYYY-MM-DD"),
            );
        }
    }
    if !man.files.is_empty() && m.file().is_none() {
        problems.push(
            m.problem(&man.files[0], "`files:` belongs in a file's manifest")
                .help("a folder's .tier.yaml governs every file below it; a file's manifest is named after it, such as `demo.py.tier.yaml`, and lists in `files:` what ships with it"),
        );
    } else {
        for f in &man.files {
            if let Err(why) = discover::relative_entry(&f.value) {
                problems.push(m.problem(f, format!("`files:` entry `{}` {why}", f.value)).help(
                    "name a file in the manifest's folder or below it, such as `customers.csv` or `data/input.json`",
                ));
            }
        }
    }
    for r in &man.reviews {
        if !is_digest(&r.digest.value) {
            problems.push(
                m.problem(&r.digest, "malformed review digest")
                    .help("a digest is `sha256:` followed by 64 lowercase hex digits; `tiercheck review` records it"),
            );
        }
        if let Some(c) = &r.commit
            && !is_commit_id(&c.value)
        {
            problems.push(
                m.problem(c, format!("review commit `{}` is not a commit id", c.value))
                    .help("a commit id is 4 to 64 hex digits; `tiercheck review` records HEAD"),
            );
        }
        if !is_date(&r.date.value) {
            problems.push(
                m.problem(
                    &r.date,
                    format!("review date `{}` is not a date", r.date.value),
                )
                .help("write it as YYYY-MM-DD"),
            );
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(ConfigError { problems })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_field_suggests_nearest() {
        let e = parse("version: 1\nownr: a@b.example\n", Path::new(".tier.yaml")).unwrap_err();
        let s = e.to_string();
        assert!(s.contains("unknown field `ownr`"), "{s}");
        assert!(s.contains("did you mean `owner`?"), "{s}");
        assert!(s.contains(".tier.yaml:2:1"), "{s}");
    }

    #[test]
    fn unknown_answer_lists_valid_ones() {
        let policy = crate::policy::load_default().unwrap();
        let m = parse("audience: extrnal\n", Path::new(".tier.yaml")).unwrap();
        let s = validate(&m, &policy.vocabulary()).unwrap_err().to_string();
        assert!(s.contains("unknown audience `extrnal`"), "{s}");
        assert!(s.contains("did you mean `external`?"), "{s}");
    }

    #[test]
    fn malformed_digest_and_unknown_review_kind() {
        let policy = crate::policy::load_default().unwrap();
        let m = parse(
            "reviews:\n  - by: a\n    kind: self\n    digest: sha256:abc\n    date: 2026-01-01\n",
            Path::new(".tier.yaml"),
        )
        .unwrap();
        let s = validate(&m, &policy.vocabulary()).unwrap_err().to_string();
        assert!(s.contains("malformed review digest"), "{s}");
        assert!(s.contains(".tier.yaml:4:13"), "{s}");
        let e = parse(
            "reviews:\n  - by: a\n    kind: peer\n    digest: x\n    date: 2026-01-01\n",
            Path::new(".tier.yaml"),
        )
        .unwrap_err();
        assert!(e.to_string().contains("peer"), "{e}");
        let m = parse(
            &format!(
                "reviews:\n  - by: a\n    kind: self\n    digest: sha256:{}\n    date: 2026-01-01\n    commit: main\n",
                "a".repeat(64)
            ),
            Path::new(".tier.yaml"),
        )
        .unwrap();
        let s = validate(&m, &policy.vocabulary()).unwrap_err().to_string();
        assert!(s.contains("review commit `main` is not a commit id"), "{s}");
        assert!(s.contains(".tier.yaml:6:13"), "{s}");
    }

    #[test]
    fn digest_shape() {
        assert!(is_digest(&format!("sha256:{}", "a".repeat(64))));
        assert!(!is_digest(&format!("sha256:{}", "A".repeat(64))));
        assert!(!is_digest("sha1:abc"));
    }
}
