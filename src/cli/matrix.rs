//! `tiercheck matrix`: which requirement each tier needs.

use std::io::Write;
use std::process::ExitCode;

use super::MatrixArgs;

pub(super) fn run(args: &MatrixArgs, color: bool, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let policy = args.policy.load()?;
    args.format.report(color).matrix(&policy, out)?;
    Ok(ExitCode::SUCCESS)
}
