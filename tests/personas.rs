//! Three people, from `assess` to `PASS`, each on a real fixture tree and each step taken
//! because tiercheck printed it: every action below is preceded by an assertion that the
//! output just read told the person to take it.
//!
//! - a product manager with one script and a customer CSV beside it, no repository (T3);
//! - a support agent with a folder of automation and a chat log in `prompts/` (T2);
//! - an engineer with a repository and its git history (T4).

mod common;

use std::path::{Path, PathBuf};

use common::{Fixture, git, tiercheck};

/// One person at their machine: their home folder (where `--new-key` keeps their SSH key)
/// and the company policy they were told to use.
struct Person {
    home: tempfile::TempDir,
    policy: Option<PathBuf>,
}

struct Run {
    code: i32,
    out: String,
    err: String,
}

impl Run {
    /// Asserts the output says `needle` (wrapped lines read as one), and returns it for the
    /// next step.
    fn says(&self, needle: &str) -> &Self {
        let flat = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
        let (text, needle_flat) = (flat(&format!("{}\n{}", self.out, self.err)), flat(needle));
        assert!(
            text.contains(&needle_flat),
            "expected the output to say {needle:?}; it was:\n{}\n{}",
            self.out,
            self.err
        );
        self
    }

    /// The line after the one containing `marker`, trimmed.
    fn line_after(&self, marker: &str) -> String {
        let text = format!("{}\n{}", self.out, self.err);
        let mut lines = text.lines();
        while let Some(l) = lines.next() {
            if l.contains(marker) {
                return lines.next().unwrap_or_default().trim().to_string();
            }
        }
        panic!("no {marker:?} in:\n{text}");
    }
}

impl Person {
    fn new() -> Self {
        Person {
            home: tempfile::tempdir().unwrap(),
            policy: None,
        }
    }

    fn run(&self, dir: &Path, args: &[&str]) -> Run {
        let mut c = tiercheck();
        c.current_dir(dir)
            .env("HOME", self.home.path())
            .env("COLUMNS", "100")
            .args(args);
        if let Some(p) = &self.policy {
            c.env("TIERCHECK_POLICY", p);
        }
        let o = c.output().unwrap();
        Run {
            code: o.status.code().unwrap(),
            out: String::from_utf8_lossy(&o.stdout).into_owned(),
            err: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

/// What the keeper of the company policy does: `tiercheck policy init` in a folder of its
/// own, and the path it tells everyone to export.
fn company_policy(keeper: &Person, told: &Run) -> (tempfile::TempDir, PathBuf) {
    told.says("tiercheck policy init --engineer-domain <domain>");
    let dir = tempfile::tempdir().unwrap();
    let r = keeper.run(
        dir.path(),
        &[
            "policy",
            "init",
            ".",
            "--engineer-domain",
            "corp.example",
            "--ai-tool",
            "claude-code",
        ],
    );
    assert_eq!(r.code, 0, "{}{}", r.out, r.err);
    let text = format!("{}{}", r.out, r.err);
    let path = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("export TIERCHECK_POLICY="))
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no `export TIERCHECK_POLICY=` in:\n{text}"))
        .to_string();
    (dir, PathBuf::from(path))
}

/// Sends the allowed-signers line a signed review printed to whoever keeps the list, who
/// adds it.
fn send_signer_line(review: &Run, policy: &Path) {
    let line = review.line_after("Send this line to whoever keeps");
    assert!(line.contains("ssh-ed25519 "), "{line}");
    let list = policy.parent().unwrap().join("allowed_signers");
    let mut text = std::fs::read_to_string(&list).unwrap();
    text.push_str(&line);
    text.push('\n');
    std::fs::write(&list, text).unwrap();
}

/// Appends lines to a manifest, as the fix text tells the person to.
fn add_to(path: &Path, lines: &str) {
    let mut text = std::fs::read_to_string(path).unwrap();
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(lines);
    std::fs::write(path, text).unwrap();
}

/// A waiver, as an engineer who looked at the code approves it.
fn waiver(requirement: &str, reason: &str, by: &str) -> String {
    format!(
        "waivers:\n  - requirement: {requirement}\n    reason: {reason}\n    approved_by: {by}\n    expires: 2026-12-28\n"
    )
}

fn customers_csv() -> String {
    let at = "@";
    format!(
        "name,email\nAlice Smith,alice.smith{at}gmail.com\nBob Jones,bob.jones{at}yahoo.com\nCarl Wu,carl.wu{at}outlook.com\n"
    )
}

#[test]
fn a_product_manager_shares_one_script_with_a_customer() {
    let pm = Person::new();
    let folder = Fixture::new();
    let dir = folder.path();
    // An AI assistant wrote it; the key is a Stripe-format live key, made up here.
    let key = format!("sk_live_{}", "4eC39HqLyjWDarjtT1zdp7dc");
    folder.write(
        "demo.py",
        format!(
            "import csv\n\nSTRIPE_KEY = \"{key}\"\n\nfor row in csv.reader(open(\"customers.csv\")):\n    print(row[1])\n"
        ),
    );
    folder.write("customers.csv", customers_csv());
    folder.write("notes.txt", "unrelated notes\n");

    // 1. It goes to a customer and reads a customer list.
    let r = pm.run(
        &dir,
        &[
            "assess",
            "demo.py",
            "--audience",
            "external",
            "--data",
            "customer",
        ],
    );
    assert_eq!(r.code, 1);
    r.says("Tier T3 External/Shared")
        .says("Ships with: customers.csv")
        .says("so data is at least 'credentials'")
        .says("demo.py:3")
        .says("Remove and rotate any secret found");
    assert!(!r.out.contains("4eC39HqLyjWDarjtT1zdp7dc"), "{}", r.out);
    folder.write(
        "demo.py",
        "import csv\nimport os\n\nSTRIPE_KEY = os.environ[\"STRIPE_KEY\"]\n\nfor row in csv.reader(open(\"customers.csv\")):\n    print(row[1])\n",
    );

    // 2. Saying it touches no data is caught, naming the CSV.
    let r = pm.run(
        &dir,
        &[
            "assess",
            "demo.py",
            "--audience",
            "external",
            "--data",
            "none",
        ],
    );
    assert_eq!(r.code, 1);
    r.says("✗ under-classified")
        .says("data 'none' was given")
        .says("3 e-mail addresses in customers.csv");

    // 3. The honest answers, recorded beside the script.
    let r = pm.run(
        &dir,
        &[
            "assess",
            "demo.py",
            "--audience",
            "external",
            "--data",
            "customer",
            "--write",
        ],
    );
    assert_eq!(r.code, 1);
    r.says("wrote demo.py.tier.yaml")
        .says("Set `owner:` in demo.py.tier.yaml")
        .says("also list `maintainers:` in demo.py.tier.yaml")
        .says("Set `sponsor:` in demo.py.tier.yaml to an engineer");
    assert!(!dir.join(".tier.yaml").exists());
    let manifest = dir.join("demo.py.tier.yaml");
    add_to(
        &manifest,
        "owner: pat@corp.example\nmaintainers: [pat@corp.example]\nsponsor: sam@corp.example\n",
    );

    // 4. Nobody has named the company's engineers yet: the fix says who does what.
    let r = pm.run(&dir, &["verify", "demo.py"]);
    assert_eq!(r.code, 1);
    let keeper = Person::new();
    let (_company, policy) = company_policy(&keeper, &r);
    let mut pm = pm;
    pm.policy = Some(policy.clone());
    let mut sam = Person::new();
    sam.policy = Some(policy.clone());

    // 5. Pat reads the script and its output, and signs the review with a new key.
    let r = pm.run(&dir, &["verify", "demo.py"]);
    r.says("tiercheck review demo.py --by <owner> --kind self");
    let r = pm.run(
        &dir,
        &["review", "demo.py", "--by", "pat@corp.example", "--new-key"],
    );
    assert_eq!(r.code, 0, "{}{}", r.out, r.err);
    r.says("(2 files: customers.csv, demo.py)");
    send_signer_line(&r, &policy);

    // 6. Sam, the engineer sponsor, reviews it and signs with a key of his own.
    let r = pm.run(&dir, &["verify", "demo.py"]);
    r.says("tiercheck review demo.py --by <engineer> --kind engineering")
        .says("or `--new-key` to make one")
        .says("Code with no CI (a script sent on its own)");
    let r = sam.run(
        &dir,
        &[
            "review",
            "demo.py",
            "--by",
            "sam@corp.example",
            "--kind",
            "engineering",
            "--new-key",
        ],
    );
    assert_eq!(r.code, 0, "{}{}", r.out, r.err);
    send_signer_line(&r, &policy);

    // 7. No CI runs for a script sent on its own: Sam scans it and approves the waiver.
    let r = sam.run(&dir, &["scan", "demo.py"]);
    assert_eq!(r.code, 0, "{}{}", r.out, r.err);
    add_to(
        &manifest,
        &waiver(
            "sast-secret-detection",
            "single script sent once; scanned and read by its sponsor",
            "sam@corp.example",
        ),
    );

    // 8. PASS at T3, and the report still says what data goes with it.
    let r = pm.run(&dir, &["verify", "demo.py"]);
    assert_eq!(r.code, 0, "{}{}", r.out, r.err);
    r.says("PASS at T3")
        .says("Data in the files")
        .says("customers.csv");
    for line in r.out.lines() {
        assert!(line.chars().count() <= 100, "wider than 100: {line}");
    }
    // Both reviews rest on signatures the company's list allows.
    let r = pm.run(&dir, &["verify", "demo.py", "--format", "json"]);
    r.says("signed by pat@corp.example with key")
        .says("signed by sam@corp.example with key");
}
