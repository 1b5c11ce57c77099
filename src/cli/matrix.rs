//! `tiercheck matrix`: which requirement each tier needs.

use std::io::Write;
use std::process::ExitCode;

use super::MatrixArgs;
use crate::report::Format;

pub(super) fn run(args: &MatrixArgs, color: bool, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let policy = args.policy.load()?;
    Format::from(args.format)
        .report(color)
        .matrix(&policy, out)?;
    Ok(ExitCode::SUCCESS)
}
