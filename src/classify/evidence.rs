//! The answers checked against the evidence: the secret and personal-data findings in an
//! artifact's files (all of them, source and data files alike) imply a least answer to the
//! policy's data question (`data_evidence`). A lower answer is under-classified: the
//! artifact is classified again with the answer the evidence implies, and every report says
//! what data it holds.

use std::collections::BTreeMap;

use tiercheck_scan::{Finding, ScanOptions};

use super::classify;
use crate::artifact::Artifact;
use crate::evaluate::{DataFound, TierDecision};
use crate::policy::{Implication, Policy};

fn plural(i: &Implication, n: usize) -> String {
    if n == 1 {
        format!("1 {}", i.noun)
    } else {
        let many = i.plural.clone().unwrap_or_else(|| format!("{}s", i.noun));
        format!("{n} {many}")
    }
}

fn matches(i: &Implication, f: &Finding) -> bool {
    let category = i.category.is_none_or(|c| c.as_str() == f.category);
    let rules = i.rules.is_empty()
        || i.rules.iter().any(|g| {
            globset::Glob::new(&g.value).is_ok_and(|g| g.compile_matcher().is_match(&f.rule_id))
        });
    category && rules
}

/// What the artifact's files show, per file and kind of data; empty when the policy has no
/// `data_evidence` or its rules cannot be compiled (the content checks report that).
pub fn data_found(policy: &Policy, artifact: &Artifact) -> Vec<DataFound> {
    let Some(de) = &policy.data_evidence else {
        return Vec::new();
    };
    let rules = policy.scan_rules();
    let Ok(scanner) = artifact.scans.scanner(&rules) else {
        return Vec::new();
    };
    let opts = ScanOptions {
        // The people the manifest names are not data the artifact touches.
        ignore_values: crate::checks::content_scan::own_people(artifact.manifest()),
        honour_allow_marker: false,
        ..ScanOptions::default()
    };
    let report = artifact
        .scans
        .every_category(|| scanner.scan_files(&artifact.root, artifact.files(), &opts));
    // (implication, path) → count and the first finding.
    let mut per: BTreeMap<(usize, String), (usize, Finding)> = BTreeMap::new();
    for f in report.findings.iter().cloned() {
        if let Some(k) = de.implies.iter().position(|i| matches(i, &f)) {
            per.entry((k, f.path.clone()))
                .and_modify(|e| e.0 += 1)
                .or_insert((1, f));
        }
    }
    let mut out: Vec<DataFound> = per
        .into_iter()
        .map(|((k, path), (count, f))| DataFound {
            answer: de.implies[k].answer.value.clone(),
            what: plural(&de.implies[k], count),
            path,
            count,
            line: f.line,
            rule_id: f.rule_id,
            redacted: f.redacted,
        })
        .collect();
    out.sort_by(|a, b| (&a.path, &a.answer).cmp(&(&b.path, &b.answer)));
    out
}

/// "3 e-mail addresses in customers.csv, 1 credential in demo.py" (at most `max` files).
fn summary(found: &[&DataFound], max: usize) -> String {
    let mut parts: Vec<String> = found
        .iter()
        .take(max)
        .map(|d| {
            format!(
                "{} in {} (line {}, {}: {})",
                d.what, d.path, d.line, d.rule_id, d.redacted
            )
        })
        .collect();
    if found.len() > max {
        parts.push(format!("and {} more", found.len() - max));
    }
    parts.join(", ")
}

/// Checks the decision's data answer against what was found: says what the files hold in
/// the reason, and when the answer given is lower than the evidence implies, marks the
/// decision under-classified and raises its tier to what the implied answer gives.
pub fn raise_for_data(
    policy: &Policy,
    answers: &BTreeMap<String, String>,
    decision: &mut TierDecision,
    found: Vec<DataFound>,
) {
    let Some(de) = &policy.data_evidence else {
        return;
    };
    if found.is_empty() {
        return;
    }
    let q = &de.question.value;
    let order = policy
        .question(q)
        .map(|q| q.answer_ids())
        .unwrap_or_default();
    let rank = |a: &str| order.iter().position(|x| *x == a);
    // The most sensitive answer the evidence implies.
    let implied = found
        .iter()
        .filter_map(|d| rank(&d.answer).map(|r| (r, d.answer.clone())))
        .max();
    let given = answers.get(q);
    let all: Vec<&DataFound> = found.iter().collect();
    match (implied, given.and_then(|g| rank(g))) {
        (Some((ir, ia)), Some(gr)) if ir > gr => {
            let strongest: Vec<&DataFound> = found.iter().filter(|d| d.answer == ia).collect();
            let mut raised = answers.clone();
            raised.insert(q.clone(), ia.clone());
            let label = policy
                .question(q)
                .and_then(|qd| qd.answers.iter().find(|a| a.id.value == ia))
                .map(|a| a.label.to_lowercase())
                .unwrap_or_else(|| ia.clone());
            let mut reason = format!(
                "under-classified: {q} '{}' was given, but the files hold {label} ({}), so {q} is at least '{ia}'",
                given.map(String::as_str).unwrap_or(""),
                summary(&strongest, 3)
            );
            if let Ok(c) = classify(policy, &raised) {
                let higher = match (policy.tier_rank(&c.tier), policy.tier_rank(&decision.tier)) {
                    (Some(a), Some(b)) => a > b,
                    _ => false,
                };
                if higher {
                    decision.tier = c.tier.clone();
                }
                reason.push_str(&format!(": {}", c.reason));
            }
            decision.reason = reason;
            decision.under_classified = true;
            decision.data_under_classified = true;
        }
        _ => {
            decision.reason = format!("{}; the files hold: {}", decision.reason, summary(&all, 3));
        }
    }
    decision.data = found;
}
