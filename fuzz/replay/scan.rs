// The body of the `scan` fuzz target, shared with tests/fuzz_regressions.rs, which
// replays every input kept in regressions/scan/.
use std::sync::OnceLock;

use tiercheck_scan::baseline::Baseline;
use tiercheck_scan::{ScanOptions, Scanner, Scratch};

fn scanner() -> &'static Scanner {
    static S: OnceLock<Scanner> = OnceLock::new();
    S.get_or_init(|| {
        let policy = tiercheck::policy::load_default().expect("the default policy loads");
        Scanner::new(&policy.scan_rules()).expect("the default rules compile")
    })
}

/// One input, checked as the fuzz target checks it.
pub fn check(data: &[u8]) {
    let s = scanner();
    let mut scratch = Scratch::default();
    for honour in [true, false] {
        let opts = ScanOptions {
            honour_allow_marker: honour,
            ..ScanOptions::default()
        };
        if let tiercheck_scan::Content::Scanned(findings) =
            s.scan_content("fuzz/input.txt", data, &opts, &mut scratch)
        {
            for f in &findings {
                assert!(f.line >= 1 && f.column >= 1, "{f:?}");
            }
        }
    }
    // Redaction hides every value a rule reports: scanning the redacted text finds none of
    // the values (by fingerprint: rule, path and value) that the text held. (Redacting twice
    // may hide more, as a redacted form can complete another rule's context; that is fine.)
    let text = String::from_utf8_lossy(data);
    let once = s.redact_text(&text).into_owned();
    let opts = ScanOptions::default();
    let prints = |bytes: &[u8], scratch: &mut Scratch| -> Vec<String> {
        match s.scan_content("", bytes, &opts, scratch) {
            tiercheck_scan::Content::Scanned(f) => f.into_iter().map(|f| f.fingerprint).collect(),
            _ => Vec::new(),
        }
    };
    let before = prints(text.as_bytes(), &mut scratch);
    for p in prints(once.as_bytes(), &mut scratch) {
        assert!(!before.contains(&p), "a value survived redaction: {once:?}");
    }
    // Scanning only what changed between two versions (as history scans do) reports
    // findings of the whole new version only, at the same places. The input is the old
    // version, a 0xFF byte, and the new version (or two halves).
    let cut = data
        .iter()
        .position(|&b| b == 0xff)
        .unwrap_or(data.len() / 2);
    let (old, new) = (&data[..cut], &data[(cut + 1).min(data.len())..]);
    if let (tiercheck_scan::Content::Scanned(part), tiercheck_scan::Content::Scanned(whole)) = (
        s.scan_change("fuzz/input.txt", old, new, &opts, &mut scratch),
        s.scan_content("fuzz/input.txt", new, &opts, &mut scratch),
    ) {
        for f in &part {
            assert!(
                whole
                    .iter()
                    .any(|w| (w.line, w.column, &w.rule_id) == (f.line, f.column, &f.rule_id)),
                "a change finding that the whole version lacks: {f:?}"
            );
        }
    }
    let _ = Baseline::parse(data, "fuzz-baseline.json");
}
