//! One piece of content (a file's bytes, a git blob, standard input): the one interface
//! every source of content goes through, so the tree scan and the history scan decide
//! binary and text the same way.

use std::ops::Range;

use crate::Finding;
use crate::compile::Scanner;
use crate::prefilter::Hits;
use crate::rule::Category;
use crate::tree::DEFAULT_MAX_FILE_SIZE;

/// How much of the content is looked at to decide that it is binary.
pub const BINARY_PROBE: usize = 8 * 1024;

/// What to scan for and how.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// Only rules of this category (all when `None`).
    pub category: Option<Category>,
    /// Values that personal-data rules never report (case-insensitive), such as the
    /// addresses of the people who own the code. Credentials are reported whatever this
    /// says.
    pub ignore_values: Vec<String>,
    /// Larger files are skipped and reported.
    pub max_file_size: u64,
    /// Whether the inline allow marker ([`crate::ALLOW_MARKER`]) hides the findings near
    /// it; when not, they are reported with [`Finding::marked_allowed`] set.
    pub honour_allow_marker: bool,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            category: None,
            ignore_values: Vec::new(),
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            honour_allow_marker: true,
        }
    }
}

/// What a thread reuses from one piece of content to the next (the prefilter's hit lists),
/// so that scanning many small files allocates little.
#[derive(Debug, Default)]
pub struct Scratch {
    pub(crate) hits: Hits,
}

/// What scanning one piece of content gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    /// A NUL byte in its first [`BINARY_PROBE`] bytes: not text, not scanned.
    Binary,
    /// Scanned; the findings, sorted.
    Scanned(Vec<Finding>),
}

/// Whether content starting with `head` is binary (a NUL byte in its first
/// [`BINARY_PROBE`] bytes).
pub fn is_binary(head: &[u8]) -> bool {
    memchr::memchr(0, &head[..head.len().min(BINARY_PROBE)]).is_some()
}

impl Scanner {
    /// Scans one piece of content; `path` names it in findings, selects rules' path
    /// allowlists and goes into fingerprints. Bytes that are not UTF-8 are read lossily.
    /// The global path allowlist is the caller's to apply, with [`Scanner::path_allowed`],
    /// before it reads the content, so that an allowlisted file is never read.
    pub fn scan_content(
        &self,
        path: &str,
        bytes: &[u8],
        opts: &ScanOptions,
        scratch: &mut Scratch,
    ) -> Content {
        if is_binary(bytes) {
            return Content::Binary;
        }
        let text = utf8_lossy(bytes);
        Content::Scanned(self.scan_text(path, &text, opts, &mut scratch.hits))
    }

    /// Scans `after`, a new version of content whose previous version was `before` (a file's
    /// blob and its parent commit's blob at the same path), only where it changed: the lines
    /// between the first and the last that differ, widened by [`Scanner::context_lines`] on
    /// each side so that a rule reaching over several lines (a `near` pair, a private key's
    /// first line) still sees a change next to it. Findings there are reported exactly as a
    /// scan of the whole of `after` reports them (windows, lines, columns and fingerprints
    /// see the whole text); findings on the lines kept from `before` are not reported again.
    pub fn scan_change(
        &self,
        path: &str,
        before: &[u8],
        after: &[u8],
        opts: &ScanOptions,
        scratch: &mut Scratch,
    ) -> Content {
        if is_binary(after) {
            return Content::Binary;
        }
        let text = utf8_lossy(after);
        let old = utf8_lossy(before);
        let region = changed_region(old.as_bytes(), text.as_bytes(), self.context_lines);
        Content::Scanned(
            self.scan_text_within(path, &text, opts, &mut scratch.hits, region)
                .into_iter()
                .map(|(_, f)| f)
                .collect(),
        )
    }

    /// How many lines around a change [`Scanner::scan_change`] also searches: the widest
    /// reach of any rule (a `near` rule's distance, a rule's `lines`), plus one.
    pub fn context_lines(&self) -> usize {
        self.context_lines
    }

    /// Scans text that is known not to be binary, with the global path allowlist applied:
    /// the simplest way in (snippets, one value, tests).
    pub fn scan_bytes(&self, path: &str, bytes: &[u8], opts: &ScanOptions) -> Vec<Finding> {
        if self.path_allowed(path) {
            return Vec::new();
        }
        let text = utf8_lossy(bytes);
        self.scan_text(path, &text, opts, &mut Hits::default())
    }
}

impl Scanner {
    /// `text` with every value a rule would report replaced by its redacted form: for text
    /// that came from the scanned repository (a commit subject, a configuration value, a line
    /// quoted in an error) on its way to any output. Text with nothing to hide is returned
    /// as it is, without a copy.
    pub fn redact_text<'t>(&self, text: &'t str) -> std::borrow::Cow<'t, str> {
        if text.is_empty() {
            return std::borrow::Cow::Borrowed(text);
        }
        // A terminal escape sequence is not text: `ESC[2J` before a token must not glue its
        // final letter to the token and hide it from rules that want a word boundary, so
        // the text is also scanned with its escapes blanked out.
        // The text as it is is scanned too: a value may also span an escape.
        let opts = ScanOptions::default();
        let mut spans = self.scan_text_spans("", text, &opts, &mut Hits::default());
        if let std::borrow::Cow::Owned(masked) = mask_escapes(text) {
            spans.extend(self.scan_text_spans("", &masked, &opts, &mut Hits::default()));
        }
        if spans.is_empty() {
            return std::borrow::Cow::Borrowed(text);
        }
        let mut ranges: Vec<(std::ops::Range<usize>, String)> =
            spans.into_iter().map(|(r, f)| (r, f.redacted)).collect();
        // A value found once is hidden wherever else it occurs in the text, even where no
        // rule would report it there (a second copy in a trailing comment, say).
        let mut values: Vec<(std::ops::Range<usize>, String)> = ranges.clone();
        values.sort_by(|a, b| text[a.0.clone()].cmp(&text[b.0.clone()]));
        values.dedup_by(|a, b| text[a.0.clone()] == text[b.0.clone()]);
        for (r, shown) in values {
            let value = &text.as_bytes()[r];
            if value.len() < 4 {
                continue;
            }
            for at in memchr::memmem::find_iter(text.as_bytes(), value) {
                let again = at..at + value.len();
                if text.is_char_boundary(again.start) && text.is_char_boundary(again.end) {
                    ranges.push((again, shown.clone()));
                }
            }
        }
        ranges.sort_by_key(|(r, _)| (r.start, std::cmp::Reverse(r.end)));
        ranges.dedup_by(|a, b| a.0 == b.0);
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        for (r, shown) in ranges {
            // Overlapping findings (two rules on one value): the first, widest one covers.
            if r.start < at {
                continue;
            }
            out.push_str(&text[at..r.start]);
            out.push_str(&shown);
            at = r.end;
        }
        out.push_str(&text[at..]);
        std::borrow::Cow::Owned(out)
    }

    /// [`Scanner::redact_text`] on a string in place.
    pub fn redact_in_place(&self, text: &mut String) {
        if let std::borrow::Cow::Owned(r) = self.redact_text(text) {
            *text = r;
        }
    }

    /// [`Scanner::redact_text`] on the paths of `findings` (a file named after a token is
    /// shown with it redacted, as its content is); each distinct path is looked at once.
    pub fn redact_paths(&self, findings: &mut [Finding]) {
        let mut seen: std::collections::HashMap<String, String> = std::collections::HashMap::new();
        for f in findings {
            if let Some(r) = seen.get(&f.path) {
                f.path.clone_from(r);
                continue;
            }
            let before = f.path.clone();
            self.redact_in_place(&mut f.path);
            seen.insert(before, f.path.clone());
        }
    }
}

/// `text` with each terminal escape sequence (ESC, then a CSI's `[`, parameters and final
/// byte, or one other character) turned into spaces of the same length, so that byte
/// offsets in the result are offsets in `text`. Only ASCII bytes are replaced.
/// The byte range of `after` that differs from `before`, in whole lines, widened by
/// `context` lines on each side: the common prefix and suffix (whole lines of each) are
/// left out. Identical texts give an empty range.
pub(crate) fn changed_region(before: &[u8], after: &[u8], context: usize) -> Range<usize> {
    let limit = before.len().min(after.len());
    let mut p = before
        .iter()
        .zip(after)
        .position(|(a, b)| a != b)
        .unwrap_or(limit);
    if p == limit && before.len() == after.len() {
        return after.len()..after.len();
    }
    // Back to the start of the line the first difference is on.
    p = memchr::memrchr(b'\n', &after[..p]).map_or(0, |i| i + 1);
    // The common suffix may not overlap the common prefix in either text.
    let room = limit - p;
    let s = before
        .iter()
        .rev()
        .zip(after.iter().rev())
        .take(room)
        .position(|(a, b)| a != b)
        .unwrap_or(room);
    // Forward to the end of the line the last difference is on (its newline included).
    let mut e = after.len() - s;
    e = memchr::memchr(b'\n', &after[e..]).map_or(after.len(), |i| e + i + 1);
    // Widen by `context` lines each way.
    let mut start = p;
    for _ in 0..context {
        if start == 0 {
            break;
        }
        start = memchr::memrchr(b'\n', &after[..start - 1]).map_or(0, |i| i + 1);
    }
    let mut end = e;
    for _ in 0..context {
        if end >= after.len() {
            break;
        }
        end = memchr::memchr(b'\n', &after[end..]).map_or(after.len(), |i| end + i + 1);
    }
    start..end.max(start)
}

fn mask_escapes(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains('\u{1b}') {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut bytes = text.as_bytes().to_vec();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != 0x1b {
            i += 1;
            continue;
        }
        bytes[i] = b' ';
        i += 1;
        if i < bytes.len() && bytes[i] == b'[' {
            bytes[i] = b' ';
            i += 1;
            while i < bytes.len() && (0x20..=0x3f).contains(&bytes[i]) {
                bytes[i] = b' ';
                i += 1;
            }
            if i < bytes.len() && (0x40..=0x7e).contains(&bytes[i]) {
                bytes[i] = b' ';
                i += 1;
            }
        } else if i < bytes.len() && bytes[i].is_ascii() {
            bytes[i] = b' ';
            i += 1;
        }
    }
    // Only ASCII bytes were replaced by ASCII, so the text is still UTF-8.
    std::borrow::Cow::Owned(String::from_utf8(bytes).unwrap_or_else(|_| text.to_string()))
}

/// `bytes` as text, with bytes that are not UTF-8 replaced; valid UTF-8 (nearly every
/// file) is checked with the standard library's fast path and not copied.
fn utf8_lossy(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(s) => std::borrow::Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

#[cfg(test)]
mod tests {
    use crate::test_support::*;
    use crate::{Content, Scratch};
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// A finding's fingerprint (what baselines and code-scanning alerts match on)
        /// depends on rule, path, the text around the value on its line and (8 bits of) the
        /// value, never on where in the file that line sits, and is never a plain hash of
        /// the value; its redacted form never shows more than the prefix and two characters.
        #[test]
        fn fingerprints_survive_moving_a_finding(
            before in proptest::collection::vec("[a-z =#]{0,40}", 0..20),
            after in "[a-z ]{0,20}",
            seed in 0u8..50,
        ) {
            let s = scanner(GH);
            let t = token(seed);
            let line = format!("key = {t} {after}");
            let at_top = scan(&s, &format!("{line}\n"));
            let moved = scan(&s, &format!("{}\n{line}\n", before.join("\n")));
            prop_assert_eq!(at_top.len(), 1);
            prop_assert_eq!(moved.len(), 1);
            prop_assert_eq!(&at_top[0].fingerprint, &moved[0].fingerprint);
            prop_assert!(at_top[0].fingerprint.starts_with("c1:"));
            prop_assert_ne!(
                &at_top[0].fingerprint[3..],
                crate::fingerprint(&at_top[0].rule_id, &at_top[0].path, &t)
            );
            prop_assert!(moved[0].redacted.chars().count() <= "ghp_".len() + 2 + 1);
            let shown = s.redact_text(&format!("x {} y", t)).into_owned();
            prop_assert!(!shown.contains(&t[6..]), "{}", shown);
        }
    }

    /// The lines of a file for [`scanning_a_change_finds_what_the_change_brought`]: line `k`
    /// holds a token when `k` is a multiple of 3, with a context of its own.
    fn numbered(ids: &[u8]) -> String {
        ids.iter()
            .map(|&k| {
                if k % 3 == 0 {
                    format!("k{k} = \"{}\"\n", token(k))
                } else {
                    format!("line {k}\n")
                }
            })
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        /// Scanning only what changed (`scan_change`) reports exactly the findings of the
        /// new version that the old version did not hold (by fingerprint), at the lines,
        /// columns and fingerprints a scan of the whole new version gives.
        #[test]
        fn scanning_a_change_finds_what_the_change_brought(
            n in 0u8..40,
            cut in (0u8..40, 0u8..40),
            inserted in proptest::collection::vec(41u8..90, 0..6),
        ) {
            let s = scanner(GH);
            let before: Vec<u8> = (0..n).collect();
            let (a, b) = (cut.0.min(cut.1).min(n) as usize, cut.0.max(cut.1).min(n) as usize);
            let mut inserted = inserted;
            inserted.sort();
            inserted.dedup();
            let after: Vec<u8> = before[..a]
                .iter()
                .chain(&inserted)
                .chain(&before[b..])
                .copied()
                .collect();
            let (old, new) = (numbered(&before), numbered(&after));
            let key = |f: &Finding| (f.line, f.column, f.rule_id.clone(), f.fingerprint.clone());
            let whole_old: std::collections::HashSet<String> =
                scan(&s, &old).into_iter().map(|f| f.fingerprint).collect();
            let expected: Vec<_> = scan(&s, &new)
                .iter()
                .filter(|f| !whole_old.contains(&f.fingerprint))
                .map(key)
                .collect();
            let Content::Scanned(got) = s.scan_change(
                "f.txt",
                old.as_bytes(),
                new.as_bytes(),
                &ScanOptions::default(),
                &mut Scratch::default(),
            ) else {
                panic!("binary");
            };
            let whole_new: Vec<_> = scan(&s, &new).iter().map(key).collect();
            for f in &got {
                prop_assert!(whole_new.contains(&key(f)), "{:?} is not a finding of the whole text", key(f));
            }
            for e in &expected {
                prop_assert!(got.iter().any(|f| key(f) == *e), "missed {:?}", e);
            }
        }
    }

    #[test]
    fn the_changed_region_is_whole_lines_with_context() {
        let r = |a: &str, b: &str, c| {
            let x = super::changed_region(a.as_bytes(), b.as_bytes(), c);
            b[x].to_string()
        };
        assert_eq!(r("a\nb\nc\n", "a\nb\nc\n", 1), "");
        assert_eq!(r("a\nb\nc\n", "a\nX\nc\n", 0), "X\n");
        assert_eq!(r("a\nb\nc\n", "a\nbX\nc\n", 0), "bX\n");
        assert_eq!(r("a\nb\nc\nd\ne\n", "a\nb\nX\nd\ne\n", 1), "b\nX\nd\n");
        assert_eq!(r("a\nb\n", "a\nb\nc", 0), "c");
        assert_eq!(r("", "new\n", 3), "new\n");
        // A deletion leaves the lines around it to search (a pair brought together).
        assert_eq!(r("a\nb\nc\n", "a\nc\n", 1), "a\nc\n");
        // A repeated line: prefix and suffix never overlap.
        assert_eq!(r("a\na\n", "a\na\na\n", 0), "a\n");
    }

    /// A pair rule whose two halves sit lines apart: a change to one half is searched with
    /// the other in reach.
    #[test]
    fn a_change_next_to_a_pair_still_finds_the_pair() {
        let yaml = format!(
            "{GH}  - id: pair\n    description: t\n    category: secret\n    regex: '\\b(?P<secret>zz[0-9]{{8}})\\b'\n    keywords: [zz]\n    near: {{rule: gh, lines: 4}}\n"
        );
        let s = scanner(&yaml);
        assert_eq!(s.context_lines(), 5);
        let old = format!("id = {}\na\nb\nc\nold = zz1234567\n", token(1));
        let new = format!("id = {}\na\nb\nc\nold = zz12345678\n", token(1));
        let Content::Scanned(got) = s.scan_change(
            "f.txt",
            old.as_bytes(),
            new.as_bytes(),
            &ScanOptions::default(),
            &mut Scratch::default(),
        ) else {
            panic!("binary");
        };
        let ids: Vec<&str> = got.iter().map(|f| f.rule_id.as_str()).collect();
        assert!(ids.contains(&"pair"), "{ids:?}");
    }

    #[test]
    fn a_new_value_in_the_same_place_has_a_new_fingerprint() {
        let s = scanner(GH);
        // Of 40 replacement values, the 8 bits of the value tell all but about 1 in 256
        // apart from the first; the text around them is the same.
        let first = scan(&s, &format!("key = {}\n", token(0)))[0]
            .fingerprint
            .clone();
        let same = (1..40u8)
            .filter(|i| scan(&s, &format!("key = {}\n", token(*i)))[0].fingerprint == first)
            .count();
        assert!(same <= 1, "{same} of 39 new values kept the fingerprint");
        // A neighbour's value on the line is masked too: changing it leaves this
        // finding's fingerprint alone, so no fingerprint carries another value.
        let a = scan(&s, &format!("a = {} b = {}\n", token(5), token(6)));
        let b = scan(&s, &format!("a = {} b = {}\n", token(5), token(7)));
        assert_eq!(a.len(), 2);
        assert_eq!(a[0].fingerprint, b[0].fingerprint);
        // Two equal lines in one file are two findings with two fingerprints.
        let twice = scan(&s, &format!("key = {t}\nkey = {t}\n", t = token(3)));
        assert_eq!(twice.len(), 2);
        assert_ne!(twice[0].fingerprint, twice[1].fingerprint);
    }

    #[test]
    fn redact_text_hides_every_reported_value_and_keeps_the_rest() {
        let s = scanner(GH);
        let (a, b) = (token(1), token(2));
        let text = format!("env GITHUB_TOKEN={a} npx server --key {b} done");
        let out = s.redact_text(&text);
        assert_eq!(
            out,
            format!(
                "env GITHUB_TOKEN={}… npx server --key {}… done",
                &a[..6],
                &b[..6]
            )
        );
        assert!(!out.contains(&a[6..]) && !out.contains(&b[6..]));
        let plain = "nothing to see here";
        assert!(matches!(
            s.redact_text(plain),
            std::borrow::Cow::Borrowed(_)
        ));
        assert_eq!(s.redact_text(""), "");
    }

    #[test]
    fn redact_text_sees_a_token_behind_a_terminal_escape() {
        let s = scanner(GH);
        let t = token(3);
        for text in [
            format!("evil\n\u{1b}[2J{t}.env"),
            format!("\u{1b}[1;31m{t}\u{1b}[0m"),
            format!("\u{1b}M{t}"),
        ] {
            let out = s.redact_text(&text);
            assert!(!out.contains(&t[6..]), "{out:?}");
            assert!(
                out.contains('\u{1b}'),
                "the escape itself is left for the output to show"
            );
        }
    }

    #[test]
    fn redact_text_hides_every_copy_of_a_found_value() {
        let s = scanner(GH);
        let t = token(4);
        // The second copy sits where the rule would not report it (glued to a word).
        let text = format!("key {t} and again x{t}y");
        let out = s.redact_text(&text);
        assert_eq!(out.matches(&t[6..]).count(), 0, "{out}");
        assert!(out.starts_with("key ghp_"), "{out}");
    }
}
