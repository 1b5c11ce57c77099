//! `scan --staged` and `scan --history` on real repositories built with the git CLI in temp
//! folders. The rule is written inline (the default rules have their own tests); tokens are
//! assembled at run time.

use std::path::{Path, PathBuf};
use std::process::Command as Std;

use assert_cmd::Command;

mod common;
use common::token;
use serde_json::Value;

const POLICY: &str = concat!("version: 1\nextends: default\nrules:\n", token_rule!());

struct Repo {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    policy: PathBuf,
}

impl Repo {
    fn new() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let base = std::fs::canonicalize(tmp.path()).unwrap();
        let root = base.join("repo");
        std::fs::create_dir_all(&root).unwrap();
        let policy = base.join("policy.yaml");
        std::fs::write(&policy, POLICY).unwrap();
        let r = Repo {
            _tmp: tmp,
            root,
            policy,
        };
        r.git(&["init", "-q", "-b", "main"]);
        r
    }

    fn git_in(dir: &Path, args: &[&str]) -> String {
        let out = Std::new("git")
            .current_dir(dir)
            .args(args)
            .env("GIT_AUTHOR_NAME", "Ann")
            .env("GIT_AUTHOR_EMAIL", "ann@corp.example")
            .env("GIT_COMMITTER_NAME", "Ann")
            .env("GIT_COMMITTER_EMAIL", "ann@corp.example")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("HOME", dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    fn git(&self, args: &[&str]) -> String {
        Self::git_in(&self.root, args)
    }

    fn write(&self, rel: &str, content: &str) {
        let p = self.root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
    }

    fn commit(&self, msg: &str) -> String {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "--allow-empty", "-m", msg]);
        self.git(&["rev-parse", "HEAD"])
    }

    fn scan_in(&self, dir: &Path, args: &[&str]) -> (i32, Value, String) {
        let out = Command::new(env!("CARGO_BIN_EXE_tiercheck"))
            .current_dir(dir)
            .env_remove("TIERCHECK_POLICY")
            .arg("scan")
            .args(args)
            .args(["--format", "json", "--policy"])
            .arg(&self.policy)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        let v = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
        (out.status.code().unwrap_or(-1), v, stderr)
    }

    fn scan(&self, args: &[&str]) -> (i32, Value, String) {
        self.scan_in(&self.root, args)
    }
}

fn findings(v: &Value) -> &Vec<Value> {
    v["findings"].as_array().expect("findings")
}

#[test]
fn staged_content_is_scanned_with_its_own_line_numbers() {
    let r = Repo::new();
    r.write("a.txt", "one\n");
    r.commit("first");
    // Staged: the token on line 3. Work tree: the token moves to line 1.
    r.write("a.txt", &format!("one\ntwo\nkey = {}\n", token(1)));
    r.git(&["add", "a.txt"]);
    r.write("a.txt", &format!("key = {}\n", token(1)));
    // Unstaged secret: not reported.
    r.write("b.txt", &format!("other = {}\n", token(2)));
    let (code, v, _) = r.scan(&["--staged"]);
    assert_eq!(code, 1, "{v}");
    let f = findings(&v);
    assert_eq!(f.len(), 1, "{v}");
    assert_eq!(f[0]["path"], "a.txt");
    assert_eq!(f[0]["line"], 3);
    assert!(f[0].get("commit").is_none());
    assert_eq!(v["files_scanned"], 1);
    assert_eq!(v["mode"], "staged");
    assert!(!v.to_string().contains(&token(1)), "secret printed");
}

#[test]
fn nothing_staged_is_said_not_passed_silently() {
    let r = Repo::new();
    r.write("a.txt", &format!("key = {}\n", token(1)));
    r.commit("first");
    let (code, v, stderr) = r.scan(&["--staged"]);
    assert_eq!(code, 0);
    assert_eq!(v["files_scanned"], 0);
    assert_eq!(v["nothing_scanned"], "nothing staged");
    assert!(stderr.contains("nothing staged"), "{stderr}");
}

#[test]
fn staged_in_a_repo_without_commits_scans_the_index() {
    let r = Repo::new();
    r.write("new.txt", &format!("\nkey = {}\n", token(3)));
    r.git(&["add", "new.txt"]);
    let (code, v, _) = r.scan(&["--staged"]);
    assert_eq!(code, 1, "{v}");
    assert_eq!(findings(&v)[0]["line"], 2);
    // --history on the same repository: no commits, nothing to scan, said so.
    let (code, v, stderr) = r.scan(&["--history"]);
    assert_eq!(code, 0);
    assert_eq!(v["files_scanned"], 0);
    assert!(stderr.contains("no commits"), "{stderr}");
}

#[test]
fn staged_limited_to_a_path() {
    let r = Repo::new();
    r.write("x/a.txt", &format!("k = {}\n", token(1)));
    r.write("y/b.txt", &format!("k = {}\n", token(2)));
    r.git(&["add", "-A"]);
    let (code, v, _) = r.scan(&["--staged", "y"]);
    assert_eq!(code, 1);
    let f = findings(&v);
    assert_eq!(f.len(), 1, "{v}");
    assert_eq!(f[0]["path"], "y/b.txt");
}

#[test]
fn history_names_the_introducing_commit_and_whether_head_holds_it() {
    let r = Repo::new();
    r.write("README.md", "hello\n");
    r.commit("start");
    r.write("conf.env", &format!("A={}\n", token(1)));
    r.write("keep.env", &format!("B={}\n", token(2)));
    let intro = r.commit("add secrets");
    r.write("conf.env", "A=from-vault\n");
    r.write("keep.env", &format!("# moved down\nB={}\n", token(2)));
    r.commit("remove one");
    let (code, v, _) = r.scan(&["--history"]);
    assert_eq!(code, 1, "{v}");
    let f = findings(&v);
    assert_eq!(f.len(), 2, "{v}");
    let conf = f.iter().find(|x| x["path"] == "conf.env").unwrap();
    assert_eq!(conf["commit"], intro.as_str());
    assert_eq!(conf["present_at_head"], false);
    assert_eq!(conf["line"], 1);
    let keep = f.iter().find(|x| x["path"] == "keep.env").unwrap();
    // Introduced in `add secrets`, moved later: still the first commit, still at HEAD.
    assert_eq!(keep["commit"], intro.as_str());
    assert_eq!(keep["present_at_head"], true);
    assert_eq!(v["commits_walked"], 3);
    assert!(!v.to_string().contains(&token(1)), "secret printed");
}

#[test]
fn a_blob_in_many_commits_is_scanned_once() {
    let r = Repo::new();
    r.write("secret.txt", &format!("k = {}\n", token(1)));
    r.commit("c0");
    for i in 1..30 {
        r.write("counter.txt", &format!("{i}\n"));
        r.commit(&format!("c{i}"));
    }
    let (code, v, _) = r.scan(&["--history"]);
    assert_eq!(code, 1);
    assert_eq!(v["commits_walked"], 30);
    // secret.txt once, and each of the 29 counter versions once.
    assert_eq!(v["blobs_scanned"], 30, "{v}");
    assert_eq!(findings(&v).len(), 1);
}

#[test]
fn history_since_and_branch() {
    let r = Repo::new();
    r.write("old.txt", &format!("k = {}\n", token(1)));
    let base = r.commit("old");
    r.git(&["checkout", "-q", "-b", "side"]);
    r.write("side.txt", &format!("k = {}\n", token(2)));
    r.commit("side");
    r.git(&["checkout", "-q", "main"]);
    r.write("new.txt", &format!("k = {}\n", token(3)));
    r.commit("new");
    let paths = |v: &Value| -> Vec<String> {
        let mut p: Vec<String> = findings(v)
            .iter()
            .map(|f| f["path"].as_str().unwrap().to_string())
            .collect();
        p.sort();
        p
    };
    // All refs by default: the side branch is scanned too.
    let (_, v, _) = r.scan(&["--history"]);
    assert_eq!(paths(&v), ["new.txt", "old.txt", "side.txt"]);
    let (_, v, _) = r.scan(&["--history", "--branch", "main"]);
    assert_eq!(paths(&v), ["new.txt", "old.txt"]);
    let (_, v, _) = r.scan(&["--history", "--branch", "main", "--since", &base]);
    assert_eq!(paths(&v), ["new.txt"]);
    let side = findings(&r.scan(&["--history"]).1)
        .iter()
        .find(|f| f["path"] == "side.txt")
        .unwrap()
        .clone();
    assert_eq!(side["present_at_head"], false);
}

#[test]
fn not_a_repository_exits_2() {
    let tmp = tempfile::tempdir().unwrap();
    let policy = tmp.path().join("p.yaml");
    std::fs::write(&policy, POLICY).unwrap();
    let dir = tmp.path().join("plain");
    std::fs::create_dir_all(&dir).unwrap();
    for flag in ["--staged", "--history"] {
        let out = Command::new(env!("CARGO_BIN_EXE_tiercheck"))
            .current_dir(&dir)
            .env("GIT_CEILING_DIRECTORIES", tmp.path())
            .args(["scan", flag, "--policy"])
            .arg(&policy)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{flag}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("not a git repository"), "{err}");
    }
}

#[test]
fn shallow_clone_says_history_is_partial() {
    let r = Repo::new();
    for i in 0..4 {
        r.write("f.txt", &format!("{i}\n"));
        r.commit(&format!("c{i}"));
    }
    r.write("f.txt", &format!("k = {}\n", token(1)));
    r.commit("secret");
    let clone = r.root.parent().unwrap().join("shallow");
    let url = format!("file://{}", r.root.display());
    Repo::git_in(
        r.root.parent().unwrap(),
        &["clone", "-q", "--depth", "2", &url, clone.to_str().unwrap()],
    );
    let (code, v, stderr) = r.scan_in(&clone, &["--history"]);
    assert_eq!(code, 1, "{v} {stderr}");
    assert!(stderr.contains("history is partial"), "{stderr}");
    assert!(v["notes"][0].as_str().unwrap().contains("shallow"), "{v}");
    assert_eq!(v["commits_walked"], 2);
}

#[test]
fn detached_head_works() {
    let r = Repo::new();
    r.write("a.txt", &format!("k = {}\n", token(1)));
    let c = r.commit("one");
    r.write("a.txt", "clean\n");
    r.commit("two");
    r.git(&["checkout", "-q", "--detach", &c]);
    let (code, v, _) = r.scan(&["--history"]);
    assert_eq!(code, 1);
    assert_eq!(findings(&v)[0]["present_at_head"], true);
}

#[test]
fn baseline_survives_a_squash() {
    let r = Repo::new();
    r.write("a.txt", "start\n");
    r.commit("start");
    r.write("a.txt", &format!("start\nk = {}\n", token(1)));
    r.commit("add");
    r.write("a.txt", &format!("start\nmore\nk = {}\n", token(1)));
    r.commit("move");
    let base = r.root.parent().unwrap().join("baseline.json");
    let (code, _, _) = r.scan(&["--history", "--write-baseline", base.to_str().unwrap()]);
    assert_eq!(code, 0);
    // Squash the two commits into one (new commit ids, different line at introduction).
    r.git(&["reset", "-q", "--soft", "HEAD~2"]);
    r.commit("squashed");
    r.git(&["reflog", "expire", "--expire=now", "--all"]);
    r.git(&["gc", "-q", "--prune=now"]);
    let (code, v, _) = r.scan(&["--history", "--baseline", base.to_str().unwrap()]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["accepted_by_baseline"], 1);
    // The same baseline works for a staged scan of the same value.
    r.write("a.txt", &format!("k = {}\nstart\n", token(1)));
    r.git(&["add", "a.txt"]);
    let (code, v, _) = r.scan(&["--staged", "--baseline", base.to_str().unwrap()]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["accepted_by_baseline"], 1);
}

#[test]
fn submodules_are_reported_not_followed() {
    let r = Repo::new();
    r.write("a.txt", "x\n");
    let c = r.commit("one");
    // A gitlink entry, as `git submodule add` leaves in the index.
    r.git(&[
        "update-index",
        "--add",
        "--cacheinfo",
        &format!("160000,{c},vendor/lib"),
    ]);
    let (_, v, stderr) = r.scan(&["--staged"]);
    assert!(
        stderr.contains("submodule not followed: vendor/lib"),
        "{stderr}"
    );
    assert_eq!(v["files_scanned"], 0);
    r.git(&["commit", "-q", "-m", "sub"]);
    let (_, v, _) = r.scan(&["--history"]);
    assert!(v["notes"].to_string().contains("vendor/lib"), "{v}");
}

#[test]
fn corrupt_object_is_reported_and_the_scan_goes_on() {
    let r = Repo::new();
    r.write("bad.txt", "will be corrupted\n");
    r.write("good.txt", &format!("k = {}\n", token(1)));
    r.commit("one");
    let blob = r.git(&["rev-parse", "HEAD:bad.txt"]);
    let obj = r
        .root
        .join(".git/objects")
        .join(&blob[..2])
        .join(&blob[2..]);
    let mut perms = std::fs::metadata(&obj).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(&obj, perms).unwrap();
    std::fs::write(&obj, b"not zlib").unwrap();
    let (code, v, _) = r.scan(&["--history"]);
    assert_eq!(code, 1, "{v}");
    assert_eq!(findings(&v).len(), 1);
    assert!(v["errors"].to_string().contains("bad.txt"), "{v}");
}

fn verify_req(r: &Repo, staged: bool, id: &str) -> (String, String) {
    let mut c = Command::new(env!("CARGO_BIN_EXE_tiercheck"));
    c.current_dir(&r.root)
        .env_remove("TIERCHECK_POLICY")
        .env("TIERCHECK_TODAY", "2026-11-28")
        .args(["verify", "--tier", "T1", "--format", "json", "--policy"])
        .arg(&r.policy);
    if staged {
        c.arg("--staged");
    }
    let out = c.output().unwrap();
    let v: Value = common::flat(
        serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&out.stderr))),
    );
    let req = v["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == id)
        .unwrap_or_else(|| panic!("no {id} in {v}"))
        .clone();
    (req["status"].as_str().unwrap().to_string(), req.to_string())
}

#[test]
fn verify_staged_scans_the_index_for_secrets() {
    let r = Repo::new();
    r.write(
        ".tier.yaml",
        "version: 1\nname: helper\naudience: employees\ndata: internal\nowner: ann@corp.example\n",
    );
    r.write("prompts/ask.md", "Summarise the ticket.\n");
    r.commit("start");
    // Nothing staged: the scan is skipped and the requirement says `skip`, not `pass`, with
    // the reason as evidence (it does not count against the requirement: nothing is about
    // to be committed).
    let (status, req) = verify_req(&r, true, "no-secrets-in-prompts");
    assert_eq!(status, "skip", "{req}");
    assert!(req.contains("\"signal\":\"nothing-staged\""), "{req}");
    // A secret staged, then removed from the working tree only.
    r.write("prompts/ask.md", &format!("Summarise.\nUse {}\n", token(4)));
    r.git(&["add", "prompts/ask.md"]);
    r.write("prompts/ask.md", "Summarise the ticket.\n");
    let (status, req) = verify_req(&r, true, "no-secrets-in-prompts");
    assert_eq!(status, "fail", "{req}");
    assert!(req.contains("prompts/ask.md"), "{req}");
    assert!(!req.contains(&token(4)), "secret printed");
    // Without --staged the working tree is read: clean.
    let (status, _) = verify_req(&r, false, "no-secrets-in-prompts");
    assert_eq!(status, "pass");
}

#[test]
fn verify_staged_outside_a_repository_exits_2() {
    let tmp = tempfile::tempdir().unwrap();
    let policy = tmp.path().join("p.yaml");
    std::fs::write(&policy, POLICY).unwrap();
    let dir = tmp.path().join("plain");
    std::fs::create_dir_all(&dir).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_tiercheck"))
        .current_dir(&dir)
        .env("GIT_CEILING_DIRECTORIES", tmp.path())
        .args(["verify", "--staged", "--tier", "T1", "--policy"])
        .arg(&policy)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a git repository"));
}

#[test]
fn a_bare_mirror_clone_is_scanned_like_a_checkout() {
    let r = Repo::new();
    r.write("README.md", "hello\n");
    r.commit("start");
    r.write("conf/app.env", &format!("A={}\n", token(1)));
    let intro = r.commit("add a secret");
    let (_, in_checkout, _) = r.scan(&["--history"]);
    let mirror = r.root.parent().unwrap().join("mirror.git");
    Repo::git_in(
        r.root.parent().unwrap(),
        &[
            "clone",
            "-q",
            "--mirror",
            r.root.to_str().unwrap(),
            mirror.to_str().unwrap(),
        ],
    );
    let (code, v, stderr) = r.scan_in(&mirror, &["--history"]);
    assert_eq!(code, 1, "{v} {stderr}");
    let f = findings(&v);
    assert_eq!(f.len(), 1, "{v}");
    assert_eq!(f[0]["path"], "conf/app.env", "the repository's own paths");
    assert_eq!(f[0]["commit"], intro.as_str());
    assert_eq!(f[0]["present_at_head"], true);
    assert_eq!(
        findings(&in_checkout)[0]["commit"],
        f[0]["commit"],
        "the same finding as in the checkout"
    );
    // Nothing is staged in a bare repository: said, not passed.
    let (code, _, stderr) = r.scan_in(&mirror, &["--staged"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("bare repository has no index"), "{stderr}");
}

/// A history scan reads each version of a file where it changed since the previous one (the
/// previous version was scanned in its own right): what the change brings is found at the
/// commit that brought it, a pair whose halves arrive in two commits is found when the
/// second arrives, and a scan whose range starts after a file's previous version scans
/// that file whole.
#[test]
fn each_version_is_scanned_where_it_changed() {
    let r = Repo::new();
    let filler = |i: usize| format!("setting_{i} = value {i}\n");
    let file = |lines: &[(usize, String)]| -> String {
        (1..=120)
            .map(|i| {
                lines
                    .iter()
                    .find(|(n, _)| *n == i)
                    .map_or_else(|| filler(i), |(_, l)| format!("{l}\n"))
            })
            .collect()
    };
    // An AWS-shaped key id and a 40-character secret, built at run time.
    let b32 = |seed: usize, n: usize| -> String {
        let abc = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        (0..n)
            .map(|i| abc[(i * 11 + seed * 7) % 32] as char)
            .collect()
    };
    let b64 = |n: usize| -> String {
        let abc = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        (0..n).map(|i| abc[(i * 29 + 5) % 64] as char).collect()
    };
    let key_id = format!("aws_access_key_id = AK{}{}", "IA", b32(3, 16));
    let t1 = format!("first = {}", token(1));
    r.write("app.cfg", &file(&[(10, t1.clone()), (60, key_id.clone())]));
    let c1 = r.commit("one secret and a key id");
    let t2 = format!("second = {}", token(2));
    r.write(
        "app.cfg",
        &file(&[
            (10, t1.clone()),
            (60, key_id.clone()),
            (63, format!("aws_other = {}", b64(40))),
            (118, t2),
        ]),
    );
    let c2 = r.commit("a far line, and the secret three lines below its id");
    let t3 = format!("first = {}", token(3));
    r.write(
        "app.cfg",
        &file(&[
            (10, t3),
            (60, key_id.clone()),
            (63, format!("aws_other = {}", b64(40))),
            (118, format!("second = {}", token(2))),
        ]),
    );
    let c3 = r.commit("rotate the first");
    let (code, v, _) = r.scan(&["--history"]);
    assert_eq!(code, 1, "{v}");
    let mut got: Vec<(u64, String, String, bool)> = findings(&v)
        .iter()
        .map(|f| {
            (
                f["line"].as_u64().unwrap(),
                f["rule_id"].as_str().unwrap().to_string(),
                f["commit"].as_str().unwrap().to_string(),
                f["present_at_head"].as_bool().unwrap(),
            )
        })
        .collect();
    got.sort();
    let mut want = vec![
        (10, "test-token".to_string(), c1.clone(), false),
        (10, "test-token".to_string(), c3.clone(), true),
        (60, "aws-access-key-id".to_string(), c1.clone(), true),
        (
            63,
            "aws-secret-access-key-near-id".to_string(),
            c2.clone(),
            true,
        ),
        (118, "test-token".to_string(), c2.clone(), true),
    ];
    want.sort();
    assert_eq!(got, want, "{v}");
    // From c2 on, the file's previous version lies outside the range: scanned whole, it
    // shows every value it holds, attributed to the first commit of the range.
    let (_, v, _) = r.scan(&["--history", "--since", &c2]);
    let lines: Vec<u64> = findings(&v)
        .iter()
        .map(|f| f["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [10, 60, 63, 118], "{v}");
    assert!(findings(&v).iter().all(|f| f["commit"] == c3.as_str()));
}
