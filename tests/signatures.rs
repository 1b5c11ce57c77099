//! Reviews and commits that prove who made them: `tiercheck review --key` signs a review with
//! an SSH key, `verify` checks it against the company policy's allowed signers (git's
//! `allowed_signers` format), and the policy decides at which tiers unsigned reviews and
//! review claims (trailers, merge messages) still count. Interoperability with
//! `ssh-keygen -Y sign/verify`, and git commits signed with SSH keys, are tested where
//! ssh-keygen is installed (skipped, saying so, where it is not).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use ssh_key::{Algorithm, LineEnding, PrivateKey};

const JANE: (&str, &str) = ("Jane", "jane@corp.example");
const BOB: (&str, &str) = ("Bob", "bob@eng.example");

/// A repository (real git), a T3 manifest owned by Jane, and a company policy outside it
/// that names its allowed signers and counts claims at T1-T2 only.
struct Repo {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    company: PathBuf,
}

fn key_file(dir: &Path, name: &str) -> (PathBuf, PrivateKey) {
    let key = PrivateKey::random(&mut rand_core::OsRng, Algorithm::Ed25519).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, key.to_openssh(LineEnding::LF).unwrap().as_bytes()).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    (path, key)
}

fn public(key: &PrivateKey) -> String {
    key.public_key().to_openssh().unwrap()
}

impl Repo {
    fn new(signers: &str) -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let base = std::fs::canonicalize(tmp.path()).unwrap();
        let root = base.join("work");
        let company = base.join("company");
        std::fs::create_dir_all(&root).unwrap();
        std::fs::create_dir_all(&company).unwrap();
        std::fs::write(company.join("allowed_signers"), signers).unwrap();
        std::fs::write(
            company.join("policy.yaml"),
            "version: 1\nextends: default\nengineers:\n  domains: [eng.example]\nsignatures:\n  allowed_signers: allowed_signers\n  unsigned_reviews: [T1, T2]\n  claims: [T1, T2]\n",
        )
        .unwrap();
        let r = Repo {
            _tmp: tmp,
            root,
            company,
        };
        r.git(JANE, &["init", "-q", "-b", "main"]);
        r.write(
            ".tier.yaml",
            "version: 1\nname: demo\naudience: external\ndata: internal\nowner: jane@corp.example\n",
        );
        r.write("demo.py", "print('demo')\n");
        r
    }

    fn write(&self, rel: &str, body: &str) {
        std::fs::write(self.root.join(rel), body).unwrap();
    }

    fn git(&self, who: (&str, &str), args: &[&str]) -> String {
        let out = Command::new("git")
            .args(args)
            .current_dir(&self.root)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("HOME", &self.root)
            .env("GIT_AUTHOR_NAME", who.0)
            .env("GIT_AUTHOR_EMAIL", who.1)
            .env("GIT_COMMITTER_NAME", who.0)
            .env("GIT_COMMITTER_EMAIL", who.1)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    fn tiercheck(&self, args: &[&str]) -> std::process::Output {
        let mut c = common::tiercheck();
        c.current_dir(&self.root)
            .args(args)
            .arg("--policy")
            .arg(self.company.join("policy.yaml"));
        c.output().unwrap()
    }

    fn review(&self, args: &[&str]) -> String {
        let out = self.tiercheck(&[&["review", "--by", "jane@corp.example"], args].concat());
        assert_eq!(
            out.status.code(),
            Some(0),
            "review: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn verify(&self) -> Value {
        let out = self.tiercheck(&["verify", "--format", "json"]);
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "verify: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        common::flat(serde_json::from_slice(&out.stdout).unwrap())
    }

    fn manifest(&self) -> String {
        std::fs::read_to_string(self.root.join(".tier.yaml")).unwrap()
    }
}

fn req(v: &Value, id: &str) -> (String, Vec<String>, String) {
    let r = v["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id)
        .unwrap_or_else(|| panic!("no {id} in {v}"));
    let ev = r["evidence"].as_array().unwrap();
    (
        r["status"].as_str().unwrap().to_string(),
        ev.iter()
            .map(|e| e["signal"].as_str().unwrap().to_string())
            .collect(),
        ev.iter()
            .map(|e| e["message"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
            .join("\n"),
    )
}

fn ssh_keygen() -> bool {
    let found = Command::new("ssh-keygen").arg("-?").output().is_ok();
    if !found {
        eprintln!("skipped: ssh-keygen is not installed (Debian: apt-get install openssh-client)");
    }
    found
}

#[test]
fn a_signed_review_counts_where_an_unsigned_one_does_not() {
    let tmp = tempfile::tempdir().unwrap();
    let (jane_key, jane) = key_file(tmp.path(), "jane");
    let r = Repo::new(&format!("jane@corp.example {}\n", public(&jane)));
    r.git(JANE, &["add", "-A"]);
    r.git(JANE, &["commit", "-q", "-m", "init"]);

    // Unsigned: a claim, which this company counts at T1-T2 only; the fix says how to sign.
    r.review(&[]);
    let (status, signals, text) = req(&r.verify(), "human-review");
    assert_eq!(status, "fail", "{text}");
    assert_eq!(signals, ["review-current", "review-unsigned-refused"]);
    assert!(text.contains("--key"), "{text}");

    // Signed with Jane's key, which the company lists for her: proof.
    let out = r.review(&["--key", jane_key.to_str().unwrap()]);
    assert!(out.contains("signed  with key SHA256:"), "{out}");
    assert!(out.contains("the key is on the allowed signers"), "{out}");
    assert!(r.manifest().contains("signature: "), "{}", r.manifest());
    let (status, signals, text) = req(&r.verify(), "human-review");
    assert_eq!(status, "pass", "{text}");
    assert_eq!(signals, ["review-current", "review-signed"]);
    assert!(
        text.contains("signed by jane@corp.example with key SHA256:"),
        "{text}"
    );

    // Tampering with what the review says (its date) breaks the signature.
    let tampered = r.manifest().replace("date: 2026-11-28", "date: 2026-11-27");
    r.write(".tier.yaml", &tampered);
    let (status, signals, text) = req(&r.verify(), "human-review");
    assert_eq!(status, "fail", "{text}");
    assert!(
        signals.contains(&"review-signature-invalid".to_string()),
        "{signals:?}"
    );
    assert!(text.contains("does not match"), "{text}");
}

#[test]
fn a_key_the_company_does_not_list_is_told_what_to_send() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, listed) = key_file(tmp.path(), "listed");
    let (stranger_key, stranger) = key_file(tmp.path(), "stranger");
    let r = Repo::new(&format!("jane@corp.example {}\n", public(&listed)));
    let out = r.review(&["--key", stranger_key.to_str().unwrap()]);
    assert!(out.contains("is not in the allowed signers"), "{out}");
    let b64 = public(&stranger);
    assert!(
        out.contains(&format!(
            "jane@corp.example namespaces=\"tiercheck-review,git\" {b64}"
        )),
        "{out}"
    );
    let (status, signals, _) = req(&r.verify(), "human-review");
    assert_eq!(status, "fail");
    assert_eq!(signals, ["review-current", "review-signature-invalid"]);

    // A key listed for someone else does not sign for Jane.
    let r = Repo::new(&format!("bob@eng.example {}\n", public(&stranger)));
    r.review(&["--key", stranger_key.to_str().unwrap()]);
    let (_, _, text) = req(&r.verify(), "human-review");
    assert!(
        text.contains("is not allowed for jane@corp.example"),
        "{text}"
    );
}

#[test]
fn bad_keys_signatures_and_signer_lists_are_refused_clearly() {
    let tmp = tempfile::tempdir().unwrap();
    let (key, jane) = key_file(tmp.path(), "jane");
    let r = Repo::new(&format!("jane@corp.example {}\n", public(&jane)));
    // The public half instead of the private key.
    let pubfile = tmp.path().join("jane.pub");
    std::fs::write(&pubfile, public(&jane)).unwrap();
    let out = r.tiercheck(&[
        "review",
        "--by",
        "jane@corp.example",
        "--key",
        pubfile.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not an OpenSSH private key"));
    // A truncated signature file.
    let sigfile = tmp.path().join("cut.sig");
    let sig = jane
        .sign(
            "tiercheck-review",
            ssh_key::HashAlg::Sha512,
            b"other message",
        )
        .unwrap()
        .to_pem(LineEnding::LF)
        .unwrap();
    std::fs::write(&sigfile, &sig[..sig.len() / 2]).unwrap();
    let out = r.tiercheck(&[
        "review",
        "--by",
        "jane@corp.example",
        "--signature",
        sigfile.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a valid SSH signature"));
    // A signature over another message (another digest).
    std::fs::write(&sigfile, &sig).unwrap();
    let out = r.tiercheck(&[
        "review",
        "--by",
        "jane@corp.example",
        "--signature",
        sigfile.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("does not cover this review"), "{err}");
    assert!(!r.manifest().contains("signature"));
    // A malformed allowed-signers list: exit 2, located in that file.
    std::fs::write(
        r.company.join("allowed_signers"),
        format!(
            "jane@corp.example {}\nbob@eng.example frob {}\n",
            public(&jane),
            public(&jane)
        ),
    )
    .unwrap();
    let out = r.tiercheck(&["verify"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("allowed_signers:2:17"), "{err}");
    assert!(err.contains("unknown option `frob`"), "{err}");
    // A missing list: exit 2, located at the policy's field.
    std::fs::remove_file(r.company.join("allowed_signers")).unwrap();
    let out = r.tiercheck(&["verify"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("policy.yaml:6:20"), "{err}");
    assert!(err.contains("cannot be read"), "{err}");
    let _ = key;
}

#[test]
fn signatures_interoperate_with_ssh_keygen_both_ways() {
    if !ssh_keygen() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let (jane_key, jane) = key_file(tmp.path(), "jane");
    let signers = format!("jane@corp.example {}\n", public(&jane));
    let r = Repo::new(&signers);
    let message = String::from_utf8(
        r.tiercheck(&["review", "--by", "jane@corp.example", "--print-message"])
            .stdout,
    )
    .unwrap();
    assert!(
        message.starts_with("tiercheck review 1\ndigest: sha256:"),
        "{message}"
    );

    // ssh-keygen signs; tiercheck records and verify accepts it.
    let msg = tmp.path().join("review.txt");
    std::fs::write(&msg, &message).unwrap();
    let out = Command::new("ssh-keygen")
        .args(["-Y", "sign", "-n", "tiercheck-review", "-f"])
        .arg(&jane_key)
        .arg(&msg)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sig = tmp.path().join("review.txt.sig");
    r.review(&["--signature", sig.to_str().unwrap()]);
    let (status, signals, text) = req(&r.verify(), "human-review");
    assert_eq!(
        (status.as_str(), signals[1].as_str()),
        ("pass", "review-signed"),
        "{text}"
    );

    // tiercheck signs; ssh-keygen -Y verify accepts it against the same list.
    let r = Repo::new(&signers);
    r.review(&["--key", jane_key.to_str().unwrap()]);
    let body = r
        .manifest()
        .lines()
        .find_map(|l| l.trim().strip_prefix("signature: ").map(str::to_string))
        .unwrap();
    let pem = tiercheck::signers::armor(body.trim_matches('"'));
    let ours = tmp.path().join("ours.sig");
    std::fs::write(&ours, pem).unwrap();
    let allowed = r.company.join("allowed_signers");
    let mut child = Command::new("ssh-keygen")
        .args([
            "-Y",
            "verify",
            "-n",
            "tiercheck-review",
            "-I",
            "jane@corp.example",
            "-f",
        ])
        .arg(&allowed)
        .arg("-s")
        .arg(&ours)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(message.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "ssh-keygen -Y verify: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_commit_signed_by_its_reviewer_is_proof_and_a_trailer_alone_is_a_claim() {
    if !ssh_keygen() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let (bob_key, bob) = key_file(tmp.path(), "bob");
    let r = Repo::new(&format!("bob@eng.example {}\n", public(&bob)));
    // Jane commits with a trailer naming Bob, unsigned: a claim she could write herself.
    r.git(JANE, &["add", "-A"]);
    r.git(
        JANE,
        &[
            "commit",
            "-q",
            "-m",
            "demo\n\nReviewed-by: Bob <bob@eng.example>",
        ],
    );
    let (status, signals, text) = req(&r.verify(), "code-review");
    assert_eq!(status, "fail", "{text}");
    assert_eq!(signals, ["review-claim-refused"], "{text}");
    assert!(text.contains("signatures.claims"), "{text}");

    // Bob, the reviewer, amends and signs the commit with his SSH key: proof.
    r.git(BOB, &["config", "gpg.format", "ssh"]);
    r.git(
        BOB,
        &["config", "user.signingkey", bob_key.to_str().unwrap()],
    );
    // Jane stays the author, so the trailer names someone other than her.
    r.git(
        BOB,
        &[
            "commit",
            "-q",
            "--amend",
            "--no-edit",
            "-S",
            "--author",
            "Jane <jane@corp.example>",
        ],
    );
    let (status, signals, text) = req(&r.verify(), "code-review");
    assert_eq!(status, "pass", "{text}");
    assert_eq!(signals, ["commit-review-signed"], "{text}");
    assert!(text.contains("proven: signed by bob@eng.example"), "{text}");
}

#[test]
fn policy_init_starts_a_company_policy_and_its_signers_list() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("company");
    let out = common::tiercheck()
        .args(["policy", "init"])
        .arg(&dir)
        .args(["--engineer-domain", "eng.example", "--ai-tool", "copilot"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("export TIERCHECK_POLICY="), "{said}");
    let policy = dir.join("tiercheck-policy.yaml");
    let check = common::tiercheck()
        .args(["policy", "check"])
        .arg(&policy)
        .output()
        .unwrap();
    assert_eq!(
        check.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    let text = std::fs::read_to_string(&policy).unwrap();
    assert!(text.contains("extends: default") && text.contains("allowed_signers: allowed_signers"));
    // Never over an existing file without --force; without a terminal, the flags are named.
    let again = common::tiercheck()
        .args(["policy", "init"])
        .arg(&dir)
        .args(["--engineer-domain", "eng.example"])
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("--force"));
    let bare = common::tiercheck()
        .args(["policy", "init"])
        .arg(tmp.path().join("other"))
        .output()
        .unwrap();
    assert_eq!(bare.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bare.stderr).contains("--engineer-domain"));
}

#[test]
fn a_reviewer_without_a_key_gets_one_and_the_line_to_send() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let r = Repo::new("# nobody yet\n");
    let out = common::tiercheck()
        .current_dir(&r.root)
        .env("HOME", &home)
        .args([
            "review",
            "--by",
            "jane@corp.example",
            "--new-key",
            "--policy",
        ])
        .arg(r.company.join("policy.yaml"))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("made an SSH key for jane@corp.example"),
        "{said}"
    );
    let public = std::fs::read_to_string(home.join(".ssh/id_ed25519.pub")).unwrap();
    let line = format!(
        "jane@corp.example namespaces=\"tiercheck-review,git\" {}",
        public
            .split_whitespace()
            .take(2)
            .collect::<Vec<_>>()
            .join(" ")
    );
    assert!(said.contains(&line), "{said}\n{line}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(home.join(".ssh/id_ed25519"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // Once the keeper of the list adds that line, the review is proof.
    std::fs::write(r.company.join("allowed_signers"), format!("{line}\n")).unwrap();
    let (status, signals, text) = req(&r.verify(), "human-review");
    assert_eq!(status, "pass", "{text}");
    assert_eq!(signals, ["review-current", "review-signed"]);
    // A second --new-key does not replace the key.
    let again = common::tiercheck()
        .current_dir(&r.root)
        .env("HOME", &home)
        .args(["review", "--by", "jane@corp.example", "--new-key"])
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("--key"));
}
