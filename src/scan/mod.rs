//! The secret and personal-data scanner. Kept apart from the policy and report code (it
//! only reads the policy's `rules`, `allowlist` and `prompt_files` sections) so it could
//! become a crate of its own.
//!
//! One pass per file (`prefilter`): an automaton over every rule's keywords finds where
//! rules could match, and the same loop finds runs of bytes that could hold a keyword-less
//! rule's value (`runs`); only those rules run their regex, and only on a bounded window
//! around each hit (`engine`). Candidates then pass entropy, validators, allowlists,
//! inline `tiercheck:allow` and `near` before they become redacted [`Finding`]s.

pub mod baseline;
mod cache;
pub mod cfg;
mod engine;
mod prefilter;
mod runs;
pub mod validators;

pub use cache::ScanCache;
pub use cfg::{Allowlist, Category, Near, Pattern, RuleDef};
pub(crate) use engine::BINARY_PROBE;
pub use engine::{
    DEFAULT_MAX_FILE_SIZE, MAX_FILE_SIZE_LIMIT, ScanOptions, ScanReport, Scanner, fingerprint,
    redact,
};

/// A finding, as every report shows it.
pub use crate::checks::Finding;
