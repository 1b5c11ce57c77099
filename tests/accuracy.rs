//! Accuracy of the default rules on the generated, labeled corpus (`tests/corpus`).
//!
//! Each finding is matched to the labels by `(path, line, category)`. Recall is the share of
//! labels with a finding of their category on their line; precision is the share of
//! distinct finding positions that carry a label. The table printed with `--nocapture`
//! gives the figures per rule (precision), per planted format (recall) and per category.
//!
//! Run: `cargo test --release --test accuracy -- --nocapture`

mod corpus;

use std::collections::{BTreeMap, BTreeSet};

use tiercheck_scan::{ScanOptions, Scanner};

/// Seeds of the corpora measured; each gives a different corpus of the same shape.
const SEEDS: &[u64] = &[0x7133_c4ec, 0x5eed_0002, 0x5eed_0003];
const FILES_PER_CORPUS: usize = 400;

#[derive(Default)]
struct Count {
    hit: usize,
    total: usize,
}

impl Count {
    fn ratio(&self) -> f64 {
        if self.total == 0 {
            1.0
        } else {
            self.hit as f64 / self.total as f64
        }
    }
}

#[test]
fn default_rules_meet_the_accuracy_bar() {
    let policy = tiercheck::policy::load_default().expect("default policy");
    let scanner = Scanner::new(&policy.scan_rules()).expect("default rules compile");
    let opts = ScanOptions::default();

    let mut by_kind: BTreeMap<(&str, &str), Count> = BTreeMap::new();
    let mut by_rule: BTreeMap<(String, String), Count> = BTreeMap::new();
    let mut recall: BTreeMap<&str, Count> = BTreeMap::new();
    let mut precision: BTreeMap<String, Count> = BTreeMap::new();
    let mut misses: Vec<String> = Vec::new();
    let mut false_positives: Vec<String> = Vec::new();
    let (mut files, mut bytes, mut labels) = (0usize, 0usize, 0usize);
    let mut negatives: BTreeMap<&str, usize> = BTreeMap::new();

    // TIERCHECK_CORPUS_OUT=DIR also writes the corpus and its labels there, for
    // benches/recall_vs.sh to run other scanners on the same files.
    let out = std::env::var_os("TIERCHECK_CORPUS_OUT").map(std::path::PathBuf::from);
    let mut label_lines = String::new();
    for &seed in SEEDS {
        let c = corpus::generate(seed, FILES_PER_CORPUS);
        if let Some(dir) = &out {
            for f in &c.files {
                let p = dir.join(format!("seed-{seed:x}")).join(&f.path);
                std::fs::create_dir_all(p.parent().unwrap()).unwrap();
                std::fs::write(&p, &f.text).unwrap();
            }
            for l in &c.labels {
                label_lines.push_str(&format!(
                    "{}\n",
                    serde_json::json!({"path": format!("seed-{seed:x}/{}", l.path), "line": l.line, "category": l.category, "kind": l.kind})
                ));
            }
        }
        files += c.files.len();
        labels += c.labels.len();
        for (k, n) in &c.negatives {
            *negatives.entry(k).or_default() += n;
        }
        let label_set: BTreeSet<(&str, u64, &str)> = c
            .labels
            .iter()
            .map(|l| (l.path.as_str(), l.line, l.category))
            .collect();
        let mut found: BTreeSet<(String, u64, String)> = BTreeSet::new();
        for f in &c.files {
            bytes += f.text.len();
            for finding in scanner.scan_bytes(&f.path, f.text.as_bytes(), &opts) {
                let key = (finding.path.clone(), finding.line, finding.category.clone());
                let ok = label_set.contains(&(key.0.as_str(), key.1, key.2.as_str()));
                let r = by_rule
                    .entry((finding.category.clone(), finding.rule_id.clone()))
                    .or_default();
                r.total += 1;
                r.hit += usize::from(ok);
                if found.insert(key) {
                    let p = precision.entry(finding.category.clone()).or_default();
                    p.total += 1;
                    p.hit += usize::from(ok);
                    if !ok && false_positives.len() < 40 {
                        let line = f.text.lines().nth(finding.line as usize - 1).unwrap_or("");
                        false_positives.push(format!(
                            "{} {}:{} [{}] {}",
                            finding.rule_id,
                            f.path,
                            finding.line,
                            finding.redacted,
                            shorten(line)
                        ));
                    }
                }
            }
        }
        for l in &c.labels {
            let hit = found.contains(&(l.path.clone(), l.line, l.category.to_string()));
            let k = by_kind.entry((l.category, l.kind)).or_default();
            k.total += 1;
            k.hit += usize::from(hit);
            let r = recall.entry(l.category).or_default();
            r.total += 1;
            r.hit += usize::from(hit);
            if !hit && misses.len() < 40 {
                let text = &c.files.iter().find(|f| f.path == l.path).unwrap().text;
                let line = text.lines().nth(l.line as usize - 1).unwrap_or("");
                misses.push(format!(
                    "{} {}:{} {}",
                    l.kind,
                    l.path,
                    l.line,
                    shorten(line)
                ));
            }
        }
    }

    println!(
        "\ncorpus: {} seeds, {files} files, {bytes} bytes, {labels} labels, {} hard negatives",
        SEEDS.len(),
        negatives.values().sum::<usize>()
    );
    println!(
        "\nrecall by planted format\n{:<8} {:<22} {:>6} {:>6} {:>8}",
        "category", "format", "found", "total", "recall"
    );
    for ((cat, kind), c) in &by_kind {
        println!(
            "{cat:<8} {kind:<22} {:>6} {:>6} {:>8.3}",
            c.hit,
            c.total,
            c.ratio()
        );
    }
    println!(
        "\nprecision by rule\n{:<8} {:<32} {:>6} {:>6} {:>9}",
        "category", "rule", "true", "found", "precision"
    );
    for ((cat, rule), c) in &by_rule {
        println!(
            "{cat:<8} {rule:<32} {:>6} {:>6} {:>9.3}",
            c.hit,
            c.total,
            c.ratio()
        );
    }
    println!(
        "\nby category\n{:<8} {:>9} {:>9} {:>7} {:>7}",
        "category", "precision", "recall", "labels", "found"
    );
    for cat in ["secret", "pii"] {
        let p = precision.get(cat).map_or(1.0, Count::ratio);
        let r = recall.get(cat).map_or(1.0, Count::ratio);
        let n = recall.get(cat).map_or(0, |c| c.total);
        let f = precision.get(cat).map_or(0, |c| c.total);
        println!("{cat:<8} {p:>9.3} {r:>9.3} {n:>7} {f:>7}");
    }
    if !misses.is_empty() {
        println!("\nfirst misses:\n  {}", misses.join("\n  "));
    }
    if !false_positives.is_empty() {
        println!(
            "\nfirst false positives:\n  {}",
            false_positives.join("\n  ")
        );
    }

    if let Some(dir) = &out {
        std::fs::write(dir.join("labels.jsonl"), label_lines).unwrap();
    }
    let p = |k: &str| precision.get(k).map_or(1.0, Count::ratio);
    let r = |k: &str| recall.get(k).map_or(1.0, Count::ratio);
    let (sp, sr, pp, pr) = (p("secret"), r("secret"), p("pii"), r("pii"));
    assert!(sr >= 0.97, "secret recall {sr:.3} < 0.97");
    assert!(sp >= 0.97, "secret precision {sp:.3} < 0.97");
    assert!(pr >= 0.95, "pii recall {pr:.3} < 0.95");
    assert!(pp >= 0.95, "pii precision {pp:.3} < 0.95");
}

/// A line cut short for the report; tokens in it are masked after 8 characters.
fn shorten(line: &str) -> String {
    let masked: String = line
        .split_inclusive(|c: char| !c.is_ascii_alphanumeric() && c != '_' && c != '-')
        .map(|w| {
            if w.len() > 16 {
                format!("{}…", &w[..8])
            } else {
                w.to_string()
            }
        })
        .collect();
    masked.chars().take(120).collect()
}
