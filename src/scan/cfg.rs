//! The scanner's policy sections (`prompt_files`, `rules`, `allowlist`) as written in YAML,
//! and their validation. The engine compiles these once into a [`super::Scanner`].

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use super::validators::VALIDATORS;
use crate::policy::{Policy, Sp, Validator};

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
    /// Lowercase name as in the policy and JSON.
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

/// A string of a policy list that remembers which policy file it came from, so an invalid
/// regex or glob in an appended allowlist is reported in the right file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(from = "Sp<String>", into = "String")]
pub struct Pattern {
    /// The text and where it was written.
    pub value: Sp<String>,
    /// Index into the policy's sources.
    pub origin: usize,
}

impl From<Sp<String>> for Pattern {
    fn from(value: Sp<String>) -> Self {
        Pattern { value, origin: 0 }
    }
}

impl From<Pattern> for String {
    fn from(p: Pattern) -> String {
        p.value.value
    }
}

impl Pattern {
    /// The text.
    pub fn as_str(&self) -> &str {
        &self.value.value
    }
}

/// Values and paths that are never reported (globally or for one rule).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Allowlist {
    /// A value, or the whole text the rule matched, that matches one of these is not reported.
    #[serde(default)]
    pub regexes: Vec<Pattern>,
    /// Globs of paths (relative to the scanned root) that are not scanned (by this rule).
    #[serde(default)]
    pub paths: Vec<Pattern>,
    /// A value containing one of these (case-insensitive) is not reported.
    #[serde(default)]
    pub stopwords: Vec<String>,
}

impl Allowlist {
    /// Records which policy file every pattern came from.
    pub fn set_origin(&mut self, origin: usize) {
        for p in self.regexes.iter_mut().chain(self.paths.iter_mut()) {
            p.origin = origin;
        }
    }

    /// Appends another allowlist's entries (used by `extends: default`).
    pub fn append(&mut self, other: Allowlist) {
        self.regexes.extend(other.regexes);
        self.paths.extend(other.paths);
        self.stopwords.extend(other.stopwords);
    }

    /// Whether no entry is set.
    pub fn is_empty(&self) -> bool {
        self.regexes.is_empty() && self.paths.is_empty() && self.stopwords.is_empty()
    }
}

/// Report a rule's finding only when a finding of another rule lies close by.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Near {
    /// The other rule's id.
    pub rule: Sp<String>,
    /// How many lines apart the two findings may be.
    pub lines: u32,
}

/// One detection rule.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleDef {
    /// Unique kebab-case id, shown in findings.
    pub id: Sp<String>,
    /// What the rule finds.
    pub description: String,
    /// `secret` or `pii`.
    pub category: Category,
    /// The pattern; the value is the group `secret`, else group 1, else the whole match.
    pub regex: Sp<String>,
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
    /// A named validator the value must pass (see [`VALIDATORS`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validate: Option<Sp<String>>,
    /// Only report when a finding of another rule is near.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub near: Option<Near>,
    /// This rule's own exceptions.
    #[serde(default, skip_serializing_if = "Allowlist::is_empty")]
    pub allowlist: Allowlist,
    #[serde(skip)]
    pub origin: usize,
}

/// Whether `s` is a kebab-case id.
fn is_kebab(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with('-')
        && !s.ends_with('-')
        && !s.contains("--")
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn allowlist(v: &mut Validator<'_>, list: &Allowlist, owner: &str, origin: Option<usize>) {
    for r in &list.regexes {
        // Parsed, not compiled: the scanner compiles an allowlist regex when it first needs
        // it, and compiling them all here would double start-up time.
        if let Err(e) = parse_regex(&r.value.value, true, true) {
            v.error_str(
                origin.unwrap_or(r.origin),
                &r.value,
                format!("invalid regex in {owner}: {e}"),
            );
        }
    }
    for g in &list.paths {
        v.glob(origin.unwrap_or(g.origin), &g.value, owner);
    }
}

/// Checks a rule's regex syntax without compiling it (compiling every rule twice, here and
/// in the scanner, would double start-up time); modes as in the scanner: ASCII first, then
/// Unicode.
fn parse_rule_regex(pattern: &str) -> Result<(), String> {
    parse_regex(pattern, false, false).or_else(|_| parse_regex(pattern, true, false))
}

/// Whether a pattern turns on case-insensitive matching anywhere (`(?i)`, `(?im:`, …).
fn ignores_case(pattern: &str) -> bool {
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

/// Parses a regex in ASCII or Unicode mode, for text (`utf8`) or bytes; the error is the
/// one line saying what is wrong.
fn parse_regex(pattern: &str, unicode: bool, utf8: bool) -> Result<(), String> {
    regex_syntax::ParserBuilder::new()
        .unicode(unicode)
        .utf8(utf8)
        .build()
        .parse(pattern)
        .map(|_| ())
        .map_err(|e| {
            // The crate's message spans several lines with a drawing of the pattern;
            // keep the last line, which says what is wrong.
            let text = e.to_string();
            let last = text.lines().last().unwrap_or("").trim();
            last.strip_prefix("error: ").unwrap_or(last).to_string()
        })
}

/// Validates the scanner sections of a merged policy.
pub(crate) fn validate(v: &mut Validator<'_>, policy: &Policy) {
    if let Some(globs) = &policy.prompt_files {
        // `prompt_files` is replaced as a whole, so it comes from the last file setting it.
        let origin = policy
            .prompt_files_origin
            .min(policy.sources.len().saturating_sub(1));
        for g in globs {
            v.glob(origin, g, "`prompt_files`");
        }
    }
    allowlist(v, &policy.allowlist, "the global `allowlist`", None);
    let mut seen = HashSet::new();
    let ids: HashSet<&str> = policy.rules.iter().map(|r| r.id.value.as_str()).collect();
    for rule in &policy.rules {
        let id = &rule.id.value;
        let owner = format!("rule `{id}`");
        if !seen.insert(id.as_str()) {
            v.error(
                rule.origin,
                &rule.id,
                format!("rule `{id}` is defined twice"),
            );
        }
        if !is_kebab(id) {
            v.error(
                rule.origin,
                &rule.id,
                format!("rule id `{id}` is not kebab-case"),
            )
            .help = Some("use lowercase letters, digits and single dashes".into());
        }
        if let Err(e) = parse_rule_regex(&rule.regex.value) {
            v.error_str(
                rule.origin,
                &rule.regex,
                format!("invalid regex in {owner}: {e}"),
            );
        }
        if let Some(e) = rule.entropy
            && !(0.0..=8.0).contains(&e)
        {
            v.error(
                rule.origin,
                &rule.id,
                format!("{owner} has entropy {e}; Shannon entropy per byte lies in 0..=8"),
            );
        }
        if rule.generic && rule.prefix.is_some() {
            v.error(
                rule.origin,
                &rule.id,
                format!("{owner} is `generic` and has a `prefix`; a generic rule matches values of any format, so it has no public prefix"),
            );
        }
        if let Some(k) = rule
            .keywords
            .iter()
            .find(|k| k.bytes().any(|b| b.is_ascii_uppercase()))
            && ignores_case(&rule.regex.value)
        {
            v.error(
                rule.origin,
                &rule.id,
                format!(
                    "{owner} has keyword `{k}`, which matches with its case only, but its regex ignores case"
                ),
            )
            .help = Some("write the keyword in lower case to match it in any case".into());
        }
        if rule.keywords.iter().any(|k| k.is_empty()) {
            v.error(
                rule.origin,
                &rule.id,
                format!("{owner} has an empty keyword"),
            );
        }
        if let Some(name) = &rule.validate
            && !VALIDATORS.contains(&name.value.as_str())
        {
            let list = VALIDATORS.join("`, `");
            let help = match crate::error::did_you_mean(&name.value, VALIDATORS.iter().copied()) {
                Some(s) => format!("did you mean `{s}`? (valid validators: `{list}`)"),
                None => format!("valid validators: `{list}`"),
            };
            v.error_str(
                rule.origin,
                name,
                format!("unknown validator `{}` in {owner}", name.value),
            )
            .help = Some(help);
        }
        if let Some(near) = &rule.near
            && !ids.contains(near.rule.value.as_str())
        {
            let all: Vec<&str> = ids.iter().copied().collect();
            let mut p = format!("{owner} is `near` unknown rule `{}`", near.rule.value);
            if let Some(s) = crate::error::did_you_mean(&near.rule.value, all) {
                p.push_str(&format!(" (did you mean `{s}`?)"));
            }
            v.error_str(rule.origin, &near.rule, p);
        }
        allowlist(v, &rule.allowlist, &owner, Some(rule.origin));
    }
}

#[cfg(test)]
mod tests {
    use crate::policy::load_text;
    use std::path::Path;

    fn problems(body: &str) -> String {
        load_text(
            &format!("version: 1\nextends: default\n{body}"),
            Path::new("p.yaml"),
        )
        .unwrap_err()
        .to_string()
    }

    const RULE: &str = "  - id: r1\n    description: d\n    category: secret\n    regex: 'x(y)'\n";

    #[test]
    fn upper_case_keywords_need_a_case_sensitive_regex_and_generic_has_no_prefix() {
        let s = problems(
            "rules:\n  - id: r1\n    description: d\n    category: secret\n    regex: '(?i)akia\\w+'\n    keywords: [AKIA]\n",
        );
        assert!(
            s.contains("keyword `AKIA`, which matches with its case only"),
            "{s}"
        );
        let s = problems(
            "rules:\n  - id: r1\n    description: d\n    category: secret\n    regex: 'x(y)'\n    generic: true\n    prefix: x\n",
        );
        assert!(
            s.contains("rule `r1` is `generic` and has a `prefix`"),
            "{s}"
        );
        assert!(super::ignores_case("(?i)x") && super::ignores_case("a(?mi:b)"));
        assert!(!super::ignores_case("(?-i:x)") && !super::ignores_case(r"\(?i\)"));
        assert!(!super::ignores_case("(?P<secret>x)") && !super::ignores_case("(?:i)"));
    }

    #[test]
    fn invalid_regex_names_rule_and_location() {
        let s = problems(
            "rules:\n  - id: bad-one\n    description: d\n    category: secret\n    regex: '(unclosed'\n",
        );
        assert!(s.contains("invalid regex in rule `bad-one`"), "{s}");
        assert!(s.contains("p.yaml:7:12"), "{s}");
    }

    #[test]
    fn unknown_validator_lists_valid_ones() {
        let s = problems(&format!("rules:\n{RULE}    validate: lhun\n"));
        assert!(s.contains("unknown validator `lhun` in rule `r1`"), "{s}");
        assert!(s.contains("did you mean `luhn`?"), "{s}");
        assert!(s.contains("private-key-block"), "{s}");
    }

    #[test]
    fn duplicate_ids_unknown_near_bad_globs_and_fields() {
        let s = problems(&format!(
            "rules:\n{RULE}{RULE}    near: {{rule: nope, lines: 3}}\n    allowlist: {{paths: ['a/[']}}\nallowlist:\n  regexes: ['(']\n"
        ));
        assert!(s.contains("rule `r1` is defined twice"), "{s}");
        assert!(s.contains("is `near` unknown rule `nope`"), "{s}");
        assert!(s.contains("invalid glob in rule `r1`"), "{s}");
        assert!(s.contains("invalid regex in the global `allowlist`"), "{s}");
        let s = problems(&format!("rules:\n{RULE}    entrop: 3\n"));
        assert!(s.contains("unknown field `entrop`"), "{s}");
        let s = problems(
            "rules:\n  - id: Not_Kebab\n    description: d\n    category: pii\n    regex: x\n",
        );
        assert!(s.contains("not kebab-case"), "{s}");
        let s = problems(
            "rules:\n  - id: c\n    description: d\n    category: secrets\n    regex: x\n",
        );
        assert!(s.contains("secrets"), "{s}");
    }

    #[test]
    fn extends_merges_rules_appends_allowlists_replaces_prompt_files() {
        let base = crate::policy::load_default().unwrap();
        let text = format!(
            "version: 1\nextends: default\nprompt_files: ['*.prompt']\nrules:\n{RULE}allowlist:\n  stopwords: [dummy]\n  paths: ['vendor/**']\n"
        );
        let p = load_text(&text, Path::new("p.yaml")).unwrap();
        let globs: Vec<&str> = p
            .prompt_files
            .as_ref()
            .unwrap()
            .iter()
            .map(|g| g.value.as_str())
            .collect();
        assert_eq!(globs, ["*.prompt"]);
        assert_eq!(p.rules.len(), base.rules.len() + 1);
        assert_eq!(
            p.allowlist.stopwords.len(),
            base.allowlist.stopwords.len() + 1
        );
        assert_eq!(p.allowlist.paths.last().unwrap().origin, 1);
        // Giving a default rule's id again replaces that rule.
        if let Some(first) = base.rules.first() {
            let text = format!(
                "version: 1\nextends: default\nrules:\n  - id: {}\n    description: changed\n    category: pii\n    regex: z\n",
                first.id.value
            );
            let p = load_text(&text, Path::new("p.yaml")).unwrap();
            assert_eq!(p.rules.len(), base.rules.len());
            assert_eq!(p.rules[0].description, "changed");
        }
    }
}
