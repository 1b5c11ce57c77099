//! Policy parsing and validation on arbitrary text (with and without `extends: default`):
//! an input is a policy whose rules compile, or a located error; never a panic or a hang
//! (regex size limits, numeric ranges).
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // Paths named by `extends:` resolve against this folder, which holds nothing.
    match tiercheck::policy::load_text(text, Path::new("/nonexistent/fuzz-policy.yaml")) {
        Ok(p) => {
            let rules = p.scan_rules();
            // A validated policy's rules compile.
            tiercheck_scan::Scanner::new(&rules).expect("validated rules compile");
            let _ = p.vocabulary();
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
