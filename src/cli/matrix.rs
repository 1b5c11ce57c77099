//! `tiercheck matrix`: which requirement each tier needs.

use std::io::Write;
use std::process::ExitCode;

use super::MatrixArgs;
use crate::error::ConfigError;

pub(super) fn run(args: &MatrixArgs, color: bool, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    if !args.format.shows_matrix() {
        return Err(ConfigError::plain(format!(
            "`matrix` cannot be printed as {}: it reports results, and the matrix has none",
            args.format.name()
        ))
        .with_help("use --format table, json or markdown")
        .into());
    }
    let policy = args.policy.load()?;
    args.format.report(color).matrix(&policy, out)?;
    Ok(ExitCode::SUCCESS)
}
