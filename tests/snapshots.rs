//! Snapshots of the tables a user sees. Review changes with `cargo insta review` (or run
//! with `INSTA_UPDATE=always` and read the diff of `tests/snapshots/`).

mod common;

use common::{Fixture, GENERIC_POLICY, normalise, tiercheck};

fn stdout(cmd: &mut assert_cmd::Command) -> String {
    let out = cmd.output().unwrap();
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn matrix_table() {
    let text = stdout(tiercheck().args(["--color", "never", "matrix"]));
    assert!(!text.contains('\x1b'));
    insta::assert_snapshot!("matrix", text);
}

#[test]
fn matrix_table_colored() {
    let text = stdout(tiercheck().args(["--color", "always", "matrix"]));
    assert!(text.contains("\x1b[32m✓\x1b[0m"), "{text}");
    insta::assert_snapshot!("matrix_colored", text);
}

#[test]
fn no_color_is_honoured() {
    let text = stdout(
        tiercheck()
            .env("NO_COLOR", "1")
            .args(["--color", "auto", "matrix"]),
    );
    assert!(!text.contains('\x1b'), "{text}");
    assert_eq!(
        text,
        stdout(tiercheck().args(["--color", "never", "matrix"]))
    );
    // An explicit `--color always` wins over NO_COLOR.
    let forced = stdout(
        tiercheck()
            .env("NO_COLOR", "1")
            .args(["--color", "always", "matrix"]),
    );
    assert!(forced.contains('\x1b'), "{forced}");
}

fn fixture() -> Fixture {
    let f = Fixture::repo();
    f.write("policy.yaml", GENERIC_POLICY);
    f.write(
        ".tier.yaml",
        "version: 1\nname: export\naudience: external\ndata: customer\nowner: jane@corp.example\nsponsor: jane@corp.example\nwaivers:\n  - requirement: dependency-scanning\n    reason: single-file script without dependencies\n    approved_by: bob@eng.example\n    expires: 2027-01-31\n",
    );
    f.write("export.py", "print('export')\n");
    f
}

#[test]
fn verify_table() {
    let f = fixture();
    let out = f
        .cmd()
        .args(["--color", "never", "verify", "--policy", "policy.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = normalise(&String::from_utf8(out.stdout).unwrap(), &f.path());
    insta::assert_snapshot!("verify_failing", text);
}

#[test]
fn verify_table_of_a_monorepo_from_outside() {
    // Run from another folder so paths are shown absolute, then normalised.
    let elsewhere = tempfile::tempdir().unwrap();
    let f = fixture();
    f.write("README.md", "# export\n");
    f.write(
        "tools/clean/.tier.yaml",
        "version: 1\naudience: me\ndata: none\nowner: '@jane'\n",
    );
    f.write("tools/clean/README.md", "# clean\n");
    let root = f.path();
    let out = tiercheck()
        .current_dir(elsewhere.path())
        // Wide: where lines break would depend on the temp folder's name.
        .env("COLUMNS", "400")
        .args(["--color", "never", "verify", "--policy"])
        .arg(root.join("policy.yaml"))
        .arg(&root)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = normalise(&String::from_utf8(out.stdout).unwrap(), &root);
    assert!(text.contains("[TMP]/tools/clean"), "{text}");
    insta::assert_snapshot!("verify_monorepo", text);
}
