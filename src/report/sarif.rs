//! The SARIF 2.1.0 report, shaped as code-scanning services (GitHub code scanning, GitLab,
//! Azure DevOps) ingest it: one run per invocation, whatever the number of artifacts (each
//! result names its artifact in `properties`); each requirement is a rule and, when not met,
//! a result; each secret or personal-data finding is one result of its scanner rule. Every
//! result has a full region and a path relative to the repository root, rule metadata comes
//! from the policy and does not change from run to run, waived requirements and findings a
//! baseline accepted are kept as suppressed results, and a run stays within GitHub's limits
//! (at most 25,000 results, with a notification saying what was left out). The log is built
//! from the typed SARIF 2.1.0 model of `serde-sarif`; property bags carry what code scanning
//! reads beyond the schema (`security-severity`, `precision`, the artifact of a result).

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde_json::{Value, json};
use serde_sarif::sarif;

use super::json::write;
use super::{
    Format, Origin, Report, ScanResult, join_path, level_str, no_matrix, telling_evidence,
};
use tiercheck_scan::Finding;

use crate::checks::Status;
use crate::evaluate::{ArtifactReport, RequirementResult};
use crate::policy::{Level, Policy};

/// SARIF 2.1.0 output.
pub struct Sarif;

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
/// The base every `artifactLocation.uri` is relative to: the repository's top folder (or,
/// outside git, the folder tiercheck ran in).
const BASE: &str = "%SRCROOT%";
/// Key of tiercheck's fingerprints in `partialFingerprints`.
const FINGERPRINT_KEY: &str = "tiercheck/v1";
/// Most locations one requirement result lists.
const MAX_LOCATIONS: usize = 10;
/// GitHub code scanning refuses a run with more results than this.
pub const MAX_RESULTS: usize = 25_000;

/// A message string with its Markdown form, when it has one.
fn mstring(text: impl Into<String>, markdown: Option<String>) -> sarif::MultiformatMessageString {
    let mut m = sarif::MultiformatMessageString::builder()
        .text(text.into())
        .build();
    m.markdown = markdown;
    m
}

fn message(text: impl Into<String>) -> sarif::Message {
    sarif::Message {
        text: Some(text.into()),
        ..Default::default()
    }
}

/// A property bag: tags, and the other properties of a JSON object.
fn bag(tags: &[&str], properties: Value) -> sarif::PropertyBag {
    sarif::PropertyBag {
        tags: (!tags.is_empty()).then(|| tags.iter().map(|t| t.to_string()).collect()),
        additional_properties: match properties {
            Value::Object(m) => m.into_iter().collect(),
            _ => Default::default(),
        },
    }
}

/// A rule (reporting descriptor) of the run.
struct RuleText<'a> {
    id: &'a str,
    short: String,
    full: String,
    help: String,
    help_markdown: String,
    level: &'static str,
    properties: sarif::PropertyBag,
}

fn rule(r: RuleText<'_>) -> sarif::ReportingDescriptor {
    let mut d = sarif::ReportingDescriptor::builder()
        .id(r.id.to_string())
        .build();
    d.name = Some(r.id.to_string());
    d.short_description = Some(mstring(r.short, None));
    d.full_description = Some(mstring(r.full, None));
    d.help = Some(mstring(r.help, Some(r.help_markdown)));
    d.default_configuration = Some(sarif::ReportingConfiguration {
        level: Some(json!(r.level)),
        ..Default::default()
    });
    d.properties = Some(r.properties);
    d
}

fn result_level(level: &str) -> sarif::ResultLevel {
    match level {
        "error" => sarif::ResultLevel::Error,
        "warning" => sarif::ResultLevel::Warning,
        _ => sarif::ResultLevel::Note,
    }
}

/// A suppression: accepted outside the code (a waiver, a baseline), with why.
fn accepted(justification: String) -> Vec<sarif::Suppression> {
    let mut s = sarif::Suppression::builder()
        .kind(json!("external"))
        .build();
    s.status = Some(json!("accepted"));
    s.justification = Some(justification);
    vec![s]
}

/// Rules of the run, in first-seen order, with their index.
#[derive(Default)]
struct Rules {
    list: Vec<sarif::ReportingDescriptor>,
    index: BTreeMap<String, usize>,
}

impl Rules {
    fn add(&mut self, id: &str, rule: impl FnOnce() -> sarif::ReportingDescriptor) -> usize {
        if let Some(&i) = self.index.get(id) {
            return i;
        }
        self.list.push(rule());
        self.index.insert(id.to_string(), self.list.len() - 1);
        self.list.len() - 1
    }
}

/// Where paths shown relative to the working folder lie relative to the repository root.
struct Paths {
    /// The working folder relative to the repository's top ("" at the top); `None` outside
    /// git, where URIs stay relative to the working folder.
    prefix: Option<String>,
    /// Per file read for a whole-line region, the character count of each line (`None`
    /// when it cannot be read): each file is read once, however many locations it has.
    line_lengths: std::cell::RefCell<std::collections::HashMap<String, Option<Vec<u64>>>>,
}

impl Paths {
    fn here() -> Self {
        let prefix = std::env::current_dir().ok().and_then(|cwd| {
            let repo = crate::git::open(&cwd).ok()?;
            repo.relative(&cwd)
        });
        Paths {
            prefix,
            line_lengths: Default::default(),
        }
    }

    /// The number of characters of line `line` of the file at `path` (relative to the
    /// working folder), when it can be read; regions of evidence without a column span the
    /// whole line.
    fn line_length(&self, path: &str, line: u64) -> Option<u64> {
        let mut cache = self.line_lengths.borrow_mut();
        let lengths = cache.entry(path.to_string()).or_insert_with(|| {
            let bytes =
                tiercheck_scan::read::read_regular(std::path::Path::new(path), 8 * 1024 * 1024)
                    .ok()?;
            Some(
                String::from_utf8_lossy(&bytes)
                    .lines()
                    .map(|l| l.chars().count() as u64)
                    .collect(),
            )
        });
        let i = usize::try_from(line.checked_sub(1)?).ok()?;
        lengths.as_ref()?.get(i).copied()
    }

    /// `path` (relative to the working folder) relative to the base, with `.` and `..`
    /// resolved.
    fn uri(&self, path: &str) -> String {
        let joined = match &self.prefix {
            Some(p) => join_path(p, path),
            None => path.to_string(),
        };
        let mut parts: Vec<&str> = Vec::new();
        for part in joined.split('/') {
            match part {
                "" | "." => {}
                ".." if parts.last().is_some_and(|l| *l != "..") => {
                    parts.pop();
                }
                other => parts.push(other),
            }
        }
        if parts.is_empty() {
            ".".into()
        } else {
            parts.join("/")
        }
    }
}

/// A location with a full region: start and end line and column.
fn location(paths: &Paths, shown: &str, start: (u64, u64), end: (u64, u64)) -> sarif::Location {
    let n = |v: u64| i64::try_from(v.max(1)).unwrap_or(i64::MAX);
    sarif::Location {
        physical_location: Some(sarif::PhysicalLocation {
            artifact_location: Some(sarif::ArtifactLocation {
                uri: Some(paths.uri(shown)),
                uri_base_id: Some(BASE.to_string()),
                ..Default::default()
            }),
            region: Some(sarif::Region {
                start_line: Some(n(start.0)),
                start_column: Some(n(start.1)),
                end_line: Some(n(end.0.max(start.0))),
                end_column: Some(n(end.1)),
                ..Default::default()
            }),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// A whole line of a file as a location.
fn line_location(paths: &Paths, shown: &str, line: u64) -> sarif::Location {
    let line = line.max(1);
    let end = paths.line_length(shown, line).map_or(2, |n| n + 1);
    location(paths, shown, (line, 1), (line, end))
}

fn finding_location(paths: &Paths, f: &Finding) -> sarif::Location {
    let (end_line, end_column) = if f.end_line >= f.line && f.end_column > 0 {
        (f.end_line, f.end_column)
    } else {
        (f.line, f.column + 1)
    };
    location(paths, &f.path, (f.line, f.column), (end_line, end_column))
}

fn sarif_level(level: Level, status: Status) -> &'static str {
    match (status, level) {
        (Status::Fail | Status::Error, Level::Required) => "error",
        (Status::Fail | Status::Error | Status::Warn, _) => "warning",
        _ => "note",
    }
}

/// A rule's level when nothing overrides it: never `none`, which code scanning reads as
/// "do not show".
fn default_level(level: Level) -> &'static str {
    match level {
        Level::Required => "error",
        Level::Recommended => "warning",
        Level::NotRequired => "note",
    }
}

fn requirement_rule(r: &RequirementResult) -> sarif::ReportingDescriptor {
    let description = if r.description.is_empty() {
        r.title.clone()
    } else {
        r.description.clone()
    };
    rule(RuleText {
        id: &r.id,
        short: r.title.clone(),
        help: format!("{description}\n\nHow to meet it: {}", r.fix),
        help_markdown: format!("{description}\n\n**How to meet it:** {}", r.fix),
        full: description,
        level: default_level(r.level),
        properties: bag(
            &["tiercheck-requirement", "governance"],
            json!({"precision": "high"}),
        ),
    })
}

/// How bad a finding of `category` is, as code scanning ranks alerts (9.0 and above is
/// Critical, 7.0 High).
fn security_severity(category: &str) -> &'static str {
    if category == "pii" { "7.0" } else { "9.0" }
}

fn finding_rule(
    f: &Finding,
    descriptions: &BTreeMap<String, String>,
) -> sarif::ReportingDescriptor {
    let (what, fix) = if f.category == "pii" {
        (
            "Personal or customer data",
            "Remove the personal or customer data from the file, or replace it with synthetic data.",
        )
    } else {
        (
            "A secret",
            "Remove the secret from the file, rotate it, and read it from the environment or a secret store.",
        )
    };
    let description = descriptions
        .get(&f.rule_id)
        .cloned()
        .unwrap_or_else(|| format!("{what} found by the scanner rule `{}`.", f.rule_id));
    let false_positive = "A false positive: add `tiercheck:allow` on its line, or accept it in a baseline, where the policy allows it.";
    rule(RuleText {
        id: &f.rule_id,
        short: description.clone(),
        full: description.clone(),
        help: format!("{description}\n\n{fix} {false_positive}"),
        help_markdown: format!("{description}\n\n**Fix:** {fix} {false_positive}"),
        level: "error",
        properties: bag(
            &["security", f.category.as_str()],
            json!({"security-severity": security_severity(&f.category), "precision": "high"}),
        ),
    })
}

/// The results of one run, with the rules they use and what was left out.
struct Run {
    paths: Paths,
    rules: Rules,
    results: Vec<sarif::Result>,
    dropped: usize,
}

impl Run {
    fn new() -> Self {
        Run {
            paths: Paths::here(),
            rules: Rules::default(),
            results: Vec::new(),
            dropped: 0,
        }
    }

    fn push(&mut self, result: sarif::Result) {
        if self.results.len() < MAX_RESULTS {
            self.results.push(result);
        } else {
            self.dropped += 1;
        }
    }

    fn finding(
        &mut self,
        f: &Finding,
        descriptions: &BTreeMap<String, String>,
        properties: Value,
        suppression: Option<&str>,
    ) {
        let index = self.rules.add(&f.rule_id, || finding_rule(f, descriptions));
        let what = if f.category == "pii" {
            "Personal data"
        } else {
            "Secret"
        };
        let mut result = typed_result(
            &f.rule_id,
            index,
            "error",
            format!("{what} found by rule `{}`: {}", f.rule_id, f.redacted),
            vec![finding_location(&self.paths, f)],
            f.fingerprint.clone(),
            properties,
        );
        result.suppressions = suppression.map(|why| accepted(why.to_string()));
        self.push(result);
    }

    fn finish(self, properties: Value) -> sarif::Run {
        let base = if self.paths.prefix.is_some() {
            "The top folder of the git repository."
        } else {
            "The folder tiercheck ran in."
        };
        let invocations = (self.dropped > 0).then(|| {
            let text = format!(
                "{} more results were left out: a code-scanning run holds at most {MAX_RESULTS}; the JSON format lists them all",
                self.dropped
            );
            eprintln!("warning: SARIF: {text}");
            let mut note = sarif::Notification::builder().message(message(text)).build();
            note.level = Some(json!("warning"));
            let mut inv = sarif::Invocation::builder()
                .execution_successful(true)
                .build();
            inv.tool_execution_notifications = Some(vec![note]);
            vec![inv]
        });
        let mut driver = sarif::ToolComponent::builder()
            .name("tiercheck".to_string())
            .build();
        driver.version = Some(env!("CARGO_PKG_VERSION").into());
        driver.rules = Some(self.rules.list);
        let mut run = sarif::Run::builder()
            .tool(sarif::Tool::builder().driver(driver).build())
            .build();
        run.original_uri_base_ids = Some(
            [(
                BASE.to_string(),
                sarif::ArtifactLocation {
                    description: Some(message(base)),
                    ..Default::default()
                },
            )]
            .into(),
        );
        run.column_kind = Some(json!("unicodeCodePoints"));
        run.results = Some(self.results);
        run.invocations = invocations;
        run.properties = Some(bag(&[], properties));
        run
    }
}

/// The log around the one run, as JSON.
fn log(run: sarif::Run) -> Value {
    let mut log = sarif::Sarif::builder()
        .version(json!("2.1.0"))
        .runs(vec![run])
        .build();
    log.schema = Some(SCHEMA.into());
    serde_json::to_value(&log).unwrap_or(Value::Null)
}

/// Whether evidence points at one of the artifact's findings, which have results of their
/// own: one secret is one alert.
fn at_finding(a: &ArtifactReport, path: &str, line: Option<u64>) -> bool {
    a.findings
        .iter()
        .any(|f| f.path == path && line.is_none_or(|l| l == f.line))
}

fn requirement_result(run: &mut Run, a: &ArtifactReport, r: &RequirementResult, index: usize) {
    let waived = r.status == Status::Skip && r.evidence.iter().any(|e| e.signal == "waived");
    let evidence = telling_evidence(r);
    let mut text = format!(
        "{}: {} ({}): {}.",
        a.path,
        r.title,
        level_str(r.level),
        super::status_word(r)
    );
    for e in &evidence {
        text.push_str(&format!(" {}.", e.message.trim_end_matches('.')));
    }
    if let Some(fix) = &r.remediation {
        text.push_str(&format!(" To fix: {}", fix.trim()));
    }
    let mut locations: Vec<sarif::Location> = evidence
        .iter()
        .filter_map(|e| {
            let p = e.path.as_deref()?;
            if at_finding(a, p, e.line) {
                return None;
            }
            Some(line_location(
                &run.paths,
                &join_path(&a.folder, p),
                e.line.unwrap_or(1),
            ))
        })
        .take(MAX_LOCATIONS)
        .collect();
    if locations.is_empty() {
        // Code scanning needs a file: the manifest is the artifact's anchor (the file
        // itself for a file's artifact without one).
        let anchor = a.manifest.clone().unwrap_or_else(|| {
            if a.path != a.folder {
                a.path.clone()
            } else {
                join_path(&a.folder, crate::manifest::MANIFEST_FILE)
            }
        });
        locations.push(line_location(&run.paths, &anchor, 1));
    }
    let fingerprint = tiercheck_scan::fingerprint(&r.id, &run.paths.uri(&a.path), "requirement");
    let mut result = typed_result(
        &r.id,
        index,
        sarif_level(r.level, r.status),
        text,
        locations,
        fingerprint,
        json!({"artifact": a.path, "tier": a.tier}),
    );
    if waived {
        let why = r
            .evidence
            .iter()
            .find(|e| e.signal == "waived")
            .map_or_else(|| "waived".to_string(), |e| e.message.clone());
        result.suppressions = Some(accepted(why));
    }
    run.push(result);
}

/// A result of a rule of the run.
fn typed_result(
    rule_id: &str,
    index: usize,
    level: &str,
    text: String,
    locations: Vec<sarif::Location>,
    fingerprint: String,
    properties: Value,
) -> sarif::Result {
    let mut result = sarif::Result::builder().message(message(text)).build();
    result.rule_id = Some(rule_id.to_string());
    result.rule_index = Some(index as i64);
    result.level = Some(result_level(level));
    result.locations = Some(locations);
    result.partial_fingerprints = Some([(FINGERPRINT_KEY.to_string(), fingerprint)].into());
    result.properties = Some(bag(&[], properties));
    result
}

/// The result of an artifact whose manifest could not be read.
fn manifest_error(run: &mut Run, a: &ArtifactReport, error: &str) {
    const ID: &str = "tiercheck-manifest";
    let index = run.rules.add(ID, || {
        let fix = "Fix the manifest as the message says; tiercheck names the line and column.";
        rule(RuleText {
            id: ID,
            short: "A manifest tiercheck could not read".into(),
            full: "The artifact's manifest does not parse, or names what the policy does not know, so none of its requirements could be checked.".into(),
            help: fix.into(),
            help_markdown: fix.into(),
            level: "error",
            properties: bag(
                &["tiercheck-requirement", "governance"],
                json!({"precision": "high"}),
            ),
        })
    });
    let anchor = a.manifest.clone().unwrap_or_else(|| a.path.clone());
    let location = line_location(&run.paths, &anchor, 1);
    let fingerprint = tiercheck_scan::fingerprint(ID, &run.paths.uri(&anchor), "manifest");
    let result = typed_result(
        ID,
        index,
        "error",
        error.to_string(),
        vec![location],
        fingerprint,
        json!({"artifact": a.path}),
    );
    run.push(result);
}

impl Report for Sarif {
    fn matrix(&self, _policy: &Policy, _out: &mut dyn Write) -> io::Result<()> {
        Err(no_matrix(Format::Sarif))
    }

    fn artifacts(&self, reports: &[ArtifactReport], out: &mut dyn Write) -> io::Result<()> {
        let mut run = Run::new();
        let mut seen: std::collections::HashSet<String> = Default::default();
        for a in reports {
            if let Some(e) = &a.error {
                manifest_error(&mut run, a, e);
                continue;
            }
            for r in &a.requirements {
                let index = run.rules.add(&r.id, || requirement_rule(r));
                let waived = r.evidence.iter().any(|e| e.signal == "waived");
                if super::unmet(r) || waived {
                    requirement_result(&mut run, a, r, index);
                }
            }
            for f in &a.findings {
                let mut shown = f.clone();
                shown.path = join_path(&a.folder, &f.path);
                // Nested artifacts never share files, but one value is one alert anyway.
                if seen.insert(format!("{}\0{}", run.paths.uri(&shown.path), f.fingerprint)) {
                    run.finding(
                        &shown,
                        &a.rule_descriptions,
                        json!({"artifact": a.path, "tier": a.tier}),
                        None,
                    );
                }
            }
        }
        let artifacts: Vec<Value> = reports
            .iter()
            .map(|a| {
                json!({
                    "path": a.path,
                    "manifest": a.manifest,
                    "tier": a.tier,
                    "tierName": a.tier_name,
                    "reason": a.reason,
                    "passed": a.passed,
                })
            })
            .collect();
        write(
            out,
            &log(run.finish(json!({
                "artifacts": artifacts,
                "passed": reports.iter().all(|a| a.passed),
            }))),
        )
    }

    fn findings(&self, scan: ScanResult<'_>, out: &mut dyn Write) -> io::Result<()> {
        let mut run = Run::new();
        let origins: &[Option<Origin>] = scan.git.as_ref().map_or(&[], |g| g.origins.as_slice());
        for (i, f) in scan.report.findings.iter().enumerate() {
            let props = match origins.get(i).and_then(Option::as_ref) {
                Some(o) => json!({
                    "commit": o.commit,
                    "author": o.author,
                    "presentAtHead": o.present_at_head,
                }),
                None => json!({}),
            };
            run.finding(f, &scan.descriptions, props, None);
        }
        for f in &scan.accepted_findings {
            run.finding(
                f,
                &scan.descriptions,
                json!({}),
                Some("accepted by the baseline (--baseline)"),
            );
        }
        let r = scan.report;
        let props = json!({
            "filesScanned": r.files_scanned,
            "bytesScanned": r.bytes_scanned,
            "skipped": r.skipped.len(),
            "unreadable": r.errors.iter().map(|(p, e)| json!({"path": p, "message": e})).collect::<Vec<_>>(),
            "acceptedByBaseline": scan.accepted,
        });
        write(out, &log(run.finish(props)))
    }
}
