//! The SARIF 2.1.0 report, for code-scanning dashboards: each requirement is a rule and,
//! when not met, a result; each secret or personal-data finding is a result of its
//! scanner rule, located at the finding and fingerprinted (never carrying the value).

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde_json::{Value, json};

use super::json::write;
use super::{Format, Report, ScanResult, join_path, level_str, no_matrix, telling_evidence};
use tiercheck_scan::Finding;

use crate::checks::Status;
use crate::evaluate::{ArtifactReport, RequirementResult};
use crate::policy::{Level, Policy};

/// SARIF 2.1.0 output.
pub struct Sarif;

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
/// The base every `artifactLocation.uri` is relative to: where tiercheck ran.
const BASE: &str = "SRCROOT";
/// Key of tiercheck's fingerprints in `partialFingerprints`.
const FINGERPRINT_KEY: &str = "tiercheck/v1";
/// Most locations one requirement result lists.
const MAX_LOCATIONS: usize = 10;

/// Rules of one run, in first-seen order, with their index.
#[derive(Default)]
struct Rules {
    list: Vec<Value>,
    index: BTreeMap<String, usize>,
}

impl Rules {
    fn add(&mut self, id: &str, rule: impl FnOnce() -> Value) -> usize {
        if let Some(&i) = self.index.get(id) {
            return i;
        }
        self.list.push(rule());
        self.index.insert(id.to_string(), self.list.len() - 1);
        self.list.len() - 1
    }
}

fn sarif_level(level: Level, status: Status) -> &'static str {
    match (status, level) {
        (Status::Fail | Status::Error, Level::Required) => "error",
        (Status::Fail | Status::Error | Status::Warn, _) => "warning",
        _ => "none",
    }
}

fn default_level(level: Level) -> &'static str {
    match level {
        Level::Required => "error",
        Level::Recommended => "warning",
        Level::NotRequired => "none",
    }
}

fn physical(uri: &str, line: Option<u64>, column: Option<u64>) -> Value {
    let mut loc = json!({"artifactLocation": {"uri": uri, "uriBaseId": BASE}});
    if let Some(l) = line.filter(|&l| l >= 1) {
        let mut region = json!({"startLine": l});
        if let Some(c) = column.filter(|&c| c >= 1) {
            region["startColumn"] = json!(c);
        }
        loc["region"] = region;
    }
    json!({"physicalLocation": loc})
}

fn requirement_rule(r: &RequirementResult) -> Value {
    let mut rule = json!({
        "id": r.id,
        "name": r.id,
        "shortDescription": {"text": r.title},
        "fullDescription": {"text": format!("tiercheck requirement `{}`: {}", r.id, r.title)},
        "defaultConfiguration": {"level": default_level(r.level)},
        "properties": {"tags": ["tiercheck-requirement"]},
    });
    if let Some(fix) = &r.remediation {
        rule["help"] = json!({"text": fix.trim()});
    }
    rule
}

fn finding_rule(f: &Finding) -> Value {
    let (what, fix) = if f.category == "pii" {
        (
            "personal or customer data",
            "Remove the personal or customer data from the file, or replace it with synthetic data.",
        )
    } else {
        (
            "a secret",
            "Remove the secret from the file, rotate it, and read it from the environment or a secret store.",
        )
    };
    json!({
        "id": f.rule_id,
        "name": f.rule_id,
        "shortDescription": {"text": format!("{what} matched rule `{}`", f.rule_id)},
        "fullDescription": {"text": format!("The tiercheck scanner rule `{}` found {what}.", f.rule_id)},
        "help": {"text": fix},
        "defaultConfiguration": {"level": "error"},
        "properties": {"tags": ["security", f.category.as_str()]},
    })
}

fn finding_result(f: &Finding, rules: &mut Rules) -> Value {
    let index = rules.add(&f.rule_id, || finding_rule(f));
    let what = if f.category == "pii" {
        "Personal data"
    } else {
        "Secret"
    };
    json!({
        "ruleId": f.rule_id,
        "ruleIndex": index,
        "level": "error",
        "message": {"text": format!("{what} found by rule `{}`: {}", f.rule_id, f.redacted)},
        "locations": [physical(&f.path, Some(f.line), Some(f.column))],
        "partialFingerprints": {FINGERPRINT_KEY: f.fingerprint},
    })
}

fn requirement_result(a: &ArtifactReport, r: &RequirementResult, index: usize) -> Value {
    let evidence = telling_evidence(r);
    let mut text = format!(
        "{} ({}): {}.",
        r.title,
        level_str(r.level),
        r.status.as_str()
    );
    for e in &evidence {
        text.push_str(&format!(" {}.", e.message.trim_end_matches('.')));
    }
    if let Some(fix) = &r.remediation {
        text.push_str(&format!(" To fix: {}", fix.trim()));
    }
    let mut locations: Vec<Value> = evidence
        .iter()
        .filter_map(|e| {
            let p = e.path.as_deref()?;
            Some(physical(&join_path(&a.folder, p), e.line, None))
        })
        .take(MAX_LOCATIONS)
        .collect();
    if locations.is_empty() {
        // Code-scanning dashboards need a file: the manifest is the artifact's anchor.
        let anchor = a.manifest.clone().unwrap_or_else(|| a.path.clone());
        locations.push(physical(&anchor, None, None));
    }
    json!({
        "ruleId": r.id,
        "ruleIndex": index,
        "level": sarif_level(r.level, r.status),
        "message": {"text": text},
        "locations": locations,
        "partialFingerprints": {
            FINGERPRINT_KEY: tiercheck_scan::fingerprint(&r.id, &a.path, "requirement"),
        },
    })
}

fn run(rules: Rules, results: Vec<Value>, automation_id: String, properties: Value) -> Value {
    json!({
        "tool": {"driver": {
            "name": "tiercheck",
            "version": env!("CARGO_PKG_VERSION"),
            "rules": rules.list,
        }},
        "automationDetails": {"id": automation_id},
        "columnKind": "unicodeCodePoints",
        "results": results,
        "properties": properties,
    })
}

fn log(runs: Vec<Value>) -> Value {
    json!({"$schema": SCHEMA, "version": "2.1.0", "runs": runs})
}

fn artifact_run(a: &ArtifactReport) -> Value {
    let mut rules = Rules::default();
    let mut results = Vec::new();
    for r in &a.requirements {
        let index = rules.add(&r.id, || requirement_rule(r));
        if super::unmet(r) {
            results.push(requirement_result(a, r, index));
        }
    }
    for f in &a.findings {
        let mut shown = f.clone();
        shown.path = join_path(&a.folder, &f.path);
        results.push(finding_result(&shown, &mut rules));
    }
    run(
        rules,
        results,
        format!("tiercheck/{}/", a.path),
        json!({
            "artifact": a.path,
            "manifest": a.manifest,
            "tier": a.tier,
            "tierName": a.tier_name,
            "reason": a.reason,
            "passed": a.passed,
        }),
    )
}

impl Report for Sarif {
    fn matrix(&self, _policy: &Policy, _out: &mut dyn Write) -> io::Result<()> {
        Err(no_matrix(Format::Sarif))
    }

    fn artifacts(&self, reports: &[ArtifactReport], out: &mut dyn Write) -> io::Result<()> {
        write(out, &log(reports.iter().map(artifact_run).collect()))
    }

    fn findings(&self, scan: ScanResult<'_>, out: &mut dyn Write) -> io::Result<()> {
        let mut rules = Rules::default();
        let results = scan
            .report
            .findings
            .iter()
            .map(|f| finding_result(f, &mut rules))
            .collect();
        let r = scan.report;
        let props = json!({
            "filesScanned": r.files_scanned,
            "bytesScanned": r.bytes_scanned,
            "skipped": r.skipped.len(),
            "unreadable": r.errors.iter().map(|(p, e)| json!({"path": p, "message": e})).collect::<Vec<_>>(),
            "acceptedByBaseline": scan.accepted,
        });
        write(
            out,
            &log(vec![run(rules, results, "tiercheck/scan/".into(), props)]),
        )
    }
}
