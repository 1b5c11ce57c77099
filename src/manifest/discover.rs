//! Which `.tier.yaml` governs a path, and which manifests a folder holds.

use std::ffi::OsStr;
use std::path::{Component, Path, PathBuf};

use super::LoadedManifest;
use crate::error::{ConfigError, Problem};

/// The folder manifest's file name; a file's manifest is the file's name followed by it
/// (`demo.py.tier.yaml` governs `demo.py`).
pub const MANIFEST_FILE: &str = ".tier.yaml";

/// Whether a file name is a manifest's: `.tier.yaml`, or a file's `NAME.tier.yaml`.
pub fn is_manifest_name(name: &OsStr) -> bool {
    name.as_encoded_bytes().ends_with(MANIFEST_FILE.as_bytes())
}

/// For a file's manifest (`demo.py.tier.yaml`), the file it governs (`demo.py` beside it);
/// `None` for a folder's `.tier.yaml`.
pub fn file_manifest_target(manifest: &Path) -> Option<PathBuf> {
    let name = manifest.file_name()?.as_encoded_bytes();
    let stem = name.strip_suffix(MANIFEST_FILE.as_bytes())?;
    if stem.is_empty() {
        return None;
    }
    let stem = os_from_bytes(stem.to_vec());
    Some(manifest.with_file_name(stem))
}

#[cfg(unix)]
fn os_from_bytes(bytes: Vec<u8>) -> std::ffi::OsString {
    use std::os::unix::ffi::OsStringExt;
    std::ffi::OsString::from_vec(bytes)
}

#[cfg(not(unix))]
fn os_from_bytes(bytes: Vec<u8>) -> std::ffi::OsString {
    std::ffi::OsString::from(String::from_utf8_lossy(&bytes).into_owned())
}

/// The manifest of a file: `NAME.tier.yaml` beside it.
pub fn file_manifest_for(file: &Path) -> PathBuf {
    let mut name = file.file_name().unwrap_or_default().to_os_string();
    name.push(MANIFEST_FILE);
    file.with_file_name(name)
}

/// A `files:` entry as a path below the manifest's folder, or why it cannot be one.
pub fn relative_entry(entry: &str) -> Result<PathBuf, &'static str> {
    let path = Path::new(entry.trim());
    if entry.trim().is_empty() {
        return Err("is empty");
    }
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::Normal(n) => out.push(n),
            Component::CurDir => {}
            Component::ParentDir => return Err("leaves the manifest's folder (`..`)"),
            Component::RootDir | Component::Prefix(_) => {
                return Err("is an absolute path; name it relative to the manifest");
            }
        }
    }
    if out.as_os_str().is_empty() {
        return Err("names the manifest's folder, not a file");
    }
    if out.file_name().is_some_and(is_manifest_name) {
        return Err("is a manifest; a manifest is never part of an artifact");
    }
    Ok(out)
}

/// The nearest folder manifest (`.tier.yaml`) at `path` (a folder) or above it, stopping at
/// the repository root (the first folder holding `.git`) or the filesystem root.
pub fn nearest_folder_manifest(path: &Path) -> Option<PathBuf> {
    let start = if path.is_dir() {
        path.to_path_buf()
    } else {
        path.parent()?.to_path_buf()
    };
    let mut dir = Some(start.as_path());
    while let Some(d) = dir {
        let candidate = d.join(MANIFEST_FILE);
        // Anything named .tier.yaml counts, so a folder of that name is reported, not skipped.
        if candidate.exists() {
            return Some(candidate);
        }
        if d.join(".git").exists() {
            return None;
        }
        dir = d.parent();
    }
    None
}

/// The manifest that governs `path`: for a file, its own manifest (`NAME.tier.yaml`), else
/// a file's manifest in a folder at or above it that lists it in `files:`, else the nearest
/// folder manifest; for a folder, the nearest folder manifest. The search stops at the
/// repository root. Two files' manifests listing one file is an error.
pub fn find_governing(path: &Path) -> Result<Option<PathBuf>, ConfigError> {
    if !path.is_file() {
        return Ok(nearest_folder_manifest(path));
    }
    let own = file_manifest_for(path);
    if std::fs::symlink_metadata(&own).is_ok() {
        return Ok(Some(own));
    }
    let mut dir = path.parent();
    while let Some(d) = dir {
        if let Some(m) = claimant(d, path)? {
            return Ok(Some(m));
        }
        let folder = d.join(MANIFEST_FILE);
        if folder.exists() {
            return Ok(Some(folder));
        }
        if d.join(".git").exists() {
            return Ok(None);
        }
        dir = d.parent();
    }
    Ok(None)
}

/// The files' manifests in `dir` (not below it), sorted.
pub fn file_manifests_in(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut found: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file() || t.is_symlink()))
        .map(|e| e.path())
        .filter(|p| file_manifest_target(p).is_some())
        .collect();
    found.sort();
    found
}

/// The file's manifest in `dir` whose `files:` lists `file`, if any.
fn claimant(dir: &Path, file: &Path) -> Result<Option<PathBuf>, ConfigError> {
    let mut found: Vec<(PathBuf, Problem)> = Vec::new();
    for m in file_manifests_in(dir) {
        let loaded = super::load(&m)?;
        for entry in &loaded.manifest.files {
            if relative_entry(&entry.value).is_ok_and(|rel| dir.join(rel) == file) {
                found.push((
                    m.clone(),
                    loaded.problem(entry, format!("`{}` is listed here", entry.value)),
                ));
            }
        }
    }
    match found.len() {
        0 => Ok(None),
        1 => Ok(found.pop().map(|(m, _)| m)),
        _ => Err(two_claims(
            file.strip_prefix(dir).unwrap_or(file),
            found.into_iter().map(|(_, p)| p).collect(),
        )),
    }
}

/// The error for one file claimed by several manifests.
pub fn two_claims(file: &Path, mut problems: Vec<Problem>) -> ConfigError {
    let head = Problem::plain(format!(
        "`{}` is claimed by {} manifests; a file belongs to one artifact",
        file.display(),
        problems.len()
    ))
    .help("keep it in the `files:` of one manifest only (a file with a manifest of its own belongs to that one)");
    problems.insert(0, head);
    ConfigError { problems }
}

/// The files a file's manifest ships with its file (`files:`), relative to the manifest's
/// folder; each must be a regular file there, not the governed file itself.
pub fn shipped_files(m: &LoadedManifest) -> Result<Vec<PathBuf>, ConfigError> {
    let (dir, target) = (m.dir(), m.file());
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for entry in &m.manifest.files {
        let rel = match relative_entry(&entry.value) {
            Ok(r) => r,
            Err(why) => {
                problems.push(m.problem(entry, format!("`files:` entry `{}` {why}", entry.value)));
                continue;
            }
        };
        let full = dir.join(&rel);
        if target.as_deref() == Some(full.as_path()) {
            problems.push(
                m.problem(
                    entry,
                    format!("`{}` is the file this manifest governs", entry.value),
                )
                .help("`files:` lists the other files shipped with it"),
            );
            continue;
        }
        match std::fs::symlink_metadata(&full) {
            Ok(meta) if meta.is_file() => {}
            Ok(meta) => {
                let what = if meta.is_dir() {
                    "a folder; list the files in it that ship"
                } else if meta.file_type().is_symlink() {
                    "a symbolic link; tiercheck does not follow links out of an artifact"
                } else {
                    "not a regular file"
                };
                problems
                    .push(m.problem(entry, format!("`files:` entry `{}` is {what}", entry.value)));
                continue;
            }
            Err(e) => {
                problems.push(
                    m.problem(
                        entry,
                        format!("`files:` entry `{}` cannot be read: {e}", entry.value),
                    )
                    .help("remove it from `files:`, or put the file back"),
                );
                continue;
            }
        }
        // A file below a nested folder manifest belongs to that folder's artifact.
        let here = nearest_folder_manifest(dir);
        let there = nearest_folder_manifest(full.parent().unwrap_or(dir));
        if here != there
            && let Some(other) = there
        {
            problems.push(
                m.problem(
                    entry,
                    format!("`{}` lies in a folder that {} governs", entry.value, other.display()),
                )
                .help("a file's manifest lists files of its own folder's artifact; move the file, or drop it from `files:`"),
            );
            continue;
        }
        out.push(rel);
    }
    if problems.is_empty() {
        out.sort();
        out.dedup();
        Ok(out)
    } else {
        Err(ConfigError { problems })
    }
}

/// Every manifest strictly below `dir` (not `dir/.tier.yaml` itself), honouring ignore files,
/// sorted by path: folder manifests in sub-folders, and files' manifests anywhere below.
pub fn find_nested(dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = crate::walk::builder(dir)
        .build()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_some_and(|t| t.is_file()))
        .filter(|e| {
            let name = e.file_name();
            (name == MANIFEST_FILE && e.depth() > 1)
                || (name != MANIFEST_FILE && is_manifest_name(name))
        })
        .map(|e| e.into_path())
        .collect();
    found.sort();
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_manifest_wins_and_stops_at_repo_root() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        std::fs::create_dir_all(root.join("repo/.git")).unwrap();
        std::fs::create_dir_all(root.join("repo/a/b")).unwrap();
        std::fs::write(root.join(MANIFEST_FILE), "").unwrap();
        assert_eq!(find_governing(&root.join("repo/a/b")).unwrap(), None);
        std::fs::write(root.join("repo/a/.tier.yaml"), "").unwrap();
        assert_eq!(
            find_governing(&root.join("repo/a/b")).unwrap(),
            Some(root.join("repo/a/.tier.yaml"))
        );
        assert_eq!(
            find_nested(&root.join("repo")),
            vec![root.join("repo/a/.tier.yaml")]
        );
    }
}
