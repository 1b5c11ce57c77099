//! Git-backed evidence on real repositories: `tiercheck review`, human-review going stale,
//! and code-review from trailers, merged pull/merge requests and review entries.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use assert_cmd::prelude::*;
use serde_json::Value;

const ALICE: (&str, &str) = ("Alice Doe", "alice@corp.example");
const BOB: (&str, &str) = ("Bob Eng", "bob@eng.example");

/// A temp folder holding a repository (or not) and a policy file outside it.
struct Fixture {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    policy: PathBuf,
}

impl Fixture {
    fn new() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let base = std::fs::canonicalize(tmp.path()).unwrap();
        let root = base.join("work");
        std::fs::create_dir_all(&root).unwrap();
        let policy = base.join("policy.yaml");
        std::fs::write(
            &policy,
            "version: 1\nextends: default\nengineers:\n  domains: [eng.example]\n",
        )
        .unwrap();
        Fixture {
            _tmp: tmp,
            root,
            policy,
        }
    }

    /// A fixture with a git repository, a manifest owned by Alice and one script.
    fn repo() -> Self {
        let f = Fixture::new();
        f.git(&["init", "-q", "-b", "main"]);
        f.write(
            ".tier.yaml",
            "version: 1\nname: export\naudience: employees\ndata: internal\nowner: alice@corp.example\n",
        );
        f.write("export.py", "print('export')\n");
        f
    }

    fn write(&self, rel: &str, body: &str) {
        let p = self.root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, body).unwrap();
    }

    fn git_in(&self, dir: &Path, who: (&str, &str), args: &[&str]) -> String {
        let out = Command::new("git")
            .args(args)
            .current_dir(dir)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("HOME", dir)
            .env("GIT_AUTHOR_NAME", who.0)
            .env("GIT_AUTHOR_EMAIL", who.1)
            .env("GIT_COMMITTER_NAME", who.0)
            .env("GIT_COMMITTER_EMAIL", who.1)
            .env("GIT_AUTHOR_DATE", "2026-11-01T12:00:00Z")
            .env("GIT_COMMITTER_DATE", "2026-11-01T12:00:00Z")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "git {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    fn git(&self, args: &[&str]) -> String {
        self.git_in(&self.root, ALICE, args)
    }

    fn commit(&self, who: (&str, &str), msg: &str) -> String {
        self.git_in(&self.root, who, &["add", "-A"]);
        self.git_in(&self.root, who, &["commit", "-q", "-m", msg]);
        self.git(&["rev-parse", "--short=7", "HEAD"])
    }

    /// Commits a change to export.py on a new branch and merges it into main with `--no-ff`
    /// and the given message; returns the branch commit's short id.
    fn merge_change(&self, branch: &str, merge_msg: &str) -> String {
        self.git(&["checkout", "-q", "-b", branch]);
        self.write("export.py", "print('v2')\n");
        let id = self.commit(ALICE, "export v2");
        self.git(&["checkout", "-q", "main"]);
        self.git(&["merge", "-q", "--no-ff", "-m", merge_msg, branch]);
        id
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::cargo_bin("tiercheck").unwrap();
        c.args(args)
            .current_dir(&self.root)
            .env("TIERCHECK_TODAY", "2026-11-20")
            .env("NO_COLOR", "1")
            .env_remove("TIERCHECK_POLICY");
        c
    }

    fn review(&self, by: &str, kind: &str) -> String {
        let out = self
            .cmd(&["review", "--by", by, "--kind", kind, "--policy"])
            .arg(&self.policy)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "review failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Appends a review entry for the current digest to .tier.yaml by hand (as someone who
    /// does not use `tiercheck review` would), with the given policy flags.
    fn append_review_by_hand_with(&self, policy: &[&std::ffi::OsStr], by: &str, kind: &str) {
        let out = self
            .cmd(&["review", "--by", by, "--kind", "self", "--print-message"])
            .args(policy)
            .output()
            .unwrap();
        let message = String::from_utf8_lossy(&out.stdout).into_owned();
        let digest = message
            .lines()
            .find_map(|l| l.strip_prefix("digest: "))
            .unwrap_or_else(|| panic!("no digest in {message:?}"))
            .to_string();
        let mut text = std::fs::read_to_string(self.root.join(".tier.yaml")).unwrap();
        if !text.contains("reviews:") {
            text.push_str("reviews:\n");
        }
        text.push_str(&format!(
            "  - by: {by}\n    kind: {kind}\n    digest: {digest}\n    date: 2026-11-28\n"
        ));
        self.write(".tier.yaml", &text);
    }

    fn append_review_by_hand(&self, by: &str, kind: &str) {
        let policy = [std::ffi::OsStr::new("--policy"), self.policy.as_os_str()];
        self.append_review_by_hand_with(&policy, by, kind);
    }

    fn verify(&self) -> Value {
        let out = self
            .cmd(&["verify", "--format", "json", "--policy"])
            .arg(&self.policy)
            .output()
            .unwrap();
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "verify: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        common::flat(serde_json::from_slice(&out.stdout).unwrap())
    }
}

/// (status, evidence) of a requirement.
fn req(v: &Value, id: &str) -> (String, Vec<Value>) {
    let r = v["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id)
        .unwrap_or_else(|| panic!("no requirement {id} in {v}"));
    (
        r["status"].as_str().unwrap().to_string(),
        r["evidence"].as_array().unwrap().clone(),
    )
}

fn signals(ev: &[Value]) -> Vec<&str> {
    ev.iter().map(|e| e["signal"].as_str().unwrap()).collect()
}

fn messages(ev: &[Value]) -> String {
    ev.iter()
        .map(|e| e["message"].as_str().unwrap())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn review_then_edit_names_the_changed_files() {
    let f = Fixture::repo();
    f.write("lib/util.py", "X = 1\n");
    f.commit(ALICE, "first version");
    let out = f.review("alice@corp.example", "self");
    assert!(
        out.contains("recorded self review by alice@corp.example"),
        "{out}"
    );
    assert!(out.contains("commit  "), "{out}");
    let (status, ev) = req(&f.verify(), "human-review");
    assert_eq!(status, "pass", "{ev:?}");
    assert_eq!(signals(&ev), ["review-current", "review-unsigned"]);
    let again = f.review("Alice@corp.example", "self");
    assert!(again.contains("already recorded"), "{again}");
    let text = std::fs::read_to_string(f.root.join(".tier.yaml")).unwrap();
    assert_eq!(text.matches("kind: self").count(), 1, "{text}");
    assert_eq!(ev[0]["path"], ".tier.yaml");

    // Committing the manifest does not make the review stale.
    f.commit(ALICE, "record review");
    assert_eq!(req(&f.verify(), "human-review").0, "pass");

    f.write("lib/util.py", "X = 2\n");
    f.write("new.py", "print('new')\n");
    let (status, ev) = req(&f.verify(), "human-review");
    assert_eq!(status, "fail");
    assert_eq!(
        signals(&ev),
        [
            "review-stale",
            "changed-since-review",
            "changed-since-review"
        ]
    );
    let paths: Vec<&str> = ev[1..]
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["lib/util.py", "new.py"]);
    assert!(messages(&ev).contains("modified since the review"));
    assert!(messages(&ev).contains("untracked since the review"));

    // The table names the file too.
    let out = f
        .cmd(&["verify", "--policy"])
        .arg(&f.policy)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("lib/util.py"), "{table}");
}

#[test]
fn review_by_someone_else_or_missing() {
    let f = Fixture::repo();
    f.commit(ALICE, "init");
    let (status, ev) = req(&f.verify(), "human-review");
    assert_eq!(
        (status.as_str(), signals(&ev)),
        ("fail", vec!["review-missing"])
    );
    f.review("bob@eng.example", "self");
    let (status, ev) = req(&f.verify(), "human-review");
    assert_eq!(status, "fail");
    assert_eq!(signals(&ev), ["review-by-other"]);
    assert!(messages(&ev).contains("bob@eng.example"));
}

#[test]
fn trailer_by_another_person_passes_code_review() {
    let f = Fixture::repo();
    let id = f.commit(
        ALICE,
        "add export\n\nReviewed-by: Bob Eng <bob@eng.example>",
    );
    let (status, ev) = req(&f.verify(), "code-review");
    assert_eq!(status, "pass", "{ev:?}");
    assert_eq!(signals(&ev), ["commit-reviewed"]);
    let m = messages(&ev);
    assert!(
        m.contains(&id) && m.contains("Bob Eng <bob@eng.example>"),
        "{m}"
    );
}

#[test]
fn self_trailer_does_not_count() {
    let f = Fixture::repo();
    let id = f.commit(
        ALICE,
        "add export\n\nReviewed-by: Alice Doe <alice@corp.example>",
    );
    let (status, ev) = req(&f.verify(), "code-review");
    assert_eq!(status, "fail");
    assert_eq!(signals(&ev), ["commit-unreviewed"]);
    let m = messages(&ev);
    assert!(m.contains(&id) && m.contains("name only its author"), "{m}");
}

#[test]
fn an_unreviewed_commit_after_a_reviewed_one_fails() {
    let f = Fixture::repo();
    f.commit(ALICE, "add export\n\nApproved-by: bob@eng.example");
    f.write("export.py", "print('changed')\n");
    let late = f.commit(ALICE, "quick fix");
    let (status, ev) = req(&f.verify(), "code-review");
    assert_eq!(status, "fail");
    assert_eq!(signals(&ev), ["commit-unreviewed", "commit-reviewed"]);
    assert!(messages(&ev).contains(&late));
}

#[test]
fn merged_pull_request_passes_and_later_direct_push_fails() {
    let f = Fixture::repo();
    f.commit(ALICE, "init");
    let feat = f.merge_change("feature", "Merge pull request #7 from alice/feature");
    let (status, ev) = req(&f.verify(), "code-review");
    assert_eq!(status, "pass", "{ev:?}");
    assert_eq!(signals(&ev), ["merged-request"]);
    let m = messages(&ev);
    assert!(
        m.contains("Merge pull request #7") && m.contains(&feat),
        "{m}"
    );

    // A change pushed straight to main after the merge is not covered.
    f.write("export.py", "print('v3')\n");
    f.commit(ALICE, "hotfix");
    let (status, ev) = req(&f.verify(), "code-review");
    assert_eq!(status, "fail");
    assert_eq!(signals(&ev), ["commit-unreviewed", "merged-request"]);
}

#[test]
fn gitlab_merge_request_passes() {
    let f = Fixture::repo();
    f.commit(ALICE, "init");
    f.merge_change(
        "topic",
        "Merge branch 'topic' into 'main'\n\nSee merge request data/export!12",
    );
    let (status, ev) = req(&f.verify(), "code-review");
    assert_eq!(status, "pass", "{ev:?}");
    assert!(messages(&ev).contains("See merge request data/export!12"));
}

#[test]
fn a_plain_merge_needs_its_commits_reviewed() {
    let f = Fixture::repo();
    f.commit(ALICE, "init\n\nReviewed-by: bob@eng.example");
    let feat = f.merge_change("topic", "Merge branch 'topic'");
    let (status, ev) = req(&f.verify(), "code-review");
    assert_eq!(status, "fail");
    assert!(messages(&ev).contains(&feat), "{ev:?}");
}

#[test]
fn engineering_review_entry_counts_and_its_rules() {
    let f = Fixture::repo();
    f.commit(ALICE, "init");
    assert_eq!(req(&f.verify(), "code-review").0, "fail");
    f.review("bob@eng.example", "engineering");
    let (status, ev) = req(&f.verify(), "code-review");
    assert_eq!(status, "pass", "{ev:?}");
    assert_eq!(signals(&ev), ["engineering-review", "review-unsigned"]);

    // Stale once the code changes.
    f.write("export.py", "print('v2')\n");
    let (status, ev) = req(&f.verify(), "code-review");
    assert_eq!(status, "fail");
    assert!(signals(&ev).contains(&"engineering-review-stale"));

    // Not an engineer: `review` refuses to record it, and an entry written by hand does
    // not count.
    let out = f
        .cmd(&[
            "review",
            "--by",
            "carol@corp.example",
            "--kind",
            "engineering",
            "--policy",
        ])
        .arg(&f.policy)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not an engineer under the policy"));
    f.append_review_by_hand("carol@corp.example", "engineering");
    let (_, ev) = req(&f.verify(), "code-review");
    assert!(signals(&ev).contains(&"reviewer-not-engineer"), "{ev:?}");
    f.write(
        ".tier.yaml",
        "version: 1\naudience: employees\ndata: internal\nowner: bob@eng.example\n",
    );
    f.review("bob@eng.example", "engineering");
    let (status, ev) = req(&f.verify(), "code-review");
    assert_eq!(status, "fail");
    assert!(signals(&ev).contains(&"review-by-author"), "{ev:?}");
}

#[test]
fn engineering_review_by_a_commit_author_does_not_count() {
    let f = Fixture::repo();
    f.commit(BOB, "init by bob");
    f.review("bob@eng.example", "engineering");
    let (status, ev) = req(&f.verify(), "code-review");
    assert_eq!(status, "fail");
    assert_eq!(signals(&ev), ["review-by-author", "commit-unreviewed"]);
}

#[test]
fn engineering_review_without_engineers_in_policy_is_an_error() {
    let f = Fixture::new();
    f.write(
        ".tier.yaml",
        "version: 1\naudience: employees\ndata: internal\nowner: alice@corp.example\n",
    );
    f.write("a.py", "1\n");
    let out = f
        .cmd(&["review", "--by", "bob@eng.example", "--kind", "engineering"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("the policy names no engineers"), "{err}");
    assert!(err.contains("policy init"), "{err}");
    // An entry written by hand cannot be confirmed either.
    f.append_review_by_hand_with(&[], "bob@eng.example", "engineering");
    let out = f.cmd(&["verify", "--format", "json"]).output().unwrap();
    let v: Value = common::flat(serde_json::from_slice(&out.stdout).unwrap());
    let (status, ev) = req(&v, "code-review");
    assert_eq!(status, "error");
    assert_eq!(signals(&ev), ["engineers-undefined", "not-a-git-repo"]);
    assert!(messages(&ev).contains("cannot be confirmed"));
}

#[test]
fn outside_git_reviews_still_work_and_history_is_an_error() {
    let f = Fixture::new();
    f.write(
        ".tier.yaml",
        "version: 1\naudience: employees\ndata: internal\nowner: alice@corp.example\n",
    );
    f.write("a.py", "1\n");
    let (status, ev) = req(&f.verify(), "code-review");
    assert_eq!(status, "error");
    assert_eq!(messages(&ev), "not a git repository: no history to check");
    let out = f.review("alice@corp.example", "self");
    assert!(!out.contains("commit"), "{out}");
    assert_eq!(req(&f.verify(), "human-review").0, "pass");
    f.write("a.py", "2\n");
    let (status, ev) = req(&f.verify(), "human-review");
    assert_eq!(status, "fail");
    assert_eq!(signals(&ev), ["review-stale", "review-no-commit"]);
}

#[test]
fn empty_repository() {
    let f = Fixture::repo();
    let out = f.review("alice@corp.example", "self");
    assert!(!out.contains("commit"), "{out}");
    let v = f.verify();
    assert_eq!(req(&v, "human-review").0, "pass");
    let (status, ev) = req(&v, "code-review");
    assert_eq!(status, "error");
    assert_eq!(
        messages(&ev),
        "the repository has no commits yet: no history to check"
    );
}

#[test]
fn detached_head_is_reported() {
    let f = Fixture::repo();
    let id = f.commit(ALICE, "init\n\nReviewed-by: Bob Eng <bob@eng.example>");
    f.git(&["checkout", "-q", "--detach", "HEAD"]);
    let (status, ev) = req(&f.verify(), "code-review");
    assert_eq!(status, "pass");
    assert_eq!(signals(&ev), ["commit-reviewed", "detached-head"]);
    assert!(messages(&ev).contains(&format!("HEAD is detached at {id}")));
}

#[test]
fn shallow_clone_says_history_is_partial() {
    let f = Fixture::repo();
    f.commit(ALICE, "init\n\nReviewed-by: Bob Eng <bob@eng.example>");
    f.write("export.py", "print(2)\n");
    f.commit(ALICE, "two\n\nReviewed-by: Bob Eng <bob@eng.example>");
    f.write("export.py", "print(3)\n");
    f.commit(ALICE, "three\n\nReviewed-by: Bob Eng <bob@eng.example>");
    let parent = f.root.parent().unwrap().to_path_buf();
    let url = format!("file://{}", f.root.display());
    f.git_in(
        &parent,
        ALICE,
        &["clone", "-q", "--depth", "1", &url, "clone"],
    );
    let clone = parent.join("clone");
    let out = Command::cargo_bin("tiercheck")
        .unwrap()
        .args(["verify", "--format", "json", "--policy"])
        .arg(&f.policy)
        .current_dir(&clone)
        .env("TIERCHECK_TODAY", "2026-11-20")
        .output()
        .unwrap();
    let v: Value = common::flat(serde_json::from_slice(&out.stdout).unwrap());
    let (status, ev) = req(&v, "code-review");
    assert_eq!(status, "error", "{ev:?}");
    assert!(
        messages(&ev).contains("shallow clone: history is partial"),
        "{ev:?}"
    );
}

#[test]
fn submodules_are_not_followed() {
    let f = Fixture::repo();
    let parent = f.root.parent().unwrap().to_path_buf();
    let lib = parent.join("lib");
    std::fs::create_dir_all(&lib).unwrap();
    f.git_in(&lib, ALICE, &["init", "-q", "-b", "main"]);
    std::fs::write(lib.join("lib.py"), "L = 1\n").unwrap();
    f.git_in(&lib, ALICE, &["add", "-A"]);
    f.git_in(&lib, ALICE, &["commit", "-q", "-m", "lib"]);
    let url = format!("file://{}", lib.display());
    f.git(&[
        "-c",
        "protocol.file.allow=always",
        "submodule",
        "add",
        "-q",
        &url,
        "vendor/lib",
    ]);
    f.commit(ALICE, "init\n\nReviewed-by: Bob Eng <bob@eng.example>");
    let out = f.review("alice@corp.example", "self");
    assert!(out.contains("submodule vendor/lib is not covered"), "{out}");
    // A change inside the submodule's checkout does not touch the artifact's digest.
    std::fs::write(f.root.join("vendor/lib/lib.py"), "L = 2\n").unwrap();
    let v = f.verify();
    let (status, ev) = req(&v, "human-review");
    assert_eq!(status, "pass", "{ev:?}");
    assert!(signals(&ev).contains(&"submodule-not-followed"));
    let (_, ev) = req(&v, "code-review");
    assert!(signals(&ev).contains(&"submodule-not-followed"), "{ev:?}");
}

#[test]
fn nested_manifest_changes_do_not_stale_the_parent_review() {
    let f = Fixture::repo();
    f.write(
        "tools/.tier.yaml",
        "version: 1\naudience: me\ndata: none\nowner: alice@corp.example\n",
    );
    f.write("tools/t.py", "1\n");
    f.commit(ALICE, "init");
    f.review("alice@corp.example", "self");
    f.write("tools/t.py", "2\n");
    let v = f.verify();
    let parent = v["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["manifest"] == ".tier.yaml")
        .unwrap();
    assert_eq!(req(parent, "human-review").0, "pass");
}

#[test]
fn review_entry_with_unknown_kind_or_malformed_digest_exits_2() {
    let f = Fixture::new();
    f.write(
        ".tier.yaml",
        "version: 1\naudience: me\ndata: none\nreviews:\n  - by: a\n    kind: peer\n    digest: sha256:00\n    date: 2026-01-01\n",
    );
    let out = f.cmd(&["verify"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("peer") && err.contains(".tier.yaml:6:"),
        "{err}"
    );

    f.write(
        ".tier.yaml",
        "version: 1\naudience: me\ndata: none\nreviews:\n  - by: a\n    kind: self\n    digest: sha256:00\n    date: 2026-01-01\n",
    );
    for args in [&["verify"][..], &["review", "--by", "a"][..]] {
        let out = f.cmd(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("malformed review digest") && err.contains(".tier.yaml:7:13"),
            "{err}"
        );
    }
}

#[test]
fn review_without_manifest_names_assess_write() {
    let f = Fixture::new();
    f.write("a.py", "1\n");
    let out = f.cmd(&["review", "--by", "a@b.example"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("tiercheck assess --write"), "{err}");
}

#[test]
fn review_keeps_comments_and_order() {
    let f = Fixture::new();
    f.write(
        ".tier.yaml",
        "# Export job for the finance team.\nversion: 1\nname: export   # shown in reports\naudience: employees\ndata: internal\nowner: alice@corp.example\nreviews:   # newest last\n  - by: alice@corp.example\n    kind: self\n    digest: sha256:0000000000000000000000000000000000000000000000000000000000000000\n    date: 2026-10-01   # first read\n\n# exceptions below\nwaivers: []\n",
    );
    f.write("export.py", "print('export')\n");
    let out = f
        .cmd(&[
            "review",
            "--by",
            "alice@corp.example",
            "--note",
            "read output: \"ok\"",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(f.root.join(".tier.yaml")).unwrap();
    insta::assert_snapshot!("review_keeps_comments_manifest", text);
    insta::assert_snapshot!(
        "review_keeps_comments_stdout",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(req(&f.verify(), "human-review").0, "pass");
}

#[test]
fn corrupt_object_is_an_error_naming_the_commit() {
    let f = Fixture::repo();
    f.commit(ALICE, "one");
    f.write("export.py", "print(2)\n");
    f.commit(ALICE, "two");
    let first = f.git(&["rev-parse", "--short=7", "HEAD~1"]);
    let tree = f.git(&["rev-parse", "HEAD~1^{tree}"]);
    let obj = f
        .root
        .join(".git/objects")
        .join(&tree[..2])
        .join(&tree[2..]);
    let mut perms = std::fs::metadata(&obj).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(&obj, perms).unwrap();
    std::fs::write(&obj, b"not a zlib stream").unwrap();
    let v = f.verify();
    let (status, ev) = req(&v, "code-review");
    assert_eq!(status, "error", "{ev:?}");
    assert_eq!(signals(&ev), ["git-error"]);
    assert!(messages(&ev).contains(&format!("cannot read the tree of {first}")));
    // The working-tree checks go on.
    assert_eq!(req(&v, "human-review").1[0]["signal"], "review-missing");
}

#[test]
fn a_review_holds_in_another_checkout() {
    let f = Fixture::repo();
    f.write(".gitignore", "out/\n*.log\n");
    f.write("out/kept.csv", "tracked although ignored\n");
    f.git(&["add", "-f", "out/kept.csv"]);
    f.write("run.log", "ignored, untracked: not part of the artifact\n");
    f.commit(ALICE, "init");
    let out = f.review("alice@corp.example", "self");
    assert!(out.contains("(3 files)"), "{out}");
    f.commit(ALICE, "record review");
    let parent = f.root.parent().unwrap().to_path_buf();
    let url = format!("file://{}", f.root.display());
    f.git_in(&parent, ALICE, &["clone", "-q", &url, "elsewhere"]);
    let out = Command::cargo_bin("tiercheck")
        .unwrap()
        .args(["verify", "--format", "json", "--policy"])
        .arg(&f.policy)
        .current_dir(parent.join("elsewhere"))
        .env("TIERCHECK_TODAY", "2026-11-20")
        .output()
        .unwrap();
    let v: Value = common::flat(serde_json::from_slice(&out.stdout).unwrap());
    let (status, ev) = req(&v, "human-review");
    assert_eq!(status, "pass", "{ev:?}");
}
