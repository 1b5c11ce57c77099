//! Reports: one implementation of [`Report`] per output format. Adding a format is one new
//! module and one line in [`Format::report`].

mod html;
mod json;
mod junit;
mod markdown;
mod sarif;
pub mod table;

use std::io::{self, Write};

use clap::ValueEnum;

use crate::checks::{Evidence, Status};
use crate::evaluate::{ArtifactReport, RequirementResult};
use crate::policy::{Level, Policy};
use tiercheck_scan::{Finding, ScanReport};

pub use table::Table;

/// Version of the JSON output's shape.
pub const SCHEMA_VERSION: u32 = 2;

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A table for people (colored on a terminal).
    Table,
    /// JSON for scripts.
    Json,
    /// SARIF 2.1.0 for code-scanning dashboards.
    Sarif,
    /// JUnit XML for CI test reports.
    Junit,
    /// Markdown for pull-request comments and job summaries.
    Markdown,
    /// One self-contained HTML page, for people who would rather look than read.
    Html,
}

impl Format {
    /// The report implementation for this format.
    pub fn report(self, color: bool) -> Box<dyn Report> {
        match self {
            // Formats with no escaping of their own see repository text with its control
            // characters made visible; JSON and SARIF escape them by their syntax.
            Format::Table => Box::new(Escaped(Table { color })),
            Format::Json => Box::new(json::Json),
            Format::Sarif => Box::new(sarif::Sarif),
            Format::Junit => Box::new(Escaped(junit::Junit)),
            Format::Markdown => Box::new(Escaped(markdown::Markdown)),
            // HTML escapes every character that could open markup, and shows control
            // characters as `\u{..}`.
            Format::Html => Box::new(html::Html),
        }
    }

    /// Whether the report is for people to read (a progress spinner may accompany it).
    pub fn for_people(self) -> bool {
        matches!(self, Format::Table | Format::Markdown | Format::Html)
    }

    /// The format's name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Format::Table => "table",
            Format::Json => "json",
            Format::Sarif => "sarif",
            Format::Junit => "junit",
            Format::Markdown => "markdown",
            Format::Html => "html",
        }
    }
}

/// What `tiercheck scan` found, as the reports show it.
#[derive(Debug, Clone)]
pub struct ScanResult<'a> {
    /// Findings (paths relative to the working folder), skipped and unreadable files.
    pub report: &'a ScanReport,
    /// How many findings the baseline accepted.
    pub accepted: usize,
    /// The findings the baseline accepted (SARIF keeps them, suppressed).
    pub accepted_findings: Vec<Finding>,
    /// The description of each rule behind a finding, by rule id.
    pub descriptions: std::collections::BTreeMap<String, String>,
    /// What a scan of git's index or history adds, when it was one.
    pub git: Option<GitScanInfo<'a>>,
}

/// The commit that introduced a finding of a history scan.
#[derive(Debug, Clone)]
pub struct Origin {
    /// Full commit id.
    pub commit: String,
    /// Short commit id, for people.
    pub short: String,
    /// Whether HEAD still holds the value at that path.
    pub present_at_head: bool,
    /// The name of the commit's author.
    pub author: String,
}

/// What `scan --staged` and `scan --history` add to a scan's results.
#[derive(Debug, Clone)]
pub struct GitScanInfo<'a> {
    /// `staged` or `history`.
    pub mode: &'static str,
    /// One entry per finding of the report, in the same order (history scans only).
    pub origins: Vec<Option<Origin>>,
    /// Notes such as "shallow clone: history is partial".
    pub notes: &'a [String],
    /// Why nothing was scanned ("nothing staged"), so zero files never looks like a pass.
    pub nothing: Option<&'a str>,
    /// Distinct blobs read.
    pub blobs_scanned: u64,
    /// Binary blobs skipped.
    pub binary: u64,
    /// Commits walked (history only).
    pub commits_walked: u64,
}

/// A way of printing what tiercheck concluded.
pub trait Report {
    /// Prints the requirements matrix of a policy.
    fn matrix(&self, policy: &Policy, out: &mut dyn Write) -> io::Result<()>;
    /// Prints the results of `verify` or `assess`, one report per artifact.
    fn artifacts(&self, reports: &[ArtifactReport], out: &mut dyn Write) -> io::Result<()>;
    /// Prints the findings of `scan`.
    fn findings(&self, scan: ScanResult<'_>, out: &mut dyn Write) -> io::Result<()>;
}

/// `text` with every character that could move the cursor, ring, recolour or reorder a
/// terminal or break a line (C0 and C1 controls, DEL, the bidirectional overrides and
/// isolates) written as a visible escape (`\n`, `\u{1b}`): a file name or a manifest value
/// cannot forge a line of the report or hide part of it.
pub fn escape_controls(text: &str) -> std::borrow::Cow<'_, str> {
    let bad =
        |c: char| c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
    if !text.chars().any(bad) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if bad(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

fn escape_in_place(s: &mut String) {
    if let std::borrow::Cow::Owned(e) = escape_controls(s) {
        *s = e;
    }
}

/// A report whose inputs' repository text is passed through [`escape_controls`] first.
struct Escaped<R>(R);

impl<R: Report> Report for Escaped<R> {
    fn matrix(&self, policy: &Policy, out: &mut dyn Write) -> io::Result<()> {
        self.0.matrix(policy, out)
    }

    fn artifacts(&self, reports: &[ArtifactReport], out: &mut dyn Write) -> io::Result<()> {
        let mut reports = reports.to_vec();
        for r in &mut reports {
            escape_in_place(&mut r.path);
            escape_in_place(&mut r.reason);
            escape_in_place(&mut r.classification.reason);
            escape_in_place(&mut r.tier);
            escape_in_place(&mut r.tier_name);
            escape_in_place(&mut r.classification.tier);
            for t in [
                &mut r.manifest,
                &mut r.classification.declared,
                &mut r.classification.classified,
            ]
            .into_iter()
            .flatten()
            {
                escape_in_place(t);
            }
            for p in &mut r.policy {
                escape_in_place(&mut p.path);
                escape_in_place(&mut p.sha256);
            }
            for req in &mut r.requirements {
                escape_in_place(&mut req.id);
                escape_in_place(&mut req.title);
                if let Some(t) = &mut req.remediation {
                    escape_in_place(t);
                }
                for e in &mut req.evidence {
                    escape_in_place(&mut e.message);
                    escape_in_place(&mut e.check);
                    escape_in_place(&mut e.signal);
                    if let Some(p) = &mut e.path {
                        escape_in_place(p);
                    }
                }
            }
            for f in &mut r.findings {
                escape_in_place(&mut f.path);
                escape_in_place(&mut f.rule_id);
                escape_in_place(&mut f.redacted);
            }
            for a in &mut r.classification.audience {
                escape_in_place(&mut a.message);
                if let Some(p) = &mut a.path {
                    escape_in_place(p);
                }
            }
            for d in &mut r.classification.data {
                escape_in_place(&mut d.path);
                escape_in_place(&mut d.what);
                escape_in_place(&mut d.answer);
                escape_in_place(&mut d.rule_id);
                escape_in_place(&mut d.redacted);
            }
        }
        self.0.artifacts(&reports, out)
    }

    fn findings(&self, scan: ScanResult<'_>, out: &mut dyn Write) -> io::Result<()> {
        let mut report = scan.report.clone();
        for f in &mut report.findings {
            escape_in_place(&mut f.path);
            escape_in_place(&mut f.rule_id);
            escape_in_place(&mut f.redacted);
        }
        for (p, why) in report.skipped.iter_mut().chain(report.errors.iter_mut()) {
            escape_in_place(p);
            escape_in_place(why);
        }
        self.0.findings(
            ScanResult {
                report: &report,
                accepted: scan.accepted,
                accepted_findings: scan.accepted_findings,
                descriptions: scan.descriptions,
                git: scan.git,
            },
            out,
        )
    }
}

/// The error of a results-only format asked for the matrix; the CLI offers only the others.
fn no_matrix(format: Format) -> io::Error {
    io::Error::new(
        io::ErrorKind::Unsupported,
        format!("--format {} has no matrix view", format.name()),
    )
}

/// `required`, `recommended` or `not_required`, as in the policy and JSON.
fn level_str(level: Level) -> &'static str {
    match level {
        Level::Required => "required",
        Level::Recommended => "recommended",
        Level::NotRequired => "not_required",
    }
}

/// [`level_str`] for people: `not required` rather than `not_required`.
fn level_words(level: Level) -> &'static str {
    match level {
        Level::NotRequired => "not required",
        other => level_str(other),
    }
}

/// Whether a requirement result is not met (a failure, an error or a warning).
fn unmet(r: &RequirementResult) -> bool {
    matches!(r.status, Status::Fail | Status::Error | Status::Warn)
}

/// Evidence of what the checked repository was allowed to leave out or claim (waivers,
/// honoured `tiercheck:allow` markers and ignore files, unsigned reviews and review claims
/// the policy counted), so that every format lists it for a reviewer even when the
/// requirement passed.
const LET_THROUGH: [&str; 6] = [
    "waived",
    "allow-marker-honoured",
    "ignored-tracked-honoured",
    "review-unsigned",
    "commit-reviewed",
    "merged-request",
];

/// (requirement id, evidence) of every such item in `r`, in requirement order. Reviewed
/// commits and merges whose review is only claimed (`commit-reviewed`, `merged-request`;
/// proven ones have signals of their own) are summed up in one item per requirement (a long
/// history would otherwise list each).
pub(crate) fn let_through(r: &ArtifactReport) -> Vec<(&str, Evidence)> {
    let mut out = Vec::new();
    for q in &r.requirements {
        if q.status == Status::Skip && !q.evidence.iter().any(|e| e.signal == "waived") {
            continue;
        }
        let claims: Vec<&Evidence> = q
            .evidence
            .iter()
            .filter(|e| matches!(e.signal.as_str(), "commit-reviewed" | "merged-request"))
            .collect();
        for e in &q.evidence {
            if LET_THROUGH.contains(&e.signal.as_str())
                && !matches!(e.signal.as_str(), "commit-reviewed" | "merged-request")
            {
                out.push((q.id.as_str(), e.clone()));
            }
        }
        if let Some(newest) = claims.first() {
            let n = claims.len();
            let mut e = (*newest).clone();
            e.signal = "review-claims".into();
            e.message = format!(
                "{n} reviewed commit{} rest{} on claims (trailers or merge messages no allowed signer signed); the newest: {}",
                if n == 1 { "" } else { "s" },
                if n == 1 { "s" } else { "" },
                newest.message
            );
            out.push((q.id.as_str(), e));
        }
    }
    out
}

/// The evidence that explains an unmet requirement: the items whose check did not pass,
/// or all of them when none is marked.
fn telling_evidence(r: &RequirementResult) -> Vec<&Evidence> {
    let bad: Vec<&Evidence> = r
        .evidence
        .iter()
        .zip(&r.evidence_status)
        .filter(|(_, s)| !matches!(s, Status::Pass | Status::Skip))
        .map(|(e, _)| e)
        .collect();
    if bad.is_empty() {
        r.evidence.iter().collect()
    } else {
        bad
    }
}

/// The cause of an unmet requirement in one sentence: its first failing item (one that
/// only warns comes after), else the first telling one.
pub(crate) fn cause(r: &RequirementResult) -> Option<&Evidence> {
    r.evidence
        .iter()
        .zip(&r.evidence_status)
        .find(|(_, s)| matches!(s, Status::Fail | Status::Error))
        .map(|(e, _)| e)
        .or_else(|| telling_evidence(r).into_iter().next())
}

/// The word for a requirement's status as people read it: a skipped requirement says why
/// (not required at this tier, waived, or every check skipped, e.g. nothing staged).
pub(crate) fn status_word(r: &RequirementResult) -> &'static str {
    match (r.status, r.level) {
        (Status::Skip, Level::NotRequired) => "not required",
        (Status::Skip, _) if r.evidence.iter().any(|e| e.signal == "waived") => "waived",
        (Status::Skip, _) => "skipped",
        (s, _) => s.as_str(),
    }
}

/// `1 finding`, `2 findings`.
pub(crate) fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

/// A path inside an artifact as seen from where tiercheck ran (`.` joins to nothing).
pub(crate) fn join_path(artifact: &str, path: &str) -> String {
    let base = artifact.trim_end_matches('/');
    if base.is_empty() || base == "." {
        path.to_string()
    } else if path.is_empty() || path == "." {
        base.to_string()
    } else {
        format!("{base}/{path}")
    }
}

/// `path:line` or `path`.
fn location(path: &str, line: Option<u64>) -> String {
    match line {
        Some(l) => format!("{path}:{l}"),
        None => path.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::escape_controls;

    #[test]
    fn controls_and_bidi_overrides_become_visible_escapes() {
        assert_eq!(escape_controls("plain ünïcode"), "plain ünïcode");
        assert!(matches!(
            escape_controls("plain"),
            std::borrow::Cow::Borrowed(_)
        ));
        assert_eq!(
            escape_controls("a\x1b[2Jb\nc\td\u{7}\u{202e}e\u{9b}"),
            "a\\u{1b}[2Jb\\nc\\td\\u{7}\\u{202e}e\\u{9b}"
        );
    }
}
