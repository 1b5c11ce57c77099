//! A script with no manifest that imports third-party packages is not "no dependencies":
//! nothing pins what it imports. The standard library, built-in modules and the artifact's
//! own modules are not dependencies.

mod common;

use common::Fixture;
use serde_json::Value;

fn dependencies(f: &Fixture) -> (String, Vec<(String, String)>) {
    let out = f
        .cmd()
        .args(["verify", "--tier", "T2", "--format", "json"])
        .output()
        .unwrap();
    let v: Value = common::flat(serde_json::from_slice(&out.stdout).unwrap());
    let r = v["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "dependency-scanning")
        .unwrap()
        .clone();
    let ev = r["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["check"] == "dependencies")
        .map(|e| {
            (
                e["signal"].as_str().unwrap().to_string(),
                e["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    (r["status"].as_str().unwrap().to_string(), ev)
}

#[test]
fn third_party_imports_without_a_manifest_fail_and_are_named() {
    let f = Fixture::repo();
    f.write(
        "demo.py",
        "import csv, os\nimport requests\nfrom pandas.io import sql\nimport helper\nfrom . import x\n",
    );
    f.write("helper.py", "X = 1\n");
    f.write(
        "app.mjs",
        "import fs from 'node:fs';\nimport path from 'path';\nimport { a } from '@acme/ui/button';\nconst _ = require('lodash/fp');\nimport './local.js';\n",
    );
    let (status, ev) = dependencies(&f);
    assert_eq!(status, "fail", "{ev:?}");
    let msgs: Vec<&str> = ev
        .iter()
        .filter(|(s, _)| s == "imports-unpinned")
        .map(|(_, m)| m.as_str())
        .collect();
    assert_eq!(msgs.len(), 2, "{ev:?}");
    assert!(
        msgs.iter()
            .any(|m| m.starts_with("app.mjs imports @acme/ui, lodash (JavaScript)")),
        "{msgs:?}"
    );
    assert!(
        msgs.iter()
            .any(|m| m.starts_with("demo.py imports pandas, requests (Python)")),
        "{msgs:?}"
    );
}

#[test]
fn standard_library_scripts_and_pinned_ones_pass() {
    let f = Fixture::repo();
    f.write("tool.py", "import json, sys\nfrom pathlib import Path\n");
    f.write(
        "run.js",
        "const fs = require('fs');\nconst { join } = require('node:path');\n",
    );
    let (status, ev) = dependencies(&f);
    assert_eq!(status, "pass", "{ev:?}");
    assert_eq!(ev[0].0, "no-dependencies");
    // A pinned requirements file covers what the script imports.
    f.write("tool.py", "import requests\n");
    f.write("requirements.txt", "requests==2.32.3\n");
    let (_, ev) = dependencies(&f);
    assert!(ev.iter().all(|(s, _)| s != "imports-unpinned"), "{ev:?}");
}
