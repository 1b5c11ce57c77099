//! The HTML report: one self-contained page (inline style, no script, no external asset, no
//! network) for people who would rather look than read: per artifact the tier with its
//! reason, the requirements matrix in colour and in words, the evidence and the fix of each
//! requirement, the data the artifact holds, and the findings, redacted.

use std::fmt::Write as _;
use std::io::{self, Write};

use super::{Report, ScanResult, join_path, level_words, status_word};
use tiercheck_scan::Finding;

use crate::checks::Status;
use crate::evaluate::{ArtifactReport, RequirementResult};
use crate::policy::{Level, Policy};

/// HTML output.
pub struct Html;

const STYLE: &str = "body{font:15px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem auto;max-width:60rem;padding:0 1rem;color:#1b1f24}\
h1{font-size:1.5rem}h2{font-size:1.25rem;margin-top:2.5rem;border-bottom:1px solid #d0d7de;padding-bottom:.3rem}\
table{border-collapse:collapse;width:100%;margin:1rem 0}th,td{border:1px solid #d0d7de;padding:.35rem .6rem;text-align:left;vertical-align:top}\
th{background:#f6f8fa}.pass{background:#dafbe1}.fail,.error{background:#ffebe9}.warn{background:#fff8c5}.skip{background:#f6f8fa;color:#57606a}\
.verdict{font-size:1.2rem;font-weight:600;padding:.6rem 1rem;border-radius:6px}.ok{background:#dafbe1}.bad{background:#ffebe9}\
code{background:#f6f8fa;padding:0 .25rem;border-radius:4px;font-size:.9em}details{margin:.4rem 0}summary{cursor:pointer}\
ul.evidence{margin:.3rem 0 .6rem 1.2rem;padding:0}.fix{margin:.3rem 0 1rem}.under{color:#cf222e;font-weight:600}";

/// Text as HTML: every character that could open markup or an entity is escaped.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' && c != '\t' => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// The fix text with its `code spans` as <code>.
fn with_code(s: &str) -> String {
    let mut out = String::new();
    for (i, part) in s.split('`').enumerate() {
        if i % 2 == 1 {
            let _ = write!(out, "<code>{}</code>", esc(part));
        } else {
            out.push_str(&esc(part));
        }
    }
    out
}

fn class(status: Status) -> &'static str {
    match status {
        Status::Pass => "pass",
        Status::Fail => "fail",
        Status::Error => "error",
        Status::Warn => "warn",
        Status::Skip => "skip",
    }
}

fn mark(status: Status) -> &'static str {
    match status {
        Status::Pass => "✓",
        Status::Fail | Status::Error => "✗",
        Status::Warn => "!",
        Status::Skip => "–",
    }
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n{body}</body>\n</html>\n",
        esc(title)
    )
}

fn findings_table(h: &mut String, findings: &[Finding], base: &str) {
    if findings.is_empty() {
        return;
    }
    let _ = writeln!(
        h,
        "<h3>Findings</h3>\n<table class=\"findings\">\n<tr><th>Where</th><th>Kind</th><th>Rule</th><th>Value (redacted)</th></tr>"
    );
    for f in findings {
        let _ = writeln!(
            h,
            "<tr><td><code>{}:{}:{}</code></td><td>{}</td><td>{}</td><td><code>{}</code></td></tr>",
            esc(&join_path(base, &f.path)),
            f.line,
            f.column,
            esc(&f.category),
            esc(&f.rule_id),
            esc(&f.redacted)
        );
    }
    h.push_str("</table>\n");
}

fn requirement_details(h: &mut String, a: &ArtifactReport, r: &RequirementResult) {
    let open = matches!(r.status, Status::Fail | Status::Error | Status::Warn);
    let _ = writeln!(
        h,
        "<details class=\"requirement\" id=\"{}\"{}>\n<summary><span class=\"{}\">{} {}</span> — {} ({})</summary>",
        esc(&format!("{}-{}", a.path, r.id)),
        if open { " open" } else { "" },
        class(r.status),
        mark(r.status),
        esc(&r.id),
        esc(&r.title),
        esc(status_word(r))
    );
    if !r.evidence.is_empty() {
        h.push_str("<ul class=\"evidence\">\n");
        for (i, e) in r.evidence.iter().enumerate() {
            let s = r.evidence_status.get(i).copied().unwrap_or(r.status);
            let at = match (&e.path, e.line) {
                (Some(p), Some(l)) => {
                    format!(" <code>{}:{l}</code>", esc(&join_path(&a.folder, p)))
                }
                (Some(p), None) => format!(" <code>{}</code>", esc(&join_path(&a.folder, p))),
                _ => String::new(),
            };
            let _ = writeln!(
                h,
                "<li class=\"{}\">{} {}{at} <small>[{}]</small></li>",
                class(s),
                mark(s),
                esc(&e.message),
                esc(&e.signal)
            );
        }
        h.push_str("</ul>\n");
    }
    if let Some(fix) = &r.remediation {
        let _ = writeln!(
            h,
            "<p class=\"fix\"><strong>To fix:</strong> {}</p>",
            with_code(fix)
        );
    }
    h.push_str("</details>\n");
}

fn artifact(h: &mut String, a: &ArtifactReport) {
    if let Some(e) = &a.error {
        let _ = writeln!(
            h,
            "<section class=\"artifact\">\n<h2>{}</h2>\n<p class=\"verdict bad\">Could not be checked: its manifest {} could not be read</p>\n<pre>{}</pre>\n</section>",
            esc(&a.path),
            esc(a.manifest.as_deref().unwrap_or("")),
            esc(e)
        );
        return;
    }
    let _ = writeln!(
        h,
        "<section class=\"artifact\">\n<h2>{}{}</h2>",
        esc(&a.path),
        a.manifest
            .as_deref()
            .map(|m| format!(" <small>({})</small>", esc(m)))
            .unwrap_or_default()
    );
    let _ = writeln!(
        h,
        "<p class=\"verdict {}\">{} at {} {}</p>",
        if a.passed { "ok" } else { "bad" },
        if a.passed { "PASS" } else { "FAIL" },
        esc(&a.tier),
        esc(&a.tier_name)
    );
    let _ = writeln!(
        h,
        "<p class=\"reason\"><strong>Why this tier:</strong> {}</p>",
        esc(&a.reason)
    );
    if a.classification.under_classified {
        h.push_str("<p class=\"under\">Under-classified: the answers or the manifest say less than the evidence shows; the requirements are checked at the tier above.</p>\n");
    }
    if !a.ships_with.is_empty() {
        let files: Vec<String> = a
            .ships_with
            .iter()
            .map(|f| format!("<code>{}</code>", esc(f)))
            .collect();
        let _ = writeln!(h, "<p>Ships with {}.</p>", files.join(", "));
    }
    for au in &a.classification.audience {
        let _ = writeln!(
            h,
            "<p class=\"warn\">Audience: {} <small>[{}]</small></p>",
            esc(&au.message),
            esc(&au.signal)
        );
    }
    if !a.classification.data.is_empty() {
        h.push_str("<h3>Data in the files</h3>\n<p>Check it is meant to be shared.</p>\n<table class=\"data\">\n<tr><th>What</th><th>Kind</th><th>Where</th><th>Rule</th><th>First value (redacted)</th></tr>\n");
        for d in &a.classification.data {
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{}</td><td><code>{}:{}</code></td><td>{}</td><td><code>{}</code></td></tr>",
                esc(&d.what),
                esc(&d.answer),
                esc(&join_path(&a.folder, &d.path)),
                d.line,
                esc(&d.rule_id),
                esc(&d.redacted)
            );
        }
        h.push_str("</table>\n");
    }
    h.push_str("<h3>Requirements</h3>\n<table class=\"matrix\">\n<tr><th>Requirement</th><th>Level</th><th>Status</th></tr>\n");
    for r in &a.requirements {
        let _ = writeln!(
            h,
            "<tr class=\"{}\"><td><a href=\"#{}\">{}</a> — {}</td><td>{}</td><td>{} {}</td></tr>",
            class(r.status),
            esc(&format!("{}-{}", a.path, r.id)),
            esc(&r.id),
            esc(&r.title),
            level_words(r.level),
            mark(r.status),
            esc(status_word(r))
        );
    }
    h.push_str("</table>\n");
    for r in a
        .requirements
        .iter()
        .filter(|r| r.level != Level::NotRequired)
    {
        requirement_details(h, a, r);
    }
    findings_table(h, &a.findings, &a.folder);
    h.push_str("</section>\n");
}

impl Report for Html {
    fn matrix(&self, policy: &Policy, out: &mut dyn Write) -> io::Result<()> {
        let mut h = String::from(
            "<h1>tiercheck: requirements per tier</h1>\n<table class=\"matrix\">\n<tr><th>Requirement</th>",
        );
        for t in &policy.tiers {
            let _ = write!(h, "<th>{} {}</th>", esc(&t.id.value), esc(&t.name));
        }
        h.push_str("</tr>\n");
        for r in &policy.requirements {
            let _ = write!(h, "<tr><td>{} — {}</td>", esc(&r.id.value), esc(&r.title));
            for t in &policy.tiers {
                let l = policy.level(r, &t.id.value);
                let c = match l {
                    Level::Required => "fail",
                    Level::Recommended => "warn",
                    Level::NotRequired => "skip",
                };
                let _ = write!(h, "<td class=\"{c}\">{}</td>", level_words(l));
            }
            h.push_str("</tr>\n");
        }
        h.push_str("</table>\n");
        out.write_all(page("tiercheck matrix", &h).as_bytes())
    }

    fn artifacts(&self, reports: &[ArtifactReport], out: &mut dyn Write) -> io::Result<()> {
        let passed = reports.iter().all(|a| a.passed);
        let mut h = format!(
            "<h1>tiercheck: {} — {}</h1>\n",
            esc(&reports
                .iter()
                .map(|a| a.path.as_str())
                .collect::<Vec<_>>()
                .join(", ")),
            if passed { "passed" } else { "failed" }
        );
        for a in reports {
            artifact(&mut h, a);
        }
        if let Some(p) = reports.first().map(|a| &a.policy) {
            let files: Vec<String> = p
                .iter()
                .map(|f| format!("<code>{}</code>", esc(&f.short())))
                .collect();
            let _ = writeln!(
                h,
                "<footer><p><small>Policy: {}</small></p></footer>",
                files.join(", ")
            );
        }
        out.write_all(page("tiercheck report", &h).as_bytes())
    }

    fn findings(&self, scan: ScanResult<'_>, out: &mut dyn Write) -> io::Result<()> {
        let r = scan.report;
        let mut h = format!(
            "<h1>tiercheck scan: {}</h1>\n<p>Scanned {} ({} bytes); {} skipped, {} unreadable{}.</p>\n",
            if r.findings.is_empty() {
                "nothing found"
            } else {
                "findings"
            },
            super::plural(r.files_scanned as usize, "file"),
            r.bytes_scanned,
            r.skipped.len(),
            r.errors.len(),
            if scan.accepted > 0 {
                format!("; {} accepted by the baseline", scan.accepted)
            } else {
                String::new()
            }
        );
        findings_table(&mut h, &r.findings, ".");
        if !r.errors.is_empty() {
            h.push_str("<h3>Could not be read</h3>\n<ul>\n");
            for (p, why) in &r.errors {
                let _ = writeln!(h, "<li><code>{}</code>: {}</li>", esc(p), esc(why));
            }
            h.push_str("</ul>\n");
        }
        out.write_all(page("tiercheck scan", &h).as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_never_opens_markup() {
        assert_eq!(esc("<script>a&b\"'"), "&lt;script&gt;a&amp;b&quot;&#39;");
        assert_eq!(with_code("run `a<b` now"), "run <code>a&lt;b</code> now");
    }
}
