//! Validation of a parsed (and merged) policy. Reports every problem at once, each with the
//! file, line and column it comes from.

use std::collections::HashSet;

use super::Policy;
use crate::config::{Sp, Validator, hint};
use crate::error::{ConfigError, Problem};

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
    let mut v = Validator::new(&policy.sources, policy.tier_ids());
    if policy.version != 1 {
        let message = format!(
            "unsupported policy version {}; this tiercheck reads version 1",
            policy.version
        );
        // `version` is a plain number (not spanned): find its line in the policy's own file.
        let found = policy.sources.last().and_then(|s| {
            s.text
                .lines()
                .position(|l| l.starts_with("version:"))
                .map(|i| (s, i + 1))
        });
        v.problems.push(match found {
            Some((s, line)) => {
                Problem::at(message, &s.path, &s.text, line, 10).help("write `version: 1`")
            }
            None => Problem {
                message,
                location: None,
                source_line: None,
                help: Some("write `version: 1`".into()),
            },
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
    if let Some(s) = &policy.suppressions {
        let origin = policy.sources.len() - 1;
        for t in s
            .allow_markers
            .iter()
            .chain(&s.ignore_files)
            .chain(&s.baselines)
        {
            v.tier(origin, t, "`suppressions`");
        }
    }
    if let Some(a) = &policy.audience_evidence {
        match policy.question(&a.question.value) {
            None => {
                v.error_str(
                    a.origin,
                    &a.question,
                    format!(
                        "`audience_evidence.question` names unknown question `{}`",
                        a.question.value
                    ),
                );
            }
            Some(q) if !q.answer_ids().contains(&a.answer.value.as_str()) => {
                v.error_str(
                    a.origin,
                    &a.answer,
                    format!(
                        "`audience_evidence.answer` is not an answer of `{}` ({})",
                        a.question.value,
                        q.answer_ids().join(", ")
                    ),
                );
            }
            Some(_) => {}
        }
        for r in &a.publish_commands {
            v.regex(a.origin, r, "`audience_evidence.publish_commands`");
        }
    }
    if let Some(d) = &policy.data_evidence {
        match policy.question(&d.question.value) {
            None => {
                v.error_str(
                    d.origin,
                    &d.question,
                    format!(
                        "`data_evidence.question` names unknown question `{}`",
                        d.question.value
                    ),
                );
            }
            Some(q) => {
                let answers = q.answer_ids();
                for i in &d.implies {
                    for a in std::iter::once(&i.answer).chain(&i.also) {
                        if !answers.contains(&a.value.as_str()) {
                            v.error_str(
                                d.origin,
                                a,
                                format!(
                                    "`data_evidence` implies unknown answer `{}` (answers of `{}`: {})",
                                    a.value,
                                    d.question.value,
                                    answers.join(", ")
                                ),
                            );
                        }
                    }
                    for r in &i.rules {
                        v.glob(d.origin, r, "`data_evidence`");
                    }
                }
            }
        }
    }
    if let Some(s) = &policy.signatures {
        for t in s.unsigned_reviews.iter().chain(&s.claims) {
            v.tier(s.origin, t, "`signatures`");
        }
    }
    if let Some(w) = &policy.waivers {
        // The waiver rules come from the last file that gave them.
        let origin = policy.sources.len() - 1;
        if let Some(d) = &w.max_days
            && !(1..=3650).contains(&d.value)
        {
            v.error(
                origin,
                d,
                format!("`waivers.max_days` is {}; it lies in 1..=3650", d.value),
            );
        }
        let req_ids: Vec<&str> = policy
            .requirements
            .iter()
            .map(|r| r.id.value.as_str())
            .collect();
        for (tier, reqs) in &w.not_waivable {
            if !tier_ids.contains(&tier.as_str()) {
                let msg = format!("`waivers.not_waivable` names unknown tier `{tier}`");
                match reqs.first() {
                    Some(first) => {
                        v.error(origin, first, msg).help = Some(hint(tier, &tier_ids, "tiers"));
                    }
                    None => v.problems.push(Problem {
                        message: msg,
                        location: None,
                        source_line: None,
                        help: Some(hint(tier, &tier_ids, "tiers")),
                    }),
                }
            }
            for r in reqs {
                if !req_ids.contains(&r.value.as_str()) {
                    v.error_str(
                        origin,
                        r,
                        format!(
                            "`waivers.not_waivable` names unknown requirement `{}`",
                            r.value
                        ),
                    )
                    .help = Some(hint(&r.value, &req_ids, "requirements"));
                }
            }
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
    super::detection::validate(&mut v, policy);
    v.fallback = (0, 0);
    super::rules::validate(&mut v, policy);
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
