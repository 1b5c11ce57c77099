//! A secret and personal-data scanner: rules as data in, redacted findings out.
//!
//! The engine knows rules, allowlists, text and files, nothing of the application around
//! it. A caller builds a [`RuleSet`] (in code, or read with serde from YAML or JSON),
//! compiles it once into a [`Scanner`], and hands it content: one buffer
//! ([`Scanner::scan_content`], [`Scanner::scan_bytes`]), a list of files
//! ([`Scanner::scan_files`]) or a directory walk ([`Scanner::scan_walk`]).
//!
//! How a file is scanned, one pass per file: an automaton over every rule's keywords finds
//! where rules could match, and the same loop finds runs of bytes that could hold a
//! keyword-less rule's value (`prefilter`, `runs`); only those rules run their regex, and
//! only on a bounded window around each hit (`search`). Candidates then pass entropy,
//! validators, allowlists, the inline allow marker and `near` before they become
//! redacted [`Finding`]s (`decide`).
//!
//! ```
//! use tiercheck_scan::{Category, Rule, RuleSet, ScanOptions, Scanner};
//!
//! let rules = RuleSet {
//!     rules: vec![Rule {
//!         id: "example-token".into(),
//!         description: "An example vendor token".into(),
//!         category: Category::Secret,
//!         regex: r"\b(?P<secret>exv_[A-Za-z0-9]{24})\b".into(),
//!         keywords: vec!["exv_".into()],
//!         prefix: Some("exv_".into()),
//!         generic: false,
//!         entropy: Some(3.0),
//!         validate: None,
//!         lines: 0,
//!         near: None,
//!         overrides: Vec::new(),
//!         allowlist: Default::default(),
//!     }],
//!     allowlist: Default::default(),
//! };
//! let scanner = Scanner::new(&rules).unwrap();
//! let text = "token = exv_Q7w2Er9tY4uI1oP6aS3dF8gH\n";
//! let found = scanner.scan_bytes("config.ini", text.as_bytes(), &ScanOptions::default());
//! assert_eq!(found.len(), 1);
//! assert_eq!((found[0].line, found[0].column), (1, 9));
//! assert_eq!(found[0].redacted, "exv_Q7…");
//! ```

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

pub mod baseline;
mod compile;
mod content;
mod decide;
mod decoded;
mod finding;
mod prefilter;
pub mod read;
pub mod rule;
mod runs;
mod search;
mod tree;
pub mod validators;

pub use compile::{CompileError, Scanner};
pub use content::{BINARY_PROBE, Content, ScanOptions, Scratch, is_binary};
pub use decide::ALLOW_MARKER;
pub use finding::{Finding, fingerprint, redact, sort_findings, value_end, value_free_fingerprint};
pub use rule::{Allowlist, Category, Near, Rule, RuleSet};
pub use tree::{
    DEFAULT_MAX_FILE_SIZE, MAX_FILE_SIZE_LIMIT, ScanReport, describe_walk_error, display_bytes,
    display_path, path_from_display,
};

/// What the unit tests of several modules share: a scanner from rules written in YAML and a
/// test token of the form those rules look for.
#[cfg(test)]
pub(crate) mod test_support {
    pub(crate) use crate::{Finding, RuleSet, ScanOptions, Scanner};

    /// A scanner with only the rules (and global allowlist) given in YAML.
    pub(crate) fn scanner(yaml: &str) -> Scanner {
        let set: RuleSet = serde_saphyr::from_str(yaml).unwrap();
        Scanner::new(&set).unwrap()
    }

    pub(crate) const GH: &str = r#"
rules:
  - id: gh
    description: t
    category: secret
    regex: '\b(?P<secret>ghp_[A-Za-z0-9]{36})\b'
    keywords: [ghp_]
    prefix: ghp_
"#;

    /// A token `GH` matches; different seeds give different tokens.
    pub(crate) fn token(seed: u8) -> String {
        let abc = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        let s: String = (0..36u32)
            .map(|i| abc[((i * 7 + u32::from(seed) * 13) % 62) as usize] as char)
            .collect();
        format!("ghp_{s}")
    }

    pub(crate) fn scan(s: &Scanner, text: &str) -> Vec<Finding> {
        s.scan_bytes("f.txt", text.as_bytes(), &ScanOptions::default())
    }
}
