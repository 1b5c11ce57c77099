//! Validation of a parsed (and merged) policy. Reports every problem at once, each with the
//! file, line and column it comes from.

use std::collections::HashSet;

use super::{Policy, Sp};
use crate::error::{ConfigError, Problem, did_you_mean};

/// Collects validation problems against the policy's source files.
pub struct Validator<'a> {
    policy: &'a Policy,
    /// Problems found so far.
    pub problems: Vec<Problem>,
    /// Line and column of the item being validated, used when a value inside it has lost
    /// its own position (values inside `checks:` entries are buffered by the parser).
    fallback: (usize, usize),
}

impl<'a> Validator<'a> {
    /// The policy being validated.
    pub fn policy(&self) -> &'a Policy {
        self.policy
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
        let (path, text) = match self.policy.sources.get(origin) {
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
        if let Err(e) = regex_syntax::Parser::new().parse(&value.value) {
            let first = e.to_string();
            let detail = first.lines().last().unwrap_or("").trim();
            let detail = detail.strip_prefix("error: ").unwrap_or(detail).to_string();
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
        if self.policy.tier(&value.value).is_none() {
            let ids = self.policy.tier_ids();
            let help = hint(&value.value, &ids, "tiers");
            self.error(
                origin,
                value,
                format!("unknown tier `{}` in {owner}", value.value),
            )
            .help = Some(help);
        }
    }
}

fn hint(given: &str, valid: &[&str], what: &str) -> String {
    let list = valid.join("`, `");
    match did_you_mean(given, valid.iter().copied()) {
        Some(s) => format!("did you mean `{s}`? (valid {what}: `{list}`)"),
        None => format!("valid {what}: `{list}`"),
    }
}

fn duplicates<'a>(
    v: &mut Validator<'_>,
    items: impl Iterator<Item = (usize, &'a Sp<String>)>,
    what: &str,
) {
    let mut seen = HashSet::new();
    for (origin, id) in items {
        if !seen.insert(id.value.clone()) {
            v.error(
                origin,
                id,
                format!("{what} `{}` is defined twice", id.value),
            );
        }
    }
}

/// Validates the whole policy, returning every problem found.
pub fn validate(policy: &Policy) -> Result<(), ConfigError> {
    let mut v = Validator {
        policy,
        problems: Vec::new(),
        fallback: (0, 0),
    };
    if policy.version != 1 {
        v.problems.push(Problem {
            message: format!(
                "unsupported policy version {}; this tiercheck reads version 1",
                policy.version
            ),
            location: None,
            source_line: None,
            help: None,
        });
    }
    if policy.tiers.is_empty() {
        v.problems.push(Problem {
            message: "the policy defines no tiers".into(),
            location: None,
            source_line: None,
            help: Some("add `tiers:` or write `extends: default`".into()),
        });
    }
    duplicates(
        &mut v,
        policy.tiers.iter().map(|t| (t.origin, &t.id)),
        "tier",
    );
    duplicates(
        &mut v,
        policy.questions.iter().map(|q| (q.origin, &q.id)),
        "question",
    );
    for q in &policy.questions {
        duplicates(
            &mut v,
            q.answers.iter().map(|a| (q.origin, &a.id)),
            "answer",
        );
        if q.answers.is_empty() {
            v.error(
                q.origin,
                &q.id,
                format!("question `{}` has no answers", q.id.value),
            );
        }
    }
    duplicates(
        &mut v,
        policy.classification.iter().map(|r| (r.origin, &r.id)),
        "classification rule",
    );
    for rule in &policy.classification {
        let owner = format!("classification rule `{}`", rule.id.value);
        v.tier(rule.origin, &rule.tier, &owner);
        for (qid, answers) in &rule.when {
            match policy.question(qid) {
                None => {
                    let ids: Vec<&str> = policy
                        .questions
                        .iter()
                        .map(|q| q.id.value.as_str())
                        .collect();
                    let help = hint(qid, &ids, "questions");
                    v.error(
                        rule.origin,
                        &rule.id,
                        format!("{owner} names unknown question `{qid}`"),
                    )
                    .help = Some(help);
                }
                Some(q) => {
                    let valid = q.answer_ids();
                    for a in answers {
                        if !valid.contains(&a.value.as_str()) {
                            let help = hint(&a.value, &valid, &format!("answers to `{qid}`"));
                            v.error(
                                rule.origin,
                                a,
                                format!("unknown answer `{}` to `{qid}` in {owner}", a.value),
                            )
                            .help = Some(help);
                        }
                    }
                }
            }
        }
    }
    if let Some(eng) = &policy.engineers {
        for p in &eng.patterns {
            // Engineers come from the file that last set them; that is the policy's own file
            // when it has one, else the default.
            v.regex(policy.sources.len() - 1, p, "`engineers.patterns`");
        }
    }
    duplicates(
        &mut v,
        policy.requirements.iter().map(|r| (r.origin, &r.id)),
        "requirement",
    );
    let tier_ids = policy.tier_ids();
    for req in &policy.requirements {
        let missing: Vec<&str> = tier_ids
            .iter()
            .copied()
            .filter(|t| !req.levels.contains_key(*t))
            .collect();
        if !missing.is_empty() {
            let (noun, list) = match missing.as_slice() {
                [one] => ("tier", format!("`{one}`")),
                many => ("tiers", format!("`{}`", many.join("`, `"))),
            };
            v.error(
                req.origin,
                &req.id,
                format!(
                    "requirement `{}` has no level for {noun} {list}",
                    req.id.value
                ),
            )
            .help = Some(format!(
                "give `levels:` an entry for every tier (`{}`): `required`, `recommended` or `not_required`",
                tier_ids.join("`, `")
            ));
        }
        for t in req.levels.keys() {
            if !tier_ids.contains(&t.as_str()) {
                let help = hint(t, &tier_ids, "tiers");
                v.error(
                    req.origin,
                    &req.id,
                    format!(
                        "requirement `{}` gives a level for unknown tier `{t}`",
                        req.id.value
                    ),
                )
                .help = Some(help);
            }
        }
        if req.checks.is_empty() {
            v.error(
                req.origin,
                &req.id,
                format!("requirement `{}` has no checks", req.id.value),
            )
            .help = Some("list at least one check under `checks:`".into());
        }
        let owner = format!("requirement `{}`", req.id.value);
        v.fallback = (
            req.id.referenced.line() as usize,
            req.id.referenced.column() as usize,
        );
        for check in &req.checks {
            check.validate(&mut v, req.origin, &owner);
        }
    }
    duplicates(
        &mut v,
        policy.ci_files.iter().map(|c| (c.origin, &c.id)),
        "ci_files entry",
    );
    duplicates(
        &mut v,
        policy.ecosystems.iter().map(|e| (e.origin, &e.id)),
        "ecosystem",
    );
    duplicates(
        &mut v,
        policy.tools.iter().map(|t| (t.origin, &t.id)),
        "tool",
    );
    super::detection::validate(&mut v);
    v.fallback = (0, 0);
    crate::scan::cfg::validate(&mut v, policy);
    if v.problems.is_empty() {
        Ok(())
    } else {
        Err(ConfigError {
            problems: v.problems,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::load::load_text;
    use std::path::Path;

    fn problems(text: &str) -> String {
        load_text(text, Path::new("p.yaml"))
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn missing_level_is_reported_with_location() {
        let s = problems(
            "version: 1\nextends: default\nrequirements:\n  - id: ownership\n    title: t\n    remediation: r\n    levels: {T1: required}\n    checks:\n      - kind: manifest-field\n        field: owner\n",
        );
        assert!(s.contains("has no level for tiers `T2`, `T3`, `T4`"), "{s}");
        assert!(s.contains("p.yaml:4:9"), "{s}");
    }

    #[test]
    fn invalid_regex_names_the_requirement() {
        let s = problems(
            "version: 1\nextends: default\nrequirements:\n  - id: ownership\n    title: t\n    remediation: r\n    levels: {T1: required, T2: required, T3: required, T4: required}\n    checks:\n      - kind: manifest-field\n        field: owner\n        pattern: '(unclosed'\n",
        );
        assert!(
            s.contains("invalid regex in requirement `ownership`"),
            "{s}"
        );
        assert!(s.contains("p.yaml:11:19"), "{s}");
    }

    #[test]
    fn rule_with_unknown_tier_and_answer() {
        let s = problems(
            "version: 1\nextends: default\nclassification:\n  - id: x\n    description: d\n    when: {audience: [extrnal]}\n    tier: T9\n",
        );
        assert!(s.contains("unknown tier `T9`"), "{s}");
        assert!(s.contains("unknown answer `extrnal`"), "{s}");
        assert!(s.contains("did you mean `external`?"), "{s}");
    }
}
