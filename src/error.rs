//! Configuration errors (policy, manifest, command line) that end a run with exit code 2.
//!
//! Every error that points into a file carries the file, line and column and renders like a
//! compiler diagnostic: the message, the location, the offending line and a hint.

use std::fmt;
use std::path::{Path, PathBuf};

/// Where in a file a problem was found (1-based line and column).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file, as given or found.
    pub file: PathBuf,
    /// 1-based line; 0 when only the file is known.
    pub line: usize,
    /// 1-based column; 0 when unknown.
    pub column: usize,
}

/// One problem in a configuration input.
#[derive(Debug, Clone)]
pub struct Problem {
    /// What is wrong, in one sentence.
    pub message: String,
    /// Where, when known.
    pub location: Option<Location>,
    /// The text of the line at `location`, for the snippet.
    pub source_line: Option<String>,
    /// A hint such as "did you mean `owner`?".
    pub help: Option<String>,
}

/// A configuration, manifest or usage error: one or more problems, reported together.
#[derive(Debug, Clone, thiserror::Error)]
pub struct ConfigError {
    /// Every problem found; validation reports all of them at once.
    pub problems: Vec<Problem>,
}

impl ConfigError {
    /// An error with a single problem and no location (usage errors, missing files).
    pub fn plain(message: impl Into<String>) -> Self {
        ConfigError {
            problems: vec![Problem {
                message: message.into(),
                location: None,
                source_line: None,
                help: None,
            }],
        }
    }

    /// Adds a hint to the last problem.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        if let Some(p) = self.problems.last_mut() {
            p.help = Some(help.into());
        }
        self
    }
}

impl Problem {
    /// A problem with no location.
    pub fn plain(message: impl Into<String>) -> Self {
        Problem {
            message: message.into(),
            location: None,
            source_line: None,
            help: None,
        }
    }

    /// A problem at `line`:`column` of `file`, whose text is `source`.
    pub fn at(
        message: impl Into<String>,
        file: &Path,
        source: &str,
        line: usize,
        column: usize,
    ) -> Self {
        let source_line = if line > 0 {
            source.lines().nth(line - 1).map(str::to_string)
        } else {
            None
        };
        Problem {
            message: message.into(),
            location: Some(Location {
                file: file.to_path_buf(),
                line,
                column,
            }),
            source_line,
            help: None,
        }
    }

    /// Adds a hint.
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "error: {}", p.message)?;
            if let Some(loc) = &p.location {
                write!(f, "\n  --> {}", loc.file.display())?;
                if loc.line > 0 {
                    write!(f, ":{}:{}", loc.line, loc.column.max(1))?;
                }
                if let Some(text) = &p.source_line {
                    let num = loc.line.to_string();
                    let pad = " ".repeat(num.len());
                    // Long lines are cut so one error stays on one screen.
                    let shown: String = text.chars().take(120).collect();
                    write!(f, "\n {pad} |\n {num} | {shown}")?;
                    let caret_col = loc.column.max(1) - 1;
                    let lead: String = shown
                        .chars()
                        .take(caret_col)
                        .map(|c| if c == '\t' { '\t' } else { ' ' })
                        .collect();
                    write!(f, "\n {pad} | {lead}^")?;
                }
            }
            if let Some(h) = &p.help {
                write!(f, "\n  = help: {h}")?;
            }
        }
        Ok(())
    }
}

/// Suggests the candidate nearest to `given`, when one is close enough to be a typo.
pub fn did_you_mean<'a>(
    given: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(given, c), c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// Turns a YAML deserialisation error into a problem with location and hint.
pub fn yaml_problem(err: &serde_saphyr::Error, file: &Path, source: &str) -> Problem {
    let inner = err.without_snippet();
    let mut message = inner.to_string();
    // The crate appends " at line L, column C"; the location is shown separately.
    if let Some(idx) = message.rfind(" at line ") {
        message.truncate(idx);
    }
    let (line, column) = err
        .location()
        .map(|l| (l.line() as usize, l.column() as usize))
        .unwrap_or((0, 0));
    if let serde_saphyr::Error::Budget { .. } = inner {
        message = format!("too large or too deeply nested to read safely ({message})");
    }
    let mut problem = Problem::at(message, file, source, line, column);
    if let serde_saphyr::Error::Budget { .. } = inner {
        problem.help = Some(
            "tiercheck reads YAML from repositories under fixed input budgets; split or shorten the file"
                .into(),
        );
    }
    if let serde_saphyr::Error::SerdeUnknownVariant {
        variant, expected, ..
    } = inner
    {
        problem.message = format!("unknown value `{variant}`");
        let list = expected.join("`, `");
        problem.help = Some(match did_you_mean(variant, expected.iter().copied()) {
            Some(s) => format!("did you mean `{s}`? (valid values: `{list}`)"),
            None => format!("valid values: `{list}`"),
        });
    }
    if let serde_saphyr::Error::SerdeUnknownField {
        field, expected, ..
    } = inner
    {
        problem.message = format!("unknown field `{field}`");
        // Inside buffered entries (a policy's `checks:`) the parser reports the start of the
        // entry; point at the key itself when it follows closely.
        if let Some((l, c)) = find_key(source, line, field) {
            problem = Problem::at(problem.message, file, source, l, c);
        }
        let list = expected.join("`, `");
        problem.help = Some(match did_you_mean(field, expected.iter().copied()) {
            Some(s) => format!("did you mean `{s}`? (valid fields: `{list}`)"),
            None => format!("valid fields: `{list}`"),
        });
    }
    problem
}

/// The position of `key:` as a mapping key on `from_line` or the few lines after it.
fn find_key(source: &str, from_line: usize, key: &str) -> Option<(usize, usize)> {
    if from_line == 0 {
        return None;
    }
    let wanted = format!("{key}:");
    source
        .lines()
        .enumerate()
        .skip(from_line - 1)
        .take(20)
        .find_map(|(i, l)| {
            let body = l.trim_start();
            let body = body.strip_prefix("- ").map(str::trim_start).unwrap_or(body);
            body.starts_with(&wanted)
                .then(|| (i + 1, l.len() - body.len() + 1))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_key_after_the_reported_line() {
        let src = "checks:\n  - kind: file-exists\n    glob: [a]\n";
        assert_eq!(find_key(src, 2, "glob"), Some((3, 5)));
        assert_eq!(find_key(src, 2, "kind"), Some((2, 5)));
        assert_eq!(find_key(src, 2, "nope"), None);
    }

    #[test]
    fn suggests_close_names_only() {
        assert_eq!(did_you_mean("ownr", ["owner", "sponsor"]), Some("owner"));
        assert_eq!(did_you_mean("zzz", ["owner", "sponsor"]), None);
    }

    #[test]
    fn renders_location_and_caret() {
        let e = ConfigError {
            problems: vec![
                Problem::at("bad", Path::new("a.yaml"), "x: 1\nyy: 2\n", 2, 1).help("h"),
            ],
        };
        let s = e.to_string();
        assert!(s.contains("--> a.yaml:2:1"), "{s}");
        assert!(s.contains("2 | yy: 2"), "{s}");
        assert!(s.contains("= help: h"), "{s}");
    }
}
