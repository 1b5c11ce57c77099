//! What every configuration file shares, the policy's and the manifest's: values that
//! remember where they were written, reading a file without trusting its size or encoding,
//! and collecting every problem with its file, line and column.

use std::path::{Path, PathBuf};

use serde_saphyr::Spanned;

use crate::error::{ConfigError, Problem, did_you_mean};

/// A YAML value that remembers where it was written.
pub type Sp<T> = Spanned<T>;

/// Largest policy or manifest file tiercheck reads; larger ones are refused, not parsed.
pub const MAX_CONFIG_BYTES: u64 = 4 * 1024 * 1024;

/// Writes `bytes` to `path` as a regular file, never through a symlink: refuses a path that
/// is a symlink (dangling or not) or anything but a regular file, and replaces the file in
/// one step (a new file beside it, renamed over it), so a reader never sees half of it.
pub fn write_regular(path: &Path, bytes: &[u8]) -> Result<(), ConfigError> {
    let existing = std::fs::symlink_metadata(path);
    match &existing {
        Ok(m) if m.file_type().is_symlink() => {
            return Err(ConfigError::plain(format!(
                "{} is a symlink; tiercheck writes only regular files, never through a link",
                path.display()
            ))
            .with_help("replace the link with the file itself"));
        }
        Ok(m) if !m.is_file() => {
            return Err(ConfigError::plain(format!(
                "{} is not a regular file; tiercheck writes only regular files",
                path.display()
            )));
        }
        _ => {}
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.tiercheck-{}", std::process::id()));
    let cannot =
        |e: std::io::Error| ConfigError::plain(format!("cannot write {}: {e}", path.display()));
    {
        use std::io::Write;
        // `create_new` fails on anything already there, a symlink included.
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .map_err(cannot)?;
        // The file keeps its permissions.
        let written = match &existing {
            Ok(m) => f.set_permissions(m.permissions()),
            Err(_) => Ok(()),
        }
        .and_then(|()| f.write_all(bytes))
        .and_then(|()| f.sync_all());
        if let Err(e) = written {
            drop(f);
            let _ = std::fs::remove_file(&tmp);
            return Err(cannot(e));
        }
    }
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        cannot(e)
    })
}

/// A configuration file as read, kept for error locations.
#[derive(Debug, Clone)]
pub struct Source {
    /// Path shown in messages.
    pub path: PathBuf,
    /// The text, for snippets.
    pub text: String,
}

/// Reads a YAML configuration file, refusing huge, unreadable and non-UTF-8 ones, and
/// anything but a regular file (a FIFO, a device such as `/dev/zero`, a folder), so that a
/// path someone else chose can neither hang tiercheck nor fill its memory.
pub fn read_config_file(path: &Path, what: &str) -> Result<String, ConfigError> {
    use tiercheck_scan::read::{ReadError, read_regular};
    let bytes = read_regular(path, MAX_CONFIG_BYTES).map_err(|e| match e {
        ReadError::NotRegular("a folder") => ConfigError::plain(format!(
            "{what} {} is a directory, not a file",
            path.display()
        )),
        ReadError::NotRegular(kind) => ConfigError::plain(format!(
            "{what} {} is {kind}, not a regular file; tiercheck reads configuration only from regular files",
            path.display()
        )),
        ReadError::TooLarge { size, limit } => ConfigError::plain(format!(
            "{what} {} is {size} bytes, more than the {limit} bytes a configuration file may have",
            path.display()
        )),
        ReadError::Io(e) => {
            ConfigError::plain(format!("cannot read {what} {}: {e}", path.display()))
        }
    })?;
    String::from_utf8(bytes).map_err(|e| {
        let offset = e.utf8_error().valid_up_to();
        let text = String::from_utf8_lossy(e.as_bytes());
        let line = text[..offset].matches('\n').count() + 1;
        let column = offset - text[..offset].rfind('\n').map(|i| i + 1).unwrap_or(0) + 1;
        ConfigError {
            problems: vec![Problem::at(
                format!("{what} is not valid UTF-8"),
                path,
                &text,
                line,
                column,
            )],
        }
    })
}

/// Collects validation problems against the policy's source files.
pub struct Validator<'a> {
    /// The files the configuration was read from, by origin.
    sources: &'a [Source],
    /// The tier ids a value may name.
    tiers: Vec<&'a str>,
    /// Problems found so far.
    pub problems: Vec<Problem>,
    /// Line and column of the item being validated, used when a value inside it has lost
    /// its own position (values inside `checks:` entries are buffered by the parser).
    pub fallback: (usize, usize),
}

impl<'a> Validator<'a> {
    /// A validator for configuration read from `sources`, whose values may name `tiers`.
    pub fn new(sources: &'a [Source], tiers: Vec<&'a str>) -> Self {
        Validator {
            sources,
            tiers,
            problems: Vec::new(),
            fallback: (0, 0),
        }
    }

    /// Records a problem at a spanned value of the file `origin`.
    pub fn error<T>(
        &mut self,
        origin: usize,
        at: &Sp<T>,
        message: impl Into<String>,
    ) -> &mut Problem {
        let (line, column) = (
            at.referenced.line() as usize,
            at.referenced.column() as usize,
        );
        self.push(origin, line, column, None, message.into())
    }

    /// Records a problem at a spanned string; when its position was lost, the string is
    /// looked up in the source after the enclosing item.
    pub fn error_str(
        &mut self,
        origin: usize,
        at: &Sp<String>,
        message: impl Into<String>,
    ) -> &mut Problem {
        let (line, column) = (
            at.referenced.line() as usize,
            at.referenced.column() as usize,
        );
        self.push(origin, line, column, Some(&at.value), message.into())
    }

    fn push(
        &mut self,
        origin: usize,
        line: usize,
        column: usize,
        value: Option<&str>,
        message: String,
    ) -> &mut Problem {
        let (path, text) = match self.sources.get(origin) {
            Some(s) => (s.path.as_path(), s.text.as_str()),
            None => (std::path::Path::new("<policy>"), ""),
        };
        let (line, column) = if line > 0 {
            (line, column)
        } else {
            value
                .filter(|v| !v.is_empty())
                .and_then(|v| {
                    text.lines()
                        .enumerate()
                        .skip(self.fallback.0.saturating_sub(1))
                        .find_map(|(i, l)| l.find(v).map(|c| (i + 1, l[..c].chars().count() + 1)))
                })
                .unwrap_or(self.fallback)
        };
        self.problems
            .push(Problem::at(message, path, text, line, column));
        let last = self.problems.len() - 1;
        &mut self.problems[last]
    }

    /// Checks that `value` is a well-formed regular expression.
    pub fn regex(&mut self, origin: usize, value: &Sp<String>, owner: &str) {
        // Parsing finds every syntax error; compiling all of a policy's regexes here would
        // cost more than everything else `tiercheck matrix` does (the checks compile them
        // when they run).
        if let Err(detail) = tiercheck_scan::rule::check_plain_regex(&value.value) {
            self.error_str(origin, value, format!("invalid regex in {owner}: {detail}"));
        }
    }

    /// Checks that `value` is a valid glob.
    pub fn glob(&mut self, origin: usize, value: &Sp<String>, owner: &str) {
        if let Err(e) = globset::Glob::new(&value.value) {
            self.error_str(origin, value, format!("invalid glob in {owner}: {e}"));
        }
    }

    /// Checks that `value` names a tier of the policy.
    pub fn tier(&mut self, origin: usize, value: &Sp<String>, owner: &str) {
        if !self.tiers.contains(&value.value.as_str()) {
            let help = hint(&value.value, &self.tiers, "tiers");
            self.error(
                origin,
                value,
                format!("unknown tier `{}` in {owner}", value.value),
            )
            .help = Some(help);
        }
    }
}

/// "did you mean" for `given`, or the list of valid values.
pub fn hint(given: &str, valid: &[&str], what: &str) -> String {
    let list = valid.join("`, `");
    match did_you_mean(given, valid.iter().copied()) {
        Some(s) => format!("did you mean `{s}`? (valid {what}: `{list}`)"),
        None => format!("valid {what}: `{list}`"),
    }
}
