//! `tiercheck explain`: what a requirement or a detection rule is for, what evidence it looks
//! for and how to meet it, from the policy in force.

use std::io::Write;
use std::process::ExitCode;

use clap::Args;

use super::PolicyArg;
use crate::error::{ConfigError, did_you_mean};
use crate::policy::{Level, Policy};

/// `tiercheck explain`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// A requirement id (`human-review`) or a rule id (`github-pat`).
    #[arg(value_name = "REQUIREMENT|RULE")]
    pub id: String,
    #[command(flatten)]
    pub policy: PolicyArg,
}

fn level_word(l: Level) -> &'static str {
    match l {
        Level::Required => "required",
        Level::Recommended => "recommended",
        Level::NotRequired => "not required",
    }
}

fn requirement(policy: &Policy, id: &str, out: &mut dyn Write) -> std::io::Result<bool> {
    let Some(req) = policy.requirements.iter().find(|r| r.id.value == id) else {
        return Ok(false);
    };
    writeln!(out, "{} — {}", req.id.value, req.title)?;
    writeln!(out, "\n{}", req.description.trim())?;
    let levels: Vec<String> = policy
        .tiers
        .iter()
        .map(|t| {
            format!(
                "{} {}",
                t.id.value,
                level_word(policy.level(req, &t.id.value))
            )
        })
        .collect();
    writeln!(out, "\nLevel per tier: {}", levels.join(", "))?;
    writeln!(
        out,
        "\nEvidence looked for (the policy's checks, all must pass):"
    )?;
    for check in &req.checks {
        let text = serde_saphyr::to_string(check).unwrap_or_default();
        let mut lines = text.lines().filter(|l| !l.trim().is_empty());
        if let Some(first) = lines.next() {
            writeln!(out, "  - {first}")?;
        }
        for l in lines {
            writeln!(out, "    {l}")?;
        }
    }
    let fix = req.remediation.trim().replace("{path}", "PATH").replace(
        "{manifest}",
        "the manifest (.tier.yaml, or NAME.tier.yaml for a file)",
    );
    writeln!(out, "\nHow to meet it:\n  {fix}")?;
    Ok(true)
}

fn rule(policy: &Policy, id: &str, out: &mut dyn Write) -> std::io::Result<bool> {
    let Some(r) = policy.rules.iter().find(|r| r.id.value == id) else {
        return Ok(false);
    };
    writeln!(out, "{} — {} rule", r.id.value, r.category.as_str())?;
    writeln!(out, "\n{}", r.description.trim())?;
    writeln!(out, "\nWhat it matches:")?;
    writeln!(out, "  regex     {}", r.regex.value)?;
    if !r.keywords.is_empty() {
        writeln!(out, "  keywords  {}", r.keywords.join(", "))?;
    }
    if let Some(p) = &r.prefix {
        writeln!(out, "  prefix    {p}")?;
    }
    if let Some(e) = r.entropy {
        writeln!(out, "  entropy   at least {e} bits per character")?;
    }
    if let Some(v) = &r.validate {
        writeln!(
            out,
            "  validated {} (a checksum or format check, never a network call)",
            v.value
        )?;
    }
    if r.generic {
        writeln!(
            out,
            "  generic   a structural rule: a value a specific rule also reports is that rule's"
        )?;
    }
    writeln!(
        out,
        "\nHow to meet it:\n  Remove the value (rotate it if it is a credential), or, for a false positive,\n  add `tiercheck:allow` on its line or accept it with `tiercheck scan --baseline FILE`\n  where the policy lets the repository do so."
    )?;
    Ok(true)
}

pub(super) fn run(args: &ExplainArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let policy = args.policy.load()?;
    let id = args.id.trim();
    if requirement(&policy, id, out)? || rule(&policy, id, out)? {
        return Ok(ExitCode::SUCCESS);
    }
    let ids = policy
        .requirements
        .iter()
        .map(|r| r.id.value.as_str())
        .chain(policy.rules.iter().map(|r| r.id.value.as_str()));
    let reqs: Vec<&str> = policy
        .requirements
        .iter()
        .map(|r| r.id.value.as_str())
        .collect();
    let help = match did_you_mean(id, ids) {
        Some(s) => format!("did you mean `{s}`?"),
        None => format!(
            "requirements: `{}`; rules: `tiercheck policy show` lists them",
            reqs.join("`, `")
        ),
    };
    Err(
        ConfigError::plain(format!("the policy has no requirement or rule `{id}`"))
            .with_help(help)
            .into(),
    )
}
