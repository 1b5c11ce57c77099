//! The command line: argument definitions and dispatch to each command.

mod assess;
mod explain;
mod hook;
mod matrix;
mod policy_cmd;
mod progress;
mod review;
mod scan;
mod verify;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::error::ConfigError;
use crate::policy::Policy;
use crate::report::Format;

/// Which governance tier is this code in, and does it meet that tier's requirements?
#[derive(Debug, Parser)]
#[command(name = "tiercheck", version, about, long_about = None)]
pub struct Cli {
    /// When to color the output (auto honours NO_COLOR, CLICOLOR, CLICOLOR_FORCE and
    /// TERM=dumb).
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true)]
    pub color: ColorChoice,
    /// Write the report to FILE instead of stdout, and a one-line verdict to stderr.
    #[arg(long, short = 'o', value_name = "FILE", global = true)]
    pub output: Option<PathBuf>,
    /// Print no report: the exit code says it all (errors still go to stderr).
    #[arg(long, short = 'q', global = true, conflicts_with = "output")]
    pub quiet: bool,
    #[command(subcommand)]
    pub command: Command,
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Color when writing to a terminal and NO_COLOR is not set.
    Auto,
    /// Always color.
    Always,
    /// Never color.
    Never,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Classify code by who uses its output and what data it touches, then check it against
    /// its tier's requirements.
    Assess(assess::AssessArgs),
    /// Check code against the tier its .tier.yaml declares or implies.
    Verify(verify::VerifyArgs),
    /// Record that someone reviewed the code as it is now (bound to its content digest).
    Review(review::ReviewArgs),
    /// Scan files for secrets and personal data.
    Scan(scan::ScanArgs),
    /// Print the requirements matrix: which requirement each tier needs.
    Matrix(MatrixArgs),
    /// Show or check a policy.
    #[command(subcommand)]
    Policy(policy_cmd::PolicyCommand),
    /// What a requirement or a detection rule is for, the evidence it looks for, and how to
    /// meet it.
    Explain(explain::ExplainArgs),
    /// Install tiercheck as a git hook.
    #[command(subcommand)]
    Hook(hook::HookCommand),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), as `man` reads it: `tiercheck man | man -l -`.
    Man,
}

/// Options shared by commands that read a policy.
#[derive(Debug, Clone, Args)]
pub struct PolicyArg {
    /// Policy file to use instead of the built-in default (may say `extends: default`).
    #[arg(long, value_name = "FILE", env = "TIERCHECK_POLICY")]
    pub policy: Option<PathBuf>,
}

impl PolicyArg {
    /// Loads the policy named, or the built-in default.
    pub fn load(&self) -> Result<Policy, ConfigError> {
        match &self.policy {
            Some(p) => crate::policy::load_file(p),
            None => crate::policy::load_default(),
        }
    }
}

/// `tiercheck matrix`.
#[derive(Debug, Args)]
pub struct MatrixArgs {
    #[command(flatten)]
    pub policy: PolicyArg,
    /// Output format (the matrix has no results, so no SARIF or JUnit).
    #[arg(long, value_enum, default_value_t = MatrixFormat::Table)]
    pub format: MatrixFormat,
}

/// The formats the matrix can be printed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MatrixFormat {
    /// A table for people.
    Table,
    /// JSON for scripts.
    Json,
    /// Markdown.
    Markdown,
    /// One self-contained HTML page.
    Html,
}

impl From<MatrixFormat> for Format {
    fn from(f: MatrixFormat) -> Format {
        match f {
            MatrixFormat::Table => Format::Table,
            MatrixFormat::Json => Format::Json,
            MatrixFormat::Markdown => Format::Markdown,
            MatrixFormat::Html => Format::Html,
        }
    }
}

/// Whether to color stdout: `--color`, else what anstream decides from the environment's
/// conventions: `NO_COLOR` (set, not empty) turns colour off, `CLICOLOR_FORCE` colours even a
/// pipe, `CLICOLOR=0` turns it off, and a terminal gets colour unless `TERM=dumb`.
fn use_color(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            anstream::AutoStream::choice(&std::io::stdout()) != anstream::ColorChoice::Never
        }
    }
}

/// `--version`: the tool's version and the digest of the policy built into it.
fn version_text() -> &'static str {
    use sha2::Digest;
    let hex: String = sha2::Sha256::digest(crate::policy::DEFAULT_POLICY.as_bytes())
        .iter()
        .take(6)
        .map(|b| format!("{b:02x}"))
        .collect();
    let text = format!(
        "{} (built-in policy sha256:{hex}…)",
        env!("CARGO_PKG_VERSION")
    );
    Box::leak(text.into_boxed_str())
}

/// Today's date; `TIERCHECK_TODAY` (YYYY-MM-DD) fixes it for reproducible runs.
pub(crate) fn today() -> Result<chrono::NaiveDate, ConfigError> {
    match std::env::var("TIERCHECK_TODAY") {
        Ok(s) => chrono::NaiveDate::parse_from_str(&s, "%Y-%m-%d").map_err(|_| {
            ConfigError::plain(format!("TIERCHECK_TODAY `{s}` is not a date"))
                .with_help("write it as YYYY-MM-DD")
        }),
        Err(_) => Ok(chrono::Local::now().date_naive()),
    }
}

/// Checks that a PATH argument exists.
pub(crate) fn existing(path: &Path) -> Result<PathBuf, ConfigError> {
    if path.exists() {
        Ok(path.to_path_buf())
    } else {
        Err(ConfigError::plain(format!(
            "path `{}` does not exist",
            path.display()
        )))
    }
}

pub(crate) use crate::artifact::shown;

/// Runs tiercheck with the process arguments and returns its exit code.
pub fn main() -> ExitCode {
    use clap::{CommandFactory, FromArgMatches};
    let matches = Cli::command().version(version_text()).get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(c) => c,
        Err(e) => e.exit(),
    };
    let color = match (&cli.output, cli.quiet) {
        (None, false) => use_color(cli.color),
        _ => cli.color == ColorChoice::Always,
    };
    colored::control::set_override(color);
    if cli.quiet {
        progress::SILENT.store(true, std::sync::atomic::Ordering::Relaxed);
    }
    let stdout = std::io::stdout();
    // Reports are written in one go (a scan's JSON is thousands of lines); `assess` may ask
    // questions between its lines, so it writes straight through.
    let mut out: Box<dyn Write> = match (&cli.output, cli.quiet) {
        (Some(path), _) => match std::fs::File::create(path) {
            Ok(f) => Box::new(std::io::BufWriter::with_capacity(64 * 1024, f)),
            Err(e) => {
                eprintln!("error: cannot write the report to {}: {e}", path.display());
                return ExitCode::from(2);
            }
        },
        (None, true) => Box::new(std::io::sink()),
        (None, false) if matches!(cli.command, Command::Assess(_)) => Box::new(stdout.lock()),
        (None, false) => Box::new(std::io::BufWriter::with_capacity(64 * 1024, stdout.lock())),
    };
    let result = match &cli.command {
        Command::Assess(a) => assess::run(a, color, &mut out),
        Command::Verify(a) => verify::run(a, color, &mut out),
        Command::Scan(a) => scan::run(a, color, &mut out),
        Command::Matrix(a) => matrix::run(a, color, &mut out),
        Command::Review(a) => review::run(a, &mut out),
        Command::Policy(c) => policy_cmd::run(c, &mut out),
        Command::Explain(a) => explain::run(a, &mut out),
        Command::Hook(c) => hook::run(c, &mut out),
        Command::Completions { shell } => {
            clap_complete::generate(*shell, &mut Cli::command(), "tiercheck", &mut out);
            Ok(ExitCode::SUCCESS)
        }
        Command::Man => clap_mangen::Man::new(Cli::command().version(version_text()))
            .render(&mut out)
            .map(|()| ExitCode::SUCCESS)
            .map_err(Into::into),
    };
    let flushed = out.flush();
    let result = result.and_then(|code| flushed.map(|()| code).map_err(Into::into));
    match result {
        Ok(code) => {
            if let Some(path) = &cli.output {
                let verdict = if code == ExitCode::SUCCESS {
                    "passed"
                } else {
                    "failed (exit 1)"
                };
                eprintln!("tiercheck: {verdict}; report written to {}", path.display());
            }
            code
        }
        Err(e) => {
            // The reader went away (`tiercheck verify | head`): stop quietly, with the
            // status a shell gives a program that SIGPIPE ended (128 + 13).
            if let Some(io) = e.downcast_ref::<std::io::Error>()
                && io.kind() == std::io::ErrorKind::BrokenPipe
            {
                return ExitCode::from(141);
            }
            match e.downcast_ref::<ConfigError>() {
                Some(c) => eprintln!("{}", render_error(c)),
                None => eprintln!("error: {e:#}"),
            }
            ExitCode::from(2)
        }
    }
}

/// A configuration error as printed: files named as the user would type them (relative to
/// the working folder when below it), and every value a rule would report redacted.
pub(crate) fn render_error(c: &ConfigError) -> String {
    let mut c = c.clone();
    for p in &mut c.problems {
        if let Some(loc) = &mut p.location
            && loc.file.is_absolute()
        {
            loc.file = PathBuf::from(shown(&loc.file));
        }
    }
    redact_problems(&mut c);
    c.to_string()
}

/// Hides, in an error about to be printed, every value the built-in rules would report: the
/// line quoted from a manifest (`api_key: ghp_…` with a typo in the key) or a value named in
/// the message is shown redacted, never in full.
fn redact_problems(c: &mut ConfigError) {
    let Some(scanner) = crate::policy::load_default()
        .ok()
        .and_then(|p| tiercheck_scan::Scanner::new(&p.scan_rules()).ok())
    else {
        return;
    };
    let hide = |s: &mut String| scanner.redact_in_place(s);
    for p in &mut c.problems {
        hide(&mut p.message);
        if let Some(line) = &mut p.source_line {
            hide(line);
        }
        if let Some(h) = &mut p.help {
            hide(h);
        }
    }
}

/// `--trust-repo`: the policy's limits on what the checked repository may suppress or
/// waive are lifted, and stderr says so, so that the verdict is never mistaken for one the
/// company's policy gave.
pub(crate) fn trust_repo(policy: &mut Policy) {
    policy.suppressions = None;
    policy.waivers = None;
    policy.trust_repo = true;
    eprintln!(
        "note: --trust-repo: the repository's allow markers, ignore files, baseline and waivers count at every tier"
    );
}

/// Exit code from a pass/fail verdict.
pub(crate) fn verdict(passed: bool) -> ExitCode {
    if passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
