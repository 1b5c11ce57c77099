//! The scanner's policy sections (`prompt_files`, `rules`, `allowlist`) as written in YAML,
//! their validation, and their mapping onto the engine's types ([`tiercheck_scan::Rule`],
//! [`tiercheck_scan::Allowlist`]). The YAML types keep where each value was written, so
//! every problem is reported at its file, line and column; the engine needs none of that.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use tiercheck_scan::rule::{
    MAX_NEAR_LINES, VALIDATORS, check_allow_regex, check_rule_regex, ignores_case, keyword_is_exact,
};
use tiercheck_scan::{Allowlist, Category, Near, Rule};

use super::Policy;
use crate::config::{Sp, Validator};

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
pub struct AllowlistDef {
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

impl AllowlistDef {
    /// Records which policy file every pattern came from.
    pub fn set_origin(&mut self, origin: usize) {
        for p in self.regexes.iter_mut().chain(self.paths.iter_mut()) {
            p.origin = origin;
        }
    }

    /// Appends another allowlist's entries (used by `extends: default`).
    pub fn append(&mut self, other: AllowlistDef) {
        self.regexes.extend(other.regexes);
        self.paths.extend(other.paths);
        self.stopwords.extend(other.stopwords);
    }

    /// Whether no entry is set.
    pub fn is_empty(&self) -> bool {
        self.regexes.is_empty() && self.paths.is_empty() && self.stopwords.is_empty()
    }

    /// The allowlist as the engine takes it.
    pub fn to_engine(&self) -> Allowlist {
        Allowlist {
            regexes: self
                .regexes
                .iter()
                .map(|p| p.as_str().to_string())
                .collect(),
            paths: self.paths.iter().map(|p| p.as_str().to_string()).collect(),
            stopwords: self.stopwords.clone(),
        }
    }
}

/// Report a rule's finding only when a finding of another rule lies close by.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NearDef {
    /// The other rule's id.
    pub rule: Sp<String>,
    /// How many lines apart the two findings may be.
    pub lines: u32,
}

/// One detection rule as the policy writes it: the fields of [`tiercheck_scan::Rule`]
/// (which documents what each means), with the positions of those a problem can point at.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleDef {
    pub id: Sp<String>,
    pub description: String,
    pub category: Category,
    pub regex: Sp<String>,
    #[serde(default)]
    pub keywords: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub generic: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entropy: Option<f64>,
    /// One of [`VALIDATORS`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validate: Option<Sp<String>>,
    /// Lines after the keyword's line a match may reach.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub lines: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub near: Option<NearDef>,
    /// Ids of rules this one narrows.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub overrides: Vec<Sp<String>>,
    #[serde(default, skip_serializing_if = "AllowlistDef::is_empty")]
    pub allowlist: AllowlistDef,
    /// Which policy file the rule came from.
    #[serde(skip)]
    pub origin: usize,
}

impl RuleDef {
    /// The rule as the engine takes it.
    pub fn to_engine(&self) -> Rule {
        Rule {
            id: self.id.value.clone(),
            description: self.description.clone(),
            category: self.category,
            regex: self.regex.value.clone(),
            keywords: self.keywords.clone(),
            prefix: self.prefix.clone(),
            generic: self.generic,
            entropy: self.entropy,
            validate: self.validate.as_ref().map(|v| v.value.clone()),
            lines: self.lines,
            near: self.near.as_ref().map(|n| Near {
                rule: n.rule.value.clone(),
                lines: n.lines,
            }),
            overrides: self.overrides.iter().map(|o| o.value.clone()).collect(),
            allowlist: self.allowlist.to_engine(),
        }
    }
}

fn is_zero(n: &u32) -> bool {
    *n == 0
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

fn allowlist(v: &mut Validator<'_>, list: &AllowlistDef, owner: &str, origin: Option<usize>) {
    for r in &list.regexes {
        // Parsed, not compiled: the scanner compiles an allowlist regex when it first needs
        // it, and compiling them all here would double start-up time.
        if let Err(e) = check_allow_regex(&r.value.value) {
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
        if let Err(e) = check_rule_regex(&rule.regex.value) {
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
        if let Some(k) = rule.keywords.iter().find(|k| keyword_is_exact(k))
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
            && near.lines > MAX_NEAR_LINES
        {
            v.error(
                rule.origin,
                &rule.id,
                format!(
                    "{owner} is `near` {} lines; a rule may reach at most {MAX_NEAR_LINES}",
                    near.lines
                ),
            )
            .help = Some("pair findings a few lines apart, as an id and its secret are".into());
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
        for o in &rule.overrides {
            if !ids.contains(o.value.as_str()) {
                let all: Vec<&str> = ids.iter().copied().collect();
                let mut p = format!("{owner} overrides unknown rule `{}`", o.value);
                if let Some(s) = crate::error::did_you_mean(&o.value, all) {
                    p.push_str(&format!(" (did you mean `{s}`?)"));
                }
                v.error_str(rule.origin, o, p);
            } else if o.value == rule.id.value {
                v.error_str(rule.origin, o, format!("{owner} overrides itself"));
            }
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
    fn near_reach_has_a_located_upper_bound() {
        let s = problems(&format!(
            "rules:\n  - id: key-id\n    description: d\n    category: secret\n    regex: 'k(\\d+)'\n{RULE}    near: {{rule: key-id, lines: 4294967295}}\n"
        ));
        assert!(
            s.contains("rule `r1` is `near` 4294967295 lines; a rule may reach at most 100"),
            "{s}"
        );
        assert!(s.contains("p.yaml:"), "{s}");
    }

    #[test]
    fn overrides_name_known_rules_other_than_itself() {
        let s = problems(&format!("rules:\n{RULE}    overrides: [r2, r1]\n"));
        assert!(s.contains("rule `r1` overrides unknown rule `r2`"), "{s}");
        assert!(s.contains("rule `r1` overrides itself"), "{s}");
        assert!(s.contains("p.yaml:"), "{s}");
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
