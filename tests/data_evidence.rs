//! The answers are checked against the evidence: personal data and secrets found in any of an
//! artifact's files imply a least answer to the data question (the policy's
//! `data_evidence`); a lower answer is under-classified and the tier is evaluated as the
//! evidence implies, and every report says what data the files hold.

mod common;

use common::Fixture;
use serde_json::Value;

/// Three people's e-mail addresses, as a CSV export holds them.
fn customers_csv() -> String {
    let at = "@";
    format!(
        "name,email\nAlice Smith,alice.smith{at}gmail.com\nBob Jones,bob.jones{at}yahoo.com\nCarl Wu,carl.wu{at}outlook.com\n"
    )
}

fn run(f: &Fixture, args: &[&str]) -> (i32, Value, String) {
    let out = f
        .cmd()
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let v: Value = common::flat(
        serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}\n{stderr}", String::from_utf8_lossy(&out.stdout))),
    );
    (out.status.code().unwrap(), v, stderr)
}

#[test]
fn a_script_next_to_a_customer_csv_declared_no_data_is_under_classified() {
    let f = Fixture::repo();
    f.write(
        "demo.py",
        "import csv\nprint(open('customers.csv').read())\n",
    );
    f.write("customers.csv", customers_csv());
    let (code, v, _) = run(&f, &["assess", ".", "--audience", "me", "--data", "none"]);
    assert_eq!(code, 1);
    let c = &v["classification"];
    assert_eq!(c["data_under_classified"], true, "{c}");
    assert_eq!(c["under_classified"], true);
    // me + personal → T2, not the T1 the answers gave.
    assert_eq!(v["tier"], "T2", "{v}");
    let reason = v["reason"].as_str().unwrap();
    assert!(reason.contains("data 'none' was given"), "{reason}");
    assert!(
        reason.contains("3 e-mail addresses in customers.csv"),
        "{reason}"
    );
    assert!(reason.contains("at least 'personal'"), "{reason}");
    let data = c["data"].as_array().unwrap();
    assert_eq!(data.len(), 1, "{data:?}");
    assert_eq!(data[0]["path"], "customers.csv");
    assert_eq!(data[0]["count"], 3);
    assert_eq!(data[0]["rule_id"], "email-address");
    assert_eq!(data[0]["line"], 2);
    assert!(!data[0]["redacted"].as_str().unwrap().contains("smith"));

    // The table says it before anything else.
    let out = f
        .cmd()
        .args(["assess", ".", "--audience", "me", "--data", "none"])
        .output()
        .unwrap();
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.contains("✗ under-classified: the data answer is lower than what the files hold"),
        "{table}"
    );
    assert!(
        table.contains("3 e-mail addresses (personal) in customers.csv:2"),
        "{table}"
    );
}

#[test]
fn an_honest_answer_passes_the_check_and_the_data_is_still_shown() {
    let f = Fixture::repo();
    f.write("customers.csv", customers_csv());
    let (_, v, _) = run(
        &f,
        &[
            "assess",
            ".",
            "--audience",
            "external",
            "--data",
            "personal",
        ],
    );
    let c = &v["classification"];
    assert_eq!(c["under_classified"], false, "{c}");
    assert!(c.get("data_under_classified").is_none(), "{c}");
    assert_eq!(v["tier"], "T3");
    let reason = v["reason"].as_str().unwrap();
    assert!(
        reason.contains("the files hold: 3 e-mail addresses in customers.csv"),
        "{reason}"
    );
    // Markdown says it too.
    let out = f
        .cmd()
        .args([
            "assess",
            ".",
            "--audience",
            "external",
            "--data",
            "personal",
            "--format",
            "markdown",
        ])
        .output()
        .unwrap();
    let md = String::from_utf8_lossy(&out.stdout);
    assert!(md.contains("**Data in the files**"), "{md}");
}

#[test]
fn a_manifest_answer_below_the_evidence_fails_verify_and_names_the_file() {
    let f = Fixture::repo();
    f.write(
        ".tier.yaml",
        "version: 1\naudience: employees\ndata: internal\nowner: jane@corp.example\n",
    );
    f.write("export/customers.csv", customers_csv());
    let token = format!("ghp_{}", "Zq8Xw2Lm4Np6Rt1Vb3Kc5Hd7Jf9Gs0Ya2Ue4");
    f.write(
        "run.sh",
        format!("curl -H 'Authorization: token {token}' x\n"),
    );
    let (code, v, _) = run(&f, &["verify"]);
    assert_eq!(code, 1);
    assert_eq!(v["classification"]["data_under_classified"], true);
    let reason = v["reason"].as_str().unwrap();
    // The strongest evidence decides: a credential.
    assert!(reason.contains("at least 'credentials'"), "{reason}");
    assert!(reason.contains("run.sh"), "{reason}");
    assert!(!reason.contains(&token[6..]), "{reason}");
    let paths: Vec<&str> = v["classification"]["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["export/customers.csv", "run.sh"]);
}

#[test]
fn the_people_the_manifest_names_are_not_data_it_touches() {
    let f = Fixture::repo();
    let owner = format!("jane.roe@{}.com", "gmail");
    f.write(
        ".tier.yaml",
        format!("version: 1\naudience: employees\ndata: internal\nowner: {owner}\n"),
    );
    f.write("README.md", format!("Questions: {owner}\n"));
    let (_, v, _) = run(&f, &["verify"]);
    assert!(v["classification"].get("data").is_none(), "{v}");
}

#[test]
fn a_policy_implying_an_unknown_answer_is_a_located_error() {
    let f = Fixture::new();
    f.write(
        "p.yaml",
        "version: 1\nextends: default\ndata_evidence:\n  question: data\n  implies:\n    - category: pii\n      answer: secretive\n      noun: thing\n",
    );
    let out = f
        .cmd()
        .args(["policy", "check", "p.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("p.yaml:7:15"), "{err}");
    assert!(err.contains("unknown answer `secretive`"), "{err}");
}

#[test]
fn an_ignore_file_does_not_hide_committed_data_from_the_check() {
    let f = Fixture::new();
    let root = f.path();
    common::git(&root, &["init", "-q", "-b", "main"]);
    f.write(
        ".tier.yaml",
        "version: 1\naudience: employees\ndata: internal\nowner: jane@corp.example\n",
    );
    f.write("customers.csv", customers_csv());
    common::git(&root, &["add", "-A"]);
    common::git(&root, &["commit", "-q", "-m", "export"]);
    // Committed, then ignored: the file is still in what is shared.
    f.write(".gitignore", "customers.csv\n");
    let (code, v, _) = run(&f, &["verify"]);
    assert_eq!(code, 1);
    assert_eq!(v["classification"]["data_under_classified"], true, "{v}");
    assert_eq!(v["classification"]["data"][0]["path"], "customers.csv");
}
