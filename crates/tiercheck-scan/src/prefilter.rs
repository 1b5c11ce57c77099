//! The one pass over every byte of a file: where keywords occur, and which runs of bytes
//! could hold a keyword-less rule's value (a card number, an IBAN).
//!
//! The keywords become an Aho-Corasick automaton (ASCII case-insensitive, every
//! occurrence reported, overlapping ones included), built directly as a flat transition
//! table over byte classes whose match states come last, so a step is one table load and a
//! match is one compare. (Building it here rather than copying the `aho-corasick` crate's
//! DFA saves that crate's own full DFA at every start: 3 ms of a 20 ms start with 700
//! keywords, measured.)
//! A table walk is bound by the latency of each load on the one before, not by the
//! processor's throughput, so [`Prefilter::search`] walks four stretches of a file at
//! once, each starting a keyword's length before its own part so nothing is missed at
//! the seams: four independent chains of loads run in the time of about two. Tracking the
//! current run of bytes (its length and digits) rides along in the same loop for free.

use std::ops::Range;

/// Entries of a [`Table::Small`]: any 16-bit state plus any class.
const SMALL: usize = (1 << 16) + 256;
/// Entries of a [`Table::Mid`]: any 18-bit state plus any class (1 MiB).
const MID: usize = (1 << 18) + 256;

/// Files shorter than this are walked as one stretch.
const LANE_MIN: usize = 2048;

/// `table[state + class]`: the next state, already multiplied by the number of classes.
enum Table {
    /// A fixed-size array, when every state fits in 16 bits (tiercheck's built-in
    /// rules' keywords take about 40,000 entries): indexing it needs no bounds check, which the
    /// walk would pay at every byte.
    Small(Box<[u32; SMALL]>),
    /// The same for every state below 2^18 (about 700 keywords take 180,000 entries).
    Mid(Box<[u32; MID]>),
    /// Any size.
    Big(Vec<u32>),
}

/// Keyword automaton and run tracker, built once per scanner.
pub(crate) struct Prefilter {
    /// Byte → equivalence class (bytes every state treats alike).
    class: [u8; 256],
    classes: usize,
    /// The transitions.
    table: Table,
    start: u32,
    /// States at or above this one are match states.
    first_match: u32,
    /// Per match state (its index minus the first match state's), the keywords that end
    /// there.
    matches: Vec<Box<[u32]>>,
    /// Keyword lengths in bytes, by keyword index.
    lens: Vec<usize>,
    /// How far before its own part a stretch starts: the longest keyword.
    overlap: usize,
    /// Per byte, what it adds to the current run's count (see [`FITS`]): 0 when it ends
    /// the run.
    run_add: [u64; 256],
    /// A fresh run's count: so biased that [`FITS`] is set once the run is long enough
    /// and holds enough digits.
    run_fresh: u64,
}

/// Which runs of bytes the pass reports: maximal runs of `allowed` bytes, at least
/// `min_len` long, holding at least `min_digits` ASCII digits.
#[derive(Debug, Clone)]
pub(crate) struct RunFilter {
    pub allowed: [bool; 256],
    pub min_len: usize,
    pub min_digits: usize,
}

/// The run a walk is in, as one number: its length in the low 32 bits and its digits in
/// the high 32 bits, each biased so that its top bit turns on when it reaches the filter's
/// minimum. A run reaching 2^31 bytes would carry over: files are scanned only up to
/// [`crate::MAX_FILE_SIZE_LIMIT`] (1 GiB).
const FITS: u64 = 1 << 31 | 1 << 63;
/// What a digit adds to a run (one byte, one digit).
const DIGIT: u64 = 1 | 1 << 32;
/// A count that fits from the start: for a run already under way where a stretch begins.
const ALREADY: u64 = FITS;

/// Whether a run with count `r` is reported when byte `add` (from `run_add`) ends it.
#[inline(always)]
fn run_ended(r: u64, add: u64) -> bool {
    (add == 0) & (r & FITS == FITS)
}

/// The count after byte `add`.
#[inline(always)]
fn run_next(r: u64, add: u64, fresh: u64) -> u64 {
    if add == 0 { fresh } else { r + add }
}

/// Keyword hits and run ends, as in [`Hits`].
type Found = (Vec<(usize, usize, usize)>, Vec<usize>);

/// What [`Prefilter::search`] found in one file, in increasing order of where it ends.
#[derive(Debug, Default)]
pub(crate) struct Hits {
    /// `(start, end, keyword index)`.
    pub keywords: Vec<(usize, usize, usize)>,
    /// Where runs that may pass the [`RunFilter`] end (exclusive). A run that began
    /// before a stretch did is reported whatever its length: the reader checks it again.
    pub runs: Vec<usize>,
    /// What the later stretches of [`Prefilter::lanes`] found, appended once they are done.
    lanes: [Found; 3],
}

impl Hits {
    fn clear(&mut self) {
        self.keywords.clear();
        self.runs.clear();
    }
}

impl Prefilter {
    /// An automaton for `words` (matched in any ASCII case) that also reports the runs
    /// `runs` asks for (`None`: no runs).
    pub(crate) fn new(words: &[String], runs: Option<&RunFilter>) -> Result<Prefilter, String> {
        // Byte classes: the automaton treats alike every byte that occurs in no keyword,
        // and a letter like its other case; every other byte is a class of its own.
        let mut class = [0u8; 256];
        let mut reps: Vec<u8> = Vec::new();
        let mut seen = [false; 256];
        for w in words {
            for b in w.bytes() {
                seen[b.to_ascii_lowercase() as usize] = true;
                seen[b.to_ascii_uppercase() as usize] = true;
            }
        }
        if let Some(other) = (0..=255u8).find(|&b| !seen[b as usize]) {
            reps.push(other);
        }
        for b in 0..=255u8 {
            if seen[b as usize] {
                let lower = b.to_ascii_lowercase();
                if b == lower {
                    reps.push(b);
                }
            }
        }
        for b in 0..=255u8 {
            class[b as usize] = if seen[b as usize] {
                let lower = b.to_ascii_lowercase();
                // At most 256 classes, so one fits in a byte.
                reps.iter().position(|&r| r == lower).unwrap_or(0) as u8
            } else {
                0
            };
        }
        let classes = reps.len();
        // The Aho-Corasick automaton, built directly over the classes: a trie of the
        // keywords (state 0 is the root), then, breadth first, each state's failure state
        // (the longest proper suffix of its path that is a trie path) and its transitions
        // for every class, so that a step never follows a failure link at search time.
        const NONE: u32 = u32::MAX;
        let mut next: Vec<u32> = vec![NONE; classes];
        let mut ends: Vec<Vec<u32>> = vec![Vec::new()];
        for (i, w) in words.iter().enumerate() {
            if w.is_empty() {
                return Err("cannot build keyword set: a keyword is empty".into());
            }
            let mut s = 0usize;
            for b in w.bytes() {
                let at = s * classes + class[b as usize] as usize;
                s = if next[at] == NONE {
                    let n = ends.len();
                    next[at] = u32::try_from(n)
                        .map_err(|_| "cannot build keyword set: too many keywords")?;
                    next.resize(next.len() + classes, NONE);
                    ends.push(Vec::new());
                    n
                } else {
                    next[at] as usize
                };
            }
            let id = u32::try_from(i).map_err(|_| "cannot build keyword set: too many keywords")?;
            ends[s].push(id);
        }
        let states = ends.len();
        let mut fail = vec![0usize; states];
        let mut queue: Vec<usize> = Vec::with_capacity(states);
        for t in next.iter_mut().take(classes) {
            match *t {
                NONE => *t = 0,
                child => queue.push(child as usize),
            }
        }
        let mut head = 0;
        while head < queue.len() {
            let s = queue[head];
            head += 1;
            // The failure state is shallower, so its keywords are complete already.
            if fail[s] != s && !ends[fail[s]].is_empty() {
                let more = ends[fail[s]].clone();
                ends[s].extend(more);
            }
            for c in 0..classes {
                let via_fail = next[fail[s] * classes + c];
                match next[s * classes + c] {
                    NONE => next[s * classes + c] = via_fail,
                    t => {
                        fail[t as usize] = via_fail as usize;
                        queue.push(t as usize);
                    }
                }
            }
        }
        // Match states last, so that a match is one compare during the walk.
        let is_match: Vec<bool> = ends.iter().map(|e| !e.is_empty()).collect();
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
            for c in 0..classes {
                trans[row + c] = scaled(renumber[next[s * classes + c] as usize])?;
            }
            if is_match[s] {
                matches[renumber[s] - first_match] = std::mem::take(&mut ends[s]).into();
            }
        }
        let lens: Vec<usize> = words.iter().map(String::len).collect();
        let overlap = lens.iter().copied().max().unwrap_or(0).max(1);
        Ok(Prefilter {
            class,
            classes,
            table: if trans.len() <= 1 << 16 {
                let mut small = vec![0u32; SMALL];
                small[..trans.len()].copy_from_slice(&trans);
                match small.into_boxed_slice().try_into() {
                    Ok(t) => Table::Small(t),
                    Err(_) => Table::Big(trans),
                }
            } else if trans.len() <= 1 << 18 {
                let mut mid = vec![0u32; MID];
                mid[..trans.len()].copy_from_slice(&trans);
                match mid.into_boxed_slice().try_into() {
                    Ok(t) => Table::Mid(t),
                    Err(_) => Table::Big(trans),
                }
            } else {
                Table::Big(trans)
            },
            start: scaled(renumber[0])?,
            first_match: scaled(first_match)?,
            matches,
            lens,
            overlap,
            run_add: [0; 256],
            run_fresh: 0,
        })
        .map(|mut p| {
            if let Some(f) = runs {
                p.set_runs(f);
            }
            p
        })
    }

    /// From now on, also report the runs `f` asks for.
    pub(crate) fn set_runs(&mut self, f: &RunFilter) {
        for (b, add) in self.run_add.iter_mut().enumerate() {
            *add = match (f.allowed[b], (b as u8).is_ascii_digit()) {
                (false, _) => 0,
                (true, true) => DIGIT,
                (true, false) => 1,
            };
        }
        let bias = |min: usize| (1u64 << 31) - (min.clamp(1, 1 << 31) as u64);
        self.run_fresh = bias(f.min_len) | bias(f.min_digits.max(1)) << 32;
    }

    /// Every keyword occurrence and run of `hay`, into `hits` (cleared first).
    /// With `runs` false, runs are not followed (a scan that runs no keyword-less rule,
    /// such as a secrets-only one, skips that work at every byte).
    /// Only what ends inside `range` is reported (a keyword whose last byte, a run whose
    /// end, lies there; a run still open at the end of `hay` when `range` reaches it), so
    /// a large file can be searched a part at a time with bounded hit lists.
    pub(crate) fn search(&self, hay: &[u8], range: Range<usize>, hits: &mut Hits, runs: bool) {
        match (&self.table, runs) {
            (Table::Small(t), true) => self.search_with::<true>(hay, range, hits, |s, c| {
                t[(s & 0xffff) as usize + c as usize]
            }),
            (Table::Small(t), false) => self.search_with::<false>(hay, range, hits, |s, c| {
                t[(s & 0xffff) as usize + c as usize]
            }),
            (Table::Mid(t), true) => self.search_with::<true>(hay, range, hits, |s, c| {
                t[(s & 0x3ffff) as usize + c as usize]
            }),
            (Table::Mid(t), false) => self.search_with::<false>(hay, range, hits, |s, c| {
                t[(s & 0x3ffff) as usize + c as usize]
            }),
            (Table::Big(t), true) => {
                self.search_with::<true>(hay, range, hits, |s, c| t[s as usize + c as usize])
            }
            (Table::Big(t), false) => {
                self.search_with::<false>(hay, range, hits, |s, c| t[s as usize + c as usize])
            }
        }
    }

    /// [`Prefilter::search`] with `next(state, class)` giving the next state.
    fn search_with<const RUNS: bool>(
        &self,
        hay: &[u8],
        range: Range<usize>,
        hits: &mut Hits,
        next: impl Fn(u32, u8) -> u32 + Copy,
    ) {
        hits.clear();
        let n = range.len();
        let part = n / 4;
        if n < LANE_MIN || part <= self.overlap {
            let from = range.start.saturating_sub(self.overlap);
            self.walk::<RUNS>(
                next,
                hay,
                from..range.end,
                range.start,
                (self.start, self.run_start(hay, from)),
                &mut hits.keywords,
                &mut hits.runs,
            );
        } else {
            let mut later = std::mem::take(&mut hits.lanes);
            for (k, d) in &mut later {
                k.clear();
                d.clear();
            }
            self.lanes::<RUNS>(next, hay, range, part, hits, &mut later);
            for (k, d) in &mut later {
                hits.keywords.append(k);
                hits.runs.append(d);
            }
            hits.lanes = later;
        }
    }

    /// The count a stretch starting at `from` begins with: a run under way there is
    /// reported when it ends, whatever its length (the reader checks it again).
    fn run_start(&self, hay: &[u8], from: usize) -> u64 {
        match from.checked_sub(1).map(|p| self.run_add[hay[p] as usize]) {
            Some(add) if add != 0 => ALREADY,
            _ => self.run_fresh,
        }
    }

    /// Walks `hay[walk]` from state `s` and run count `r`, reporting what ends at or after
    /// `own` (and a run still open at the end of `hay`, when the walk gets there).
    #[allow(clippy::too_many_arguments)]
    fn walk<const RUNS: bool>(
        &self,
        next: impl Fn(u32, u8) -> u32,
        hay: &[u8],
        walk: Range<usize>,
        own: usize,
        (mut s, mut r): (u32, u64),
        keywords: &mut Vec<(usize, usize, usize)>,
        runs: &mut Vec<usize>,
    ) {
        let end = walk.end;
        for (p, &b) in hay[..end].iter().enumerate().skip(walk.start) {
            s = next(s, self.class[b as usize]);
            let add = self.run_add[b as usize];
            let ended = RUNS && run_ended(r, add);
            if RUNS {
                r = run_next(r, add, self.run_fresh);
            }
            if ((s >= self.first_match) | ended) && p >= own {
                self.record(s, ended, p, keywords, runs);
            }
        }
        if RUNS && end == hay.len() && run_ended(r, 0) {
            runs.push(end);
        }
    }

    /// Four stretches of `range` in lockstep: stretch `k` owns `part` bytes from
    /// `range.start + k * part` and starts `overlap` bytes early; the last one also owns
    /// the remainder.
    fn lanes<const RUNS: bool>(
        &self,
        next: impl Fn(u32, u8) -> u32,
        hay: &[u8],
        range: Range<usize>,
        part: usize,
        first: &mut Hits,
        later: &mut [Found; 3],
    ) {
        let ov = self.overlap;
        let base = range.start;
        let own = [base, base + part, base + 2 * part, base + 3 * part];
        let until = [base + part, base + 2 * part, base + 3 * part, usize::MAX];
        let from = own.map(|o| o.saturating_sub(ov));
        let len = part + ov;
        let (l0, l1, l2, l3) = (
            &hay[from[0]..from[0] + len],
            &hay[from[1]..from[1] + len],
            &hay[from[2]..from[2] + len],
            &hay[from[3]..from[3] + len],
        );
        let (class, fm, add, fresh) =
            (&self.class, self.first_match, &self.run_add, self.run_fresh);
        let [(k1, d1), (k2, d2), (k3, d3)] = later;
        let out = [
            (&mut first.keywords, &mut first.runs),
            (k1, d1),
            (k2, d2),
            (k3, d3),
        ];
        let mut s = [self.start; 4];
        let mut r = from.map(|f| self.run_start(hay, f));
        macro_rules! step {
            ($k:literal, $lane:ident, $i:ident) => {{
                let byte = $lane[$i];
                s[$k] = next(s[$k], class[byte as usize]);
                let inc = add[byte as usize];
                let ended = RUNS && run_ended(r[$k], inc);
                if RUNS {
                    r[$k] = run_next(r[$k], inc, fresh);
                }
                if (s[$k] >= fm) | ended {
                    let p = from[$k] + $i;
                    // A stretch reports only inside its own part; the next one reports
                    // what its overlap sees.
                    if p >= own[$k] && p < until[$k] {
                        self.record(s[$k], ended, p, out[$k].0, out[$k].1);
                    }
                }
            }};
        }
        for i in 0..len {
            step!(0, l0, i);
            step!(1, l1, i);
            step!(2, l2, i);
            step!(3, l3, i);
        }
        // The last stretch goes on to the end of the range.
        let [_, _, _, (keys, runs)] = out;
        let rest = from[3] + len;
        self.walk::<RUNS>(next, hay, rest..range.end, rest, (s[3], r[3]), keys, runs);
    }

    #[cold]
    #[inline(never)]
    fn record(
        &self,
        s: u32,
        ended: bool,
        p: usize,
        keywords: &mut Vec<(usize, usize, usize)>,
        runs: &mut Vec<usize>,
    ) {
        if ended {
            runs.push(p);
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

    /// Runs of digits, spaces and dashes with at least `len` bytes and 2 digits.
    fn filter(len: usize) -> RunFilter {
        let mut allowed = [false; 256];
        for b in b"0123456789 -" {
            allowed[*b as usize] = true;
        }
        RunFilter {
            allowed,
            min_len: len,
            min_digits: 2,
        }
    }

    /// Every occurrence of every word, in any ASCII case, and every run that passes the
    /// filter, the slow way.
    fn naive(words: &[&str], f: &RunFilter, hay: &[u8]) -> Hits {
        let mut hits = Hits::default();
        for (k, w) in words.iter().enumerate() {
            let w = w.as_bytes();
            for s in 0..hay.len() {
                if hay.len() - s >= w.len() && hay[s..s + w.len()].eq_ignore_ascii_case(w) {
                    hits.keywords.push((s, s + w.len(), k));
                }
            }
        }
        let mut start = 0;
        for p in 0..=hay.len() {
            if p == hay.len() || !f.allowed[hay[p] as usize] {
                let run = &hay[start..p];
                if run.len() >= f.min_len.max(1)
                    && run.iter().filter(|b| b.is_ascii_digit()).count() >= f.min_digits
                {
                    hits.runs.push(p);
                }
                start = p + 1;
            }
        }
        hits.keywords.sort_unstable();
        hits
    }

    fn check(words: &[&str], f: &RunFilter, hay: &[u8]) {
        let owned: Vec<String> = words.iter().map(|w| w.to_string()).collect();
        let pf = Prefilter::new(&owned, Some(f)).unwrap();
        let mut got = Hits::default();
        pf.search(hay, 0..hay.len(), &mut got, true);
        let want = naive(words, f, hay);
        // In order of where they end.
        assert!(got.keywords.is_sorted_by_key(|h| h.1));
        got.keywords.sort_unstable();
        assert_eq!(got.keywords, want.keywords);
        // Every run that passes is reported; a long run that began before a stretch did
        // may be reported when it does not pass (the reader checks again), never a
        // place that does not end a run.
        assert!(got.runs.is_sorted());
        for end in &want.runs {
            assert!(got.runs.contains(end), "run ending at {end} missed");
        }
        for &end in &got.runs {
            assert!(end > 0 && f.allowed[hay[end - 1] as usize]);
            assert!(end == hay.len() || !f.allowed[hay[end] as usize]);
        }
        // A part at a time (as the engine searches a large file): the same, in order.
        let mut parts = Hits::default();
        let (mut keys, mut ends) = (Vec::new(), Vec::new());
        let step = hay.len() / 3 + 1;
        for start in (0..hay.len().max(1)).step_by(step) {
            pf.search(hay, start..(start + step).min(hay.len()), &mut parts, true);
            keys.append(&mut parts.keywords);
            ends.append(&mut parts.runs);
        }
        keys.sort_unstable();
        assert_eq!(keys, got.keywords);
        // Runs: every one that passes, in order; where a part begins inside a long run,
        // that run may be reported as well.
        assert!(ends.is_sorted());
        for end in &want.runs {
            assert!(ends.contains(end), "run ending at {end} missed by parts");
        }
        for &end in &ends {
            assert!(end > 0 && f.allowed[hay[end - 1] as usize]);
            assert!(end == hay.len() || !f.allowed[hay[end] as usize]);
        }
        // Without runs: the same keywords, no runs.
        let mut plain = Hits::default();
        pf.search(hay, 0..hay.len(), &mut plain, false);
        plain.keywords.sort_unstable();
        assert_eq!(plain.keywords, got.keywords);
        assert!(plain.runs.is_empty());
    }

    #[test]
    fn finds_every_occurrence_in_short_and_long_files_alike() {
        let words = ["key", "api_key", "AKIA", "+", "passwd", "pass"];
        check(
            &words,
            &filter(5),
            b"api_KEY=1234 akia Passwd+ 12 999 1-2-3",
        );
        // Long enough for four stretches; hits and runs placed on every seam.
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
            check(&words, &filter(5), &long[..cut]);
        }
        // One run longer than a stretch.
        let mut digits = vec![b'7'; 9000];
        digits.extend_from_slice(b" x 12 345");
        check(&words, &filter(5), &digits);
    }

    #[test]
    fn a_keyword_set_too_big_for_the_small_table_finds_the_same() {
        // Four letters spelling a number in base 26, then a digit.
        let word = |i: usize| {
            let l = |k: usize| char::from(b'a' + (i / 26usize.pow(k as u32) % 26) as u8);
            format!("{}{}{}{}{}", l(3), l(2), l(1), l(0), i % 10)
        };
        let words: Vec<String> = (0..3000).map(|i| word(i * 37)).collect();
        let refs: Vec<&str> = words.iter().map(String::as_str).collect();
        let pf = Prefilter::new(&words, None).unwrap();
        assert!(matches!(pf.table, Table::Big(_)));
        let mut hay = Vec::new();
        for i in (0..3000).step_by(7) {
            hay.extend_from_slice(format!("x {} 12-34 ", word(i * 37).to_uppercase()).as_bytes());
        }
        check(&refs, &filter(4), &hay);
        let one = Prefilter::new(&["key".to_string()], None).unwrap();
        assert!(matches!(one.table, Table::Small(_)));
        // A thousand of them fit the middle table.
        let mid: Vec<String> = words[..1000].to_vec();
        let pf = Prefilter::new(&mid, None).unwrap();
        assert!(matches!(pf.table, Table::Mid(_)));
        check(&refs[..1000], &filter(4), &hay);
    }

    #[test]
    fn without_a_filter_no_runs_are_reported() {
        let pf = Prefilter::new(&["tok".to_string()], None).unwrap();
        let mut got = Hits::default();
        pf.search(b"123456789 TOKEN", 0..15, &mut got, true);
        assert!(got.runs.is_empty());
        assert_eq!(got.keywords, [(10, 13, 0)]);
        check(&[], &filter(3), b"12 1234 123456789 ab1234");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        /// Files made of keyword pieces, digits and filler, long enough that the four
        /// stretches and their seams land everywhere.
        #[test]
        fn stretches_find_what_one_walk_finds(
            pieces in proptest::collection::vec(0usize..9, 0..3000),
            len in 1usize..12,
        ) {
            const PIECES: [&[u8]; 9] =
                [b"ke", b"y", b"API_", b"1", b"22", b"x", b" ", b"AKIA", b"\xc3\xa9"];
            let hay: Vec<u8> = pieces.iter().flat_map(|&p| PIECES[p].iter().copied()).collect();
            check(&["key", "api_key", "AKIA", "x y", "1 2"], &filter(len), &hay);
        }
    }
}
