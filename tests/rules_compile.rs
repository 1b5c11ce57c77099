//! The default policy's scanner rules are well formed: every regex compiles with the Rust
//! `regex` crate, ids are unique kebab-case, values come from a `secret` group, and only a
//! handful of rules run without keywords.

use std::collections::HashSet;

use regex::Regex;
use serde::Deserialize;

#[derive(Deserialize)]
struct Doc {
    #[serde(default)]
    rules: Vec<Rule>,
    #[serde(default)]
    allowlist: Allow,
}

#[derive(Deserialize)]
struct Rule {
    id: String,
    category: String,
    regex: String,
    #[serde(default)]
    keywords: Vec<String>,
    #[serde(default)]
    validate: Option<String>,
    #[serde(default)]
    allowlist: Allow,
}

#[derive(Deserialize, Default)]
struct Allow {
    #[serde(default)]
    regexes: Vec<String>,
}

fn doc() -> Doc {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/policies/default.yaml"
    ))
    .expect("default policy");
    serde_saphyr::from_str::<serde_json::Value>(&text)
        .map(|v| serde_json::from_value(v).expect("rules section shape"))
        .expect("default policy parses")
}

#[test]
fn every_rule_regex_compiles_and_names_its_value() {
    let doc = doc();
    assert!(!doc.rules.is_empty());
    for r in &doc.rules {
        let re = Regex::new(&r.regex).unwrap_or_else(|e| panic!("rule {}: {e}", r.id));
        assert!(
            re.capture_names().any(|n| n == Some("secret")),
            "rule {} has no `secret` group",
            r.id
        );
        for a in &r.allowlist.regexes {
            Regex::new(a).unwrap_or_else(|e| panic!("rule {} allowlist {a}: {e}", r.id));
        }
    }
    for a in &doc.allowlist.regexes {
        Regex::new(a).unwrap_or_else(|e| panic!("global allowlist {a}: {e}"));
    }
}

#[test]
fn ids_are_unique_kebab_case_and_counts_meet_the_bar() {
    let doc = doc();
    let mut seen = HashSet::new();
    for r in &doc.rules {
        assert!(seen.insert(r.id.clone()), "duplicate rule id {}", r.id);
        assert!(
            r.id.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
            "{} is not kebab-case",
            r.id
        );
        assert!(matches!(r.category.as_str(), "secret" | "pii"), "{}", r.id);
        if let Some(v) = &r.validate {
            assert!(
                [
                    "luhn",
                    "iban",
                    "us-ssn",
                    "jwt",
                    "phone-e164",
                    "private-key-block"
                ]
                .contains(&v.as_str()),
                "{}: unknown validator {v}",
                r.id
            );
        }
    }
    let secrets = doc.rules.iter().filter(|r| r.category == "secret").count();
    assert!(secrets >= 45, "only {secrets} secret rules");
    // Rules without keywords run over every byte; keep them to those whose format has no
    // literal to anchor on and whose validator keeps them precise.
    let keywordless: Vec<&str> = doc
        .rules
        .iter()
        .filter(|r| r.keywords.is_empty())
        .map(|r| r.id.as_str())
        .collect();
    assert_eq!(
        keywordless,
        ["payment-card", "iban", "us-ssn", "phone-number-nanp"]
    );
}
