//! Reading policy files and layering `extends: default`.

use std::path::{Path, PathBuf};

use super::Policy;
use crate::config::{Source as PolicySource, read_config_file};
use crate::error::{ConfigError, Problem, yaml_problem};

/// The default policy, embedded in the binary.
pub const DEFAULT_POLICY: &str = include_str!("../../policies/default.yaml");

/// Name under which the embedded policy appears in messages.
pub const DEFAULT_POLICY_NAME: &str = "<built-in>/policies/default.yaml";

fn parse(text: &str, path: &Path, origin: usize) -> Result<Policy, ConfigError> {
    let mut policy: Policy = serde_saphyr::from_str(text).map_err(|e| ConfigError {
        problems: vec![yaml_problem(&e, path, text)],
    })?;
    for t in &mut policy.tiers {
        t.origin = origin;
    }
    for q in &mut policy.questions {
        q.origin = origin;
    }
    for r in &mut policy.classification {
        r.origin = origin;
    }
    for r in &mut policy.requirements {
        r.origin = origin;
    }
    for r in &mut policy.rules {
        r.origin = origin;
        r.allowlist.set_origin(origin);
    }
    policy.allowlist.set_origin(origin);
    policy.prompt_files_origin = origin;
    Ok(policy)
}

/// Parses the embedded default policy. It is not validated again at run time: the test
/// suite validates it (`default_policy_is_valid`), and it cannot change after the build, so
/// every command saves the validation's cost (most of `tiercheck matrix`'s time).
pub fn load_default() -> Result<Policy, ConfigError> {
    let mut policy = parse(DEFAULT_POLICY, Path::new(DEFAULT_POLICY_NAME), 0)?;
    policy.sources = vec![PolicySource {
        path: PathBuf::from(DEFAULT_POLICY_NAME),
        text: DEFAULT_POLICY.to_string(),
    }];
    Ok(policy)
}

/// Parses and validates the policy in `path`, layering it over the default when it says
/// `extends: default`.
pub fn load_file(path: &Path) -> Result<Policy, ConfigError> {
    let text = read_config_file(path, "policy")?;
    load_text(&text, path)
}

/// Parses and validates a policy given as text; `path` names it in messages.
pub fn load_text(text: &str, path: &Path) -> Result<Policy, ConfigError> {
    let own = parse(text, path, 0)?;
    let own_source = PolicySource {
        path: path.to_path_buf(),
        text: text.to_string(),
    };
    let policy = match &own.extends {
        None => {
            let mut p = own;
            p.sources = vec![own_source];
            p
        }
        Some(ext) if ext.value == "default" => {
            let mut base = parse(DEFAULT_POLICY, Path::new(DEFAULT_POLICY_NAME), 0)?;
            base.sources = vec![PolicySource {
                path: PathBuf::from(DEFAULT_POLICY_NAME),
                text: DEFAULT_POLICY.to_string(),
            }];
            merge(&mut base, own, own_source);
            base
        }
        Some(ext) => {
            return Err(ConfigError {
                problems: vec![
                    Problem::at(
                        format!("unknown policy `{}` in `extends`", ext.value),
                        path,
                        text,
                        ext.referenced.line() as usize,
                        ext.referenced.column() as usize,
                    )
                    .help("the only policy a file can extend is `default`"),
                ],
            });
        }
    };
    super::validate::validate(&policy)?;
    let mut policy = policy;
    load_signers(&mut policy)?;
    Ok(policy)
}

/// Reads the allowed-signers file the policy names, relative to the policy file that names
/// it; a file that cannot be read is an error located at the policy's field.
fn load_signers(policy: &mut Policy) -> Result<(), ConfigError> {
    let Some(sig) = &mut policy.signatures else {
        return Ok(());
    };
    let Some(name) = &sig.allowed_signers else {
        return Ok(());
    };
    let Some(source) = policy.sources.get(sig.origin) else {
        return Ok(());
    };
    let base = source.path.parent().unwrap_or(Path::new("."));
    let path = base.join(&name.value);
    if let Err(e) = std::fs::symlink_metadata(&path) {
        return Err(ConfigError {
            problems: vec![
                Problem::at(
                    format!(
                        "allowed signers file {} cannot be read: {e}",
                        path.display()
                    ),
                    &source.path,
                    &source.text,
                    name.referenced.line() as usize,
                    name.referenced.column() as usize,
                )
                .help("the path is relative to this policy file; the file is in git's allowed_signers format"),
            ],
        });
    }
    sig.signers = Some(std::sync::Arc::new(crate::signers::AllowedSigners::load(
        &path,
    )?));
    Ok(())
}

/// Replaces items of `base` with those of `over` that share their id, and appends new ones.
fn merge(base: &mut Policy, over: Policy, source: PolicySource) {
    let origin = base.sources.len();
    base.sources.push(source);
    base.version = over.version;
    base.extends = over.extends;
    macro_rules! merge_by_id {
        ($field:ident) => {
            for mut item in over.$field {
                item.origin = origin;
                // An id given twice in the same file stays a duplicate (validation reports
                // it) instead of the second silently replacing the first.
                match base
                    .$field
                    .iter_mut()
                    .find(|b| b.id.value == item.id.value && b.origin != origin)
                {
                    Some(slot) => *slot = item,
                    None => base.$field.push(item),
                }
            }
        };
    }
    merge_by_id!(tiers);
    merge_by_id!(questions);
    merge_by_id!(classification);
    merge_by_id!(requirements);
    merge_by_id!(ci_files);
    merge_by_id!(ecosystems);
    merge_by_id!(tools);
    if over.engineers.is_some() {
        base.engineers = over.engineers;
    }
    if over.waivers.is_some() {
        base.waivers = over.waivers;
    }
    if over.suppressions.is_some() {
        base.suppressions = over.suppressions;
    }
    if let Some(mut a) = over.audience_evidence {
        a.origin = origin;
        base.audience_evidence = Some(a);
    }
    if let Some(mut d) = over.data_evidence {
        d.origin = origin;
        base.data_evidence = Some(d);
    }
    if let Some(mut sig) = over.signatures {
        sig.origin = origin;
        base.signatures = Some(sig);
    }
    if over.vendored.is_some() {
        base.vendored = over.vendored;
    }
    if let Some(ai) = over.ai_tools {
        match &mut base.ai_tools {
            Some(b) => b.merge(ai),
            None => base.ai_tools = Some(ai),
        }
    }
    // Rules: an id given again in the same file stays a duplicate (validation reports it)
    // instead of silently replacing the first.
    for mut rule in over.rules {
        rule.origin = origin;
        match base
            .rules
            .iter_mut()
            .find(|b| b.id.value == rule.id.value && b.origin != origin)
        {
            Some(slot) => *slot = rule,
            None => base.rules.push(rule),
        }
    }
    let mut allow = over.allowlist;
    allow.set_origin(origin);
    base.allowlist.append(allow);
    if over.prompt_files.is_some() {
        base.prompt_files = over.prompt_files;
        base.prompt_files_origin = origin;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_policy_is_valid() {
        load_text(DEFAULT_POLICY, Path::new(DEFAULT_POLICY_NAME)).expect("default policy is valid");
        let p = load_default().expect("default policy parses");
        assert_eq!(p.tier_ids(), ["T1", "T2", "T3", "T4"]);
        assert_eq!(p.requirements.len(), 10);
    }

    #[test]
    fn extends_replaces_by_id_and_appends() {
        let text = r#"
version: 1
extends: default
tiers:
  - id: T1
    name: Sandbox
requirements:
  - id: license-header
    title: License header
    remediation: add one
    levels: {T1: not_required, T2: not_required, T3: recommended, T4: required}
    checks:
      - kind: file-exists
        globs: [LICENSE]
"#;
        let p = load_text(text, Path::new("p.yaml")).unwrap();
        assert_eq!(p.tier("T1").unwrap().name, "Sandbox");
        assert_eq!(p.tiers.len(), 4);
        assert_eq!(p.requirements.len(), 11);
    }

    #[test]
    fn unknown_extends_is_located() {
        let e = load_text("version: 1\nextends: corp\n", Path::new("p.yaml")).unwrap_err();
        let s = e.to_string();
        assert!(s.contains("p.yaml:2:10"), "{s}");
    }
}
