//! The scanner on arbitrary bytes with the default policy's rules: scanning, redaction and
//! baseline parsing never panic, and no value a rule reports survives redaction.
#![no_main]

use libfuzzer_sys::fuzz_target;

include!("../replay/scan.rs");

fuzz_target!(|data: &[u8]| check(data));
