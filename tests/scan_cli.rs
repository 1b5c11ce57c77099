//! `tiercheck scan` and the `content-scan` check, run as the real binary on temp trees.
//! The rules used here are written inline (the default policy's rules have their own tests),
//! so these tests exercise the engine and the command line, not a particular rule list.

use std::path::{Path, PathBuf};
use std::time::Instant;

use assert_cmd::Command;

mod common;
use common::token;
use serde_json::Value;

const POLICY: &str = concat!(
    "version: 1\nextends: default\nrules:\n",
    token_rule!(),
    r#"  - id: test-email
    description: an email address
    category: pii
    regex: '\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b'
    keywords: ['@']
allowlist:
  stopwords: [placeholder]
  paths: ['**/*.lock']
"#
);

struct Tree {
    dir: tempfile::TempDir,
}

impl Tree {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("policy.yaml"), POLICY).unwrap();
        Tree { dir }
    }
    fn root(&self) -> &Path {
        self.dir.path()
    }
    fn write(&self, rel: &str, content: impl AsRef<[u8]>) -> PathBuf {
        let p = self.root().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, content).unwrap();
        p
    }
    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::cargo_bin("tiercheck").unwrap();
        c.current_dir(self.root())
            .env_remove("TIERCHECK_POLICY")
            .env("NO_COLOR", "1")
            // Fixes the report's started_at, so two runs can be compared whole.
            .env("SOURCE_DATE_EPOCH", "1795824000")
            .arg("scan")
            .args(args);
        c
    }
    /// Runs `scan` with the test policy on the tree; returns exit code, stdout, stderr.
    fn scan(&self, args: &[&str]) -> (i32, String, String) {
        let mut all = vec!["--policy", "policy.yaml"];
        all.extend_from_slice(args);
        let o = self.cmd(&all).output().unwrap();
        (
            o.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&o.stdout).into_owned(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    }
    fn json(&self, args: &[&str]) -> (i32, Value) {
        let mut all = vec!["--format", "json"];
        all.extend_from_slice(args);
        let (code, out, err) = self.scan(&all);
        (
            code,
            common::flat(serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out} {err}"))),
        )
    }
}

#[test]
fn clean_tree_exits_0_and_findings_exit_1_without_leaking() {
    let t = Tree::new();
    t.write("src/main.py", "print('hello')\n");
    let (code, out, _) = t.scan(&[]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("0 findings"), "{out}");

    let secret = token(1);
    t.write("src/config.py", format!("API = \"{secret}\"\n"));
    let (code, out, _) = t.scan(&[]);
    assert_eq!(code, 1);
    assert!(out.contains("src/config.py:1:8  test-token  tkn_"), "{out}");
    assert!(!out.contains(&secret[6..]), "the value leaked: {out}");
    assert!(out.contains("1 finding in 1 file"), "{out}");
}

#[test]
fn json_shape_is_stable_and_sorted() {
    let t = Tree::new();
    t.write("b.txt", format!("{}\n", token(2)));
    t.write("a.txt", format!("x\n\n  {} jane@corp.test\n", token(3)));
    t.write(".env", format!("T={}\n", token(4)));
    let (code, v) = t.json(&[]);
    assert_eq!(code, 1);
    assert_eq!(v["schema_version"], 2);
    let f = v["findings"].as_array().unwrap();
    let got: Vec<(String, u64, String)> = f
        .iter()
        .map(|x| {
            (
                x["path"].as_str().unwrap().to_string(),
                x["line"].as_u64().unwrap(),
                x["rule_id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (".env".to_string(), 1, "test-token".to_string()),
            ("a.txt".into(), 3, "test-token".into()),
            ("a.txt".into(), 3, "test-email".into()),
            ("b.txt".into(), 1, "test-token".into()),
        ]
    );
    let keys: Vec<&str> = f[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        ["rule_id", "category", "path", "line", "column", "redacted"]
    );
    assert_eq!(f[1]["column"], 3);
    assert_eq!(f[2]["category"], "pii");
    assert!(v["skipped"].as_array().unwrap().is_empty());
    assert!(v["errors"].as_array().unwrap().is_empty());
    // Identical from run to run.
    let (_, again) = t.json(&[]);
    assert_eq!(v, again);
    // --category narrows the rules.
    let (_, pii) = t.json(&["--category", "pii"]);
    assert_eq!(pii["findings"].as_array().unwrap().len(), 1);
}

#[test]
fn inline_allow_stopwords_and_path_allowlist() {
    let t = Tree::new();
    t.write("a.txt", format!("k = \"{}\" # tiercheck:allow\n", token(5)));
    t.write("b.txt", "k = tkn_placeholderplaceholderplaceholder\n");
    t.write("deps/x.lock", format!("{}\n", token(6)));
    let (code, out, _) = t.scan(&[]);
    assert_eq!(code, 0, "{out}");
}

#[test]
fn binary_and_oversized_files_are_skipped_and_reported() {
    let t = Tree::new();
    let mut bin = b"\x7fELF\0\0\0".to_vec();
    bin.extend_from_slice(token(7).as_bytes());
    t.write("tool.bin", bin);
    t.write("big.txt", format!("{}{}", "a".repeat(5000), token(8)));
    t.write("small.txt", token(9));
    let (code, v) = t.json(&["--max-file-size", "4096"]);
    assert_eq!(code, 1);
    assert_eq!(v["findings"].as_array().unwrap().len(), 1);
    assert_eq!(v["findings"][0]["path"], "small.txt");
    let skipped: Vec<(String, String)> = v["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["path"].as_str().unwrap().to_string(),
                s["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(skipped.len(), 2, "{skipped:?}");
    assert_eq!(skipped[0].0, "big.txt");
    assert!(skipped[0].1.contains("larger than the 4096 byte limit"));
    assert_eq!(skipped[1], ("tool.bin".into(), "binary".into()));
    let (_, out, _) = t.scan(&["--max-file-size", "4096"]);
    assert!(out.contains("skipped big.txt"), "{out}");
    assert!(out.contains("2 skipped"), "{out}");
}

#[test]
fn a_file_size_limit_over_one_gib_is_a_usage_error() {
    let t = Tree::new();
    t.write("small.txt", token(9));
    let (code, _, err) = t.scan(&["--max-file-size", "4294967296"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("--max-file-size") && err.contains("1073741824"),
        "{err}"
    );
}

/// The paths of a JSON report's findings, in order.
#[cfg(unix)]
fn finding_paths(v: &Value) -> Vec<&str> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect()
}

#[cfg(unix)]
#[test]
fn unreadable_folder_is_reported_and_the_scan_goes_on() {
    use std::os::unix::fs::PermissionsExt;
    let t = Tree::new();
    t.write("locked/inside.txt", token(12));
    t.write("open.txt", token(13));
    let dir = t.dir.path().join("locked");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o000)).unwrap();
    let readable = std::fs::read_dir(&dir).is_ok();
    let (code, v) = t.json(&[]);
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    assert_eq!(code, 1, "the finding in open.txt still counts");
    let paths = finding_paths(&v);
    if readable {
        // Running as root: permissions do not stop reading.
        assert_eq!(paths, ["locked/inside.txt", "open.txt"]);
    } else {
        assert_eq!(paths, ["open.txt"]);
        assert_eq!(v["errors"][0]["path"], "locked", "{v}");
        assert!(!v["errors"][0]["message"].as_str().unwrap().is_empty());
    }
}

#[cfg(unix)]
#[test]
fn unreadable_file_is_reported_and_the_scan_goes_on() {
    use std::os::unix::fs::PermissionsExt;
    let t = Tree::new();
    let p = t.write("locked.txt", token(10));
    t.write("open.txt", token(11));
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o000)).unwrap();
    let (code, v) = t.json(&[]);
    assert_eq!(code, 1, "the finding in open.txt still counts");
    let paths = finding_paths(&v);
    if std::fs::read(&p).is_ok() {
        // Running as root: permissions do not stop reading, so both files are scanned.
        assert_eq!(paths, ["locked.txt", "open.txt"]);
    } else {
        assert_eq!(paths, ["open.txt"]);
        assert_eq!(v["errors"][0]["path"], "locked.txt");
        assert!(!v["errors"][0]["message"].as_str().unwrap().is_empty());
    }
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
}

#[test]
fn a_two_gib_file_is_skipped_unread() {
    let t = Tree::new();
    t.write("small.txt", token(15));
    // Sparse: two GiB long, next to nothing on disk.
    let big = std::fs::File::create(t.root().join("dump.sql")).unwrap();
    big.set_len(2 << 30).unwrap();
    let (code, v) = t.json(&[]);
    assert_eq!(code, 1);
    assert_eq!(v["findings"][0]["path"], "small.txt");
    assert_eq!(v["skipped"][0]["path"], "dump.sql");
    assert_eq!(
        v["skipped"][0]["reason"],
        "2147483648 bytes, larger than the 10485760 byte limit"
    );
    assert!(v["bytes_scanned"].as_u64().unwrap() < 4096, "{v}");
}

#[cfg(unix)]
#[test]
fn non_utf8_path_and_content_are_scanned() {
    use std::os::unix::ffi::OsStrExt;
    let t = Tree::new();
    let name = std::ffi::OsStr::from_bytes(b"caf\xe9.txt");
    let mut content = b"\xff\xfe latin1 caf\xe9 ".to_vec();
    content.extend_from_slice(token(12).as_bytes());
    std::fs::write(t.root().join(name), content).unwrap();
    let (code, v) = t.json(&[]);
    assert_eq!(code, 1);
    // A byte that is not UTF-8 is shown `\xNN`, so that two such names stay apart.
    assert_eq!(v["findings"][0]["path"], "caf\\xe9.txt");
    assert_eq!(v["findings"][0]["column"], 16);
}

#[cfg(unix)]
#[test]
fn symlink_loops_and_links_out_of_the_tree_end() {
    let t = Tree::new();
    t.write("d/a.txt", token(13));
    std::os::unix::fs::symlink(".", t.root().join("d/self")).unwrap();
    std::os::unix::fs::symlink("b", t.root().join("d/a")).unwrap();
    std::os::unix::fs::symlink("a", t.root().join("d/b")).unwrap();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("o.txt"), token(14)).unwrap();
    std::os::unix::fs::symlink(outside.path().join("o.txt"), t.root().join("d/out")).unwrap();
    let (code, v) = t.json(&[]);
    assert_eq!(code, 1);
    let f = v["findings"].as_array().unwrap();
    assert_eq!(f.len(), 1, "{v}");
    assert_eq!(f[0]["path"], "d/a.txt");
}

#[test]
fn invalid_regex_in_policy_exits_2_naming_the_rule() {
    let t = Tree::new();
    t.write(
        "bad.yaml",
        "version: 1\nextends: default\nrules:\n  - id: broken-rule\n    description: d\n    category: secret\n    regex: '(?P<secret>[a-z'\n",
    );
    let o = t.cmd(&["--policy", "bad.yaml"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("invalid regex in rule `broken-rule`"), "{err}");
    assert!(err.contains("bad.yaml:7:12"), "{err}");
    t.write(
        "bad2.yaml",
        "version: 1\nextends: default\nrules:\n  - id: r\n    description: d\n    category: secret\n    regex: x\n    validate: crc32\n",
    );
    let o = t.cmd(&["--policy", "bad2.yaml"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("unknown validator `crc32` in rule `r`"),
        "{err}"
    );
    assert!(err.contains("luhn"), "{err}");
}

#[test]
fn fifty_megabyte_single_line_is_scanned_linearly() {
    let t = Tree::new();
    // Minified-looking content with a token (and keyword-only decoys) every ~100 KB.
    let mut s = String::with_capacity(50 * 1024 * 1024 + 4096);
    let chunk = "var a=function(b){return b.tkn_+\"@\"};".repeat(2700);
    let mut planted = 0;
    while s.len() < 50 * 1024 * 1024 {
        s.push_str(&chunk);
        s.push_str(&token(planted));
        s.push(';');
        planted += 1;
    }
    t.write("app.min.js", &s);
    let start = Instant::now();
    let (code, v) = t.json(&["--max-file-size", "60000000", "--category", "secret"]);
    let took = start.elapsed();
    assert_eq!(code, 1);
    let f = v["findings"].as_array().unwrap();
    assert_eq!(f.len(), planted as usize);
    assert!(f.iter().all(|x| x["line"] == 1));
    // Not a timing test; printed so a regression is visible in the test log.
    eprintln!("50 MB single line: {planted} findings in {took:?}");
}

#[test]
fn baselines_record_fingerprints_and_report_only_new_findings() {
    let t = Tree::new();
    let old = token(20);
    t.write("a.txt", format!("{old}\n"));
    let (code, _, err) = t.scan(&["--write-baseline", "base.json"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("wrote 1 finding to base.json"), "{err}");
    let text = std::fs::read_to_string(t.root().join("base.json")).unwrap();
    assert!(
        !text.contains(&old[4..]),
        "baseline holds the value: {text}"
    );
    let v: Value = common::flat(serde_json::from_str(&text).unwrap());
    assert_eq!(v["version"], 2);
    assert_eq!(v["findings"][0]["rule_id"], "test-token");
    let fp = v["findings"][0]["fingerprint"].as_str().unwrap();
    assert!(fp.starts_with("c1:") && fp.len() == 3 + 64, "{fp}");
    // Same finding on another line: still accepted.
    t.write("a.txt", format!("\n\n{old}\n"));
    let (code, out, _) = t.scan(&["--baseline", "base.json"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("1 accepted by the baseline"), "{out}");
    t.write("b.txt", token(21));
    let (code, v) = t.json(&["--baseline", "base.json"]);
    assert_eq!(code, 1);
    assert_eq!(v["findings"].as_array().unwrap().len(), 1);
    assert_eq!(v["findings"][0]["path"], "b.txt");
    // A version 1 baseline (fingerprints that hash the value alone) is refused, saying why.
    t.write("old.json", "{\"version\": 1, \"findings\": []}");
    let (code, _, err) = t.scan(&["--baseline", "old.json"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("write it again with `tiercheck scan --write-baseline"),
        "{err}"
    );
    // A missing or broken baseline is a usage error.
    t.write("broken.json", "{");
    assert_eq!(t.scan(&["--baseline", "broken.json"]).0, 2);
    assert_eq!(t.scan(&["--baseline", "none.json"]).0, 2);
}

#[test]
fn scanning_a_single_file_and_a_subfolder_shows_paths_from_the_working_folder() {
    let t = Tree::new();
    t.write("sub/dir/x.txt", token(22));
    let (code, out, _) = t.scan(&["sub/dir/x.txt"]);
    assert_eq!(code, 1);
    assert!(out.starts_with("sub/dir/x.txt:1:1"), "{out}");
    let (_, out, _) = t.scan(&["sub"]);
    assert!(out.starts_with("sub/dir/x.txt:1:1"), "{out}");
}

fn verify(t: &Tree) -> Value {
    let o = Command::cargo_bin("tiercheck")
        .unwrap()
        .current_dir(t.root())
        .env_remove("TIERCHECK_POLICY")
        .args(["verify", "--policy", "policy.yaml", "--format", "json", "."])
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    common::flat(
        serde_json::from_str(&out)
            .unwrap_or_else(|e| panic!("{e}: {out} {}", String::from_utf8_lossy(&o.stderr))),
    )
}

fn requirement<'a>(v: &'a Value, id: &str) -> &'a Value {
    v["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id)
        .unwrap()
}

#[test]
fn verify_scans_prompt_files_and_the_tree() {
    let t = Tree::new();
    t.write(
        ".tier.yaml",
        "version: 1\naudience: employees\ndata: internal\nowner: jane@corp.test\n",
    );
    t.write("main.py", "print(1)\n");
    let v = verify(&t);
    let r = requirement(&v, "no-secrets-in-prompts");
    assert_eq!(r["status"], "pass", "{r}");
    assert_eq!(r["evidence"][0]["message"], "no prompt-like files");

    t.write(
        "CLAUDE.md",
        "Ask jane@corp.test for access. Contact bob@else.test.\n",
    );
    t.write(
        ".mcp.json",
        format!("{{\"env\": {{\"TOKEN\": \"{}\"}}}}\n", token(30)),
    );
    t.write("src/settings.py", format!("T = '{}'\n", token(31)));
    let v = verify(&t);
    let secrets = requirement(&v, "no-secrets-in-prompts");
    assert_eq!(secrets["status"], "fail", "{secrets}");
    let ev = secrets["evidence"].as_array().unwrap();
    assert!(
        ev.iter()
            .any(|e| e["signal"] == "secret-found" && e["path"] == ".mcp.json"),
        "{secrets}"
    );
    let pii = requirement(&v, "no-customer-data-in-prompts");
    assert_eq!(pii["status"], "fail", "{pii}");
    let tree = requirement(&v, "sast-secret-detection");
    assert_eq!(tree["status"], "fail");
    let findings: Vec<(String, String)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        // Only this test's rules: the default policy's rules find the token too.
        .filter(|f| f["rule_id"].as_str().unwrap().starts_with("test-"))
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["rule_id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    // The owner's own address is not personal data; the other person's is.
    assert_eq!(
        findings,
        [
            (".mcp.json".to_string(), "test-token".to_string()),
            ("CLAUDE.md".into(), "test-email".into()),
            ("src/settings.py".into(), "test-token".into()),
        ]
    );
    let email = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == "test-email")
        .unwrap();
    assert_eq!(email["column"], 40);
}

#[test]
fn verify_honours_the_manifest_baseline() {
    let t = Tree::new();
    t.write("CLAUDE.md", format!("token {}\n", token(40)));
    t.write(
        ".tier.yaml",
        "version: 1\naudience: employees\ndata: internal\nowner: jane@corp.test\nbaseline: .tiercheck-baseline.json\n",
    );
    assert_eq!(
        t.scan(&["--write-baseline", ".tiercheck-baseline.json"]).0,
        0
    );
    let v = verify(&t);
    let r = requirement(&v, "no-secrets-in-prompts");
    assert_eq!(r["status"], "pass", "{r}");
    let msg = r["evidence"][0]["message"].as_str().unwrap();
    assert!(msg.contains("1 more accepted by the baseline"), "{msg}");
    t.write(".tiercheck-baseline.json", "not json");
    let v = verify(&t);
    assert_eq!(requirement(&v, "no-secrets-in-prompts")["status"], "error");
}
