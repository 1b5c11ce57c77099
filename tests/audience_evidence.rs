//! The audience answer checked against the evidence: a git remote on a public code host, a
//! package set up to be published and a CI step that publishes are warnings naming the
//! evidence, or, where the policy says `under_classify: true`, an under-classification.

mod common;

use common::{Fixture, git};
use serde_json::Value;

fn fixture(audience: &str) -> Fixture {
    let f = Fixture::new();
    git(&f.path(), &["init", "-q", "-b", "main"]);
    git(
        &f.path(),
        &["remote", "add", "origin", "git@github.com:acme/tool.git"],
    );
    f.write(
        ".tier.yaml",
        format!("version: 1\naudience: {audience}\ndata: internal\nowner: jane@corp.example\n"),
    );
    f.write(
        "package.json",
        "{\"name\": \"acme-tool\", \"version\": \"1.0.0\"}\n",
    );
    f.write(
        "crates/x/Cargo.toml",
        "[package]\nname = \"x\"\nversion = \"0.1.0\"\npublish = false\n",
    );
    f.write(
        ".github/workflows/release.yml",
        "on: push\njobs:\n  release:\n    runs-on: ubuntu-latest\n    steps:\n      - run: npm ci\n      - run: npm publish --access public\n",
    );
    f
}

fn verify(f: &Fixture, extra: &[&str]) -> Value {
    let out = f
        .cmd()
        .args(["verify", "--format", "json"])
        .args(extra)
        .output()
        .unwrap();
    common::flat(
        serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr))),
    )
}

#[test]
fn reach_beyond_the_answer_is_a_warning_naming_each_piece_of_evidence() {
    let f = fixture("employees");
    let v = verify(&f, &[]);
    let c = &v["classification"];
    assert_eq!(c["under_classified"], false, "{c}");
    assert_eq!(v["tier"], "T2");
    let signals: Vec<&str> = c["audience"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["signal"].as_str().unwrap())
        .collect();
    assert_eq!(
        signals,
        ["public-remote", "publishable-package", "publish-step"],
        "{c}"
    );
    let messages = c["audience"].to_string();
    assert!(
        messages.contains("remote `origin` is on github.com"),
        "{messages}"
    );
    assert!(
        messages.contains("package.json can be published to npm"),
        "{messages}"
    );
    assert!(
        !messages.contains("crates/x/Cargo.toml"),
        "publish = false: {messages}"
    );
    let step = &c["audience"][2];
    assert_eq!(step["path"], ".github/workflows/release.yml");
    assert_eq!(step["line"], 7);
    let reason = v["reason"].as_str().unwrap();
    assert!(
        reason.contains("warning: audience 'employees' was given, but git remote"),
        "{reason}"
    );
    // The table shows each as a warning line.
    let out = f.cmd().args(["verify"]).output().unwrap();
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.contains("! audience: git remote `origin` is on github.com"),
        "{table}"
    );
}

#[test]
fn a_policy_can_make_it_an_under_classification() {
    let f = fixture("employees");
    f.write(
        "company.yaml",
        "version: 1\nextends: default\naudience_evidence:\n  question: audience\n  answer: public\n  under_classify: true\n  remote_hosts: [github.com]\n",
    );
    let v = verify(&f, &["--policy", "company.yaml"]);
    assert_eq!(v["classification"]["under_classified"], true);
    assert_eq!(v["tier"], "T4");
    let reason = v["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("under-classified: audience 'employees' was given, but git remote"),
        "{reason}"
    );
    assert!(reason.contains("at least 'public'"), "{reason}");
}

#[test]
fn an_answer_that_already_says_public_has_nothing_to_warn_about() {
    let f = fixture("public");
    let v = verify(&f, &[]);
    assert!(v["classification"].get("audience").is_none(), "{v}");
}
