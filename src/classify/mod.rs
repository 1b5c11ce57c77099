//! Classification: answers to the policy's questions → a tier, by the first rule that
//! matches, with a reason a person can read.

use std::collections::BTreeMap;

use crate::policy::Policy;

mod audience;
mod evidence;
pub use audience::{audience_found, raise_for_audience};
pub use evidence::{data_found, raise_for_data};

/// The result of classifying a set of answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classification {
    /// The tier the rules assign.
    pub tier: String,
    /// The id of the rule that matched.
    pub rule: String,
    /// For example "audience 'external' → T3 (rule: shared outside the company)".
    pub reason: String,
}

/// Why answers could not be classified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unclassified {
    /// A question the matching needs was not answered.
    Missing(Vec<String>),
    /// No rule matches these answers.
    NoRule,
}

/// Applies the policy's rules to `answers` (question id → answer id).
pub fn classify(
    policy: &Policy,
    answers: &BTreeMap<String, String>,
) -> Result<Classification, Unclassified> {
    for rule in &policy.classification {
        let matches = rule.when.iter().all(|(q, allowed)| {
            answers
                .get(q)
                .is_some_and(|a| allowed.iter().any(|x| &x.value == a))
        });
        if matches {
            let conds: Vec<String> = rule
                .when
                .keys()
                .filter_map(|q| answers.get(q).map(|a| format!("{q} '{a}'")))
                .collect();
            let lhs = if conds.is_empty() {
                "any answers".to_string()
            } else {
                conds.join(", ")
            };
            return Ok(Classification {
                tier: rule.tier.value.clone(),
                rule: rule.id.value.clone(),
                reason: format!("{lhs} → {} (rule: {})", rule.tier.value, rule.description),
            });
        }
    }
    let missing: Vec<String> = policy
        .questions
        .iter()
        .map(|q| q.id.value.clone())
        .filter(|q| !answers.contains_key(q))
        .collect();
    if missing.is_empty() {
        Err(Unclassified::NoRule)
    } else {
        Err(Unclassified::Missing(missing))
    }
}

/// The tier to evaluate: the stricter of the declared and the classified tier, and whether
/// the declaration is lower than the classification (under-classified).
pub fn effective_tier<'a>(
    policy: &Policy,
    declared: Option<&'a str>,
    classified: Option<&'a str>,
) -> Option<(&'a str, bool)> {
    match (declared, classified) {
        (Some(d), Some(c)) => {
            let (dr, cr) = (policy.tier_rank(d)?, policy.tier_rank(c)?);
            if dr < cr {
                Some((c, true))
            } else {
                Some((d, false))
            }
        }
        (Some(d), None) => Some((d, false)),
        (None, Some(c)) => Some((c, false)),
        (None, None) => None,
    }
}

/// Where `answer` stands among `question`'s answers (least to most exposed or sensitive).
pub(crate) fn answer_rank(policy: &Policy, question: &str, answer: &str) -> Option<usize> {
    policy
        .question(question)?
        .answers
        .iter()
        .position(|a| a.id.value == answer)
}

/// Marks `decision` under-classified because the evidence implies `answer` to `question`:
/// the answers are classified again with it, the tier is raised when that is stricter, and
/// the reason is `why` followed by that classification's reason.
fn under_classify(
    policy: &Policy,
    answers: &BTreeMap<String, String>,
    (question, answer): (&str, &str),
    why: String,
    decision: &mut crate::evaluate::TierDecision,
) {
    let mut raised = answers.clone();
    raised.insert(question.to_string(), answer.to_string());
    let mut reason = why;
    if let Ok(c) = classify(policy, &raised) {
        if let (Some(new), Some(old)) =
            (policy.tier_rank(&c.tier), policy.tier_rank(&decision.tier))
            && new > old
        {
            decision.tier = c.tier.clone();
        }
        reason.push_str(&format!(": {}", c.reason));
    }
    decision.reason = reason;
    decision.under_classified = true;
}

/// The manifest's answers to the policy's questions (question id → answer id).
pub fn answers_of(
    policy: &Policy,
    manifest: &crate::manifest::Manifest,
) -> BTreeMap<String, String> {
    policy
        .questions
        .iter()
        .filter_map(|q| {
            manifest
                .answer(&q.id.value)
                .map(|a| (q.id.value.clone(), a.value.clone()))
        })
        .collect()
}

/// Decides the tier to verify an artifact at from its manifest's answers, its declared tier
/// and an optional `--tier` (which takes the place of the declared tier).
pub fn decide(
    policy: &Policy,
    manifest: &crate::manifest::Manifest,
    tier_flag: Option<&str>,
) -> Result<crate::evaluate::TierDecision, Unclassified> {
    let answers = answers_of(policy, manifest);
    let classified = if answers.is_empty() {
        None
    } else {
        Some(classify(policy, &answers)?)
    };
    let (declared, source) = match tier_flag {
        Some(t) => (Some(t.to_string()), "--tier"),
        None => (
            manifest.tier.as_ref().map(|t| t.value.clone()),
            ".tier.yaml",
        ),
    };
    let Some((tier, under)) = effective_tier(
        policy,
        declared.as_deref(),
        classified.as_ref().map(|c| c.tier.as_str()),
    ) else {
        return Err(Unclassified::Missing(
            policy
                .questions
                .iter()
                .map(|q| q.id.value.clone())
                .collect(),
        ));
    };
    let tier = tier.to_string();
    let reason = match (&declared, &classified) {
        (Some(d), Some(c)) if under => {
            format!("under-classified: {source} declares {d}, but {}", c.reason)
        }
        (Some(d), Some(c)) if *d != c.tier => {
            format!("{d} declared in {source} (stricter than {})", c.reason)
        }
        (Some(_), Some(c)) => c.reason.clone(),
        (Some(d), None) => format!("{d} declared in {source}"),
        (None, Some(c)) => c.reason.clone(),
        (None, None) => tier.clone(),
    };
    Ok(crate::evaluate::TierDecision {
        tier,
        reason,
        declared,
        classified: classified.map(|c| c.tier),
        under_classified: under,
        data_under_classified: false,
        data: Vec::new(),
        audience: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answers(a: &str, d: &str) -> BTreeMap<String, String> {
        [
            ("audience".to_string(), a.to_string()),
            ("data".to_string(), d.to_string()),
        ]
        .into()
    }

    #[test]
    fn more_exposure_or_more_sensitive_data_never_lowers_the_tier() {
        // Every pair of answer sets, compared in the policy's own order of answers (from
        // least to most exposed, least to most sensitive): exhaustive, 900 pairs.
        let p = crate::policy::load_default().unwrap();
        let order = |q: &str| p.question(q).unwrap().answer_ids();
        let (audiences, data) = (order("audience"), order("data"));
        let rank = |a: &str, d: &str| {
            let t = classify(&p, &answers(a, d)).unwrap().tier;
            p.tier_rank(&t).unwrap()
        };
        for (ai, a) in audiences.iter().enumerate() {
            for (di, d) in data.iter().enumerate() {
                for b in audiences.iter().skip(ai) {
                    for e in data.iter().skip(di) {
                        assert!(
                            rank(a, d) <= rank(b, e),
                            "({a}, {d}) is stricter than ({b}, {e})"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn every_combination_of_the_default_policy() {
        let p = crate::policy::load_default().unwrap();
        let datas = [
            "none",
            "synthetic",
            "internal",
            "customer",
            "personal",
            "credentials",
        ];
        for d in datas {
            assert_eq!(classify(&p, &answers("production", d)).unwrap().tier, "T4");
            assert_eq!(classify(&p, &answers("public", d)).unwrap().tier, "T4");
            assert_eq!(classify(&p, &answers("external", d)).unwrap().tier, "T3");
            assert_eq!(classify(&p, &answers("employees", d)).unwrap().tier, "T2");
            let me = if d == "none" || d == "synthetic" {
                "T1"
            } else {
                "T2"
            };
            assert_eq!(classify(&p, &answers("me", d)).unwrap().tier, me, "me/{d}");
        }
    }

    #[test]
    fn reason_names_answers_and_rule() {
        let p = crate::policy::load_default().unwrap();
        let c = classify(&p, &answers("external", "none")).unwrap();
        assert_eq!(
            c.reason,
            "audience 'external' → T3 (rule: shared outside the company)"
        );
    }

    #[test]
    fn missing_answers_are_named() {
        let p = crate::policy::load_default().unwrap();
        let only = [("audience".to_string(), "me".to_string())].into();
        assert_eq!(
            classify(&p, &only),
            Err(Unclassified::Missing(vec!["data".into()]))
        );
    }

    #[test]
    fn declared_lower_is_under_classified() {
        let p = crate::policy::load_default().unwrap();
        assert_eq!(
            effective_tier(&p, Some("T1"), Some("T3")),
            Some(("T3", true))
        );
        assert_eq!(
            effective_tier(&p, Some("T4"), Some("T3")),
            Some(("T4", false))
        );
    }
}
