//! `tiercheck scan`: the secret and personal-data scanner on its own, for pre-commit hooks
//! and CI. Exit 0 when nothing is found, 1 with findings, 2 on a usage or policy error.
//! A file that cannot be read is reported and the scan goes on.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};

use super::{PolicyArg, existing, shown};
use crate::artifact::Artifact;
use crate::error::ConfigError;
use crate::git::scan::{HistoryRange, Limit};
use crate::manifest::{self, find_governing};
use crate::report::{Format, GitScanInfo, Origin, ScanResult, join_path, plural};
use tiercheck_scan::baseline::Baseline;
use tiercheck_scan::{Category, DEFAULT_MAX_FILE_SIZE, ScanOptions, ScanReport, Scanner};

/// `tiercheck scan`.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// File or folder to scan (gitignore-aware; hidden files included, `.git/` skipped), or
    /// `-` for standard input.
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// Only rules of this category.
    #[arg(long, value_enum)]
    pub category: Option<CategoryArg>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Report only findings not recorded in this baseline file.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Record the current findings (by fingerprint, never the value) in FILE and exit 0.
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,
    /// Skip (and report) files larger than this many bytes (at most 1 GiB: a file is
    /// scanned in memory).
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_MAX_FILE_SIZE,
          value_parser = clap::value_parser!(u64).range(0..=tiercheck_scan::MAX_FILE_SIZE_LIMIT))]
    pub max_file_size: u64,
    /// Scan the staged content (the index entries that differ from HEAD), for pre-commit
    /// hooks; line numbers are those of the staged content.
    #[arg(long, conflicts_with = "history")]
    pub staged: bool,
    /// Scan every blob in the history (all branches and tags unless --branch); each finding
    /// names the commit that introduced it and whether HEAD still holds it.
    #[arg(long)]
    pub history: bool,
    /// With --history: only commits not reachable from REV.
    #[arg(long, value_name = "REV", requires = "history")]
    pub since: Option<String>,
    /// With --history: only commits reachable from REF (default: all refs).
    #[arg(long, value_name = "REF", requires = "history")]
    pub branch: Option<String>,
    #[command(flatten)]
    pub policy: PolicyArg,
}

/// `--category`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CategoryArg {
    /// Credentials: tokens, keys, passwords.
    Secret,
    /// Personal or customer data.
    Pii,
}

impl From<CategoryArg> for Category {
    fn from(c: CategoryArg) -> Self {
        match c {
            CategoryArg::Secret => Category::Secret,
            CategoryArg::Pii => Category::Pii,
        }
    }
}

/// The identities of the governing manifest's own people, whose emails are not findings.
fn own_people(path: &std::path::Path) -> Result<Vec<String>, ConfigError> {
    match find_governing(path)? {
        None => Ok(Vec::new()),
        Some(found) => Ok(crate::checks::content_scan::own_people(
            &manifest::load(&found)?.manifest,
        )),
    }
}

/// The descriptions of the rules behind `findings`, by rule id.
fn descriptions(
    policy: &crate::policy::Policy,
    findings: &[tiercheck_scan::Finding],
) -> std::collections::BTreeMap<String, String> {
    policy
        .rules
        .iter()
        .filter(|r| findings.iter().any(|f| f.rule_id == r.id.value))
        .map(|r| (r.id.value.clone(), r.description.trim().to_string()))
        .collect()
}

/// `scan -`: standard input, read whole (up to `--max-file-size`) and scanned as one file
/// named `-`.
fn stdin_report(
    args: &ScanArgs,
    scanner: &Scanner,
    opts: &ScanOptions,
) -> Result<tiercheck_scan::ScanReport, ConfigError> {
    use std::io::Read;
    if args.staged || args.history {
        return Err(ConfigError::plain(
            "`scan -` reads standard input; --staged and --history read git",
        ));
    }
    let mut bytes = Vec::new();
    std::io::stdin()
        .lock()
        .take(args.max_file_size.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| ConfigError::plain(format!("cannot read standard input: {e}")))?;
    let mut report = tiercheck_scan::ScanReport {
        findings: Vec::new(),
        skipped: Vec::new(),
        errors: Vec::new(),
        files_scanned: 0,
        bytes_scanned: 0,
    };
    if bytes.len() as u64 > args.max_file_size {
        report.skipped.push((
            "-".into(),
            format!("larger than --max-file-size ({} bytes)", args.max_file_size),
        ));
    } else if tiercheck_scan::is_binary(&bytes[..bytes.len().min(tiercheck_scan::BINARY_PROBE)]) {
        report.skipped.push(("-".into(), "binary".into()));
    } else {
        report.findings = scanner.scan_bytes("-", &bytes, opts);
        report.files_scanned = 1;
        report.bytes_scanned = bytes.len() as u64;
    }
    Ok(report)
}

pub(super) fn run(args: &ScanArgs, color: bool, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let policy = args.policy.load()?;
    if args.path.as_os_str() == "-" {
        let scanner =
            Scanner::new(&policy.scan_rules()).map_err(|e| ConfigError::plain(e.to_string()))?;
        let opts = ScanOptions {
            category: args.category.map(Category::from),
            ignore_values: Vec::new(),
            max_file_size: args.max_file_size,
            honour_allow_marker: true,
        };
        let report = stdin_report(args, &scanner, &opts)?;
        let blocked = !report.findings.is_empty() || !report.skipped.is_empty();
        args.format.report(color).findings(
            ScanResult {
                report: &report,
                accepted: 0,
                accepted_findings: Vec::new(),
                descriptions: descriptions(&policy, &report.findings),
                git: None,
            },
            out,
        )?;
        return Ok(if blocked {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        });
    }
    let path = existing(&args.path)?;
    let baseline = match &args.baseline {
        Some(b) => Some(Baseline::load(b).map_err(ConfigError::plain)?),
        None => None,
    };
    let git_mode = args.staged || args.history;
    let artifact = Artifact::new(&path, None, Vec::new());
    // The tree is walked while it is scanned (`Scanner::scan_walk`); git scans read the
    // index or the history, never the work tree.
    let scanner =
        Scanner::new(&policy.scan_rules()).map_err(|e| ConfigError::plain(e.to_string()))?;
    let abs = std::fs::canonicalize(&path)
        .map_err(|e| ConfigError::plain(format!("cannot resolve `{}`: {e}", path.display())))?;
    let opts = ScanOptions {
        category: args.category.map(Category::from),
        ignore_values: own_people(&abs)?,
        max_file_size: args.max_file_size,
        // `scan` is the author's own tool: their markers count (verify decides per tier).
        honour_allow_marker: true,
    };
    let progress = super::progress::Progress::start(
        &format!("scanning {}", path.display()),
        args.format.for_people(),
    );
    if git_mode {
        let ctx = GitCtx {
            scanner: &scanner,
            descriptions: policy
                .rules
                .iter()
                .map(|r| (r.id.value.clone(), r.description.trim().to_string()))
                .collect(),
            opts: &opts,
            baseline: baseline.as_ref(),
            color,
            format: args.format,
        };
        return git_scan(args, &abs, &ctx, progress, out);
    }
    let mut report = if artifact.only.is_some() {
        scanner.scan_files(&artifact.root, artifact.files(), &opts)
    } else {
        let (walker, refused) = crate::walk::guarded(&artifact.root, Vec::new());
        let mut r = scanner.scan_walk(&artifact.root, walker, &opts);
        r.errors
            .extend(crate::walk::refusals(&artifact.root, &refused));
        r.errors.sort();
        r
    };
    if let Some(file) = &args.write_baseline {
        return write_baseline(file, &report.findings);
    }
    let mut accepted_findings = Vec::new();
    if let Some(b) = &baseline {
        let all = std::mem::take(&mut report.findings);
        report.findings = b.filter(all.clone());
        let kept: std::collections::HashSet<&str> = report
            .findings
            .iter()
            .map(|f| f.fingerprint.as_str())
            .collect();
        accepted_findings = all
            .into_iter()
            .filter(|f| !kept.contains(f.fingerprint.as_str()))
            .collect();
    }
    let accepted = accepted_findings.len();
    // Fingerprints use paths relative to the scanned folder (stable wherever the scan runs
    // from); reports show them relative to the working folder.
    let prefix = shown(&artifact.root);
    for f in report
        .findings
        .iter_mut()
        .chain(accepted_findings.iter_mut())
    {
        f.path = join_path(&prefix, &f.path);
    }
    for (p, _) in report.skipped.iter_mut().chain(report.errors.iter_mut()) {
        *p = join_path(&prefix, p);
    }
    redact_names(&mut report, &scanner);
    scanner.redact_paths(&mut accepted_findings);
    let descriptions = descriptions(&policy, &report.findings);
    drop(progress);
    args.format.report(color).findings(
        ScanResult {
            report: &report,
            accepted,
            accepted_findings,
            descriptions,
            git: None,
        },
        out,
    )?;
    // The process ends right after this: freeing the compiled rules' automata and caches
    // is left to the operating system.
    std::mem::forget(scanner);
    // Content that could not be scanned (listed under errors) is not a clean result.
    Ok(if report.findings.is_empty() && report.errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

struct GitCtx<'a> {
    scanner: &'a Scanner,
    descriptions: std::collections::BTreeMap<String, String>,
    opts: &'a ScanOptions,
    baseline: Option<&'a Baseline>,
    color: bool,
    format: Format,
}

/// `scan --staged` and `scan --history`.
fn git_scan(
    args: &ScanArgs,
    abs: &std::path::Path,
    ctx: &GitCtx<'_>,
    progress: super::progress::Progress,
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    let flag = if args.staged { "--staged" } else { "--history" };
    let repo = crate::git::open(abs).map_err(|e| {
        ConfigError::plain(format!("`scan {flag}`: `{}`: {e}", args.path.display()))
            .with_help("run it inside a git working tree, or scan the folder without the flag")
    })?;
    let prefix = repo.relative(abs).unwrap_or_default();
    let limit = Limit {
        file: abs.is_file(),
        prefix,
    };
    let result = if args.staged {
        crate::git::scan::staged(&repo, &limit, ctx.scanner, ctx.opts)
    } else {
        let range = HistoryRange {
            since: args.since.clone(),
            branch: args.branch.clone(),
        };
        crate::git::scan::history(&repo, &limit, &range, ctx.scanner, ctx.opts)
    };
    let mut scan = result.map_err(|e| ConfigError::plain(format!("`scan {flag}`: {e}")))?;
    if let Some(file) = &args.write_baseline {
        let found: Vec<_> = scan.findings.iter().map(|g| g.finding.clone()).collect();
        return write_baseline(file, &found);
    }
    let mut accepted = 0;
    if let Some(b) = ctx.baseline {
        let before = scan.findings.len();
        let keep: std::collections::HashSet<String> = b
            .filter(scan.findings.iter().map(|g| g.finding.clone()).collect())
            .into_iter()
            .map(|f| f.fingerprint)
            .collect();
        scan.findings
            .retain(|g| keep.contains(&g.finding.fingerprint));
        accepted = before - scan.findings.len();
    }
    // Fingerprints use paths relative to the scanned folder; reports show them relative to
    // the working folder, like `scan PATH`.
    let base = if limit.file {
        abs.parent().unwrap_or(abs)
    } else {
        abs
    };
    let shown_prefix = shown(base);
    for g in &mut scan.findings {
        g.finding.path = join_path(&shown_prefix, &g.finding.path);
    }
    let wd = shown(repo.workdir());
    for (p, _) in scan.skipped.iter_mut().chain(scan.errors.iter_mut()) {
        if !p.starts_with("commit ") && p != "history" {
            *p = join_path(&wd, p);
        }
    }
    for n in &scan.notes {
        eprintln!("note: {n}");
    }
    if let Some(why) = &scan.nothing {
        eprintln!("{why}: 0 files scanned");
    }
    let mode = if args.staged { "staged" } else { "history" };
    let origins: Vec<Option<Origin>> = scan
        .findings
        .iter()
        .map(|g| {
            g.introduced.as_ref().map(|i| Origin {
                commit: i.commit.to_string(),
                short: crate::git::short(i.commit),
                present_at_head: i.present_at_head,
                // The author's name (repository text: redacted like any other).
                author: repo
                    .raw()
                    .find_commit(i.commit)
                    .ok()
                    .map(|c| String::from_utf8_lossy(c.author().name_bytes()).into_owned())
                    .map(|n| ctx.scanner.redact_text(&n).into_owned())
                    .unwrap_or_default(),
            })
        })
        .collect();
    let mut report = ScanReport {
        findings: scan.findings.iter().map(|g| g.finding.clone()).collect(),
        skipped: std::mem::take(&mut scan.skipped),
        errors: std::mem::take(&mut scan.errors),
        files_scanned: scan.files_scanned,
        bytes_scanned: scan.bytes_scanned,
    };
    redact_names(&mut report, ctx.scanner);
    let git = GitScanInfo {
        mode,
        origins,
        notes: &scan.notes,
        nothing: scan.nothing.as_deref(),
        blobs_scanned: scan.blobs_scanned,
        binary: scan.binary,
        commits_walked: scan.commits_walked,
    };
    drop(progress);
    ctx.format.report(ctx.color).findings(
        ScanResult {
            report: &report,
            accepted,
            accepted_findings: Vec::new(),
            descriptions: ctx.descriptions.clone(),
            git: Some(git),
        },
        out,
    )?;
    if args.staged && !report.findings.is_empty() {
        eprintln!(
            "commit blocked: the staged content holds {} finding{}. Remove each value (and rotate a \
             credential that was ever committed or shared), unstage it, or, for a false positive, \
             add `tiercheck:allow` on its line; known findings can be accepted with \
             `tiercheck scan --write-baseline FILE` and `--baseline FILE`.",
            report.findings.len(),
            if report.findings.len() == 1 { "" } else { "s" }
        );
    }
    // Content that could not be scanned (listed under errors) is not a clean result.
    Ok(if report.findings.is_empty() && report.errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Hides, in the paths and messages a scan reports, every value a rule would report: a
/// file named after a token is shown with the token redacted, as its content is.
fn redact_names(report: &mut ScanReport, scanner: &Scanner) {
    scanner.redact_paths(&mut report.findings);
    for (p, why) in report.skipped.iter_mut().chain(report.errors.iter_mut()) {
        scanner.redact_in_place(p);
        scanner.redact_in_place(why);
    }
}

/// Records `findings` (by fingerprint, never the value) in `file`.
fn write_baseline(
    file: &std::path::Path,
    findings: &[tiercheck_scan::Finding],
) -> anyhow::Result<ExitCode> {
    let b = Baseline::from_findings(findings);
    std::fs::write(file, b.to_json()).map_err(|e| {
        ConfigError::plain(format!("cannot write baseline {}: {e}", file.display()))
    })?;
    eprintln!(
        "wrote {} to {}",
        plural(b.findings.len(), "finding"),
        file.display()
    );
    Ok(ExitCode::SUCCESS)
}
