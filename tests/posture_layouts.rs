//! Posture evidence on the layouts of well-known public repositories, reproduced in
//! fixtures: what a careful person reading the files would say runs, and nothing else.

mod common;

use common::{Fixture, json};
use serde_json::Value;

/// The evidence signals of one requirement of `verify --tier T4`, with their paths.
fn evidence(f: &Fixture, requirement: &str) -> Vec<(String, String)> {
    let out = f
        .cmd()
        .args(["verify", ".", "--tier", "T4", "--format", "json"])
        .output()
        .unwrap();
    let v: Value = json(&out.stdout);
    let req = v["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == requirement)
        .unwrap_or_else(|| panic!("no {requirement} in {v}"))
        .clone();
    req["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["signal"].as_str().unwrap_or_default().to_string(),
                e["path"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

fn has(ev: &[(String, String)], signal: &str, path: &str) -> bool {
    ev.iter().any(|(s, p)| s == signal && p == path)
}

#[test]
fn a_dual_licensed_rust_tool_and_an_unlicensed_one_have_licenses() {
    // ripgrep's layout: COPYING, LICENSE-MIT and UNLICENSE.
    let f = Fixture::repo();
    f.write(
        "COPYING",
        "This project is dual-licensed under the Unlicense and MIT licenses.\n",
    );
    f.write("LICENSE-MIT", "The MIT License (MIT)\n");
    f.write(
        "UNLICENSE",
        "This is free and unencumbered software released into the public domain.\n",
    );
    let ev = evidence(&f, "ssdlc");
    assert!(ev.iter().any(|(s, _)| s == "license"), "{ev:?}");
    assert!(!ev.iter().any(|(s, _)| s == "license-missing"), "{ev:?}");
    // serde's layout: LICENSE-APACHE and LICENSE-MIT.
    let f = Fixture::repo();
    f.write(
        "LICENSE-APACHE",
        "Apache License\nVersion 2.0, January 2004\n",
    );
    f.write(
        "LICENSE-MIT",
        "Permission is hereby granted, free of charge\n",
    );
    let ev = evidence(&f, "ssdlc");
    assert!(!ev.iter().any(|(s, _)| s == "license-missing"), "{ev:?}");
    // A lone UNLICENSE is a license too.
    let f = Fixture::repo();
    f.write("UNLICENSE", "public domain\n");
    assert!(
        !evidence(&f, "ssdlc")
            .iter()
            .any(|(s, _)| s == "license-missing")
    );
}

#[test]
fn ruff_with_bandit_rules_is_sast_and_plain_ruff_is_not() {
    let f = Fixture::repo();
    f.write(
        "pyproject.toml",
        "[project]\nname = \"svc\"\nversion = \"1.0\"\n\n[tool.ruff.lint]\nselect = [\"E\", \"F\", \"S\", \"B\"]\n",
    );
    // Configured, but nothing runs Ruff: not claimed.
    let ev = evidence(&f, "sast-secret-detection");
    assert!(!ev.iter().any(|(s, _)| s == "ruff-bandit"), "{ev:?}");
    assert!(ev.iter().any(|(s, _)| s == "sast-missing"), "{ev:?}");
    // Run by pre-commit: claimed.
    f.write(
        ".pre-commit-config.yaml",
        "repos:\n  - repo: https://github.com/astral-sh/ruff-pre-commit\n    rev: v0.8.0\n    hooks:\n      - id: ruff\n",
    );
    let ev = evidence(&f, "sast-secret-detection");
    assert!(has(&ev, "ruff-bandit", "pyproject.toml"), "{ev:?}");
    assert!(!ev.iter().any(|(s, _)| s == "sast-missing"), "{ev:?}");
    // Ruff without the `S` rules checks style, not security.
    let f = Fixture::repo();
    f.write(
        "pyproject.toml",
        "[project]\nname = \"svc\"\nversion = \"1.0\"\n\n[tool.ruff.lint]\nselect = [\"E\", \"F\", \"SIM\", \"B\"]\n",
    );
    let ev = evidence(&f, "sast-secret-detection");
    assert!(!ev.iter().any(|(s, _)| s == "ruff-bandit"), "{ev:?}");
    assert!(ev.iter().any(|(s, _)| s == "sast-missing"), "{ev:?}");
}

#[test]
fn golangci_lint_enabling_gosec_is_sast() {
    // The layout of many Go services: golangci-lint in CI, gosec enabled in its config.
    let f = Fixture::repo();
    f.write("go.mod", "module example.com/svc\n\ngo 1.22\n");
    f.write(
        ".golangci.yml",
        "linters:\n  enable:\n    - govet\n    - gosec\n    - errcheck\n",
    );
    f.write(
        ".github/workflows/lint.yml",
        "on: push\njobs:\n  lint:\n    runs-on: ubuntu-latest\n    steps:\n      - run: golangci-lint run ./...\n",
    );
    let ev = evidence(&f, "sast-secret-detection");
    assert!(has(&ev, "gosec", ".golangci.yml"), "{ev:?}");
    // The same configuration with nothing running golangci-lint claims no gosec.
    std::fs::remove_file(f.path().join(".github/workflows/lint.yml")).unwrap();
    let ev = evidence(&f, "sast-secret-detection");
    assert!(!ev.iter().any(|(s, _)| s == "gosec"), "{ev:?}");
}

#[test]
fn tests_run_through_make_tox_or_npm_scripts_count() {
    for (file, text) in [
        ("Makefile", "test:\n\tpytest\n"),
        ("tox.ini", "[tox]\nenv_list = py312\n"),
        (
            "package.json",
            "{\"name\": \"x\", \"private\": true, \"scripts\": {\"test\": \"jest\"}}\n",
        ),
    ] {
        let run = match file {
            "Makefile" => "make test",
            "tox.ini" => "tox -e py312",
            _ => "npm test",
        };
        let f = Fixture::repo();
        f.write(file, text);
        f.write(
            ".github/workflows/ci.yml",
            format!("on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - run: {run}\n"),
        );
        let ev = evidence(&f, "ssdlc");
        assert!(
            !ev.iter()
                .any(|(s, _)| s == "ci-tests-missing" || s == "ci-missing"),
            "{run}: {ev:?}"
        );
    }
}
