//! The one pass over every byte of a file: where keywords occur, and where digit groups
//! long enough for a keyword-less rule's value end.
//!
//! The keywords become an Aho-Corasick automaton (ASCII case-insensitive, every
//! occurrence reported, overlapping ones included), copied into a flat transition table
//! whose match states come last, so a step is one table load and a match is one compare.
//! A table walk is bound by the latency of each load on the one before, not by the
//! processor's throughput, so [`Prefilter::search`] walks four stretches of a file at
//! once, each starting a keyword's length before its own part so nothing is missed at
//! the seams: four independent chains of loads run in the time of about two. The digit
//! count rides along in the same loop for free.

use std::collections::HashMap;

use aho_corasick::automaton::{Automaton, StateID};
use aho_corasick::{Anchored, MatchKind, dfa::DFA};

/// Files shorter than this are walked as one stretch.
const LANE_MIN: usize = 2048;

/// Keyword and digit-group automaton, built once per scanner.
pub(crate) struct Prefilter {
    /// Byte → equivalence class (bytes every state treats alike).
    class: [u8; 256],
    classes: usize,
    /// `trans[state + class]`: the next state, already multiplied by `classes`.
    trans: Vec<u32>,
    start: u32,
    /// States at or above this one are match states.
    first_match: u32,
    /// Per match state (its index minus the first match state's), the keywords that end
    /// there.
    matches: Vec<Box<[u32]>>,
    /// Keyword lengths in bytes, by keyword index.
    lens: Vec<usize>,
    /// How far before its own part a stretch starts: the longest keyword or digit group.
    overlap: usize,
    /// Digits in a row that make a digit group worth reporting (`u32::MAX`: none).
    digits: u32,
}

/// Keyword hits and digit-group ends, as in [`Hits`].
type Found = (Vec<(usize, usize, usize)>, Vec<usize>);

/// What [`Prefilter::search`] found in one file, in increasing order of where it ends.
#[derive(Debug, Default)]
pub(crate) struct Hits {
    /// `(start, end, keyword index)`.
    pub keywords: Vec<(usize, usize, usize)>,
    /// Offsets of the digit that completes a group of `digits` digits in a row.
    pub digit_groups: Vec<usize>,
    /// What the later stretches of [`Prefilter::lanes`] found, appended once they are done.
    lanes: [Found; 3],
}

impl Hits {
    fn clear(&mut self) {
        self.keywords.clear();
        self.digit_groups.clear();
    }
}

impl Prefilter {
    /// An automaton for `words` (matched in any ASCII case) that also reports every group
    /// of `digit_group` digits in a row (`None`: no digit groups).
    pub(crate) fn new(words: &[String], digit_group: Option<usize>) -> Result<Prefilter, String> {
        let dfa = DFA::builder()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .prefilter(false)
            .build(words)
            .map_err(|e| format!("cannot build keyword set: {e}"))?;
        let start = dfa
            .start_state(Anchored::No)
            .map_err(|e| format!("cannot build keyword set: {e}"))?;
        // Every state reachable from the start, numbered in the order they are found.
        let mut index: HashMap<StateID, usize> = HashMap::from([(start, 0)]);
        let mut order = vec![start];
        let mut next = Vec::new();
        let mut i = 0;
        while i < order.len() {
            for b in 0..=255u8 {
                let t = dfa.next_state(Anchored::No, order[i], b);
                let n = index.len();
                let id = *index.entry(t).or_insert_with(|| {
                    order.push(t);
                    n
                });
                next.push(
                    u32::try_from(id).map_err(|_| "cannot build keyword set: too many keywords")?,
                );
            }
            i += 1;
        }
        let states = order.len();
        // Bytes whose column of next states is the same form one class.
        let mut columns: HashMap<Vec<u32>, u8> = HashMap::new();
        let mut class = [0u8; 256];
        for b in 0..256 {
            let column: Vec<u32> = (0..states).map(|s| next[s * 256 + b]).collect();
            // At most 256 columns, so a class fits in a byte.
            let fresh = columns.len() as u8;
            class[b] = *columns.entry(column).or_insert(fresh);
        }
        let classes = columns.len();
        // Match states last, so that "is a match" is one compare.
        let is_match: Vec<bool> = order.iter().map(|&s| dfa.is_match(s)).collect();
        let mut renumber = vec![0usize; states];
        let mut n = 0;
        for want in [false, true] {
            for s in 0..states {
                if is_match[s] == want {
                    renumber[s] = n;
                    n += 1;
                }
            }
        }
        let first_match = states - is_match.iter().filter(|&&m| m).count();
        let scaled = |s: usize| -> Result<u32, String> {
            u32::try_from(s * classes)
                .map_err(|_| "cannot build keyword set: too many keywords".to_string())
        };
        let mut trans = vec![0u32; states * classes];
        let mut matches = vec![Box::<[u32]>::default(); states - first_match];
        for s in 0..states {
            let row = renumber[s] * classes;
            for b in 0..256 {
                trans[row + class[b] as usize] = scaled(renumber[next[s * 256 + b] as usize])?;
            }
            if is_match[s] {
                matches[renumber[s] - first_match] = (0..dfa.match_len(order[s]))
                    .map(|m| dfa.match_pattern(order[s], m).as_u32())
                    .collect();
            }
        }
        let lens: Vec<usize> = words.iter().map(String::len).collect();
        let digits = digit_group.map_or(u32::MAX, |d| d.clamp(1, 64) as u32);
        let overlap = lens
            .iter()
            .copied()
            .max()
            .unwrap_or(0)
            .max(digit_group.unwrap_or(0).min(64))
            .max(1);
        Ok(Prefilter {
            class,
            classes,
            trans,
            start: scaled(renumber[0])?,
            first_match: scaled(first_match)?,
            matches,
            lens,
            overlap,
            digits,
        })
    }

    /// Every keyword occurrence and digit group of `hay`, into `hits` (cleared first).
    pub(crate) fn search(&self, hay: &[u8], hits: &mut Hits) {
        hits.clear();
        let n = hay.len();
        let part = n / 4;
        if n < LANE_MIN || part <= self.overlap {
            self.walk(hay, 0, 0, n, hits);
        } else {
            let mut later = std::mem::take(&mut hits.lanes);
            for (k, d) in &mut later {
                k.clear();
                d.clear();
            }
            self.lanes(hay, part, hits, &mut later);
            for (k, d) in &mut later {
                hits.keywords.append(k);
                hits.digit_groups.append(d);
            }
            hits.lanes = later;
        }
    }

    /// One stretch: walks `hay[from..to]`, reporting what ends in `own..to`.
    fn walk(&self, hay: &[u8], from: usize, own: usize, to: usize, hits: &mut Hits) {
        let (mut s, mut d) = (self.start, 0u32);
        for (p, &b) in hay[from..to].iter().enumerate() {
            let p = from + p;
            s = self.trans[s as usize + self.class[b as usize] as usize];
            d = if b.is_ascii_digit() { d + 1 } else { 0 };
            if (s >= self.first_match || d == self.digits) && p >= own {
                self.record(s, d, p, &mut hits.keywords, &mut hits.digit_groups);
            }
        }
    }

    /// Four stretches in lockstep: stretch `k` owns `hay[k * part..]` up to the next one
    /// and starts `overlap` bytes early; the last one also owns the remainder.
    fn lanes(&self, hay: &[u8], part: usize, first: &mut Hits, later: &mut [Found; 3]) {
        let ov = self.overlap;
        let own = [0, part, 2 * part, 3 * part];
        let until = [part, 2 * part, 3 * part, usize::MAX];
        let from = [0, part - ov, 2 * part - ov, 3 * part - ov];
        let len = part + ov;
        let (a, b, c, e) = (
            &hay[from[0]..from[0] + len],
            &hay[from[1]..from[1] + len],
            &hay[from[2]..from[2] + len],
            &hay[from[3]..from[3] + len],
        );
        let (trans, class, fm, want) =
            (&self.trans[..], &self.class, self.first_match, self.digits);
        let [(k1, d1), (k2, d2), (k3, d3)] = later;
        let mut out = [
            (&mut first.keywords, &mut first.digit_groups),
            (k1, d1),
            (k2, d2),
            (k3, d3),
        ];
        let mut s = [self.start; 4];
        let mut d = [0u32; 4];
        macro_rules! step {
            ($k:literal, $lane:ident, $i:ident) => {{
                let byte = $lane[$i];
                s[$k] = trans[s[$k] as usize + class[byte as usize] as usize];
                d[$k] = if byte.is_ascii_digit() { d[$k] + 1 } else { 0 };
                if s[$k] >= fm || d[$k] == want {
                    let p = from[$k] + $i;
                    // A stretch reports only inside its own part; the next one reports
                    // what its overlap sees.
                    if p >= own[$k] && p < until[$k] {
                        let (keys, digits) = &mut out[$k];
                        self.record(s[$k], d[$k], p, keys, digits);
                    }
                }
            }};
        }
        for i in 0..len {
            step!(0, a, i);
            step!(1, b, i);
            step!(2, c, i);
            step!(3, e, i);
        }
        // The last stretch goes on to the end of the file.
        let (mut s3, mut d3) = (s[3], d[3]);
        for (p, &byte) in hay.iter().enumerate().skip(from[3] + len) {
            s3 = trans[s3 as usize + class[byte as usize] as usize];
            d3 = if byte.is_ascii_digit() { d3 + 1 } else { 0 };
            if s3 >= fm || d3 == want {
                let (keys, digits) = &mut out[3];
                self.record(s3, d3, p, keys, digits);
            }
        }
    }

    #[inline(never)]
    fn record(
        &self,
        s: u32,
        d: u32,
        p: usize,
        keywords: &mut Vec<(usize, usize, usize)>,
        digit_groups: &mut Vec<usize>,
    ) {
        if d == self.digits {
            digit_groups.push(p);
        }
        if s >= self.first_match {
            let state = (s - self.first_match) as usize / self.classes;
            for &k in self.matches[state].iter() {
                let k = k as usize;
                keywords.push((p + 1 - self.lens[k], p + 1, k));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every occurrence of every word, in any ASCII case, and every digit group, the slow
    /// way.
    fn naive(words: &[&str], group: usize, hay: &[u8]) -> Hits {
        let mut hits = Hits::default();
        for (k, w) in words.iter().enumerate() {
            let w = w.as_bytes();
            for s in 0..hay.len() {
                if hay.len() - s >= w.len() && hay[s..s + w.len()].eq_ignore_ascii_case(w) {
                    hits.keywords.push((s, s + w.len(), k));
                }
            }
        }
        let mut run = 0;
        for (p, b) in hay.iter().enumerate() {
            run = if b.is_ascii_digit() { run + 1 } else { 0 };
            if run == group {
                hits.digit_groups.push(p);
            }
        }
        hits.keywords.sort_unstable();
        hits
    }

    fn check(words: &[&str], group: usize, hay: &[u8]) {
        let owned: Vec<String> = words.iter().map(|w| w.to_string()).collect();
        let pf = Prefilter::new(&owned, Some(group)).unwrap();
        let mut got = Hits::default();
        pf.search(hay, &mut got);
        let want = naive(words, group, hay);
        // In order of where they end.
        assert!(got.keywords.is_sorted_by_key(|h| h.1));
        got.keywords.sort_unstable();
        assert_eq!(got.keywords, want.keywords);
        assert_eq!(got.digit_groups, want.digit_groups);
    }

    #[test]
    fn finds_every_occurrence_in_short_and_long_files_alike() {
        let words = ["key", "api_key", "AKIA", "+", "passwd", "pass"];
        check(&words, 3, b"api_KEY=1234 akia Passwd+ 12 999");
        // Long enough for four stretches; hits and digit groups placed on every seam.
        let mut long = Vec::new();
        let mut i = 0u32;
        while long.len() < 40_000 {
            long.extend_from_slice(match i % 7 {
                0 => b"xx api_key ".as_slice(),
                1 => b"1234567 ",
                2 => b"PASSwd",
                3 => b"12",
                4 => b"3",
                5 => b"x+y ",
                _ => b"akia",
            });
            i += 1;
        }
        for cut in [40_000, 39_999, 20_001, 4096, 2048, 2047] {
            check(&words, 3, &long[..cut]);
        }
    }

    #[test]
    fn no_keywords_still_counts_digits_and_no_group_reports_none() {
        check(&[], 4, b"12 1234 123456789 ab1234");
        let pf = Prefilter::new(&["tok".to_string()], None).unwrap();
        let mut got = Hits::default();
        pf.search(b"123456789 TOKEN", &mut got);
        assert!(got.digit_groups.is_empty());
        assert_eq!(got.keywords, [(10, 13, 0)]);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        /// Files made of keyword pieces, digits and filler, long enough that the four
        /// stretches and their seams land everywhere.
        #[test]
        fn stretches_find_what_one_walk_finds(
            pieces in proptest::collection::vec(0usize..9, 0..3000),
            group in 1usize..6,
        ) {
            const PIECES: [&[u8]; 9] =
                [b"ke", b"y", b"API_", b"1", b"22", b"x", b" ", b"AKIA", b"\xc3\xa9"];
            let hay: Vec<u8> = pieces.iter().flat_map(|&p| PIECES[p].iter().copied()).collect();
            check(&["key", "api_key", "AKIA", "x y", "1 2"], group, &hay);
        }
    }
}
