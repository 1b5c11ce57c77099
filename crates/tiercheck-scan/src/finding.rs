//! What the engine reports: findings that never hold the value itself, with the two ways a
//! value may be shown (redacted) or remembered (fingerprinted).

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// A secret or personal-data finding, never holding the value itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// The rule that matched.
    pub rule_id: String,
    /// `secret` or `pii`.
    pub category: String,
    /// The file, relative to the scanned root (`/` between folders).
    pub path: String,
    /// 1-based line.
    pub line: u64,
    /// 1-based column, in characters.
    pub column: u64,
    /// At most the rule's public prefix and two more characters, then `…`.
    pub redacted: String,
    /// sha256 of rule, path and value (see [`fingerprint`]), for baselines; not serialized.
    #[serde(skip)]
    pub fingerprint: String,
    /// Its line holds the inline allow marker, which this scan did not honour
    /// ([`crate::ScanOptions::honour_allow_marker`]); not serialized.
    #[serde(skip)]
    pub marked_allowed: bool,
    /// Where the value ends: the line of its last character (1-based; not serialized).
    #[serde(skip)]
    pub end_line: u64,
    /// The column just after its last character (1-based, in characters; not serialized).
    #[serde(skip)]
    pub end_column: u64,
}

/// The end of a value that starts at `line`:`column`: the line of its last character and
/// the column just after it, for locations with a full region.
pub fn value_end(line: u64, column: u64, value: &str) -> (u64, u64) {
    match value.rsplit_once('\n') {
        Some((before, last)) => (
            line + before.matches('\n').count() as u64 + 1,
            last.chars().count() as u64 + 1,
        ),
        None => (line, column + value.chars().count() as u64),
    }
}

/// Sorts findings by path, line, column and rule, and drops exact repeats.
pub fn sort_findings(f: &mut Vec<Finding>) {
    f.sort_by(|a, b| {
        (&a.path, a.line, a.column, &a.rule_id).cmp(&(&b.path, b.line, b.column, &b.rule_id))
    });
    f.dedup();
}

/// What a report may show of a value: the rule's public prefix (when the value starts with
/// it) and two more characters, then `…`. Short values show fewer characters so that the
/// shown part is never a large share of the secret.
pub fn redact(value: &str, prefix: Option<&str>) -> String {
    let shown_prefix = prefix
        .filter(|p| {
            value.len() >= p.len()
                && value.is_char_boundary(p.len())
                && value[..p.len()].eq_ignore_ascii_case(p)
        })
        .map_or(0, str::len);
    let rest = value[shown_prefix..].chars().count();
    let extra = if rest >= 12 {
        2
    } else if rest >= 6 {
        1
    } else {
        0
    };
    let head: String = value[..shown_prefix]
        .chars()
        .chain(value[shown_prefix..].chars().take(extra))
        .collect();
    format!("{head}…")
}

/// A stable id of a finding for baselines: sha256 over rule, path and value, in hex. The
/// value cannot be recovered from it.
pub fn fingerprint(rule_id: &str, path: &str, value: &str) -> String {
    let mut h = Sha256::new();
    h.update(rule_id.as_bytes());
    h.update([0]);
    h.update(path.as_bytes());
    h.update([0]);
    h.update(value.as_bytes());
    h.finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<String>()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_never_shows_more_than_prefix_and_two() {
        assert_eq!(
            redact("ghp_abcdefghijklmnopqrstuvwxyz0123456789", Some("ghp_")),
            "ghp_ab…"
        );
        assert_eq!(redact("GHP_abcdefghijklmnop", Some("ghp_")), "GHP_ab…");
        assert_eq!(redact("sk-live-abc", Some("ghp_")), "s…");
        assert_eq!(redact("hunter2!", None), "h…");
        assert_eq!(redact("abc", None), "…");
        assert_eq!(redact("ghp_", Some("ghp_")), "ghp_…");
        assert_eq!(redact("żółw-żółw-żółw", None), "żó…");
    }
}
