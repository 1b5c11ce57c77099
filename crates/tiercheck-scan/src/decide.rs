//! Deciding: a candidate becomes a finding when it passes entropy, its validator, the
//! caller's ignored values, the allowlists, the inline allow marker and `near`, and is not
//! an overlapping generic repeat of a specific rule's finding.

use crate::compile::Scanner;
use crate::rule::Category;
use crate::search::{ceil_boundary, floor_boundary};
use crate::validators::shannon_entropy;
use crate::{Finding, ScanOptions, redact, value_free_fingerprint};

/// How far either side of a value the allowlists' regexes and the allow marker look on its
/// line: a whole ordinary line, but on a minified line only the value's surroundings, so
/// that one marker at the start of a 60 KB line does not hide every token on it, and each
/// candidate costs a bounded amount of work.
pub(crate) const ALLOW_REACH: usize = 512;

/// The inline marker that suppresses findings on its line.
pub const ALLOW_MARKER: &str = "tiercheck:allow";

/// A candidate before filtering: byte offsets into the file.
pub(crate) struct Candidate {
    pub(crate) rule: usize,
    pub(crate) start: usize,
    pub(crate) end: usize,
    pub(crate) value: String,
}

impl Scanner {
    /// The candidates that become findings, with the byte span of each finding's value,
    /// in report order.
    pub(crate) fn filter(
        &self,
        rel_path: &str,
        text: &str,
        cands: Vec<Candidate>,
        opts: &ScanOptions,
    ) -> Vec<(std::ops::Range<usize>, Finding)> {
        let ignore: Vec<String> = opts
            .ignore_values
            .iter()
            .map(|v| v.trim().to_lowercase())
            .filter(|v| !v.is_empty())
            .collect();
        let mut lines = LineCounter::default();
        // (candidate, line, column)
        // (candidate, line, column, whether an allow marker that was not honoured is near)
        let mut kept: Vec<(Candidate, u64, u64, bool)> = Vec::new();
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
            // Only personal data: the owners' own addresses are not a leak, but a credential
            // is reported wherever it is written, a list of maintainers included.
            if rule.category == Category::Pii && ignore.contains(&lower) {
                continue;
            }
            let (ls, le) = line_bounds(text, c.start, c.end);
            let matched = &text[ls..le];
            if self.global.value(&c.value, &lower, matched)
                || rule.allow.value(&c.value, &lower, matched)
            {
                continue;
            }
            let marked = matched.contains(ALLOW_MARKER);
            if marked && opts.honour_allow_marker {
                continue;
            }
            let (line, column) = lines.at(text, c.start);
            kept.push((c, line, column, marked));
        }
        // `near`: keep a finding only when one of the other rule lies within N lines. Each
        // rule's lines are listed once (in text order, so sorted) and searched by bisection:
        // a file of 160,000 id and secret pairs costs n log n, not n².
        let mut lines_of: Vec<Vec<u64>> = vec![Vec::new(); self.rules.len()];
        for (c, line, _, _) in &kept {
            lines_of[c.rule].push(*line);
        }
        let near_ok: Vec<bool> = kept
            .iter()
            .map(|(c, line, _, _)| match self.rules[c.rule].near {
                None => true,
                Some((other, reach)) => {
                    let lines = &lines_of[other];
                    let from = line.saturating_sub(u64::from(reach));
                    let i = lines.partition_point(|l| *l < from);
                    lines.get(i).is_some_and(|l| *l <= line + u64::from(reach))
                }
            })
            .collect();
        // A finding of a specific rule (a vendor's format) hides an overlapping generic
        // finding of the same category on its line: one secret, reported once, by name.
        let reported = |k: usize| {
            near_ok[k]
                && opts
                    .category
                    .is_none_or(|cat| cat == self.rules[kept[k].0.rule].category)
        };
        // Per line and category, the reported specific findings' spans in text order, with
        // the furthest end so far: a generic finding is hidden when some span starting
        // before its end ends after its start. One bisection per generic finding, so a
        // minified line with 100,000 findings stays linear-logarithmic.
        let mut specific: std::collections::HashMap<(u64, Category), Vec<(usize, usize)>> =
            std::collections::HashMap::new();
        for (k, (c, line, _, _)) in kept.iter().enumerate() {
            let rule = &self.rules[c.rule];
            if !rule.generic && reported(k) {
                let spans = specific.entry((*line, rule.category)).or_default();
                let furthest = spans.last().map_or(0, |&(_, e)| e).max(c.end);
                spans.push((c.start, furthest));
            }
        }
        let shadowed: Vec<bool> = kept
            .iter()
            .map(|(c, line, _, _)| {
                let rule = &self.rules[c.rule];
                if !rule.generic {
                    return false;
                }
                specific.get(&(*line, rule.category)).is_some_and(|spans| {
                    let before_end = spans.partition_point(|&(start, _)| start < c.end);
                    before_end > 0 && spans[before_end - 1].1 > c.start
                })
            })
            .collect();
        // A rule that narrows another's format (`overrides`) hides that rule's overlapping
        // finding: a value two vendors' formats share is reported once, by the vendor named.
        // Only the (rare) findings of overriding rules are compared with the others.
        let overriding: Vec<usize> = (0..kept.len())
            .filter(|&k| self.rules[kept[k].0.rule].overrides && reported(k))
            .collect();
        let overridden: Vec<bool> = kept
            .iter()
            .map(|(c, _, _, _)| {
                let by = &self.rules[c.rule].overridden_by;
                !by.is_empty()
                    && overriding.iter().any(|&k| {
                        let o = &kept[k].0;
                        by.contains(&o.rule) && o.start < c.end && c.start < o.end
                    })
            })
            .collect();
        let keep: Vec<bool> = (0..kept.len())
            .map(|k| reported(k) && !shadowed[k] && !overridden[k])
            .collect();
        // Every value found in this text, in text order: each is masked in the context of a
        // fingerprint, so that no fingerprint carries a value, its own or a neighbour's.
        let mut spans: Vec<(usize, usize)> =
            kept.iter().map(|(c, _, _, _)| (c.start, c.end)).collect();
        spans.sort_unstable();
        let masked = |ls: usize, le: usize| -> String {
            let mut out = String::new();
            let mut pos = ls;
            // The first value starting on the line, then back over any that start before it
            // and reach into it.
            let mut first = spans.partition_point(|&(s, _)| s < ls);
            while first > 0 && spans[first - 1].1 > ls {
                first -= 1;
            }
            for &(s, e) in spans[first..].iter().take_while(|&&(s, _)| s < le) {
                let (s, e) = (
                    floor_boundary(text, s.max(ls)),
                    ceil_boundary(text, e.min(le)),
                );
                if s >= pos {
                    out.push_str(&text[pos..s]);
                    out.push('\u{0}');
                    pos = e;
                } else if e > pos {
                    pos = e;
                }
            }
            out.push_str(&text[pos.min(le)..le]);
            out
        };
        // How many findings of a rule had the same masked context before, in text order.
        let mut seen: std::collections::HashMap<(usize, String), u32> =
            std::collections::HashMap::new();
        let mut out: Vec<(std::ops::Range<usize>, Finding)> = kept
            .into_iter()
            .zip(keep)
            .filter(|(_, ok)| *ok)
            .map(|((c, line, column, marked), _)| {
                let rule = &self.rules[c.rule];
                let (end_line, end_column) = crate::finding::value_end(line, column, &c.value);
                // The text around the value on its line, every value found there masked:
                // what the fingerprint is made of, so that it never carries a value.
                let (ls, le) = line_bounds(text, c.start, c.end);
                let context = masked(ls, le);
                let n = seen.entry((c.rule, context.clone())).or_insert(0);
                let occurrence = *n;
                *n += 1;
                let finding = Finding {
                    rule_id: rule.id.clone(),
                    category: rule.category.as_str().to_string(),
                    path: rel_path.to_string(),
                    line,
                    column,
                    redacted: redact(&c.value, rule.prefix.as_deref()),
                    fingerprint: value_free_fingerprint(
                        &rule.id, rel_path, &context, occurrence, &c.value,
                    ),
                    marked_allowed: marked,
                    end_line,
                    end_column,
                };
                (c.start..c.end, finding)
            })
            .collect();
        // As `sort_findings` orders and dedups findings, keeping each one's span.
        out.sort_by(|(_, a), (_, b)| {
            (&a.path, a.line, a.column, &a.rule_id).cmp(&(&b.path, b.line, b.column, &b.rule_id))
        });
        out.dedup_by(|(_, a), (_, b)| a == b);
        out
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Category;
    use crate::test_support::*;

    #[test]
    fn a_rule_that_narrows_another_hides_its_overlapping_finding() {
        let s = scanner(
            r#"
rules:
  - id: wide
    description: t
    category: secret
    regex: '\b(?P<secret>sk_live_[A-Za-z0-9]{24,})\b'
    keywords: [sk_live_]
  - id: named
    description: t
    category: secret
    regex: '(?i)acmepay[_a-z]*=(?P<secret>sk_live_[a-f0-9]{40})\b'
    keywords: [acmepay]
    overrides: [wide]
"#,
        );
        let hex = "0123456789abcdef0123456789abcdef01234567";
        let text = format!("ACMEPAY_KEY=sk_live_{hex}\nOTHER=sk_live_{hex}\n");
        let got: Vec<(String, u64)> = scan(&s, &text)
            .into_iter()
            .map(|x| (x.rule_id, x.line))
            .collect();
        // Line 1: the vendor named next to the value; line 2: only the wider format.
        assert_eq!(got, [("named".to_string(), 1), ("wide".to_string(), 2)]);
        let bad: crate::RuleSet = serde_saphyr::from_str(
            "rules:\n  - id: a\n    description: t\n    category: secret\n    regex: 'x'\n    keywords: [x]\n    overrides: [b]\n",
        )
        .unwrap();
        let e = Scanner::new(&bad).unwrap_err();
        assert!(e.to_string().contains("overrides unknown rule `b`"), "{e}");
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
    fn the_allow_marker_reaches_the_values_near_it_not_a_whole_minified_line() {
        let s = scanner(GH);
        // One marker at the start of a long line: it covers the token right after it, not
        // the hundreds further along.
        let mut line = String::from("// tiercheck:allow ");
        line.push_str(&token(0));
        for i in 1..=50u8 {
            line.push_str(&" ".repeat(1000));
            line.push_str(&token(i));
        }
        let f = scan(&s, &line);
        assert_eq!(f.len(), 50, "{f:?}");
        assert!(f.iter().all(|x| x.line == 1 && x.column > 1000));
        // On an ordinary line the marker after a long value still counts.
        let jwt_like = format!("k = \"{}\" # tiercheck:allow\n", token(9));
        assert!(scan(&s, &jwt_like).is_empty());
    }

    #[test]
    fn ignored_values_exempt_personal_data_never_a_credential() {
        let s = scanner(&format!(
            "{GH}  - id: mail\n    description: t\n    category: pii\n    regex: '[a-z.]+@[a-z.]+'\n    keywords: ['@']\n"
        ));
        let t = token(4);
        let text = format!("maintainers: [jane@corp.example, {t}]\n");
        let o = ScanOptions {
            ignore_values: vec!["jane@corp.example".into(), t.clone()],
            ..ScanOptions::default()
        };
        let f = s.scan_bytes("m.yaml", text.as_bytes(), &o);
        let ids: Vec<&str> = f.iter().map(|x| x.rule_id.as_str()).collect();
        assert_eq!(ids, ["gh"]);
    }

    #[test]
    fn near_reach_is_bounded() {
        let yaml = "rules:\n  - id: a\n    description: t\n    category: secret\n    regex: 'a(\\d+)'\n    keywords: [a]\n  - id: b\n    description: t\n    category: secret\n    regex: 'b(\\d+)'\n    keywords: [b]\n    near: {rule: a, lines: 101}\n";
        let set: RuleSet = serde_saphyr::from_str(yaml).unwrap();
        let e = Scanner::new(&set).unwrap_err().to_string();
        assert!(
            e.contains("rule `b` is `near` 101 lines, more than the 100"),
            "{e}"
        );
    }

    #[test]
    fn an_allow_marker_that_is_not_honoured_is_reported_with_its_finding() {
        let s = scanner(GH);
        let text = format!(
            "a = \"{}\"  # tiercheck:allow\nb = \"{}\"\n",
            token(1),
            token(2)
        );
        let o = ScanOptions {
            honour_allow_marker: false,
            ..ScanOptions::default()
        };
        let f = s.scan_bytes("f.txt", text.as_bytes(), &o);
        let got: Vec<(u64, bool)> = f.iter().map(|x| (x.line, x.marked_allowed)).collect();
        assert_eq!(got, [(1, true), (2, false)]);
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
        // Values are assembled at run time, so that this file holds none for a scan of the
        // repository to find.
        let text = [
            "password = \"aaaaaaaa\"\npassword = \"Zx9!",
            "qL2#vR7t\"\n4539 1488 0343 6467\n4539 1488 0343 6468\njane@corp.example bob@corp.example\n",
        ]
        .concat();
        let text = text.as_str();
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
        // Assembled at run time, so that this file holds no key for a scan to find.
        let secret = ["wJalrXUtnFEMIK7MDENG", "bPxRfiCYzz9a8b7c6d5e"].concat();
        let id = ["AKIA", "QWERTYUIOPASDFGH"].concat();
        let close = format!("id {id}\nsecret {secret}\n");
        assert_eq!(scan(&s, &close).len(), 2);
        let far = format!("id {id}\n\n\n\n\nsecret {secret}\n");
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
        let before = format!("k = \"{secret}\"\n\nid = {id}\n");
        let f = scan(&s, &before);
        let got: Vec<(&str, u64)> = f.iter().map(|x| (x.rule_id.as_str(), x.line)).collect();
        assert_eq!(got, [("key-secret", 1), ("key-id", 3)]);
        let after = format!("id = {id}\n\n\nk = {secret}\n");
        assert_eq!(scan(&s, &after).len(), 2);
        let too_far = format!("id = {id}\n\n\n\nk = {secret}\n");
        assert_eq!(scan(&s, &too_far).len(), 1);
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
}
