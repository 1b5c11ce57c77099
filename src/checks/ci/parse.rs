//! Reading one CI file into the things it runs, each with its line.

use serde_json::Value;

use super::CiFile;
use crate::detection::CiFormat;

/// What kind of thing a CI file runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemKind {
    /// A GitHub Actions `uses:` (step action or reusable workflow).
    Uses,
    /// A command: a `run:` step, a pipeline string value, a Jenkinsfile line or a local
    /// pre-commit `entry`.
    Run,
    /// A pre-commit hook id.
    Hook,
}

/// One thing a CI file runs.
#[derive(Debug, Clone)]
pub struct Item {
    /// What it is.
    pub kind: ItemKind,
    /// Its text (the action reference, the command, the hook id).
    pub text: String,
    /// 1-based line of its first line, when it could be located.
    pub line: Option<u64>,
    /// The job it belongs to (GitHub Actions).
    pub job: Option<String>,
}

/// Finds where values are written, moving forward through the file as the parsed tree is
/// walked in document order.
struct Lines<'a> {
    lines: Vec<&'a str>,
    cursor: usize,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str) -> Self {
        Lines {
            lines: text.lines().collect(),
            cursor: 0,
        }
    }

    /// The line holding the first non-empty line of `value` written under `key` (a line
    /// with both, else one with the value: block scalars start on the next line), searching
    /// forward from the last hit and then from the top.
    fn find(&mut self, key: &str, value: &str) -> Option<u64> {
        let needle = value.lines().map(str::trim).find(|l| !l.is_empty())?;
        let keyed = format!("{key}:");
        let order = || (self.cursor..self.lines.len()).chain(0..self.cursor);
        let hit = order()
            .find(|&i| self.lines[i].contains(needle) && self.lines[i].contains(&keyed))
            .or_else(|| order().find(|&i| self.lines[i].contains(needle)))?;
        self.cursor = hit;
        Some(hit as u64 + 1)
    }
}

/// Parses a CI file; returns it (with no items when broken) and the parse problem if any.
pub(super) fn parse(
    path: String,
    rel: String,
    system: String,
    format: CiFormat,
    text: String,
) -> (CiFile, Option<(String, Option<u64>)>) {
    let mut file = CiFile {
        path,
        rel,
        system,
        format,
        text,
        value: None,
        items: Vec::new(),
    };
    if format == CiFormat::Text {
        file.items = file
            .text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(i, l)| Item {
                kind: ItemKind::Run,
                text: l.trim().to_string(),
                line: Some(i as u64 + 1),
                job: None,
            })
            .collect();
        return (file, None);
    }
    let value: Value = match serde_saphyr::from_str(&file.text) {
        Ok(v) => v,
        Err(e) => return (file, Some(yaml_problem(&e.to_string()))),
    };
    let mut lines = Lines::new(&file.text);
    let mut items = Vec::new();
    match format {
        CiFormat::GithubActions => github(&value, &mut lines, &mut items),
        CiFormat::PreCommit => pre_commit(&value, &mut lines, &mut items),
        CiFormat::Yaml | CiFormat::Text => strings("", &value, &mut lines, &mut items),
    }
    file.items = items;
    file.value = Some(value);
    (file, None)
}

/// The message and line of a YAML error (its first line reads `error: line L column C: …`).
pub fn yaml_problem(err: &str) -> (String, Option<u64>) {
    let first = err.lines().next().unwrap_or(err);
    let msg = first.strip_prefix("error: ").unwrap_or(first).to_string();
    let line = msg
        .strip_prefix("line ")
        .and_then(|r| r.split_whitespace().next())
        .and_then(|n| n.parse().ok());
    (msg, line)
}

fn github(v: &Value, lines: &mut Lines<'_>, out: &mut Vec<Item>) {
    // A composite action (`action.yml`) runs its steps under `runs:`.
    if let Some(steps) = v.pointer("/runs/steps").and_then(Value::as_array) {
        github_steps(steps, None, lines, out);
    }
    let Some(jobs) = v.get("jobs").and_then(Value::as_object) else {
        return;
    };
    for (job, body) in jobs {
        let job_name = Some(job.clone());
        if let Some(u) = body.get("uses").and_then(Value::as_str) {
            out.push(Item {
                kind: ItemKind::Uses,
                line: lines.find("uses", u),
                text: u.to_string(),
                job: job_name.clone(),
            });
        }
        if let Some(steps) = body.get("steps").and_then(Value::as_array) {
            github_steps(steps, job_name, lines, out);
        }
    }
}

fn github_steps(steps: &[Value], job: Option<String>, lines: &mut Lines<'_>, out: &mut Vec<Item>) {
    for step in steps {
        for (key, kind) in [("uses", ItemKind::Uses), ("run", ItemKind::Run)] {
            if let Some(s) = step.get(key).and_then(Value::as_str) {
                out.push(Item {
                    kind,
                    line: lines.find(key, s),
                    text: s.to_string(),
                    job: job.clone(),
                });
            }
        }
    }
}

fn pre_commit(v: &Value, lines: &mut Lines<'_>, out: &mut Vec<Item>) {
    for repo in v
        .get("repos")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        for hook in repo
            .get("hooks")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(id) = hook.get("id").and_then(Value::as_str) {
                out.push(Item {
                    kind: ItemKind::Hook,
                    line: lines.find("id", id),
                    text: id.to_string(),
                    job: None,
                });
            }
            if let Some(entry) = hook.get("entry").and_then(Value::as_str) {
                out.push(Item {
                    kind: ItemKind::Run,
                    line: lines.find("entry", entry),
                    text: entry.to_string(),
                    job: None,
                });
            }
        }
    }
}

/// Every string value of a pipeline (GitLab `script:`, CircleCI `run:`, Azure `script:` and
/// `task:`, Bitbucket `script:` and `pipe:`, orbs, includes, images).
fn strings(key: &str, v: &Value, lines: &mut Lines<'_>, out: &mut Vec<Item>) {
    match v {
        Value::String(s) => out.push(Item {
            kind: ItemKind::Run,
            line: lines.find(key, s),
            text: s.clone(),
            job: None,
        }),
        Value::Array(a) => a.iter().for_each(|x| strings(key, x, lines, out)),
        Value::Object(o) => o.iter().for_each(|(k, x)| strings(k, x, lines, out)),
        _ => {}
    }
}
