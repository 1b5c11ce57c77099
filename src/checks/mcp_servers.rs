//! `mcp-servers`: the MCP server configurations of AI assistants (`.mcp.json`,
//! `.cursor/mcp.json`, `.vscode/mcp.json`, `.gemini/settings.json`,
//! `.continue/mcpServers/*`, `.codex/config.toml`; the list is policy data). Each server is
//! listed as evidence, compared with the policy's optional allowlist
//! (`ai_tools.mcp_servers`), and its `env`,
//! `headers`, `args` and URL query are checked for literal secrets with the scanner's
//! rules (a heuristic judges only what no rule covers); references such as
//! `${VAR}`, `${env:VAR}`, `$VAR` and `${input:id}` are what belongs there.

use regex::Regex;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::ci::{self, line_of, read_capped};
use super::{Ctx, Evidence, Finding, Outcome, Status};
use crate::config::{Sp, Validator};
use tiercheck_scan::{Category, ScanOptions, Scanner};

const KIND: &str = "mcp-servers";

/// Settings of `mcp-servers`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Globs of MCP configuration files (JSON, JSON with comments, YAML or TOML by extension).
    pub files: Vec<Sp<String>>,
    /// Regex (case-insensitive) of key, header or flag names whose values are credentials.
    pub secret_keys: Sp<String>,
    /// Prefixes of well-known token formats (`ghp_`, `sk-`).
    #[serde(default)]
    pub token_prefixes: Vec<String>,
    /// Regex of placeholder values that are not secrets (`<your-token>`, `changeme`).
    #[serde(default)]
    pub placeholders: Option<Sp<String>>,
}

/// One server of a configuration file.
#[derive(Debug, Default)]
struct Server {
    name: String,
    command: Option<String>,
    args: Vec<String>,
    url: Option<String>,
    /// (key, value) pairs from `env`, `headers` and friends.
    values: Vec<(String, String)>,
}

impl Config {
    pub(super) fn validate(&self, v: &mut Validator<'_>, origin: usize, owner: &str) {
        for g in &self.files {
            v.glob(origin, g, owner);
        }
        v.regex(origin, &self.secret_keys, owner);
        if let Some(p) = &self.placeholders {
            v.regex(origin, p, owner);
        }
    }

    pub(super) fn run(&self, ctx: &Ctx<'_>) -> Outcome {
        let mut ev = Vec::new();
        let mut findings = Vec::new();
        let mut failed = false;
        let Ok(set) = super::file_exists::glob_set(&self.files, false) else {
            return Outcome::one(
                Status::Error,
                Evidence::new(KIND, "invalid-glob", "bad glob"),
            );
        };
        let heuristic = Heuristic::new(self);
        let scanner = match ctx.artifact.scans.scanner(ctx.detection.rules) {
            Ok(sc) => Some(sc),
            Err(why) => {
                // The policy is validated before checks run, so this is unexpected; judge
                // with the heuristic alone and say so.
                ev.push(Evidence::new(
                    KIND,
                    "scanner-unavailable",
                    format!("secret rules could not be compiled ({why}); MCP values judged by the fallback heuristic only"),
                ));
                None
            }
        };
        let judge = Judge {
            scanner: scanner.as_deref(),
            heuristic: &heuristic,
        };
        let allowed: &[String] = ctx
            .detection
            .ai_tools
            .as_ref()
            .and_then(|a| a.mcp_servers.as_deref())
            .unwrap_or_default();
        let depth = self
            .files
            .iter()
            .map(ci::glob_depth)
            .max()
            .unwrap_or(2)
            .min(4);
        for f in ci::matching_files(ctx, &set, depth) {
            let text = match read_capped(&f.abs) {
                Ok(t) => t,
                Err(why) => {
                    ev.push(ci::unreadable(KIND, &f.shown, &why));
                    continue;
                }
            };
            let value = match parse_config(&f.shown, &text) {
                Ok(v) => v,
                Err((msg, line)) => {
                    ev.push(ci::unparsable(KIND, &f.shown, &msg, line));
                    continue;
                }
            };
            for s in servers(&value) {
                let line = find_line(&text, &s.name);
                let target = match (&s.command, &s.url) {
                    (Some(c), _) => format!("command `{}`", one_line(c, &s.args, &heuristic)),
                    (None, Some(u)) => format!("URL {}", url_origin(u)),
                    (None, None) => "no command or URL".to_string(),
                };
                ev.push(
                    Evidence::new(
                        KIND,
                        format!("mcp-server:{}", s.name),
                        format!("MCP server `{}`: {target}", s.name),
                    )
                    .at(f.shown.clone(), line)
                    // What the configuration runs: a fact, neither for nor against.
                    .marked(Status::Skip),
                );
                if !allowed.is_empty() && !is_allowed(allowed, &s) {
                    failed = true;
                    ev.push(
                        Evidence::new(
                            KIND,
                            "mcp-server-unapproved",
                            format!(
                                "MCP server `{}` is not on the policy's allowlist (ai_tools.mcp_servers: {})",
                                s.name,
                                allowed.join(", ")
                            ),
                        )
                        .at(f.shown.clone(), line),
                    );
                }
                for (key, val) in secret_candidates(&s) {
                    let Some(hit) = judge.literal_secret(&f.shown, &key, &val) else {
                        continue;
                    };
                    failed = true;
                    let (l, c) = locate(&text, &val).unwrap_or((line.unwrap_or(1), 1));
                    let by = match hit.rule_id.as_str() {
                        HEURISTIC_RULE => String::new(),
                        id => format!(" (rule `{id}`)"),
                    };
                    ev.push(
                        Evidence::new(
                            KIND,
                            "mcp-literal-secret",
                            format!(
                                "MCP server `{}` has a literal secret in `{key}`{by}; reference an environment variable or input (`${{VAR}}`) instead, and rotate it",
                                s.name
                            ),
                        )
                        .at(f.shown.clone(), Some(l)),
                    );
                    findings.push(Finding {
                        line: l,
                        column: c,
                        end_line: l + hit.end_line.saturating_sub(hit.line),
                        end_column: if hit.end_line == hit.line {
                            c + hit.end_column.saturating_sub(hit.column)
                        } else {
                            hit.end_column
                        },
                        ..hit
                    });
                }
            }
        }
        if ev.is_empty() {
            ev.push(Evidence::new(
                KIND,
                "no-mcp-servers",
                "no MCP server configuration found",
            ));
        }
        Outcome {
            status: if failed { Status::Fail } else { Status::Pass },
            evidence: ev,
            findings,
        }
    }
}

/// Whether a server matches an allowlist entry: its name, its command, a command-line word
/// (with or without `@version`), or a URL prefix.
fn is_allowed(allowed: &[String], s: &Server) -> bool {
    allowed.iter().any(|a| {
        let versioned = format!("{a}@");
        a == &s.name
            || s.command.as_deref() == Some(a.as_str())
            || s.args.iter().any(|x| x == a || x.starts_with(&versioned))
            || s.url.as_deref().is_some_and(|u| u.starts_with(a.as_str()))
    })
}

/// Parses an MCP configuration by its extension; JSON may carry comments (VS Code).
fn parse_config(path: &str, text: &str) -> Result<Value, (String, Option<u64>)> {
    if path.ends_with(".toml") {
        return toml::from_str::<Value>(text).map_err(|e| {
            (
                e.message().to_string(),
                e.span().map(|s| line_of(text, s.start)),
            )
        });
    }
    if path.ends_with(".yaml") || path.ends_with(".yml") {
        return serde_saphyr::from_str::<Value>(text)
            .map_err(|e| ci::parse::yaml_problem(&e.to_string()));
    }
    let clean = strip_json_comments(text);
    serde_json::from_str::<Value>(&clean).map_err(|e| (e.to_string(), Some(e.line() as u64)))
}

/// Removes `//` and `/* */` comments and trailing commas outside strings (JSONC), keeping
/// line breaks so lines still match.
fn strip_json_comments(text: &str) -> String {
    let b: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let (mut i, mut in_str) = (0, false);
    while i < b.len() {
        let c = b[i];
        if in_str {
            out.push(c);
            if c == '\\' && i + 1 < b.len() {
                out.push(b[i + 1]);
                i += 1;
            } else if c == '"' {
                in_str = false;
            }
        } else if c == '"' {
            in_str = true;
            out.push(c);
        } else if c == '/' && b.get(i + 1) == Some(&'/') {
            while i < b.len() && b[i] != '\n' {
                i += 1;
            }
            continue;
        } else if c == '/' && b.get(i + 1) == Some(&'*') {
            i += 2;
            while i < b.len() && !(b[i] == '*' && b.get(i + 1) == Some(&'/')) {
                if b[i] == '\n' {
                    out.push('\n');
                }
                i += 1;
            }
            i += 2;
            continue;
        } else if c == ',' {
            let next = b[i + 1..].iter().find(|c| !c.is_whitespace());
            if !matches!(next, Some('}') | Some(']')) {
                out.push(c);
            }
        } else {
            out.push(c);
        }
        i += 1;
    }
    out
}

/// The servers of a configuration: under `mcpServers` (Claude Code, Cursor, Gemini,
/// Continue), `servers` (VS Code), `mcp_servers` (Codex), as a map by name or a list of
/// objects with `name`.
fn servers(v: &Value) -> Vec<Server> {
    let mut out = Vec::new();
    for key in ["mcpServers", "servers", "mcp_servers"] {
        match v.get(key) {
            Some(Value::Object(m)) => {
                for (name, body) in m {
                    out.push(server(name, body));
                }
            }
            Some(Value::Array(a)) => {
                for (i, body) in a.iter().enumerate() {
                    let name = body
                        .get("name")
                        .and_then(Value::as_str)
                        .map_or_else(|| format!("#{}", i + 1), str::to_string);
                    out.push(server(&name, body));
                }
            }
            _ => {}
        }
    }
    out
}

fn server(name: &str, body: &Value) -> Server {
    let s = |k: &str| body.get(k).and_then(Value::as_str).map(str::to_string);
    let mut values = Vec::new();
    for key in ["env", "headers", "http_headers", "requestOptions"] {
        collect_pairs(body.get(key), &mut values);
    }
    Server {
        name: name.to_string(),
        command: s("command"),
        args: body
            .get("args")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default(),
        url: s("url").or_else(|| s("serverUrl")).or_else(|| s("httpUrl")),
        values,
    }
}

/// String leaves of a map, keyed by their own key.
fn collect_pairs(v: Option<&Value>, out: &mut Vec<(String, String)>) {
    if let Some(Value::Object(m)) = v {
        for (k, x) in m {
            match x {
                Value::String(s) => out.push((k.clone(), s.clone())),
                Value::Object(_) => collect_pairs(Some(x), out),
                _ => {}
            }
        }
    }
}

/// (key, value) pairs that may hold a credential: env and headers, flag values in args
/// (`--token x`, `--token=x`, `KEY=value`), and URL query parameters.
fn secret_candidates(s: &Server) -> Vec<(String, String)> {
    let mut out = s.values.clone();
    let mut prev: Option<&str> = None;
    for a in &s.args {
        if let Some((k, v)) = a.split_once('=') {
            out.push((k.trim_start_matches('-').to_string(), v.to_string()));
        } else if let Some(flag) = prev.filter(|p| p.starts_with('-')) {
            out.push((flag.trim_start_matches('-').to_string(), a.clone()));
        } else {
            out.push(("args".to_string(), a.clone()));
        }
        prev = Some(a);
    }
    let urls = s
        .url
        .iter()
        .chain(s.args.iter().filter(|a| a.contains("://")));
    for u in urls {
        if let Some((_, q)) = u.split_once('?') {
            for pair in q.split('&') {
                if let Some((k, v)) = pair.split_once('=') {
                    out.push((k.to_string(), v.to_string()));
                }
            }
        }
    }
    out
}

/// Rule id of findings decided by the fallback heuristic rather than a scanner rule.
const HEURISTIC_RULE: &str = "mcp-literal-secret";

/// The literal-secret decision for MCP values: references are allowed, then the scanner's
/// secret rules judge the value, then the heuristic judges what no rule covers.
struct Judge<'a> {
    scanner: Option<&'a Scanner>,
    heuristic: &'a Heuristic,
}

impl Judge<'_> {
    /// The finding for `value` under `key` when it is a literal secret. Its position is the
    /// synthetic line's; the caller places it in the file.
    fn literal_secret(&self, path: &str, key: &str, value: &str) -> Option<Finding> {
        let literal = self.heuristic.literal_part(value)?;
        if let Some(sc) = self.scanner {
            // A synthetic `"KEY": "value"` line, so keyword-anchored rules see the key name,
            // written as JSON configs hold it so that the same value found by a whole-file
            // scan yields the same finding (and is reported once). References are removed
            // first: a rule must not fire on `${TOKEN}`.
            let stripped = self.heuristic.reference.replace_all(value, "");
            let quote = |x: &str| Value::String(x.to_string()).to_string();
            let line = format!("{}: {}\n", quote(key), quote(stripped.trim()));
            let opts = ScanOptions {
                category: Some(Category::Secret),
                ..ScanOptions::default()
            };
            // Where several rules match the same value, the one with a public prefix (the
            // longest redaction) names the token format; a generic keyword rule is the last
            // choice.
            let best = sc
                .scan_bytes(path, line.as_bytes(), &opts)
                .into_iter()
                .reduce(|best, f| {
                    if f.redacted.chars().count() > best.redacted.chars().count() {
                        f
                    } else {
                        best
                    }
                });
            if let Some(f) = best {
                return Some(f);
            }
        }
        self.heuristic.literal_secret(key, value).then(|| Finding {
            rule_id: HEURISTIC_RULE.into(),
            category: "secret".into(),
            path: path.to_string(),
            line: 1,
            column: 1,
            redacted: tiercheck_scan::redact(&literal, None),
            fingerprint: tiercheck_scan::value_free_fingerprint(
                HEURISTIC_RULE,
                path,
                &format!("{key}=\u{0}"),
                0,
                value,
            ),
            marked_allowed: false,
            end_line: 1,
            end_column: 1 + value.chars().count() as u64,
        })
    }
}

/// The fallback for values no scanner rule judges: a short keyed password, a random-looking
/// word with no known prefix.
struct Heuristic {
    keys: Option<Regex>,
    prefixes: Vec<String>,
    placeholders: Option<Regex>,
    reference: Regex,
}

impl Heuristic {
    fn new(cfg: &Config) -> Self {
        Heuristic {
            keys: Regex::new(&format!("(?i){}", cfg.secret_keys.value)).ok(),
            prefixes: cfg.token_prefixes.clone(),
            placeholders: cfg
                .placeholders
                .as_ref()
                .and_then(|p| Regex::new(&format!("(?i){}", p.value)).ok()),
            reference: Regex::new(r"\$\{[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*|%[A-Za-z_][A-Za-z0-9_]*%")
                .expect("static regex"),
        }
    }

    /// What is left of `value` once references and an auth scheme word are removed, unless
    /// that is empty or a placeholder: nothing there can be a secret.
    fn literal_part(&self, value: &str) -> Option<String> {
        let rest = self.reference.replace_all(value, "");
        let mut s = rest.trim();
        for scheme in ["Bearer", "bearer", "Basic", "token", "Token"] {
            if let Some(x) = s
                .strip_prefix(scheme)
                .filter(|x| x.is_empty() || x.starts_with(' '))
            {
                s = x.trim();
            }
        }
        if s.is_empty() || self.placeholders.as_ref().is_some_and(|p| p.is_match(s)) {
            return None;
        }
        Some(s.to_string())
    }

    /// Whether `value` under `key` is a literal secret rather than a reference to one.
    fn literal_secret(&self, key: &str, value: &str) -> bool {
        let Some(s) = self.literal_part(value) else {
            return false;
        };
        let s = s.as_str();
        if url_password(s).is_some_and(|p| !p.is_empty()) {
            return true;
        }
        let word = !s.contains(char::is_whitespace);
        if word
            && self
                .prefixes
                .iter()
                .any(|p| s.starts_with(p.as_str()) && s.len() >= p.len() + 8)
        {
            return true;
        }
        let keyed = self.keys.as_ref().is_some_and(|k| k.is_match(key));
        if keyed && word && s.len() >= 8 && !s.contains("://") {
            return true;
        }
        word && s.len() >= 20
            && !s.contains('/')
            && !s.contains("://")
            && s.chars().any(|c| c.is_ascii_digit())
            && s.chars().any(|c| c.is_ascii_alphabetic())
            && tiercheck_scan::validators::shannon_entropy(s) >= 4.0
    }
}

/// The password of a URL's `user:password@` part, when it has one.
fn url_password(s: &str) -> Option<&str> {
    let (_, rest) = s.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let (userinfo, _) = authority.rsplit_once('@')?;
    userinfo.split_once(':').map(|(_, p)| p)
}

fn find_line(text: &str, name: &str) -> Option<u64> {
    let quoted = format!("\"{name}\"");
    text.find(&quoted)
        .or_else(|| text.find(&format!("{name}:")))
        .or_else(|| text.find(&format!(".{name}]")))
        .or_else(|| text.find(name))
        .map(|at| line_of(text, at))
}

fn locate(text: &str, value: &str) -> Option<(u64, u64)> {
    let at = text.find(value)?;
    let line = line_of(text, at);
    let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    Some((line, text[start..at].chars().count() as u64 + 1))
}

/// Scheme and host of a URL (no credentials, path or query: they may carry tokens).
fn url_origin(u: &str) -> String {
    let (scheme, rest) = u.split_once("://").unwrap_or(("", u));
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority.rsplit('@').next().unwrap_or(authority);
    let more = if rest.len() > authority.len() {
        "/…"
    } else {
        ""
    };
    if scheme.is_empty() {
        format!("{host}{more}")
    } else {
        format!("{scheme}://{host}{more}")
    }
}

/// The command line of a server for a message: flag values after `=`, values after a flag
/// and anything that looks like a secret are hidden.
fn one_line(cmd: &str, args: &[String], h: &Heuristic) -> String {
    let mut words = vec![cmd.to_string()];
    let mut prev_flag = false;
    for a in args.iter().take(6) {
        let word = match a.split_once('=') {
            _ if a.contains("://") => url_origin(a),
            Some((k, _)) => format!("{k}=…"),
            None if prev_flag && !a.starts_with('-') => "…".to_string(),
            None if h.literal_secret("args", a) => "…".to_string(),
            None => a.clone(),
        };
        prev_flag = a.starts_with('-') && !a.contains('=') && a.len() > 2;
        words.push(word);
    }
    if args.len() > 6 {
        words.push("…".into());
    }
    words.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn heuristic() -> Heuristic {
        let cfg: Config = serde_saphyr::from_str(
            "files: ['.mcp.json']\nsecret_keys: '(token|secret|password|passwd|api[_-]?key|auth|credential|private[_-]?key)'\ntoken_prefixes: [ghp_, github_pat_, sk-, xoxb-, AKIA, glpat-]\nplaceholders: '^(<.*>|your[-_].*|x{3,}|\\*{3,}|changeme|example|dummy|test)$'\n",
        )
        .unwrap();
        Heuristic::new(&cfg)
    }

    #[test]
    fn references_pass_and_literals_fail() {
        let h = heuristic();
        let fake = format!("ghp_{}", "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8");
        assert!(h.literal_secret("GITHUB_PERSONAL_ACCESS_TOKEN", &fake));
        assert!(!h.literal_secret("GITHUB_PERSONAL_ACCESS_TOKEN", "${GITHUB_TOKEN}"));
        assert!(!h.literal_secret("GITHUB_TOKEN", "${env:GITHUB_TOKEN}"));
        assert!(!h.literal_secret("Authorization", "Bearer ${input:api-token}"));
        assert!(!h.literal_secret("API_KEY", "$API_KEY"));
        assert!(!h.literal_secret("API_KEY", "<your-api-key>"));
        assert!(h.literal_secret("Authorization", &["Bearer q8Zt4m", "Wv9Lx2Rk7P"].concat()));
        assert!(!h.literal_secret("LOG_LEVEL", "debug"));
        assert!(!h.literal_secret("args", "@modelcontextprotocol/server-filesystem"));
        assert!(h.literal_secret("args", &["Zq8x3Lm0Pv7T", "n2Wk9Rb4Yc6Hd1Jf5Gs"].concat()));
        assert!(h.literal_secret(
            "DATABASE_URL",
            &format!("postgres://app:{}@db:5432/app", "hunter2".repeat(2))
        ));
        assert!(!h.literal_secret("DATABASE_URL", "postgres://app:${DB_PASSWORD}@db:5432/app"));
        assert!(!h.literal_secret("DATABASE_URL", "postgres://app@db:5432/app"));
    }

    /// Rule id deciding each value with the default policy's scanner, `None` when allowed.
    fn judged(key: &str, value: &str) -> Option<String> {
        let policy = crate::policy::load_default().unwrap();
        let sc = Scanner::new(&policy.scan_rules()).unwrap();
        let h = heuristic();
        let j = Judge {
            scanner: Some(&sc),
            heuristic: &h,
        };
        let f = j.literal_secret(".mcp.json", key, value)?;
        assert!(!f.redacted.contains(&value[value.len() / 2..]), "{f:?}");
        Some(f.rule_id)
    }

    #[test]
    fn scanner_rules_decide_first() {
        let fake = format!("ghp_{}", "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8");
        let cases: Vec<(&str, String)> = vec![
            ("GITHUB_PERSONAL_ACCESS_TOKEN", fake.clone()),
            ("GITHUB_PERSONAL_ACCESS_TOKEN", "${GITHUB_TOKEN}".into()),
            ("Authorization", "Bearer ${input:api-token}".into()),
            ("Authorization", ["Bearer q8Zt4m", "Wv9Lx2Rk7P"].concat()),
            ("api_key", ["Zq8x3Lm0", "Pv7Tn2Wk9Rb4"].concat()),
            ("args", ["Zq8x3Lm0Pv7T", "n2Wk9Rb4Yc6Hd1Jf5Gs"].concat()),
            (
                "DATABASE_URL",
                format!("postgres://app:{}@db:5432/app", "hunter2".repeat(2)),
            ),
            (
                "DATABASE_URL",
                "postgres://app:${DB_PASSWORD}@db:5432/app".into(),
            ),
            ("LOG_LEVEL", "debug".into()),
        ];
        let rule = |i: usize| judged(cases[i].0, &cases[i].1);
        assert_eq!(rule(0).as_deref(), Some("github-pat-classic"));
        assert_eq!(rule(1), None);
        assert_eq!(rule(2), None);
        assert_eq!(rule(3).as_deref(), Some("authorization-header"));
        assert_eq!(rule(4).as_deref(), Some("generic-secret-quoted"));
        // A random word with no key and no known format: no rule judges it, the
        // heuristic does.
        assert_eq!(rule(5).as_deref(), Some(HEURISTIC_RULE));
        assert_eq!(rule(6).as_deref(), Some("database-url-password"));
        assert_eq!(rule(7), None);
        assert_eq!(rule(8), None);
        assert_eq!(judged("API_KEY", "$API_KEY"), None);
        assert_eq!(judged("API_KEY", "<your-api-key>"), None);
        assert_eq!(judged("TOKEN", "${env:FS_TOKEN}"), None);
    }

    #[test]
    fn messages_hide_values() {
        let h = heuristic();
        let args: Vec<String> = [
            "-y",
            "pkg",
            "--api-key",
            &["abc123", "secretvalue"].concat(),
            "--x=1",
            "https://u:p@h.example/p?q=1",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(
            one_line("npx", &args, &h),
            "npx -y pkg --api-key … --x=… https://h.example/…"
        );
        assert_eq!(url_origin("https://mcp.example"), "https://mcp.example");
    }

    #[test]
    fn jsonc_comments_and_trailing_commas() {
        let v: Value = serde_json::from_str(&strip_json_comments(
            "{\n  // servers\n  \"servers\": {\"a\": {\"url\": \"https://x/y\"},},\n  /* in */ \"inputs\": []\n}",
        ))
        .unwrap();
        assert_eq!(servers(&v)[0].url.as_deref(), Some("https://x/y"));
    }
}
