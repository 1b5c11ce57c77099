//! The JSON report.

use std::io::{self, Write};

use serde_json::{Value, json};

use super::{Report, SCHEMA_VERSION, ScanResult};
use crate::evaluate::ArtifactReport;
use crate::policy::Policy;

/// JSON output, shaped as documented in README.md.
pub struct Json;

/// What every report says about the run: the tool, when it ran, and the commit checked out
/// where it ran (`null` outside git).
fn header(anchor: &str) -> serde_json::Map<String, Value> {
    let commit = crate::git::open(std::path::Path::new(anchor))
        .ok()
        .and_then(|repo| repo.head().ok().flatten().map(|c| c.id().to_string()));
    // `SOURCE_DATE_EPOCH` (seconds since 1970, the reproducible-builds convention) fixes the
    // time, so that the same input gives the same bytes.
    let now = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok())
        .and_then(|secs| chrono::DateTime::from_timestamp(secs, 0))
        .unwrap_or_else(chrono::Utc::now);
    let started = now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let mut m = serde_json::Map::new();
    m.insert("schema_version".into(), json!(SCHEMA_VERSION));
    m.insert(
        "tool".into(),
        json!({"name": "tiercheck", "version": env!("CARGO_PKG_VERSION")}),
    );
    m.insert(
        "run".into(),
        json!({"started_at": started, "commit": commit}),
    );
    m
}

fn artifact(r: &ArtifactReport) -> Value {
    let mut v = serde_json::Map::new();
    let body = json!({
        "path": r.path,
        "manifest": r.manifest,
        "tier": r.tier,
        "tier_name": r.tier_name,
        "reason": r.reason,
        "classification": r.classification,
        "passed": r.passed,
        "requirements": r.requirements,
        "findings": r.findings,
    });
    if let Value::Object(m) = body {
        v.extend(m);
    }
    if !r.ships_with.is_empty() {
        v.insert("ships_with".into(), json!(r.ships_with));
    }
    if let Some(e) = &r.error {
        // Nothing was checked: no tier, and why.
        v.insert("tier".into(), Value::Null);
        v.insert("tier_name".into(), Value::Null);
        v.insert("error".into(), json!(e));
    }
    Value::Object(v)
}

/// Writes a JSON document, pretty-printed, with a final newline.
pub(super) fn write(out: &mut dyn Write, v: &Value) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, v).map_err(|e| match e.io_error_kind() {
        // Keep the kind so a closed pipe (`| head`) ends the run quietly.
        Some(kind) => io::Error::new(kind, e),
        None => io::Error::other(e),
    })?;
    writeln!(out)
}

impl Report for Json {
    fn matrix(&self, policy: &Policy, out: &mut dyn Write) -> io::Result<()> {
        let tiers: Vec<Value> = policy
            .tiers
            .iter()
            .map(|t| json!({"id": t.id.value, "name": t.name, "description": t.description}))
            .collect();
        let requirements: Vec<Value> = policy
            .requirements
            .iter()
            .map(|r| {
                let levels: serde_json::Map<String, Value> = policy
                    .tiers
                    .iter()
                    .map(|t| (t.id.value.clone(), json!(policy.level(r, &t.id.value))))
                    .collect();
                json!({"id": r.id.value, "title": r.title, "description": r.description.trim(), "levels": levels})
            })
            .collect();
        write(
            out,
            &json!({"schema_version": SCHEMA_VERSION, "tiers": tiers, "requirements": requirements}),
        )
    }

    fn artifacts(&self, reports: &[ArtifactReport], out: &mut dyn Write) -> io::Result<()> {
        // One shape whatever the number of artifacts.
        let mut v = header(reports.first().map_or(".", |r| r.folder.as_str()));
        v.insert("passed".into(), json!(reports.iter().all(|r| r.passed)));
        v.insert("policy".into(), json!(reports.first().map(|r| &r.policy)));
        v.insert(
            "trust_repo".into(),
            json!(reports.iter().any(|r| r.trust_repo)),
        );
        v.insert(
            "artifacts".into(),
            Value::Array(reports.iter().map(artifact).collect()),
        );
        write(out, &Value::Object(v))
    }

    fn findings(&self, scan: ScanResult<'_>, out: &mut dyn Write) -> io::Result<()> {
        let r = scan.report;
        let skipped: Vec<Value> = r
            .skipped
            .iter()
            .map(|(p, why)| json!({"path": p, "reason": why}))
            .collect();
        let errors: Vec<Value> = r
            .errors
            .iter()
            .map(|(p, e)| json!({"path": p, "message": e}))
            .collect();
        let v = match &scan.git {
            None => json!({
                "findings": r.findings,
                "skipped": skipped,
                "errors": errors,
                "files_scanned": r.files_scanned,
                "bytes_scanned": r.bytes_scanned,
            }),
            Some(g) => {
                // History findings also say which commit introduced them.
                let findings: Vec<Value> = r
                    .findings
                    .iter()
                    .enumerate()
                    .map(|(i, f)| {
                        let mut v = serde_json::to_value(f).unwrap_or_default();
                        if let (Some(Some(o)), Some(m)) = (g.origins.get(i), v.as_object_mut()) {
                            m.insert("commit".into(), o.commit.clone().into());
                            m.insert("author".into(), o.author.clone().into());
                            m.insert("present_at_head".into(), o.present_at_head.into());
                        }
                        v
                    })
                    .collect();
                json!({
                    "mode": g.mode,
                    "findings": findings,
                    "skipped": skipped,
                    "errors": errors,
                    "notes": g.notes,
                    "nothing_scanned": g.nothing,
                    "files_scanned": r.files_scanned,
                    "bytes_scanned": r.bytes_scanned,
                    "blobs_scanned": g.blobs_scanned,
                    "binary_blobs": g.binary,
                    "commits_walked": g.commits_walked,
                    "accepted_by_baseline": scan.accepted,
                })
            }
        };
        let mut all = header(".");
        if let Value::Object(m) = v {
            all.extend(m);
        }
        write(out, &Value::Object(all))
    }
}
