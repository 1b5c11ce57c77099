//! Input written by whoever wrote the repository under check, or paths pointing at things
//! that are not files: each is refused quickly with a message (exit 2 for configuration),
//! never a hang, never a read without end, never a write outside the tree. Every case runs
//! under a time limit, so a regression that hangs fails instead of stalling the suite.

mod common;

use std::time::Duration;

use assert_cmd::Command;
use common::Fixture;

/// Long enough for a debug build on a loaded machine, far shorter than a hang.
const LIMIT: Duration = Duration::from_secs(30);

/// Runs `cmd` under the time limit; returns (exit code, stdout, stderr).
fn run(mut cmd: Command) -> (Option<i32>, String, String) {
    let out = cmd.timeout(LIMIT).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "a panic:\n{stderr}");
    (out.status.code(), stdout, stderr)
}

fn has(text: &str, parts: &[&str]) {
    for p in parts {
        assert!(text.contains(p), "missing `{p}` in:\n{text}");
    }
}

/// Makes a FIFO at `path`; false (after saying why) where `mkfifo` is missing.
fn mkfifo(path: &std::path::Path) -> bool {
    match std::process::Command::new("mkfifo").arg(path).status() {
        Ok(s) if s.success() => true,
        _ => {
            eprintln!("skipped: no `mkfifo` program on this machine");
            false
        }
    }
}

#[cfg(unix)]
fn symlink(target: &str, link: &std::path::Path) {
    std::os::unix::fs::symlink(target, link).unwrap();
}

const MANIFEST: &str =
    "version: 1\naudience: employees\ndata: internal\nowner: jane@corp.example\n";

#[cfg(unix)]
#[test]
fn a_manifest_that_links_to_a_device_is_refused_unread() {
    let f = Fixture::repo();
    symlink("/dev/zero", &f.path().join(".tier.yaml"));
    let mut c = f.cmd();
    c.args(["verify", "."]);
    let (code, _, err) = run(c);
    assert_eq!(code, Some(2), "{err}");
    has(&err, &[".tier.yaml is a symlink", "regular file"]);
}

#[cfg(unix)]
#[test]
fn a_manifest_that_links_outside_the_tree_is_not_read_nor_quoted() {
    let outside = Fixture::new();
    let secret = common::token(4);
    outside.write("secret.yaml", format!("version: 1\napi_key: {secret}\n"));
    let f = Fixture::repo();
    symlink(
        outside.path().join("secret.yaml").to_str().unwrap(),
        &f.path().join(".tier.yaml"),
    );
    let mut c = f.cmd();
    c.args(["verify", "."]);
    let (code, out, err) = run(c);
    assert_eq!(code, Some(2), "{err}");
    has(&err, &["is a symlink"]);
    assert!(
        !err.contains(&secret[6..]) && !out.contains(&secret[6..]),
        "{err}"
    );
}

#[test]
fn a_manifest_that_is_a_fifo_is_refused_without_waiting() {
    let f = Fixture::repo();
    if !mkfifo(&f.path().join(".tier.yaml")) {
        return;
    }
    let mut c = f.cmd();
    c.args(["verify", "."]);
    let (code, _, err) = run(c);
    assert_eq!(code, Some(2), "{err}");
    has(&err, &[".tier.yaml is a FIFO, not a regular file"]);
}

#[cfg(unix)]
#[test]
fn a_policy_at_a_device_or_a_fifo_is_refused() {
    let f = Fixture::new();
    let mut c = f.cmd();
    c.args(["matrix", "--policy", "/dev/zero"]);
    let (code, _, err) = run(c);
    assert_eq!(code, Some(2), "{err}");
    has(&err, &["policy /dev/zero is a device, not a regular file"]);
    if mkfifo(&f.path().join("p.yaml")) {
        let mut c = f.cmd();
        c.args(["policy", "check", "p.yaml"]);
        let (code, _, err) = run(c);
        assert_eq!(code, Some(2), "{err}");
        has(&err, &["p.yaml is a FIFO"]);
    }
}

#[test]
fn a_sparse_3_gb_policy_is_refused_before_it_is_read() {
    let f = Fixture::new();
    let p = f.path().join("big.yaml");
    std::fs::File::create(&p)
        .unwrap()
        .set_len(3 * 1024 * 1024 * 1024)
        .unwrap();
    let mut c = f.cmd();
    c.args(["policy", "check", "big.yaml"]);
    let (code, _, err) = run(c);
    assert_eq!(code, Some(2), "{err}");
    has(&err, &["3221225472 bytes, more than the 4194304 bytes"]);
}

#[cfg(unix)]
#[test]
fn a_baseline_at_a_device_makes_the_scan_an_error_not_a_hang() {
    let f = Fixture::repo();
    f.write(".tier.yaml", format!("{MANIFEST}baseline: base.json\n"));
    symlink("/dev/zero", &f.path().join("base.json"));
    let mut c = f.cmd();
    c.args(["verify", ".", "--format", "json"]);
    let (code, out, err) = run(c);
    assert_eq!(code, Some(1), "{err}");
    has(
        &out,
        &["cannot read baseline", "a device, not a regular file"],
    );
}

#[cfg(unix)]
#[test]
fn a_ci_file_that_links_to_a_device_is_reported_not_read() {
    let f = Fixture::repo();
    f.write(".tier.yaml", MANIFEST);
    std::fs::create_dir_all(f.path().join(".github/workflows")).unwrap();
    symlink("/dev/zero", &f.path().join(".github/workflows/ci.yml"));
    let mut c = f.cmd();
    c.args(["verify", ".", "--format", "json"]);
    let (code, _, err) = run(c);
    assert!(matches!(code, Some(0 | 1)), "{err}");
}

#[cfg(unix)]
#[test]
fn assess_write_never_writes_through_a_dangling_symlink() {
    let outside = Fixture::new();
    let target = outside.path().join("planted.yaml");
    let f = Fixture::repo();
    f.write("tool.py", "print('hello')\n");
    symlink(target.to_str().unwrap(), &f.path().join(".tier.yaml"));
    let mut c = f.cmd();
    c.args([
        "assess",
        ".",
        "--audience",
        "me",
        "--data",
        "none",
        "--write",
    ]);
    let (code, _, err) = run(c);
    assert_eq!(code, Some(2), "{err}");
    has(&err, &["is a symlink", "never through a link"]);
    assert!(!target.exists(), "a file was written outside the tree");
}

#[cfg(unix)]
#[test]
fn review_never_edits_another_projects_manifest_through_a_symlink() {
    let other = Fixture::repo();
    other.write(".tier.yaml", MANIFEST);
    let before = other.read(".tier.yaml");
    let f = Fixture::repo();
    f.write("tool.py", "print('hello')\n");
    symlink(
        other.path().join(".tier.yaml").to_str().unwrap(),
        &f.path().join(".tier.yaml"),
    );
    let mut c = f.cmd();
    c.args(["review", ".", "--by", "jane@corp.example", "--kind", "self"]);
    let (code, _, err) = run(c);
    assert_eq!(code, Some(2), "{err}");
    assert_eq!(other.read(".tier.yaml"), before);
}

#[test]
fn manifest_writes_replace_the_file_and_keep_its_permissions() {
    let f = Fixture::repo();
    f.write("tool.py", "print('hello')\n");
    let m = f.write(".tier.yaml", MANIFEST);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&m, std::fs::Permissions::from_mode(0o640)).unwrap();
    }
    let mut c = f.cmd();
    c.args(["review", ".", "--by", "jane@corp.example", "--kind", "self"]);
    let (code, _, err) = run(c);
    assert_eq!(code, Some(0), "{err}");
    assert!(f.read(".tier.yaml").contains("kind: self"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&m).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o640);
    }
    let leftovers: Vec<_> = std::fs::read_dir(f.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".tiercheck-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn a_near_reach_of_four_billion_lines_is_a_located_policy_error() {
    let f = Fixture::new();
    f.write(
        "p.yaml",
        "version: 1\nextends: default\nrules:\n  - id: pair\n    description: d\n    category: secret\n    regex: 'zz(\\d+)'\n    keywords: [zz]\n    near: {rule: aws-access-key-id, lines: 4294967295}\n",
    );
    let mut c = f.cmd();
    c.args(["scan", "--policy", "p.yaml", "."]);
    let (code, _, err) = run(c);
    assert_eq!(code, Some(2), "{err}");
    has(&err, &["p.yaml:4:9", "a rule may reach at most 100"]);
}

#[test]
fn a_closed_pipe_ends_the_program_quietly_with_sigpipes_status() {
    let f = Fixture::repo();
    let mut text = String::new();
    for i in 0..3000 {
        text.push_str(&format!("key_{i} = \"{}\"\n", common::token(i)));
    }
    f.write("keys.txt", &text);
    f.write(".tier.yaml", MANIFEST);
    for args in [
        vec!["scan", ".", "--format", "json"],
        vec!["scan", "."],
        vec!["verify", "."],
        vec!["verify", ".", "--format", "sarif"],
        vec!["verify", ".", "--format", "markdown"],
        vec!["verify", ".", "--format", "junit"],
    ] {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_tiercheck"))
            .args(&args)
            .current_dir(f.path())
            .env("TIERCHECK_TODAY", common::TODAY)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // The reader goes away before tiercheck has written anything.
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert_eq!(out.status.code(), Some(141), "{args:?}: {err}");
        assert!(err.is_empty(), "{args:?}: {err}");
    }
}

#[cfg(unix)]
#[test]
fn a_committed_ignore_file_that_links_to_a_device_neither_hangs_nor_hides_its_folder() {
    // As a fresh clone checks it out: `.gitignore` in a subfolder is a symlink to /dev/zero.
    let f = Fixture::repo();
    f.write(".tier.yaml", MANIFEST);
    f.write("open.txt", "nothing here\n");
    f.write(
        "vendor/keys.txt",
        format!("key = \"{}\"\n", common::token(8)),
    );
    symlink("/dev/zero", &f.path().join("vendor/.gitignore"));
    let mut c = f.cmd();
    c.args(["scan", ".", "--format", "json"]);
    let (code, out, err) = run(c);
    assert_eq!(code, Some(1), "{err}");
    let v = common::json(out.as_bytes());
    let errors = v["errors"].to_string();
    has(&errors, &["vendor/.gitignore", "not a regular file"]);
    // `verify`: the secret scans cannot vouch for the tree, so they do not pass.
    let mut c = f.cmd();
    c.args(["verify", ".", "--tier", "T4", "--format", "json"]);
    let (code, out, err) = run(c);
    assert_eq!(code, Some(1), "{err}");
    let v = common::json(out.as_bytes());
    let sast = v["artifacts"][0]["requirements"]
        .as_array()
        .or_else(|| v["requirements"].as_array())
        .unwrap()
        .iter()
        .find(|r| r["id"] == "sast-secret-detection")
        .unwrap()
        .clone();
    assert_ne!(sast["status"], "pass", "{sast}");
    has(&sast.to_string(), &["vendor/.gitignore"]);
}

#[test]
fn a_fifo_ignore_file_at_the_root_is_not_read_and_everything_is_scanned() {
    let f = Fixture::repo();
    f.write("a/keys.txt", format!("key = \"{}\"\n", common::token(9)));
    if !mkfifo(&f.path().join(".tiercheckignore")) {
        return;
    }
    let policy = Fixture::new();
    let p = policy.write(
        "p.yaml",
        concat!("version: 1\nextends: default\nrules:\n", token_rule!()),
    );
    let mut c = f.cmd();
    c.args(["scan", ".", "--format", "json", "--policy"])
        .arg(&p);
    let (code, out, err) = run(c);
    assert_eq!(code, Some(1), "{err}");
    let v = common::json(out.as_bytes());
    has(&v["errors"].to_string(), &[".tiercheckignore"]);
    has(&v["findings"].to_string(), &["a/keys.txt", "test-token"]);
}

#[test]
fn an_oversized_gitignore_is_refused() {
    let f = Fixture::repo();
    f.write("sub/.gitignore", "x\n".repeat(600_000));
    f.write("sub/notes.txt", "hello\n");
    let mut c = f.cmd();
    c.args(["scan", ".", "--format", "json"]);
    let (code, out, err) = run(c);
    assert_eq!(code, Some(1), "{err}");
    let v = common::json(out.as_bytes());
    has(
        &v["errors"].to_string(),
        &["sub/.gitignore", "more than the 1048576"],
    );
}

/// A GitHub classic token (`ghp_` and 36 letters or digits) that the built-in rules
/// report, assembled at run time so that no token is written in this file.
fn gh_token(seed: u32) -> String {
    let abc = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let body: String = (0..36u32)
        .map(|i| abc[((i * 7 + seed * 13 + 5) % 62) as usize] as char)
        .collect();
    format!("ghp_{body}")
}

/// Runs git in `dir` with a fixed identity and no configuration from the machine.
fn git(dir: &std::path::Path, author: &str, args: &[&str]) {
    let out = std::process::Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("HOME", dir)
        .env("GIT_AUTHOR_NAME", author)
        .env("GIT_AUTHOR_EMAIL", "dev@corp.example")
        .env("GIT_COMMITTER_NAME", author)
        .env("GIT_COMMITTER_EMAIL", "dev@corp.example")
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn repository_content_that_holds_a_token_is_redacted_in_every_format() {
    if std::process::Command::new("git")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("skipped: no `git` program on this machine");
        return;
    }
    let tok = gh_token(1);
    let tail = &tok[8..];
    let dir = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(dir.path()).unwrap();
    let w = |rel: &str, text: &str| {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    // An MCP server whose command line carries the token, a CODEOWNERS line, a manifest
    // field, a file named after the token, a commit by an author named after it.
    w(
        ".mcp.json",
        &format!(
            r#"{{"mcpServers": {{"gh": {{"command": "env GITHUB_TOKEN={tok} npx -y @modelcontextprotocol/server-github"}}}}}}"#
        ),
    );
    w(".github/CODEOWNERS", &format!("* @{tok}\n"));
    w(
        ".tier.yaml",
        &format!(
            "version: 1\naudience: production\ndata: internal\nowner: jane@corp.example\nname: {tok}\nai_tools: [{tok}]\n"
        ),
    );
    w(&format!("notes/{tok}.txt"), "hello\n");
    git(&root, "jane", &["init", "-q", "-b", "main"]);
    git(&root, "jane", &["add", "-A"]);
    git(&root, &tok, &["commit", "-q", "-m", &format!("add {tok}")]);
    for format in ["table", "json", "sarif", "markdown", "junit"] {
        let mut c = common::tiercheck();
        c.current_dir(&root)
            .args(["verify", ".", "--format", format]);
        let (code, out, err) = run(c);
        assert!(matches!(code, Some(1)), "{format}: {err}");
        assert!(!out.contains(tail), "{format} shows the token:\n{out}");
        assert!(
            !err.contains(tail),
            "{format} stderr shows the token:\n{err}"
        );
    }
    for format in ["table", "json"] {
        let mut c = common::tiercheck();
        c.current_dir(&root).args(["scan", ".", "--format", format]);
        let (_, out, err) = run(c);
        assert!(
            !out.contains(tail) && !err.contains(tail),
            "scan {format}:\n{out}{err}"
        );
        assert!(
            out.contains("ghp_"),
            "scan {format} names the finding:\n{out}"
        );
    }
}

#[test]
fn an_error_that_quotes_a_manifest_line_never_shows_its_token() {
    let tok = gh_token(2);
    let f = Fixture::repo();
    // A typo in the key makes the line an unknown field, quoted in the error.
    f.write(".tier.yaml", format!("version: 1\napi_kye: {tok}\n"));
    let mut c = f.cmd();
    c.args(["verify", "."]);
    let (code, _, err) = run(c);
    assert_eq!(code, Some(2), "{err}");
    has(&err, &["unknown field `api_kye`", ".tier.yaml:2:1", "ghp_"]);
    assert!(!err.contains(&tok[8..]), "{err}");
    // A value the message itself names.
    f.write(".tier.yaml", format!("version: 1\naudience: {tok}\n"));
    let mut c = f.cmd();
    c.args(["verify", "."]);
    let (code, _, err) = run(c);
    assert_eq!(code, Some(2), "{err}");
    assert!(!err.contains(&tok[8..]), "{err}");
}

#[cfg(unix)]
#[test]
fn control_characters_from_names_and_manifests_never_reach_the_terminal_raw() {
    use std::os::unix::ffi::OsStrExt;
    let f = Fixture::repo();
    // YAML's double-quoted escapes put ESC and BEL into the manifest's values.
    f.write(
        ".tier.yaml",
        "version: 1\naudience: employees\ndata: internal\nowner: \"jane\\e[2J\\a@corp.example\"\nname: \"x\\e]0;owned\\a\"\n",
    );
    // A file whose name carries an escape sequence and a forged summary line.
    let name = std::ffi::OsStr::from_bytes(b"evil\x1b[1A\nPASS at T4: every requirement met.txt");
    std::fs::write(f.path().join(name), format!("key = \"{}\"\n", gh_token(3))).unwrap();
    for args in [
        vec!["verify", "."],
        vec!["verify", ".", "--format", "markdown"],
        vec!["verify", ".", "--format", "junit"],
        vec!["scan", "."],
        vec!["scan", ".", "--format", "markdown"],
    ] {
        let mut c = f.cmd();
        c.args(&args);
        let (_, out, err) = run(c);
        for (what, text) in [("stdout", &out), ("stderr", &err)] {
            assert!(
                !text.chars().any(|c| c == '\u{1b}' || c == '\u{7}'),
                "{args:?} {what} holds a raw control character:\n{text}"
            );
            assert!(
                !text.lines().any(|l| l.starts_with("PASS at T4: every")),
                "{args:?} {what}: a file name forged a line:\n{text}"
            );
        }
    }
}

/// A manifest for a public repository (T4) that waives `requirements` with one approver
/// and expiry each.
fn waiving(requirements: &[&str], approved_by: &str, expires: &str) -> String {
    let mut m = String::from(
        "version: 1\naudience: public\ndata: internal\nowner: jane@eng.example\nwaivers:\n",
    );
    for r in requirements {
        m.push_str(&format!(
            "  - requirement: {r}\n    reason: trust me\n    approved_by: {approved_by}\n    expires: {expires}\n"
        ));
    }
    m
}

/// `verify --format json` with `policy` (a company policy naming eng.example engineers, or
/// the built-in one when `None`); returns the exit code and each requirement's status and
/// evidence signals.
fn verify_waivers(
    f: &Fixture,
    policy: Option<&str>,
) -> (Option<i32>, Vec<(String, String, String)>) {
    let mut c = f.cmd();
    c.args(["verify", ".", "--format", "json"]);
    if let Some(p) = policy {
        let pf = Fixture::new();
        let path = pf.write("company.yaml", p);
        c.arg("--policy").arg(path);
        let (code, out, err) = run(c);
        return (code, requirement_rows(&out, &err));
    }
    let (code, out, err) = run(c);
    (code, requirement_rows(&out, &err))
}

fn requirement_rows(out: &str, err: &str) -> Vec<(String, String, String)> {
    let v: serde_json::Value =
        common::flat(serde_json::from_str(out).unwrap_or_else(|e| panic!("{e}: {err}")));
    v["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap().to_string(),
                r["status"].as_str().unwrap().to_string(),
                r["evidence"].to_string(),
            )
        })
        .collect()
}

const COMPANY: &str = "version: 1\nextends: default\nengineers:\n  domains: [eng.example]\n";

const ALL: [&str; 10] = [
    "ownership",
    "human-review",
    "approved-ai-tools",
    "no-secrets-in-prompts",
    "no-customer-data-in-prompts",
    "code-review",
    "engineer-sponsor",
    "sast-secret-detection",
    "dependency-scanning",
    "ssdlc",
];

#[test]
fn a_repository_cannot_waive_its_way_to_a_pass() {
    let f = Fixture::repo();
    f.write(
        "CLAUDE.md",
        format!("Use the token {} for the API.\n", gh_token(5)),
    );
    f.write("app.py", format!("TOKEN = \"{}\"\n", gh_token(6)));
    // Every requirement waived by the owner, by `x`, until the end of time.
    for (approver, expires) in [
        ("jane@eng.example", "9999-12-31"),
        ("x", "2026-12-01"),
        ("jane@eng.example", "2026-12-01"),
    ] {
        f.write(".tier.yaml", waiving(&ALL, approver, expires));
        for policy in [None, Some(COMPANY)] {
            let (code, rows) = verify_waivers(&f, policy);
            assert_eq!(code, Some(1), "{approver} {expires} {policy:?}: {rows:?}");
            for id in ["no-secrets-in-prompts", "sast-secret-detection"] {
                let (_, status, evidence) = rows.iter().find(|r| r.0 == id).unwrap();
                assert_eq!(
                    status, "fail",
                    "{id} with {approver} {expires} {policy:?}: {evidence}"
                );
                assert!(evidence.contains("waiver-refused"), "{evidence}");
            }
        }
    }
}

#[test]
fn each_waiver_rule_says_why_it_refused() {
    let f = Fixture::repo();
    f.write("app.py", format!("TOKEN = \"{}\"\n", gh_token(7)));
    f.write("CLAUDE.md", format!("token {}\n", gh_token(8)));
    let cases: [(&str, &str, &str, Option<&str>, &str); 5] = [
        (
            "sast-secret-detection",
            "bob@corp.example",
            "2026-12-01",
            Some(COMPANY),
            "is not an engineer under the policy",
        ),
        (
            "sast-secret-detection",
            "jane@eng.example",
            "2026-12-01",
            Some(COMPANY),
            "owns the artifact",
        ),
        (
            "sast-secret-detection",
            "bob@eng.example",
            "2027-06-01",
            Some(COMPANY),
            "longer than the 90 days",
        ),
        (
            "no-secrets-in-prompts",
            "bob@eng.example",
            "2026-12-01",
            Some(COMPANY),
            "lets no waiver skip `no-secrets-in-prompts` at T4",
        ),
        (
            "sast-secret-detection",
            "bob@eng.example",
            "2026-12-01",
            None,
            "the policy names none",
        ),
    ];
    for (req, approver, expires, policy, why) in cases {
        f.write(".tier.yaml", waiving(&[req], approver, expires));
        let (_, rows) = verify_waivers(&f, policy);
        let (_, status, evidence) = rows.iter().find(|r| r.0 == req).unwrap();
        assert_eq!(status, "fail", "{req} {approver}: {evidence}");
        assert!(
            evidence.contains(why),
            "{req} {approver}: missing `{why}` in {evidence}"
        );
    }
    // The one waiver the company policy allows: an engineer who is not the owner, for 90
    // days at most, of a requirement that may be waived.
    f.write(
        ".tier.yaml",
        waiving(&["sast-secret-detection"], "bob@eng.example", "2026-12-31"),
    );
    let (_, rows) = verify_waivers(&f, Some(COMPANY));
    let (_, status, evidence) = rows
        .iter()
        .find(|r| r.0 == "sast-secret-detection")
        .unwrap();
    assert_eq!(status, "skip", "{evidence}");
    assert!(
        evidence.contains("waived until 2026-12-31 by bob@eng.example"),
        "{evidence}"
    );
}

#[test]
fn waiver_rules_in_a_policy_are_validated_with_locations() {
    let f = Fixture::new();
    f.write(
        "p.yaml",
        "version: 1\nextends: default\nwaivers:\n  max_days: 0\n  approvers: engineers\n  not_waivable:\n    T9: [ownership]\n    T4: [ownrship]\n",
    );
    let mut c = f.cmd();
    c.args(["policy", "check", "p.yaml"]);
    let (code, _, err) = run(c);
    assert_eq!(code, Some(2), "{err}");
    has(
        &err,
        &[
            "`waivers.max_days` is 0",
            "p.yaml:4:13",
            "names unknown tier `T9`",
            "names unknown requirement `ownrship`",
            "did you mean `ownership`?",
        ],
    );
}

#[test]
fn a_token_written_into_maintainers_is_not_exempted_from_the_scan() {
    let tok = gh_token(11);
    let f = Fixture::repo();
    f.write(
        ".tier.yaml",
        format!(
            "version: 1\naudience: public\ndata: internal\nowner: jane@corp.example\nmaintainers: [jane@corp.example, '{tok}']\n"
        ),
    );
    f.write(
        "app.py",
        format!("TOKEN = \"{tok}\"\nADMIN = 'jane@corp.example'\n"),
    );
    let mut c = f.cmd();
    c.args(["scan", ".", "--format", "json"]);
    let (code, out, err) = run(c);
    assert_eq!(code, Some(1), "{err}");
    let v = common::json(out.as_bytes());
    let found: Vec<(String, String)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["path"].as_str().unwrap().to_string(),
                x["rule_id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    // The token is found; the owner's own address is still not personal data to report.
    assert!(
        found
            .iter()
            .any(|(p, r)| p == "app.py" && r.starts_with("github")),
        "{found:?}"
    );
    assert!(
        !found.iter().any(|(_, r)| r == "email-address"),
        "{found:?}"
    );
    let (_, rows) = verify_waivers(&f, None);
    let (_, status, _) = rows
        .iter()
        .find(|r| r.0 == "sast-secret-detection")
        .unwrap();
    assert_eq!(status, "fail");
}

/// The evidence signals of one requirement of `verify --format json --tier TIER`.
fn signals_at(root: &std::path::Path, tier: &str, id: &str) -> Vec<String> {
    let mut c = common::tiercheck();
    c.current_dir(root)
        .args(["verify", ".", "--format", "json", "--tier", tier]);
    let (_, out, err) = run(c);
    let v: serde_json::Value =
        common::flat(serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {err}")));
    v["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id)
        .unwrap()["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["signal"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn allow_markers_hide_findings_from_scan_and_low_tiers_only() {
    let f = Fixture::repo();
    f.write(
        ".tier.yaml",
        "version: 1\naudience: employees\ndata: internal\nowner: jane@corp.example\n",
    );
    f.write(
        "app.py",
        format!("TOKEN = \"{}\"  # tiercheck:allow\n", gh_token(12)),
    );
    let mut c = f.cmd();
    c.args(["scan", "."]);
    let (code, _, err) = run(c);
    assert_eq!(code, Some(0), "scan honours the author's marker: {err}");
    let t2 = signals_at(&f.path(), "T2", "sast-secret-detection");
    assert!(!t2.iter().any(|s| s == "secret-found"), "{t2:?}");
    let t4 = signals_at(&f.path(), "T4", "sast-secret-detection");
    assert!(t4.iter().any(|s| s == "secret-found"), "{t4:?}");
    assert!(t4.iter().any(|s| s == "allow-marker-ignored"), "{t4:?}");
}

#[test]
fn ignore_files_do_not_hide_committed_files_from_verify_at_t3_and_t4() {
    if std::process::Command::new("git")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("skipped: no `git` program on this machine");
        return;
    }
    for ignore_file in [".gitignore", ".tiercheckignore"] {
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        std::fs::write(
            root.join(".tier.yaml"),
            "version: 1\naudience: employees\ndata: internal\nowner: jane@corp.example\n",
        )
        .unwrap();
        std::fs::write(
            root.join("keys.py"),
            format!("TOKEN = \"{}\"\n", gh_token(13)),
        )
        .unwrap();
        git(&root, "jane", &["init", "-q", "-b", "main"]);
        git(&root, "jane", &["add", "-A"]);
        git(&root, "jane", &["commit", "-q", "-m", "add"]);
        // The ignore line comes after the commit: the file stays tracked.
        std::fs::write(root.join(ignore_file), "keys.py\n").unwrap();
        let mut c = common::tiercheck();
        c.current_dir(&root).args(["scan", "."]);
        let (code, _, err) = run(c);
        assert_eq!(code, Some(0), "{ignore_file}: scan honours it: {err}");
        let t2 = signals_at(&root, "T2", "sast-secret-detection");
        assert!(
            !t2.iter().any(|s| s == "secret-found"),
            "{ignore_file}: {t2:?}"
        );
        let t4 = signals_at(&root, "T4", "sast-secret-detection");
        assert!(
            t4.iter().any(|s| s == "secret-found"),
            "{ignore_file}: {t4:?}"
        );
        assert!(
            t4.iter().any(|s| s == "ignored-tracked-scanned"),
            "{ignore_file}: {t4:?}"
        );
    }
}

#[test]
fn a_baseline_the_repository_wrote_does_not_accept_its_own_secret_at_t4() {
    let f = Fixture::repo();
    f.write("app.py", format!("TOKEN = \"{}\"\n", gh_token(14)));
    let mut c = f.cmd();
    c.args(["scan", ".", "--write-baseline", "base.json"]);
    let (code, _, err) = run(c);
    assert_eq!(code, Some(0), "{err}");
    f.write(
        ".tier.yaml",
        "version: 1\naudience: employees\ndata: internal\nowner: jane@corp.example\nbaseline: base.json\n",
    );
    let t2 = signals_at(&f.path(), "T2", "sast-secret-detection");
    assert!(!t2.iter().any(|s| s == "secret-found"), "{t2:?}");
    let t4 = signals_at(&f.path(), "T4", "sast-secret-detection");
    assert!(t4.iter().any(|s| s == "secret-found"), "{t4:?}");
    assert!(t4.iter().any(|s| s == "baseline-ignored"), "{t4:?}");
}

#[test]
fn trust_repo_lets_the_repository_suppress_at_every_tier_and_says_so() {
    let f = Fixture::repo();
    f.write(
        ".tier.yaml",
        "version: 1\naudience: public\ndata: internal\nowner: jane@corp.example\n",
    );
    f.write(
        "app.py",
        format!("TOKEN = \"{}\"  # tiercheck:allow\n", gh_token(15)),
    );
    let t4 = signals_at(&f.path(), "T4", "sast-secret-detection");
    assert!(t4.iter().any(|s| s == "secret-found"), "{t4:?}");
    let mut c = f.cmd();
    c.args(["verify", ".", "--format", "json", "--trust-repo"]);
    let (_, out, err) = run(c);
    has(&err, &["--trust-repo", "count at every tier"]);
    let v = common::json(out.as_bytes());
    assert_eq!(v["trust_repo"], true, "the report says so too");
    let sast = v["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "sast-secret-detection")
        .unwrap()
        .to_string();
    assert!(!sast.contains("secret-found"), "{sast}");
}

#[test]
fn a_nested_manifest_cannot_carve_a_folder_out_of_a_stricter_artifact() {
    let f = Fixture::repo();
    f.write(
        ".tier.yaml",
        "version: 1\naudience: public\ndata: internal\nowner: jane@corp.example\n",
    );
    f.write(
        "tools/.tier.yaml",
        "version: 1\naudience: me\ndata: none\nowner: jane@corp.example\n",
    );
    f.write("tools/keys.py", format!("TOKEN = \"{}\"\n", gh_token(16)));
    for path in [".", "tools"] {
        let mut c = f.cmd();
        c.args(["verify", path, "--format", "json"]);
        let (code, out, err) = run(c);
        assert_eq!(code, Some(1), "{path}: {err}");
        let v = common::json(out.as_bytes());
        let tools = match v.get("artifacts") {
            Some(list) => list
                .as_array()
                .unwrap()
                .iter()
                .find(|a| a["path"].as_str().unwrap().ends_with("tools"))
                .unwrap()
                .clone(),
            None => v.clone(),
        };
        assert_eq!(tools["tier"], "T4", "{path}: {tools}");
        assert_eq!(tools["classification"]["under_classified"], true, "{path}");
        has(
            tools["reason"].as_str().unwrap(),
            &["a nested manifest may not declare a lower tier"],
        );
        let sast = tools["requirements"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == "sast-secret-detection")
            .unwrap()
            .to_string();
        assert!(sast.contains("secret-found"), "{path}: {sast}");
    }
    let mut c = f.cmd();
    c.args(["assess", "tools", "--format", "json"]);
    let (code, out, err) = run(c);
    assert_eq!(code, Some(1), "{err}");
    let v = common::json(out.as_bytes());
    assert_eq!(v["tier"], "T4", "assess: {v}");
    assert_eq!(v["classification"]["under_classified"], true);
    // A nested manifest may declare a stricter tier than its container (and, as its folder
    // holds a token, says honestly that it touches credentials).
    f.write(
        ".tier.yaml",
        "version: 1\naudience: employees\ndata: internal\nowner: jane@corp.example\n",
    );
    f.write(
        "tools/.tier.yaml",
        "version: 1\naudience: external\ndata: credentials\nowner: jane@corp.example\n",
    );
    let mut c = f.cmd();
    c.args(["verify", "tools", "--format", "json"]);
    let (_, out, err) = run(c);
    let v = common::json(out.as_bytes());
    assert_eq!(v["tier"], "T3", "{err}");
    assert_eq!(v["classification"]["under_classified"], false);
}

#[test]
fn a_requirement_given_twice_in_one_policy_file_is_an_error_even_when_extending() {
    let f = Fixture::new();
    let req = "  - id: human-review\n    title: t\n    remediation: r\n    levels: {T1: required, T2: required, T3: required, T4: required}\n    checks:\n      - kind: manifest-field\n        field: owner\n";
    f.write(
        "p.yaml",
        format!("version: 1\nextends: default\nrequirements:\n{req}{req}"),
    );
    let mut c = f.cmd();
    c.args(["policy", "check", "p.yaml"]);
    let (code, _, err) = run(c);
    assert_eq!(code, Some(2), "{err}");
    has(
        &err,
        &["requirement `human-review` is defined twice", "p.yaml:"],
    );
    // Giving a default requirement again once still replaces it.
    f.write(
        "p.yaml",
        format!("version: 1\nextends: default\nrequirements:\n{req}"),
    );
    let mut c = f.cmd();
    c.args(["policy", "check", "p.yaml"]);
    let (code, _, err) = run(c);
    assert_eq!(code, Some(0), "{err}");
}

#[test]
fn an_unsupported_policy_version_is_located() {
    let f = Fixture::new();
    f.write("p.yaml", "# company policy\nversion: 2\nextends: default\n");
    let mut c = f.cmd();
    c.args(["policy", "check", "p.yaml"]);
    let (code, _, err) = run(c);
    assert_eq!(code, Some(2), "{err}");
    has(
        &err,
        &[
            "unsupported policy version 2",
            "p.yaml:2:10",
            "write `version: 1`",
        ],
    );
}

#[test]
fn every_report_names_the_policy_files_applied_with_their_digests() {
    let f = Fixture::repo();
    f.write(".tier.yaml", MANIFEST);
    let p = f.write("company.yaml", COMPANY);
    let mut c = f.cmd();
    c.args(["verify", ".", "--format", "json", "--policy"])
        .arg(&p);
    let (_, out, err) = run(c);
    let v = common::json(out.as_bytes());
    let files = v["policy"]
        .as_array()
        .unwrap_or_else(|| panic!("{v}: {err}"));
    assert_eq!(files.len(), 2, "{files:?}");
    assert_eq!(files[0]["path"], "<built-in>/policies/default.yaml");
    assert!(files[1]["path"].as_str().unwrap().ends_with("company.yaml"));
    for f in files {
        let d = f["sha256"].as_str().unwrap();
        assert!(d.starts_with("sha256:") && d.len() == 7 + 64, "{d}");
    }
    let mut c = f.cmd();
    c.args(["verify", "."]).arg("--policy").arg(&p);
    let (_, out, _) = run(c);
    has(
        &out,
        &[
            "policy: <built-in>/policies/default.yaml (sha256:",
            "company.yaml (sha256:",
        ],
    );
}

#[test]
fn a_git_config_that_includes_a_fifo_makes_git_evidence_an_error_not_a_hang() {
    if std::process::Command::new("git")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("skipped: no `git` program on this machine");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(dir.path()).unwrap();
    std::fs::write(root.join("a.txt"), "x\n").unwrap();
    git(&root, "jane", &["init", "-q", "-b", "main"]);
    git(&root, "jane", &["add", "-A"]);
    git(&root, "jane", &["commit", "-q", "-m", "init"]);
    let fifo = root.join(".git/hang");
    if !mkfifo(&fifo) {
        return;
    }
    let mut config = std::fs::read_to_string(root.join(".git/config")).unwrap();
    config.push_str("[include]\n\tpath = hang\n");
    std::fs::write(root.join(".git/config"), config).unwrap();
    // `.git/info/exclude` as a FIFO too: the walk reads it like an ignore file.
    std::fs::create_dir_all(root.join(".git/info")).unwrap();
    let _ = std::fs::remove_file(root.join(".git/info/exclude"));
    if !mkfifo(&root.join(".git/info/exclude")) {
        return;
    }
    let mut c = common::tiercheck();
    c.current_dir(&root).args(["scan", "--history", "."]);
    let (code, _, err) = run(c);
    assert_eq!(code, Some(2), "{err}");
    has(&err, &["git config", "hang", "FIFO"]);
    let mut c = common::tiercheck();
    c.current_dir(&root)
        .args(["verify", ".", "--tier", "T4", "--format", "json"]);
    let (code, out, err) = run(c);
    assert_eq!(code, Some(1), "{err}");
    let v = common::json(out.as_bytes());
    let review = v["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "code-review")
        .unwrap()
        .to_string();
    assert!(review.contains("FIFO"), "{review}");
    let mut c = common::tiercheck();
    c.current_dir(&root).args(["scan", ".", "--format", "json"]);
    let (code, out, err) = run(c);
    assert_eq!(code, Some(1), "{err}");
    has(&out, &[".git/info/exclude"]);
}

#[cfg(unix)]
#[test]
fn names_that_are_not_utf8_are_scanned_shown_escaped_and_digested() {
    use std::os::unix::ffi::OsStrExt;
    let f = Fixture::repo();
    f.write(
        ".tier.yaml",
        "version: 1\naudience: me\ndata: none\nowner: jane@corp.example\n",
    );
    let tok = gh_token(17);
    std::fs::create_dir_all(f.path().join(std::ffi::OsStr::from_bytes(b"dir\xfe"))).unwrap();
    for name in [&b"bad\xff name.py"[..], &b"dir\xfe/x.py"[..]] {
        std::fs::write(
            f.path().join(std::ffi::OsStr::from_bytes(name)),
            format!("T = \"{tok}\"\n"),
        )
        .unwrap();
    }
    let mut c = f.cmd();
    c.args(["scan", ".", "--format", "json"]);
    let (code, out, err) = run(c);
    assert_eq!(code, Some(1), "{err}");
    let v = common::json(out.as_bytes());
    let paths = v["findings"].to_string();
    has(&paths, &["bad\\\\xff name.py", "dir\\\\xfe/x.py"]);
    // The digest reads them too: a review is recorded and counts.
    let mut c = f.cmd();
    c.args(["review", ".", "--by", "jane@corp.example", "--kind", "self"]);
    let (code, _, err) = run(c);
    assert_eq!(code, Some(0), "{err}");
    let review = signals_at(&f.path(), "T1", "human-review");
    assert!(review.iter().any(|s| s == "review-current"), "{review:?}");
}

#[test]
fn the_same_input_gives_byte_identical_output_across_runs_and_thread_counts() {
    let f = Fixture::repo();
    f.write(
        ".tier.yaml",
        "version: 1\naudience: external\ndata: customer\nowner: jane@corp.example\n",
    );
    for i in 0..40u32 {
        f.write(
            &format!("src/m{i}/keys.py"),
            format!(
                "T = \"{}\"\nmail = 'p{i}@customer.example'\n",
                gh_token(i + 20)
            ),
        );
    }
    f.write("CLAUDE.md", format!("token {}\n", gh_token(99)));
    for args in [
        vec!["verify", "."],
        vec!["verify", ".", "--format", "json"],
        vec!["verify", ".", "--format", "sarif"],
        vec!["verify", ".", "--format", "markdown"],
        vec!["verify", ".", "--format", "junit"],
        vec!["scan", ".", "--format", "json"],
        vec!["scan", "."],
    ] {
        let mut outputs = Vec::new();
        for threads in ["1", "2", "1", "4"] {
            let mut c = f.cmd();
            c.args(&args).env("RAYON_NUM_THREADS", threads);
            let (_, out, _) = run(c);
            outputs.push(out);
        }
        assert!(!outputs[0].is_empty(), "{args:?}");
        for o in &outputs[1..] {
            assert_eq!(o, &outputs[0], "{args:?} differs between runs");
        }
    }
}

#[test]
fn corrupt_git_objects_and_index_become_errors_not_hangs() {
    if std::process::Command::new("git")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("skipped: no `git` program on this machine");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(dir.path()).unwrap();
    std::fs::write(root.join("a.txt"), "hello world content\n").unwrap();
    std::fs::write(
        root.join(".tier.yaml"),
        "version: 1\naudience: public\ndata: none\nowner: jane@corp.example\n",
    )
    .unwrap();
    git(&root, "jane", &["init", "-q", "-b", "main"]);
    git(&root, "jane", &["add", "a.txt"]);
    git(&root, "jane", &["commit", "-q", "-m", "init"]);
    let object = |rev: &str| {
        let out = std::process::Command::new("git")
            .args(["rev-parse", rev])
            .current_dir(&root)
            .output()
            .unwrap();
        let id = String::from_utf8_lossy(&out.stdout).trim().to_string();
        root.join(".git/objects").join(&id[..2]).join(&id[2..])
    };
    let corrupt = |path: &std::path::Path, bytes: &[u8]| {
        let mut perms = std::fs::metadata(path).unwrap().permissions();
        #[allow(clippy::permissions_set_readonly_false)]
        perms.set_readonly(false);
        std::fs::set_permissions(path, perms).unwrap();
        std::fs::write(path, bytes).unwrap();
    };
    let blob = object("HEAD:a.txt");
    let head = std::fs::read(&blob).unwrap();
    corrupt(&blob, &head[..10]);
    for args in [
        vec!["verify", ".", "--format", "json"],
        vec!["scan", "--history", "."],
    ] {
        let mut c = common::tiercheck();
        c.current_dir(&root).args(&args);
        let (code, _, err) = run(c);
        assert!(
            matches!(code, Some(1 | 2)),
            "truncated blob, {args:?}: {err}"
        );
    }
    corrupt(&object("HEAD"), b"garbage");
    for args in [
        vec!["verify", ".", "--format", "json"],
        vec!["scan", "--history", "."],
    ] {
        let mut c = common::tiercheck();
        c.current_dir(&root).args(&args);
        let (code, _, err) = run(c);
        assert!(
            matches!(code, Some(1 | 2)),
            "garbage commit, {args:?}: {err}"
        );
    }
    std::fs::write(root.join(".git/index"), b"bad").unwrap();
    let mut c = common::tiercheck();
    c.current_dir(&root)
        .args(["verify", ".", "--format", "json"]);
    let (code, _, err) = run(c);
    assert_eq!(code, Some(1), "bad index: {err}");
}

#[test]
fn what_the_repository_hides_where_the_policy_lets_it_is_still_counted_in_the_report() {
    if std::process::Command::new("git")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("skipped: no `git` program on this machine");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(dir.path()).unwrap();
    std::fs::write(
        root.join(".tier.yaml"),
        "version: 1\naudience: employees\ndata: internal\nowner: jane@corp.example\n",
    )
    .unwrap();
    std::fs::write(
        root.join("app.py"),
        format!("TOKEN = \"{}\"  # tiercheck:allow\n", gh_token(30)),
    )
    .unwrap();
    std::fs::write(root.join("keys.py"), format!("T = \"{}\"\n", gh_token(31))).unwrap();
    git(&root, "jane", &["init", "-q", "-b", "main"]);
    git(&root, "jane", &["add", "-A"]);
    git(&root, "jane", &["commit", "-q", "-m", "add"]);
    std::fs::write(root.join(".gitignore"), "keys.py\n").unwrap();
    // At T2 both count: nothing is found, and the report says what was hidden and where.
    let t2 = signals_at(&root, "T2", "sast-secret-detection");
    assert!(!t2.iter().any(|s| s == "secret-found"), "{t2:?}");
    assert!(t2.iter().any(|s| s == "allow-marker-honoured"), "{t2:?}");
    assert!(t2.iter().any(|s| s == "ignored-tracked-honoured"), "{t2:?}");
}
