//! `tiercheck assess`: the questionnaire, the tier with its reason, and the requirements
//! evaluated at that tier.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::verify::{collect, unclassified};
use super::{PolicyArg, existing, shown, today, verdict};
use crate::artifact::Artifact;
use crate::classify::{classify, effective_tier};
use crate::error::{ConfigError, did_you_mean};
use crate::evaluate::{TierDecision, evaluate};
use crate::manifest::{MANIFEST_FILE, edit};
use crate::policy::{Policy, Question};
use crate::report::Format;

/// `tiercheck assess`.
#[derive(Debug, Args)]
pub struct AssessArgs {
    /// File or folder to assess.
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// Who will use the output (`me`, `employees`, `external`, `production`, `public`).
    #[arg(long, value_name = "ANSWER")]
    pub audience: Option<String>,
    /// What data it touches (`none`, `synthetic`, `internal`, `customer`, `personal`,
    /// `credentials`).
    #[arg(long, value_name = "ANSWER")]
    pub data: Option<String>,
    /// Answer to a further question of a custom policy, as QUESTION=ANSWER.
    #[arg(long = "answer", value_name = "QUESTION=ANSWER")]
    pub answers: Vec<String>,
    /// Create or update .tier.yaml with the answers (other fields are kept).
    #[arg(long)]
    pub write: bool,
    #[command(flatten)]
    pub policy: PolicyArg,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Checking your own code: let the repository's `tiercheck:allow` markers, ignore
    /// files, baseline and waivers count at every tier (said on stderr).
    #[arg(long)]
    pub trust_repo: bool,
}

fn check_answer(q: &Question, given: &str, flag: &str) -> Result<(), ConfigError> {
    let valid = q.answer_ids();
    if valid.contains(&given) {
        return Ok(());
    }
    let list = valid.join("`, `");
    let help = match did_you_mean(given, valid.iter().copied()) {
        Some(s) => format!("did you mean `{s}`? valid answers: `{list}`"),
        None => format!("valid answers: `{list}`"),
    };
    Err(ConfigError::plain(format!("unknown answer `{given}` for {flag}")).with_help(help))
}

fn flag_name(qid: &str) -> String {
    match qid {
        "audience" | "data" => format!("--{qid}"),
        other => format!("--answer {other}=..."),
    }
}

fn ask(q: &Question) -> Result<String, ConfigError> {
    let options: Vec<String> = q
        .answers
        .iter()
        .map(|a| {
            if a.help.is_empty() {
                a.label.clone()
            } else {
                format!("{} — {}", a.label, a.help)
            }
        })
        .collect();
    let choice = inquire::Select::new(&q.prompt, options.clone())
        .with_help_message("↑↓ to move, enter to select")
        .with_page_size(options.len().max(1))
        .raw_prompt()
        .map_err(|e| ConfigError::plain(format!("questionnaire stopped: {e}")))?;
    Ok(q.answers[choice.index].id.value.clone())
}

/// Collects the answers: flags first, then the governing manifest, then the questionnaire.
fn answers(
    args: &AssessArgs,
    policy: &Policy,
    from_manifest: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>, ConfigError> {
    let mut given: BTreeMap<String, (String, String)> = BTreeMap::new();
    if let Some(a) = &args.audience {
        given.insert("audience".into(), (a.clone(), "--audience".into()));
    }
    if let Some(d) = &args.data {
        given.insert("data".into(), (d.clone(), "--data".into()));
    }
    for kv in &args.answers {
        let Some((k, v)) = kv.split_once('=') else {
            return Err(ConfigError::plain(format!(
                "--answer `{kv}` is not QUESTION=ANSWER"
            )));
        };
        given.insert(
            k.trim().to_string(),
            (v.trim().to_string(), format!("--answer {k}")),
        );
    }
    let mut out = BTreeMap::new();
    for (qid, (answer, flag)) in &given {
        let Some(q) = policy.question(qid) else {
            let ids: Vec<&str> = policy
                .questions
                .iter()
                .map(|q| q.id.value.as_str())
                .collect();
            return Err(ConfigError::plain(format!(
                "the policy asks no question `{qid}` ({flag})"
            ))
            .with_help(format!("questions: `{}`", ids.join("`, `"))));
        };
        check_answer(q, answer, flag)?;
        out.insert(qid.clone(), answer.clone());
    }
    let missing: Vec<&Question> = policy
        .questions
        .iter()
        .filter(|q| !out.contains_key(&q.id.value) && !from_manifest.contains_key(&q.id.value))
        .collect();
    let interactive = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    if !missing.is_empty() && !interactive {
        let flags: Vec<String> = missing.iter().map(|q| flag_name(&q.id.value)).collect();
        return Err(ConfigError::plain(format!(
            "missing answers and no terminal to ask them on: pass {}",
            flags.join(" and ")
        ))
        .with_help(format!(
            "for example `tiercheck assess {} {}`",
            shown(&args.path),
            missing
                .iter()
                .map(|q| format!(
                    "{} {}",
                    flag_name(&q.id.value),
                    q.answers
                        .first()
                        .map(|a| a.id.value.as_str())
                        .unwrap_or("...")
                ))
                .collect::<Vec<_>>()
                .join(" ")
        )));
    }
    for (k, v) in from_manifest {
        out.entry(k.clone()).or_insert_with(|| v.clone());
    }
    for q in missing {
        let a = ask(q)?;
        out.insert(q.id.value.clone(), a);
    }
    Ok(out)
}

fn yaml_scalar(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.@/-".contains(c))
    {
        s.to_string()
    } else {
        serde_json::to_string(s).unwrap_or_else(|_| format!("\"{s}\""))
    }
}

pub(super) fn run(args: &AssessArgs, color: bool, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let mut policy = args.policy.load()?;
    if args.trust_repo {
        super::trust_repo(&mut policy);
    }
    let path = existing(&args.path)?;
    let artifacts = collect(&path, &policy, true)?;
    let abs = std::fs::canonicalize(&path)?;
    // The manifest whose answers are the defaults: the artifact's own, or, for a file that
    // only its folder's manifest governs, that one.
    let mut defaults: Option<crate::manifest::LoadedManifest> = None;
    let mut art: Artifact = if abs.is_file() {
        let (files, folders): (Vec<Artifact>, Vec<Artifact>) =
            artifacts.into_iter().partition(|a| a.only.is_some());
        match files.into_iter().next() {
            Some(a) => a,
            None => {
                defaults = folders.into_iter().find_map(|a| a.manifest);
                if let Some(m) = &defaults {
                    eprintln!(
                        "note: {} governs {} with its folder; this assesses the file alone, with that manifest's answers unless you give others{}",
                        shown(&m.path),
                        shown(&path),
                        if args.write {
                            ""
                        } else {
                            " (`--write` gives it a manifest of its own)"
                        }
                    );
                }
                Artifact::file(&abs, None, Vec::new())
            }
        }
    } else {
        let mut artifacts = artifacts;
        // The artifact assessed is the folder manifest's governing PATH, else PATH itself.
        let governing = artifacts.iter().position(|a| {
            a.only.is_none()
                && a.manifest
                    .as_ref()
                    .is_some_and(|m| abs.starts_with(m.dir()))
        });
        match governing {
            Some(i) => artifacts.swap_remove(i),
            None => {
                // Nested manifests below PATH govern their own folders and files, not this
                // artifact.
                let mut excluded: Vec<PathBuf> = Vec::new();
                for a in &artifacts {
                    let Some(m) = &a.manifest else { continue };
                    match &a.only {
                        None if m.dir() != abs && m.dir().starts_with(&abs) => {
                            excluded.push(m.dir().to_path_buf());
                        }
                        None => {}
                        Some(only) => {
                            excluded.push(m.path.clone());
                            excluded.push(a.root.join(only));
                            excluded.extend(a.with.iter().map(|w| a.root.join(w)));
                        }
                    }
                }
                Artifact::new(&abs, None, excluded)
            }
        }
    };
    let answers_from = defaults.as_ref().map_or(art.manifest(), |m| &m.manifest);
    let from_manifest: BTreeMap<String, String> = policy
        .questions
        .iter()
        .filter_map(|q| {
            answers_from
                .answer(&q.id.value)
                .map(|a| (q.id.value.clone(), a.value.clone()))
        })
        .collect();
    let answers = answers(args, &policy, &from_manifest)?;
    let class = classify(&policy, &answers).map_err(|e| unclassified(e, None))?;
    let declared = art.manifest().tier.as_ref().map(|t| t.value.clone());
    let (tier, under) = effective_tier(&policy, declared.as_deref(), Some(&class.tier))
        .unwrap_or((&class.tier, false));
    let reason = if under {
        format!(
            "under-classified: {} declares {}, but {}",
            art.manifest_name(),
            declared.as_deref().unwrap_or(""),
            class.reason
        )
    } else if tier != class.tier {
        format!(
            "{tier} declared in {} (stricter than {})",
            art.manifest_name(),
            class.reason
        )
    } else {
        class.reason.clone()
    };
    let mut decisions = [TierDecision {
        tier: tier.to_string(),
        reason,
        declared: declared.clone(),
        classified: Some(class.tier.clone()),
        under_classified: under,
        data_under_classified: false,
        data: Vec::new(),
        audience: Vec::new(),
    }];
    crate::classify::raise_for_data(
        &policy,
        &answers,
        &mut decisions[0],
        crate::classify::data_found(&policy, &art),
    );
    crate::classify::raise_for_audience(
        &policy,
        &answers,
        &mut decisions[0],
        crate::classify::audience_found(&policy, &art),
    );
    super::verify::bound_by_enclosing(&policy, std::slice::from_ref(&art), &mut decisions);
    let [decision] = decisions;
    if args.write {
        let target = match (&art.manifest, &art.only) {
            (Some(m), _) => m.path.clone(),
            (None, Some(file)) => crate::manifest::file_manifest_for(&art.root.join(file)),
            (None, None) => art.root.join(MANIFEST_FILE),
        };
        let mut text = match &art.manifest {
            Some(m) => m.text.clone(),
            None => {
                let name = art
                    .only
                    .as_ref()
                    .or(abs
                        .file_name()
                        .map(std::path::Path::new)
                        .map(|p| p.to_path_buf())
                        .as_ref())
                    .map(|p| p.to_string_lossy().into_owned())
                    .unwrap_or_else(|| "artifact".into());
                format!(
                    "# tiercheck manifest: see `tiercheck matrix` for what each tier requires.\nversion: 1\nname: {}\n",
                    yaml_scalar(&name)
                )
            }
        };
        for key in ["audience", "data"] {
            if let Some(a) = answers.get(key) {
                text = edit::set_top_level(&text, key, a);
            }
        }
        // The textual edit cannot handle every YAML layout (a flow mapping, say): check the
        // result before touching the file, so a manifest is never left broken.
        let edited = crate::manifest::parse(&text, &target)
            .and_then(|m| crate::manifest::validate(&m, &policy.vocabulary()).map(|()| m))
            .map_err(|why| {
                let detail = why
                    .problems
                    .first()
                    .map(|p| p.message.clone())
                    .unwrap_or_default();
                ConfigError::plain(format!(
                    "cannot update {} in place; set `audience:` and `data:` by hand",
                    shown(&target)
                ))
                .with_help(format!(
                    "the edited file would not be a valid manifest: {detail}"
                ))
            })?;
        crate::config::write_regular(&target, text.as_bytes())?;
        eprintln!("wrote {}", shown(&target));
        art.manifest = Some(edited);
    }
    let display = match &art.only {
        Some(f) => shown(&art.root.join(f)),
        None => shown(&art.root),
    };
    let report = evaluate(&policy, &art, decision, display, false, today()?);
    args.format
        .report(color)
        .artifacts(std::slice::from_ref(&report), out)?;
    // On a terminal, the person reading it gets the next steps as a numbered list.
    if matches!(args.format, Format::Table) && std::io::stdout().is_terminal() {
        let data_answer = report
            .classification
            .data_under_classified
            .then(|| {
                let q = policy.data_evidence.as_ref()?.question.value.clone();
                report
                    .classification
                    .data
                    .iter()
                    .filter_map(|d| {
                        crate::classify::answer_rank(&policy, &q, &d.answer).map(|r| (r, &d.answer))
                    })
                    .max()
                    .map(|(_, a)| a.clone())
            })
            .flatten();
        crate::report::table::todo_list(&report, data_answer.as_deref(), out)?;
    }
    Ok(verdict(report.passed))
}
