use super::parse::{ItemKind, parse, yaml_problem};
use crate::detection::CiFormat;

fn items(format: CiFormat, text: &str) -> Vec<(ItemKind, String, Option<u64>)> {
    let (f, problem) = parse("f".into(), "f".into(), "x".into(), format, text.into());
    assert!(problem.is_none(), "{problem:?}");
    f.items
        .into_iter()
        .map(|i| (i.kind, i.text, i.line))
        .collect()
}

#[test]
fn github_steps_with_lines() {
    let text = "name: CI\non: [push]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - name: Test\n        run: |\n          cargo build\n          cargo test --locked\n  reuse:\n    uses: org/repo/.github/workflows/x.yml@main\n";
    let got = items(CiFormat::GithubActions, text);
    assert_eq!(
        got[0],
        (ItemKind::Uses, "actions/checkout@v4".into(), Some(7))
    );
    assert_eq!(got[1].0, ItemKind::Run);
    assert_eq!(got[1].2, Some(10));
    assert_eq!(got[2].2, Some(13));
}

#[test]
fn pre_commit_hooks_and_local_entries() {
    let text = "repos:\n  - repo: https://github.com/gitleaks/gitleaks\n    rev: v8.18.0\n    hooks:\n      - id: gitleaks\n  - repo: local\n    hooks:\n      - id: audit\n        name: audit\n        entry: cargo audit\n        language: system\n";
    let got = items(CiFormat::PreCommit, text);
    assert_eq!(got[0], (ItemKind::Hook, "gitleaks".into(), Some(5)));
    assert_eq!(got[2], (ItemKind::Run, "cargo audit".into(), Some(10)));
}

#[test]
fn generic_yaml_and_text() {
    let got = items(
        CiFormat::Yaml,
        "include:\n  - template: Security/SAST.gitlab-ci.yml\ntest:\n  script:\n    - pytest -q\n",
    );
    assert!(
        got.iter()
            .any(|(_, t, l)| t == "pytest -q" && *l == Some(5))
    );
    let got = items(
        CiFormat::Text,
        "pipeline {\n  stage('t') { sh 'go test ./...' }\n}\n",
    );
    assert_eq!(got[1].2, Some(2));
}

#[test]
fn broken_yaml_reports_its_line() {
    let (f, problem) = parse(
        "ci.yml".into(),
        "ci.yml".into(),
        "x".into(),
        CiFormat::GithubActions,
        "jobs:\n  a: [\n".into(),
    );
    assert!(f.items.is_empty());
    let (msg, line) = problem.unwrap();
    assert!(line.is_some(), "{msg}");
    assert_eq!(yaml_problem("error: line 3 column 2: bad").1, Some(3));
}

#[test]
fn quoted_commands_hide_values() {
    assert_eq!(
        super::quote_command(&["mvn -B -Dsonar.token=", "squ_0123456789abcdef verify"].concat()),
        "mvn -B -Dsonar.token=… verify"
    );
    assert_eq!(
        super::quote_command(&["snyk test --auth 9f8e7d6c", "5b4a39281706abcd"].concat()),
        "snyk test --auth …"
    );
}

#[test]
fn composite_action_steps() {
    let text = "name: setup\nruns:\n  using: composite\n  steps:\n    - uses: actions/setup-node@v4\n    - run: npm ci\n      shell: bash\n";
    let got = items(CiFormat::GithubActions, text);
    assert_eq!(
        got[0],
        (ItemKind::Uses, "actions/setup-node@v4".into(), Some(5))
    );
    assert_eq!(got[1], (ItemKind::Run, "npm ci".into(), Some(6)));
}
