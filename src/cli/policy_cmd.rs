//! `tiercheck policy show` and `tiercheck policy check FILE`.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;

use super::PolicyArg;
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
    }
    Ok(ExitCode::SUCCESS)
}
