//! The everyday commands people expect of a command-line tool: `explain`, completions, a
//! man page, `--output`, `--quiet`, `--version`, `scan -`, the colour conventions, and
//! `hook install` with a real git commit going through the hook.

mod common;

use std::path::Path;

use common::{Fixture, git, tiercheck};

/// A GitHub classic token the built-in rules report, made up here.
fn token() -> String {
    format!("ghp_{}", "Zq8Xw2Lm4Np6Rt1Vb3Kc5Hd7Jf9Gs0Ya2Ue4")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn explain_says_what_a_requirement_and_a_rule_look_for() {
    let out = tiercheck()
        .args(["explain", "human-review"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let t = text(&out.stdout);
    assert!(
        t.starts_with("human-review — Human review of output"),
        "{t}"
    );
    assert!(
        t.contains("Level per tier: T1 required, T2 required"),
        "{t}"
    );
    assert!(t.contains("kind: review-attestation"), "{t}");
    assert!(t.contains("tiercheck review PATH --by <owner>"), "{t}");
    let out = tiercheck()
        .args(["explain", "github-pat-classic"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let t = text(&out.stdout);
    assert!(t.contains("secret rule") && t.contains("regex"), "{t}");
    let out = tiercheck()
        .args(["explain", "humanreview"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("did you mean `human-review`?"));
}

#[test]
fn completions_for_every_shell_and_a_man_page() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = tiercheck().args(["completions", shell]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{shell}");
        let t = text(&out.stdout);
        assert!(
            t.contains("tiercheck") && t.contains("verify"),
            "{shell}: {t}"
        );
    }
    let out = tiercheck().args(["completions", "tcsh"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = tiercheck().arg("man").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let t = text(&out.stdout);
    assert!(t.contains(".TH tiercheck") && t.contains("assess"), "{t}");
}

#[test]
fn output_writes_the_report_to_a_file_and_quiet_prints_nothing() {
    let f = Fixture::repo();
    f.write(".tier.yaml", "version: 1\naudience: me\ndata: none\n");
    f.write("a.py", "print(1)\n");
    let out = f
        .cmd()
        .args(["verify", ".", "--format", "json", "--output", "report.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert!(
        text(&out.stderr).contains("tiercheck: failed (exit 1); report written to report.json"),
        "{}",
        text(&out.stderr)
    );
    let v: serde_json::Value = common::flat(serde_json::from_str(&f.read("report.json")).unwrap());
    assert_eq!(v["tier"], "T1");
    let out = f.cmd().args(["-q", "verify", "."]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty(), "{}", text(&out.stdout));
    // An unwritable report is a usage error.
    let out = f
        .cmd()
        .args(["verify", ".", "--output", "no/such/dir/r.txt"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("cannot write the report"));
}

#[test]
fn version_names_the_built_in_policy_and_matrix_offers_only_its_formats() {
    let out = tiercheck().arg("--version").output().unwrap();
    let t = text(&out.stdout);
    assert!(
        t.starts_with("tiercheck ") && t.contains("built-in policy sha256:"),
        "{t}"
    );
    let out = tiercheck()
        .args(["matrix", "--format", "sarif"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let help = text(
        &tiercheck()
            .args(["matrix", "--help"])
            .output()
            .unwrap()
            .stdout,
    );
    assert!(
        !help.contains("sarif") && help.contains("markdown"),
        "{help}"
    );
}

#[test]
fn scan_reads_standard_input() {
    let out = tiercheck()
        .args(["scan", "-", "--format", "json"])
        .write_stdin(format!("token = \"{}\"\n", token()))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v = common::json(&out.stdout);
    assert_eq!(v["findings"][0]["path"], "-", "{v}");
    assert_eq!(v["findings"][0]["line"], 1);
    assert!(!text(&out.stdout).contains(&token()));
    let out = tiercheck()
        .args(["scan", "-"])
        .write_stdin("nothing to see\n")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn clicolor_force_colours_a_pipe_and_never_wins() {
    let f = Fixture::repo();
    f.write(".tier.yaml", "version: 1\naudience: me\ndata: none\n");
    let run = |env: &[(&str, &str)], args: &[&str]| {
        let mut c = f.cmd();
        for (k, v) in env {
            c.env(k, v);
        }
        text(&c.args(args).output().unwrap().stdout)
    };
    assert!(run(&[("CLICOLOR_FORCE", "1")], &["verify", "."]).contains("\u{1b}["));
    assert!(
        !run(
            &[("CLICOLOR_FORCE", "1")],
            &["--color", "never", "verify", "."]
        )
        .contains("\u{1b}[")
    );
    assert!(!run(&[("CLICOLOR_FORCE", "")], &["verify", "."]).contains("\u{1b}["));
    assert!(!run(&[], &["verify", "."]).contains("\u{1b}["));
}

/// Runs `git commit` in `dir` with the built tiercheck on PATH, as a person would.
fn commit(dir: &Path, message: &str) -> std::process::Output {
    let bin = Path::new(env!("CARGO_BIN_EXE_tiercheck"));
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    std::process::Command::new("git")
        .args(["commit", "-q", "-m", message])
        .current_dir(dir)
        .env("PATH", path)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("HOME", dir)
        .env("GIT_AUTHOR_NAME", "Jane")
        .env("GIT_AUTHOR_EMAIL", "jane@corp.example")
        .env("GIT_COMMITTER_NAME", "Jane")
        .env("GIT_COMMITTER_EMAIL", "jane@corp.example")
        .env("TIERCHECK_TODAY", common::TODAY)
        .env_remove("TIERCHECK_POLICY")
        .output()
        .unwrap()
}

#[cfg(unix)]
#[test]
fn hook_install_blocks_a_commit_with_a_secret_and_lets_a_clean_one_through() {
    use std::os::unix::fs::PermissionsExt;
    let f = Fixture::new();
    let dir = f.path();
    git(&dir, &["init", "-q", "-b", "main"]);
    let out = f.cmd().args(["hook", "install"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let hook = dir.join(".git/hooks/pre-commit");
    let mode = std::fs::metadata(&hook).unwrap().permissions().mode();
    assert!(mode & 0o111 != 0, "executable");
    // Installing again replaces its own hook; a foreign hook needs --force, and is kept.
    assert_eq!(
        f.cmd()
            .args(["hook", "install"])
            .output()
            .unwrap()
            .status
            .code(),
        Some(0)
    );
    std::fs::write(&hook, "#!/bin/sh\necho mine\n").unwrap();
    let out = f.cmd().args(["hook", "install"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("a pre-commit hook exists"));
    let out = f
        .cmd()
        .args(["hook", "install", "--force"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        std::fs::read_to_string(dir.join(".git/hooks/pre-commit.bak")).unwrap(),
        "#!/bin/sh\necho mine\n"
    );

    // A staged secret is refused, saying what to do.
    f.write("app.py", format!("TOKEN = \"{}\"\n", token()));
    git(&dir, &["add", "app.py"]);
    let out = commit(&dir, "add app");
    assert!(!out.status.success(), "the commit went through");
    let err = text(&out.stderr);
    assert!(err.contains("commit blocked"), "{err}");
    assert!(err.contains("tiercheck:allow"), "{err}");
    assert!(!format!("{err}{}", text(&out.stdout)).contains(&token()));

    // A clean commit of a repository with no manifest goes through.
    f.write("app.py", "import os\nTOKEN = os.environ[\"TOKEN\"]\n");
    git(&dir, &["add", "app.py"]);
    let out = commit(&dir, "add app");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("nothing to verify at commit time"));

    // With a manifest, a change after the review warns at commit time, and `verify` (what
    // CI runs) still fails on it.
    f.write(
        ".tier.yaml",
        "version: 1\naudience: me\ndata: none\nowner: jane@corp.example\n",
    );
    let out = f
        .cmd()
        .args(["review", ".", "--by", "jane@corp.example"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    git(&dir, &["add", "-A"]);
    assert!(commit(&dir, "manifest").status.success());
    f.write("app.py", "import os\nTOKEN = os.environ[\"API_TOKEN\"]\n");
    git(&dir, &["add", "app.py"]);
    let out = commit(&dir, "rename the variable");
    assert!(
        out.status.success(),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert_eq!(
        f.cmd()
            .args(["verify", "."])
            .output()
            .unwrap()
            .status
            .code(),
        Some(1)
    );
    // The warning at commit time is the policy's word (`at_commit: warn` on human-review),
    // and says so; a policy that says `enforce` fails the commit check.
    let out = f
        .cmd()
        .args(["verify", ".", "--pre-commit", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("\"checked-when-shared\""));
    let shown = f.cmd().args(["policy", "show"]).output().unwrap();
    let enforced = text(&shown.stdout).replace("at_commit: warn", "at_commit: enforce");
    assert!(enforced.contains("at_commit: enforce"), "{enforced}");
    let company = tempfile::tempdir().unwrap();
    let strict = company.path().join("strict-policy.yaml");
    std::fs::write(&strict, enforced).unwrap();
    let out = f
        .cmd()
        .args(["verify", ".", "--pre-commit", "--policy"])
        .arg(&strict)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
}

#[cfg(unix)]
#[test]
fn hook_install_honours_core_hooks_path() {
    let f = Fixture::new();
    let dir = f.path();
    git(&dir, &["init", "-q", "-b", "main"]);
    git(&dir, &["config", "core.hooksPath", "tools/hooks"]);
    let out = f.cmd().args(["hook", "install"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(dir.join("tools/hooks/pre-commit").is_file());
    assert!(!dir.join(".git/hooks/pre-commit").exists());
    // Outside a repository it says so.
    let plain = Fixture::new();
    let out = plain.cmd().args(["hook", "install"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn json_has_one_shape_whatever_the_number_of_artifacts() {
    let f = Fixture::new();
    let dir = f.path();
    git(&dir, &["init", "-q", "-b", "main"]);
    f.write(".tier.yaml", "version: 1\naudience: me\ndata: none\n");
    f.write("a.py", "print(1)\n");
    git(&dir, &["add", "-A"]);
    git(&dir, &["commit", "-q", "-m", "first"]);
    let shape = |args: &[&str]| {
        let out = f
            .cmd()
            .args(args)
            .args(["--format", "json"])
            .output()
            .unwrap();
        common::raw_json(&out.stdout)
    };
    let one = shape(&["verify", "."]);
    assert_eq!(one["schema_version"], 2);
    assert_eq!(one["tool"]["name"], "tiercheck");
    assert_eq!(one["tool"]["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(one["run"]["commit"].as_str().unwrap().len(), 40, "{one}");
    assert!(one["run"]["started_at"].as_str().unwrap().ends_with('Z'));
    assert!(
        one["policy"][0]["sha256"]
            .as_str()
            .unwrap()
            .starts_with("sha256:")
    );
    assert_eq!(one["artifacts"].as_array().unwrap().len(), 1);
    assert!(one.get("tier").is_none(), "artifacts hold their own fields");
    f.write(
        "sub/.tier.yaml",
        "version: 1\naudience: employees\ndata: none\n",
    );
    let two = shape(&["verify", "."]);
    assert_eq!(two["artifacts"].as_array().unwrap().len(), 2);
    let keys = |v: &serde_json::Value| -> Vec<String> {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    assert_eq!(keys(&one), keys(&two), "one shape");
    assert_eq!(
        keys(&one["artifacts"][0]),
        keys(&two["artifacts"][0]),
        "one artifact shape"
    );
    // Scans say the same about the run.
    let scan = shape(&["scan", "."]);
    assert_eq!(scan["schema_version"], 2);
    assert_eq!(scan["run"]["commit"], one["run"]["commit"]);
}

#[test]
fn a_broken_nested_manifest_is_an_error_artifact_in_every_format() {
    let f = Fixture::repo();
    f.write(".tier.yaml", "version: 1\naudience: me\ndata: none\n");
    f.write("svc/.tier.yaml", "version: 1\naudiense: me\n");
    f.write("svc/a.py", "print(1)\n");
    let run = |format: &str| {
        let out = f
            .cmd()
            .args(["verify", ".", "--format", format])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{format}");
        text(&out.stdout)
    };
    let v = common::raw_json(run("json").as_bytes());
    let arts = v["artifacts"].as_array().unwrap();
    assert_eq!(arts.len(), 2);
    let broken = arts.iter().find(|a| a["path"] == "svc").unwrap();
    assert_eq!(broken["tier"], serde_json::Value::Null);
    assert!(
        broken["error"]
            .as_str()
            .unwrap()
            .contains("svc/.tier.yaml:2:1"),
        "{broken}"
    );
    assert_eq!(
        arts.iter().find(|a| a["path"] == ".").unwrap()["tier"],
        "T1"
    );
    let log = common::check_sarif(&run("sarif"));
    assert!(
        log["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["ruleId"] == "tiercheck-manifest")
    );
    assert!(run("junit").contains("could not be read: nothing was checked"));
    assert!(run("markdown").contains("could not be checked"));
    assert!(run("html").contains("Could not be checked"));
    assert!(run("table").contains("ERROR: not checked"));
}

#[test]
fn a_clean_scan_is_a_passing_junit_test_case() {
    let f = Fixture::repo();
    f.write("a.py", "print(1)\n");
    let out = f
        .cmd()
        .args(["scan", ".", "--format", "junit"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let xml = text(&out.stdout);
    assert!(xml.contains("tests=\"1\""), "{xml}");
    assert!(
        xml.contains("name=\"no secrets or personal data in 1 file\""),
        "{xml}"
    );
    assert!(!xml.contains("<failure"));
}

#[test]
fn placeholders_are_never_findings() {
    let f = Fixture::repo();
    let x = |n: usize| "x".repeat(n);
    f.write(
        "app.env",
        format!(
            "API_KEY={}\nTOKEN=<your-token-here>\nDB_PASSWORD=${{DB_PASSWORD}}\nGH_TOKEN={{{{ secrets.GH_TOKEN }}}}\n\
             SECRET_KEY=abcdefghijklmnopqrstuvwxyz123456\nPASSWORD={}\nAPI_TOKEN=0123456789abcdef0123456789abcdef\n\
             CLIENT_SECRET=your_client_secret_here\nSTRIPE_KEY=sk_live_{}\nGITHUB_TOKEN=ghp_{}\n\
             token: \"EXAMPLE_TOKEN_1234567890abcdef\"\npassword = \"********\"\nsecret: ENC[AES256_GCM,data:abc]\n",
            x(28),
            "a".repeat(16),
            "X".repeat(24),
            x(36)
        ),
    );
    let out = f.cmd().args(["scan", "."]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
}

#[test]
fn a_kubernetes_secret_is_scanned_decoded_and_reported_where_it_is_encoded() {
    use base64::Engine as _;
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let f = Fixture::repo();
    let password = ["Zq8-Xw2!", "Lm4Np6Rt"].concat();
    f.write(
        "k8s/secret.yaml",
        format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: app\ntype: Opaque\ndata:\n  GITHUB_TOKEN: {}\n  DB_PASSWORD: {}\n  LOG_LEVEL: {}\n",
            b64(&token()),
            b64(&password),
            b64("debug")
        ),
    );
    // The same values in a ConfigMap are not decoded.
    f.write(
        "k8s/config.yaml",
        format!(
            "kind: ConfigMap\ndata:\n  GITHUB_TOKEN: {}\n",
            b64(&token())
        ),
    );
    let out = f
        .cmd()
        .args(["scan", ".", "--format", "json"])
        .output()
        .unwrap();
    let v = common::json(&out.stdout);
    let found: Vec<(String, String, u64, u64)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["path"].as_str().unwrap().to_string(),
                x["rule_id"].as_str().unwrap().to_string(),
                x["line"].as_u64().unwrap(),
                x["column"].as_u64().unwrap(),
            )
        })
        .collect();
    assert!(
        found.contains(&("k8s/secret.yaml".into(), "github-pat-classic".into(), 7, 17)),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|(p, _, l, c)| p == "k8s/secret.yaml" && *l == 8 && *c == 16),
        "the password: {found:?}"
    );
    // One finding per value: the decoded token's, not also the encoded form's.
    assert_eq!(
        found
            .iter()
            .filter(|(p, _, l, _)| p == "k8s/secret.yaml" && *l == 7)
            .count(),
        1,
        "{found:?}"
    );
    assert!(
        !found
            .iter()
            .any(|(p, r, ..)| p == "k8s/config.yaml" && r == "github-pat-classic"),
        "a ConfigMap is not decoded: {found:?}"
    );
    assert!(
        !found.iter().any(|(_, _, l, _)| *l == 9),
        "debug is not a secret"
    );
    let all = text(&out.stdout);
    assert!(!all.contains(&password) && !all.contains(&token()));
}
