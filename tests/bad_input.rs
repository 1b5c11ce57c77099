//! Bad input: each case ends with exit code 2 and a short message, pointing at
//! file:line:column where there is one, never with a panic or a backtrace.

mod common;

use assert_cmd::Command;
use common::Fixture;

/// Runs `cmd`, checks the error contract and returns stderr.
fn bad(mut cmd: Command) -> String {
    // Even with backtraces asked for, a bad input is a message, not a crash.
    let out = cmd.env("RUST_BACKTRACE", "1").output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "stderr:\n{stderr}");
    assert!(
        out.stdout.is_empty(),
        "stdout: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(stderr.starts_with("error: "), "{stderr}");
    for word in ["panicked", "backtrace", "RUST_BACKTRACE"] {
        assert!(!stderr.contains(word), "{stderr}");
    }
    let lines = stderr.lines().count();
    assert!(
        lines <= 24,
        "{lines} lines is more than one screen:\n{stderr}"
    );
    stderr
}

fn has(stderr: &str, parts: &[&str]) {
    for p in parts {
        assert!(stderr.contains(p), "missing `{p}` in:\n{stderr}");
    }
}

fn verify(f: &Fixture) -> Command {
    let mut c = f.cmd();
    c.arg("verify");
    c
}

#[test]
fn malformed_manifest_yaml() {
    let f = Fixture::repo();
    f.write(".tier.yaml", "version: 1\nowner: [jane\n");
    has(&bad(verify(&f)), &[".tier.yaml:2:8", "owner: [jane"]);
}

#[test]
fn malformed_policy_yaml() {
    let f = Fixture::new();
    f.write("p.yaml", "version: 1\ntiers: [\n");
    let mut c = f.cmd();
    c.args(["policy", "check", "p.yaml"]);
    has(&bad(c), &["p.yaml:2:8"]);
    let mut c = f.cmd();
    c.args(["matrix", "--policy", "p.yaml"]);
    has(&bad(c), &["p.yaml:2:8"]);
}

#[test]
fn unknown_manifest_field_suggests_the_nearest() {
    let f = Fixture::repo();
    f.write(
        ".tier.yaml",
        "version: 1\naudience: me\nownr: jane@corp.example\n",
    );
    has(
        &bad(verify(&f)),
        &[
            "unknown field `ownr`",
            ".tier.yaml:3:1",
            "did you mean `owner`?",
        ],
    );
}

#[test]
fn unknown_policy_field_suggests_the_nearest() {
    let f = Fixture::new();
    f.write("p.yaml", "version: 1\nextends: default\ntirs: []\n");
    let mut c = f.cmd();
    c.args(["policy", "check", "p.yaml"]);
    has(
        &bad(c),
        &[
            "unknown field `tirs`",
            "p.yaml:3:1",
            "did you mean `tiers`?",
        ],
    );
}

#[test]
fn unknown_check_kind_suggests_the_nearest() {
    let f = Fixture::new();
    f.write(
        "p.yaml",
        "version: 1\nextends: default\nrequirements:\n  - id: ownership\n    title: t\n    remediation: r\n    levels: {T1: required, T2: required, T3: required, T4: required}\n    checks:\n      - kind: file-exist\n        globs: [a]\n",
    );
    let mut c = f.cmd();
    c.args(["policy", "check", "p.yaml"]);
    has(
        &bad(c),
        &[
            "unknown value `file-exist`",
            "p.yaml:9:9",
            "did you mean `file-exists`?",
        ],
    );
}

#[test]
fn unknown_audience_lists_the_valid_ones() {
    let f = Fixture::repo();
    let mut c = f.cmd();
    c.args(["assess", "--audience", "extrnal", "--data", "none"]);
    has(
        &bad(c),
        &[
            "unknown answer `extrnal` for --audience",
            "`me`, `employees`, `external`, `production`, `public`",
        ],
    );
}

#[test]
fn unknown_answer_in_manifest_is_located() {
    let f = Fixture::repo();
    f.write(".tier.yaml", "version: 1\naudience: extrnal\ndata: none\n");
    has(
        &bad(verify(&f)),
        &[
            "unknown audience `extrnal`",
            ".tier.yaml:2:11",
            "did you mean `external`?",
        ],
    );
}

#[test]
fn unknown_tier_flag() {
    let f = Fixture::repo();
    let mut c = verify(&f);
    c.args(["--tier", "T9"]);
    has(&bad(c), &["unknown tier `T9`", "`T1`, `T2`, `T3`, `T4`"]);
}

#[test]
fn unknown_tier_in_manifest() {
    let f = Fixture::repo();
    f.write(".tier.yaml", "version: 1\ntier: T9\n");
    has(
        &bad(verify(&f)),
        &[
            "unknown tier `T9`",
            ".tier.yaml:2:7",
            "`T1`, `T2`, `T3`, `T4`",
        ],
    );
}

#[test]
fn invalid_regex_names_the_requirement() {
    let f = Fixture::new();
    f.write(
        "p.yaml",
        "version: 1\nextends: default\nrequirements:\n  - id: license-header\n    title: License header\n    remediation: add one\n    levels: {T1: required, T2: required, T3: required, T4: required}\n    checks:\n      - kind: file-contains\n        globs: ['*.rs']\n        regex: '(Copyright'\n",
    );
    let mut c = f.cmd();
    c.args(["policy", "check", "p.yaml"]);
    has(
        &bad(c),
        &[
            "invalid regex in requirement `license-header`",
            "p.yaml:11:17",
        ],
    );
}

#[test]
fn requirement_lacking_a_tier_level() {
    let f = Fixture::new();
    f.write(
        "p.yaml",
        "version: 1\nextends: default\nrequirements:\n  - id: license-header\n    title: License header\n    remediation: add one\n    levels: {T1: required, T3: required}\n    checks:\n      - kind: file-exists\n        globs: [LICENSE]\n",
    );
    let mut c = f.cmd();
    c.args(["policy", "check", "p.yaml"]);
    has(
        &bad(c),
        &[
            "requirement `license-header` has no level for tiers `T2`, `T4`",
            "p.yaml:4:9",
        ],
    );
}

#[test]
fn unknown_level_value() {
    let f = Fixture::new();
    f.write(
        "p.yaml",
        "version: 1\nextends: default\nrequirements:\n  - id: x\n    title: X\n    remediation: r\n    levels: {T1: required, T2: requird, T3: required, T4: required}\n    checks:\n      - kind: file-exists\n        globs: [LICENSE]\n",
    );
    let mut c = f.cmd();
    c.args(["policy", "check", "p.yaml"]);
    has(
        &bad(c),
        &[
            "unknown value `requird`",
            "p.yaml:7:32",
            "did you mean `required`?",
        ],
    );
}

#[test]
fn path_that_does_not_exist() {
    let f = Fixture::repo();
    let mut c = verify(&f);
    c.arg("no/such/place");
    has(&bad(c), &["path `no/such/place` does not exist"]);
    let mut c = f.cmd();
    c.args(["assess", "--audience", "me", "--data", "none", "nowhere"]);
    has(&bad(c), &["path `nowhere` does not exist"]);
}

#[test]
fn policy_file_that_does_not_exist() {
    let f = Fixture::new();
    let mut c = f.cmd();
    c.args(["matrix", "--policy", "nope.yaml"]);
    has(&bad(c), &["cannot read policy nope.yaml"]);
}

#[test]
fn non_utf8_manifest() {
    let f = Fixture::repo();
    f.write(".tier.yaml", b"version: 1\nowner: j\xffane\n");
    has(
        &bad(verify(&f)),
        &["manifest is not valid UTF-8", ".tier.yaml:2:9"],
    );
}

#[test]
fn huge_manifest_is_refused_unread() {
    let f = Fixture::repo();
    let mut text = String::from("version: 1\nname: ");
    text.push_str(&"a".repeat(5 * 1024 * 1024));
    f.write(".tier.yaml", text);
    has(&bad(verify(&f)), &["more than the 4194304 bytes"]);
}

#[test]
fn manifest_over_the_yaml_budget() {
    // Under the byte limit, but more nodes than the parser's budget allows.
    let f = Fixture::repo();
    let mut text = String::from("version: 1\nmaintainers: [");
    for i in 0..300_000 {
        text.push_str(if i == 0 { "a" } else { ",a" });
    }
    text.push_str("]\n");
    f.write(".tier.yaml", text);
    has(
        &bad(verify(&f)),
        &["too large or too deeply nested", ".tier.yaml:2:"],
    );
}

#[test]
fn billion_laughs_manifest() {
    let f = Fixture::repo();
    let mut text = String::from("version: 1\nx0: &x0 [a, a, a, a, a, a, a, a, a, a]\n");
    for i in 1..10 {
        let prev = format!("*x{}", i - 1);
        text.push_str(&format!("x{i}: &x{i} [{}]\n", vec![prev; 10].join(", ")));
    }
    f.write(".tier.yaml", text);
    bad(verify(&f));
}

#[test]
fn manifest_that_is_a_directory() {
    let f = Fixture::repo();
    std::fs::create_dir_all(f.path().join(".tier.yaml")).unwrap();
    has(&bad(verify(&f)), &[".tier.yaml is a directory, not a file"]);
}

#[test]
fn manifest_that_is_not_a_mapping() {
    let f = Fixture::repo();
    f.write(".tier.yaml", "- a\n- b\n");
    has(&bad(verify(&f)), &[".tier.yaml:1:1"]);
}

#[test]
fn unsupported_manifest_version() {
    let f = Fixture::repo();
    f.write(".tier.yaml", "version: 2\naudience: me\ndata: none\n");
    has(
        &bad(verify(&f)),
        &["unsupported manifest version 2", ".tier.yaml:1:10"],
    );
}

#[test]
fn manifest_without_answers_or_tier() {
    let f = Fixture::repo();
    f.write(".tier.yaml", "version: 1\naudience: me\n");
    has(
        &bad(verify(&f)),
        &["cannot tell the tier", "`data`", "--tier"],
    );
}

#[test]
fn waiver_problems_are_located() {
    let f = Fixture::repo();
    f.write(
        ".tier.yaml",
        "version: 1\naudience: me\ndata: none\nwaivers:\n  - requirement: ownrship\n    reason: r\n    approved_by: b@corp.example\n    expires: 2026-13-01\n",
    );
    has(
        &bad(verify(&f)),
        &[
            "waiver names unknown requirement `ownrship`",
            ".tier.yaml:5:18",
            "did you mean `ownership`?",
            "waiver expiry `2026-13-01` is not a date",
            ".tier.yaml:8:14",
        ],
    );
}

#[test]
fn nested_manifest_errors_are_reported_with_their_file() {
    let f = Fixture::repo();
    f.write(".tier.yaml", "version: 1\naudience: me\ndata: none\n");
    f.write("svc/.tier.yaml", "version: 1\naudience: me\ndata: nope\n");
    // The broken nested manifest is an error in the report; the rest is still checked.
    let out = verify(&f).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "svc/.tier.yaml:3:7",
        "unknown data `nope`",
        "ERROR: not checked",
        "T1 Exploratory",
    ] {
        assert!(text.contains(needle), "{needle}: {text}");
    }
    // The manifest governing PATH itself must load: exit 2.
    let mut c = common::tiercheck();
    c.current_dir(f.path().join("svc")).args(["verify", "."]);
    has(&bad(c), &["unknown data `nope`"]);
}

#[test]
fn bad_today_override() {
    let f = Fixture::repo();
    f.write(".tier.yaml", "version: 1\naudience: me\ndata: none\n");
    let mut c = verify(&f);
    c.env("TIERCHECK_TODAY", "tomorrow");
    has(&bad(c), &["TIERCHECK_TODAY `tomorrow` is not a date"]);
}

#[test]
fn unknown_format_and_command_are_usage_errors() {
    let mut c = common::tiercheck();
    c.args(["matrix", "--format", "xml"]);
    has(&bad(c), &["xml"]);
    let mut c = common::tiercheck();
    c.arg("bogus");
    has(&bad(c), &["bogus"]);
}

#[test]
fn policy_that_is_a_directory_or_not_utf8() {
    let f = Fixture::new();
    std::fs::create_dir_all(f.path().join("pol")).unwrap();
    let mut c = f.cmd();
    c.args(["matrix", "--policy", "pol"]);
    has(&bad(c), &["policy pol is a directory, not a file"]);
    f.write("p.yaml", b"version: 1\n# \xc3\x28\n");
    let mut c = f.cmd();
    c.args(["policy", "check", "p.yaml"]);
    has(&bad(c), &["policy is not valid UTF-8", "p.yaml:2:3"]);
}

#[test]
fn unknown_check_setting_points_at_the_key() {
    let f = Fixture::new();
    f.write(
        "p.yaml",
        "version: 1\nextends: default\nrequirements:\n  - id: ownership\n    title: t\n    remediation: r\n    levels: {T1: required, T2: required, T3: required, T4: required}\n    checks:\n      - kind: file-exists\n        glob: [a]\n",
    );
    let mut c = f.cmd();
    c.args(["policy", "check", "p.yaml"]);
    has(
        &bad(c),
        &[
            "unknown field `glob`",
            "p.yaml:10:9",
            "did you mean `globs`?",
        ],
    );
}
