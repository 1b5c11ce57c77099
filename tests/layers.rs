//! The application's layers point one way: a module uses only the modules below it. This
//! test reads every `crate::…` path in `src/` (outside `#[cfg(test)]` items, which may use
//! any layer to build fixtures, as dev-dependencies may) and fails on an arrow that points
//! up or sideways, naming the file and line. ARCHITECTURE.md draws the same map.
//!
//! It also holds the engine crate to its boundary: `crates/tiercheck-scan` depends on no
//! crate of the application and its code never speaks of tiers, requirements or manifests.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Top to bottom. A module may use the modules after it, never one before it or its own
/// row's neighbours.
const LAYERS: &[&str] = &[
    "cli",
    "report",
    "classify",
    "evaluate",
    "policy",
    "checks",
    "artifact",
    "git",
    "manifest",
    "detection",
    "signers",
    "config",
    "walk",
    "error",
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The lines of `text` that are not inside a `#[cfg(test)]` item, with their numbers. An
/// item ends where the braces it opens close again (or at its `;`).
fn non_test_lines(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut skipping = false;
    let mut depth: i64 = 0;
    let mut opened = false;
    for (i, line) in text.lines().enumerate() {
        let code = line.split("//").next().unwrap_or("");
        if !skipping && line.trim_start().starts_with("#[cfg(test)]") {
            skipping = true;
            depth = 0;
            opened = false;
            continue;
        }
        if skipping {
            for c in code.chars() {
                match c {
                    '{' => {
                        depth += 1;
                        opened = true;
                    }
                    '}' => depth -= 1,
                    _ => {}
                }
            }
            if (opened && depth <= 0) || (!opened && code.trim_end().ends_with(';')) {
                skipping = false;
            }
            continue;
        }
        out.push((i + 1, line));
    }
    out
}

/// The top-level modules a line names through `crate::` (`crate::a::b`, `crate::{a, b}`).
fn named_modules(line: &str) -> Vec<String> {
    let code = line.split("//").next().unwrap_or("");
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        // `tiercheck_scan::…` and other crates' paths end in `crate` only by accident.
        let before = &rest[..at];
        let tail = &rest[at + "crate::".len()..];
        rest = tail;
        if before.ends_with(|c: char| c.is_alphanumeric() || c == '_') {
            continue;
        }
        if let Some(group) = tail.strip_prefix('{') {
            let inner = group.split('}').next().unwrap_or("");
            for part in inner.split(',') {
                let name: String = part
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    out.push(name);
                }
            }
        } else {
            let name: String = tail
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            out.push(name);
        }
    }
    out
}

/// The module a file of `src/` belongs to (`src/checks/ci/mod.rs` → `checks`).
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).expect("file below src");
    let first = rel.components().next().expect("a component");
    first
        .as_os_str()
        .to_string_lossy()
        .trim_end_matches(".rs")
        .to_string()
}

#[test]
fn no_module_uses_one_above_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let rank = |m: &str| LAYERS.iter().position(|l| *l == m);
    let mut wrong = Vec::new();
    let mut arrows: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for file in &files {
        let from = module_of(&src, file);
        if from == "lib" || from == "main" {
            continue;
        }
        let Some(from_rank) = rank(&from) else {
            wrong.push(format!(
                "{}: module `{from}` is not in the layer list of tests/layers.rs (nor of ARCHITECTURE.md)",
                file.display()
            ));
            continue;
        };
        let text = std::fs::read_to_string(file).expect("source file");
        for (n, line) in non_test_lines(&text) {
            for to in named_modules(line) {
                if to == from {
                    continue;
                }
                match rank(&to) {
                    Some(r) if r > from_rank => {
                        let list = arrows.entry(from.clone()).or_default();
                        if !list.contains(&to) {
                            list.push(to);
                        }
                    }
                    Some(_) => wrong.push(format!(
                        "{}:{n}: `{from}` uses `{to}`, which is above it or beside it: {}",
                        file.display(),
                        line.trim()
                    )),
                    None => wrong.push(format!(
                        "{}:{n}: `{from}` uses `crate::{to}`, which is in no layer",
                        file.display()
                    )),
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "arrows that point up:\n{}",
        wrong.join("\n")
    );
    // The pipeline really is layered: the command line uses the layers below it.
    assert!(
        arrows.get("cli").is_some_and(|l| l.len() >= 5),
        "{arrows:?}"
    );
}

#[test]
fn the_layer_reader_sees_every_form_of_path_and_skips_test_items() {
    assert_eq!(named_modules("use crate::policy::Policy;"), ["policy"]);
    assert_eq!(
        named_modules("use crate::{config::Sp, error::Problem};"),
        ["config", "error"]
    );
    assert_eq!(
        named_modules("    let x = crate::git::open(p).map(crate::walk::f); // crate::cli"),
        ["git", "walk"]
    );
    assert!(named_modules("use tiercheck_scan::Finding;").is_empty());
    assert!(named_modules("use foo_crate::x;").is_empty());
    let text = "use crate::a;\n#[cfg(test)]\nfn helper() {\n    crate::b::x();\n}\nuse crate::c;\n#[cfg(test)]\nmod tests {\n    fn f() { let s = \"{x}\"; }\n    use crate::d;\n}\nuse crate::e;\n#[cfg(test)]\nuse crate::f;\nuse crate::g;\n";
    let seen: Vec<String> = non_test_lines(text)
        .into_iter()
        .flat_map(|(_, l)| named_modules(l))
        .collect();
    assert_eq!(seen, ["a", "c", "e", "g"]);
}

#[test]
fn the_engine_crate_knows_nothing_of_the_application() {
    let engine = Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/tiercheck-scan");
    let manifest = std::fs::read_to_string(engine.join("Cargo.toml")).expect("engine Cargo.toml");
    let deps: toml::Table = toml::from_str(&manifest).expect("engine Cargo.toml is TOML");
    for section in ["dependencies", "dev-dependencies", "build-dependencies"] {
        if let Some(t) = deps.get(section).and_then(|v| v.as_table()) {
            assert!(
                !t.contains_key("tiercheck"),
                "tiercheck-scan's [{section}] names the application crate"
            );
        }
    }
    let mut files = Vec::new();
    rust_files(&engine.join("src"), &mut files);
    assert!(files.len() >= 5, "{files:?}");
    let words = ["tier", "requirement", "manifest", "policy"];
    for file in files {
        let text = std::fs::read_to_string(&file).expect("engine source");
        for (n, line) in text.lines().enumerate() {
            let lower = line.to_lowercase();
            // The crate's own name and the inline marker are the only places "tier" may
            // appear, as part of `tiercheck`.
            let lower = lower.replace("tiercheck", "");
            for w in words {
                assert!(
                    !lower.contains(w),
                    "{}:{}: the engine speaks of `{w}`: {}",
                    file.display(),
                    n + 1,
                    line.trim()
                );
            }
        }
    }
}
