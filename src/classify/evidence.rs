//! The answers checked against the evidence: the secret and personal-data findings in an
//! artifact's files (all of them, source and data files alike) imply a least answer to the
//! policy's data question (`data_evidence`). A lower answer is under-classified: the
//! artifact is classified again with the answer the evidence implies, and every report says
//! what data it holds.

use std::collections::BTreeMap;

use tiercheck_scan::{Finding, ScanOptions};

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

/// Whether finding `f` is of the kind `i` names; `rules` is `i.rules` compiled (`None`:
/// any rule).
fn matches(i: &Implication, rules: Option<&globset::GlobSet>, f: &Finding) -> bool {
    i.category.is_none_or(|c| c.as_str() == f.category)
        && rules.is_none_or(|set| set.is_match(&f.rule_id))
}

/// Each implication's rule globs as one set, compiled once (validated with the policy; a set
/// that fails to build matches nothing).
fn rule_sets(implies: &[Implication]) -> Vec<Option<globset::GlobSet>> {
    implies
        .iter()
        .map(|i| {
            (!i.rules.is_empty()).then(|| {
                let mut b = globset::GlobSetBuilder::new();
                for g in &i.rules {
                    if let Ok(g) = globset::Glob::new(&g.value) {
                        b.add(g);
                    }
                }
                b.build().unwrap_or_else(|_| globset::GlobSet::empty())
            })
        })
        .collect()
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
    // Every committed file counts, whatever the repository's ignore files say: a
    // `.gitignore` line must not hide the customer export that is shipped with the code.
    let mut files: Vec<std::path::PathBuf> = artifact.files().to_vec();
    files.extend(
        crate::checks::content_scan::tracked_but_ignored_in(artifact)
            .0
            .iter()
            .cloned(),
    );
    files.sort();
    files.dedup();
    let report = artifact.scans.every_category(files, |files| {
        scanner.scan_files(&artifact.root, files, &opts)
    });
    let sets = rule_sets(&de.implies);
    // (implication, path) → count and the first finding.
    let mut per: BTreeMap<(usize, String), (usize, Finding)> = BTreeMap::new();
    for f in report.findings.iter().cloned() {
        if let Some(k) =
            (0..de.implies.len()).find(|&k| matches(&de.implies[k], sets[k].as_ref(), &f))
        {
            per.entry((k, f.path.clone()))
                .and_modify(|e| e.0 += 1)
                .or_insert((1, f));
        }
    }
    let mut out: Vec<DataFound> = per
        .into_iter()
        .map(|((k, path), (count, f))| DataFound {
            answer: de.implies[k].answer.value.clone(),
            also: de.implies[k].also.iter().map(|a| a.value.clone()).collect(),
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
    let rank = |a: &str| super::answer_rank(policy, q, a);
    let given = answers.get(q);
    // The most sensitive answer the evidence implies that the given one does not account for.
    let implied = found
        .iter()
        .filter(|d| given.is_none_or(|g| !d.also.contains(g)))
        .filter_map(|d| rank(&d.answer).map(|r| (r, d.answer.clone())))
        .max();
    let all: Vec<&DataFound> = found.iter().collect();
    match (implied, given.and_then(|g| rank(g))) {
        (Some((ir, ia)), Some(gr)) if ir > gr => {
            let strongest: Vec<&DataFound> = found.iter().filter(|d| d.answer == ia).collect();
            let label = policy
                .question(q)
                .and_then(|qd| qd.answers.iter().find(|a| a.id.value == ia))
                .map(|a| a.label.to_lowercase())
                .unwrap_or_else(|| ia.clone());
            let why = format!(
                "under-classified: {q} '{}' was given, but the files hold {label} ({}), so {q} is at least '{ia}'",
                given.map(String::as_str).unwrap_or(""),
                summary(&strongest, 3)
            );
            super::under_classify(policy, answers, (q, &ia), why, decision);
            decision.data_under_classified = true;
        }
        _ => {
            decision.reason = format!("{}; the files hold: {}", decision.reason, summary(&all, 3));
        }
    }
    decision.data = found;
}
