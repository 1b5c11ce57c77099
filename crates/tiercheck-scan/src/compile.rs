//! Compiling rules: a [`RuleSet`] becomes a [`Scanner`] once, with the keyword automaton,
//! the shapes of keyword-less rules' values, and each rule's regex (compiled lazily, the
//! first time a hit needs it).

use std::sync::OnceLock;

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use rayon::prelude::*;
use regex_automata::meta::Regex as BytesRegex;

use crate::prefilter::Prefilter;
use crate::rule::{Allowlist, Category, Rule, RuleSet};
use crate::runs::{RunShape, Runs, min_digits, parse_as_compiled, required_punctuation};
use crate::validators::Check;

/// Rules that cannot be compiled: the message names the rule (or the global allowlist) and
/// says what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompileError(pub String);

impl std::fmt::Display for CompileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CompileError {}

/// One rule, compiled.
pub(crate) struct Compiled {
    pub(crate) id: String,
    pub(crate) category: Category,
    /// The pattern, compiled the first time a hit needs it: most rules never run on a
    /// given tree, and compiling all of them would dominate a small scan.
    pub(crate) pattern: String,
    pub(crate) regex: OnceLock<Result<BytesRegex, String>>,
    /// The pattern with its long bounded repetitions made unbounded (`[\w.-]{0,40}`
    /// becomes `[\w.-]*`), when it has any: it matches wherever the pattern does, and a
    /// lazy DFA runs it fast, where counting to 40 at every offset makes the DFA build
    /// new states all the time. A window it does not match is passed over; `None` when the
    /// pattern has no such repetition.
    pub(crate) gate: Option<(
        regex_syntax::hir::Hir,
        OnceLock<Option<regex_automata::meta::Regex>>,
    )>,
    /// Index of the capture group holding the value (0 = the whole match).
    pub(crate) group: usize,
    pub(crate) prefix: Option<String>,
    pub(crate) entropy: Option<f64>,
    pub(crate) check: Option<Check>,
    pub(crate) near: Option<(usize, u32)>,
    /// Lines after the keyword's line the window reaches.
    pub(crate) lines: u32,
    /// A generic rule gives way to an overlapping finding of a specific one.
    pub(crate) generic: bool,
    /// Rules (indices) that override this one: it gives way to their overlapping findings.
    pub(crate) overridden_by: Vec<usize>,
    /// Whether this rule overrides another (its findings hide overlapping ones of those).
    pub(crate) overrides: bool,
    /// Lines a window reaches on either side of a keyword hit: `near`'s distance or
    /// `lines`, whichever is larger.
    pub(crate) reach: u32,
    /// Byte sets every match holds one of (see [`required_punctuation`]).
    pub(crate) needs: Vec<Vec<u8>>,
    /// Fewest ASCII digits in a match: a window with fewer is passed over.
    pub(crate) digits: usize,
    pub(crate) allow: CompiledAllow,
}

#[derive(Default)]
pub(crate) struct CompiledAllow {
    regexes: Vec<LazyRegex>,
    paths: Option<GlobSet>,
    stopwords: Vec<String>,
}

impl CompiledAllow {
    fn new(a: &Allowlist, owner: &str) -> Result<Self, CompileError> {
        // Callers check patterns with `rule::check_allow_regex` first; one that still fails to
        // compile allows nothing (see `LazyRegex`).
        let regexes = a
            .regexes
            .iter()
            .map(|r| LazyRegex {
                pattern: r.clone(),
                compiled: OnceLock::new(),
            })
            .collect();
        let paths = if a.paths.is_empty() {
            None
        } else {
            Some(
                globs(&a.paths)
                    .map_err(|e| CompileError(format!("invalid allowlist glob in {owner}: {e}")))?,
            )
        };
        Ok(CompiledAllow {
            regexes,
            paths,
            stopwords: a.stopwords.iter().map(|s| s.to_lowercase()).collect(),
        })
    }

    pub(crate) fn path(&self, path: &str) -> bool {
        self.paths.as_ref().is_some_and(|g| g.is_match(path))
    }

    pub(crate) fn value(&self, value: &str, lower: &str, matched: &str) -> bool {
        self.stopwords.iter().any(|s| stopword_in(value, lower, s))
            || self
                .regexes
                .iter()
                .any(|r| r.is_match(value) || r.is_match(matched))
    }
}

/// Whether the stopword `word` (lower case) occurs in `value` (`lower` is its lower case)
/// as a word a person wrote: in one case (`fake`, `FAKE`) or capitalised (`Fake`), not with
/// the mixed case a random token shows by chance (`f7fAKe9` in a 73-character key).
fn stopword_in(value: &str, lower: &str, word: &str) -> bool {
    if value.len() != lower.len() || !word.bytes().any(|b| b.is_ascii_lowercase()) {
        return lower.contains(word);
    }
    lower.match_indices(word).any(|(i, _)| {
        let Some(seen) = value.get(i..i + word.len()) else {
            return true;
        };
        let letters = || seen.bytes().filter(u8::is_ascii_alphabetic);
        letters().all(|b| b.is_ascii_lowercase())
            || letters().all(|b| b.is_ascii_uppercase())
            || (letters().next().is_some_and(|b| b.is_ascii_uppercase())
                && letters().skip(1).all(|b| b.is_ascii_lowercase()))
    })
}

/// An allowlist regex, compiled the first time a candidate reaches it: most never do, and
/// compiling them all (Unicode-aware, dozens per rule set) would dominate a small scan.
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
pub(crate) fn regex_config() -> regex_automata::meta::Config {
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
pub(crate) fn globs(list: &[String]) -> Result<GlobSet, globset::Error> {
    let mut b = GlobSetBuilder::new();
    for g in list {
        b.add(GlobBuilder::new(g).literal_separator(true).build()?);
    }
    b.build()
}

/// A rule set, compiled once; it scans any number of files from any number of threads.
pub struct Scanner {
    pub(crate) rules: Vec<Compiled>,
    /// Keyword (case-insensitive) and digit-group automaton; keyword `i` triggers the
    /// rules in `triggers[i]`.
    pub(crate) prefilter: Prefilter,
    pub(crate) triggers: Vec<Vec<Trigger>>,
    /// Rules with no keywords: they run on every file.
    pub(crate) always: Vec<usize>,
    /// All keyword-less rules as one multi-pattern regex, so that they cost one pass over
    /// a file rather than one each; `None` when they cannot be combined.
    pub(crate) always_set: Option<regex_automata::meta::Regex>,
    /// Every match of every keyword-less rule holds an ASCII digit, so only lines with a
    /// digit need the keyword-less pass.
    pub(crate) always_need_digit: bool,
    /// Lines around a change that [`Scanner::scan_change`] also searches (see
    /// [`Scanner::context_lines`]), worked out once.
    pub(crate) context_lines: usize,
    /// Per keyword-less rule (as in `always`), the shape of its value, so that only runs
    /// of bytes that can hold one are searched; `None` when a rule has no usable shape.
    pub(crate) always_shapes: Option<Runs>,
    /// Rules whose regex parsed but failed to compile (a size limit), with why: reported
    /// as errors of the scan.
    pub(crate) broken: std::sync::Mutex<Vec<(String, String)>>,
    pub(crate) global: CompiledAllow,
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
pub(crate) struct Trigger {
    pub(crate) rule: usize,
    /// The keyword's own spelling, when it must occur with that case in the hit.
    pub(crate) exact: Option<Box<[u8]>>,
}

impl Scanner {
    /// Compiles a rule set: the keyword automaton and each rule's analysis now, each
    /// rule's regex the first time a hit needs it.
    pub fn new(set: &RuleSet) -> Result<Scanner, CompileError> {
        let ids: Vec<&str> = set.rules.iter().map(|r| r.id.as_str()).collect();
        let compile = |r: &Rule| -> Result<(Compiled, regex_syntax::hir::Hir), CompileError> {
            let owner = format!("rule `{}`", r.id);
            let hir = parse_as_compiled(&r.regex)
                .map_err(|e| CompileError(format!("invalid regex in {owner}: {e}")))?;
            let group = value_group(&hir);
            let check = match &r.validate {
                None => None,
                Some(name) => Some(Check::from_name(name).ok_or_else(|| {
                    CompileError(format!("unknown validator `{}` in {owner}", name))
                })?),
            };
            if let Some(n) = &r.near
                && n.lines > crate::rule::MAX_NEAR_LINES
            {
                return Err(CompileError(format!(
                    "{owner} is `near` {} lines, more than the {} a rule may reach",
                    n.lines,
                    crate::rule::MAX_NEAR_LINES
                )));
            }
            if r.lines > crate::rule::MAX_NEAR_LINES {
                return Err(CompileError(format!(
                    "{owner} reaches {} lines, more than the {} a rule may reach",
                    r.lines,
                    crate::rule::MAX_NEAR_LINES
                )));
            }
            let near = match &r.near {
                None => None,
                Some(n) => Some((
                    ids.iter().position(|i| *i == n.rule).ok_or_else(|| {
                        CompileError(format!("{owner} is `near` unknown rule `{}`", n.rule))
                    })?,
                    n.lines,
                )),
            };
            let compiled = Compiled {
                id: r.id.clone(),
                category: r.category,
                pattern: r.regex.clone(),
                regex: OnceLock::new(),
                group,
                prefix: r.prefix.clone().filter(|p| !p.is_empty()),
                entropy: r.entropy,
                check,
                near,
                lines: r.lines,
                generic: r.generic,
                overridden_by: Vec::new(),
                overrides: !r.overrides.is_empty(),
                reach: near.map_or(0, |(_, l)| l).max(r.lines),
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
        for (i, r) in set.rules.iter().enumerate() {
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
                set.rules
                    .par_iter()
                    .map(compile)
                    .collect::<Result<Vec<_>, _>>()
            },
        );
        let mut prefilter = prefilter.map_err(CompileError)?;
        let (mut rules, hirs): (Vec<Compiled>, Vec<_>) = compiled?.into_iter().unzip();
        let context = rules.iter().map(|r| r.reach as usize).max().unwrap_or(0) + 1;
        for (i, r) in set.rules.iter().enumerate() {
            for o in &r.overrides {
                let j = ids.iter().position(|id| id == o).ok_or_else(|| {
                    CompileError(format!("rule `{}` overrides unknown rule `{o}`", r.id))
                })?;
                if !rules[j].overridden_by.contains(&i) {
                    rules[j].overridden_by.push(i);
                }
            }
        }
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
                .map(|&i| set.rules[i].regex.as_str())
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
                .all(|&i| needs_digit_pattern(&set.rules[i].regex));
        Ok(Scanner {
            rules,
            prefilter,
            triggers,
            always,
            always_set,
            always_need_digit,
            context_lines: context,
            always_shapes,
            broken: std::sync::Mutex::new(Vec::new()),
            global: CompiledAllow::new(&set.allowlist, "the global `allowlist`")?,
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
    pub(crate) fn wanted(&self, opts: &crate::ScanOptions, rel_path: &str) -> Vec<bool> {
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::*;

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
}

#[cfg(test)]
mod stopword_tests {
    use super::stopword_in;

    #[test]
    fn a_stopword_counts_as_a_person_writes_it_not_by_chance_in_a_token() {
        let has = |v: &str, w: &str| stopword_in(v, &v.to_lowercase(), w);
        assert!(has("my_fake_token", "fake"));
        assert!(has("FAKE_KEY_123", "fake"));
        assert!(has("ThisIsFakeValue", "fake"));
        assert!(has("your-api-key", "your-"));
        assert!(has("ghp_xxxxxxxxxxxx", "xxxx"));
        assert!(has("1234567890abcdef", "1234567"));
        assert!(!has("AKCpYcWzrkf7fAKe9BdTy", "fake"));
        assert!(!has("Q9sAmPle7", "sample"));
        assert!(has("näme-fake", "fake"));
    }
}
