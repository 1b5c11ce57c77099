//! Compiling rules and scanning bytes and files.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use rayon::prelude::*;
use regex_automata::meta::Regex as BytesRegex;
use sha2::{Digest, Sha256};

use super::cfg::{Allowlist, Category, Pattern};
use super::prefilter::{Hits, Prefilter};
use super::runs::{RunShape, Runs, holds_all, min_digits, parse_as_compiled, required_punctuation};
use super::validators::{Check, shannon_entropy};
use crate::checks::Finding;
use crate::error::ConfigError;
use crate::policy::Policy;

/// Files larger than this are skipped (and reported) unless the caller says otherwise.
/// The largest `--max-file-size` accepted: files are scanned in memory, and the
/// prefilter's run counters assume files under 2 GiB.
pub const MAX_FILE_SIZE_LIMIT: u64 = 1 << 30;

pub const DEFAULT_MAX_FILE_SIZE: u64 = 10 * 1024 * 1024;

/// How much of a file is looked at to decide that it is binary.
pub(crate) const BINARY_PROBE: usize = 8 * 1024;

/// A regex runs on the hit's line, but never more than this many bytes before the hit…
const WINDOW_BEFORE: usize = 512;
/// …nor after it, so a 50 MB minified line costs linear time.
const WINDOW_AFTER: usize = 4 * 1024;

/// How far from a finding `tiercheck:allow` is looked for on a very long line.
const ALLOW_REACH: usize = 64 * 1024;

/// The inline marker that suppresses findings on its line.
pub const ALLOW_MARKER: &str = "tiercheck:allow";

/// What to scan for and how.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// Only rules of this category (all when `None`).
    pub category: Option<Category>,
    /// Values never reported (case-insensitive), such as the manifest's own owner, sponsor
    /// and maintainers.
    pub ignore_values: Vec<String>,
    /// Larger files are skipped and reported.
    pub max_file_size: u64,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            category: None,
            ignore_values: Vec::new(),
            max_file_size: DEFAULT_MAX_FILE_SIZE,
        }
    }
}

/// How much of a file one prefilter search covers: its hits are handled before the next
/// part is searched.
const SEARCH_PART: usize = 256 * 1024;

/// The result of scanning a set of files.
#[derive(Debug, Clone, Default)]
pub struct ScanReport {
    /// Findings sorted by path, line, column and rule.
    pub findings: Vec<Finding>,
    /// Files not scanned, with why (binary, too large, symlink outside the tree).
    pub skipped: Vec<(String, String)>,
    /// Files that could not be read.
    pub errors: Vec<(String, String)>,
    /// How many files were scanned.
    pub files_scanned: u64,
    /// How many bytes were scanned.
    pub bytes_scanned: u64,
}

struct Compiled {
    id: String,
    category: Category,
    /// The pattern, compiled the first time a hit needs it: most rules never run on a
    /// given tree, and compiling all of them would dominate a small scan.
    pattern: String,
    regex: OnceLock<Result<BytesRegex, String>>,
    /// The pattern with its long bounded repetitions made unbounded (`[\w.-]{0,40}`
    /// becomes `[\w.-]*`), when it has any: it matches wherever the pattern does, and a
    /// lazy DFA runs it fast, where counting to 40 at every offset makes the DFA build
    /// new states all the time. A window it does not match is passed over; `None` when the
    /// pattern has no such repetition.
    gate: Option<(
        regex_syntax::hir::Hir,
        OnceLock<Option<regex_automata::meta::Regex>>,
    )>,
    /// Index of the capture group holding the value (0 = the whole match).
    group: usize,
    prefix: Option<String>,
    entropy: Option<f64>,
    check: Option<Check>,
    near: Option<(usize, u32)>,
    /// A generic rule gives way to an overlapping finding of a specific one.
    generic: bool,
    /// Byte sets every match holds one of (see [`required_punctuation`]).
    needs: Vec<Vec<u8>>,
    /// Fewest ASCII digits in a match: a window with fewer is passed over.
    digits: usize,
    allow: CompiledAllow,
}

#[derive(Default)]
struct CompiledAllow {
    regexes: Vec<LazyRegex>,
    paths: Option<GlobSet>,
    stopwords: Vec<String>,
}

impl CompiledAllow {
    fn new(a: &Allowlist, owner: &str) -> Result<Self, ConfigError> {
        // The policy's validation has parsed every pattern; one that still fails to compile
        // allows nothing (see `LazyRegex`).
        let regexes = a
            .regexes
            .iter()
            .map(|r| LazyRegex {
                pattern: r.as_str().to_string(),
                compiled: OnceLock::new(),
            })
            .collect();
        let paths = if a.paths.is_empty() {
            None
        } else {
            Some(globs(&a.paths).map_err(|e| {
                ConfigError::plain(format!("invalid allowlist glob in {owner}: {e}"))
            })?)
        };
        Ok(CompiledAllow {
            regexes,
            paths,
            stopwords: a.stopwords.iter().map(|s| s.to_lowercase()).collect(),
        })
    }

    fn path(&self, path: &str) -> bool {
        self.paths.as_ref().is_some_and(|g| g.is_match(path))
    }

    fn value(&self, value: &str, lower: &str, matched: &str) -> bool {
        self.stopwords.iter().any(|s| lower.contains(s.as_str()))
            || self
                .regexes
                .iter()
                .any(|r| r.is_match(value) || r.is_match(matched))
    }
}

/// An allowlist regex, compiled the first time a candidate reaches it: most never do, and
/// compiling them all (Unicode-aware, dozens per policy) would dominate a small scan.
struct LazyRegex {
    pattern: String,
    /// `None` when the pattern parsed but could not be compiled (a size limit): it then
    /// allows nothing, so a finding is never hidden by a broken exception.
    compiled: OnceLock<Option<BytesRegex>>,
}

impl LazyRegex {
    fn is_match(&self, s: &str) -> bool {
        // Compiled as rule patterns are (ASCII classes unless the pattern needs Unicode):
        // a Unicode-aware `(?i)` pattern costs far more to compile than to run here.
        self.compiled
            .get_or_init(|| compile_rule_regex(&self.pattern).ok())
            .as_ref()
            .is_some_and(|r| r.is_match(s))
    }
}

/// Compiles a rule's regex in ASCII mode (`\w`, `\d`, `\s`, `\b` and `(?i)` cover ASCII
/// only; tokens, keys and numbers are ASCII, and Unicode tables make large, slow automata),
/// falling back to Unicode mode for a pattern that needs it. A rule may turn Unicode on
/// for a part of its pattern with `(?u:...)`.
pub(crate) fn compile_rule_regex(pattern: &str) -> Result<BytesRegex, String> {
    let build = |unicode: bool| {
        regex_automata::meta::Regex::builder()
            .syntax(
                regex_automata::util::syntax::Config::new()
                    .unicode(unicode)
                    .utf8(false),
            )
            .configure(regex_config())
            .build(pattern)
            .map_err(|e| e.to_string())
    };
    build(false).or_else(|_| build(true))
}

/// How rule and allowlist regexes are built: searched with the lazy DFA, their groups read
/// by backtracking. No fully compiled DFA and no one-pass DFA: most run on a few windows
/// only, and building those costs more than it saves there.
fn regex_config() -> regex_automata::meta::Config {
    regex_automata::meta::Config::new()
        .utf8_empty(false)
        .dfa(false)
        .onepass(false)
}

/// `h` with every bounded repetition of 8 or more that may vary made unbounded, and its
/// groups dropped; `None` when nothing changes.
fn relaxed(h: &regex_syntax::hir::Hir) -> Option<regex_syntax::hir::Hir> {
    use regex_syntax::hir::{Hir, HirKind, Repetition};
    fn relax(h: &Hir, changed: &mut bool) -> Hir {
        match h.kind() {
            HirKind::Repetition(r) => {
                let max = match r.max {
                    Some(n) if n >= 8 && n > r.min => {
                        *changed = true;
                        None
                    }
                    m => m,
                };
                Hir::repetition(Repetition {
                    min: r.min,
                    max,
                    greedy: r.greedy,
                    sub: Box::new(relax(&r.sub, changed)),
                })
            }
            HirKind::Capture(c) => relax(&c.sub, changed),
            HirKind::Concat(v) => Hir::concat(v.iter().map(|s| relax(s, changed)).collect()),
            HirKind::Alternation(v) => {
                Hir::alternation(v.iter().map(|s| relax(s, changed)).collect())
            }
            _ => h.clone(),
        }
    }
    let mut changed = false;
    let out = relax(h, &mut changed);
    changed.then_some(out)
}

/// The capture group holding a rule's value: the one named `secret`, else group 1 when
/// there is one, else the whole match (0).
fn value_group(hir: &regex_syntax::hir::Hir) -> usize {
    fn find(h: &regex_syntax::hir::Hir, named: &mut Option<usize>, any: &mut bool) {
        use regex_syntax::hir::HirKind;
        match h.kind() {
            HirKind::Capture(c) => {
                *any = true;
                if c.name.as_deref() == Some("secret") && named.is_none() {
                    *named = Some(c.index as usize);
                }
                find(&c.sub, named, any);
            }
            HirKind::Repetition(r) => find(&r.sub, named, any),
            HirKind::Concat(v) | HirKind::Alternation(v) => {
                v.iter().for_each(|s| find(s, named, any));
            }
            _ => {}
        }
    }
    let (mut named, mut any) = (None, false);
    find(hir, &mut named, &mut any);
    named.unwrap_or(usize::from(any))
}

/// Whether every match of `pattern` (parsed as the scanner compiles it) holds an ASCII
/// digit; `false` when unsure.
fn needs_digit_pattern(pattern: &str) -> bool {
    regex_syntax::ParserBuilder::new()
        .unicode(false)
        .utf8(false)
        .build()
        .parse(pattern)
        .is_ok_and(|h| needs_digit(&h))
}

fn needs_digit(h: &regex_syntax::hir::Hir) -> bool {
    use regex_syntax::hir::{Class, HirKind};
    match h.kind() {
        HirKind::Empty | HirKind::Look(_) => false,
        HirKind::Literal(l) => l.0.iter().any(u8::is_ascii_digit),
        HirKind::Class(Class::Bytes(c)) => {
            !c.ranges().is_empty()
                && c.ranges()
                    .iter()
                    .all(|r| r.start() >= b'0' && r.end() <= b'9')
        }
        HirKind::Class(Class::Unicode(c)) => {
            !c.ranges().is_empty()
                && c.ranges()
                    .iter()
                    .all(|r| r.start() >= '0' && r.end() <= '9')
        }
        HirKind::Repetition(r) => r.min >= 1 && needs_digit(&r.sub),
        HirKind::Capture(c) => needs_digit(&c.sub),
        HirKind::Concat(v) => v.iter().any(needs_digit),
        HirKind::Alternation(v) => v.iter().all(needs_digit),
    }
}

/// Builds a glob set matched against paths relative to the scanned root.
pub(crate) fn globs(list: &[Pattern]) -> Result<GlobSet, globset::Error> {
    let mut b = GlobSetBuilder::new();
    for g in list {
        b.add(
            GlobBuilder::new(g.as_str())
                .literal_separator(true)
                .build()?,
        );
    }
    b.build()
}

/// The rules of a policy, compiled once.
pub struct Scanner {
    rules: Vec<Compiled>,
    /// Keyword (case-insensitive) and digit-group automaton; keyword `i` triggers the
    /// rules in `triggers[i]`.
    prefilter: Prefilter,
    triggers: Vec<Vec<Trigger>>,
    /// Rules with no keywords: they run on every file.
    always: Vec<usize>,
    /// All keyword-less rules as one multi-pattern regex, so that they cost one pass over
    /// a file rather than one each; `None` when they cannot be combined.
    always_set: Option<regex_automata::meta::Regex>,
    /// Every match of every keyword-less rule holds an ASCII digit, so only lines with a
    /// digit need the keyword-less pass.
    always_need_digit: bool,
    /// Per keyword-less rule (as in `always`), the shape of its value, so that only runs
    /// of bytes that can hold one are searched; `None` when a rule has no usable shape.
    always_shapes: Option<Runs>,
    /// Rules whose regex parsed but failed to compile (a size limit), with why: reported
    /// as errors of the scan.
    broken: std::sync::Mutex<Vec<(String, String)>>,
    global: CompiledAllow,
}

impl std::fmt::Debug for Scanner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scanner")
            .field("rules", &self.rules.len())
            .finish()
    }
}

/// A rule that a keyword hit runs.
#[derive(Debug, Clone, PartialEq)]
struct Trigger {
    rule: usize,
    /// The keyword's own spelling, when it must occur with that case in the hit.
    exact: Option<Box<[u8]>>,
}

/// A candidate before filtering: byte offsets into the file.
struct Candidate {
    rule: usize,
    start: usize,
    end: usize,
    value: String,
}

impl Scanner {
    /// Compiles the rules and allowlists of a validated policy.
    pub fn from_policy(policy: &Policy) -> Result<Scanner, ConfigError> {
        let ids: Vec<&str> = policy.rules.iter().map(|r| r.id.value.as_str()).collect();
        let compile =
            |r: &super::RuleDef| -> Result<(Compiled, regex_syntax::hir::Hir), ConfigError> {
                let owner = format!("rule `{}`", r.id.value);
                let hir = parse_as_compiled(&r.regex.value)
                    .map_err(|e| ConfigError::plain(format!("invalid regex in {owner}: {e}")))?;
                let group = value_group(&hir);
                let check = match &r.validate {
                    None => None,
                    Some(name) => Some(Check::from_name(&name.value).ok_or_else(|| {
                        ConfigError::plain(format!("unknown validator `{}` in {owner}", name.value))
                    })?),
                };
                let near = match &r.near {
                    None => None,
                    Some(n) => Some((
                        ids.iter().position(|i| *i == n.rule.value).ok_or_else(|| {
                            ConfigError::plain(format!(
                                "{owner} is `near` unknown rule `{}`",
                                n.rule.value
                            ))
                        })?,
                        n.lines,
                    )),
                };
                let compiled = Compiled {
                    id: r.id.value.clone(),
                    category: r.category,
                    pattern: r.regex.value.clone(),
                    regex: OnceLock::new(),
                    group,
                    prefix: r.prefix.clone().filter(|p| !p.is_empty()),
                    entropy: r.entropy,
                    check,
                    near,
                    generic: r.generic,
                    needs: required_punctuation(&hir),
                    digits: min_digits(&hir),
                    gate: relaxed(&hir).map(|h| (h, OnceLock::new())),
                    allow: CompiledAllow::new(&r.allowlist, &owner)?,
                };
                Ok((compiled, hir))
            };
        let mut words: Vec<String> = Vec::new();
        let mut triggers: Vec<Vec<Trigger>> = Vec::new();
        let mut always = Vec::new();
        for (i, r) in policy.rules.iter().enumerate() {
            if r.keywords.is_empty() {
                always.push(i);
            }
            for k in &r.keywords {
                // A keyword written with an upper-case letter (a vendor prefix such as
                // `AKIA`) matches with that case only.
                let t = Trigger {
                    rule: i,
                    exact: k
                        .bytes()
                        .any(|b| b.is_ascii_uppercase())
                        .then(|| k.as_bytes().into()),
                };
                let k = k.to_ascii_lowercase();
                match words.iter().position(|w| *w == k) {
                    Some(p) => {
                        if !triggers[p].contains(&t) {
                            triggers[p].push(t);
                        }
                    }
                    None => {
                        words.push(k);
                        triggers.push(vec![t]);
                    }
                }
            }
        }
        // The keyword automaton and the rules' patterns are independent: build them side by
        // side (each takes a few milliseconds, which a small scan notices).
        let (prefilter, compiled) = rayon::join(
            || Prefilter::new(&words, None),
            || {
                policy
                    .rules
                    .par_iter()
                    .map(compile)
                    .collect::<Result<Vec<_>, _>>()
            },
        );
        let mut prefilter = prefilter.map_err(ConfigError::plain)?;
        let (rules, hirs): (Vec<Compiled>, Vec<_>) = compiled?.into_iter().unzip();
        let always_shapes = always
            .iter()
            .map(|&i| RunShape::of(&hirs[i], rules[i].group))
            .collect::<Option<Vec<_>>>()
            .and_then(Runs::new);
        if let Some(runs) = &always_shapes {
            prefilter.set_runs(&runs.filter());
        }
        let always_set = if always.len() > 1 && always_shapes.is_none() {
            let pats: Vec<&str> = always
                .iter()
                .map(|&i| policy.rules[i].regex.value.as_str())
                .collect();
            regex_automata::meta::Regex::builder()
                .syntax(
                    regex_automata::util::syntax::Config::new()
                        .unicode(false)
                        .utf8(false),
                )
                .build_many(&pats)
                .ok()
        } else {
            None
        };
        let always_need_digit = !always.is_empty()
            && always
                .iter()
                .all(|&i| needs_digit_pattern(&policy.rules[i].regex.value));
        Ok(Scanner {
            rules,
            prefilter,
            triggers,
            always,
            always_set,
            always_need_digit,
            always_shapes,
            broken: std::sync::Mutex::new(Vec::new()),
            global: CompiledAllow::new(&policy.allowlist, "the global `allowlist`")?,
        })
    }

    /// How many rules the scanner runs.
    pub fn rule_count(&self) -> usize {
        self.rules.len()
    }

    /// Whether the global allowlist excludes `rel_path` from scanning.
    pub fn path_allowed(&self, rel_path: &str) -> bool {
        self.global.path(rel_path)
    }

    /// Which rules a scan with `opts` runs: those of the category and the rules they need
    /// nearby.
    fn wanted(&self, opts: &ScanOptions, rel_path: &str) -> Vec<bool> {
        let mut on: Vec<bool> = self
            .rules
            .iter()
            .map(|r| opts.category.is_none_or(|c| c == r.category) && !r.allow.path(rel_path))
            .collect();
        for i in 0..self.rules.len() {
            if on[i]
                && let Some((n, _)) = self.rules[i].near
            {
                on[n] = !self.rules[n].allow.path(rel_path);
            }
        }
        on
    }

    /// Scans one file's content; `rel_path` names it in findings and selects path
    /// allowlists. Bytes that are not UTF-8 are read lossily.
    pub fn scan_bytes(&self, rel_path: &str, bytes: &[u8], opts: &ScanOptions) -> Vec<Finding> {
        if self.global.path(rel_path) {
            return Vec::new();
        }
        let text = utf8_lossy(bytes);
        self.scan_text(rel_path, &text, opts, &mut Hits::default())
    }

    /// Scans one file's text; `hits` is scratch space, reused from file to file.
    fn scan_text(
        &self,
        rel_path: &str,
        text: &str,
        opts: &ScanOptions,
        hits: &mut Hits,
    ) -> Vec<Finding> {
        let wanted = self.wanted(opts, rel_path);
        let mut cands: Vec<Candidate> = Vec::new();
        // Runs matter only to the keyword-less rules this scan runs.
        let runs = self.always_shapes.is_some() && self.always.iter().any(|&i| wanted[i]);
        // Per rule, the end of the last window it ran on: hits inside it are covered.
        let mut covered = vec![0usize; self.rules.len()];
        // A part at a time, so that a large file's hits never pile up in memory.
        let bytes = text.as_bytes();
        let mut start = 0;
        loop {
            let part = start..(start + SEARCH_PART).min(bytes.len());
            self.prefilter.search(bytes, part.clone(), hits, runs);
            // Without run shapes the keyword-less rules search the whole text, once.
            if self.always_shapes.is_some() || part.start == 0 {
                self.run_always(text, &hits.runs, &wanted, &mut cands);
            }
            for &(start, end, k) in &hits.keywords {
                for t in &self.triggers[k] {
                    let i = t.rule;
                    if !wanted[i] || (covered[i] > 0 && start < covered[i]) {
                        continue;
                    }
                    if let Some(exact) = &t.exact
                        && bytes[start..end] != **exact
                    {
                        continue;
                    }
                    let extra = self.rules[i].near.map_or(0, |(_, lines)| lines);
                    let (ws, we) = window(text, start, end, extra);
                    covered[i] = we;
                    self.run_rule(i, text, ws, we, &mut cands);
                }
            }
            if part.end == bytes.len() {
                break;
            }
            start = part.end;
        }
        if cands.is_empty() {
            return Vec::new();
        }
        cands.sort_by_key(|c| (c.start, c.rule, c.end));
        cands.dedup_by(|a, b| a.start == b.start && a.rule == b.rule);
        self.filter(rel_path, text, cands, opts)
    }

    /// Runs the keyword-less rules: with the combined regex, each of its matches is a hit
    /// on which every such rule runs, as for a keyword hit (a match of one rule can hide an
    /// overlapping match of another from the combined search, not from the window).
    fn run_always(
        &self,
        text: &str,
        run_ends: &[usize],
        wanted: &[bool],
        cands: &mut Vec<Candidate>,
    ) {
        if let Some(shapes) = &self.always_shapes {
            // Only runs of bytes that can make up a value are searched, on their lines.
            let mut covered = vec![0usize; self.always.len()];
            shapes.hits(text.as_bytes(), run_ends, |k, start, end| {
                let i = self.always[k];
                if !wanted[i] || end <= covered[k] {
                    return;
                }
                let (ws, we) = window(text, start, end, 0);
                covered[k] = we;
                self.run_rule(i, text, ws, we, cands);
            });
            return;
        }
        let on: Vec<usize> = self.always.iter().copied().filter(|&i| wanted[i]).collect();
        match &self.always_set {
            Some(set) if on.len() > 1 && self.always_need_digit => {
                // Lines without a digit cannot hold a match: jump from digit to digit and
                // search only the lines around them.
                let bytes = text.as_bytes();
                let mut pos = 0;
                while let Some(d) = bytes[pos..].iter().position(u8::is_ascii_digit) {
                    let d = pos + d;
                    let (ws, we) = window(text, d, d + 1, 0);
                    if set.is_match(&bytes[ws..we]) {
                        for &i in &on {
                            self.run_rule(i, text, ws, we, cands);
                        }
                    }
                    pos = we.max(d + 1);
                }
            }
            Some(set) if on.len() > 1 => {
                let mut covered = 0usize;
                for m in set.find_iter(text.as_bytes()) {
                    if covered > 0 && m.start() < covered {
                        continue;
                    }
                    let (ws, we) = window(text, m.start(), m.end(), 0);
                    covered = we;
                    for &i in &on {
                        self.run_rule(i, text, ws, we, cands);
                    }
                }
            }
            _ => {
                for i in on {
                    self.run_rule(i, text, 0, text.len(), cands);
                }
            }
        }
    }

    fn run_rule(&self, i: usize, text: &str, ws: usize, we: usize, out: &mut Vec<Candidate>) {
        let rule = &self.rules[i];
        let hay = &text.as_bytes()[ws..we];
        if !holds_all(hay, &rule.needs)
            || (rule.digits > 0
                && hay
                    .iter()
                    .filter(|b| b.is_ascii_digit())
                    .take(rule.digits)
                    .count()
                    < rule.digits)
        {
            return;
        }
        if let Some((hir, gate)) = &rule.gate
            && let Some(gate) = gate.get_or_init(|| {
                regex_automata::meta::Regex::builder()
                    .configure(regex_config())
                    .build_from_hir(hir)
                    .ok()
            })
            && !gate.is_match(hay)
        {
            return;
        }
        let regex = rule.regex.get_or_init(|| {
            compile_rule_regex(&rule.pattern).map_err(|e| {
                let why = format!("rule `{}` cannot be compiled: {e}", rule.id);
                self.broken
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push((format!("rule `{}`", rule.id), why.clone()));
                why
            })
        });
        let Ok(regex) = regex else {
            return;
        };
        for caps in regex.captures_iter(hay) {
            let Some(m) = caps
                .get_group(rule.group)
                .or_else(|| caps.get_match().map(|m| m.span()))
                .filter(|m| !m.is_empty())
            else {
                continue;
            };
            // An ASCII-mode match may cut a multi-byte character; widen to whole characters.
            let start = floor_boundary(text, ws + m.start);
            let end = ceil_boundary(text, ws + m.end);
            out.push(Candidate {
                rule: i,
                start,
                end,
                value: text[start..end].to_string(),
            });
        }
    }

    fn filter(
        &self,
        rel_path: &str,
        text: &str,
        cands: Vec<Candidate>,
        opts: &ScanOptions,
    ) -> Vec<Finding> {
        let ignore: Vec<String> = opts
            .ignore_values
            .iter()
            .map(|v| v.trim().to_lowercase())
            .filter(|v| !v.is_empty())
            .collect();
        let mut lines = LineCounter::default();
        // (candidate, line, column)
        let mut kept: Vec<(Candidate, u64, u64)> = Vec::new();
        for c in cands {
            let rule = &self.rules[c.rule];
            if rule.entropy.is_some_and(|e| shannon_entropy(&c.value) < e) {
                continue;
            }
            if let Some(check) = rule.check
                && !check.check(&c.value, text, c.start)
            {
                continue;
            }
            let lower = c.value.to_lowercase();
            if ignore.contains(&lower) {
                continue;
            }
            let (ls, le) = line_bounds(text, c.start, c.end);
            let matched = &text[ls..le];
            if self.global.value(&c.value, &lower, matched)
                || rule.allow.value(&c.value, &lower, matched)
            {
                continue;
            }
            if matched.contains(ALLOW_MARKER) {
                continue;
            }
            let (line, column) = lines.at(text, c.start);
            kept.push((c, line, column));
        }
        // `near`: keep a finding only when one of the other rule lies within N lines.
        let found_lines = |rule: usize| -> Vec<u64> {
            kept.iter()
                .filter(|(c, _, _)| c.rule == rule)
                .map(|(_, l, _)| *l)
                .collect()
        };
        let mut near_ok = vec![true; kept.len()];
        for (k, (c, line, _)) in kept.iter().enumerate() {
            if let Some((other, reach)) = self.rules[c.rule].near {
                near_ok[k] = found_lines(other)
                    .iter()
                    .any(|l| l.abs_diff(*line) <= u64::from(reach));
            }
        }
        // A finding of a specific rule (a vendor's format) hides an overlapping generic
        // finding of the same category on its line: one secret, reported once, by name.
        let reported = |k: usize| {
            near_ok[k]
                && opts
                    .category
                    .is_none_or(|cat| cat == self.rules[kept[k].0.rule].category)
        };
        let shadowed: Vec<bool> = (0..kept.len())
            .map(|k| {
                let (c, line, _) = &kept[k];
                let rule = &self.rules[c.rule];
                if !rule.generic {
                    return false;
                }
                // `kept` is in text order: the findings of a line sit together.
                let first = kept[..k]
                    .iter()
                    .rposition(|x| x.1 != *line)
                    .map_or(0, |j| j + 1);
                let last = kept[k..]
                    .iter()
                    .position(|x| x.1 != *line)
                    .map_or(kept.len(), |j| k + j);
                (first..last).any(|j| {
                    let d = &kept[j].0;
                    let other = &self.rules[d.rule];
                    j != k
                        && reported(j)
                        && !other.generic
                        && other.category == rule.category
                        && d.start < c.end
                        && c.start < d.end
                })
            })
            .collect();
        let keep: Vec<bool> = (0..kept.len())
            .map(|k| reported(k) && !shadowed[k])
            .collect();
        let mut out: Vec<Finding> = kept
            .into_iter()
            .zip(keep)
            .filter(|(_, ok)| *ok)
            .map(|((c, line, column), _)| {
                let rule = &self.rules[c.rule];
                Finding {
                    rule_id: rule.id.clone(),
                    category: rule.category.as_str().to_string(),
                    path: rel_path.to_string(),
                    line,
                    column,
                    redacted: redact(&c.value, rule.prefix.as_deref()),
                    fingerprint: fingerprint(&rule.id, rel_path, &c.value),
                }
            })
            .collect();
        sort_findings(&mut out);
        out
    }

    /// Scans `files` (relative to `root`) in parallel. A file that cannot be read is
    /// reported in `errors` and the scan goes on.
    pub fn scan_files(&self, root: &Path, files: &[PathBuf], opts: &ScanOptions) -> ScanReport {
        let canon_root = std::fs::canonicalize(root).ok();
        let results: Vec<FileResult> = files
            .par_iter()
            .map_init(Scratch::default, |buf, rel| {
                self.scan_file(root, canon_root.as_deref(), rel, opts, buf)
            })
            .collect();
        self.report(results)
    }

    /// Walks `walker` (rooted at `root`) and scans each regular file as the walk finds it,
    /// on the walker's threads, so that reading folders and scanning files overlap. Paths
    /// in findings are relative to `root`; symlinks are not followed (as in
    /// [`crate::walk`]).
    pub fn scan_walk(
        &self,
        root: &Path,
        walker: ignore::WalkBuilder,
        opts: &ScanOptions,
    ) -> ScanReport {
        let results = std::sync::Mutex::new(Vec::new());
        walker.build_parallel().run(|| {
            let mut buf = Scratch::default();
            let results = &results;
            Box::new(move |entry| {
                let r = match entry {
                    Ok(e) => match e.path().strip_prefix(root) {
                        Ok(rel) if e.file_type().is_some_and(|t| t.is_file()) => {
                            let shown = crate::artifact::Artifact::display(rel);
                            Some(if self.global.path(&shown) {
                                FileResult::Allowlisted
                            } else {
                                self.scan_regular(e.path(), shown, opts, &mut buf)
                            })
                        }
                        _ => None,
                    },
                    // A folder that cannot be read: reported, and the walk goes on.
                    Err(err) => {
                        let (path, why) = crate::walk::describe_error(root, &err);
                        Some(FileResult::Error(path, why))
                    }
                };
                if let Some(r) = r {
                    results.lock().unwrap_or_else(|p| p.into_inner()).push(r);
                }
                ignore::WalkState::Continue
            })
        });
        self.report(results.into_inner().unwrap_or_else(|p| p.into_inner()))
    }

    /// Sums up per-file results, in a stable order.
    fn report(&self, results: Vec<FileResult>) -> ScanReport {
        let mut report = ScanReport::default();
        for r in results {
            match r {
                FileResult::Allowlisted => {}
                FileResult::Skipped(p, why) => report.skipped.push((p, why)),
                FileResult::Error(p, e) => report.errors.push((p, e)),
                FileResult::Scanned(bytes, findings) => {
                    report.files_scanned += 1;
                    report.bytes_scanned += bytes;
                    report.findings.extend(findings);
                }
            }
        }
        sort_findings(&mut report.findings);
        report.errors.extend(
            self.broken
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .drain(..),
        );
        report.skipped.sort();
        report.errors.sort();
        report
    }

    fn scan_file(
        &self,
        root: &Path,
        canon_root: Option<&Path>,
        rel: &Path,
        opts: &ScanOptions,
        buf: &mut Scratch,
    ) -> FileResult {
        let shown = crate::artifact::Artifact::display(rel);
        if self.global.path(&shown) {
            return FileResult::Allowlisted;
        }
        let full = root.join(rel);
        let meta = match std::fs::symlink_metadata(&full) {
            Ok(m) => m,
            Err(e) => return FileResult::Error(shown, e.to_string()),
        };
        if meta.file_type().is_symlink() {
            let target = std::fs::canonicalize(&full);
            match (target, canon_root) {
                (Ok(t), Some(r)) if t.starts_with(r) && t.is_file() => {}
                (Ok(t), _) if t.is_dir() => {
                    return FileResult::Skipped(shown, "symlink to a folder".into());
                }
                (Ok(_), _) => {
                    return FileResult::Skipped(shown, "symlink outside the tree".into());
                }
                (Err(e), _) => {
                    return FileResult::Skipped(shown, format!("broken symlink: {e}"));
                }
            }
        } else if meta.is_dir() {
            return FileResult::Skipped(shown, "a folder".into());
        }
        self.scan_regular(&full, shown, opts, buf)
    }

    /// Reads and scans one file known to be a file (or a symlink to one inside the tree).
    fn scan_regular(
        &self,
        full: &Path,
        shown: String,
        opts: &ScanOptions,
        buf: &mut Scratch,
    ) -> FileResult {
        use std::io::Read;
        let file = match std::fs::File::open(full) {
            Ok(f) => f,
            Err(e) => return FileResult::Error(shown, e.to_string()),
        };
        let size = match file.metadata() {
            Ok(m) => m.len(),
            Err(e) => return FileResult::Error(shown, e.to_string()),
        };
        if size > opts.max_file_size {
            return FileResult::Skipped(
                shown,
                format!(
                    "{size} bytes, larger than the {} byte limit",
                    opts.max_file_size
                ),
            );
        }
        // As many bytes as the file has (a file that grows meanwhile is read as it was);
        // the first bytes alone tell a binary file, which is not read further. Reserving
        // the size first makes each part one read.
        let text = &mut buf.text;
        text.clear();
        if text.capacity() < size as usize {
            // A fresh buffer rather than a grown one: growing copies the old content.
            *text = Vec::with_capacity((size as usize).max(2 * text.capacity()));
        }
        // A size of 0 may be a file that does not know its size: read to the limit.
        let limit = opts.max_file_size;
        let mut file = file.take(if size == 0 {
            limit.saturating_add(1)
        } else {
            size
        });
        if let Err(e) = file.by_ref().take(BINARY_PROBE as u64).read_to_end(text) {
            return FileResult::Error(shown, e.to_string());
        }
        if memchr::memchr(0, text).is_some() {
            return FileResult::Skipped(shown, "binary".into());
        }
        if let Err(e) = file.read_to_end(text) {
            return FileResult::Error(shown, e.to_string());
        }
        let bytes = text.len() as u64;
        if bytes > limit {
            return FileResult::Skipped(shown, format!("larger than the {limit} byte limit"));
        }
        let text = utf8_lossy(text);
        let findings = self.scan_text(&shown, &text, opts, &mut buf.hits);
        FileResult::Scanned(bytes, findings)
    }
}

/// What a scanning thread reuses from file to file.
#[derive(Default)]
struct Scratch {
    text: Vec<u8>,
    hits: Hits,
}

enum FileResult {
    Allowlisted,
    Skipped(String, String),
    Error(String, String),
    Scanned(u64, Vec<Finding>),
}

/// `bytes` as text, with bytes that are not UTF-8 replaced; valid UTF-8 (nearly every
/// file) is checked with the standard library's fast path and not copied.
fn utf8_lossy(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(s) => std::borrow::Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

/// Sorts findings by path, line, column and rule, and drops exact repeats.
pub(crate) fn sort_findings(f: &mut Vec<Finding>) {
    f.sort_by(|a, b| {
        (&a.path, a.line, a.column, &a.rule_id).cmp(&(&b.path, b.line, b.column, &b.rule_id))
    });
    f.dedup();
}

fn floor_boundary(text: &str, mut i: usize) -> usize {
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn ceil_boundary(text: &str, mut i: usize) -> usize {
    while !text.is_char_boundary(i) {
        i += 1;
    }
    i
}

/// The window a regex runs on for a keyword hit at `start..end`: the hit's line and
/// `extra` lines on either side (a `near` rule's reach), clamped to `WINDOW_BEFORE` bytes
/// before and `WINDOW_AFTER` bytes after the hit per line of the window.
fn window(text: &str, start: usize, end: usize, extra: u32) -> (usize, usize) {
    let bytes = text.as_bytes();
    let lines = extra as usize + 1;
    let lo = start.saturating_sub(WINDOW_BEFORE * lines);
    let ws = memchr::memrchr_iter(b'\n', &bytes[lo..start])
        .nth(extra as usize)
        .map_or(lo, |i| lo + i + 1);
    let hi = (end + WINDOW_AFTER * lines).min(bytes.len());
    let we = memchr::memchr_iter(b'\n', &bytes[end..hi])
        .nth(extra as usize)
        .map_or(hi, |i| end + i);
    (floor_boundary(text, ws), ceil_boundary(text, we))
}

/// The line(s) holding `start..end`, bounded to `ALLOW_REACH` on either side.
fn line_bounds(text: &str, start: usize, end: usize) -> (usize, usize) {
    let bytes = text.as_bytes();
    let lo = start.saturating_sub(ALLOW_REACH);
    let ls = memchr::memrchr(b'\n', &bytes[lo..start]).map_or(lo, |i| lo + i + 1);
    let hi = (end + ALLOW_REACH).min(bytes.len());
    let le = memchr::memchr(b'\n', &bytes[end..hi]).map_or(hi, |i| end + i);
    (floor_boundary(text, ls), ceil_boundary(text, le))
}

/// Turns byte offsets, visited in increasing order, into 1-based line and column (in
/// characters) without rescanning the text from the start each time.
#[derive(Default)]
struct LineCounter {
    pos: usize,
    line: u64,
    line_start: usize,
    /// Characters from `line_start` to `pos`.
    col_chars: u64,
}

impl LineCounter {
    fn at(&mut self, text: &str, offset: usize) -> (u64, u64) {
        let bytes = text.as_bytes();
        if offset < self.pos {
            // Offsets arrive sorted; restart only if a caller breaks that.
            *self = LineCounter::default();
        }
        let seg = &bytes[self.pos..offset];
        match memchr::memrchr(b'\n', seg) {
            Some(last) => {
                self.line += memchr::memchr_iter(b'\n', seg).count() as u64;
                self.line_start = self.pos + last + 1;
                self.col_chars = text[self.line_start..offset].chars().count() as u64;
            }
            None => self.col_chars += text[self.pos..offset].chars().count() as u64,
        }
        self.pos = offset;
        (self.line + 1, self.col_chars + 1)
    }
}

/// What a report may show of a value: the rule's public prefix (when the value starts with
/// it) and two more characters, then `…`. Short values show fewer characters so that the
/// shown part is never a large share of the secret.
pub fn redact(value: &str, prefix: Option<&str>) -> String {
    let shown_prefix = prefix
        .filter(|p| {
            value.len() >= p.len()
                && value.is_char_boundary(p.len())
                && value[..p.len()].eq_ignore_ascii_case(p)
        })
        .map_or(0, str::len);
    let rest = value[shown_prefix..].chars().count();
    let extra = if rest >= 12 {
        2
    } else if rest >= 6 {
        1
    } else {
        0
    };
    let head: String = value[..shown_prefix]
        .chars()
        .chain(value[shown_prefix..].chars().take(extra))
        .collect();
    format!("{head}…")
}

/// A stable id of a finding for baselines: sha256 over rule, path and value, in hex. The
/// value cannot be recovered from it.
pub fn fingerprint(rule_id: &str, path: &str, value: &str) -> String {
    let mut h = Sha256::new();
    h.update(rule_id.as_bytes());
    h.update([0]);
    h.update(path.as_bytes());
    h.update([0]);
    h.update(value.as_bytes());
    h.finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<String>()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::scan::RuleDef;

    #[derive(serde::Deserialize)]
    struct Rules {
        rules: Vec<RuleDef>,
        #[serde(default)]
        allowlist: Allowlist,
    }

    /// A scanner with only the rules given in YAML (the default policy's rules are dropped,
    /// so these tests do not depend on them).
    pub(crate) fn scanner(yaml: &str) -> Scanner {
        let own: Rules = serde_saphyr::from_str(yaml).unwrap();
        let mut p = crate::policy::load_default().unwrap();
        p.rules = own.rules;
        p.allowlist = own.allowlist;
        Scanner::from_policy(&p).unwrap()
    }

    const GH: &str = r#"
rules:
  - id: gh
    description: t
    category: secret
    regex: '\b(?P<secret>ghp_[A-Za-z0-9]{36})\b'
    keywords: [ghp_]
    prefix: ghp_
"#;

    fn token(seed: u8) -> String {
        let abc = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        let s: String = (0..36u32)
            .map(|i| abc[((i * 7 + u32::from(seed) * 13) % 62) as usize] as char)
            .collect();
        format!("ghp_{s}")
    }

    fn scan(s: &Scanner, text: &str) -> Vec<Finding> {
        s.scan_bytes("f.txt", text.as_bytes(), &ScanOptions::default())
    }

    #[test]
    fn finds_line_and_column_in_characters() {
        let s = scanner(GH);
        let text = format!("first\nnäme = \"{}\"\n", token(1));
        let f = scan(&s, &text);
        assert_eq!(f.len(), 1);
        assert_eq!((f[0].line, f[0].column), (2, 9));
        assert_eq!(f[0].redacted, format!("{}…", &token(1)[..6]));
        assert!(!f[0].redacted.contains(&token(1)[6..]));
    }

    #[test]
    fn keyword_prefilter_is_case_insensitive_and_windows_are_bounded() {
        let s = scanner(GH);
        // Upper-case keyword text still triggers the (case-sensitive) regex's rule run.
        assert!(scan(&s, "GHP_ only").is_empty());
        // Many hits on one huge line: every token is found exactly once.
        let mut line = String::new();
        for i in 0..200u8 {
            line.push_str(&"x".repeat(3000));
            line.push(' ');
            line.push_str(&token(i));
            line.push(' ');
        }
        let f = scan(&s, &line);
        assert_eq!(f.len(), 200);
        assert!(f.iter().all(|x| x.line == 1));
        let cols: Vec<u64> = f.iter().map(|x| x.column).collect();
        let mut sorted = cols.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(cols, sorted);
    }

    #[test]
    fn a_keyword_inside_a_longer_one_still_triggers_its_rule() {
        let s = scanner(
            r#"
rules:
  - id: short
    description: t
    category: secret
    regex: 'key=(\w{8,})'
    keywords: [key]
  - id: long
    description: t
    category: secret
    regex: 'api_key:(\w{8,})'
    keywords: [api_key]
"#,
        );
        let f = scan(&s, "x api_key=Q1w2E3r4T5 api_key:Z9x8C7v6B5\n");
        let ids: Vec<&str> = f.iter().map(|x| x.rule_id.as_str()).collect();
        assert_eq!(ids, ["short", "long"]);
    }

    #[test]
    fn keywordless_rules_share_one_pass_without_hiding_each_other() {
        for (other, text, need_digit) in [
            ("zz\\d", "a 123-456789 b\nzz1\n654321\n", true),
            ("zz[a-z]", "a 123-456789 b\nzzq\n654321\n", false),
        ] {
            let s = scanner(&format!(
                r#"
rules:
  - id: digits
    description: t
    category: pii
    regex: '\b\d{{6}}\b'
  - id: dashed
    description: t
    category: pii
    regex: '\b\d{{3}}-\d{{6}}\b'
  - id: other
    description: t
    category: pii
    regex: '{other}'
"#
            ));
            // With digits needed, the run prefilter; else the combined regex.
            assert_eq!(s.always_shapes.is_some(), need_digit);
            assert_eq!(s.always_set.is_some(), !need_digit);
            assert_eq!(s.always_need_digit, need_digit);
            // `123-456789` holds a `dashed` match and, inside it, a `digits` match.
            let f = scan(&s, text);
            let got: Vec<(&str, u64)> = f.iter().map(|x| (x.rule_id.as_str(), x.line)).collect();
            assert_eq!(
                got,
                [("dashed", 1), ("digits", 1), ("other", 2), ("digits", 3)],
                "{other}"
            );
        }
    }

    #[test]
    fn the_relaxed_gate_matches_wherever_the_pattern_does() {
        let parse = |p: &str| parse_as_compiled(p).unwrap();
        // Short or fixed counts stay as they are.
        assert!(relaxed(&parse(r"[0-9]{1,4}-[a-f]{32}")).is_none());
        let pattern = r"(?i)(?:^|[^a-z])[\w.-]{0,40}?token[\w.-]{0,10}\s*=\s*'(?P<v>[^']{19,249})'";
        let gate = regex_automata::meta::Regex::builder()
            .build_from_hir(&relaxed(&parse(pattern)).unwrap())
            .unwrap();
        let exact = compile_rule_regex(pattern).unwrap();
        let long = "x".repeat(60);
        for hay in [
            "my_token = 'abcdefghijklmnopqrstuvwxyz'",
            "a_very_long_name_for_a_token_x = 'abcdefghijklmnopqrstuvw'",
            "token = 'short'",
            &format!("{long}_token = 'abcdefghijklmnopqrstuvwxyz'"),
            &format!("token = '{long}{long}{long}{long}{long}'"),
        ] {
            if exact.is_match(hay.as_bytes()) {
                assert!(gate.is_match(hay), "{hay}");
            }
        }
        // Wider: it also lets through what only the bounds rule out.
        let far = format!("{long}token = 'abcdefghijklmnopqrstuvwxyz'");
        assert!(gate.is_match(far.as_str()) && !exact.is_match(far.as_bytes()));
    }

    #[test]
    fn digit_analysis_is_conservative() {
        assert!(needs_digit_pattern(r"\b\d{3}-\d{2}-\d{4}\b"));
        assert!(needs_digit_pattern(
            r"(?:^|[^0-9])(4[0-9]{3}|5[1-5][0-9]{2})"
        ));
        assert!(needs_digit_pattern(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{4}"));
        assert!(!needs_digit_pattern(r"[A-Z0-9]{8}"));
        assert!(!needs_digit_pattern(r"a|1"));
        assert!(!needs_digit_pattern(r"\d*x"));
        assert!(!needs_digit_pattern(r"(unclosed"));
    }

    #[test]
    fn a_specific_rule_hides_an_overlapping_generic_finding_on_its_line() {
        let s = scanner(
            r#"
rules:
  - id: vendor
    description: t
    category: secret
    regex: '\b(?P<secret>sk-[A-Za-z0-9]{20})\b'
    keywords: [sk-]
    prefix: sk-
  - id: any-key
    description: t
    category: secret
    generic: true
    regex: '(?i)[a-z_]*key=(?P<secret>\S{20,})'
    keywords: [key]
"#,
        );
        let key = "sk-Ab3dEf6hIj9kLm2nOp5q";
        let other = "Zq8Wx7Yv6Ut5Sr4Qp3On2M";
        let text = format!("OPENAI_API_KEY={key}\nOTHER_KEY={other}\nx={key} y_key={other}\n");
        let f = scan(&s, &text);
        let got: Vec<(&str, u64)> = f.iter().map(|x| (x.rule_id.as_str(), x.line)).collect();
        // Line 1: one secret, reported by the vendor rule only; line 2: nothing specific;
        // line 3: the two findings do not overlap, so both stay.
        assert_eq!(
            got,
            [("vendor", 1), ("any-key", 2), ("vendor", 3), ("any-key", 3)]
        );
    }

    #[test]
    fn hits_close_together_are_not_reported_twice() {
        let s = scanner(GH);
        let text = format!("{} {} {}", token(1), token(2), token(1));
        let f = scan(&s, &text);
        assert_eq!(f.len(), 3);
    }

    #[test]
    fn window_stays_on_the_line() {
        let text = "aaa\nbbb KEY ccc\nddd";
        let (ws, we) = window(text, 8, 11, 0);
        assert_eq!(&text[ws..we], "bbb KEY ccc");
        let (ws, we) = window(text, 8, 11, 1);
        assert_eq!(&text[ws..we], text);
        let five = "1\n2\n3\nKEY\n5\n6\n7";
        let (ws, we) = window(five, 6, 9, 2);
        assert_eq!(&five[ws..we], "2\n3\nKEY\n5\n6");
        let long = "y".repeat(10_000);
        let (ws, we) = window(&long, 5000, 5003, 0);
        assert_eq!((ws, we), (5000 - WINDOW_BEFORE, 5003 + WINDOW_AFTER));
    }

    #[test]
    fn inline_allow_suppresses_only_its_line() {
        let s = scanner(GH);
        let text = format!(
            "a = \"{}\"  # tiercheck:allow\nb = \"{}\"\n",
            token(1),
            token(2)
        );
        let f = scan(&s, &text);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].line, 2);
    }

    #[test]
    fn allowlists_stopwords_regexes_paths() {
        let yaml = format!(
            "{GH}    allowlist:\n      paths: ['fixtures/**']\nallowlist:\n  stopwords: [EXAMPLE]\n  regexes: ['^ghp_A', 'os\\.environ']\n  paths: ['**/*.lock']\n"
        );
        let s = scanner(&yaml);
        let o = ScanOptions::default();
        let t = token(3);
        assert_eq!(s.scan_bytes("a.txt", t.as_bytes(), &o).len(), 1);
        assert!(s.scan_bytes("x/y.lock", t.as_bytes(), &o).is_empty());
        assert!(
            s.scan_bytes("fixtures/a/b.txt", t.as_bytes(), &o)
                .is_empty()
        );
        let stop = format!("ghp_{}example{}", "Q".repeat(10), "z".repeat(19));
        assert_eq!(stop.len(), 40);
        assert!(s.scan_bytes("a.txt", stop.as_bytes(), &o).is_empty());
        let anchored = format!("ghp_A{}", "b".repeat(35));
        assert!(s.scan_bytes("a.txt", anchored.as_bytes(), &o).is_empty());
        let line = format!("k = os.environ.get('X', '{t}')");
        assert!(s.scan_bytes("a.txt", line.as_bytes(), &o).is_empty());
    }

    #[test]
    fn entropy_validator_ignore_values_and_category() {
        let s = scanner(
            r#"
rules:
  - id: pw
    description: t
    category: secret
    regex: 'password\s*=\s*"(\S+)"'
    keywords: [password]
    entropy: 3.0
  - id: card
    description: t
    category: pii
    regex: '\b(?:\d[ -]?){12,18}\d\b'
    validate: luhn
  - id: mail
    description: t
    category: pii
    regex: '[a-z.]+@[a-z.]+'
    keywords: ['@']
"#,
        );
        let text = "password = \"aaaaaaaa\"\npassword = \"Zx9!qL2#vR7t\"\n4539 1488 0343 6467\n4539 1488 0343 6468\njane@corp.example bob@corp.example\n"; // tiercheck:allow
        let all = scan(&s, text);
        let ids: Vec<(&str, u64)> = all.iter().map(|f| (f.rule_id.as_str(), f.line)).collect();
        assert_eq!(ids, [("pw", 2), ("card", 3), ("mail", 5), ("mail", 5)]);
        let o = ScanOptions {
            category: Some(Category::Pii),
            ignore_values: vec!["Jane@Corp.example".into()],
            ..ScanOptions::default()
        };
        let pii = s.scan_bytes("f", text.as_bytes(), &o);
        let ids: Vec<(&str, u64)> = pii.iter().map(|f| (f.rule_id.as_str(), f.line)).collect();
        assert_eq!(ids, [("card", 3), ("mail", 5)]);
        assert_eq!(pii[1].column, 19);
    }

    #[test]
    fn near_needs_the_other_rule_close_by() {
        let s = scanner(
            r#"
rules:
  - id: key-id
    description: t
    category: secret
    regex: '\b(AKIA[A-Z0-9]{16})\b'
    keywords: [AKIA]
  - id: key-secret
    description: t
    category: secret
    regex: '\b([A-Za-z0-9/+]{40})\b'
    keywords: [secret]
    near: {rule: key-id, lines: 2}
"#,
        );
        let secret = "wJalrXUtnFEMIK7MDENGbPxRfiCYzz9a8b7c6d5e"; // tiercheck:allow
        let close = format!("id AKIAQWERTYUIOPASDFGH\nsecret {secret}\n"); // tiercheck:allow
        assert_eq!(scan(&s, &close).len(), 2);
        let far = format!("id AKIAQWERTYUIOPASDFGH\n\n\n\n\nsecret {secret}\n"); // tiercheck:allow
        let f = scan(&s, &far);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].rule_id, "key-id");
        // With only secrets asked for, the paired rule still counts.
        let lone = format!("secret {secret}\n");
        assert!(scan(&s, &lone).is_empty());
        // A paired rule keyed on the other rule's keyword searches `lines` lines around it.
        let s = scanner(
            r#"
rules:
  - id: key-id
    description: t
    category: secret
    regex: '\b(AKIA[A-Z0-9]{16})\b'
    keywords: [AKIA]
  - id: key-secret
    description: t
    category: secret
    regex: '(?:^|[^A-Za-z0-9/+=])([A-Za-z0-9/+]{40})(?:[^A-Za-z0-9/+=]|$)'
    keywords: [AKIA]
    near: {rule: key-id, lines: 3}
"#,
        );
        let before = format!("k = \"{secret}\"\n\nid = AKIAQWERTYUIOPASDFGH\n"); // tiercheck:allow
        let f = scan(&s, &before);
        let got: Vec<(&str, u64)> = f.iter().map(|x| (x.rule_id.as_str(), x.line)).collect();
        assert_eq!(got, [("key-secret", 1), ("key-id", 3)]);
        let after = format!("id = AKIAQWERTYUIOPASDFGH\n\n\nk = {secret}\n"); // tiercheck:allow
        assert_eq!(scan(&s, &after).len(), 2);
        let too_far = format!("id = AKIAQWERTYUIOPASDFGH\n\n\n\nk = {secret}\n"); // tiercheck:allow
        assert_eq!(scan(&s, &too_far).len(), 1);
    }

    #[test]
    fn keywordless_rules_run_everywhere_and_invalid_utf8_is_read() {
        let s = scanner(
            r#"
rules:
  - id: card
    description: t
    category: pii
    regex: '\b(?:\d[ -]?){12,18}\d\b'
    validate: luhn
"#,
        );
        let mut bytes = b"\xff\xfe bad bytes ".to_vec();
        bytes.extend_from_slice(b"4539148803436467\n"); // tiercheck:allow
        let f = s.scan_bytes("f", &bytes, &ScanOptions::default());
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].column, 14);
    }

    #[test]
    fn redaction_never_shows_more_than_prefix_and_two() {
        assert_eq!(
            redact("ghp_abcdefghijklmnopqrstuvwxyz0123456789", Some("ghp_")),
            "ghp_ab…"
        );
        assert_eq!(redact("GHP_abcdefghijklmnop", Some("ghp_")), "GHP_ab…");
        assert_eq!(redact("sk-live-abc", Some("ghp_")), "s…");
        assert_eq!(redact("hunter2!", None), "h…");
        assert_eq!(redact("abc", None), "…");
        assert_eq!(redact("ghp_", Some("ghp_")), "ghp_…");
        assert_eq!(redact("żółw-żółw-żółw", None), "żó…");
    }

    #[test]
    fn line_counter_matches_naive_count() {
        let text = "a\nbé\n\nxyz é q\n";
        let mut lc = LineCounter::default();
        for off in [0, 2, 3, 5, 6, 7, 11, 13] {
            let line = text[..off].matches('\n').count() as u64 + 1;
            let ls = text[..off].rfind('\n').map_or(0, |i| i + 1);
            let col = text[ls..off].chars().count() as u64 + 1;
            assert_eq!(lc.at(text, off), (line, col), "offset {off}");
        }
    }

    #[test]
    fn scan_files_reports_skips_and_errors_and_sorts() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(root.join("b.txt"), token(1)).unwrap();
        std::fs::write(root.join("a.txt"), format!("{}\n{}", token(2), token(3))).unwrap();
        std::fs::write(root.join("bin.dat"), b"\0\0\0ghp_").unwrap();
        std::fs::write(root.join("big.txt"), "z".repeat(2000)).unwrap();
        let files: Vec<PathBuf> = ["b.txt", "a.txt", "bin.dat", "big.txt", "gone.txt"]
            .iter()
            .map(PathBuf::from)
            .collect();
        let s = scanner(GH);
        let o = ScanOptions {
            max_file_size: 1000,
            ..ScanOptions::default()
        };
        let r = s.scan_files(root, &files, &o);
        let got: Vec<(&str, u64)> = r
            .findings
            .iter()
            .map(|f| (f.path.as_str(), f.line))
            .collect();
        assert_eq!(got, [("a.txt", 1), ("a.txt", 2), ("b.txt", 1)]);
        assert_eq!(r.files_scanned, 2);
        assert_eq!(r.skipped.len(), 2);
        assert_eq!(r.skipped[0].0, "big.txt");
        assert_eq!(r.skipped[1], ("bin.dat".to_string(), "binary".to_string()));
        assert_eq!(r.errors.len(), 1);
        assert_eq!(r.errors[0].0, "gone.txt");
    }
}
