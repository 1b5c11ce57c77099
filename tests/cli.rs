//! End-to-end tests of the commands, run on fixture folders in temp dirs.

mod common;

use common::{Fixture, GENERIC_POLICY, json, tiercheck};
use predicates::prelude::*;
use serde_json::Value;

/// PRODUCT.md's requirements matrix, row by row: id, title, T1..T4
/// (✓ required, ! recommended, – not required).
const PRODUCT_MATRIX: &[(&str, &str, [&str; 4])] = &[
    (
        "ownership",
        "Code ownership and maintenance",
        ["✓", "✓", "✓", "✓"],
    ),
    (
        "human-review",
        "Human review of output",
        ["✓", "✓", "✓", "✓"],
    ),
    (
        "approved-ai-tools",
        "Use only approved AI tools",
        ["✓", "✓", "✓", "✓"],
    ),
    (
        "no-secrets-in-prompts",
        "No secrets in prompts",
        ["✓", "✓", "✓", "✓"],
    ),
    (
        "no-customer-data-in-prompts",
        "No customer or sensitive data in prompts",
        ["✓", "✓", "✓", "✓"],
    ),
    (
        "code-review",
        "Engineering code review",
        ["–", "✓", "✓", "✓"],
    ),
    ("engineer-sponsor", "Engineer sponsor", ["–", "!", "✓", "✓"]),
    (
        "sast-secret-detection",
        "SAST and secret detection",
        ["–", "✓", "✓", "✓"],
    ),
    (
        "dependency-scanning",
        "Dependency scanning",
        ["–", "✓", "✓", "✓"],
    ),
    (
        "ssdlc",
        "Full SSDLC and quality gates",
        ["–", "–", "–", "✓"],
    ),
];

/// PRODUCT.md's tier table: id and name.
const PRODUCT_TIERS: &[(&str, &str)] = &[
    ("T1", "Exploratory"),
    ("T2", "Internal Tool"),
    ("T3", "External/Shared"),
    ("T4", "Production"),
];

fn level_of_mark(mark: &str) -> &'static str {
    match mark {
        "✓" => "required",
        "!" => "recommended",
        "–" => "not_required",
        other => panic!("unknown mark {other}"),
    }
}

#[test]
fn matrix_json_equals_the_product_table() {
    let out = tiercheck()
        .args(["matrix", "--format", "json"])
        .assert()
        .success();
    let v = json(&out.get_output().stdout);
    assert_eq!(v["schema_version"], 2);
    let tiers: Vec<(String, String)> = v["tiers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["id"].as_str().unwrap().to_string(),
                t["name"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expected: Vec<(String, String)> = PRODUCT_TIERS
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert_eq!(tiers, expected);
    let reqs = v["requirements"].as_array().unwrap();
    assert_eq!(reqs.len(), PRODUCT_MATRIX.len());
    for (req, (id, title, marks)) in reqs.iter().zip(PRODUCT_MATRIX) {
        assert_eq!(req["id"], *id);
        assert_eq!(req["title"], *title);
        for (tier, mark) in ["T1", "T2", "T3", "T4"].iter().zip(marks) {
            assert_eq!(req["levels"][tier], level_of_mark(mark), "{id} at {tier}");
        }
    }
}

#[test]
fn matrix_table_shows_the_marks() {
    let out = tiercheck()
        .args(["--color", "never", "matrix"])
        .assert()
        .success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    for (id, title, marks) in PRODUCT_MATRIX {
        let line = text
            .lines()
            .find(|l| l.starts_with(&format!("{id} ")))
            .unwrap_or_else(|| panic!("no row for {id}:\n{text}"));
        assert!(line.contains(title), "{line}");
        let cells: Vec<&str> = line[line.find(title).unwrap() + title.len()..]
            .split_whitespace()
            .collect();
        assert_eq!(cells, marks.to_vec(), "{line}");
    }
}

/// PRODUCT.md's classification, for every pair of answers.
fn expected_tier(audience: &str, data: &str) -> &'static str {
    match audience {
        "production" | "public" => "T4",
        "external" => "T3",
        "employees" => "T2",
        "me" if matches!(data, "none" | "synthetic") => "T1",
        "me" => "T2",
        other => panic!("unknown audience {other}"),
    }
}

#[test]
fn assess_classifies_every_combination() {
    let f = Fixture::repo();
    for audience in ["me", "employees", "external", "production", "public"] {
        for data in [
            "none",
            "synthetic",
            "internal",
            "customer",
            "personal",
            "credentials",
        ] {
            let out = f
                .cmd()
                .args(["assess", "--audience", audience, "--data", data])
                .args(["--format", "json"])
                .assert()
                .code(1);
            let v = json(&out.get_output().stdout);
            let tier = expected_tier(audience, data);
            assert_eq!(v["tier"], tier, "{audience}/{data}");
            assert_eq!(v["schema_version"], 2);
            assert_eq!(v["passed"], false);
            let reason = v["reason"].as_str().unwrap();
            assert!(
                reason.contains(&format!("audience '{audience}'")) && reason.contains(tier),
                "{audience}/{data}: {reason}"
            );
        }
    }
}

#[test]
fn assess_prints_tier_reason_and_matrix() {
    let f = Fixture::repo();
    f.cmd()
        .env("COLUMNS", "160")
        .args([
            "--color",
            "never",
            "assess",
            "--audience",
            "external",
            "--data",
            "none",
        ])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "Tier T3 External/Shared: audience 'external' → T3 (rule: shared outside the company)",
        ))
        .stdout(predicate::str::contains("engineer-sponsor"))
        .stdout(predicate::str::contains("FAIL at T3"));
}

#[test]
fn assess_rejects_an_unknown_answer_listing_valid_ones() {
    let f = Fixture::repo();
    f.cmd()
        .args(["assess", "--audience", "extrnal", "--data", "none"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "unknown answer `extrnal` for --audience",
        ))
        .stderr(predicate::str::contains("did you mean `external`?"))
        .stderr(predicate::str::contains(
            "`me`, `employees`, `external`, `production`, `public`",
        ));
}

#[test]
fn assess_without_answers_and_without_terminal_names_the_flags() {
    let f = Fixture::repo();
    f.cmd()
        .arg("assess")
        .write_stdin("")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--audience"))
        .stderr(predicate::str::contains("--data"))
        .stderr(predicate::str::contains("no terminal"));
}

fn write_generic(f: &Fixture) {
    f.write("policy.yaml", GENERIC_POLICY);
}

#[test]
fn verify_exits_0_when_every_required_requirement_passes() {
    let f = Fixture::repo();
    write_generic(&f);
    f.write("README.md", "# demo\n");
    f.write(
        ".tier.yaml",
        "version: 1\naudience: me\ndata: none\nowner: jane@corp.example\n",
    );
    let out = f
        .cmd()
        .args(["verify", "--policy", "policy.yaml", "--format", "json"])
        .assert()
        .success();
    let v = json(&out.get_output().stdout);
    assert_eq!(v["tier"], "T1");
    assert_eq!(v["passed"], true);
    for r in v["requirements"].as_array().unwrap() {
        let s = r["status"].as_str().unwrap();
        assert!(s == "pass" || s == "skip", "{r}");
        for e in r["evidence"].as_array().unwrap() {
            for key in ["check", "signal", "path", "line", "message"] {
                assert!(e.get(key).is_some(), "evidence lacks {key}: {e}");
            }
        }
    }
    let owner = &v["requirements"][0];
    assert_eq!(owner["id"], "ownership");
    assert_eq!(owner["evidence"][0]["signal"], "owner-set");
}

#[test]
fn verify_exits_1_when_a_required_requirement_fails() {
    let f = Fixture::repo();
    write_generic(&f);
    f.write(".tier.yaml", "version: 1\naudience: me\ndata: none\n");
    let out = f
        .cmd()
        .args(["verify", "--policy", "policy.yaml", "--format", "json"])
        .assert()
        .code(1);
    let v = json(&out.get_output().stdout);
    let owner = &v["requirements"][0];
    assert_eq!(owner["status"], "fail");
    assert_eq!(owner["evidence"][0]["signal"], "owner-missing");
    assert!(owner["remediation"].as_str().unwrap().contains("owner:"));
}

#[test]
fn verify_exits_1_when_required_evidence_is_missing() {
    // A fresh internal tool with an owner and a sponsor: ownership passes, the review is
    // missing, and a check that cannot decide reports `error`, never `pass`.
    let f = Fixture::repo();
    f.write(
        ".tier.yaml",
        "version: 1\naudience: employees\ndata: internal\nowner: jane@corp.example\nsponsor: bob@corp.example\n",
    );
    let out = f
        .cmd()
        .args(["verify", "--format", "json"])
        .assert()
        .code(1);
    let v = json(&out.get_output().stdout);
    for r in v["requirements"].as_array().unwrap() {
        match r["id"].as_str().unwrap() {
            "ownership" => assert_eq!(r["status"], "pass"),
            "human-review" => {
                assert_eq!(r["status"], "fail", "{r}");
                assert!(signals(r).contains(&"review-missing".to_string()), "{r}");
            }
            // Nobody is an engineer under the default policy: that cannot be decided.
            "engineer-sponsor" => {
                assert_eq!(r["level"], "recommended", "{r}");
                assert_eq!(r["status"], "error", "{r}");
                assert!(
                    signals(r).contains(&"engineers-undefined".to_string()),
                    "{r}"
                );
            }
            _ if r["level"] == "not_required" => assert_eq!(r["status"], "skip"),
            _ => {}
        }
    }
}

#[test]
fn recommended_failure_warns_and_fails_only_with_strict() {
    let f = Fixture::repo();
    write_generic(&f);
    f.write("README.md", "# demo\n");
    f.write(
        ".tier.yaml",
        "version: 1\naudience: employees\ndata: internal\nowner: jane@corp.example\n",
    );
    let out = f
        .cmd()
        .args(["verify", "--policy", "policy.yaml", "--format", "json"])
        .assert()
        .success();
    let v = json(&out.get_output().stdout);
    assert_eq!(v["tier"], "T2");
    let sponsor = v["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "engineer-sponsor")
        .unwrap();
    assert_eq!(sponsor["level"], "recommended");
    assert_eq!(sponsor["status"], "warn");
    f.cmd()
        .args(["verify", "--policy", "policy.yaml", "--strict"])
        .assert()
        .code(1);
    // A sponsor who is an engineer clears the warning.
    f.write(
        ".tier.yaml",
        "version: 1\naudience: employees\ndata: internal\nowner: jane@corp.example\nsponsor: bob@eng.example\n",
    );
    f.cmd()
        .args(["verify", "--policy", "policy.yaml", "--strict"])
        .assert()
        .success();
}

#[test]
fn under_classified_manifest_fails() {
    let f = Fixture::repo();
    write_generic(&f);
    f.write("README.md", "# demo\n");
    f.write(
        ".tier.yaml",
        "version: 1\naudience: me\ndata: customer\ntier: T1\nowner: jane@corp.example\n",
    );
    let out = f
        .cmd()
        .args(["verify", "--policy", "policy.yaml", "--format", "json"])
        .assert()
        .code(1);
    let v = json(&out.get_output().stdout);
    assert_eq!(v["tier"], "T2", "checked at the tier the answers imply");
    assert_eq!(v["classification"]["under_classified"], true);
    assert_eq!(v["classification"]["declared"], "T1");
    assert!(
        v["reason"]
            .as_str()
            .unwrap()
            .starts_with("under-classified")
    );
    f.cmd()
        .args(["--color", "never", "verify", "--policy", "policy.yaml"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("✗ under-classified:"));
}

#[test]
fn declaring_a_higher_tier_is_fine() {
    let f = Fixture::repo();
    write_generic(&f);
    f.write("README.md", "# demo\n");
    f.write(
        ".tier.yaml",
        "version: 1\naudience: me\ndata: none\ntier: T2\nowner: jane@corp.example\n",
    );
    let out = f
        .cmd()
        .args(["verify", "--policy", "policy.yaml", "--format", "json"])
        .assert()
        .success();
    let v = json(&out.get_output().stdout);
    assert_eq!(v["tier"], "T2");
    assert_eq!(v["classification"]["under_classified"], false);
    assert!(v["reason"].as_str().unwrap().contains("stricter than"));
}

#[test]
fn verify_without_manifest_exits_2_unless_tier_is_given() {
    let f = Fixture::repo();
    f.write("main.py", "print('hi')\n");
    f.cmd()
        .arg("verify")
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "no .tier.yaml found; run `tiercheck assess --write` or pass --tier",
        ));
    let out = f
        .cmd()
        .args(["verify", "--tier", "T1", "--format", "json"])
        .assert()
        .code(1);
    let v = json(&out.get_output().stdout);
    assert_eq!(v["tier"], "T1");
    assert_eq!(v["manifest"], Value::Null);
    let owner = &v["requirements"][0];
    assert_eq!(owner["status"], "fail");
    assert!(
        owner["evidence"][0]["message"]
            .as_str()
            .unwrap()
            .contains("no .tier.yaml"),
        "{owner}"
    );
}

#[test]
fn tier_flag_overrides_the_declared_tier() {
    let f = Fixture::repo();
    write_generic(&f);
    f.write("README.md", "# demo\n");
    f.write(
        ".tier.yaml",
        "version: 1\naudience: me\ndata: none\nowner: jane@corp.example\n",
    );
    let out = f
        .cmd()
        .args(["verify", "--policy", "policy.yaml", "--tier", "T3"])
        .args(["--format", "json"])
        .assert()
        .code(1);
    let v = json(&out.get_output().stdout);
    assert_eq!(v["tier"], "T3");
    assert_eq!(
        v["reason"],
        "T3 declared in --tier (stricter than audience 'me', data 'none' → T1 (rule: a personal experiment with no real data))"
    );
}

fn monorepo() -> Fixture {
    let f = Fixture::repo();
    write_generic(&f);
    f.write("README.md", "# root\n");
    f.write(
        ".tier.yaml",
        "version: 1\naudience: me\ndata: none\nowner: root@corp.example\n",
    );
    // A passing service and a failing one (no owner, employees → T2 with no sponsor).
    f.write(
        "services/api/.tier.yaml",
        "version: 1\naudience: me\ndata: synthetic\nowner: api@corp.example\n",
    );
    f.write("services/api/README.md", "# api\n");
    f.write("services/api/src/main.rs", "fn main() {}\n");
    f.write(
        "tools/export/.tier.yaml",
        "version: 1\naudience: employees\ndata: customer\n",
    );
    f.write("tools/export/export.py", "print('x')\n");
    f
}

#[test]
fn monorepo_verifies_each_manifest_over_its_subtree() {
    let f = monorepo();
    let out = f
        .cmd()
        .args(["verify", "--policy", "policy.yaml", "--format", "json"])
        .assert()
        .code(1);
    let v = json(&out.get_output().stdout);
    assert_eq!(v["schema_version"], 2);
    assert_eq!(v["passed"], false);
    let arts = v["artifacts"].as_array().unwrap();
    let summary: Vec<(String, String, bool)> = arts
        .iter()
        .map(|a| {
            (
                a["path"].as_str().unwrap().to_string(),
                a["tier"].as_str().unwrap().to_string(),
                a["passed"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (".".to_string(), "T1".to_string(), true),
            ("services/api".to_string(), "T1".to_string(), true),
            ("tools/export".to_string(), "T2".to_string(), false),
        ]
    );
    assert!(arts.iter().all(|a| a.get("schema_version").is_none()));
    // The export tool has no README of its own: the root README is not part of its artifact.
    let export = &arts[2];
    let review = export["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "human-review")
        .unwrap();
    assert_eq!(review["status"], "fail");
}

#[test]
fn monorepo_exit_code_is_the_worst() {
    let f = monorepo();
    f.write("tools/export/README.md", "# export\n");
    f.write(
        "tools/export/.tier.yaml",
        "version: 1\naudience: employees\ndata: customer\nowner: a@corp.example\nsponsor: b@eng.example\n",
    );
    f.cmd()
        .args(["verify", "--policy", "policy.yaml"])
        .assert()
        .success();
    f.write(
        "services/api/.tier.yaml",
        "version: 1\naudience: me\ndata: none\n",
    );
    f.cmd()
        .args(["verify", "--policy", "policy.yaml"])
        .assert()
        .code(1);
}

#[test]
fn path_below_a_manifest_verifies_that_manifests_artifact() {
    let f = monorepo();
    let out = f
        .cmd()
        .args(["verify", "--policy", "policy.yaml", "--format", "json"])
        .arg("services/api/src")
        .assert()
        .success();
    let v = json(&out.get_output().stdout);
    assert_eq!(v["path"], "services/api");
    assert_eq!(v["manifest"], "services/api/.tier.yaml");
}

#[test]
fn a_single_file_is_governed_by_the_manifest_above_it() {
    let f = monorepo();
    let out = f
        .cmd()
        .args(["verify", "--policy", "policy.yaml", "--format", "json"])
        .arg("tools/export/export.py")
        .assert()
        .code(1);
    let v = json(&out.get_output().stdout);
    assert_eq!(v["manifest"], "tools/export/.tier.yaml");
    assert_eq!(v["tier"], "T2");
}

fn waiver_fixture(expires: &str) -> Fixture {
    let f = Fixture::repo();
    write_generic(&f);
    // No README: human-review and the other README requirements fail, unless waived.
    f.write(
        ".tier.yaml",
        format!(
            "version: 1\naudience: me\ndata: none\nowner: jane@corp.example\nwaivers:\n  - requirement: human-review\n    reason: generated code, reviewed upstream\n    approved_by: bob@eng.example\n    expires: {expires}\n"
        ),
    );
    f
}

fn requirement<'a>(v: &'a Value, id: &str) -> &'a Value {
    v["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id)
        .unwrap_or_else(|| panic!("no requirement {id}"))
}

fn signals(r: &Value) -> Vec<String> {
    r["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["signal"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn valid_waiver_skips_the_requirement() {
    let f = waiver_fixture("2026-12-31");
    let out = f
        .cmd()
        .args(["verify", "--policy", "policy.yaml", "--format", "json"])
        .assert()
        .code(1);
    let v = json(&out.get_output().stdout);
    let r = requirement(&v, "human-review");
    assert_eq!(r["status"], "skip");
    assert!(signals(r).contains(&"waived".to_string()), "{r}");
    assert_eq!(
        r["evidence"].as_array().unwrap().last().unwrap()["path"],
        ".tier.yaml"
    );
    // The last valid day is the expiry day itself.
    let out = f
        .cmd()
        .env("TIERCHECK_TODAY", "2026-12-31")
        .args(["verify", "--policy", "policy.yaml", "--format", "json"])
        .assert()
        .code(1);
    assert_eq!(
        requirement(&json(&out.get_output().stdout), "human-review")["status"],
        "skip"
    );
}

#[test]
fn expired_waiver_fails() {
    let f = waiver_fixture("2026-11-27");
    let out = f
        .cmd()
        .args(["verify", "--policy", "policy.yaml", "--format", "json"])
        .assert()
        .code(1);
    let v = json(&out.get_output().stdout);
    let r = requirement(&v, "human-review");
    assert_eq!(r["status"], "fail");
    assert!(signals(r).contains(&"waiver-expired".to_string()), "{r}");
}

#[test]
fn unused_waiver_is_reported() {
    let f = waiver_fixture("2026-12-31");
    f.write("README.md", "# demo\n");
    let out = f
        .cmd()
        .args(["verify", "--policy", "policy.yaml", "--format", "json"])
        .assert()
        .success();
    let v = json(&out.get_output().stdout);
    let r = requirement(&v, "human-review");
    assert_eq!(r["status"], "pass");
    assert!(signals(r).contains(&"waiver-unused".to_string()), "{r}");
}

#[test]
fn assess_write_creates_a_manifest() {
    let f = Fixture::repo();
    f.cmd()
        .args([
            "assess",
            "--audience",
            "employees",
            "--data",
            "internal",
            "--write",
        ])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("wrote .tier.yaml"));
    let text = f.read(".tier.yaml");
    assert!(text.contains("version: 1\n"), "{text}");
    assert!(text.contains("audience: employees\n"), "{text}");
    assert!(text.contains("data: internal\n"), "{text}");
    // The written manifest is valid and classifies the same way.
    let out = f
        .cmd()
        .args(["verify", "--format", "json"])
        .assert()
        .code(1);
    assert_eq!(json(&out.get_output().stdout)["tier"], "T2");
}

#[test]
fn assess_write_updates_and_keeps_comments_and_fields() {
    let f = Fixture::repo();
    let before = "# Our export script.\nversion: 1\nname: export   # the job's name\naudience: me # for now\nowner: jane@corp.example\nai_tools: [copilot]\n";
    f.write(".tier.yaml", before);
    f.cmd()
        .args([
            "assess",
            "--audience",
            "external",
            "--data",
            "customer",
            "--write",
        ])
        .assert()
        .code(1);
    let after = f.read(".tier.yaml");
    assert_eq!(
        after,
        "# Our export script.\nversion: 1\nname: export   # the job's name\naudience: external # for now\nowner: jane@corp.example\nai_tools: [copilot]\ndata: customer\n"
    );
}

#[test]
fn assess_uses_the_answers_already_in_the_manifest() {
    let f = Fixture::repo();
    f.write(
        ".tier.yaml",
        "version: 1\naudience: production\ndata: none\n",
    );
    let out = f
        .cmd()
        .args(["assess", "--format", "json"])
        .write_stdin("")
        .assert()
        .code(1);
    assert_eq!(json(&out.get_output().stdout)["tier"], "T4");
}

#[test]
fn policy_check_accepts_a_valid_policy() {
    let f = Fixture::new();
    write_generic(&f);
    f.cmd()
        .args(["policy", "check", "policy.yaml"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "policy.yaml: ok (4 tiers, 2 questions, 5 classification rules, 10 requirements",
        ));
}

#[test]
fn policy_check_reports_every_problem() {
    let f = Fixture::new();
    f.write(
        "p.yaml",
        "version: 1\nextends: default\nclassification:\n  - id: odd\n    description: d\n    when: {audience: [extrnal]}\n    tier: T9\n",
    );
    f.cmd()
        .args(["policy", "check", "p.yaml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "unknown tier `T9` in classification rule `odd`",
        ))
        .stderr(predicate::str::contains("p.yaml:7:11"))
        .stderr(predicate::str::contains("unknown answer `extrnal`"))
        .stderr(predicate::str::contains("p.yaml:6:23"));
}

#[test]
fn policy_show_prints_the_default_policy() {
    let out = tiercheck().args(["policy", "show"]).assert().success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(text.starts_with("# tiercheck default policy."), "{text}");
    assert!(text.contains("id: engineer-sponsor"));
}

#[test]
fn policy_show_prints_a_merged_policy_that_checks_clean() {
    let f = Fixture::new();
    write_generic(&f);
    let out = f
        .cmd()
        .args(["policy", "show", "--policy", "policy.yaml"])
        .assert()
        .success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(!text.contains("extends"), "{text}");
    assert!(text.contains("eng.example"), "{text}");
    f.write("merged.yaml", &text);
    f.cmd()
        .args(["policy", "check", "merged.yaml"])
        .assert()
        .success();
}

#[test]
fn matrix_reads_a_policy_from_the_environment() {
    let f = Fixture::new();
    f.write(
        "p.yaml",
        "version: 1\nextends: default\ntiers:\n  - id: T1\n    name: Sandbox\n",
    );
    let out = f
        .cmd()
        .env("TIERCHECK_POLICY", "p.yaml")
        .args(["matrix", "--format", "json"])
        .assert()
        .success();
    assert_eq!(
        json(&out.get_output().stdout)["tiers"][0]["name"],
        "Sandbox"
    );
}

#[test]
fn a_closed_pipe_ends_quietly_with_sigpipes_status() {
    // `tiercheck policy show | head -1`: the reader goes away early. tiercheck stops without
    // a message and with the status a shell gives a program SIGPIPE ended (128 + 13).
    use std::io::Read;
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_tiercheck"))
        .args(["policy", "show"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(141), "{status:?}: {err}");
    assert!(err.is_empty(), "{err}");
}

#[test]
fn the_readme_first_command_prints_the_matrix_of_this_repository() {
    // `cargo run --release -- verify .` on a clean clone: tiercheck's own .tier.yaml is valid.
    let out = tiercheck()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["--color", "never", "verify", "."])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_ne!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("Tier T4 Production"), "{text}");
    assert!(text.contains("ownership"), "{text}");
}

#[test]
fn the_readme_matrix_is_the_product_matrix() {
    let readme = include_str!("../README.md");
    for (id, title, marks) in PRODUCT_MATRIX {
        let row = format!("| {id} | {title} | {} |", marks.join(" | "));
        assert!(readme.contains(&row), "README.md lacks `{row}`");
    }
}

#[test]
fn folder_without_its_own_manifest_verifies_its_governor_and_nested_ones() {
    let f = monorepo();
    let out = f
        .cmd()
        .args([
            "verify",
            "--policy",
            "policy.yaml",
            "--format",
            "json",
            "tools",
        ])
        .assert()
        .code(1);
    let v = json(&out.get_output().stdout);
    let paths: Vec<&str> = v["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, [".", "tools/export"]);
}

#[test]
fn assess_at_a_monorepo_root_without_manifest_leaves_nested_artifacts_out() {
    let f = Fixture::repo();
    f.write(
        "policy.yaml",
        GENERIC_POLICY.replace("globs: [README.md]", "globs: ['**/README.md']"),
    );
    f.write("svc/.tier.yaml", "version: 1\naudience: me\ndata: none\n");
    f.write("svc/README.md", "# svc\n");
    let out = f
        .cmd()
        .args([
            "assess",
            "--policy",
            "policy.yaml",
            "--audience",
            "me",
            "--data",
            "none",
        ])
        .args(["--format", "json"])
        .assert()
        .code(1);
    let v = json(&out.get_output().stdout);
    assert_eq!(v["path"], ".");
    // svc/README.md belongs to svc's artifact, so the root has no README.
    assert_eq!(requirement(&v, "human-review")["status"], "fail");
}

#[test]
fn manifest_schema_lists_exactly_the_manifest_fields() {
    // The unknown-field message lists every field the parser accepts.
    let f = Fixture::repo();
    f.write(".tier.yaml", "version: 1\nzzz: 1\n");
    let out = f.cmd().arg("verify").assert().code(2);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    let list = stderr.split("valid fields: `").nth(1).unwrap();
    let mut accepted: Vec<&str> = list
        .split('`')
        .step_by(2)
        .take_while(|s| !s.contains(')'))
        .collect();
    accepted.retain(|s| !s.trim().is_empty());
    let schema: Value =
        serde_json::from_str(include_str!("../docs/schema/tier.schema.json")).unwrap();
    let mut documented: Vec<&str> = schema["properties"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    accepted.sort();
    documented.sort();
    assert_eq!(accepted, documented, "{stderr}");
}

#[test]
fn assess_write_never_leaves_a_broken_manifest() {
    let f = Fixture::repo();
    let before = "{version: 1, audience: me, data: none}\n";
    f.write(".tier.yaml", before);
    f.cmd()
        .args([
            "assess",
            "--audience",
            "external",
            "--data",
            "none",
            "--write",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "cannot update .tier.yaml in place",
        ));
    assert_eq!(f.read(".tier.yaml"), before);
}

#[test]
fn policy_schema_names_only_fields_the_parser_accepts() {
    let f = Fixture::new();
    f.write("p.yaml", "version: 1\nzzz: 1\n");
    let out = f.cmd().args(["policy", "check", "p.yaml"]).assert().code(2);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    let schema: Value =
        serde_json::from_str(include_str!("../docs/schema/policy.schema.json")).unwrap();
    for key in schema["properties"].as_object().unwrap().keys() {
        assert!(
            stderr.contains(&format!("`{key}`")),
            "{key} not accepted:\n{stderr}"
        );
    }
    // Every top-level section of the default policy is described by the schema.
    for line in include_str!("../policies/default.yaml").lines() {
        if let Some((key, _)) = line.split_once(':')
            && !key.is_empty()
            && key.chars().all(|c| c.is_ascii_lowercase() || c == '_')
        {
            assert!(
                schema["properties"].get(key).is_some(),
                "top-level `{key}` missing from the schema"
            );
        }
    }
    // The default policy's check kinds all appear in the schema's enum.
    let kinds = schema["$defs"]["check"]["properties"]["kind"]["enum"].to_string();
    let policy = include_str!("../policies/default.yaml");
    for line in policy.lines() {
        if let Some(kind) = line.trim().strip_prefix("- kind: ") {
            assert!(
                kinds.contains(&format!("\"{kind}\"")),
                "{kind} missing from the schema"
            );
        }
    }
}

#[cfg(unix)]
#[test]
fn an_unreadable_folder_makes_the_content_scans_an_error_not_a_pass() {
    use std::os::unix::fs::PermissionsExt;
    let f = Fixture::repo();
    f.write("locked/prompts/ask.md", "summarise the ticket");
    f.write("README.md", "# tool\n");
    let dir = f.path().join("locked");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o000)).unwrap();
    let readable = std::fs::read_dir(&dir).is_ok();
    let out = f
        .cmd()
        .args(["verify", "--tier", "T2", "--format", "json", "."])
        .output()
        .unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let v = json(&out.stdout);
    let req = v["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "no-secrets-in-prompts")
        .unwrap()
        .clone();
    if readable {
        // Running as root: permissions do not stop reading.
        assert_eq!(req["status"], "pass", "{req}");
    } else {
        assert_eq!(req["status"], "error", "{req}");
        let ev = req["evidence"].as_array().unwrap();
        assert!(
            ev.iter()
                .any(|e| e["signal"] == "unreadable" && e["path"] == "locked"),
            "{req}"
        );
        assert_eq!(out.status.code(), Some(1));
    }
}
