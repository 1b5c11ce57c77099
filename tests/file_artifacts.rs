//! A file is an artifact of its own: `assess FILE --write` records it in `FILE.tier.yaml`
//! beside it, the digest covers exactly the file and the files shipped with it (those its
//! manifest lists in `files:` and those the script names), two scripts of one folder can be
//! two artifacts at different tiers, and a folder's artifact leaves them out.

mod common;

use common::{Fixture, json};
use serde_json::Value;

fn run(f: &Fixture, args: &[&str]) -> (i32, String, String) {
    let out = f.cmd().args(args).output().unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn run_json(f: &Fixture, args: &[&str]) -> (i32, Value) {
    let out = f
        .cmd()
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    (out.status.code().unwrap(), json(&out.stdout))
}

/// The digest a review recorded in a manifest.
fn recorded_digest(manifest: &str) -> String {
    manifest
        .lines()
        .find_map(|l| l.trim().strip_prefix("digest: "))
        .unwrap_or_else(|| panic!("no digest in\n{manifest}"))
        .trim()
        .to_string()
}

#[test]
fn assess_write_on_a_file_records_the_file_and_what_it_reads() {
    let f = Fixture::repo();
    f.write("demo.py", "rows = open('input.csv').read()\nprint(rows)\n");
    f.write("input.csv", "a,b\n1,2\n");
    f.write("other.py", "print('not part of demo.py')\n");
    let (code, _, err) = run(
        &f,
        &[
            "assess",
            "demo.py",
            "--audience",
            "me",
            "--data",
            "none",
            "--write",
        ],
    );
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("wrote demo.py.tier.yaml"), "{err}");
    assert!(!f.path().join(".tier.yaml").exists(), "no folder manifest");
    let m = f.read("demo.py.tier.yaml");
    assert!(
        m.contains("name: demo.py") && m.contains("audience: me"),
        "{m}"
    );

    // The review covers demo.py and the CSV it reads, not other.py.
    let (code, out, err) = run(&f, &["review", "demo.py", "--by", "pm@corp.example"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("(2 files: demo.py, input.csv)"),
        "review lists what it covers: {out}"
    );
    f.write("other.py", "print('changed')\n");
    let (_, v) = run_json(&f, &["verify", "demo.py"]);
    assert_eq!(v["path"], "demo.py");
    assert_eq!(v["manifest"], "demo.py.tier.yaml");
    assert_eq!(v["ships_with"], serde_json::json!(["input.csv"]));
    let owner = v["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "ownership")
        .unwrap();
    assert_eq!(owner["evidence"][0]["path"], "demo.py.tier.yaml", "{owner}");

    // The data file is part of the artifact: changing it makes the review stale.
    let digest = recorded_digest(&f.read("demo.py.tier.yaml"));
    f.write("input.csv", "a,b\n1,3\n");
    let (_, v) = run_json(&f, &["verify", "demo.py"]);
    let review = v["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "human-review")
        .unwrap();
    assert_eq!(review["status"], "fail", "{review}");
    assert!(
        review.to_string().contains("review-stale") || !review.to_string().contains(&digest),
        "{review}"
    );
}

#[test]
fn two_scripts_in_one_folder_are_two_artifacts_at_their_own_tiers() {
    let f = Fixture::repo();
    f.write("scratch.py", "print('trying something')\n");
    f.write("export.py", "print('sent to a partner')\n");
    f.write(
        "scratch.py.tier.yaml",
        "version: 1\naudience: me\ndata: none\n",
    );
    f.write(
        "export.py.tier.yaml",
        "version: 1\naudience: external\ndata: internal\n",
    );
    let (code, v) = run_json(&f, &["verify", "."]);
    assert_eq!(code, 1);
    let arts = v["artifacts"].as_array().expect("two artifacts");
    let tiers: Vec<(String, String)> = arts
        .iter()
        .map(|a| {
            (
                a["path"].as_str().unwrap().to_string(),
                a["tier"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        tiers,
        vec![
            ("export.py".to_string(), "T3".to_string()),
            ("scratch.py".to_string(), "T1".to_string())
        ],
        "{v}"
    );
    for a in arts {
        assert_eq!(a["classification"]["under_classified"], false, "{a}");
    }
}

#[test]
fn a_folder_artifact_leaves_out_the_files_with_manifests_of_their_own() {
    let f = Fixture::repo();
    f.write("app.py", "print('app')\n");
    f.write(
        ".tier.yaml",
        "version: 1\naudience: employees\ndata: internal\nowner: jane@corp.example\n",
    );
    f.write("tool.py", "print('tool')\n");
    f.write(
        "tool.py.tier.yaml",
        "version: 1\naudience: external\ndata: internal\nfiles: [tool.md]\n",
    );
    f.write("tool.md", "how to run the tool\n");
    let (code, out, err) = run(&f, &["review", ".", "--by", "jane@corp.example"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("(1 file)"), "only app.py: {out}");
    // The file's own artifact holds its declared file; the folder's review stays current.
    f.write("tool.md", "changed\n");
    f.write("tool.py", "print('tool 2')\n");
    let (_, v) = run_json(&f, &["verify", "."]);
    let arts = v["artifacts"].as_array().unwrap();
    let folder = arts.iter().find(|a| a["path"] == ".").unwrap();
    let review = folder["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "human-review")
        .unwrap();
    assert!(
        review.to_string().contains("review-current"),
        "the folder's review is not made stale by the file's artifact: {review}"
    );
    let tool = arts.iter().find(|a| a["path"] == "tool.py").unwrap();
    assert_eq!(tool["ships_with"], serde_json::json!(["tool.md"]));
    assert_eq!(tool["tier"], "T3");
}

#[test]
fn a_file_may_not_be_declared_lower_than_its_folder() {
    let f = Fixture::repo();
    f.write(
        ".tier.yaml",
        "version: 1\naudience: external\ndata: internal\n",
    );
    f.write("quiet.py", "print(1)\n");
    f.write(
        "quiet.py.tier.yaml",
        "version: 1\naudience: me\ndata: none\n",
    );
    let (code, v) = run_json(&f, &["verify", "quiet.py"]);
    assert_eq!(code, 1);
    assert_eq!(v["tier"], "T3", "{v}");
    assert_eq!(v["classification"]["under_classified"], true);
    assert!(
        v["reason"]
            .as_str()
            .unwrap()
            .contains("may not declare a lower tier"),
        "{v}"
    );
}

#[test]
fn a_file_only_its_folder_governs_is_assessed_alone_and_not_reviewed_as_the_folder() {
    let f = Fixture::repo();
    f.write(
        ".tier.yaml",
        "version: 1\naudience: employees\ndata: internal\n",
    );
    f.write("a.py", "print(1)\n");
    f.write("b.py", "print(2)\n");
    let (_, out, err) = run(&f, &["assess", "a.py"]);
    assert!(
        err.contains("note: .tier.yaml governs a.py with its folder"),
        "{err}"
    );
    assert!(out.starts_with("a.py (no manifest)"), "{out}");
    assert!(
        out.contains("T2"),
        "the folder's answers are the defaults: {out}"
    );
    let (code, _, err) = run(&f, &["review", "a.py", "--by", "jane@corp.example"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("has no manifest of its own"), "{err}");
    assert!(err.contains("tiercheck assess a.py --write"), "{err}");
    // `verify FILE` checks the artifact that governs it, and says so.
    let (_, v) = run_json(&f, &["verify", "a.py"]);
    assert_eq!(v["manifest"], ".tier.yaml");
}

#[test]
fn bad_file_manifests_are_located_errors() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "files: [missing.csv]\n",
            "`files:` entry `missing.csv` cannot be read",
            ":2:9",
        ),
        (
            "files: ['../up.csv']\n",
            "leaves the manifest's folder",
            ":2:9",
        ),
        ("files: [/etc/passwd]\n", "is an absolute path", ":2:9"),
        ("files: [data]\n", "is a folder", ":2:9"),
        (
            "files: [s.py]\n",
            "is the file this manifest governs",
            ":2:9",
        ),
    ];
    for (extra, message, at) in cases {
        let f = Fixture::repo();
        f.write("s.py", "print(1)\n");
        f.write("data/x.csv", "x\n");
        f.write("s.py.tier.yaml", format!("version: 1\n{extra}"));
        let (code, _, err) = run(&f, &["verify", "s.py", "--tier", "T1"]);
        assert_eq!(code, 2, "{extra}: {err}");
        assert!(err.contains(message), "{extra}: {err}");
        assert!(
            err.contains(&format!("s.py.tier.yaml{at}")),
            "{extra}: {err}"
        );
    }
    // A folder's manifest has no `files:`.
    let f = Fixture::repo();
    f.write(".tier.yaml", "version: 1\nfiles: [a.csv]\n");
    f.write("a.csv", "x\n");
    let (code, _, err) = run(&f, &["verify", "."]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("`files:` belongs in a file's manifest"),
        "{err}"
    );
    // A manifest for a file that is not there.
    let f = Fixture::repo();
    f.write("gone.py.tier.yaml", "version: 1\n");
    let (code, v) = run_json(&f, &["verify", "."]);
    assert_eq!(code, 1, "an error in the report, not the end of it");
    assert!(
        v["error"]
            .as_str()
            .unwrap()
            .contains("governs `gone.py`, which is not a file here"),
        "{v}"
    );
}

#[test]
fn two_manifests_claiming_one_file_is_an_error_naming_both() {
    let f = Fixture::repo();
    f.write("a.py", "print(1)\n");
    f.write("b.py", "print(2)\n");
    f.write("shared.csv", "x\n");
    f.write("a.py.tier.yaml", "version: 1\nfiles: [shared.csv]\n");
    f.write("b.py.tier.yaml", "version: 1\nfiles: [shared.csv]\n");
    for args in [
        &["verify", "."][..],
        &["verify", "a.py"],
        &["verify", "shared.csv"],
    ] {
        let (code, _, err) = run(&f, args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(
            err.contains("`shared.csv` is claimed by 2 manifests"),
            "{args:?}: {err}"
        );
        assert!(err.contains("a.py.tier.yaml:2:9"), "{args:?}: {err}");
        assert!(err.contains("b.py.tier.yaml:2:9"), "{args:?}: {err}");
    }
    // A file with a manifest of its own cannot be listed by another.
    let f = Fixture::repo();
    f.write("a.py", "print(1)\n");
    f.write("b.py", "print(2)\n");
    f.write("a.py.tier.yaml", "version: 1\nfiles: [b.py]\n");
    f.write("b.py.tier.yaml", "version: 1\n");
    let (code, _, err) = run(&f, &["verify", "."]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("`b.py` is claimed by 2 manifests"), "{err}");
}

#[test]
fn a_missing_binary_or_manifest_file_argument_is_a_clear_error() {
    let f = Fixture::repo();
    f.write("tool.bin", b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x03\0");
    f.write("x.py", "print(1)\n");
    f.write("x.py.tier.yaml", "version: 1\n");
    for (args, message) in [
        (
            &["assess", "nope.py", "--audience", "me", "--data", "none"][..],
            "nope.py",
        ),
        (
            &["verify", "tool.bin", "--tier", "T1"],
            "`tool.bin` is a binary file",
        ),
        (
            &["assess", "tool.bin", "--audience", "me", "--data", "none"],
            "`tool.bin` is a binary file",
        ),
        (
            &["verify", "x.py.tier.yaml"],
            "is a manifest, not code to check",
        ),
    ] {
        let (code, out, err) = run(&f, args);
        assert_eq!(code, 2, "{args:?}: {out}{err}");
        assert!(err.contains(message), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn supporting_evidence_is_never_marked_as_a_failure() {
    let f = Fixture::repo();
    f.write("s.py", "print(1)\n");
    f.write(
        "s.py.tier.yaml",
        "version: 1\naudience: external\ndata: internal\nowner: ann@corp.example\n",
    );
    let (code, _, err) = run(&f, &["review", "s.py", "--by", "ann@corp.example"]);
    assert_eq!(code, 0, "{err}");
    // At T3 the built-in policy does not count an unsigned review: the review is current
    // (✓), its want of a signature is the failure (✗).
    let out = f
        .cmd()
        .env("COLUMNS", "300")
        .args(["verify", "s.py"])
        .output()
        .unwrap();
    let table = String::from_utf8_lossy(&out.stdout);
    let line = |needle: &str| {
        table
            .lines()
            .find(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no {needle:?} in\n{table}"))
            .trim_start()
            .to_string()
    };
    assert!(
        line("covers the current content").starts_with('✓'),
        "{table}"
    );
    assert!(line("the review is not signed").starts_with('✗'), "{table}");
    // JUnit's failure message is the cause, not the first line of evidence.
    let out = f
        .cmd()
        .args(["verify", "s.py", "--format", "junit"])
        .output()
        .unwrap();
    let xml = String::from_utf8_lossy(&out.stdout);
    let failure = xml
        .lines()
        .find(|l| l.contains("<failure") && l.contains("the review is not signed"));
    assert!(failure.is_some(), "{xml}");
}

/// A file's manifest that does not load still takes its file out of the folder's artifact,
/// whether `verify` is given the folder or a folder below it (the broken manifest then lies
/// outside PATH): adding a script with a broken manifest of its own does not make the
/// folder's review stale.
#[test]
fn a_file_manifest_that_does_not_load_still_takes_its_file_out_of_the_folder() {
    let f = Fixture::repo();
    f.write("src/app.py", "print('app')\n");
    f.write(
        ".tier.yaml",
        "version: 1\naudience: employees\ndata: internal\nowner: jane@corp.example\n",
    );
    let (code, _, err) = run(&f, &["review", ".", "--by", "jane@corp.example"]);
    assert_eq!(code, 0, "{err}");
    f.write("tools/run.py", "print('run')\n");
    f.write(
        "tools/run.py.tier.yaml",
        "version: 1\naudience: [employees\n",
    );
    for path in [".", "src"] {
        let out = f
            .cmd()
            .args(["verify", path, "--format", "json"])
            .output()
            .unwrap();
        let v = common::raw_json(&out.stdout);
        let folder = v["artifacts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["path"] == ".")
            .unwrap_or_else(|| panic!("no folder artifact for {path}: {v}"));
        let review = folder["requirements"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == "human-review")
            .unwrap();
        assert!(
            review.to_string().contains("review-current"),
            "verify {path}: the broken manifest's file made the folder's review stale: {review}"
        );
    }
}
