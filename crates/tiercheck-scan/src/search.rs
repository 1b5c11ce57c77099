//! Searching one text: the prefilter's keyword hits and value-shaped runs become windows,
//! and each triggered rule's regex runs on its window only, giving candidates.

use crate::Finding;
use crate::ScanOptions;
use crate::compile::{Scanner, compile_rule_regex, regex_config};
use crate::decide::Candidate;
use crate::prefilter::Hits;
use crate::runs::holds_all;

/// A regex runs on the hit's line, but never more than this many bytes before the hit…
pub(crate) const WINDOW_BEFORE: usize = 512;
/// …nor after it, so a 50 MB minified line costs linear time.
pub(crate) const WINDOW_AFTER: usize = 4 * 1024;

/// How much of a file one prefilter search covers: its hits are handled before the next
/// part is searched.
const SEARCH_PART: usize = 256 * 1024;

impl Scanner {
    /// Scans one file's text; `hits` is scratch space, reused from file to file.
    pub(crate) fn scan_text(
        &self,
        rel_path: &str,
        text: &str,
        opts: &ScanOptions,
        hits: &mut Hits,
    ) -> Vec<Finding> {
        self.scan_text_spans(rel_path, text, opts, hits)
            .into_iter()
            .map(|(_, f)| f)
            .collect()
    }

    /// [`Scanner::scan_text`], with the byte span of each finding's value: the values as
    /// written, and the values a Kubernetes Secret's `data:` holds in base64, each scanned
    /// decoded as the line `secret_KEY=value` and reported (and spanned) at the encoded
    /// value.
    pub(crate) fn scan_text_spans(
        &self,
        rel_path: &str,
        text: &str,
        opts: &ScanOptions,
        hits: &mut Hits,
    ) -> Vec<(std::ops::Range<usize>, Finding)> {
        self.scan_text_within(rel_path, text, opts, hits, 0..text.len())
    }

    /// [`Scanner::scan_text_spans`], where only keyword hits and value-shaped runs that
    /// start inside `within` trigger rules. Windows, regexes, lines, columns and
    /// fingerprints still see the whole text, so a finding found this way is the one a
    /// scan of the whole text gives.
    pub(crate) fn scan_text_within(
        &self,
        rel_path: &str,
        text: &str,
        opts: &ScanOptions,
        hits: &mut Hits,
        within: std::ops::Range<usize>,
    ) -> Vec<(std::ops::Range<usize>, Finding)> {
        let mut found = self.scan_plain_spans(rel_path, text, opts, hits, within);
        let encoded = crate::decoded::k8s_secret_data(text);
        if encoded.is_empty() {
            return found;
        }
        let mut decoded: Vec<(std::ops::Range<usize>, Finding)> = Vec::new();
        for e in encoded {
            let Some(plain) = crate::decoded::decode(e.value) else {
                continue;
            };
            // A Secret's data is secret by declaration: each value is read as if its name
            // said so, so that a credential-like value is found under a plain name (`key`).
            let line = format!("secret_{}={}\n", e.key, plain);
            for (_, mut f) in self.scan_plain_spans(rel_path, &line, opts, hits, 0..line.len()) {
                if f.line != 1 {
                    continue;
                }
                f.line = e.line;
                f.column = e.column;
                f.end_line = e.line;
                f.end_column = e.column + e.value.chars().count() as u64;
                decoded.push((e.offset..e.offset + e.value.len(), f));
            }
        }
        // What the decoded value shows replaces what its encoded form looked like (a
        // generic rule's "high-entropy value"): one value, one finding per rule.
        let at: std::collections::HashSet<(u64, u64)> =
            decoded.iter().map(|(_, f)| (f.line, f.column)).collect();
        found.retain(|(_, f)| !at.contains(&(f.line, f.column)));
        found.extend(decoded);
        found.sort_by(|(_, a), (_, b)| {
            (&a.path, a.line, a.column, &a.rule_id).cmp(&(&b.path, b.line, b.column, &b.rule_id))
        });
        found.dedup_by(|(_, a), (_, b)| {
            (a.line, a.column, &a.rule_id) == (b.line, b.column, &b.rule_id)
        });
        found
    }

    /// The findings of the text as written, with the byte span of each value.
    fn scan_plain_spans(
        &self,
        rel_path: &str,
        text: &str,
        opts: &ScanOptions,
        hits: &mut Hits,
        within: std::ops::Range<usize>,
    ) -> Vec<(std::ops::Range<usize>, Finding)> {
        let wanted = self.wanted(opts, rel_path);
        let mut cands: Vec<Candidate> = Vec::new();
        // Runs matter only to the keyword-less rules this scan runs.
        let runs = self.always_shapes.is_some() && self.always.iter().any(|&i| wanted[i]);
        // Per rule, the end of the last window it ran on: hits inside it are covered.
        let mut covered = vec![0usize; self.rules.len()];
        // A part at a time, so that a large file's hits never pile up in memory.
        let bytes = text.as_bytes();
        let end = within.end.min(bytes.len());
        let mut start = within.start.min(end);
        loop {
            let part = start..(start + SEARCH_PART).min(end);
            self.prefilter.search(bytes, part.clone(), hits, runs);
            // Without run shapes the keyword-less rules search the whole text, once.
            if self.always_shapes.is_some() || part.start == within.start {
                self.run_always(text, &hits.runs, &wanted, &mut cands);
            }
            for &(start, end, k) in &hits.keywords {
                for t in &self.triggers[k] {
                    let i = t.rule;
                    // A hit inside the last window the rule ran on is covered, unless the
                    // rule reaches lines below its keyword (`lines`): then its own window
                    // may reach further than the last one did.
                    if !wanted[i]
                        || (covered[i] > 0 && start < covered[i] && self.rules[i].lines == 0)
                    {
                        continue;
                    }
                    if let Some(exact) = &t.exact
                        && bytes[start..end] != **exact
                    {
                        continue;
                    }
                    let extra = self.rules[i].reach;
                    let (ws, we) = window(text, start, end, extra);
                    if covered[i] > 0 && we <= covered[i] {
                        continue;
                    }
                    covered[i] = we;
                    self.run_rule(i, text, ws, we, &mut cands);
                }
            }
            if part.end == end {
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
}

pub(crate) fn floor_boundary(text: &str, mut i: usize) -> usize {
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

pub(crate) fn ceil_boundary(text: &str, mut i: usize) -> usize {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::*;

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
    fn hits_close_together_are_not_reported_twice() {
        let s = scanner(GH);
        let text = format!("{} {} {}", token(1), token(2), token(1));
        let f = scan(&s, &text);
        assert_eq!(f.len(), 3);
    }

    /// A rule reaching lines below its keyword runs again for a hit inside its last window
    /// when the hit's own window reaches further: two pairs in a row are both found.
    #[test]
    fn a_rule_reaching_below_sees_the_second_of_two_close_pairs() {
        let s = scanner(
            r#"
rules:
  - id: pair
    description: t
    category: secret
    regex: 'name: secret\r?\n[ \t]*value: (?P<secret>[a-z0-9]{12})'
    keywords: ['name:']
    lines: 2
"#,
        );
        let text = "name: secret\nvalue: abcdef123456\nname: secret\nvalue: zyxwvu987654\n";
        let lines: Vec<u64> = scan(&s, text).iter().map(|f| f.line).collect();
        assert_eq!(lines, [2, 4]);
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
        // Assembled at run time, so the repository holds no card number whole.
        bytes.extend_from_slice(format!("{}{}\n", "45391488", "03436467").as_bytes());
        let f = s.scan_bytes("f", &bytes, &ScanOptions::default());
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].column, 14);
    }
}
