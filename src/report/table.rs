//! The table report for people: the matrix with ✓ ✗ ! – marks, then for each requirement
//! that is not met, its evidence and what to do.

use std::io::{self, Write};

use colored::{ColoredString, Colorize};

use super::{Report, ScanResult, plural};
use crate::checks::{Evidence, Status};
use crate::evaluate::{ArtifactReport, RequirementResult};
use crate::policy::{Level, Policy};

/// Plain or colored text tables.
pub struct Table {
    /// Whether to emit ANSI colors.
    pub color: bool,
}

impl Table {
    fn paint(&self, s: &str, f: impl Fn(&str) -> ColoredString) -> String {
        if self.color {
            f(s).to_string()
        } else {
            s.to_string()
        }
    }

    fn status_mark(&self, status: Status, level: Level) -> String {
        match status {
            Status::Pass => self.paint("✓", |s| s.green()),
            Status::Fail => self.paint("✗", |s| s.red().bold()),
            Status::Error => self.paint("✗", |s| s.magenta().bold()),
            Status::Warn => self.paint("!", |s| s.yellow().bold()),
            Status::Skip if level == Level::NotRequired => self.paint("–", |s| s.dimmed()),
            Status::Skip => self.paint("–", |s| s.cyan()),
        }
    }

    fn status_word(&self, r: &RequirementResult) -> String {
        let word = super::status_word(r);
        match r.status {
            Status::Pass => self.paint(word, |s| s.green()),
            Status::Fail => self.paint(word, |s| s.red().bold()),
            Status::Error => self.paint(word, |s| s.magenta().bold()),
            Status::Warn => self.paint(word, |s| s.yellow()),
            Status::Skip => self.paint(word, |s| s.dimmed()),
        }
    }
}

fn location(e: &Evidence) -> String {
    match (&e.path, e.line) {
        (Some(p), Some(l)) => format!(" ({p}:{l})"),
        (Some(p), None) => format!(" ({p})"),
        _ => String::new(),
    }
}

/// More evidence items of one signal than this are collapsed to the first [`COLLAPSE_TO`].
const COLLAPSE_OVER: usize = 5;
const COLLAPSE_TO: usize = 3;

/// The width to fit the table to: `COLUMNS` when set, else the terminal's, else 80.
fn width() -> usize {
    if let Some(n) = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|n| *n >= 20)
    {
        return n;
    }
    match terminal_size::terminal_size() {
        Some((terminal_size::Width(w), _)) if w >= 20 => w as usize,
        _ => 80,
    }
}

/// How wide `s` shows: characters, not counting ANSI color sequences.
fn visible(s: &str) -> usize {
    let mut n = 0;
    let mut in_escape = false;
    for c in s.chars() {
        match (in_escape, c) {
            (false, '\u{1b}') => in_escape = true,
            (true, 'm') => in_escape = false,
            (true, _) => {}
            (false, _) => n += 1,
        }
    }
    n
}

/// Each line of `text` longer than `width` broken at spaces, its continuation lines
/// indented two past the line's own indentation (past a leading mark such as `✓ `); a word
/// longer than the width (a long path) stays whole.
fn fit(text: &str, width: usize) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 16);
    for line in text.split_inclusive('\n') {
        let body = line.strip_suffix('\n').unwrap_or(line);
        if visible(body) <= width {
            out.push_str(line);
            continue;
        }
        let lead = body.len() - body.trim_start().len();
        let rest = &body[lead..];
        // A one-character mark and a space (`✓ `, `! `) count as indentation.
        let mark = rest
            .chars()
            .next()
            .filter(|_| rest.chars().nth(1) == Some(' '))
            .map_or(0, |_| 2);
        let indent = " ".repeat((lead + mark + 2).min(width / 2));
        let mut cur = String::from(&body[..lead]);
        let mut cur_w = lead;
        let mut first = true;
        for word in rest.split(' ') {
            let w = visible(word);
            let room = if cur_w == lead || cur_w == indent.len() && !first {
                0
            } else {
                1
            };
            if cur_w + room + w > width && cur_w > indent.len() {
                out.push_str(cur.trim_end());
                out.push('\n');
                cur = indent.clone();
                cur_w = indent.len();
                first = false;
            } else if room == 1 {
                cur.push(' ');
                cur_w += 1;
            }
            cur.push_str(word);
            cur_w += w;
        }
        out.push_str(cur.trim_end());
        out.push('\n');
    }
    out
}

fn wrap(text: &str, width: usize, indent: &str) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            out.push_str(indent);
            out.push_str(&line);
            out.push('\n');
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        out.push_str(indent);
        out.push_str(&line);
        out.push('\n');
    }
    out
}

impl Report for Table {
    fn matrix(&self, policy: &Policy, out: &mut dyn Write) -> io::Result<()> {
        let id_w = policy
            .requirements
            .iter()
            .map(|r| r.id.value.chars().count())
            .max()
            .unwrap_or(2);
        let title_w = policy
            .requirements
            .iter()
            .map(|r| r.title.chars().count())
            .max()
            .unwrap_or(5);
        let tiers = policy.tier_ids();
        let tier_w = tiers
            .iter()
            .map(|t| t.chars().count())
            .max()
            .unwrap_or(2)
            .max(2);
        // Cells are padded outside the color codes so lines can be trimmed at the end.
        let centered = |text: &str, painted: String| {
            let free = tier_w.saturating_sub(text.chars().count());
            let left = free / 2;
            format!("{}{painted}{}", " ".repeat(left), " ".repeat(free - left))
        };
        let mut line = format!("{:id_w$}  {:title_w$}", "id", "Requirement");
        for t in &tiers {
            line.push_str("  ");
            line.push_str(&centered(t, self.paint(t, |s| s.bold())));
        }
        writeln!(out, "{}", line.trim_end())?;
        for r in &policy.requirements {
            let mut line = format!("{:id_w$}  {:title_w$}", r.id.value, r.title);
            for t in &tiers {
                let level = policy.level(r, t);
                let mark = level.mark();
                let painted = match level {
                    Level::Required => self.paint(mark, |s| s.green()),
                    Level::Recommended => self.paint(mark, |s| s.yellow()),
                    Level::NotRequired => self.paint(mark, |s| s.dimmed()),
                };
                line.push_str("  ");
                line.push_str(&centered(mark, painted));
            }
            writeln!(out, "{}", line.trim_end())?;
        }
        writeln!(out)?;
        for t in &policy.tiers {
            writeln!(out, "{} {}: {}", t.id.value, t.name, t.description.trim())?;
        }
        writeln!(out)?;
        writeln!(
            out,
            "✓ required   ! recommended (a warning unless --strict)   – not required"
        )
    }

    fn artifacts(&self, reports: &[ArtifactReport], out: &mut dyn Write) -> io::Result<()> {
        // Written whole, then fitted to the terminal's width line by line.
        let width = width();
        let mut text: Vec<u8> = Vec::new();
        self.artifacts_unfitted(reports, width, &mut text)?;
        out.write_all(fit(&String::from_utf8_lossy(&text), width).as_bytes())
    }

    fn findings(&self, scan: ScanResult<'_>, out: &mut dyn Write) -> io::Result<()> {
        self.findings_table(scan, out)
    }
}

impl Table {
    fn artifacts_unfitted(
        &self,
        reports: &[ArtifactReport],
        width: usize,
        out: &mut dyn Write,
    ) -> io::Result<()> {
        for (i, r) in reports.iter().enumerate() {
            if i > 0 {
                writeln!(out)?;
            }
            self.artifact(r, width, out)?;
        }
        if reports.len() > 1 {
            let failed = reports.iter().filter(|r| !r.passed).count();
            writeln!(out)?;
            writeln!(
                out,
                "{} artifacts verified: {} passed, {} failed",
                reports.len(),
                reports.len() - failed,
                failed
            )?;
        }
        if let Some(r) = reports.first() {
            let files: Vec<String> = r.policy.iter().map(|p| p.short()).collect();
            writeln!(out, "policy: {}", files.join(", "))?;
            if r.trust_repo {
                writeln!(
                    out,
                    "--trust-repo: the repository's allow markers, ignore files, baseline and waivers counted at every tier"
                )?;
            }
        }
        Ok(())
    }

    fn findings_table(&self, scan: ScanResult<'_>, out: &mut dyn Write) -> io::Result<()> {
        let r = scan.report;
        let git = scan.git.as_ref();
        for (i, f) in r.findings.iter().enumerate() {
            let loc = format!("{}:{}:{}", f.path, f.line, f.column);
            let origin = match git.and_then(|g| g.origins.get(i)).and_then(Option::as_ref) {
                Some(o) => format!(
                    "  commit {} ({})",
                    o.short,
                    if o.present_at_head {
                        "still at HEAD"
                    } else {
                        "removed since"
                    }
                ),
                None => String::new(),
            };
            writeln!(
                out,
                "{}  {}  {}{origin}",
                self.paint(&loc, |s| s.bold()),
                self.paint(&f.rule_id, |s| s.red()),
                f.redacted
            )?;
        }
        // A tree scan skips binary files by the thousand; a git scan lists what it skipped.
        for (p, why) in r
            .skipped
            .iter()
            .filter(|(_, why)| git.is_some() || why != "binary")
        {
            writeln!(out, "skipped {p}: {why}")?;
        }
        for (p, e) in &r.errors {
            writeln!(out, "error {p}: {e}")?;
        }
        for n in git.map(|g| g.notes).unwrap_or_default() {
            writeln!(out, "note: {n}")?;
        }
        let files: std::collections::BTreeSet<&str> =
            r.findings.iter().map(|f| f.path.as_str()).collect();
        let mut summary = match git {
            None => format!(
                "{} in {}; scanned {} ({} bytes), {} skipped",
                plural(r.findings.len(), "finding"),
                plural(files.len(), "file"),
                plural(r.files_scanned as usize, "file"),
                r.bytes_scanned,
                r.skipped.len()
            ),
            Some(g) => {
                let mut s = format!(
                    "{} in {}; scanned {} ({}, {} bytes)",
                    plural(r.findings.len(), "finding"),
                    plural(files.len(), "file"),
                    plural(r.files_scanned as usize, "file"),
                    plural(g.blobs_scanned as usize, "distinct blob"),
                    r.bytes_scanned
                );
                if g.commits_walked > 0 {
                    s.push_str(&format!(
                        " from {}",
                        plural(g.commits_walked as usize, "commit")
                    ));
                }
                if g.binary > 0 {
                    s.push_str(&format!(", {} binary", g.binary));
                }
                s
            }
        };
        if !r.errors.is_empty() {
            summary.push_str(&format!(", {} unreadable", r.errors.len()));
        }
        if scan.accepted > 0 {
            summary.push_str(&format!(", {} accepted by the baseline", scan.accepted));
        }
        if let Some(why) = git.and_then(|g| g.nothing) {
            summary.push_str(&format!(" — {why}"));
        }
        writeln!(out, "{summary}")
    }
}

impl Table {
    fn artifact(&self, r: &ArtifactReport, width: usize, out: &mut dyn Write) -> io::Result<()> {
        if let Some(e) = &r.error {
            writeln!(
                out,
                "{} ({})",
                self.paint(&r.path, |s| s.bold()),
                r.manifest.as_deref().unwrap_or("")
            )?;
            writeln!(
                out,
                "{} its manifest could not be read, so nothing was checked:",
                self.paint("✗ error:", |s| s.magenta().bold())
            )?;
            for line in e.lines() {
                writeln!(out, "    {line}")?;
            }
            writeln!(out, "\nERROR: not checked")?;
            return Ok(());
        }
        let manifest = r
            .manifest
            .as_deref()
            .map(|m| format!(" ({m})"))
            .unwrap_or_else(|| " (no manifest)".into());
        writeln!(out, "{}{}", self.paint(&r.path, |s| s.bold()), manifest)?;
        if !r.ships_with.is_empty() {
            writeln!(out, "Ships with: {}", r.ships_with.join(", "))?;
        }
        let tier = format!("{} {}", r.tier, r.tier_name);
        writeln!(
            out,
            "Tier {}: {}",
            self.paint(&tier, |s| s.bold()),
            r.reason
        )?;
        if r.classification.data_under_classified {
            writeln!(
                out,
                "{} the data answer is lower than what the files hold; requirements are checked at {}",
                self.paint("✗ under-classified:", |s| s.red().bold()),
                r.tier
            )?;
        } else if r.classification.under_classified {
            writeln!(
                out,
                "{} the manifest declares a lower tier than its answers imply; requirements are checked at {}",
                self.paint("✗ under-classified:", |s| s.red().bold()),
                r.tier
            )?;
        }
        for a in &r.classification.audience {
            let at = match (&a.path, a.line) {
                (Some(p), Some(l)) => format!(" ({p}:{l})"),
                (Some(p), None) if !a.message.starts_with(p.as_str()) => format!(" ({p})"),
                _ => String::new(),
            };
            writeln!(
                out,
                "{} {}{at} [{}]",
                self.paint("! audience:", |s| s.yellow().bold()),
                a.message,
                a.signal
            )?;
        }
        if !r.classification.data.is_empty() {
            writeln!(out, "Data in the files (check it is meant to be shared):")?;
            for d in &r.classification.data {
                writeln!(
                    out,
                    "    {} ({}) in {}:{}  {}  {}",
                    d.what, d.answer, d.path, d.line, d.rule_id, d.redacted
                )?;
            }
        }
        writeln!(out)?;
        let id_w = r
            .requirements
            .iter()
            .map(|q| q.id.chars().count())
            .max()
            .unwrap_or(2);
        let title_w = r
            .requirements
            .iter()
            .map(|q| q.title.chars().count())
            .max()
            .unwrap_or(5);
        for q in &r.requirements {
            let level = match q.level {
                Level::Required => "required",
                Level::Recommended => "recommended",
                Level::NotRequired => "",
            };
            // The title goes first when the row would not fit the width.
            if 2 + 2 + id_w + 2 + title_w + 2 + 11 + 2 + 12 <= width {
                writeln!(
                    out,
                    "  {} {:id_w$}  {:title_w$}  {:11}  {}",
                    self.status_mark(q.status, q.level),
                    q.id,
                    q.title,
                    level,
                    self.status_word(q)
                )?;
            } else {
                writeln!(
                    out,
                    "  {} {:id_w$}  {:11}  {}",
                    self.status_mark(q.status, q.level),
                    q.id,
                    level,
                    self.status_word(q)
                )?;
            }
        }
        let open: Vec<_> = r
            .requirements
            .iter()
            .filter(|q| {
                matches!(q.status, Status::Fail | Status::Error | Status::Warn)
                    // A passing requirement with a warning of its own (an unused waiver).
                    || q.evidence_status.contains(&Status::Warn)
            })
            .collect();
        for q in &open {
            writeln!(out)?;
            writeln!(
                out,
                "{} {} — {}",
                self.status_mark(q.status, q.level),
                self.paint(&q.id, |s| s.bold()),
                q.title
            )?;
            // A long list of one kind (twenty unreviewed commits) shows its first few and a
            // count; `--format json` lists every item.
            let mut shown: std::collections::HashMap<&str, usize> = Default::default();
            let total = |signal: &str| q.evidence.iter().filter(|e| e.signal == signal).count();
            for (i, e) in q.evidence.iter().enumerate() {
                let seen = shown.entry(e.signal.as_str()).or_insert(0);
                *seen += 1;
                let all = total(&e.signal);
                if all > COLLAPSE_OVER && *seen > COLLAPSE_TO {
                    if *seen == COLLAPSE_TO + 1 {
                        writeln!(
                            out,
                            "    … and {} more [{}] (`--format json` lists them all)",
                            all - COLLAPSE_TO,
                            e.signal
                        )?;
                    }
                    continue;
                }
                let mark = match q.evidence_status.get(i) {
                    Some(s) => self.status_mark(*s, Level::Required),
                    None => "-".to_string(),
                };
                writeln!(
                    out,
                    "    {mark} {}{} [{}]",
                    e.message,
                    location(e),
                    e.signal
                )?;
            }
            if let Some(fix) = &q.remediation {
                let text = wrap(fix, width.saturating_sub(6).max(30), "      ");
                writeln!(out, "    {}", self.paint("fix:", |s| s.cyan().bold()))?;
                write!(out, "{text}")?;
            }
        }
        let through = super::let_through(r);
        if !through.is_empty() {
            writeln!(out)?;
            writeln!(
                out,
                "Let through by the policy (waived, suppressed or only claimed):"
            )?;
            for (id, e) in &through {
                writeln!(out, "    {id}: {}{} [{}]", e.message, location(e), e.signal)?;
            }
        }
        if !r.findings.is_empty() {
            writeln!(out)?;
            writeln!(out, "Findings:")?;
            for f in &r.findings {
                writeln!(
                    out,
                    "    {}:{}:{}  {}  {}  {}",
                    f.path, f.line, f.column, f.category, f.rule_id, f.redacted
                )?;
            }
        }
        writeln!(out)?;
        let not_met = |lvl: Level| {
            r.requirements
                .iter()
                .filter(|q| {
                    q.level == lvl
                        && matches!(q.status, Status::Fail | Status::Error | Status::Warn)
                })
                .count()
        };
        let (req_open, rec_open) = (not_met(Level::Required), not_met(Level::Recommended));
        let verdict = if r.passed {
            self.paint("PASS", |s| s.green().bold())
        } else {
            self.paint("FAIL", |s| s.red().bold())
        };
        let mut parts = vec![format!("{req_open} required not met")];
        if rec_open > 0 {
            parts.push(format!("{rec_open} recommended not met"));
        }
        if r.classification.under_classified {
            parts.push("under-classified".into());
        }
        writeln!(out, "{verdict} at {}: {}", r.tier, parts.join(", "))
    }
}

/// The first sentence of a fix text: up to the first `. ` that is not inside backticks.
fn first_sentence(text: &str) -> &str {
    let mut in_code = false;
    let bytes = text.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        match b {
            b'`' => in_code = !in_code,
            b'.' if !in_code && bytes.get(i + 1).is_none_or(|n| n.is_ascii_whitespace()) => {
                return &text[..=i];
            }
            _ => {}
        }
    }
    text
}

/// The numbered to-do list `assess` ends with on a terminal: one line per unmet required
/// requirement (the first sentence of its fix, which names the command or the edit), after
/// the answer to give when the files show more data than the answer given (`data_answer`).
pub fn todo_list(
    r: &ArtifactReport,
    data_answer: Option<&str>,
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut items: Vec<String> = Vec::new();
    if let Some(answer) = data_answer {
        items.push(format!(
            "Give the answer the files show: `tiercheck assess {} --data {answer} --write`, or take that data out of the files.",
            crate::artifact::shell_word(&r.path)
        ));
    }
    for q in &r.requirements {
        let unmet = matches!(q.status, Status::Fail | Status::Error) && q.level == Level::Required;
        if let (true, Some(fix)) = (unmet, &q.remediation) {
            items.push(format!("{}: {}", q.id, first_sentence(fix.trim())));
        }
    }
    if items.is_empty() {
        return Ok(());
    }
    writeln!(out, "\nTo do:")?;
    let width = width();
    for (i, item) in items.iter().enumerate() {
        let lead = format!("{:>2}. ", i + 1);
        let text = wrap(item, width.saturating_sub(lead.len()).max(30), "    ");
        write!(out, "{lead}{}", text.trim_start())?;
    }
    Ok(())
}

#[cfg(test)]
mod todo_tests {
    use super::first_sentence;

    #[test]
    fn a_sentence_ends_outside_backticks() {
        assert_eq!(
            first_sentence("Run `tiercheck review . --by x`. Then wait."),
            "Run `tiercheck review . --by x`."
        );
        assert_eq!(
            first_sentence("Set `owner:` in a.py.tier.yaml now"),
            "Set `owner:` in a.py.tier.yaml now"
        );
        assert_eq!(
            first_sentence("Set it in .tier.yaml. More."),
            "Set it in .tier.yaml."
        );
    }
}
