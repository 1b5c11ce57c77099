//! SSH signatures, as `ssh-keygen -Y sign` makes them and git uses them to sign commits,
//! checked against an allowed-signers list in git's `allowed_signers` format (see
//! `ssh-keygen(1)`, "ALLOWED SIGNERS"). Who signed a review or a commit is then a fact the
//! company's list vouches for, not a name the checked repository typed.
//!
//! A line of the list: principals (comma-separated, `*` and `?` wildcards, `!` negates),
//! optional options (`namespaces="a,b"`, `valid-after=`, `valid-before=`, `cert-authority`),
//! then the public key (`ssh-ed25519 AAAA…`) and an optional comment. Blank lines and lines
//! starting with `#` are skipped.

use std::path::Path;

use chrono::NaiveDate;
use ssh_key::{HashAlg, PublicKey, SshSig};

use crate::error::{ConfigError, Problem};

/// The namespace a tiercheck review signature is made in, so that a signature made for
/// another purpose (a git commit, a file) can never pass for a review.
pub const REVIEW_NAMESPACE: &str = "tiercheck-review";

/// The namespace git signs commits and tags in.
pub const GIT_NAMESPACE: &str = "git";

/// The longest allowed-signers file read (1 MiB).
const MAX_BYTES: u64 = 1 << 20;

/// A parsed allowed-signers list.
#[derive(Debug, Clone)]
pub struct AllowedSigners {
    /// Where it was read from, for messages.
    pub path: String,
    entries: Vec<Entry>,
}

#[derive(Debug, Clone)]
struct Entry {
    principals: Vec<String>,
    namespaces: Option<Vec<String>>,
    valid_after: Option<NaiveDate>,
    valid_before: Option<NaiveDate>,
    cert_authority: bool,
    key: PublicKey,
}

/// Who a valid signature was made by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signer {
    /// The principal the list allows for the key (as asked for, or the first one listed).
    pub principal: String,
    /// The key's SHA-256 fingerprint (`SHA256:…`).
    pub fingerprint: String,
}

impl AllowedSigners {
    /// Reads and parses the list at `path` (a regular file of at most 1 MiB).
    pub fn load(path: &Path) -> Result<AllowedSigners, ConfigError> {
        let bytes = tiercheck_scan::read::read_regular(path, MAX_BYTES).map_err(|e| {
            ConfigError::plain(format!(
                "allowed signers file {} cannot be read: {e}",
                path.display()
            ))
        })?;
        let text = String::from_utf8(bytes).map_err(|_| {
            ConfigError::plain(format!(
                "allowed signers file {} is not UTF-8 text",
                path.display()
            ))
        })?;
        Self::parse(&text, path)
    }

    /// Parses the text of a list; `path` names it in errors, which give line and column.
    pub fn parse(text: &str, path: &Path) -> Result<AllowedSigners, ConfigError> {
        let mut entries = Vec::new();
        let mut problems = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let trimmed = line.trim_start();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let indent = line.len() - trimmed.len();
            match parse_line(trimmed) {
                Ok(e) => entries.push(e),
                Err((col, msg)) => problems.push(
                    Problem::at(msg, path, text, i + 1, indent + col + 1).help(
                        "a line is `principals [options] key-type base64-key [comment]`, as `ssh-keygen -Y verify` reads it",
                    ),
                ),
            }
        }
        if !problems.is_empty() {
            return Err(ConfigError { problems });
        }
        Ok(AllowedSigners {
            path: path.display().to_string(),
            entries,
        })
    }

    /// How many keys the list holds.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the list holds no key.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Checks `armored` (an SSH signature, PEM or its base64 body alone) over `msg` in
    /// `namespace`. With `principal`, the key must be allowed for that principal; without,
    /// for anyone, and the first principal listed for it is returned. `on` is the day the
    /// signature claims to be from, checked against the key's validity.
    pub fn verify(
        &self,
        principal: Option<&str>,
        namespace: &str,
        msg: &[u8],
        armored: &str,
        on: Option<NaiveDate>,
    ) -> Result<Signer, String> {
        let sig = decode_signature(armored)?;
        if sig.namespace() != namespace {
            return Err(format!(
                "the signature was made for `{}`, not `{namespace}`",
                sig.namespace()
            ));
        }
        let key = PublicKey::new(sig.public_key().clone(), "");
        let principal = self.allows(principal, namespace, &key, on)?;
        key.verify(namespace, msg, &sig)
            .map_err(|_| "the signature does not match what it claims to sign".to_string())?;
        Ok(Signer {
            principal,
            fingerprint: key.fingerprint(HashAlg::Sha256).to_string(),
        })
    }

    /// Whether the list lets `key` sign in `namespace` for `principal` (for anyone when
    /// `None`) on the day `on`; the principal it is allowed for, or why not.
    pub fn allows(
        &self,
        principal: Option<&str>,
        namespace: &str,
        key: &PublicKey,
        on: Option<NaiveDate>,
    ) -> Result<String, String> {
        let fingerprint = key.fingerprint(HashAlg::Sha256).to_string();
        let same_key: Vec<&Entry> = self
            .entries
            .iter()
            .filter(|e| !e.cert_authority && e.key.key_data() == key.key_data())
            .collect();
        if same_key.is_empty() {
            return Err(format!(
                "the key {fingerprint} is not in the allowed signers ({})",
                self.path
            ));
        }
        let mut why = String::new();
        for e in same_key {
            let who = match principal {
                Some(p) if matches_list(&e.principals, p) => p.to_string(),
                Some(p) => {
                    why = format!("the key {fingerprint} is not allowed for {p}");
                    continue;
                }
                None => match e.principals.iter().find(|p| !p.starts_with('!')) {
                    Some(p) => p.clone(),
                    None => continue,
                },
            };
            if let Some(ns) = &e.namespaces
                && !ns.iter().any(|n| wildcard(n, namespace))
            {
                why = format!("the key {fingerprint} is not allowed to sign `{namespace}`");
                continue;
            }
            if let Some(day) = on
                && (e.valid_after.is_some_and(|a| day < a)
                    || e.valid_before.is_some_and(|b| day > b))
            {
                why = format!("the key {fingerprint} was not valid on {day}");
                continue;
            }
            return Ok(who);
        }
        Err(why)
    }
}

/// An SSH signature from its PEM form or its base64 body alone (as a manifest keeps it).
pub fn decode_signature(armored: &str) -> Result<SshSig, String> {
    let text = armored.trim();
    let pem = if text.starts_with("-----BEGIN SSH SIGNATURE-----") {
        text.to_string()
    } else {
        let body: String = text.split_whitespace().collect();
        armor(&body)
    };
    SshSig::from_pem(pem.as_bytes()).map_err(|e| format!("not a valid SSH signature ({e})"))
}

/// The PEM form of a signature's base64 body, in lines of 70 as `ssh-keygen` writes them.
pub fn armor(body: &str) -> String {
    let mut out = String::from("-----BEGIN SSH SIGNATURE-----\n");
    for chunk in body.as_bytes().chunks(70) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out.push_str("-----END SSH SIGNATURE-----\n");
    out
}

/// The base64 body of a PEM signature, on one line.
pub fn body_of(pem: &str) -> String {
    pem.lines()
        .filter(|l| !l.starts_with("-----"))
        .map(str::trim)
        .collect()
}

/// Splits `s` at whitespace outside double quotes; each token with its byte offset.
fn tokens(s: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = None;
    let mut quoted = false;
    for (i, c) in s.char_indices() {
        match (start, c) {
            (None, c) if c.is_whitespace() => {}
            (None, c) => {
                start = Some(i);
                quoted = c == '"';
            }
            (Some(_), '"') => quoted = !quoted,
            (Some(b), c) if c.is_whitespace() && !quoted => {
                out.push((b, &s[b..i]));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(b) = start {
        out.push((b, &s[b..]));
    }
    out
}

fn is_key_type(t: &str) -> bool {
    t.starts_with("ssh-") || t.starts_with("ecdsa-") || t.starts_with("sk-")
}

fn parse_line(line: &str) -> Result<Entry, (usize, String)> {
    let toks = tokens(line);
    let Some(&(_, principals)) = toks.first() else {
        return Err((0, "empty line".into()));
    };
    let principals: Vec<String> = principals
        .trim_matches('"')
        .split(',')
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect();
    if principals.is_empty() {
        return Err((0, "no principal before the key".into()));
    }
    let mut at = 1;
    let mut entry = Entry {
        principals,
        namespaces: None,
        valid_after: None,
        valid_before: None,
        cert_authority: false,
        key: PublicKey::new(
            ssh_key::public::KeyData::Ed25519(ssh_key::public::Ed25519PublicKey([0; 32])),
            "",
        ),
    };
    if let Some(&(col, opts)) = toks.get(1)
        && !is_key_type(opts)
    {
        at = 2;
        parse_options(opts, &mut entry).map_err(|m| (col, m))?;
    }
    let Some(&(col, kind)) = toks.get(at) else {
        return Err((line.len(), "the public key is missing".into()));
    };
    let Some(&(_, b64)) = toks.get(at + 1) else {
        return Err((line.len(), format!("the `{kind}` key has no base64 data")));
    };
    entry.key = PublicKey::from_openssh(&format!("{kind} {b64}")).map_err(|e| {
        (
            col,
            format!("`{kind}` is not a public key this list can hold ({e})"),
        )
    })?;
    Ok(entry)
}

fn parse_options(opts: &str, entry: &mut Entry) -> Result<(), String> {
    // Options are comma-separated; a quoted value may itself hold commas.
    let mut parts = Vec::new();
    let (mut start, mut quoted) = (0, false);
    for (i, c) in opts.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => {
                parts.push(&opts[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&opts[start..]);
    for p in parts {
        let (name, value) = match p.split_once('=') {
            Some((n, v)) => (n.to_ascii_lowercase(), Some(v.trim_matches('"'))),
            None => (p.to_ascii_lowercase(), None),
        };
        match (name.as_str(), value) {
            ("cert-authority", None) => entry.cert_authority = true,
            ("namespaces", Some(v)) => {
                entry.namespaces = Some(v.split(',').map(|n| n.trim().to_string()).collect());
            }
            ("valid-after", Some(v)) => entry.valid_after = Some(parse_time(v)?),
            ("valid-before", Some(v)) => entry.valid_before = Some(parse_time(v)?),
            _ => {
                return Err(format!(
                    "unknown option `{p}` (known: cert-authority, namespaces=, valid-after=, valid-before=)"
                ));
            }
        }
    }
    Ok(())
}

/// `YYYYMMDD[HHMM[SS]][Z]`: the day is what a review's date can be compared with.
fn parse_time(v: &str) -> Result<NaiveDate, String> {
    let digits = v.trim_end_matches(['Z', 'z']);
    if !(digits.len() == 8 || digits.len() == 12 || digits.len() == 14)
        || !digits.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(format!(
            "`{v}` is not a time of the form YYYYMMDD[HHMM[SS]][Z]"
        ));
    }
    NaiveDate::parse_from_str(&digits[..8], "%Y%m%d")
        .map_err(|_| format!("`{v}` is not a valid date"))
}

/// Whether `name` matches the list of patterns: some pattern matches and no negated one.
fn matches_list(patterns: &[String], name: &str) -> bool {
    let mut hit = false;
    for p in patterns {
        if let Some(neg) = p.strip_prefix('!') {
            if wildcard(neg, name) {
                return false;
            }
        } else if wildcard(p, name) {
            hit = true;
        }
    }
    hit
}

/// `*` and `?` glob matching, as OpenSSH matches principals (case-sensitive).
fn wildcard(pattern: &str, name: &str) -> bool {
    let (p, n): (Vec<char>, Vec<char>) = (pattern.chars().collect(), name.chars().collect());
    // Iterative matching with one backtrack point: linear in practice, never exponential.
    let (mut pi, mut ni) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == n[ni]) {
            pi += 1;
            ni += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ni));
            pi += 1;
        } else if let Some((sp, sn)) = star {
            pi = sp + 1;
            ni = sn + 1;
            star = Some((sp, sn + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// The message a review signature covers: what the review says, one field a line.
pub fn review_message(digest: &str, kind: &str, by: &str, date: &str) -> String {
    format!("tiercheck review 1\ndigest: {digest}\nkind: {kind}\nby: {by}\ndate: {date}\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use ssh_key::{Algorithm, LineEnding, PrivateKey};

    fn key() -> PrivateKey {
        PrivateKey::random(&mut rand_core::OsRng, Algorithm::Ed25519).unwrap()
    }

    fn line(who: &str, opts: &str, k: &PrivateKey) -> String {
        let public = k.public_key().to_openssh().unwrap();
        format!("{who} {opts} {public}\n")
    }

    fn list(text: &str) -> AllowedSigners {
        AllowedSigners::parse(text, Path::new("allowed_signers")).unwrap()
    }

    fn sign(k: &PrivateKey, ns: &str, msg: &str) -> String {
        k.sign(ns, HashAlg::Sha512, msg.as_bytes())
            .unwrap()
            .to_pem(LineEnding::LF)
            .unwrap()
    }

    #[test]
    fn a_signature_verifies_for_its_principal_only() {
        let (k, other) = (key(), key());
        let signers = list(&format!(
            "# the team\n{}{}",
            line("jane@corp.example,j@corp.example", "", &k),
            line("*@ops.example", "namespaces=\"git\"", &other)
        ));
        assert_eq!(signers.len(), 2);
        let msg = review_message("sha256:00", "self", "jane@corp.example", "2026-12-01");
        let sig = sign(&k, REVIEW_NAMESPACE, &msg);
        let ok = signers
            .verify(
                Some("jane@corp.example"),
                REVIEW_NAMESPACE,
                msg.as_bytes(),
                &sig,
                None,
            )
            .unwrap();
        assert_eq!(ok.principal, "jane@corp.example");
        assert!(ok.fingerprint.starts_with("SHA256:"));
        // The body alone (as a manifest keeps it) verifies too.
        assert!(
            signers
                .verify(
                    Some("j@corp.example"),
                    REVIEW_NAMESPACE,
                    msg.as_bytes(),
                    &body_of(&sig),
                    None
                )
                .is_ok()
        );
        let e = signers
            .verify(
                Some("bob@corp.example"),
                REVIEW_NAMESPACE,
                msg.as_bytes(),
                &sig,
                None,
            )
            .unwrap_err();
        assert!(e.contains("not allowed for bob@corp.example"), "{e}");
        let tampered = msg.replace("sha256:00", "sha256:01");
        let e = signers
            .verify(
                Some("jane@corp.example"),
                REVIEW_NAMESPACE,
                tampered.as_bytes(),
                &sig,
                None,
            )
            .unwrap_err();
        assert!(e.contains("does not match"), "{e}");
        let e = signers
            .verify(
                Some("jane@corp.example"),
                GIT_NAMESPACE,
                msg.as_bytes(),
                &sig,
                None,
            )
            .unwrap_err();
        assert!(e.contains("made for `tiercheck-review`"), "{e}");
        // A key allowed for git only cannot sign a review.
        let sig = sign(&other, REVIEW_NAMESPACE, &msg);
        let e = signers
            .verify(
                Some("amy@ops.example"),
                REVIEW_NAMESPACE,
                msg.as_bytes(),
                &sig,
                None,
            )
            .unwrap_err();
        assert!(e.contains("not allowed to sign"), "{e}");
        let unknown = sign(&key(), REVIEW_NAMESPACE, &msg);
        let e = signers
            .verify(None, REVIEW_NAMESPACE, msg.as_bytes(), &unknown, None)
            .unwrap_err();
        assert!(e.contains("not in the allowed signers"), "{e}");
        let e = signers
            .verify(
                None,
                REVIEW_NAMESPACE,
                msg.as_bytes(),
                &sig[..sig.len() / 2],
                None,
            )
            .unwrap_err();
        assert!(e.contains("not a valid SSH signature"), "{e}");
    }

    #[test]
    fn validity_and_negated_principals_are_honoured() {
        let k = key();
        let signers = list(&line(
            "*@corp.example,!intern@corp.example",
            "valid-after=20260101,valid-before=\"20261231Z\"",
            &k,
        ));
        let msg = "m";
        let sig = sign(&k, REVIEW_NAMESPACE, msg);
        let day = |s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
        let check = |who, on| signers.verify(Some(who), REVIEW_NAMESPACE, msg.as_bytes(), &sig, on);
        assert!(check("a@corp.example", day("2026-06-01")).is_ok());
        assert!(check("a@corp.example", day("2027-01-02")).is_err());
        assert!(check("a@corp.example", day("2025-12-31")).is_err());
        assert!(check("intern@corp.example", None).is_err());
        assert!(check("a@evil.example", None).is_err());
    }

    #[test]
    fn malformed_lines_are_located() {
        let k = key();
        let good = line("jane@corp.example", "", &k);
        let text = format!(
            "{good}bob@corp.example frobnicate {}\n  x ssh-ed25519\nonly-one\n",
            k.public_key().to_openssh().unwrap()
        );
        let err = AllowedSigners::parse(&text, Path::new("signers")).unwrap_err();
        let shown = err.to_string();
        assert_eq!(err.problems.len(), 3, "{shown}");
        assert!(shown.contains("signers:2:18"), "{shown}");
        assert!(shown.contains("unknown option `frobnicate`"), "{shown}");
        assert!(shown.contains("signers:3:"), "{shown}");
        assert!(shown.contains("no base64 data"), "{shown}");
        assert!(shown.contains("signers:4:"), "{shown}");
        let e =
            AllowedSigners::parse("a ssh-ed25519 AAAAnotbase64!!\n", Path::new("s")).unwrap_err();
        assert!(e.to_string().contains("s:1:3"), "{e}");
        let e = AllowedSigners::parse("a valid-after=2026 ssh-ed25519 AAAA\n", Path::new("s"))
            .unwrap_err();
        assert!(e.to_string().contains("not a time"), "{e}");
    }

    #[test]
    fn wildcards_match_like_openssh() {
        assert!(wildcard("*@corp.example", "jane@corp.example"));
        assert!(wildcard("j?ne@*", "jane@x"));
        assert!(!wildcard("*@corp.example", "jane@corp.example.evil"));
        assert!(wildcard("*", ""));
        assert!(!wildcard("a*b*c*d*e", &"a".repeat(5000)));
    }
}
