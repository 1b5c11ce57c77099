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

/// A stable id of something that is not secret (a name and a place the caller chooses):
/// sha256 over the three parts, in hex. Never for a value a rule found: a value with little
/// entropy (a national id, a short password) could be found again by trying candidates;
/// findings carry [`value_free_fingerprint`].
pub fn fingerprint(rule_id: &str, path: &str, value: &str) -> String {
    hex(&plain_hash(&[rule_id, path, value]))
}

fn plain_hash(parts: &[&str]) -> [u8; 32] {
    let mut h = Sha256::new();
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            h.update([0]);
        }
        h.update(p.as_bytes());
    }
    h.finalize().into()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The fingerprint of a finding, in a form that does not give its value away: `c1:` and the
/// sha256 of the rule, the path, the value's `context` (the text around it on its line, with
/// the value itself masked), its `occurrence` among findings of that rule and context in
/// the file, and only 8 bits derived from the value. It stays the same across runs and
/// machines and when the line moves; it changes when the value changes (but for one chance
/// in 256) or when its line does. Someone holding only a report or a baseline cannot recover
/// the value from it by trying candidates: 8 bits leave a social security number one of
/// four million. See docs/rules.md.
pub fn value_free_fingerprint(
    rule_id: &str,
    path: &str,
    context: &str,
    occurrence: u32,
    value: &str,
) -> String {
    let bucket = plain_hash(&[rule_id, value])[0];
    let mut h = Sha256::new();
    h.update(b"tiercheck-fingerprint-c1\0");
    for part in [rule_id, path, context] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    h.update(occurrence.to_be_bytes());
    h.update([bucket]);
    format!("c1:{}", hex(&h.finalize()))
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
