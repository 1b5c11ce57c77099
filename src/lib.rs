//! tiercheck: which governance tier is this code in, and does it meet that tier's bar?
//!
//! The pipeline, one module per stage, each using only the modules listed after it
//! (`ARCHITECTURE.md` has the map): [`cli`] parses the command line → [`report`] prints →
//! [`classify`] turns answers into a tier → [`evaluate`] runs each requirement's checks →
//! [`policy`] loads and validates the configuration → [`checks`] look at the evidence of
//! an [`artifact`] → [`git`] and [`manifest`] read what they hold → [`detection`] is what
//! the checks know → [`config`], [`walk`] and [`error`] serve all of them. Secret and
//! personal-data scanning is the `tiercheck-scan` crate, which knows nothing of tiers.

pub mod artifact;
pub mod checks;
pub mod classify;
pub mod cli;
pub mod config;
pub mod detection;
pub mod error;
pub mod evaluate;
pub mod git;
pub mod manifest;
pub mod policy;
pub mod report;
pub mod signers;
pub mod walk;
