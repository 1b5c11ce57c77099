//! The scanner on arbitrary bytes with the default policy's rules: scanning, redaction and
//! baseline parsing never panic, and a redacted value is never the value it stands for.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use tiercheck_scan::baseline::Baseline;
use tiercheck_scan::{ScanOptions, Scanner, Scratch};

fn scanner() -> &'static Scanner {
    static S: OnceLock<Scanner> = OnceLock::new();
    S.get_or_init(|| {
        let policy = tiercheck::policy::load_default().expect("the default policy loads");
        Scanner::new(&policy.scan_rules()).expect("the default rules compile")
    })
}

fuzz_target!(|data: &[u8]| {
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
    let text = String::from_utf8_lossy(data);
    let once = s.redact_text(&text).into_owned();
    // Redaction is idempotent: what it wrote hides nothing more.
    assert_eq!(s.redact_text(&once), once.as_str());
    let _ = Baseline::parse(data, "fuzz-baseline.json");
});
