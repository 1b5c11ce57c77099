//! SARIF as code-scanning services file it: one run per invocation, within GitHub's limits,
//! stable rules from the policy with severities and tags, full regions relative to the
//! repository root, history results with their commit, suppressed results for waivers and
//! baselines, and one alert per secret. Each log is also validated against the official
//! 2.1.0 schema.

mod common;

use common::{Fixture, check_sarif, git};
use serde_json::Value;

fn token() -> String {
    format!("ghp_{}", "Zq8Xw2Lm4Np6Rt1Vb3Kc5Hd7Jf9Gs0Ya2Ue4")
}

fn sarif(f: &Fixture, dir: &str, args: &[&str]) -> Value {
    let out = f
        .cmd()
        .current_dir(f.path().join(dir))
        .args(args)
        .args(["--format", "sarif"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(!text.contains(&token()), "a secret in SARIF");
    check_sarif(&text)
}

fn results(log: &Value) -> &Vec<Value> {
    log["runs"][0]["results"].as_array().unwrap()
}

fn uris(r: &Value) -> Vec<String> {
    r["locations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            l["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect()
}

/// A monorepo (real git) with two artifacts, a secret in one of them.
fn monorepo() -> Fixture {
    let f = Fixture::new();
    git(&f.path(), &["init", "-q", "-b", "main"]);
    f.write(
        ".tier.yaml",
        "version: 1\naudience: employees\ndata: internal\n",
    );
    f.write("svc/.tier.yaml", "version: 1\naudience: me\ndata: none\n");
    f.write("svc/app.py", format!("TOKEN = \"{}\"\n", token()));
    f.write("README.md", "readme\n");
    f
}

#[test]
fn one_run_for_every_artifact_with_full_regions_from_the_repository_root() {
    let f = monorepo();
    let log = sarif(&f, "svc", &["verify", ".."]);
    let runs = log["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1, "one run per invocation");
    let run = &runs[0];
    assert!(
        run.get("automationDetails").is_none(),
        "the upload's category decides"
    );
    assert!(run["originalUriBaseIds"]["%SRCROOT%"].is_object());
    let arts = run["properties"]["artifacts"].as_array().unwrap();
    assert_eq!(arts.len(), 2);
    for r in results(&log) {
        assert!(r["properties"]["artifact"].is_string(), "{r}");
        for l in r["locations"].as_array().unwrap() {
            let region = &l["physicalLocation"]["region"];
            for k in ["startLine", "startColumn", "endLine", "endColumn"] {
                assert!(region[k].as_u64().is_some_and(|n| n >= 1), "{k} in {r}");
            }
            assert_eq!(
                l["physicalLocation"]["artifactLocation"]["uriBaseId"],
                "%SRCROOT%"
            );
        }
    }
    // Run from svc/, paths are still the repository's: svc/app.py, not app.py or ../.
    let secret: Vec<&Value> = results(&log)
        .iter()
        .filter(|r| r["ruleId"] == "github-pat-classic")
        .collect();
    assert_eq!(secret.len(), 1, "one alert per secret");
    assert_eq!(uris(secret[0]), vec!["svc/app.py"]);
    let region = &secret[0]["locations"][0]["physicalLocation"]["region"];
    assert_eq!(region["startLine"], 1);
    assert_eq!(region["startColumn"], 10);
    assert_eq!(region["endColumn"], 10 + 40, "the end of the token");
    // Requirement results do not point at the secret again.
    for r in results(&log)
        .iter()
        .filter(|r| r["ruleId"] != "github-pat-classic")
    {
        assert!(!uris(r).contains(&"svc/app.py".to_string()), "{r}");
    }
}

#[test]
fn rules_come_from_the_policy_with_severities_and_never_level_none() {
    let f = monorepo();
    let log = sarif(&f, ".", &["verify", "."]);
    let rules = log["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    for rule in rules {
        assert_ne!(rule["defaultConfiguration"]["level"], "none", "{rule}");
        assert!(rule["help"]["text"].is_string() && rule["help"]["markdown"].is_string());
    }
    let pat = rules
        .iter()
        .find(|r| r["id"] == "github-pat-classic")
        .unwrap();
    assert_eq!(pat["properties"]["security-severity"], "9.0");
    let tags = pat["properties"]["tags"].as_array().unwrap();
    assert!(tags.contains(&Value::from("security")) && tags.contains(&Value::from("secret")));
    assert!(
        !pat["shortDescription"]["text"]
            .as_str()
            .unwrap()
            .contains("matched rule"),
        "the rule's own description: {pat}"
    );
    // The same rules, word for word, on a second run after the code changed.
    f.write("README.md", "changed\n");
    let again = sarif(&f, ".", &["verify", "."]);
    let ids = |l: &Value| -> Vec<Value> {
        l["runs"][0]["tool"]["driver"]["rules"]
            .as_array()
            .unwrap()
            .clone()
    };
    assert_eq!(ids(&log), ids(&again));
}

#[test]
fn a_run_holds_at_most_25000_results_and_says_what_it_left_out() {
    let f = Fixture::repo();
    let at = "@";
    let mut text = String::with_capacity(30 * 25_010);
    for i in 0..25_010 {
        text.push_str(&format!("ann.lee{i}{at}gmail.com\n"));
    }
    f.write("people.txt", text);
    let out = f
        .cmd()
        .args(["scan", ".", "--format", "sarif"])
        .output()
        .unwrap();
    let log = check_sarif(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(results(&log).len(), 25_000);
    let note = &log["runs"][0]["invocations"][0]["toolExecutionNotifications"][0];
    assert!(
        note["message"]["text"]
            .as_str()
            .unwrap()
            .contains("10 more results were left out"),
        "{note}"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("left out"));
}

#[test]
fn history_results_carry_their_commit_and_baselines_and_waivers_are_suppressed() {
    let f = Fixture::new();
    let dir = f.path();
    git(&dir, &["init", "-q", "-b", "main"]);
    f.write("app.py", format!("TOKEN = \"{}\"\n", token()));
    git(&dir, &["add", "-A"]);
    git(&dir, &["commit", "-q", "-m", "add app"]);
    let log = sarif(&f, ".", &["scan", "--history"]);
    let r = &results(&log)[0];
    assert_eq!(r["properties"]["commit"].as_str().unwrap().len(), 40, "{r}");
    assert_eq!(r["properties"]["presentAtHead"], true);
    assert_eq!(r["properties"]["author"], "Jane");

    // A finding the baseline accepted stays, suppressed.
    let out = f
        .cmd()
        .args(["scan", ".", "--write-baseline", "baseline.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let log = sarif(&f, ".", &["scan", ".", "--baseline", "baseline.json"]);
    let r = &results(&log)[0];
    assert_eq!(r["suppressions"][0]["kind"], "external", "{r}");

    // A waived requirement is a suppressed result, with the waiver as its justification.
    f.write(
        ".tier.yaml",
        "version: 1\naudience: employees\ndata: internal\nowner: jane@corp.example\nwaivers:\n  - requirement: dependency-scanning\n    reason: one script\n    approved_by: sam@eng.example\n    expires: 2026-12-20\n",
    );
    f.write(
        "policy.yaml",
        "version: 1\nextends: default\nengineers:\n  domains: [eng.example]\n",
    );
    f.write("requirements.txt", "requests\n");
    let log = sarif(&f, ".", &["verify", ".", "--policy", "policy.yaml"]);
    let waived = results(&log)
        .iter()
        .find(|r| r["ruleId"] == "dependency-scanning")
        .expect("the waived requirement is reported");
    assert!(
        waived["suppressions"][0]["justification"]
            .as_str()
            .unwrap()
            .contains("one script"),
        "{waived}"
    );
}
