//! Baselines: the fingerprints of findings someone has accepted, so that only new ones are
//! reported. A baseline names each finding by rule, path and a fingerprint that does not
//! give the value away ([`crate::value_free_fingerprint`]), never the value itself.

use std::collections::HashSet;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::Finding;

/// The largest baseline file read (a quarter of a million findings).
pub const MAX_BASELINE_BYTES: u64 = 64 * 1024 * 1024;

/// Version of the baseline file format: 2 since fingerprints stopped hashing the value
/// alone (version 1's could give a low-entropy value away).
pub const BASELINE_VERSION: u32 = 2;

/// One accepted finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// The rule that found it.
    pub rule_id: String,
    /// The file, relative to the scanned root.
    pub path: String,
    /// The finding's fingerprint (see [`crate::value_free_fingerprint`]).
    pub fingerprint: String,
}

/// A baseline file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    /// Format version; 2.
    pub version: u32,
    /// Accepted findings, sorted.
    pub findings: Vec<Entry>,
}

impl Baseline {
    /// A baseline accepting `findings`.
    pub fn from_findings(findings: &[Finding]) -> Self {
        let mut entries: Vec<Entry> = findings
            .iter()
            .map(|f| Entry {
                rule_id: f.rule_id.clone(),
                path: f.path.clone(),
                fingerprint: f.fingerprint.clone(),
            })
            .collect();
        entries.sort_by(|a, b| {
            (&a.path, &a.rule_id, &a.fingerprint).cmp(&(&b.path, &b.rule_id, &b.fingerprint))
        });
        entries.dedup();
        Baseline {
            version: BASELINE_VERSION,
            findings: entries,
        }
    }

    /// Reads a baseline file (a regular file of at most [`MAX_BASELINE_BYTES`]).
    pub fn load(path: &Path) -> Result<Self, String> {
        let bytes = crate::read::read_regular(path, MAX_BASELINE_BYTES)
            .map_err(|e| format!("cannot read baseline {}: {e}", path.display()))?;
        Self::parse(&bytes, &path.display().to_string())
    }

    /// Parses a baseline's bytes; `name` names it in messages.
    pub fn parse(bytes: &[u8], name: &str) -> Result<Self, String> {
        let text = std::str::from_utf8(bytes)
            .map_err(|_| format!("baseline {name} is not valid UTF-8"))?;
        let b: Baseline =
            serde_json::from_str(text).map_err(|e| format!("baseline {name} is not valid: {e}"))?;
        if b.version == 1 {
            return Err(format!(
                "baseline {name} has version 1, whose fingerprints hash the values alone: a short value (a national id, a phone number) could be found again from them; write it again with `tiercheck scan --write-baseline {name}` and remove the old file from the history"
            ));
        }
        if b.version != BASELINE_VERSION {
            return Err(format!(
                "baseline {name} has version {}; this tiercheck reads version {BASELINE_VERSION}",
                b.version
            ));
        }
        Ok(b)
    }

    /// The file's text (pretty JSON with a final newline).
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }

    /// Removes the findings this baseline accepts.
    pub fn filter(&self, findings: Vec<Finding>) -> Vec<Finding> {
        let known: HashSet<&str> = self
            .findings
            .iter()
            .map(|e| e.fingerprint.as_str())
            .collect();
        findings
            .into_iter()
            .filter(|f| !known.contains(f.fingerprint.as_str()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fingerprint;

    fn finding(rule: &str, path: &str, value: &str, line: u64) -> Finding {
        Finding {
            marked_allowed: false,
            rule_id: rule.into(),
            category: "secret".into(),
            path: path.into(),
            line,
            column: 1,
            redacted: "x…".into(),
            fingerprint: fingerprint(rule, path, value),
            end_line: line,
            end_column: 1 + value.chars().count() as u64,
        }
    }

    #[test]
    fn fingerprints_are_stable_and_hide_the_value() {
        let a = fingerprint("r", "a.txt", "s3cr3tvalue");
        assert_eq!(a, fingerprint("r", "a.txt", "s3cr3tvalue"));
        // Fixed so that baselines written by older versions keep working.
        assert_eq!(
            a,
            "b98dd20af0fb2cf639cd4c90ad3e6dab9f63ef7b5a26b35467dad72f2afd11f1"
        );
        assert_eq!(a.len(), 64);
        assert!(!a.contains("s3cr3t"));
        assert_ne!(a, fingerprint("r", "b.txt", "s3cr3tvalue"));
        assert_ne!(a, fingerprint("q", "a.txt", "s3cr3tvalue"));
        // Separators keep (rule, path) pairs from colliding.
        assert_ne!(fingerprint("ab", "c", "v"), fingerprint("a", "bc", "v"));
    }

    #[test]
    fn baseline_filters_known_findings_even_when_lines_move() {
        let old = vec![finding("r", "a.txt", "one", 3)];
        let b = Baseline::from_findings(&old);
        let text = b.to_json();
        assert!(!text.contains("one"));
        let back: Baseline = serde_json::from_str(&text).unwrap();
        assert_eq!(back, b);
        let now = vec![
            finding("r", "a.txt", "one", 10),
            finding("r", "a.txt", "two", 11),
        ];
        let left = back.filter(now);
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].line, 11);
    }
}
