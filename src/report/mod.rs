//! Reports: one implementation of [`Report`] per output format. Adding a format is one new
//! module and one line in [`Format::report`].

mod json;
mod table;

use std::io::{self, Write};

use clap::ValueEnum;

use crate::evaluate::ArtifactReport;
use crate::policy::Policy;

pub use table::Table;

/// Version of the JSON output's shape.
pub const SCHEMA_VERSION: u32 = 1;

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A table for people (colored on a terminal).
    Table,
    /// JSON for scripts.
    Json,
}

impl Format {
    /// The report implementation for this format.
    pub fn report(self, color: bool) -> Box<dyn Report> {
        match self {
            Format::Table => Box::new(Table { color }),
            Format::Json => Box::new(json::Json),
        }
    }
}

/// A way of printing what tiercheck concluded.
pub trait Report {
    /// Prints the requirements matrix of a policy.
    fn matrix(&self, policy: &Policy, out: &mut dyn Write) -> io::Result<()>;
    /// Prints the results of `verify` or `assess`, one report per artifact.
    fn artifacts(&self, reports: &[ArtifactReport], out: &mut dyn Write) -> io::Result<()>;
}
