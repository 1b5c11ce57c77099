//! The scanner on arbitrary bytes with the default policy's rules: scanning, scanning a
//! change, redaction and baseline parsing never panic, no value a rule reports survives
//! redaction, and a change's findings are findings of the whole new version.
#![no_main]

use libfuzzer_sys::fuzz_target;

include!("../replay/scan.rs");

fuzz_target!(|data: &[u8]| check(data));
