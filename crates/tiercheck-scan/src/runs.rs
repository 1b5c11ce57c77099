//! A byte-level prefilter for the rules without keywords.
//!
//! Such a rule's value is made of a few kinds of bytes and holds several digits (a card
//! number is digits with spaces or dashes, at least 13 of them). Its [`RunShape`], read off
//! the rule's own pattern, says which bytes the value can hold, how many digits and how
//! many bytes it has at least, which bytes it begins and ends with, the punctuation it
//! holds and its longest group of digits. A value is then a part of a maximal run of such
//! bytes, so only runs that fit can hold one: the prefilter's pass over the file reports
//! the runs of all the rules' bytes together ([`Runs::filter`]), [`Runs::hits`] finds each
//! rule's runs inside them, and the rule's regex runs only on their lines.

use regex_syntax::hir::{Class, Hir, HirKind};

use crate::prefilter::RunFilter;

/// What every value of a rule looks like at the byte level.
#[derive(Debug, Clone)]
pub(crate) struct RunShape {
    /// Bytes that can occur in the value.
    allowed: [bool; 256],
    /// Fewest ASCII digits in a value (at least 1).
    min_digits: usize,
    /// Fewest bytes in a value.
    min_len: usize,
    /// Fewest digits in a row a value holds somewhere (a card number starts with four).
    min_digit_run: usize,
    /// Bytes a value can begin and end with.
    first: [bool; 256],
    last: [bool; 256],
    /// Punctuation every value holds (a dashed SSN's `-`), as in [`required_punctuation`].
    needs: Vec<Vec<u8>>,
}

impl RunShape {
    /// The shape of capture group `group` (0: the whole match) of a pattern parsed with
    /// [`parse_as_compiled`]. `None` when the group is not
    /// part of every match or need not hold a digit: such a rule gets no run prefilter.
    pub(crate) fn of(hir: &Hir, group: usize) -> Option<RunShape> {
        let value = if group == 0 {
            hir
        } else {
            required_group(hir, group)?
        };
        let mut allowed = [false; 256];
        allow(value, &mut allowed);
        // A value that could be empty has no first or last byte to speak of.
        let (mut first, mut last) = ([false; 256], [false; 256]);
        if edge(value, false, &mut first) || edge(value, true, &mut last) {
            (first, last) = (allowed, allowed);
        }
        let shape = RunShape {
            allowed,
            min_digits: min_digits(value),
            min_len: value.properties().minimum_len()?,
            min_digit_run: digit_run(value).max(1),
            first,
            last,
            needs: required_punctuation(value),
        };
        (shape.min_digits >= 1).then_some(shape)
    }
}

/// The capture group with index `group` when every match of `h` goes through it.
fn required_group(h: &Hir, group: usize) -> Option<&Hir> {
    match h.kind() {
        HirKind::Capture(c) if c.index as usize == group => Some(&c.sub),
        HirKind::Capture(c) => required_group(&c.sub, group),
        HirKind::Repetition(r) if r.min >= 1 => required_group(&r.sub, group),
        HirKind::Concat(v) => v.iter().find_map(|s| required_group(s, group)),
        _ => None,
    }
}

fn allow(h: &Hir, out: &mut [bool; 256]) {
    match h.kind() {
        HirKind::Empty | HirKind::Look(_) => {}
        HirKind::Literal(l) => l.0.iter().for_each(|&b| out[b as usize] = true),
        HirKind::Class(Class::Bytes(c)) => {
            for r in c.ranges() {
                (r.start()..=r.end()).for_each(|b| out[b as usize] = true);
            }
        }
        HirKind::Class(Class::Unicode(c)) => {
            for r in c.ranges() {
                let (lo, hi) = (u32::from(r.start()), u32::from(r.end()));
                (lo.min(0x80)..=hi.min(0x7f)).for_each(|b| out[b as usize] = true);
                if hi >= 0x80 {
                    // Any byte of a multi-byte character.
                    out[0x80..].iter_mut().for_each(|b| *b = true);
                }
            }
        }
        HirKind::Repetition(r) => allow(&r.sub, out),
        HirKind::Capture(c) => allow(&c.sub, out),
        HirKind::Concat(v) | HirKind::Alternation(v) => v.iter().for_each(|s| allow(s, out)),
    }
}

/// How many digits in a row every match of `h` holds at least somewhere (a lower bound).
fn digit_run(h: &Hir) -> usize {
    match h.kind() {
        HirKind::Concat(v) => {
            let (mut best, mut cur) = (0, 0);
            for s in v {
                match fixed_digits(s) {
                    Some(n) => cur += n,
                    None => {
                        best = best.max(cur).max(digit_run(s));
                        cur = 0;
                    }
                }
            }
            best.max(cur)
        }
        HirKind::Alternation(v) => v.iter().map(digit_run).min().unwrap_or(0),
        HirKind::Repetition(r) if r.min >= 1 => {
            fixed_digits(h).unwrap_or_else(|| digit_run(&r.sub))
        }
        HirKind::Capture(c) => digit_run(&c.sub),
        _ => fixed_digits(h).unwrap_or(0),
    }
}

/// `Some(n)` when every match of `h` is exactly `n` digits.
fn fixed_digits(h: &Hir) -> Option<usize> {
    match h.kind() {
        HirKind::Literal(l) => l.0.iter().all(u8::is_ascii_digit).then_some(l.0.len()),
        HirKind::Class(_) => {
            let mut set = [false; 256];
            allow(h, &mut set);
            (set.iter()
                .enumerate()
                .all(|(b, &on)| !on || (b as u8).is_ascii_digit())
                && set.iter().any(|&on| on))
            .then_some(1)
        }
        HirKind::Repetition(r) if Some(r.min) == r.max => {
            fixed_digits(&r.sub).map(|n| n * r.min as usize)
        }
        HirKind::Capture(c) => fixed_digits(&c.sub),
        HirKind::Concat(v) => v.iter().map(fixed_digits).sum(),
        _ => None,
    }
}

/// Marks the bytes that can begin (or, with `last`, end) a match of `h`; returns whether
/// `h` can match the empty string (then what follows it can begin a match too).
fn edge(h: &Hir, last: bool, out: &mut [bool; 256]) -> bool {
    match h.kind() {
        HirKind::Empty | HirKind::Look(_) => true,
        HirKind::Literal(l) => match if last { l.0.last() } else { l.0.first() } {
            Some(&b) => {
                out[b as usize] = true;
                false
            }
            None => true,
        },
        HirKind::Class(_) => {
            allow(h, out);
            false
        }
        HirKind::Repetition(r) => edge(&r.sub, last, out) || r.min == 0,
        HirKind::Capture(c) => edge(&c.sub, last, out),
        HirKind::Concat(v) => {
            let mut parts: Vec<&Hir> = v.iter().collect();
            if last {
                parts.reverse();
            }
            parts.into_iter().all(|s| edge(s, last, out))
        }
        HirKind::Alternation(v) => v.iter().fold(false, |empty, s| edge(s, last, out) | empty),
    }
}

/// Fewest ASCII digits in every match of `h`.
pub(crate) fn min_digits(h: &Hir) -> usize {
    match h.kind() {
        HirKind::Empty | HirKind::Look(_) => 0,
        HirKind::Literal(l) => l.0.iter().filter(|b| b.is_ascii_digit()).count(),
        HirKind::Class(Class::Bytes(c)) => usize::from(
            !c.ranges().is_empty()
                && c.ranges()
                    .iter()
                    .all(|r| r.start() >= b'0' && r.end() <= b'9'),
        ),
        HirKind::Class(Class::Unicode(c)) => usize::from(
            !c.ranges().is_empty()
                && c.ranges()
                    .iter()
                    .all(|r| r.start() >= '0' && r.end() <= '9'),
        ),
        HirKind::Repetition(r) => (r.min as usize).saturating_mul(min_digits(&r.sub)),
        HirKind::Capture(c) => min_digits(&c.sub),
        HirKind::Concat(v) => v.iter().map(min_digits).sum(),
        HirKind::Alternation(v) => v.iter().map(min_digits).min().unwrap_or(0),
    }
}

/// The keyword-less rules' shapes, with their union: every shape's run lies inside one
/// of the union's runs, so a union run too short or with too few digits for every shape
/// is passed over at once.
#[derive(Debug, Clone)]
pub(crate) struct Runs {
    shapes: Vec<RunShape>,
    union: RunShape,
}

impl Runs {
    pub(crate) fn new(shapes: Vec<RunShape>) -> Option<Runs> {
        if shapes.is_empty() {
            return None;
        }
        let any = |f: fn(&RunShape) -> &[bool; 256]| {
            let mut set = [false; 256];
            for s in &shapes {
                for (a, b) in set.iter_mut().zip(f(s).iter()) {
                    *a |= *b;
                }
            }
            set
        };
        let least = |f: fn(&RunShape) -> usize| shapes.iter().map(f).min().unwrap_or(1);
        let union = RunShape {
            allowed: any(|s| &s.allowed),
            min_digits: least(|s| s.min_digits),
            min_len: least(|s| s.min_len),
            min_digit_run: least(|s| s.min_digit_run),
            first: any(|s| &s.first),
            last: any(|s| &s.last),
            needs: Vec::new(),
        };
        Some(Runs { shapes, union })
    }

    /// The union as the prefilter's run filter: every run it reports may hold a value.
    pub(crate) fn filter(&self) -> RunFilter {
        RunFilter {
            allowed: self.union.allowed,
            min_len: self.union.min_len,
            min_digits: self.union.min_digits,
        }
    }

    /// Calls `hit(k, start, end)` for every maximal run of bytes allowed by shape `k` that
    /// holds at least its digits and bytes, left to right per shape. `ends` are where the
    /// union's runs that the prefilter reported end, in increasing order.
    pub(crate) fn hits(
        &self,
        bytes: &[u8],
        ends: &[usize],
        mut hit: impl FnMut(usize, usize, usize),
    ) {
        for &e in ends {
            let (start, end) = self.union.run_at(bytes, e - 1);
            if self.union.fits(&bytes[start..end]).is_some() {
                for (k, s) in self.shapes.iter().enumerate() {
                    // The shape's own runs inside the union's.
                    let mut from = start;
                    for seg in bytes[start..end].split(|&b| !s.allowed[b as usize]) {
                        if let Some((a, z)) = s.fits(seg) {
                            hit(k, from + a, from + z);
                        }
                        from += seg.len() + 1;
                    }
                }
            }
        }
    }
}

impl RunShape {
    /// The maximal run of allowed bytes around `bytes[at]` (which is allowed).
    fn run_at(&self, bytes: &[u8], at: usize) -> (usize, usize) {
        let start = bytes[..at]
            .iter()
            .rposition(|&b| !self.allowed[b as usize])
            .map_or(0, |i| i + 1);
        let end = bytes[at..]
            .iter()
            .position(|&b| !self.allowed[b as usize])
            .map_or(bytes.len(), |i| at + i);
        (start, end)
    }

    /// The part of `run` from its first byte that can begin a value to its last byte
    /// that can end one, as offsets into `run`, when that part is long enough and holds
    /// enough digits, with enough of them in a row, to hold a value.
    fn fits(&self, run: &[u8]) -> Option<(usize, usize)> {
        // Cheap refusals first: too short, or without the punctuation (the part is inside
        // the run).
        if run.len() < self.min_len || !holds_all(run, &self.needs) {
            return None;
        }
        let a = run.iter().position(|&b| self.first[b as usize])?;
        let z = run.iter().rposition(|&b| self.last[b as usize])? + 1;
        let part = run.get(a..z)?;
        let (mut digits, mut row, mut best) = (0, 0, 0);
        for b in part {
            row = if b.is_ascii_digit() { row + 1 } else { 0 };
            digits += usize::from(b.is_ascii_digit());
            best = best.max(row);
        }
        (part.len() >= self.min_len
            && digits >= self.min_digits
            && best >= self.min_digit_run
            && holds_all(part, &self.needs))
        .then_some((a, z))
    }
}

/// Parses a rule's pattern as the scanner compiles it: ASCII mode, else Unicode mode.
pub(crate) fn parse_as_compiled(pattern: &str) -> Result<Hir, String> {
    let parse = |unicode: bool| {
        regex_syntax::ParserBuilder::new()
            .unicode(unicode)
            .utf8(false)
            .build()
            .parse(pattern)
            .map_err(|e| e.to_string())
    };
    parse(false).or_else(|_| parse(true))
}

/// Punctuation every match of a pattern holds: up to three sets of at most three bytes,
/// each of which must occur (an assignment's `=` or `:`, a quote). A window without one of
/// them cannot hold a match, which `memchr` tells far faster than the regex. Empty when
/// the pattern requires no such byte.
pub(crate) fn required_punctuation(hir: &Hir) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    required(hir, &mut out);
    out.retain(|set: &Vec<u8>| !set.is_empty() && set.iter().all(|b| b.is_ascii_punctuation()));
    out.sort();
    out.dedup();
    out.truncate(3);
    out
}

/// Collects byte sets of which every match of `h` holds one.
fn required(h: &Hir, out: &mut Vec<Vec<u8>>) {
    match h.kind() {
        HirKind::Literal(l) => out.extend(l.0.iter().map(|&b| vec![b])),
        HirKind::Class(_) => {
            let mut set = [false; 256];
            allow(h, &mut set);
            let bytes: Vec<u8> = (0..=255u8).filter(|&b| set[b as usize]).collect();
            if bytes.len() <= 3 {
                out.push(bytes);
            }
        }
        HirKind::Repetition(r) if r.min >= 1 => required(&r.sub, out),
        HirKind::Capture(c) => required(&c.sub, out),
        HirKind::Concat(v) => v.iter().for_each(|s| required(s, out)),
        HirKind::Alternation(v) => {
            // One set from each branch, joined: a match holds a byte of the union.
            let mut union: Vec<u8> = Vec::new();
            for branch in v {
                let mut sets = Vec::new();
                required(branch, &mut sets);
                let Some(best) = sets
                    .into_iter()
                    .filter(|s| s.iter().all(|b| b.is_ascii_punctuation()))
                    .min_by_key(Vec::len)
                else {
                    return;
                };
                union.extend(best);
            }
            union.sort_unstable();
            union.dedup();
            if union.len() <= 3 {
                out.push(union);
            }
        }
        _ => {}
    }
}

/// Whether `hay` holds a byte of every set.
pub(crate) fn holds_all(hay: &[u8], sets: &[Vec<u8>]) -> bool {
    sets.iter().all(|s| match s.as_slice() {
        [a] => memchr::memchr(*a, hay).is_some(),
        [a, b] => memchr::memchr2(*a, *b, hay).is_some(),
        [a, b, c] => memchr::memchr3(*a, *b, *c, hay).is_some(),
        _ => true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(pattern: &str, group: usize) -> Option<RunShape> {
        RunShape::of(&parse_as_compiled(pattern).unwrap(), group)
    }

    fn punct(pattern: &str) -> Vec<Vec<u8>> {
        required_punctuation(&parse_as_compiled(pattern).unwrap())
    }

    /// Where each run of the union's bytes ends, the slow way (the prefilter reports a
    /// subset of these).
    fn ends(bytes: &[u8], f: &RunFilter) -> Vec<usize> {
        (1..=bytes.len())
            .filter(|&e| f.allowed[bytes[e - 1] as usize])
            .filter(|&e| e == bytes.len() || !f.allowed[bytes[e] as usize])
            .collect()
    }

    fn runs(text: &[u8], shapes: Vec<RunShape>, hit: impl FnMut(usize, usize, usize)) {
        let r = Runs::new(shapes).unwrap();
        r.hits(text, &ends(text, &r.filter()), hit);
    }

    fn found<'a>(pattern: &str, group: usize, text: &'a str) -> Vec<&'a str> {
        let shape = RunShape::of(&parse_as_compiled(pattern).unwrap(), group).unwrap();
        let mut out = Vec::new();
        runs(text.as_bytes(), vec![shape], |_, s, e| {
            out.push(&text[s..e])
        });
        out
    }

    #[test]
    fn shapes_are_read_from_the_value_group() {
        let card = r"(?:^|[^0-9])(?P<secret>4[0-9]{3}(?:[ -]?[0-9]{4}){3})(?:$|[^0-9])";
        let s = shape(card, 1).unwrap();
        assert_eq!((s.min_digits, s.min_len), (16, 16));
        assert!(s.allowed[b' ' as usize] && s.allowed[b'-' as usize] && s.allowed[b'7' as usize]);
        assert!(!s.allowed[b'a' as usize] && !s.allowed[b'.' as usize]);
        let iban = r"(?P<secret>[A-Z]{2}[0-9]{2}(?:[ ]?[A-Z0-9]{4}){2,7})";
        let s = shape(iban, 1).unwrap();
        assert_eq!((s.min_digits, s.min_len, s.min_digit_run), (2, 12, 2));
        assert!(s.first[b'G' as usize] && !s.first[b'1' as usize] && !s.first[b' ' as usize]);
        assert!(s.last[b'1' as usize] && s.last[b'Z' as usize] && !s.last[b' ' as usize]);
        let ssn = shape(r"(?P<secret>[0-9]{3}-[0-9]{2}-[0-9]{4})", 1).unwrap();
        assert_eq!((ssn.min_digits, ssn.min_len, ssn.min_digit_run), (9, 11, 4));
        let alt = shape(r"(?:4[0-9]{3}|5[0-9]{2}x)[0-9]?", 0).unwrap();
        assert_eq!((alt.min_digits, alt.min_len, alt.min_digit_run), (3, 4, 3));
        // What may end a value: the last byte of each branch, and what an optional tail
        // adds.
        assert!(alt.last[b'x' as usize] && alt.last[b'5' as usize] && !alt.last[b'a' as usize]);
        assert!(alt.first[b'4' as usize] && alt.first[b'5' as usize] && !alt.first[b'6' as usize]);
        // No digit needed, an optional group, a broken pattern: no shape.
        assert!(shape(r"(?P<secret>[A-Z0-9]{8})", 1).is_none());
        assert!(shape(r"x(?P<secret>\d{9})?", 1).is_none());
        assert!(shape(r"a|(\d{9})", 1).is_none());
        assert!(parse_as_compiled(r"(unclosed").is_err());
        // Unicode classes allow every non-ASCII byte.
        let s = shape(r"(?u:\w)\d", 0).unwrap();
        assert!(s.allowed[0xc3] && s.allowed[b'_' as usize]);
    }

    #[test]
    fn only_runs_with_enough_digits_and_bytes_are_hits() {
        let ssn = r"(?P<secret>[0-9]{3}-[0-9]{2}-[0-9]{4})";
        assert_eq!(
            found(
                ssn,
                1,
                "v1.2.3 x=12345678 id 123-45-6789, 1-2-3-4-5-6-7-8-9 12-34"
            ),
            ["123-45-6789"]
        );
        // Nine digits with dashes, but never four in a row as an SSN ends; too short; no
        // dashes at all.
        assert!(found(ssn, 1, "1-2-3-4-5-6-7-8-9 12-34-5678 123456789012").is_empty());
        // An IBAN begins with two capital letters: spaces and digits alone are no run.
        let iban = r"(?P<secret>[A-Z]{2}[0-9]{2}(?:[ ]?[A-Z0-9]{4}){2,7})";
        assert!(found(iban, 1, "x =            1000 2000 3000").is_empty());
        // The IBAN registry's example for the UK.
        // Test values are assembled at run time: the repository holds none whole.
        let example = ["GB82 WEST", "1234 5698 7654 32"].join(" ");
        assert_eq!(found(iban, 1, &format!("to: {example} ")), [example]);
        assert!(found(ssn, 1, "no digits here").is_empty());
        assert!(found(ssn, 1, "123456789").is_empty());
    }

    #[test]
    fn required_punctuation_is_what_every_match_holds() {
        let quoted = r#"(?i)(?:^|[^A-Za-z0-9])[\w.-]{0,40}?(?:secret|token)\\?["'`]?[ \t]*(?:=|:=|:|=>)[ \t]*\\?["'`](?P<secret>[^\s"'`]{19,249})\\?["'`]"#;
        assert_eq!(punct(quoted), [b"\"'`".to_vec(), b":=".to_vec()]);
        assert_eq!(punct(r"[a-z]+://\S+"), [b"/".to_vec(), b":".to_vec()]);
        // Optional or alternative parts with a letter-only branch require nothing.
        assert!(punct(r"x=?y").is_empty());
        assert!(punct(r"(?:a|=)b").is_empty());
        assert!(holds_all(b"k = 'v'", &punct(quoted)));
        assert!(!holds_all(b"k = v", &punct(quoted)));
    }

    #[test]
    fn several_shapes_see_their_own_runs() {
        let a = shape(r"[0-9]{3}-[0-9]{4}", 0).unwrap();
        let b = shape(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{4}", 0).unwrap();
        let text = "GB12ABCD-123-4567 z 999-9999";
        let mut got = Vec::new();
        runs(text.as_bytes(), vec![a, b], |k, s, e| {
            got.push((k, &text[s..e]))
        });
        got.sort();
        assert_eq!(got, [(0, "123-4567"), (0, "999-9999"), (1, "GB12ABCD")]);
    }
}
