//! Every input a fuzzer found failing is kept in `fuzz/regressions/<target>/` and replayed
//! here through that target's own body (`fuzz/replay/<target>.rs`), so a fixed crash stays
//! fixed without a nightly toolchain.

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
    found.sort();
    assert!(
        !found.is_empty(),
        "no regression inputs in {}",
        dir.display()
    );
    found
}

#[test]
fn report_writer_crashes_stay_fixed() {
    for p in inputs("reports") {
        reports::check(&std::fs::read(&p).unwrap());
    }
}

#[test]
fn scanner_crashes_stay_fixed() {
    for p in inputs("scan") {
        scan::check(&std::fs::read(&p).unwrap());
    }
}
