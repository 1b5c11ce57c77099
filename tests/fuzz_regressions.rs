//! Every input a fuzzer found failing is kept in `fuzz/regressions/<target>/` and replayed
//! here through that target's own body (`fuzz/replay/<target>.rs`), so a fixed crash stays
//! fixed without a nightly toolchain. Inputs are kept hex-encoded (`xxd -p`): a scanner's
//! crash input is often token-shaped, and this repository holds no token-shaped text.

use std::path::PathBuf;

#[allow(dead_code)]
mod reports {
    include!("../fuzz/replay/reports.rs");
}

#[allow(dead_code)]
mod scan {
    include!("../fuzz/replay/scan.rs");
}

fn inputs(target: &str) -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/regressions")
        .join(target);
    let mut found: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    found.retain(|p| p.extension().is_some_and(|e| e == "hex"));
    found.sort();
    assert!(
        !found.is_empty(),
        "no regression inputs in {}",
        dir.display()
    );
    found
}

/// The bytes of a file of hex digits (whitespace ignored), as `xxd -p` writes them.
fn unhex(path: &std::path::Path) -> Vec<u8> {
    let text = std::fs::read_to_string(path).unwrap();
    let digits: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    assert!(
        digits.len().is_multiple_of(2),
        "{}: odd number of hex digits",
        path.display()
    );
    digits
        .chunks(2)
        .map(|pair| {
            u8::from_str_radix(std::str::from_utf8(pair).unwrap(), 16)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        })
        .collect()
}

#[test]
fn report_writer_crashes_stay_fixed() {
    for p in inputs("reports") {
        reports::check(&unhex(&p));
    }
}

#[test]
fn scanner_crashes_stay_fixed() {
    for p in inputs("scan") {
        scan::check(&unhex(&p));
    }
}
