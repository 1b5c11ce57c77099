//! The bad-input suite: one table of hostile or broken inputs, each run through the real
//! binary with its expected exit code and a fragment of what it must say. For every case
//! and every output format it is also checked that nothing panicked, that the run ended
//! within [`LIMIT`], that no child process of this suite grew past [`MAX_RSS_KB`], and that
//! the planted secret (a token assembled at run time) appears in full in no output and no
//! error message.
#![cfg(unix)]

mod common;

use std::os::unix::fs::symlink;
use std::path::Path;
use std::time::{Duration, Instant};

use common::{Fixture, git};

/// The longest one run may take (a debug build on a shared, noisy machine).
const LIMIT: Duration = Duration::from_secs(20);

/// The most memory any run may use, in kilobytes (200 MB).
const MAX_RSS_KB: i64 = 200 * 1024;

const FORMATS: [&str; 6] = ["table", "json", "sarif", "junit", "markdown", "html"];

/// A GitHub classic token (`ghp_` and 36 letters or digits) the built-in rules report,
/// assembled at run time so that this file holds none.
fn secret() -> String {
    let abc = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let body: String = (0..36u32)
        .map(|i| abc[((i * 5 + 11) % 62) as usize] as char)
        .collect();
    format!("ghp_{body}")
}

const T4: &str = "version: 1\naudience: public\ndata: none\nowner: jane@corp.example\n";
const T2: &str = "version: 1\naudience: employees\ndata: internal\nowner: jane@corp.example\n";

/// How a case is run.
#[derive(Clone, Copy, PartialEq)]
enum Formats {
    /// Once, as given.
    One,
    /// Once per output format (`--format X` appended).
    All,
    /// Once per format `scan` and `verify` both speak (all but none today).
    Scan,
}

struct Case {
    name: &'static str,
    setup: fn(&Fixture),
    args: &'static [&'static str],
    env: &'static [(&'static str, &'static str)],
    formats: Formats,
    code: i32,
    fragment: &'static str,
    /// When set, runs in a thread while the command runs (files vanishing mid-scan).
    during: Option<fn(&Path)>,
}

const fn case(
    name: &'static str,
    setup: fn(&Fixture),
    args: &'static [&'static str],
    code: i32,
    fragment: &'static str,
) -> Case {
    Case {
        name,
        setup,
        args,
        env: &[],
        formats: Formats::One,
        code,
        fragment,
        during: None,
    }
}

impl Case {
    const fn all_formats(mut self) -> Self {
        self.formats = Formats::All;
        self
    }
    const fn scan_formats(mut self) -> Self {
        self.formats = Formats::Scan;
        self
    }
    const fn env(mut self, env: &'static [(&'static str, &'static str)]) -> Self {
        self.env = env;
        self
    }
    const fn during(mut self, f: fn(&Path)) -> Self {
        self.during = Some(f);
        self
    }
}

fn mkfifo(path: &Path) {
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a valid, NUL-terminated path.
    let rc = unsafe { libc::mkfifo(c.as_ptr(), 0o644) };
    assert_eq!(rc, 0, "mkfifo {}", path.display());
}

fn sparse(path: &Path, len: u64) {
    if let Some(p) = path.parent() {
        std::fs::create_dir_all(p).unwrap();
    }
    std::fs::File::create(path).unwrap().set_len(len).unwrap();
}

/// A real repository with one commit of `files`.
fn committed(f: &Fixture, files: &[(&str, String)]) {
    let root = f.path();
    let _ = std::fs::remove_dir_all(root.join(".git"));
    for (p, c) in files {
        f.write(p, c);
    }
    git(&root, &["init", "-q", "-b", "main"]);
    git(&root, &["add", "-A"]);
    git(&root, &["commit", "-q", "-m", "init"]);
}

fn object_path(root: &Path, rev: &str) -> std::path::PathBuf {
    let out = std::process::Command::new("git")
        .args(["rev-parse", rev])
        .current_dir(root)
        .output()
        .unwrap();
    let id = String::from_utf8_lossy(&out.stdout).trim().to_string();
    root.join(".git/objects").join(&id[..2]).join(&id[2..])
}

fn overwrite(path: &Path, bytes: &[u8]) {
    let mut perms = std::fs::metadata(path).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(path, perms).unwrap();
    std::fs::write(path, bytes).unwrap();
}

fn policy_with(extra: &str) -> String {
    format!("version: 1\nextends: default\n{extra}")
}

fn rule_policy(regex: &str, extra: &str) -> String {
    policy_with(&format!(
        "rules:\n  - id: custom\n    description: custom\n    category: secret\n    regex: '{regex}'\n    keywords: [abc]\n{extra}"
    ))
}

fn cases() -> Vec<Case> {
    vec![
        // ---- manifests ----
        case(
            "malformed manifest YAML",
            |f| {
                f.write(".tier.yaml", "version: 1\nowner: [jane\n");
            },
            &["verify"],
            2,
            ".tier.yaml:2:8",
        ),
        case(
            "unknown manifest field holding a token",
            |f| {
                f.write(".tier.yaml", format!("version: 1\napi_kye: {}\n", secret()));
            },
            &["verify"],
            2,
            "unknown field `api_kye`",
        ),
        case(
            "billion laughs in a manifest",
            |f| {
                let mut y = String::from("version: 1\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
                for i in 1..12 {
                    let p = i - 1;
                    y.push_str(&format!(
                        "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
                    ));
                }
                f.write(".tier.yaml", y);
            },
            &["verify"],
            2,
            ".tier.yaml",
        ),
        case(
            "10,000-deep YAML nesting",
            |f| {
                f.write(
                    ".tier.yaml",
                    format!("version: 1\nowner: {}{}\n", "[".repeat(10_000), "]".repeat(10_000)),
                );
            },
            &["verify"],
            2,
            ".tier.yaml",
        ),
        case(
            "100 MB sparse manifest",
            |f| sparse(&f.path().join(".tier.yaml"), 100 << 20),
            &["verify"],
            2,
            ".tier.yaml",
        ),
        case(
            "manifest with a UTF-8 byte order mark",
            |f| {
                f.write(".tier.yaml", format!("\u{feff}{T2}"));
            },
            &["verify"],
            1,
            "T2",
        ),
        case(
            "manifest in UTF-16",
            |f| {
                let mut bytes = vec![0xff, 0xfe];
                for u in T2.encode_utf16() {
                    bytes.extend_from_slice(&u.to_le_bytes());
                }
                f.write(".tier.yaml", bytes);
            },
            &["verify"],
            2,
            "UTF-8",
        ),
        case(
            "manifest that is not UTF-8",
            |f| {
                f.write(".tier.yaml", b"version: 1\nowner: j\xe9r\xf4me\n");
            },
            &["verify"],
            2,
            "UTF-8",
        ),
        case(
            "invalid date in a review",
            |f| {
                f.write(
                    ".tier.yaml",
                    format!("{T2}reviews:\n  - by: jane@corp.example\n    kind: self\n    digest: sha256:{}\n    date: 2026-02-30\n", "0".repeat(64)),
                );
            },
            &["verify"],
            2,
            ".tier.yaml:9",
        ),
        case(
            "duplicate key in a manifest",
            |f| {
                f.write(".tier.yaml", format!("{T2}owner: bob@corp.example\n"));
            },
            &["verify"],
            2,
            "duplicate",
        ),
        case(
            "manifest that is a folder",
            |f| {
                std::fs::create_dir_all(f.path().join(".tier.yaml")).unwrap();
            },
            &["verify"],
            2,
            ".tier.yaml",
        ),
        case(
            "manifest that is a FIFO",
            |f| mkfifo(&f.path().join(".tier.yaml")),
            &["verify"],
            2,
            ".tier.yaml",
        ),
        case(
            "manifest that links to /dev/zero",
            |f| symlink("/dev/zero", f.path().join(".tier.yaml")).unwrap(),
            &["verify"],
            2,
            "symlink",
        ),
        case(
            "manifest that links outside the tree to a file holding a token",
            |f| {
                let outside = f.path().join("outside");
                std::fs::create_dir_all(&outside).unwrap();
                std::fs::write(
                    outside.join("secret.yaml"),
                    format!("version: 1\ntoken: {}\n", secret()),
                )
                .unwrap();
                let inner = f.path().join("repo");
                std::fs::create_dir_all(inner.join(".git")).unwrap();
                symlink(outside.join("secret.yaml"), inner.join(".tier.yaml")).unwrap();
            },
            &["verify", "repo"],
            2,
            "symlink",
        ),
        case(
            "unsupported manifest version",
            |f| {
                f.write(".tier.yaml", "version: 2\naudience: me\ndata: none\n");
            },
            &["verify"],
            2,
            ".tier.yaml:1",
        ),
        case(
            "manifest that is a list",
            |f| {
                f.write(".tier.yaml", "- version: 1\n");
            },
            &["verify"],
            2,
            ".tier.yaml",
        ),
        case(
            "unknown audience",
            |f| {
                f.write(".tier.yaml", "version: 1\naudience: everyone\ndata: none\n");
            },
            &["verify"],
            2,
            "everyone",
        ),
        case(
            "unknown tier in a manifest",
            |f| {
                f.write(".tier.yaml", "version: 1\ntier: T9\n");
            },
            &["verify"],
            2,
            "T9",
        ),
        case(
            "waiver with an impossible expiry",
            |f| {
                f.write(
                    ".tier.yaml",
                    format!("{T2}waivers:\n  - requirement: ssdlc\n    reason: r\n    approved_by: bob@eng.example\n    expires: 2027-13-01\n"),
                );
            },
            &["verify"],
            2,
            ".tier.yaml:9",
        ),
        case(
            "review with a malformed digest",
            |f| {
                f.write(
                    ".tier.yaml",
                    format!("{T2}reviews:\n  - by: jane@corp.example\n    kind: self\n    digest: md5:abc\n    date: 2026-11-01\n"),
                );
            },
            &["verify"],
            2,
            ".tier.yaml:8",
        ),
        case(
            "empty manifest",
            |f| {
                f.write(".tier.yaml", "");
            },
            &["verify"],
            2,
            ".tier.yaml",
        ),
        case(
            "a token in the manifest's maintainers is still a finding",
            |f| {
                f.write(".tier.yaml", format!("{T4}maintainers: [{}]\n", secret()));
            },
            &["verify"],
            1,
            "github",
        )
        .all_formats(),
        case(
            "100 nested manifests",
            |f| {
                f.write(".tier.yaml", T4);
                for i in 0..100 {
                    f.write(&format!("p{i}/.tier.yaml"), T4);
                }
            },
            &["verify", "--format", "json"],
            1,
            "p99",
        ),
        case(
            "a 150-deep chain of nested manifests",
            |f| {
                let mut p = String::new();
                f.write(".tier.yaml", T4);
                for _ in 0..150 {
                    p.push_str("d/");
                    f.write(&format!("{p}.tier.yaml"), T4);
                }
            },
            &["verify", "--format", "json"],
            1,
            "d/d/d/d",
        ),
        case(
            "a nested manifest declaring T1 inside a T4 artifact",
            |f| {
                f.write(".tier.yaml", T4);
                f.write("sub/.tier.yaml", "version: 1\naudience: me\ndata: none\n");
                f.write("sub/config.env", format!("TOKEN={}\n", secret()));
            },
            &["verify"],
            1,
            "T4",
        )
        .all_formats(),
        case(
            "assess --write through a dangling manifest symlink",
            |f| {
                symlink(f.path().join("elsewhere/.tier.yaml"), f.path().join(".tier.yaml"))
                    .unwrap();
            },
            &["assess", "--audience", "me", "--data", "none", "--write"],
            2,
            "symlink",
        ),
        case(
            "review through a manifest symlink to another project",
            |f| {
                f.write("other/.tier.yaml", T2);
                let inner = f.path().join("repo");
                std::fs::create_dir_all(inner.join(".git")).unwrap();
                symlink(f.path().join("other/.tier.yaml"), inner.join(".tier.yaml")).unwrap();
            },
            &["review", "repo", "--by", "jane@corp.example"],
            2,
            "symlink",
        ),
        // ---- policies ----
        case(
            "malformed policy YAML",
            |f| {
                f.write("p.yaml", "version: 1\ntiers: [\n");
            },
            &["policy", "check", "p.yaml"],
            2,
            "p.yaml:2:8",
        ),
        case(
            "unknown policy field",
            |f| {
                f.write("p.yaml", policy_with("enginers: []\n"));
            },
            &["policy", "check", "p.yaml"],
            2,
            "unknown field `enginers`",
        ),
        case(
            "invalid regex in a rule",
            |f| {
                f.write("p.yaml", rule_policy("abc(", ""));
            },
            &["policy", "check", "p.yaml"],
            2,
            "p.yaml:7",
        ),
        case(
            "a regex too large to compile",
            |f| {
                f.write("p.yaml", rule_policy("abc{100000}", ""));
            },
            &["policy", "check", "p.yaml"],
            2,
            "p.yaml:7",
        ),
        case(
            "near.lines of four billion",
            |f| {
                f.write(
                    "p.yaml",
                    rule_policy("abc[0-9]{8}", "    near: {regex: 'id', lines: 4294967295}\n"),
                );
            },
            &["policy", "check", "p.yaml"],
            2,
            "lines",
        ),
        case(
            "a requirement given twice",
            |f| {
                let req = "  - id: extra\n    title: Extra\n    remediation: r\n    levels: {T1: required, T2: required, T3: required, T4: required}\n    checks: [{kind: file-exists, signal: readme, globs: [README.md]}]\n";
                f.write("p.yaml", policy_with(&format!("requirements:\n{req}{req}")));
            },
            &["policy", "check", "p.yaml"],
            2,
            "extra",
        ),
        case(
            "unsupported policy version",
            |f| {
                f.write("p.yaml", "version: 2\nextends: default\n");
            },
            &["policy", "check", "p.yaml"],
            2,
            "p.yaml:1",
        ),
        case(
            "policy at /dev/zero",
            |_| {},
            &["matrix", "--policy", "/dev/zero"],
            2,
            "/dev/zero",
        ),
        case(
            "policy that is a FIFO",
            |f| mkfifo(&f.path().join("p.yaml")),
            &["matrix", "--policy", "p.yaml"],
            2,
            "p.yaml",
        ),
        case(
            "3 GB sparse policy",
            |f| sparse(&f.path().join("p.yaml"), 3 << 30),
            &["matrix", "--policy", "p.yaml"],
            2,
            "p.yaml",
        ),
        case(
            "policy that is a folder",
            |f| {
                std::fs::create_dir_all(f.path().join("p.yaml")).unwrap();
            },
            &["matrix", "--policy", "p.yaml"],
            2,
            "p.yaml",
        ),
        case(
            "TIERCHECK_POLICY naming a missing file",
            |_| {},
            &["matrix"],
            2,
            "nowhere.yaml",
        )
        .env(&[("TIERCHECK_POLICY", "nowhere.yaml")]),
        case(
            "policy extending an unknown base",
            |f| {
                f.write("p.yaml", "version: 1\nextends: corporate\n");
            },
            &["policy", "check", "p.yaml"],
            2,
            "corporate",
        ),
        case(
            "unknown check kind",
            |f| {
                f.write(
                    "p.yaml",
                    policy_with("requirements:\n  - id: ownership\n    title: O\n    remediation: r\n    levels: {T1: required, T2: required, T3: required, T4: required}\n    checks: [{kind: file-exist}]\n"),
                );
            },
            &["policy", "check", "p.yaml"],
            2,
            "file-exist",
        ),
        case(
            "an allowed-signers line with an unknown option",
            |f| {
                f.write(
                    "p.yaml",
                    policy_with("signatures:\n  allowed_signers: signers\n"),
                );
                f.write("signers", "jane@corp.example frob ssh-ed25519 AAAAC3NzaC1lZDI1NTE5\n");
                f.write(".tier.yaml", T2);
            },
            &["verify", "--policy", "p.yaml"],
            2,
            "signers:1:19",
        ),
        case(
            "an allowed-signers file that is a FIFO",
            |f| {
                f.write(
                    "p.yaml",
                    policy_with("signatures:\n  allowed_signers: signers\n"),
                );
                mkfifo(&f.path().join("signers"));
                f.write(".tier.yaml", T2);
            },
            &["verify", "--policy", "p.yaml"],
            2,
            "FIFO",
        ),
        case(
            "an allowed-signers file that does not exist",
            |f| {
                f.write(
                    "p.yaml",
                    policy_with("signatures:\n  allowed_signers: nowhere\n"),
                );
                f.write(".tier.yaml", T2);
            },
            &["verify", "--policy", "p.yaml"],
            2,
            "p.yaml:4:20",
        ),
        case(
            "a review whose signature is a token or garbage",
            |f| {
                f.write(
                    "p.yaml",
                    policy_with("signatures:\n  allowed_signers: signers\n  unsigned_reviews: []\n"),
                );
                f.write("signers", "# nobody yet\n");
                f.write(
                    ".tier.yaml",
                    format!(
                        "{T2}reviews:\n  - by: jane@corp.example\n    kind: self\n    digest: sha256:{}\n    date: 2026-11-01\n    signature: {}\n",
                        "0".repeat(64),
                        secret()
                    ),
                );
            },
            &["verify", "--policy", "p.yaml"],
            1,
            "human-review",
        )
        .all_formats(),
        case(
            "review --signature with a truncated signature",
            |f| {
                f.write(".tier.yaml", T2);
                f.write("cut.sig", "-----BEGIN SSH SIGNATURE-----\nU1NIU0lHAAAAAQAAADMAAAALc3NoLWVk\n");
            },
            &["review", "--by", "jane@corp.example", "--signature", "cut.sig"],
            2,
            "not a valid SSH signature",
        ),
        case(
            "a waiver duration out of range",
            |f| {
                f.write(
                    "p.yaml",
                    policy_with("waivers: {max_days: 0, approvers: engineers}\n"),
                );
            },
            &["policy", "check", "p.yaml"],
            2,
            "max_days",
        ),
        case(
            "a repository-local policy that turns secret scanning off is not the authority",
            |f| {
                f.write(".tier.yaml", T4);
                f.write(
                    "tiercheck-policy.yaml",
                    policy_with("requirements:\n  - id: sast-secret-detection\n    title: S\n    remediation: r\n    levels: {T1: not_required, T2: not_required, T3: not_required, T4: not_required}\n    checks: []\n"),
                );
                f.write("app.env", format!("TOKEN={}\n", secret()));
            },
            &["verify"],
            1,
            "sast-secret-detection",
        )
        .all_formats(),
        // ---- the tree ----
        case(
            "a FIFO in the tree",
            |f| {
                mkfifo(&f.path().join("pipe"));
                f.write("app.env", format!("TOKEN={}\n", secret()));
            },
            &["scan", "."],
            1,
            "pipe",
        )
        .scan_formats(),
        case(
            "a symlink to /dev/zero in the tree",
            |f| {
                symlink("/dev/zero", f.path().join("zero")).unwrap();
                f.write("app.env", format!("TOKEN={}\n", secret()));
            },
            &["scan", "."],
            1,
            "github",
        )
        .scan_formats(),
        case(
            "a binary file with a token inside",
            |f| {
                let mut b = vec![0u8; 64];
                b.extend_from_slice(secret().as_bytes());
                f.write("blob.bin", b);
            },
            &["scan", "."],
            0,
            "1 skipped",
        )
        .scan_formats(),
        case(
            "a file over the size limit",
            |f| {
                sparse(&f.path().join("huge.log"), 200 << 20);
                f.write("app.env", format!("TOKEN={}\n", secret()));
            },
            &["scan", "."],
            1,
            "huge.log",
        )
        .scan_formats(),
        case(
            "a symlink loop",
            |f| {
                symlink("b", f.path().join("a")).unwrap();
                symlink("a", f.path().join("b")).unwrap();
                f.write("app.env", format!("TOKEN={}\n", secret()));
            },
            &["scan", "."],
            1,
            "github",
        )
        .scan_formats(),
        case(
            "a folder symlink that loops back to its parent",
            |f| {
                std::fs::create_dir_all(f.path().join("d")).unwrap();
                symlink("..", f.path().join("d/up")).unwrap();
                f.write("d/app.env", format!("TOKEN={}\n", secret()));
            },
            &["scan", "."],
            1,
            "github",
        )
        .scan_formats(),
        case(
            "a file name with a newline, an escape and a token",
            |f| {
                f.write(
                    &format!("evil\n\u{1b}[2J{}.env", secret()),
                    format!("TOKEN={}\n", secret()),
                );
            },
            &["scan", "."],
            1,
            "\\n",
        )
        .scan_formats(),
        case(
            "a file name that is not UTF-8",
            |f| {
                use std::os::unix::ffi::OsStrExt;
                let name = std::ffi::OsStr::from_bytes(b"caf\xe9.env");
                std::fs::write(f.path().join(name), format!("TOKEN={}\n", secret())).unwrap();
            },
            &["scan", "."],
            1,
            "\\xe9",
        )
        .scan_formats(),
        case(
            "files that vanish while the scan runs",
            |f| {
                for i in 0..3000 {
                    f.write(&format!("many/f{i}.txt"), "nothing to see\n");
                }
                f.write("app.env", format!("TOKEN={}\n", secret()));
            },
            &["scan", "."],
            1,
            "github",
        )
        .during(|root| {
            for i in (0..3000).rev() {
                let _ = std::fs::remove_file(root.join(format!("many/f{i}.txt")));
            }
        }),
        case(
            "a .gitignore that links to /dev/zero",
            |f| {
                symlink("/dev/zero", f.path().join(".gitignore")).unwrap();
                f.write("app.env", format!("TOKEN={}\n", secret()));
            },
            &["scan", "."],
            1,
            "github",
        ),
        case(
            "a .tiercheckignore that is a FIFO",
            |f| {
                mkfifo(&f.path().join(".tiercheckignore"));
                f.write("app.env", format!("TOKEN={}\n", secret()));
            },
            &["scan", "."],
            1,
            ".tiercheckignore",
        ),
        case(
            "an oversized .ignore file",
            |f| {
                f.write(".ignore", "x\n".repeat(600_000));
                f.write("app.env", format!("TOKEN={}\n", secret()));
            },
            &["scan", "."],
            1,
            ".ignore",
        ),
        case(
            "a .tiercheckignore hiding a secret from verify at T4",
            |f| {
                f.write(".tier.yaml", T4);
                f.write(".tiercheckignore", "app.env\n");
                f.write("app.env", format!("TOKEN={}\n", secret()));
            },
            &["verify"],
            1,
            "sast-secret-detection",
        )
        .all_formats(),
        case(
            "an allow marker on a minified line of 500 tokens",
            |f| {
                let mut line = String::from("/* tiercheck:allow */ var t=[");
                for i in 0..500 {
                    line.push_str(&format!("\"{}{i:03}\",", &secret()[..37]));
                }
                line.push_str("];\n");
                f.write("bundle.min.js", line);
            },
            &["scan", "."],
            1,
            "bundle.min.js",
        ),
        case(
            "a baseline at /dev/zero",
            |f| {
                f.write("app.env", format!("TOKEN={}\n", secret()));
            },
            &["scan", ".", "--baseline", "/dev/zero"],
            2,
            "/dev/zero",
        ),
        case(
            "a baseline that is not JSON",
            |f| {
                f.write("app.env", format!("TOKEN={}\n", secret()));
                f.write("base.json", "{ nope");
            },
            &["scan", ".", "--baseline", "base.json"],
            2,
            "base.json",
        ),
        case(
            "a baseline of another version",
            |f| {
                f.write("app.env", format!("TOKEN={}\n", secret()));
                f.write("base.json", "{\"version\": 9, \"findings\": []}");
            },
            &["scan", ".", "--baseline", "base.json"],
            2,
            "version 9",
        ),
        case(
            "a megabyte of AWS key id and secret pairs",
            |f| {
                // Ids and secrets of random-looking letters (a fixed LCG), as real ones are.
                let abc = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
                let mut state = 0x2545_f491_4f6c_dd1du64;
                let mut next = |n: usize, upper: bool| -> String {
                    (0..n)
                        .map(|_| {
                            state = state
                                .wrapping_mul(6_364_136_223_846_793_005)
                                .wrapping_add(1_442_695_040_888_963_407);
                            let k = (state >> 33) as usize;
                            if upper {
                                b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"[k % 32] as char
                            } else {
                                abc[k % 62] as char
                            }
                        })
                        .collect()
                };
                let mut s = String::new();
                while s.len() < 1 << 20 {
                    let (id, key) = (next(16, true), next(40, false));
                    s.push_str(&format!(
                        "aws_access_key_id = AKIA{id}\naws_secret_access_key = {key}\n"
                    ));
                }
                f.write("pairs.ini", s);
            },
            &["scan", ".", "--format", "json"],
            1,
            "pairs.ini",
        ),
        case(
            "an MCP config with a secret in every place",
            |f| {
                let s = secret();
                f.write(".tier.yaml", T4);
                f.write(
                    ".mcp.json",
                    format!(
                        r#"{{"mcpServers": {{"{s}": {{"command": "env GITHUB_TOKEN={s} npx srv", "args": ["--token", "{s}"], "env": {{"GITHUB_TOKEN": "{s}"}}, "url": "https://x:{s}@mcp.example/", "headers": {{"Authorization": "Bearer {s}"}}}}}}}}"#
                    ),
                );
            },
            &["verify"],
            1,
            "no-secrets-in-prompts",
        )
        .all_formats(),
        case(
            "a CODEOWNERS line and a waiver reason holding a token",
            |f| {
                f.write("CODEOWNERS", format!("* @{}\n", secret()));
                f.write(
                    ".tier.yaml",
                    format!("{T4}waivers:\n  - requirement: ssdlc\n    reason: see {}\n    approved_by: x\n    expires: 9999-12-31\n", secret()),
                );
            },
            &["verify"],
            1,
            "waiver",
        )
        .all_formats(),
        case(
            "every requirement waived by the owner until 9999",
            |f| {
                let mut y = String::from(T4);
                y.push_str("waivers:\n");
                for r in [
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
                ] {
                    y.push_str(&format!("  - requirement: {r}\n    reason: later\n    approved_by: jane@corp.example\n    expires: 9999-12-31\n"));
                }
                f.write(".tier.yaml", y);
                f.write("app.env", format!("TOKEN={}\n", secret()));
            },
            &["verify"],
            1,
            "waiver-refused",
        )
        .all_formats(),
        // ---- git ----
        case(
            "a git config including /dev/zero",
            |f| {
                committed(f, &[("a.txt", "x\n".into())]);
                let cfg = f.path().join(".git/config");
                let mut c = std::fs::read_to_string(&cfg).unwrap();
                c.push_str("[include]\n\tpath = /dev/zero\n");
                std::fs::write(cfg, c).unwrap();
            },
            &["scan", "--history", "."],
            2,
            "cannot be read safely",
        ),
        case(
            "a git config including a FIFO",
            |f| {
                committed(f, &[("a.txt", "x\n".into())]);
                mkfifo(&f.path().join(".git/hang"));
                let cfg = f.path().join(".git/config");
                let mut c = std::fs::read_to_string(&cfg).unwrap();
                c.push_str("[include]\n\tpath = hang\n");
                std::fs::write(cfg, c).unwrap();
            },
            &["scan", "--history", "."],
            2,
            "cannot be read safely",
        ),
        case(
            "a truncated loose blob",
            |f| {
                committed(f, &[("a.txt", format!("TOKEN={}\n", secret()))]);
                let blob = object_path(&f.path(), "HEAD:a.txt");
                let bytes = std::fs::read(&blob).unwrap();
                overwrite(&blob, &bytes[..10]);
            },
            &["scan", "--history", "."],
            1,
            "a.txt",
        )
        .scan_formats(),
        case(
            "a garbage commit object",
            |f| {
                committed(f, &[("a.txt", "x\n".into())]);
                overwrite(&object_path(&f.path(), "HEAD"), b"garbage");
            },
            &["scan", "--history", "."],
            2,
            "history",
        ),
        case(
            "a bad index",
            |f| {
                committed(f, &[("a.txt", "x\n".into())]);
                std::fs::write(f.path().join(".git/index"), b"bad").unwrap();
            },
            &["scan", "--staged", "."],
            2,
            "index",
        ),
        case(
            "--staged outside a git repository",
            |f| {
                let _ = std::fs::remove_dir_all(f.path().join(".git"));
                f.write("a.txt", "x\n");
            },
            &["scan", "--staged", "."],
            2,
            "git",
        ),
        case(
            "a .git file pointing nowhere",
            |f| {
                let _ = std::fs::remove_dir_all(f.path().join(".git"));
                f.write(".git", "gitdir: /nonexistent/path\n");
                f.write(".tier.yaml", T4);
            },
            &["verify", "--format", "json"],
            1,
            "code-review",
        ),
        case(
            "a commit whose author and subject hold a token",
            |f| {
                committed(f, &[("a.txt", "x\n".into()), (".tier.yaml", T4.into())]);
                f.write("b.txt", "y\n");
                git(&f.path(), &["add", "-A"]);
                let root = f.path();
                let out = std::process::Command::new("git")
                    .args(["commit", "-q", "-m", &format!("add {}", secret())])
                    .current_dir(&root)
                    .env("GIT_CONFIG_NOSYSTEM", "1")
                    .env("GIT_CONFIG_GLOBAL", "/dev/null")
                    .env("HOME", &root)
                    .env("GIT_AUTHOR_NAME", secret())
                    .env("GIT_AUTHOR_EMAIL", "jane@corp.example")
                    .env("GIT_COMMITTER_NAME", "Jane")
                    .env("GIT_COMMITTER_EMAIL", "jane@corp.example")
                    .output()
                    .unwrap();
                assert!(out.status.success());
            },
            &["verify"],
            1,
            "code-review",
        )
        .all_formats(),
        // ---- the command line ----
        case(
            "an unknown format",
            |_| {},
            &["verify", "--format", "yaml"],
            2,
            "yaml",
        ),
        case("an unknown command", |_| {}, &["verifyy"], 2, "verifyy"),
        case(
            "an unknown tier flag",
            |_| {},
            &["verify", "--tier", "T9"],
            2,
            "T9",
        ),
        case(
            "a bad TIERCHECK_TODAY",
            |f| {
                f.write(".tier.yaml", T2);
            },
            &["verify"],
            2,
            "TIERCHECK_TODAY",
        )
        .env(&[("TIERCHECK_TODAY", "yesterday")]),
        case(
            "a path that does not exist",
            |_| {},
            &["verify", "nowhere", "--tier", "T2"],
            2,
            "nowhere",
        ),
        case(
            "no manifest and no --tier",
            |f| {
                f.write("a.py", "print(1)\n");
            },
            &["verify"],
            2,
            "no .tier.yaml found",
        ),
        case(
            "assess with no terminal and missing answers",
            |f| {
                f.write("a.py", "print(1)\n");
            },
            &["assess"],
            2,
            "--audience",
        ),
    ]
}

fn max_child_rss_kb() -> i64 {
    // SAFETY: getrusage fills the struct it is given.
    unsafe {
        let mut u: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_CHILDREN, &mut u);
        u.ru_maxrss
    }
}

fn run_one(case: &Case, f: &Fixture, format: Option<&str>) -> (i32, String) {
    let mut cmd = f.cmd();
    cmd.args(case.args);
    if let Some(fmt) = format {
        cmd.args(["--format", fmt]);
    }
    for (k, v) in case.env {
        cmd.env(k, v);
    }
    cmd.env("RUST_BACKTRACE", "1").timeout(LIMIT);
    let started = Instant::now();
    let handle = case.during.map(|d| {
        let root = f.path();
        std::thread::spawn(move || d(&root))
    });
    let out = cmd.output().expect("tiercheck runs");
    if let Some(h) = handle {
        h.join().unwrap();
    }
    let took = started.elapsed();
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let name = case.name;
    assert!(
        took < LIMIT,
        "{name} ({format:?}): took {took:?}, killed?\n{text}"
    );
    let code = out
        .status
        .code()
        .unwrap_or_else(|| panic!("{name} ({format:?}): ended by a signal\n{text}"));
    for word in ["panicked", "RUST_BACKTRACE", "stack backtrace"] {
        assert!(!text.contains(word), "{name} ({format:?}): {word}\n{text}");
    }
    let planted = secret();
    assert!(
        !text.contains(&planted) && !text.contains(&planted[10..]),
        "{name} ({format:?}): the planted secret is printed in full\n{text}"
    );
    let rss = max_child_rss_kb();
    assert!(
        rss < MAX_RSS_KB,
        "{name} ({format:?}): a run used {rss} kB (limit {MAX_RSS_KB})"
    );
    (code, text)
}

#[test]
fn every_hostile_or_broken_input_is_refused_or_handled_without_leaking() {
    let cases = cases();
    assert!(cases.len() >= 60, "only {} cases", cases.len());
    let mut names = std::collections::HashSet::new();
    let mut failures = Vec::new();
    for case in &cases {
        assert!(names.insert(case.name), "two cases named {}", case.name);
        let f = Fixture::repo();
        (case.setup)(&f);
        let formats: Vec<Option<&str>> = match case.formats {
            Formats::One => vec![None],
            Formats::All | Formats::Scan => FORMATS.iter().copied().map(Some).collect(),
        };
        for format in formats {
            if case.during.is_some() {
                // Files vanish once; set them up again for the next format.
                (case.setup)(&f);
            }
            let (code, text) = run_one(case, &f, format);
            if code != case.code {
                failures.push(format!(
                    "{} ({format:?}): exit {code}, expected {}\n{text}",
                    case.name, case.code
                ));
            } else if format.is_none_or(|f| f == "table") && !text.contains(case.fragment) {
                failures.push(format!(
                    "{} ({format:?}): missing `{}` in\n{text}",
                    case.name, case.fragment
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n---\n")
    );
}
