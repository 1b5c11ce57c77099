//! The JUnit XML report, as CI systems read test results: one `<testsuite>` per artifact
//! with one `<testcase>` per requirement (a failure is `<failure>`, a check that could not
//! run is `<error>`, a requirement not evaluated is `<skipped/>`, a warning passes with a
//! `<system-out>` note), and for `scan` one `findings` suite with one failing test case per
//! finding.

use std::fmt::Write as _;
use std::io::{self, Write};

use super::{Format, Report, ScanResult, join_path, level_str, location, no_matrix};
use tiercheck_scan::Finding;

use crate::checks::Status;
use crate::evaluate::{ArtifactReport, RequirementResult};
use crate::policy::{Level, Policy};

/// JUnit XML output.
pub struct Junit;

/// What a test case concluded.
enum Verdict {
    Pass,
    /// Passed, with a note (a recommended requirement not met).
    Note(String),
    Skipped(String),
    Failure {
        message: String,
        kind: String,
        text: String,
    },
    Error {
        message: String,
        text: String,
    },
}

struct Case {
    classname: String,
    name: String,
    verdict: Verdict,
}

struct Suite {
    name: String,
    cases: Vec<Case>,
    properties: Vec<(String, String)>,
}

/// Text as XML can hold it: control characters XML 1.0 cannot hold are replaced (quick-junit
/// escapes the rest).
fn clean(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_control() && !matches!(c, '\n' | '\t' | '\r') {
                '\u{fffd}'
            } else {
                c
            }
        })
        .collect()
}

/// The XML document of `suites`, through `quick-junit`.
fn render(suites: &[Suite]) -> io::Result<String> {
    use quick_junit::{NonSuccessKind, Property, TestCase, TestCaseStatus, TestSuite};
    let mut report = quick_junit::Report::new("tiercheck");
    for s in suites {
        let mut suite = TestSuite::new(clean(&s.name));
        for (k, v) in &s.properties {
            suite.add_property(Property::new(clean(k), clean(v)));
        }
        for c in &s.cases {
            let mut note = None;
            let status = match &c.verdict {
                Verdict::Pass => TestCaseStatus::success(),
                Verdict::Note(text) => {
                    note = Some(text);
                    TestCaseStatus::success()
                }
                Verdict::Skipped(why) => {
                    let mut st = TestCaseStatus::skipped();
                    st.set_message(clean(why));
                    st
                }
                Verdict::Failure {
                    message,
                    kind,
                    text,
                } => {
                    let mut st = TestCaseStatus::non_success(NonSuccessKind::Failure);
                    st.set_message(clean(message))
                        .set_type(clean(kind))
                        .set_description(clean(text));
                    st
                }
                Verdict::Error { message, text } => {
                    let mut st = TestCaseStatus::non_success(NonSuccessKind::Error);
                    st.set_message(clean(message))
                        .set_type("error")
                        .set_description(clean(text));
                    st
                }
            };
            let mut case = TestCase::new(clean(&c.name), status);
            case.set_classname(clean(&c.classname));
            if let Some(text) = note {
                case.set_system_out(clean(text));
            }
            suite.add_test_case(case);
        }
        report.add_test_suite(suite);
    }
    report.to_string().map_err(io::Error::other)
}

/// The failure text of an unmet requirement: its evidence, one per line, then the fix.
fn details(a: &ArtifactReport, r: &RequirementResult) -> String {
    let mut text = String::new();
    for e in super::telling_evidence(r) {
        match &e.path {
            Some(p) => {
                let _ = writeln!(
                    text,
                    "{}: {} [{}]",
                    location(&join_path(&a.folder, p), e.line),
                    e.message,
                    e.signal
                );
            }
            None => {
                let _ = writeln!(text, "{} [{}]", e.message, e.signal);
            }
        }
    }
    if let Some(fix) = &r.remediation {
        let _ = writeln!(text, "To fix: {}", fix.trim());
    }
    text
}

fn summary(r: &RequirementResult) -> String {
    super::cause(r).map_or_else(|| r.status.as_str().to_string(), |e| e.message.clone())
}

fn requirement_case(a: &ArtifactReport, r: &RequirementResult) -> Case {
    let verdict = match r.status {
        Status::Pass => Verdict::Pass,
        Status::Skip if r.level == Level::NotRequired => {
            Verdict::Skipped(format!("not required at {}", a.tier))
        }
        Status::Skip => match r.evidence.iter().find(|e| e.signal == "waived") {
            // Who approved the waiver and until when, not just "waived".
            Some(w) => Verdict::Skipped(format!("waived: {}", w.message)),
            None => Verdict::Skipped(super::status_word(r).into()),
        },
        Status::Warn => Verdict::Note(format!(
            "warning (recommended, not met): {}",
            details(a, r).trim_end()
        )),
        Status::Fail => Verdict::Failure {
            message: summary(r),
            kind: level_str(r.level).into(),
            text: details(a, r),
        },
        Status::Error => Verdict::Error {
            message: summary(r),
            text: details(a, r),
        },
    };
    Case {
        classname: match a.path.as_str() {
            "." | "" => "tiercheck".to_string(),
            p => format!("tiercheck.{p}"),
        },
        name: format!("{}: {}", r.id, r.title),
        verdict,
    }
}

fn finding_case(classname: &str, f: &Finding) -> Case {
    let at = format!("{}:{}:{}", f.path, f.line, f.column);
    Case {
        classname: classname.into(),
        name: format!("{} at {at}", f.rule_id),
        verdict: Verdict::Failure {
            message: format!("{} `{}` found: {}", f.category, f.rule_id, f.redacted),
            kind: f.category.clone(),
            text: format!("{at}: {} ({})", f.redacted, f.rule_id),
        },
    }
}

fn artifact_suite(a: &ArtifactReport) -> Suite {
    if let Some(e) = &a.error {
        return Suite {
            name: a.path.clone(),
            cases: vec![Case {
                classname: a.path.clone(),
                name: "manifest".into(),
                verdict: Verdict::Error {
                    message: format!(
                        "{} could not be read: nothing was checked",
                        a.manifest.as_deref().unwrap_or("the manifest")
                    ),
                    text: e.clone(),
                },
            }],
            properties: vec![("manifest".into(), a.manifest.clone().unwrap_or_default())],
        };
    }
    Suite {
        name: format!("{} ({} {})", a.path, a.tier, a.tier_name),
        cases: a
            .requirements
            .iter()
            .map(|r| requirement_case(a, r))
            .collect(),
        properties: vec![
            ("tier".into(), a.tier.clone()),
            ("reason".into(), a.reason.clone()),
            ("manifest".into(), a.manifest.clone().unwrap_or_default()),
            ("findings".into(), a.findings.len().to_string()),
        ],
    }
}

fn write_str(out: &mut dyn Write, s: &str) -> io::Result<()> {
    out.write_all(s.as_bytes())
}

impl Report for Junit {
    fn matrix(&self, _policy: &Policy, _out: &mut dyn Write) -> io::Result<()> {
        Err(no_matrix(Format::Junit))
    }

    fn artifacts(&self, reports: &[ArtifactReport], out: &mut dyn Write) -> io::Result<()> {
        let suites: Vec<Suite> = reports.iter().map(artifact_suite).collect();
        write_str(out, &render(&suites)?)
    }

    fn findings(&self, scan: ScanResult<'_>, out: &mut dyn Write) -> io::Result<()> {
        let r = scan.report;
        let mut cases: Vec<Case> = r
            .findings
            .iter()
            .map(|f| finding_case("tiercheck.scan", f))
            .collect();
        for (p, e) in &r.errors {
            cases.push(Case {
                classname: "tiercheck.scan".into(),
                name: format!("read {p}"),
                verdict: Verdict::Error {
                    message: format!("cannot read {p}"),
                    text: e.clone(),
                },
            });
        }
        // A clean scan is a passing test, so CI shows that it ran.
        if cases.is_empty() {
            cases.push(Case {
                classname: "tiercheck.scan".into(),
                name: format!(
                    "no secrets or personal data in {}",
                    super::plural(r.files_scanned as usize, "file")
                ),
                verdict: Verdict::Pass,
            });
        }
        let suite = Suite {
            name: "findings".into(),
            cases,
            properties: vec![
                ("files_scanned".into(), r.files_scanned.to_string()),
                ("bytes_scanned".into(), r.bytes_scanned.to_string()),
                ("skipped".into(), r.skipped.len().to_string()),
                ("accepted_by_baseline".into(), scan.accepted.to_string()),
            ],
        };
        write_str(out, &render(&[suite])?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_control_characters_replaced() {
        let suite = Suite {
            name: "a<b & \"c\"\u{1}".into(),
            cases: Vec::new(),
            properties: Vec::new(),
        };
        let xml = render(&[suite]).unwrap();
        assert!(xml.contains("a&lt;b &amp; &quot;c&quot;\u{fffd}"), "{xml}");
    }
}
