//! Finding the policy's tools (`tools:`) in CI files, pre-commit hooks and configuration
//! files.

use std::collections::HashSet;

use regex::Regex;

use super::{CiFormat, ItemKind, index, line_of, matching_files, read_capped};
use crate::checks::{Ctx, Evidence};
use crate::detection::ToolDef;

/// A tool found, with where.
#[derive(Debug, Clone)]
pub struct Detection {
    /// The tool's id.
    pub tool: String,
    /// Evidence naming the file and line (signal = tool id).
    pub evidence: Evidence,
}

/// The names of the policy's tools accepted by `wanted`, for a message that says what
/// would count: the first few, then how many more.
pub fn known(ctx: &Ctx<'_>, wanted: impl Fn(&ToolDef) -> bool) -> String {
    const SHOWN: usize = 6;
    let names: Vec<&str> = ctx
        .detection
        .tools
        .iter()
        .filter(|t| wanted(t))
        .map(|t| t.name.as_str())
        .collect();
    match names.len() {
        0 => "none is listed in the policy's `tools`".to_string(),
        n if n <= SHOWN => names.join(", "),
        n => format!(
            "{}, and {} more in the policy",
            names[..SHOWN].join(", "),
            n - SHOWN
        ),
    }
}

/// Every tool of the policy accepted by `wanted`, as found in the artifact: one detection
/// per tool and file (the first place in that file).
pub fn detect(ctx: &Ctx<'_>, check: &str, wanted: impl Fn(&ToolDef) -> bool) -> Vec<Detection> {
    let ci = index(ctx);
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    for tool in ctx.detection.tools.iter().filter(|t| wanted(t)) {
        let id = tool.id.value.as_str();
        let mut push = |path: &str, line: Option<u64>, how: String| {
            if seen.insert((id.to_string(), path.to_string())) {
                out.push(Detection {
                    tool: id.to_string(),
                    evidence: Evidence::new(check, id, format!("{} {how}", tool.name))
                        .at(path, line),
                });
            }
        };
        let commands: Vec<Regex> = tool
            .commands
            .iter()
            .filter_map(|r| Regex::new(&r.value).ok())
            .collect();
        for (file, item) in ci.items() {
            match item.kind {
                ItemKind::Uses if file.format == CiFormat::GithubActions => {
                    let lower = item.text.to_ascii_lowercase();
                    if tool
                        .actions
                        .iter()
                        .any(|p| lower.starts_with(&p.to_ascii_lowercase()))
                    {
                        push(
                            &file.path,
                            item.line,
                            format!("runs in CI (`uses: {}`)", item.text),
                        );
                    }
                }
                ItemKind::Hook => {
                    if tool.hooks.iter().any(|h| h == &item.text) {
                        push(
                            &file.path,
                            item.line,
                            format!("runs as pre-commit hook `{}`", item.text),
                        );
                    }
                }
                _ => {
                    if let Some(m) = commands.iter().find_map(|re| re.find(&item.text)) {
                        let line = item.line.map(|l| l + line_of(&item.text, m.start()) - 1);
                        let cmd = super::quote_command(m.as_str());
                        let place = if file.format == CiFormat::PreCommit {
                            "runs as a pre-commit hook"
                        } else {
                            "runs in CI"
                        };
                        push(&file.path, line, format!("{place} (`{cmd}`)"));
                    }
                }
            }
        }
        // A tool its configuration enables counts only where something runs it.
        let runner: Option<String> = if tool.runs_with.is_empty() {
            Some(String::new())
        } else {
            let res: Vec<Regex> = tool
                .runs_with
                .iter()
                .filter_map(|r| Regex::new(&r.value).ok())
                .collect();
            ci.items().find_map(|(file, item)| {
                let m = res.iter().find_map(|re| re.find(&item.text))?;
                let at = item.line.map_or_else(String::new, |l| format!(":{l}"));
                let how = if item.kind == ItemKind::Hook || file.format == CiFormat::PreCommit {
                    "a pre-commit hook"
                } else {
                    "CI"
                };
                Some(format!(
                    ", which {how} runs (`{}`, {}{at})",
                    super::quote_command(m.as_str()),
                    file.path
                ))
            })
        };
        let Some(runner) = runner else {
            continue;
        };
        if !tool.files.is_empty()
            && let Ok(set) = crate::checks::file_exists::glob_set(&tool.files, false)
        {
            let depth = tool.files.iter().map(super::glob_depth).max().unwrap_or(1);
            for f in matching_files(ctx, &set, depth) {
                push(
                    &f.shown,
                    None,
                    format!("is configured ({}){runner}", f.shown),
                );
            }
        }
        for c in &tool.contains {
            let (Ok(set), Ok(re)) = (
                crate::checks::file_exists::glob_set(std::slice::from_ref(&c.glob), false),
                Regex::new(&c.pattern.value),
            ) else {
                continue;
            };
            for f in matching_files(ctx, &set, super::glob_depth(&c.glob)) {
                if let Ok(text) = read_capped(&f.abs)
                    && let Some(m) = re.find(&text)
                {
                    push(
                        &f.shown,
                        Some(line_of(&text, m.start())),
                        format!("is configured in {}{runner}", f.shown),
                    );
                }
            }
        }
    }
    out
}
