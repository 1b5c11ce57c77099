//! `tiercheck policy show`, `tiercheck policy check FILE` and `tiercheck policy init`.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;

use super::PolicyArg;
use crate::error::ConfigError;
use crate::policy::{DEFAULT_POLICY, load_file};

/// Policy subcommands.
#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Print the effective policy as YAML (the built-in one, with its comments, by default).
    Show {
        #[command(flatten)]
        policy: PolicyArg,
    },
    /// Validate a policy file and report every problem with its location.
    Check {
        /// The policy file.
        file: PathBuf,
    },
    /// Write a company policy that extends the built-in one, and an allowed-signers list
    /// for signed reviews, then say how to make everyone use it. Asks on a terminal for
    /// what the flags do not give.
    Init(InitArgs),
}

/// `tiercheck policy init`.
#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// Folder to write `tiercheck-policy.yaml` and `allowed_signers` in.
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// An email domain whose people are engineers (repeatable): `eng.corp.example`.
    #[arg(long = "engineer-domain", value_name = "DOMAIN")]
    pub engineer_domains: Vec<String>,
    /// An engineer's email (repeatable).
    #[arg(long = "engineer", value_name = "EMAIL")]
    pub engineers: Vec<String>,
    /// An approved AI tool id (repeatable); the built-in list when none is given.
    #[arg(long = "ai-tool", value_name = "ID")]
    pub ai_tools: Vec<String>,
    /// Overwrite files that exist.
    #[arg(long)]
    pub force: bool,
}

pub(super) fn run(cmd: &PolicyCommand, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    match cmd {
        PolicyCommand::Show { policy } => {
            let loaded = policy.load()?;
            if policy.policy.is_none() {
                out.write_all(DEFAULT_POLICY.as_bytes())?;
            } else {
                let mut merged = loaded.clone();
                merged.extends = None;
                let text = serde_saphyr::to_string(&merged)
                    .map_err(|e| anyhow::anyhow!("cannot print the policy: {e}"))?;
                out.write_all(text.as_bytes())?;
            }
        }
        PolicyCommand::Check { file } => {
            let p = load_file(file)?;
            let checks: usize = p.requirements.iter().map(|r| r.checks.len()).sum();
            writeln!(
                out,
                "{}: ok ({} tiers, {} questions, {} classification rules, {} requirements, {} checks)",
                file.display(),
                p.tiers.len(),
                p.questions.len(),
                p.classification.len(),
                p.requirements.len(),
                checks
            )?;
        }
        PolicyCommand::Init(args) => init(args, out)?,
    }
    Ok(ExitCode::SUCCESS)
}

/// The file names `policy init` writes.
const POLICY_FILE: &str = "tiercheck-policy.yaml";
const SIGNERS_FILE: &str = "allowed_signers";

fn init(args: &InitArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let base = crate::policy::load_default()?;
    let known: Vec<String> = base
        .ai_tools
        .as_ref()
        .map(|a| a.tools.iter().map(|t| t.id.value.clone()).collect())
        .unwrap_or_default();
    let default_approved: Vec<String> = base
        .ai_tools
        .as_ref()
        .and_then(|a| a.approved.as_ref())
        .map(|v| v.iter().map(|t| t.value.clone()).collect())
        .unwrap_or_default();
    let terminal = std::io::IsTerminal::is_terminal(&std::io::stdin())
        && std::io::IsTerminal::is_terminal(&std::io::stderr());
    let (mut domains, mut emails, mut tools) = (
        args.engineer_domains.clone(),
        args.engineers.clone(),
        args.ai_tools.clone(),
    );
    if domains.is_empty() && emails.is_empty() {
        if !terminal {
            return Err(ConfigError::plain(
                "who are the company's engineers? pass --engineer-domain DOMAIN or --engineer EMAIL (repeatable), or run this on a terminal to be asked",
            )
            .into());
        }
        let answer = inquire::Text::new("Engineers' email domain(s) or email(s), comma-separated:")
            .with_help_message("e.g. eng.corp.example, or jane@corp.example, bob@corp.example")
            .prompt()
            .map_err(|e| ConfigError::plain(format!("no answer: {e}")))?;
        for item in answer.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            if item.contains('@') {
                emails.push(item.to_string());
            } else {
                domains.push(item.to_string());
            }
        }
        if terminal && tools.is_empty() {
            let picked = inquire::MultiSelect::new("Approved AI tools:", known.clone())
                .with_default(
                    &known
                        .iter()
                        .enumerate()
                        .filter(|(_, k)| default_approved.contains(k))
                        .map(|(i, _)| i)
                        .collect::<Vec<_>>(),
                )
                .prompt()
                .map_err(|e| ConfigError::plain(format!("no answer: {e}")))?;
            tools = picked;
        }
    }
    for d in &domains {
        if d.is_empty() || d.contains(['@', ' ', '/', '\n']) || !d.contains('.') {
            return Err(ConfigError::plain(format!(
                "`{d}` is not an email domain (such as eng.corp.example)"
            ))
            .into());
        }
    }
    for e in &emails {
        if !e.contains('@') || e.contains([' ', '\n']) {
            return Err(ConfigError::plain(format!("`{e}` is not an email address")).into());
        }
    }
    if domains.is_empty() && emails.is_empty() {
        return Err(ConfigError::plain("the policy needs at least one engineer or domain").into());
    }
    for t in &tools {
        if !known.contains(t) {
            return Err(ConfigError::plain(format!(
                "`{t}` is not an AI tool the built-in policy knows; known: {}",
                known.join(", ")
            ))
            .into());
        }
    }
    let list = |v: &[String]| -> String {
        let quoted: Vec<String> = v
            .iter()
            .map(|x| serde_json::to_string(x).unwrap_or_default())
            .collect();
        format!("[{}]", quoted.join(", "))
    };
    let today = super::today()?;
    let approved = if tools.is_empty() {
        "\n".to_string()
    } else {
        format!("\nai_tools:\n  approved: {}\n", list(&tools))
    };
    let text = format!(
        "# The company's tiercheck policy, written by `tiercheck policy init` on {today}.\n\
# It extends the built-in policy (`tiercheck policy show` prints it); give any section of\n\
# that policy here to replace it. Everyone uses it with\n\
#   export TIERCHECK_POLICY=/path/to/{POLICY_FILE}\n\
# and CI with `--policy`. Keep it, and {SIGNERS_FILE}, outside the repositories it judges.\n\
version: 1\n\
extends: default\n\
\n\
# Who counts as an engineer: code reviews, sponsors and waiver approvals.\n\
engineers:\n  domains: {}\n  emails: {}\n{approved}\n\
# Signed reviews: {SIGNERS_FILE} (git's format) holds each reviewer's SSH public key;\n\
# `tiercheck review --key` prints the line to add. Unsigned reviews and review claims\n\
# (trailers, merge messages) count for internal code only.\n\
signatures:\n  allowed_signers: {SIGNERS_FILE}\n  unsigned_reviews: [T1, T2]\n  claims: [T1, T2]\n",
        list(&domains),
        list(&emails),
    );
    let signers = String::from(
        "# Allowed signers for tiercheck reviews and signed commits (git's allowed_signers format):\n\
# one line per key: principal, namespaces, then the public key, such as\n\
#   jane@corp.example namespaces=\"tiercheck-review,git\" ssh-ed25519 AAAAC3Nz…\n",
    );
    std::fs::create_dir_all(&args.dir)?;
    let policy_path = args.dir.join(POLICY_FILE);
    let signers_path = args.dir.join(SIGNERS_FILE);
    for p in [&policy_path, &signers_path] {
        if std::fs::symlink_metadata(p).is_ok() && !args.force {
            return Err(ConfigError::plain(format!(
                "{} exists; pass --force to replace it",
                p.display()
            ))
            .into());
        }
    }
    // Never write a policy that would not load.
    crate::config::write_regular(&signers_path, signers.as_bytes())?;
    crate::policy::load_text(&text, &policy_path)?;
    crate::config::write_regular(&policy_path, text.as_bytes())?;
    let abs = std::fs::canonicalize(&policy_path).unwrap_or(policy_path.clone());
    writeln!(
        out,
        "wrote {} and {}",
        policy_path.display(),
        signers_path.display()
    )?;
    writeln!(out, "\nMake everyone use it:")?;
    writeln!(
        out,
        "  export TIERCHECK_POLICY={}   # in each person's shell profile",
        abs.display()
    )?;
    writeln!(
        out,
        "  tiercheck verify --policy {}  # in CI",
        abs.display()
    )?;
    writeln!(
        out,
        "\nEach reviewer signs with `tiercheck review --by THEM --key ~/.ssh/id_ed25519`, which prints\nthe line to add to {}.",
        signers_path.display()
    )?;
    Ok(())
}
