//! A per-artifact memo so that the several requirements that scan the same files in one
//! run (prompt files for secrets and for personal data, the whole tree for secrets) compile
//! the rules once and read each file set once per category.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use tiercheck_scan::{Category, RuleSet, ScanReport, Scanner};

/// Scan results of one artifact, keyed on scope and category.
#[derive(Default)]
pub struct ScanCache {
    /// The compiled rules; shared by the artifacts of one run (see [`ScanCache::share`]).
    scanner: Arc<ScannerCell>,
    results: Mutex<HashMap<(String, Category), Arc<ScanReport>>>,
    /// A scan of every file of the artifact for every category, when one was made (the
    /// data the files hold); a one-category scan of the same files is derived from it.
    every: OnceLock<EveryCategory>,
}

/// The files scanned for every category, and what the scan found.
pub type EveryCategory = (Vec<PathBuf>, Arc<ScanReport>);

/// Where the compiled scanner is kept once built.
#[derive(Default)]
pub struct ScannerCell(OnceLock<Result<Arc<Scanner>, String>>);

impl std::fmt::Debug for ScanCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScanCache").finish_non_exhaustive()
    }
}

impl ScanCache {
    /// The scanner for `rules`, compiled on first use (every caller passes the same rules:
    /// the policy's).
    pub fn scanner(&self, rules: &RuleSet) -> Result<Arc<Scanner>, String> {
        self.scanner
            .0
            .get_or_init(|| Scanner::new(rules).map(Arc::new).map_err(|e| e.to_string()))
            .clone()
    }

    /// Compiles the rules in `cell`, shared with the other artifacts that use it.
    pub fn share(&mut self, cell: Arc<ScannerCell>) {
        self.scanner = cell;
    }

    /// The scan of `files` for every category, made by `scan` the first time only.
    pub fn every_category(
        &self,
        files: Vec<PathBuf>,
        scan: impl FnOnce(&[PathBuf]) -> ScanReport,
    ) -> Arc<ScanReport> {
        self.every
            .get_or_init(|| {
                let report = Arc::new(scan(&files));
                (files, report)
            })
            .1
            .clone()
    }

    /// That scan and the files it read, if it was made.
    pub fn every_category_made(&self) -> Option<EveryCategory> {
        self.every.get().cloned()
    }

    /// The result for (`scope`, `category`), computed by `scan` the first time only.
    pub fn get_or_scan(
        &self,
        scope: &str,
        category: Category,
        scan: impl FnOnce() -> ScanReport,
    ) -> Arc<ScanReport> {
        // Held while scanning, so a second caller waits for the first result instead of
        // scanning the same files again.
        let mut map = self.results.lock().unwrap_or_else(|p| p.into_inner());
        map.entry((scope.to_string(), category))
            .or_insert_with(|| Arc::new(scan()))
            .clone()
    }
}
