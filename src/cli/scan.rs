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
use crate::manifest::{self, find_governing};
use crate::report::{Format, ScanResult};
use crate::scan::baseline::Baseline;
use crate::scan::{Category, DEFAULT_MAX_FILE_SIZE, ScanOptions, Scanner};

/// `tiercheck scan`.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// File or folder to scan (gitignore-aware; hidden files included, `.git/` skipped).
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
    /// Skip (and report) files larger than this many bytes.
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_MAX_FILE_SIZE)]
    pub max_file_size: u64,
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
    match find_governing(path) {
        None => Ok(Vec::new()),
        Some(found) => Ok(crate::checks::content_scan::own_people(
            &manifest::load(&found)?.manifest,
        )),
    }
}

pub(super) fn run(args: &ScanArgs, color: bool, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let policy = args.policy.load()?;
    let path = existing(&args.path)?;
    let baseline = match &args.baseline {
        Some(b) => Some(Baseline::load(b).map_err(ConfigError::plain)?),
        None => None,
    };
    let artifact = Artifact::new(&path, None, Vec::new());
    // Compile the rules while the tree is walked: both take a while on their own.
    let scanner = std::thread::scope(|s| {
        let compiled = s.spawn(|| Scanner::from_policy(&policy));
        artifact.files();
        compiled.join()
    })
    .map_err(|_| anyhow::anyhow!("compiling the rules failed"))??;
    let abs = std::fs::canonicalize(&path)
        .map_err(|e| ConfigError::plain(format!("cannot resolve `{}`: {e}", path.display())))?;
    let opts = ScanOptions {
        category: args.category.map(Category::from),
        ignore_values: own_people(&abs)?,
        max_file_size: args.max_file_size,
    };
    let mut report = scanner.scan_files(&artifact.root, artifact.files(), &opts);
    if let Some(file) = &args.write_baseline {
        let b = Baseline::from_findings(&report.findings);
        std::fs::write(file, b.to_json()).map_err(|e| {
            ConfigError::plain(format!("cannot write baseline {}: {e}", file.display()))
        })?;
        eprintln!(
            "wrote {} finding{} to {}",
            b.findings.len(),
            if b.findings.len() == 1 { "" } else { "s" },
            file.display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let mut accepted = 0;
    if let Some(b) = &baseline {
        let before = report.findings.len();
        report.findings = b.filter(std::mem::take(&mut report.findings));
        accepted = before - report.findings.len();
    }
    // Fingerprints use paths relative to the scanned folder (stable wherever the scan runs
    // from); reports show them relative to the working folder.
    let prefix = shown(&artifact.root);
    for f in &mut report.findings {
        f.path = join(&prefix, &f.path);
    }
    for (p, _) in report.skipped.iter_mut().chain(report.errors.iter_mut()) {
        *p = join(&prefix, p);
    }
    args.format.report(color).findings(
        ScanResult {
            report: &report,
            accepted,
        },
        out,
    )?;
    Ok(if report.findings.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn join(prefix: &str, path: &str) -> String {
    if prefix == "." || prefix.is_empty() {
        path.to_string()
    } else {
        format!("{}/{path}", prefix.trim_end_matches('/'))
    }
}
