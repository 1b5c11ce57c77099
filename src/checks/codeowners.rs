//! `codeowners`: a CODEOWNERS file exists (in the artifact or at the repository root) and
//! every rule in it is well-formed: a path pattern followed by owners, each a `@user`, an
//! `@org/team` or an email address (the accepted owner forms are policy regexes). GitLab
//! section headers (`[Section]`, `^[Optional][2] @default-owner`) are accepted.

use regex::Regex;
use serde::{Deserialize, Serialize};

use super::ci::{self, read_capped};
use super::{Ctx, Evidence, Outcome, Status};
use crate::config::{Sp, Validator};

const KIND: &str = "codeowners";

/// Settings of `codeowners`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Where the file may be, in order of precedence.
    pub globs: Vec<Sp<String>>,
    /// Regexes an owner must match entirely (`@user`, `@org/team`, email).
    pub owners: Vec<Sp<String>>,
}

/// A problem on one line of a CODEOWNERS file.
#[derive(Debug, PartialEq, Eq)]
pub struct LineProblem {
    /// 1-based line.
    pub line: u64,
    /// What is wrong.
    pub message: String,
}

/// Splits a line on whitespace not escaped with a backslash.
fn fields(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut escaped = false;
    for c in line.chars() {
        if escaped {
            cur.push(c);
            escaped = false;
        } else if c == '\\' {
            cur.push(c);
            escaped = true;
        } else if c.is_whitespace() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
        } else {
            cur.push(c);
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Checks every rule of a CODEOWNERS text; returns the problems and the number of rules.
pub fn lint(text: &str, owners: &[Regex]) -> (Vec<LineProblem>, usize) {
    let mut problems = Vec::new();
    let mut rules = 0;
    let ok = |o: &str| owners.iter().any(|re| re.is_match(o));
    for (i, raw) in text.lines().enumerate() {
        let line = i as u64 + 1;
        let t = raw.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let mut parts = fields(t);
        // A trailing comment ends the rule.
        if let Some(c) = parts.iter().skip(1).position(|p| p.starts_with('#')) {
            parts.truncate(c + 1);
        }
        let (pattern, owners_given): (&str, &[String]) = (&parts[0], &parts[1..]);
        if pattern.starts_with('[') || pattern.starts_with("^[") {
            // GitLab section: `[Name]`, `[Name][2]`, `^[Name]`, then optional default owners.
            let close = t.find(']');
            if close.is_none() {
                problems.push(LineProblem {
                    line,
                    message: "section header without `]`".into(),
                });
                continue;
            }
            let header_end = t[..]
                .char_indices()
                .skip_while(|(_, c)| *c != ']')
                .find(|(_, c)| c.is_whitespace())
                .map_or(t.len(), |(i, _)| i);
            for o in fields(&t[header_end..]) {
                if !ok(&o) {
                    problems.push(LineProblem {
                        line,
                        message: format!("malformed owner `{o}` in section header"),
                    });
                }
            }
            continue;
        }
        rules += 1;
        if owners_given.is_empty() {
            problems.push(LineProblem {
                line,
                message: format!("pattern `{pattern}` has no owner"),
            });
        }
        for o in owners_given {
            if !ok(o) {
                problems.push(LineProblem {
                    line,
                    message: format!(
                        "malformed owner `{o}` (expected @user, @org/team or an email address)"
                    ),
                });
            }
        }
    }
    (problems, rules)
}

impl Config {
    pub(super) fn validate(&self, v: &mut Validator<'_>, origin: usize, owner: &str) {
        for g in &self.globs {
            v.glob(origin, g, owner);
        }
        for r in &self.owners {
            v.regex(origin, r, owner);
        }
    }

    pub(super) fn run(&self, ctx: &Ctx<'_>) -> Outcome {
        let owners: Vec<Regex> = self
            .owners
            .iter()
            .filter_map(|r| Regex::new(&format!("^(?:{})$", r.value)).ok())
            .collect();
        // The first glob, in policy order, that matches wins (GitHub reads .github/ first).
        let mut hit = None;
        for g in &self.globs {
            let Ok(set) = super::file_exists::glob_set(std::slice::from_ref(g), false) else {
                continue;
            };
            if let Some(f) = ci::matching_files(ctx, &set, ci::glob_depth(g))
                .into_iter()
                .next()
            {
                hit = Some(f);
                break;
            }
        }
        let Some(f) = hit else {
            let wanted: Vec<&str> = self.globs.iter().map(|g| g.value.as_str()).collect();
            return Outcome::one(
                Status::Fail,
                Evidence::new(
                    KIND,
                    "codeowners-missing",
                    format!("no CODEOWNERS file ({})", wanted.join(", ")),
                ),
            );
        };
        let text = match read_capped(&f.abs) {
            Ok(t) => t,
            Err(why) => {
                return Outcome::one(Status::Error, ci::unreadable(KIND, &f.shown, &why));
            }
        };
        let (problems, rules) = lint(&text, &owners);
        if problems.is_empty() && rules > 0 {
            return Outcome::one(
                Status::Pass,
                Evidence::new(
                    KIND,
                    "codeowners",
                    format!("{} assigns owners in {rules} rule(s)", f.shown),
                )
                .at(f.shown, None),
            );
        }
        let mut ev: Vec<Evidence> = problems
            .into_iter()
            .map(|p| {
                Evidence::new(
                    KIND,
                    "codeowners-invalid",
                    format!("{}: {}", f.shown, p.message),
                )
                .at(f.shown.clone(), Some(p.line))
            })
            .collect();
        if rules == 0 {
            ev.push(
                Evidence::new(
                    KIND,
                    "codeowners-invalid",
                    format!("{} has no ownership rule", f.shown),
                )
                .at(f.shown.clone(), None),
            );
        }
        Outcome {
            status: Status::Fail,
            evidence: ev,
            findings: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owners() -> Vec<Regex> {
        [
            r"@[A-Za-z0-9][A-Za-z0-9._-]*",
            r"@[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._/-]*",
            r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}",
        ]
        .iter()
        .map(|r| Regex::new(&format!("^(?:{r})$")).unwrap())
        .collect()
    }

    #[test]
    fn accepts_well_formed_rules() {
        let text = "# Owners\n*       @acme/platform\n/docs/  docs@acme.example @jane # docs team\npath\\ with\\ space @bob\n\n[Backend][2] @acme/backend\n/api/ @carol\n";
        let (p, rules) = lint(text, &owners());
        assert!(p.is_empty(), "{p:?}");
        assert_eq!(rules, 4);
    }

    #[test]
    fn reports_bad_lines_with_numbers() {
        let text = "* @acme/platform\n/src/\n/lib/ jane\n/x/ @@bad\n";
        let (p, _) = lint(text, &owners());
        let lines: Vec<u64> = p.iter().map(|x| x.line).collect();
        assert_eq!(lines, [2, 3, 4]);
        assert!(p[0].message.contains("no owner"));
    }
}
