//! The Markdown report, for pull-request comments and CI job summaries: per artifact a
//! requirements table, then a section per unmet requirement with its evidence and fix,
//! then the findings (redacted).

use std::fmt::Write as _;
use std::io::{self, Write};

use super::{Report, ScanResult, join_path, level_words, location, telling_evidence, unmet};
use tiercheck_scan::Finding;

use crate::checks::Status;
use crate::evaluate::{ArtifactReport, RequirementResult};
use crate::policy::{Level, Policy};

/// Markdown output (GitHub-flavoured tables).
pub struct Markdown;

/// Text safe inside a table cell or a line: no table breaks, no line breaks, and no HTML
/// outside code spans (inside them `<` shows as written).
fn cell(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_code = false;
    for c in s.chars() {
        match c {
            '`' => {
                in_code = !in_code;
                out.push(c);
            }
            '|' => out.push_str("\\|"),
            '\n' | '\r' => out.push(' '),
            '<' if !in_code => out.push_str("&lt;"),
            '>' if !in_code => out.push_str("&gt;"),
            _ => out.push(c),
        }
    }
    out
}

/// Inline code that survives backticks in the text.
fn code(s: &str) -> String {
    let s = s.replace('|', "\\|").replace(['\n', '\r'], " ");
    if s.contains('`') {
        format!("`` {s} ``")
    } else {
        format!("`{s}`")
    }
}

fn mark(status: Status, level: Level) -> &'static str {
    match status {
        Status::Pass => "✅",
        Status::Fail => "❌",
        Status::Error => "⛔",
        Status::Warn => "⚠️",
        Status::Skip if level == Level::NotRequired => "➖",
        Status::Skip => "⏭️",
    }
}

fn findings_table(md: &mut String, findings: &[Finding], base: &str) {
    md.push_str("| rule | category | location | redacted |\n|---|---|---|---|\n");
    for f in findings {
        let at = format!("{}:{}:{}", join_path(base, &f.path), f.line, f.column);
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} |",
            code(&f.rule_id),
            cell(&f.category),
            code(&at),
            code(&f.redacted)
        );
    }
}

fn details(md: &mut String, a: &ArtifactReport, r: &RequirementResult) {
    let _ = writeln!(
        md,
        "\n#### {} {}: {} ({}, {})\n",
        mark(r.status, r.level),
        cell(&r.id),
        cell(&r.title),
        level_words(r.level),
        r.status.as_str()
    );
    for e in telling_evidence(r) {
        let at = e
            .path
            .as_deref()
            .map(|p| format!("{} ", code(&location(&join_path(&a.folder, p), e.line))))
            .unwrap_or_default();
        let _ = writeln!(md, "- {at}{} ({})", cell(&e.message), code(&e.signal));
    }
    if let Some(fix) = &r.remediation {
        let _ = writeln!(md, "\n**To fix:** {}", cell(fix.trim()));
    }
}

fn artifact(md: &mut String, a: &ArtifactReport) {
    if let Some(e) = &a.error {
        let _ = writeln!(
            md,
            "### tiercheck: {} — ⛔ could not be checked\n\nIts manifest {} could not be read, so nothing was checked:\n\n~~~~text\n{}\n~~~~\n",
            code(&a.path),
            code(a.manifest.as_deref().unwrap_or("")),
            e.replace("~~~~", "~ ~ ~ ~")
        );
        return;
    }
    let verdict = if a.passed { "✅ passed" } else { "❌ failed" };
    let _ = writeln!(
        md,
        "### tiercheck: {} is {} {} — {verdict}\n",
        code(&a.path),
        cell(&a.tier),
        cell(&a.tier_name)
    );
    let _ = writeln!(md, "{}\n", cell(&a.reason));
    if !a.ships_with.is_empty() {
        let files: Vec<String> = a.ships_with.iter().map(|f| code(f)).collect();
        let _ = writeln!(md, "Ships with {}.\n", files.join(", "));
    }
    for e in &a.classification.audience {
        let _ = writeln!(
            md,
            "⚠️ **Audience:** {} ({})\n",
            cell(&e.message),
            code(&e.signal)
        );
    }
    if !a.classification.data.is_empty() {
        md.push_str("**Data in the files** (check it is meant to be shared):\n\n");
        for d in &a.classification.data {
            let at = format!("{}:{}", join_path(&a.folder, &d.path), d.line);
            let _ = writeln!(
                md,
                "- {} ({}) in {}: {} {}",
                cell(&d.what),
                cell(&d.answer),
                code(&at),
                code(&d.rule_id),
                code(&d.redacted)
            );
        }
        md.push('\n');
    }
    md.push_str("| | id | title | level | status |\n|---|---|---|---|---|\n");
    for r in &a.requirements {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} |",
            mark(r.status, r.level),
            code(&r.id),
            cell(&r.title),
            level_words(r.level),
            super::status_word(r)
        );
    }
    let open: Vec<&RequirementResult> = a.requirements.iter().filter(|r| unmet(r)).collect();
    if !open.is_empty() {
        md.push_str("\n<details open><summary>What is not met</summary>\n");
        for r in open {
            details(md, a, r);
        }
        md.push_str("\n</details>\n");
    }
    let through = super::let_through(a);
    if !through.is_empty() {
        md.push_str("\n#### Let through by the policy (waived, suppressed or only claimed)\n\n");
        for (id, e) in &through {
            let at = e
                .path
                .as_deref()
                .map(|p| format!(" {}", code(&location(&join_path(&a.folder, p), e.line))))
                .unwrap_or_default();
            let _ = writeln!(
                md,
                "- {}{at}: {} ({})",
                code(id),
                cell(&e.message),
                code(&e.signal)
            );
        }
    }
    if !a.findings.is_empty() {
        let _ = writeln!(md, "\n#### Findings ({})\n", a.findings.len());
        findings_table(md, &a.findings, &a.folder);
    }
}

impl Report for Markdown {
    fn matrix(&self, policy: &Policy, out: &mut dyn Write) -> io::Result<()> {
        let tiers = policy.tier_ids();
        let mut md = String::from("| id | requirement |");
        for t in &tiers {
            let _ = write!(md, " {} |", cell(t));
        }
        md.push_str("\n|---|---|");
        md.push_str(&"---|".repeat(tiers.len()));
        md.push('\n');
        for r in &policy.requirements {
            let _ = write!(md, "| {} | {} |", code(&r.id.value), cell(&r.title));
            for t in &tiers {
                let _ = write!(md, " {} |", policy.level(r, t).mark());
            }
            md.push('\n');
        }
        md.push_str("\n✓ required, ! recommended, – not required\n");
        out.write_all(md.as_bytes())
    }

    fn artifacts(&self, reports: &[ArtifactReport], out: &mut dyn Write) -> io::Result<()> {
        let mut md = String::new();
        for (i, a) in reports.iter().enumerate() {
            if i > 0 {
                md.push('\n');
            }
            artifact(&mut md, a);
        }
        if let Some(r) = reports.first() {
            let files: Vec<String> = r
                .policy
                .iter()
                .map(|p| format!("`{}`", p.short()))
                .collect();
            let _ = writeln!(md, "\nPolicy applied: {}", files.join(", "));
            if r.trust_repo {
                let _ = writeln!(
                    md,
                    "\n**`--trust-repo`**: the repository's allow markers, ignore files, baseline and waivers counted at every tier."
                );
            }
        }
        out.write_all(md.as_bytes())
    }

    fn findings(&self, scan: ScanResult<'_>, out: &mut dyn Write) -> io::Result<()> {
        let r = scan.report;
        let mut md = String::new();
        let verdict = if r.findings.is_empty() {
            "✅ nothing found"
        } else {
            "❌ findings"
        };
        let _ = writeln!(md, "### tiercheck scan — {verdict}\n");
        let _ = write!(
            md,
            "{}; scanned {} ({} bytes), {} skipped",
            super::plural(r.findings.len(), "finding"),
            super::plural(r.files_scanned as usize, "file"),
            r.bytes_scanned,
            r.skipped.len()
        );
        if scan.accepted > 0 {
            let _ = write!(md, ", {} accepted by the baseline", scan.accepted);
        }
        md.push_str(".\n");
        if !r.findings.is_empty() {
            md.push('\n');
            findings_table(&mut md, &r.findings, "");
        }
        if !r.errors.is_empty() {
            md.push_str("\n**Unreadable files**\n\n");
            for (p, e) in &r.errors {
                let _ = writeln!(md, "- {}: {}", code(p), cell(e));
            }
        }
        out.write_all(md.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_keep_tables_and_code_spans_intact() {
        assert_eq!(cell("a | b\nc"), "a \\| b c");
        assert_eq!(
            cell("<b> run `x --by <owner>`"),
            "&lt;b&gt; run `x --by <owner>`"
        );
        assert_eq!(code("a`b"), "`` a`b ``");
        assert_eq!(code("p|q"), "`p\\|q`");
    }
}
