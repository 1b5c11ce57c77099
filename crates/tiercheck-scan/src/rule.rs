//! What the engine is told to look for: rules and allowlists, as plain data. A caller builds
//! them in code or reads them with serde (the field names are those of the YAML below), and
//! [`crate::Scanner::new`] compiles them once.
//!
//! ```yaml
//! rules:
//!   - id: github-pat
//!     description: GitHub personal access token
//!     category: secret
//!     regex: '\b(?P<secret>ghp_[A-Za-z0-9]{36})\b'
//!     keywords: [ghp_]
//!     prefix: ghp_
//! allowlist:
//!   paths: ['**/*.lock']
//! ```

use serde::{Deserialize, Serialize};

pub use crate::validators::VALIDATORS;

/// What a rule looks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    /// Credentials: tokens, keys, passwords.
    Secret,
    /// Personal or customer data: emails, card numbers, IBANs, national ids, phones.
    Pii,
}

impl Category {
    /// Lowercase name, as rules and findings write it.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Secret => "secret",
            Category::Pii => "pii",
        }
    }
}

impl std::str::FromStr for Category {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "secret" => Ok(Category::Secret),
            "pii" => Ok(Category::Pii),
            _ => Err(format!("unknown category `{s}` (valid: `secret`, `pii`)")),
        }
    }
}

/// Values and paths that are never reported (for every rule, or for one).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Allowlist {
    /// A value, or the line the rule matched on, that matches one of these is not reported.
    #[serde(default)]
    pub regexes: Vec<String>,
    /// Globs of paths (relative to the scanned root, `/` between folders) not scanned.
    #[serde(default)]
    pub paths: Vec<String>,
    /// A value containing one of these (case-insensitive) is not reported.
    #[serde(default)]
    pub stopwords: Vec<String>,
}

impl Allowlist {
    /// Whether no entry is set.
    pub fn is_empty(&self) -> bool {
        self.regexes.is_empty() && self.paths.is_empty() && self.stopwords.is_empty()
    }
}

/// The widest `near` reach a rule may ask for, in lines: each hit of a `near` rule is
/// searched that many lines either side, so the reach bounds the work per hit.
pub const MAX_NEAR_LINES: u32 = 100;

/// Report a rule's finding only when a finding of another rule lies close by.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Near {
    /// The other rule's id.
    pub rule: String,
    /// How many lines apart the two findings may be, at most [`MAX_NEAR_LINES`].
    pub lines: u32,
}

/// One detection rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Unique id, shown in findings.
    pub id: String,
    /// What the rule finds.
    pub description: String,
    /// `secret` or `pii`.
    pub category: Category,
    /// The pattern; the value is the group named `secret`, else group 1, else the whole
    /// match. Compiled with ASCII classes (`\w`, `\d`, `(?i)` cover ASCII only) unless the
    /// pattern needs Unicode; `(?u:…)` turns Unicode on for a part of it.
    pub regex: String,
    /// Literal strings that must occur for the rule to run: in any case when written in
    /// lower case, with their own case when they hold an upper-case letter (vendor
    /// prefixes such as `AKIA`); empty means the rule runs on every file.
    #[serde(default)]
    pub keywords: Vec<String>,
    /// The public prefix of the value that redaction may show.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    /// A rule for secrets of any kind (a high-entropy value assigned to a secret-like
    /// name) rather than one vendor's format: where its finding overlaps a non-generic
    /// rule's finding of the same category on the same line, only the latter is reported.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub generic: bool,
    /// Minimum Shannon entropy (bits per character) of the value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entropy: Option<f64>,
    /// A named validator the value must pass (one of [`VALIDATORS`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validate: Option<String>,
    /// How many lines after its keyword's line a match may reach, for values written on a
    /// later line than their name (`name: API_TOKEN` then `value: …`); at most
    /// [`MAX_NEAR_LINES`]. 0: the keyword's line only.
    #[serde(default)]
    pub lines: u32,
    /// Only report when a finding of another rule is near.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub near: Option<Near>,
    /// Ids of rules whose format this one narrows (two vendors sharing a prefix, told apart
    /// by the vendor's name next to the value): where a finding of one of them overlaps a
    /// finding of this rule, only this rule's is reported.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub overrides: Vec<String>,
    /// This rule's own exceptions.
    #[serde(default, skip_serializing_if = "Allowlist::is_empty")]
    pub allowlist: Allowlist,
}

/// The rules a scanner runs and the exceptions that hold for all of them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RuleSet {
    /// The rules, in the order findings of equal position are reported.
    #[serde(default)]
    pub rules: Vec<Rule>,
    /// Values and paths no rule reports.
    #[serde(default)]
    pub allowlist: Allowlist,
}

/// Whether a keyword matches with its own case only (it holds an upper-case letter).
pub fn keyword_is_exact(keyword: &str) -> bool {
    keyword.bytes().any(|b| b.is_ascii_uppercase())
}

/// Checks a rule's regex syntax as the scanner reads it (ASCII first, then Unicode)
/// without compiling it; the error is the one line saying what is wrong.
pub fn check_rule_regex(pattern: &str) -> Result<(), String> {
    parse_rule_regex(pattern, false).or_else(|_| parse_rule_regex(pattern, true))
}

/// Checks an allowlist regex's syntax without compiling it (the scanner compiles it the
/// first time a candidate reaches it).
pub fn check_allow_regex(pattern: &str) -> Result<(), String> {
    parse_regex(pattern, true, true)
}

/// Whether a pattern turns on case-insensitive matching anywhere (`(?i)`, `(?im:`, …).
pub fn ignores_case(pattern: &str) -> bool {
    let b = pattern.as_bytes();
    (0..b.len().saturating_sub(1)).any(|i| {
        b[i] == b'(' && b[i + 1] == b'?' && (i == 0 || b[i - 1] != b'\\') && {
            let flags = &b[i + 2..];
            let end = flags
                .iter()
                .position(|c| !(c.is_ascii_alphabetic() || *c == b'-'))
                .unwrap_or(flags.len());
            matches!(flags.get(end), Some(b':' | b')'))
                && flags[..end]
                    .iter()
                    .take_while(|c| **c != b'-')
                    .any(|c| *c == b'i')
        }
    })
}

/// Parses a regex in ASCII or Unicode mode, for text (`utf8`) or bytes.
/// The largest counted repetition a regex may use (`x{1000}`): larger counts make
/// the compiled automaton huge and can never be needed for a token's shape.
pub const MAX_REPEAT: u32 = 1000;

/// The longest match a rule can have: the scanner runs a rule's regex only on the text
/// around a keyword or a value-shaped run, so a rule whose shortest match is longer can
/// never report anything.
pub const MAX_RULE_MATCH: usize = crate::search::WINDOW_BEFORE + crate::search::WINDOW_AFTER;

/// Checks a regex that is not a rule's (an allowlist, a CI command, a file-contains pattern)
/// as the `regex` crate reads it, with the same bound on counted repetitions.
pub fn check_plain_regex(pattern: &str) -> Result<(), String> {
    parse_regex(pattern, true, true)
}

fn parse_regex(pattern: &str, unicode: bool, utf8: bool) -> Result<(), String> {
    let hir = regex_syntax::ParserBuilder::new()
        .unicode(unicode)
        .utf8(utf8)
        .build()
        .parse(pattern)
        .map_err(|e| {
            // The crate's message spans several lines with a drawing of the pattern;
            // keep the last line, which says what is wrong.
            let text = e.to_string();
            let last = text.lines().last().unwrap_or("").trim();
            last.strip_prefix("error: ").unwrap_or(last).to_string()
        })?;
    if let Some(n) = largest_repeat(&hir).filter(|n| *n > MAX_REPEAT) {
        return Err(format!(
            "a repetition of {n} is more than the {MAX_REPEAT} a regex may use"
        ));
    }
    Ok(())
}

/// Checks a rule's regex and that it can match within the text the scanner gives it.
fn parse_rule_regex(pattern: &str, unicode: bool) -> Result<(), String> {
    parse_regex(pattern, unicode, false)?;
    let hir = regex_syntax::ParserBuilder::new()
        .unicode(unicode)
        .utf8(false)
        .build()
        .parse(pattern)
        .map_err(|e| e.to_string())?;
    match hir.properties().minimum_len() {
        Some(n) if n > MAX_RULE_MATCH => Err(format!(
            "its shortest match is {n} bytes, longer than the {MAX_RULE_MATCH} bytes the scanner reads around a keyword: it can never match"
        )),
        _ => Ok(()),
    }
}

/// The largest bound of a counted repetition in `hir` (`x{n}`, `x{n,m}`), if any.
fn largest_repeat(hir: &regex_syntax::hir::Hir) -> Option<u32> {
    use regex_syntax::hir::HirKind;
    // An explicit stack: a deeply nested pattern must not overflow this one.
    let mut stack = vec![hir];
    let mut largest: Option<u32> = None;
    while let Some(h) = stack.pop() {
        match h.kind() {
            HirKind::Repetition(r) => {
                let n = r.max.unwrap_or(r.min);
                largest = Some(largest.map_or(n, |l| l.max(n)));
                stack.push(&r.sub);
            }
            HirKind::Capture(c) => stack.push(&c.sub),
            HirKind::Concat(v) | HirKind::Alternation(v) => stack.extend(v.iter()),
            _ => {}
        }
    }
    largest
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_flags_are_found_where_they_turn_case_off() {
        assert!(ignores_case("(?i)x") && ignores_case("a(?mi:b)"));
        assert!(!ignores_case("(?-i:x)") && !ignores_case(r"\(?i\)"));
        assert!(!ignores_case("(?P<secret>x)") && !ignores_case("(?:i)"));
    }

    #[test]
    fn regex_errors_are_one_line() {
        let e = check_rule_regex("(unclosed").unwrap_err();
        assert!(!e.contains('\n') && e.contains("unclosed"), "{e}");
        assert!(check_rule_regex(r"\bghp_[A-Za-z0-9]{36}").is_ok());
        // Byte patterns that are not UTF-8 are fine for rules, not for allowlists.
        assert!(check_rule_regex(r"(?-u:\xff)").is_ok());
        let e = check_rule_regex("abc{100000}").unwrap_err();
        assert!(e.contains("repetition of 100000"), "{e}");
        let e = check_rule_regex("a{900}b{900}c{900}d{900}e{900}f{900}").unwrap_err();
        assert!(e.contains("never match"), "{e}");
        assert!(check_plain_regex("(x{5000})+").is_err());
        assert!(check_plain_regex("x{2,1000}").is_ok());
        assert!(check_allow_regex(r"(?-u:\xff)").is_err());
        assert!(keyword_is_exact("AKIA") && !keyword_is_exact("ghp_"));
    }

    #[test]
    fn rules_read_from_yaml_with_their_defaults() {
        let set: RuleSet = serde_saphyr::from_str(
            "rules:\n  - id: r\n    description: d\n    category: pii\n    regex: x\nallowlist:\n  stopwords: [example]\n",
        )
        .unwrap();
        assert_eq!(set.rules[0].category, Category::Pii);
        assert!(set.rules[0].keywords.is_empty() && !set.rules[0].generic);
        assert_eq!(set.allowlist.stopwords, ["example"]);
        let bad: Result<RuleSet, _> = serde_saphyr::from_str(
            "rules:\n  - id: r\n    description: d\n    category: pii\n    regex: x\n    entrop: 3\n",
        );
        assert!(bad.is_err());
    }
}
