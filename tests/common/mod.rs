//! Helpers shared by the integration tests: a fixture folder in a temp dir and the real
//! binary with a reproducible environment.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// The date every test runs on (waivers and reviews are judged against it).
pub const TODAY: &str = "2026-11-28";

/// The tiercheck binary with a fixed date, no colors and no policy from the environment.
pub fn tiercheck() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_tiercheck"));
    c.env("TIERCHECK_TODAY", TODAY)
        .env("SOURCE_DATE_EPOCH", "1795824000")
        .env_remove("NO_COLOR")
        .env_remove("TIERCHECK_POLICY")
        .env_remove("RUST_BACKTRACE");
    c
}

/// A fixture folder in a temp dir, removed when dropped.
pub struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    /// An empty fixture.
    pub fn new() -> Self {
        Fixture {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    /// An empty fixture that is the top of a git repository (a `.git` folder stops manifest
    /// discovery from climbing into the temp dir's parents).
    pub fn repo() -> Self {
        let f = Fixture::new();
        std::fs::create_dir_all(f.path().join(".git")).unwrap();
        f
    }

    /// The fixture's root, canonicalised (macOS temp dirs are symlinks).
    pub fn path(&self) -> PathBuf {
        std::fs::canonicalize(self.dir.path()).unwrap()
    }

    /// Writes a file (creating folders) and returns its path.
    pub fn write(&self, rel: &str, content: impl AsRef<[u8]>) -> PathBuf {
        let p = self.path().join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&p, content).unwrap();
        p
    }

    /// Reads a file as text.
    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path().join(rel)).unwrap()
    }

    /// tiercheck run in the fixture's root.
    pub fn cmd(&self) -> Command {
        let mut c = tiercheck();
        c.current_dir(self.path());
        c
    }
}

/// A policy over the default whose requirements can all be met by generic checks: each
/// requirement that needs a check kind this version may not have is redefined (same id,
/// same levels as PRODUCT.md) to look for a `README.md` in the artifact itself. Ownership and engineer-sponsor
/// keep their default checks.
pub const GENERIC_POLICY: &str = r#"version: 1
extends: default
engineers:
  domains: [eng.example]
requirements:
  - id: human-review
    title: Human review of output
    remediation: Add a README.md.
    levels: {T1: required, T2: required, T3: required, T4: required}
    checks: [{kind: file-exists, signal: readme, globs: [README.md], repo_root: false}]
  - id: approved-ai-tools
    title: Use only approved AI tools
    remediation: Add a README.md.
    levels: {T1: required, T2: required, T3: required, T4: required}
    checks: [{kind: file-exists, signal: readme, globs: [README.md], repo_root: false}]
  - id: no-secrets-in-prompts
    title: No secrets in prompts
    remediation: Add a README.md.
    levels: {T1: required, T2: required, T3: required, T4: required}
    checks: [{kind: file-exists, signal: readme, globs: [README.md], repo_root: false}]
  - id: no-customer-data-in-prompts
    title: No customer or sensitive data in prompts
    remediation: Add a README.md.
    levels: {T1: required, T2: required, T3: required, T4: required}
    checks: [{kind: file-exists, signal: readme, globs: [README.md], repo_root: false}]
  - id: code-review
    title: Engineering code review
    remediation: Add a README.md.
    levels: {T1: not_required, T2: required, T3: required, T4: required}
    checks: [{kind: file-exists, signal: readme, globs: [README.md], repo_root: false}]
  - id: sast-secret-detection
    title: SAST and secret detection
    remediation: Add a README.md.
    levels: {T1: not_required, T2: required, T3: required, T4: required}
    checks: [{kind: file-exists, signal: readme, globs: [README.md], repo_root: false}]
  - id: dependency-scanning
    title: Dependency scanning
    remediation: Add a README.md.
    levels: {T1: not_required, T2: required, T3: required, T4: required}
    checks: [{kind: file-exists, signal: readme, globs: [README.md], repo_root: false}]
  - id: ssdlc
    title: Full SSDLC and quality gates
    remediation: Add a README.md.
    levels: {T1: not_required, T2: not_required, T3: not_required, T4: required}
    checks: [{kind: file-exists, signal: readme, globs: [README.md], repo_root: false}]
"#;

/// Parses stdout as JSON.
pub fn json(out: &[u8]) -> serde_json::Value {
    flat(raw_json(out))
}

/// Parses stdout as JSON, as printed.
pub fn raw_json(out: &[u8]) -> serde_json::Value {
    serde_json::from_slice(out)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(out)))
}

/// A report of one artifact read as that artifact, with the run's fields beside its own
/// (`tier`, `requirements`, … and `schema_version`, `policy`): what most tests look at. A
/// report of several artifacts, and any other JSON, is returned as it is. The shape itself
/// is tested on `raw_json`.
pub fn flat(v: serde_json::Value) -> serde_json::Value {
    let serde_json::Value::Object(mut top) = v else {
        return v;
    };
    let one = match top.get("artifacts") {
        Some(serde_json::Value::Array(a)) if a.len() == 1 => a[0].clone(),
        _ => return serde_json::Value::Object(top),
    };
    top.remove("artifacts");
    if let serde_json::Value::Object(fields) = one {
        top.extend(fields);
    }
    serde_json::Value::Object(top)
}

/// Replaces a fixture's absolute path in output by `[TMP]`, and the short digests of the
/// policy files applied by `[DIGEST]` (the built-in policy's changes with every rule).
pub fn normalise(text: &str, root: &Path) -> String {
    let text = text.replace(&root.display().to_string(), "[TMP]");
    regex::Regex::new(r"sha256:[0-9a-f]{12}…\)")
        .expect("digest pattern")
        .replace_all(&text, "sha256:[DIGEST]…)")
        .into_owned()
}

/// The `test-token` rule of the scan tests, as one item of a policy's `rules:` list, for
/// `concat!`: tokens from [`token`] match it.
#[macro_export]
macro_rules! token_rule {
    () => {
        r#"  - id: test-token
    description: a test token
    category: secret
    regex: '\b(?P<secret>tkn_[A-Za-z0-9]{30})\b'
    keywords: [tkn_]
    prefix: tkn_
"#
    };
}

/// A token in the format of the inline `test-token` rule of the scan tests
/// (`tkn_` and 30 letters or digits), assembled at run time; `seed` varies it.
pub fn token(seed: u32) -> String {
    let abc = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let body: String = (0..30u32)
        .map(|i| abc[((i * 11 + seed * 17 + 3) % 62) as usize] as char)
        .collect();
    format!("tkn_{body}")
}

/// Runs git in `dir` as Jane (jane@corp.example), with no system or user configuration, and
/// panics with git's message when it fails.
pub fn git(dir: &Path, args: &[&str]) {
    let out = std::process::Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("HOME", dir)
        .env("GIT_AUTHOR_NAME", "Jane")
        .env("GIT_AUTHOR_EMAIL", "jane@corp.example")
        .env("GIT_COMMITTER_NAME", "Jane")
        .env("GIT_COMMITTER_EMAIL", "jane@corp.example")
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

pub fn sarif_schema() -> Option<jsonschema::Validator> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/schemas/sarif-schema-2.1.0.json");
    let Ok(text) = std::fs::read_to_string(&path) else {
        eprintln!(
            "note: {} is absent; SARIF schema validation skipped",
            path.display()
        );
        return None;
    };
    let schema: serde_json::Value = serde_json::from_str(&text).unwrap();
    Some(jsonschema::validator_for(&schema).expect("the SARIF schema compiles"))
}

/// Validates a SARIF log against the official schema and the cross-references the schema
/// cannot express.
pub fn check_sarif(text: &str) -> serde_json::Value {
    let log: serde_json::Value = serde_json::from_str(text).unwrap();
    if let Some(v) = sarif_schema() {
        let errors: Vec<String> = v
            .iter_errors(&log)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "SARIF schema errors: {errors:#?}");
    }
    assert_eq!(log["version"], "2.1.0");
    for run in log["runs"].as_array().unwrap() {
        let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
        for r in run["results"].as_array().unwrap() {
            let i = r["ruleIndex"].as_u64().unwrap() as usize;
            assert_eq!(rules[i]["id"], r["ruleId"], "{r:#}");
            assert!(
                r["partialFingerprints"]["tiercheck/v1"].is_string(),
                "{r:#}"
            );
            for loc in r["locations"].as_array().unwrap() {
                let uri = loc["physicalLocation"]["artifactLocation"]["uri"]
                    .as_str()
                    .unwrap();
                assert!(
                    !uri.starts_with('/') && !uri.contains("://"),
                    "relative: {uri}"
                );
            }
        }
    }
    log
}
