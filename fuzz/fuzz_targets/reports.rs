//! Every report writer on reports whose repository-sourced text (paths, evidence, reasons,
//! findings, skipped files) is arbitrary: no writer panics, JSON and SARIF stay valid JSON,
//! and the formats that do not escape by their syntax (table, Markdown, JUnit) never let a
//! control character through raw.
#![no_main]

use libfuzzer_sys::fuzz_target;

include!("../replay/reports.rs");

fuzz_target!(|data: &[u8]| check(data));
