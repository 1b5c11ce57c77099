//! Manifest parsing and validation on arbitrary text: every input ends as a manifest or as
//! a located error, and rendering the error (which quotes the line) never panics.
#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use tiercheck::policy::Policy;

fn policy() -> &'static Policy {
    static P: OnceLock<Policy> = OnceLock::new();
    P.get_or_init(|| tiercheck::policy::load_default().expect("the default policy loads"))
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match tiercheck::manifest::parse(text, Path::new("fuzz/.tier.yaml")) {
        Ok(m) => {
            if let Err(e) = tiercheck::manifest::validate(&m, &policy().vocabulary()) {
                let _ = e.to_string();
            }
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
