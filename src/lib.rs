//! tiercheck: which governance tier is this code in, and does it meet that tier's bar?
//!
//! The pipeline, one module per stage: [`cli`] parses the command line → [`policy`] and
//! [`manifest`] load and validate the configuration → [`classify`] turns answers into a
//! tier → [`evaluate`] runs each requirement's [`checks`] on an [`artifact`] → [`report`]
//! prints the result.

pub mod artifact;
pub mod checks;
pub mod classify;
pub mod cli;
pub mod digest;
pub mod error;
pub mod evaluate;
pub mod git;
pub mod manifest;
pub mod policy;
pub mod report;
pub mod scan;
pub mod walk;
