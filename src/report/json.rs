//! The JSON report.

use std::io::{self, Write};

use serde_json::{Value, json};

use super::{Report, SCHEMA_VERSION, ScanResult};
use crate::evaluate::ArtifactReport;
use crate::policy::Policy;

/// JSON output, shaped as documented in README.md.
pub struct Json;

fn artifact(r: &ArtifactReport, with_schema: bool) -> Value {
    let mut v = serde_json::Map::new();
    if with_schema {
        v.insert("schema_version".into(), json!(SCHEMA_VERSION));
    }
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
        let v = match reports {
            [one] => artifact(one, true),
            many => json!({
                "schema_version": SCHEMA_VERSION,
                "passed": many.iter().all(|r| r.passed),
                "artifacts": many.iter().map(|r| artifact(r, false)).collect::<Vec<_>>(),
            }),
        };
        write(out, &v)
    }

    fn findings(&self, scan: ScanResult<'_>, out: &mut dyn Write) -> io::Result<()> {
        let r = scan.report;
        let v = json!({
            "schema_version": SCHEMA_VERSION,
            "findings": r.findings,
            "skipped": r.skipped.iter().map(|(p, why)| json!({"path": p, "reason": why})).collect::<Vec<_>>(),
            "errors": r.errors.iter().map(|(p, e)| json!({"path": p, "message": e})).collect::<Vec<_>>(),
            "files_scanned": r.files_scanned,
            "bytes_scanned": r.bytes_scanned,
        });
        write(out, &v)
    }
}
