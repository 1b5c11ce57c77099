//! tiercheck checked with tiercheck: this repository is a public project (T4), so its own
//! tree must stay free of secrets and personal data, and the evidence its own files provide
//! must keep being found.

mod common;

use assert_cmd::Command;
use serde_json::Value;

fn tiercheck() -> Command {
    let mut c = Command::cargo_bin("tiercheck").unwrap();
    c.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1");
    c
}

#[test]
fn the_repository_holds_no_secret_or_personal_data() {
    let out = tiercheck()
        .args(["scan", ".", "--format", "json"])
        .assert()
        .code(0);
    let v: Value = common::flat(serde_json::from_slice(&out.get_output().stdout).unwrap());
    assert_eq!(v["findings"].as_array().map(Vec::len), Some(0), "{v}");
}

#[test]
fn the_repository_meets_what_its_files_can_show() {
    let out = tiercheck()
        .args(["verify", ".", "--format", "json"])
        .assert();
    let v: Value = common::flat(serde_json::from_slice(&out.get_output().stdout).unwrap());
    assert_eq!(v["tier"], "T4");
    let status = |id: &str| -> String {
        v["requirements"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .map(|r| r["status"].as_str().unwrap_or("").to_string())
            .unwrap_or_default()
    };
    // What files in the tree prove. Reviews and sponsorship need people, so they are not
    // asserted here.
    for id in [
        "ownership",
        "approved-ai-tools",
        "no-secrets-in-prompts",
        "no-customer-data-in-prompts",
        "sast-secret-detection",
        "dependency-scanning",
        "ssdlc",
    ] {
        assert_eq!(status(id), "pass", "{id}: {v}");
    }
}

#[test]
fn the_table_fits_the_width_it_is_given() {
    for width in [100usize, 80] {
        let out = tiercheck()
            .env("COLUMNS", width.to_string())
            .args(["verify", "."])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        for line in text.lines() {
            assert!(
                line.chars().count() <= width,
                "wider than {width} columns:\n{line}"
            );
        }
        // Long lists of one kind are collapsed to a count, so the page stays short.
        assert!(text.lines().count() < 90, "{text}");
    }
}
