//! Output formats (`--format table|json|sarif|junit|markdown`) of `verify`, `scan` and
//! `matrix`, run as the real binary on a fixture repository: SARIF is validated against the
//! official 2.1.0 schema, JUnit is parsed back and its counts checked, Markdown and JUnit
//! are snapshotted, and no format may print a planted secret.

mod common;

use std::path::Path;

use common::check_sarif;

use assert_cmd::Command;
use quick_xml::Reader;
use quick_xml::events::Event;
use serde_json::Value;

const FORMATS: [&str; 6] = ["table", "json", "sarif", "junit", "markdown", "html"];

/// A GitHub classic token shape, assembled at run time so no secret sits in the source.
fn planted_token() -> String {
    let body: String = (0..36u32)
        .map(|i| b"Kq7Zt3Wm9Xb2Rv5Hn8Lc4Pj6Yd1Gf0Ts"[(i * 7 % 32) as usize] as char)
        .collect();
    ["gh", "p_", &body].concat()
}

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// A small internal tool with a manifest, a secret in a script and one in an MCP config.
fn fixture() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let ok = std::process::Command::new("git")
        .args(["init", "-q", "-b", "main"])
        .current_dir(root)
        .status()
        .unwrap();
    assert!(ok.success());
    let token = planted_token();
    write(
        root,
        ".tier.yaml",
        "version: 1\nname: exporter\naudience: employees\ndata: internal\nowner: jane@corp.example\nai_tools: [claude-code]\n",
    );
    write(
        root,
        "export.sh",
        &format!(
            "#!/bin/sh\n# nightly export\nexport GITHUB_TOKEN={token}\ncurl -s https://api.example/export\n"
        ),
    );
    write(
        root,
        ".mcp.json",
        &format!(
            "{{\n  \"mcpServers\": {{\n    \"github\": {{\n      \"command\": \"npx\",\n      \"args\": [\"-y\", \"@modelcontextprotocol/server-github\"],\n      \"env\": {{\"GITHUB_PERSONAL_ACCESS_TOKEN\": \"{token}\"}}\n    }}\n  }}\n}}\n"
        ),
    );
    write(
        root,
        "CLAUDE.md",
        "# Notes\nRun export.sh nightly. Pipes | and <tags> stay text.\n",
    );
    dir
}

fn run(root: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::cargo_bin("tiercheck")
        .unwrap()
        .current_dir(root)
        .env("NO_COLOR", "1")
        .env("TIERCHECK_TODAY", "2026-11-28")
        .env("SOURCE_DATE_EPOCH", "1795824000")
        .env("COLUMNS", "100")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[derive(Debug, Default, PartialEq)]
struct Counts {
    tests: usize,
    failures: usize,
    errors: usize,
    skipped: usize,
}

/// Each testsuite's declared counts and the counts of its children, parsed with quick-xml.
fn junit_suites(xml: &str) -> Vec<(String, Counts, Counts)> {
    let mut reader = Reader::from_str(xml);
    let mut suites = Vec::new();
    loop {
        match reader.read_event().unwrap() {
            Event::Eof => break,
            Event::Start(e) | Event::Empty(e) => {
                let attr = |name: &str| -> String {
                    e.try_get_attribute(name)
                        .unwrap()
                        .map(|a| a.unescape_value().unwrap().into_owned())
                        .unwrap_or_default()
                };
                let n = |name: &str| attr(name).parse::<usize>().unwrap();
                match e.name().as_ref() {
                    b"testsuite" => suites.push((
                        attr("name"),
                        Counts {
                            tests: n("tests"),
                            failures: n("failures"),
                            errors: n("errors"),
                            skipped: n("skipped"),
                        },
                        Counts::default(),
                    )),
                    b"testcase" => suites.last_mut().unwrap().2.tests += 1,
                    b"failure" => suites.last_mut().unwrap().2.failures += 1,
                    b"error" => suites.last_mut().unwrap().2.errors += 1,
                    b"skipped" => suites.last_mut().unwrap().2.skipped += 1,
                    _ => {}
                }
            }
            _ => {}
        }
    }
    suites
}

#[test]
fn verify_sarif_is_valid_and_maps_requirements_and_findings() {
    let dir = fixture();
    let (code, out, err) = run(dir.path(), &["verify", "--format", "sarif"]);
    assert_eq!(code, 1, "{err}");
    let log = check_sarif(&out);
    let run = &log["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert!(rules.iter().any(|r| r["id"] == "sast-secret-detection"));
    let results = run["results"].as_array().unwrap();
    let sast = results
        .iter()
        .find(|r| r["ruleId"] == "sast-secret-detection")
        .expect("an unmet required requirement is a result");
    assert_eq!(sast["level"], "error");
    let warn = results
        .iter()
        .find(|r| r["ruleId"] == "engineer-sponsor")
        .unwrap();
    assert_eq!(warn["level"], "warning");
    let finding = results
        .iter()
        .find(|r| {
            r["ruleId"] == "github-pat-classic"
                && r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "export.sh"
        })
        .expect("a finding is a result of its scanner rule");
    let region = &finding["locations"][0]["physicalLocation"]["region"];
    assert_eq!(region["startLine"], 3);
    assert_eq!(region["startColumn"], 21);
    assert!(
        !results.iter().any(|r| r["ruleId"] == "ownership"),
        "passing requirements are rules, not results"
    );
}

#[test]
fn scan_sarif_is_valid() {
    let dir = fixture();
    let (code, out, err) = run(dir.path(), &["scan", "--format", "sarif"]);
    assert_eq!(code, 1, "{err}");
    let log = check_sarif(&out);
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert!(results.iter().any(|r| r["ruleId"] == "github-pat-classic"
        && r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "export.sh"));
    // Nothing found is a valid, empty log.
    let clean = tempfile::tempdir().unwrap();
    write(clean.path(), "README.md", "# nothing here\n");
    let (code, out, _) = run(clean.path(), &["scan", "--format", "sarif"]);
    assert_eq!(code, 0);
    assert!(
        check_sarif(&out)["runs"][0]["results"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

#[test]
fn junit_counts_match_the_json_statuses() {
    let dir = fixture();
    let (_, json, _) = run(dir.path(), &["verify", "--format", "json"]);
    let v: Value = common::flat(serde_json::from_str(&json).unwrap());
    let statuses: Vec<&str> = v["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    let count = |s: &str| statuses.iter().filter(|x| **x == s).count();
    let (code, xml, err) = run(dir.path(), &["verify", "--format", "junit"]);
    assert_eq!(code, 1, "{err}");
    let suites = junit_suites(&xml);
    assert_eq!(suites.len(), 1);
    let (name, declared, seen) = &suites[0];
    assert!(name.contains("T2"), "{name}");
    assert_eq!(declared, seen, "declared counts match the test cases");
    assert_eq!(
        *seen,
        Counts {
            tests: statuses.len(),
            failures: count("fail"),
            errors: count("error"),
            skipped: count("skip"),
        }
    );
    assert!(seen.failures >= 1);

    let (code, xml, _) = run(dir.path(), &["scan", "--format", "junit"]);
    assert_eq!(code, 1);
    let suites = junit_suites(&xml);
    let (name, declared, seen) = &suites[0];
    assert_eq!(name, "findings");
    assert_eq!(declared, seen);
    let (_, json, _) = run(dir.path(), &["scan", "--format", "json"]);
    let findings = serde_json::from_str::<Value>(&json).unwrap()["findings"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(seen.tests, findings);
    assert_eq!(seen.failures, findings);
}

#[test]
fn markdown_and_junit_snapshots() {
    let dir = fixture();
    let (_, md, _) = run(dir.path(), &["verify", "--format", "markdown"]);
    // The built-in policy's digest changes with every rule: the snapshot keeps its place.
    let md = regex::Regex::new(r"sha256:[0-9a-f]{12}…\)")
        .unwrap()
        .replace_all(&md, "sha256:[DIGEST]…)")
        .into_owned();
    insta::assert_snapshot!("verify_markdown", md);
    let (_, xml, _) = run(dir.path(), &["verify", "--format", "junit"]);
    insta::assert_snapshot!("verify_junit", xml);
    let (_, md, _) = run(dir.path(), &["scan", "--format", "markdown"]);
    insta::assert_snapshot!("scan_markdown", md);
    let (code, md, _) = run(dir.path(), &["matrix", "--format", "markdown"]);
    assert_eq!(code, 0);
    insta::assert_snapshot!("matrix_markdown", md);
}

/// Every format of one fixture's `verify`, as a user sees it: the table, JSON, SARIF and
/// HTML (Markdown and JUnit above). Digests of the policy, which change with every rule,
/// keep their place.
#[test]
fn every_format_snapshot() {
    let dir = fixture();
    let digests = regex::Regex::new(r"sha256:[0-9a-f]{12,64}").unwrap();
    for format in ["table", "json", "sarif", "html"] {
        let (code, out, _) = run(dir.path(), &["verify", "--format", format]);
        assert_eq!(code, 1, "{format}");
        let out = digests.replace_all(&out, "sha256:[DIGEST]").into_owned();
        insta::assert_snapshot!(format!("verify_{format}"), out);
    }
}

#[test]
fn no_format_prints_the_secret() {
    let dir = fixture();
    let token = planted_token();
    let body = &token[4..];
    for format in FORMATS {
        for cmd in [["verify", "--format", format], ["scan", "--format", format]] {
            let (code, out, err) = run(dir.path(), &cmd);
            assert_eq!(code, 1, "{cmd:?}: {err}");
            assert!(!out.is_empty(), "{cmd:?}");
            for half in [&body[..18], &body[18..]] {
                assert!(
                    !out.contains(half) && !err.contains(half),
                    "{cmd:?} printed the secret"
                );
            }
        }
    }
}

#[test]
fn matrix_refuses_results_only_formats() {
    let dir = tempfile::tempdir().unwrap();
    for format in ["sarif", "junit"] {
        let (code, out, err) = run(dir.path(), &["matrix", "--format", format]);
        assert_eq!(code, 2, "{format}");
        assert!(out.is_empty());
        assert!(
            err.contains("possible values: table, json, markdown"),
            "{err}"
        );
    }
    for format in ["table", "json", "markdown"] {
        assert_eq!(
            run(dir.path(), &["matrix", "--format", format]).0,
            0,
            "{format}"
        );
    }
}
