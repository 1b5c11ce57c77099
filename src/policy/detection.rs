//! Validation of the policy's detection sections (see [`crate::detection`]).

use super::Policy;
use crate::config::Validator;

/// Validates the detection sections of the policy.
pub(super) fn validate(v: &mut Validator<'_>, p: &Policy) {
    let last = p.sources.len().saturating_sub(1);
    for g in p.vendored.iter().flatten() {
        v.glob(last, g, "`vendored`");
    }
    for c in &p.ci_files {
        let owner = format!("ci_files `{}`", c.id.value);
        for g in &c.globs {
            v.glob(c.origin, g, &owner);
        }
    }
    for e in &p.ecosystems {
        let owner = format!("ecosystem `{}`", e.id.value);
        for g in &e.manifests {
            v.glob(e.origin, g, &owner);
        }
        if let Some(r) = &e.requires {
            v.regex(e.origin, r, &owner);
        }
        for r in &e.test_commands {
            v.regex(e.origin, r, &owner);
        }
        if let Some(f) = &e.parse
            && f != "json"
            && f != "toml"
        {
            v.error(
                e.origin,
                &e.id,
                format!("{owner}: `parse` must be `json` or `toml`"),
            );
        }
    }
    for t in &p.tools {
        let owner = format!("tool `{}`", t.id.value);
        for r in t.commands.iter().chain(&t.runs_with) {
            v.regex(t.origin, r, &owner);
        }
        for g in &t.files {
            v.glob(t.origin, g, &owner);
        }
        for c in &t.contains {
            v.glob(t.origin, &c.glob, &owner);
            v.regex(t.origin, &c.pattern, &owner);
        }
        for eco in &t.ecosystems {
            if !p.ecosystems.iter().any(|e| &e.id.value == eco) {
                v.error(
                    t.origin,
                    &t.id,
                    format!("{owner} names unknown ecosystem `{eco}`"),
                );
            }
        }
    }
    if let Some(ai) = &p.ai_tools {
        for t in &ai.tools {
            for g in &t.footprints {
                v.glob(last, g, "`ai_tools`");
            }
        }
        for g in ai.shared() {
            v.glob(last, g, "`ai_tools`");
        }
        for a in ai.approved() {
            if !ai.tools.iter().any(|t| t.id.value == a.value) {
                let ids: Vec<&str> = ai.tools.iter().map(|t| t.id.value.as_str()).collect();
                v.error(
                    last,
                    a,
                    format!("approved AI tool `{}` is not in `ai_tools.tools`", a.value),
                )
                .help = Some(format!("known tools: `{}`", ids.join("`, `")));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::load::load_text;
    use std::path::Path;

    #[test]
    fn tool_and_ai_tool_problems_are_located() {
        let text = "version: 1\nextends: default\ntools:\n  - id: mine\n    name: Mine\n    category: [sast]\n    ecosystems: [cobol]\n    commands: ['(unclosed']\nai_tools:\n  approved: [clippy-ai]\n  tools:\n    - id: claude-code\n      name: Claude Code\n";
        let err = load_text(text, Path::new("p.yaml"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("invalid regex in tool `mine`"), "{err}");
        assert!(err.contains("p.yaml:8:"), "{err}");
        assert!(err.contains("unknown ecosystem `cobol`"), "{err}");
        assert!(err.contains("approved AI tool `clippy-ai`"), "{err}");
        assert!(err.contains("p.yaml:10:"), "{err}");
    }

    #[test]
    fn extending_replaces_a_tool_by_id_and_adds_new_ones() {
        let narrow = "version: 1\nextends: default\nai_tools:\n  approved: [copilot]\n";
        let p = load_text(narrow, Path::new("p.yaml")).unwrap();
        let ai = p.ai_tools.as_ref().unwrap();
        assert_eq!(ai.approved().len(), 1);
        assert!(ai.tools.iter().any(|t| t.id.value == "claude-code"));
        let text = "version: 1\nextends: default\ntools:\n  - id: semgrep\n    name: Semgrep (company wrapper)\n    category: [sast]\n    commands: ['\\bsec-scan\\b']\n  - id: inhouse\n    name: In-house scanner\n    category: [secret-scanner]\n    hooks: [inhouse]\n";
        let p = load_text(text, Path::new("p.yaml")).unwrap();
        let sg = p.tools.iter().find(|t| t.id.value == "semgrep").unwrap();
        assert!(sg.actions.is_empty());
        assert!(p.tools.iter().any(|t| t.id.value == "inhouse"));
        assert!(p.ai_tools.is_some() && !p.ecosystems.is_empty() && !p.ci_files.is_empty());
    }
}
