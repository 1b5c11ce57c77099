//! `tiercheck review`: records that someone reviewed the artifact as it is now, bound to its
//! content digest, in the governing `.tier.yaml`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, ValueEnum};

use super::verify::load_manifest;
use super::{PolicyArg, existing, shown, today};
use crate::artifact::Artifact;
use crate::error::ConfigError;
use crate::manifest::{self, edit, find_governing, find_nested};

/// `--kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KindArg {
    /// The owner read the code and its output.
    #[value(name = "self")]
    SelfReview,
    /// An engineer other than the author reviewed the code.
    Engineering,
}

impl KindArg {
    fn as_str(self) -> &'static str {
        match self {
            KindArg::SelfReview => "self",
            KindArg::Engineering => "engineering",
        }
    }
}

/// `tiercheck review`.
#[derive(Debug, Args)]
pub struct ReviewArgs {
    /// File or folder whose governing .tier.yaml records the review.
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// Who reviewed (email or handle).
    #[arg(long, value_name = "WHO")]
    pub by: String,
    /// What kind of review it was.
    #[arg(long, value_enum, default_value_t = KindArg::SelfReview)]
    pub kind: KindArg,
    /// A note to keep with the review.
    #[arg(long, value_name = "TEXT")]
    pub note: Option<String>,
    #[command(flatten)]
    pub policy: PolicyArg,
}

/// The artifact a manifest governs, without the folders of manifests nested below it.
fn governed(manifest: manifest::LoadedManifest) -> Artifact {
    let root = manifest.dir().to_path_buf();
    let excluded: Vec<PathBuf> = find_nested(&root)
        .iter()
        .filter_map(|m| m.parent())
        .filter(|d| *d != root)
        .map(Path::to_path_buf)
        .collect();
    Artifact::new(&root, Some(manifest), excluded)
}

pub(super) fn run(args: &ReviewArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let policy = args.policy.load()?;
    let path = existing(&args.path)?;
    let by = args.by.trim();
    if by.is_empty() || by.contains(['\n', '\r']) {
        return Err(ConfigError::plain("--by needs the reviewer's email or handle").into());
    }
    let abs = std::fs::canonicalize(&path).map_err(|e| {
        ConfigError::plain(format!("cannot resolve path `{}`: {e}", path.display()))
    })?;
    let Some(target) = find_governing(&abs) else {
        return Err(ConfigError::plain(format!(
            "no .tier.yaml governs `{}`; run `tiercheck assess --write` first to create one",
            path.display()
        ))
        .into());
    };
    let loaded = load_manifest(&target, &policy)?;
    let text = loaded.text.clone();
    let art = governed(loaded);
    let digest = art
        .digest()
        .map_err(|why| ConfigError::plain(format!("cannot compute the digest: {why}")))?
        .clone();
    let commit = match crate::git::open(&art.root) {
        Ok(repo) => repo
            .head()
            .map_err(ConfigError::plain)?
            .map(|c| c.id().to_string()),
        Err(crate::git::NoRepo::NotARepo) => None,
        Err(e) => return Err(ConfigError::plain(e.to_string()).into()),
    };
    if let Some(same) = art.manifest().reviews.iter().find(|r| {
        r.kind_name() == args.kind.as_str()
            && crate::detection::identity(&r.by.value) == crate::detection::identity(by)
            && r.digest.value == digest.value
    }) {
        writeln!(
            out,
            "{} review by {} of this content ({}) is already recorded in {} (on {}); nothing changed",
            args.kind.as_str(),
            same.by.value,
            crate::artifact::digest::abbrev(&digest.value),
            shown(&target),
            same.date.value
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    let date = today()?.format("%Y-%m-%d").to_string();
    let mut entry: Vec<(&str, String)> = vec![
        ("by", edit::scalar(by)),
        ("kind", args.kind.as_str().to_string()),
        ("digest", digest.value.clone()),
        ("date", date.clone()),
    ];
    if let Some(c) = &commit {
        entry.push(("commit", format!("\"{c}\"")));
    }
    if let Some(n) = args
        .note
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
    {
        entry.push(("note", serde_json::to_string(n)?));
    }
    let new_text = edit::append_review(&text, &entry).map_err(|why| {
        ConfigError::plain(format!(
            "cannot add the review to {}: {why}",
            shown(&target)
        ))
    })?;
    // Never write a manifest that no longer reads back with the review in it.
    let reparsed = manifest::parse(&new_text, &target)
        .and_then(|m| manifest::validate(&m, &policy.vocabulary()).map(|_| m))
        .map_err(|e| {
            ConfigError::plain(format!(
                "adding the review would break {} ({e}); it was left unchanged",
                shown(&target)
            ))
        })?;
    let before = art.manifest().reviews.len();
    let added = reparsed.manifest.reviews.last();
    if reparsed.manifest.reviews.len() != before + 1
        || added.is_none_or(|r| r.digest.value != digest.value || r.by.value != by)
    {
        return Err(ConfigError::plain(format!(
            "could not add the review to {} cleanly; it was left unchanged",
            shown(&target)
        ))
        .into());
    }
    crate::config::write_regular(&target, new_text.as_bytes())?;
    writeln!(
        out,
        "recorded {} review by {by} in {}",
        args.kind.as_str(),
        shown(&target)
    )?;
    let n = digest.files.len();
    writeln!(
        out,
        "  digest  {} ({n} file{})",
        digest.value,
        if n == 1 { "" } else { "s" }
    )?;
    writeln!(out, "  date    {date}")?;
    if let Some(c) = &commit {
        writeln!(out, "  commit  {c}")?;
    }
    if let Some(n) = &args.note {
        writeln!(out, "  note    {}", n.trim())?;
    }
    for s in &digest.submodules {
        writeln!(out, "  note: submodule {s} is not covered by the digest")?;
    }
    Ok(ExitCode::SUCCESS)
}
