//! `tiercheck review`: records that someone reviewed the artifact as it is now, bound to its
//! content digest, in the governing `.tier.yaml`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, ValueEnum};

use super::{PolicyArg, existing, shown, today};
use crate::artifact::Artifact;
use crate::error::ConfigError;
use crate::manifest::{self, edit};
use crate::signers;

/// `--kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KindArg {
    /// The owner read the code and its output.
    #[value(name = "self")]
    SelfReview,
    /// An engineer other than the author reviewed the code.
    Engineering,
}

impl KindArg {
    fn as_str(self) -> &'static str {
        match self {
            KindArg::SelfReview => "self",
            KindArg::Engineering => "engineering",
        }
    }
}

/// `tiercheck review`.
#[derive(Debug, Args)]
pub struct ReviewArgs {
    /// File or folder whose governing .tier.yaml records the review.
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// Who reviewed (email or handle).
    #[arg(long, value_name = "WHO")]
    pub by: String,
    /// What kind of review it was.
    #[arg(long, value_enum, default_value_t = KindArg::SelfReview)]
    pub kind: KindArg,
    /// A note to keep with the review.
    #[arg(long, value_name = "TEXT")]
    pub note: Option<String>,
    /// Sign the review with this SSH private key (an OpenSSH key file, as `ssh-keygen`
    /// writes them); `verify` checks the signature against the company policy's allowed
    /// signers. A key with a passphrase reads it from TIERCHECK_KEY_PASSPHRASE or asks.
    #[arg(long, value_name = "FILE")]
    pub key: Option<PathBuf>,
    /// Attach a signature made elsewhere, such as with a key in an agent or on a token:
    /// `ssh-keygen -Y sign -n tiercheck-review -f KEY` over what `--print-message` prints.
    #[arg(long, value_name = "FILE", conflicts_with = "key")]
    pub signature: Option<PathBuf>,
    /// Make an SSH key for signing (ed25519, at ~/.ssh/id_ed25519 with its .pub, as
    /// ssh-keygen would, without a passphrase) and sign the review with it.
    #[arg(long, conflicts_with_all = ["key", "signature"])]
    pub new_key: bool,
    /// Print the message a signature of this review covers, and record nothing.
    #[arg(long, conflicts_with_all = ["key", "signature", "new_key"])]
    pub print_message: bool,
    #[command(flatten)]
    pub policy: PolicyArg,
}

/// The artifact whose manifest records a review of PATH: a file's own manifest (or the one
/// listing it in `files:`), or a folder's. A file that only its folder's manifest governs is
/// refused: recording a review of the whole folder under the file's name would surprise.
fn reviewed(
    path: &Path,
    abs: &Path,
    policy: &crate::policy::Policy,
) -> Result<Artifact, ConfigError> {
    let is_file = abs.is_file();
    let target = manifest::find_governing(abs)?;
    let Some(target) = target else {
        let hint = if is_file {
            format!("tiercheck assess {} --write", shown(path))
        } else {
            "tiercheck assess --write".to_string()
        };
        return Err(ConfigError::plain(format!(
            "no manifest governs `{}`; run `{hint}` first to create one",
            path.display()
        )));
    };
    if is_file && manifest::file_manifest_target(&target).is_none() {
        let folder = target.parent().unwrap_or(abs);
        return Err(ConfigError::plain(format!(
            "`{}` has no manifest of its own: {} governs it with its whole folder",
            path.display(),
            shown(&target)
        ))
        .with_help(format!(
            "review the folder (`tiercheck review {} --by …`), or make the file an artifact of its own with `tiercheck assess {} --write`",
            shown(folder),
            shown(path)
        )));
    }
    let start = if is_file {
        abs
    } else {
        target.parent().unwrap_or(abs)
    };
    let found = super::verify::collect(start, policy, false)?;
    found
        .into_iter()
        .find(|a| a.manifest.as_ref().is_some_and(|m| m.path == target))
        .ok_or_else(|| ConfigError::plain(format!("cannot load {}", shown(&target))))
}

pub(super) fn run(args: &ReviewArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let policy = args.policy.load()?;
    let path = existing(&args.path)?;
    let by = args.by.trim();
    if by.is_empty() || by.contains(['\n', '\r']) {
        return Err(ConfigError::plain("--by needs the reviewer's email or handle").into());
    }
    if args.kind == KindArg::Engineering {
        engineer_or_refuse(&policy, by)?;
    }
    let abs = std::fs::canonicalize(&path).map_err(|e| {
        ConfigError::plain(format!("cannot resolve path `{}`: {e}", path.display()))
    })?;
    let art = reviewed(&path, &abs, &policy)?;
    let (target, text) = match &art.manifest {
        Some(m) => (m.path.clone(), m.text.clone()),
        None => return Err(ConfigError::plain("no manifest to record the review in").into()),
    };
    let digest = art
        .digest()
        .map_err(|why| ConfigError::plain(format!("cannot compute the digest: {why}")))?
        .clone();
    let commit = match crate::git::open(&art.root) {
        Ok(repo) => repo
            .head()
            .map_err(ConfigError::plain)?
            .map(|c| c.id().to_string()),
        Err(crate::git::NoRepo::NotARepo) => None,
        Err(e) => return Err(ConfigError::plain(e.to_string()).into()),
    };
    let date = today()?.format("%Y-%m-%d").to_string();
    let message = signers::review_message(&digest.value, args.kind.as_str(), by, &date);
    if args.print_message {
        write!(out, "{message}")?;
        return Ok(ExitCode::SUCCESS);
    }
    let made = if args.new_key {
        Some(new_key(by, out)?)
    } else {
        None
    };
    let signature = sign(args, made.as_deref(), &message)?;
    if let Some(same) = art.manifest().reviews.iter().find(|r| {
        r.kind_name() == args.kind.as_str()
            && crate::detection::identity(&r.by.value) == crate::detection::identity(by)
            && r.digest.value == digest.value
            // A signed review replaces nothing, but is not refused for an unsigned twin.
            && (signature.is_none() || r.signature.is_some())
    }) {
        writeln!(
            out,
            "{} review by {} of this content ({}) is already recorded in {} (on {}); nothing changed",
            args.kind.as_str(),
            same.by.value,
            crate::artifact::digest::abbrev(&digest.value),
            shown(&target),
            same.date.value
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut entry: Vec<(&str, String)> = vec![
        ("by", edit::scalar(by)),
        ("kind", args.kind.as_str().to_string()),
        ("digest", digest.value.clone()),
        ("date", date.clone()),
    ];
    if let Some(c) = &commit {
        entry.push(("commit", format!("\"{c}\"")));
    }
    if let Some(n) = args
        .note
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
    {
        entry.push(("note", serde_json::to_string(n)?));
    }
    if let Some(signed) = &signature {
        entry.push(("signature", edit::scalar(&signed.body)));
    }
    let new_text = edit::append_review(&text, &entry).map_err(|why| {
        ConfigError::plain(format!(
            "cannot add the review to {}: {why}",
            shown(&target)
        ))
    })?;
    // Never write a manifest that no longer reads back with the review in it.
    let reparsed = manifest::parse(&new_text, &target)
        .and_then(|m| manifest::validate(&m, &policy.vocabulary()).map(|_| m))
        .map_err(|e| {
            ConfigError::plain(format!(
                "adding the review would break {} ({e}); it was left unchanged",
                shown(&target)
            ))
        })?;
    let before = art.manifest().reviews.len();
    let added = reparsed.manifest.reviews.last();
    if reparsed.manifest.reviews.len() != before + 1
        || added.is_none_or(|r| r.digest.value != digest.value || r.by.value != by)
    {
        return Err(ConfigError::plain(format!(
            "could not add the review to {} cleanly; it was left unchanged",
            shown(&target)
        ))
        .into());
    }
    crate::config::write_regular(&target, new_text.as_bytes())?;
    writeln!(
        out,
        "recorded {} review by {by} in {}",
        args.kind.as_str(),
        shown(&target)
    )?;
    let n = digest.files.len();
    let listed = if art.only.is_some() {
        format!(": {}", digest.files.join(", "))
    } else {
        String::new()
    };
    writeln!(
        out,
        "  digest  {} ({n} file{}{listed})",
        digest.value,
        if n == 1 { "" } else { "s" }
    )?;
    writeln!(out, "  date    {date}")?;
    if let Some(c) = &commit {
        writeln!(out, "  commit  {c}")?;
    }
    if let Some(n) = &args.note {
        writeln!(out, "  note    {}", n.trim())?;
    }
    if let Some(signed) = &signature {
        writeln!(out, "  signed  with key {}", signed.fingerprint)?;
        allowed_note(&policy, by, signed, out)?;
    } else {
        writeln!(
            out,
            "  unsigned: a claim, counted only where the policy counts unsigned reviews;\n            sign it with `--key ~/.ssh/id_ed25519`, or `--new-key` to make a key"
        )?;
    }
    for s in &digest.submodules {
        writeln!(out, "  note: submodule {s} is not covered by the digest")?;
    }
    Ok(ExitCode::SUCCESS)
}

/// A signature made for this review.
struct Signed {
    /// The base64 body, as the manifest keeps it.
    body: String,
    fingerprint: String,
    /// The signer's public key, in `authorized_keys` form.
    public: String,
}

/// Signs `message` with `--key`, or checks the signature `--signature` gives; `None` when
/// neither was asked for.
fn sign(args: &ReviewArgs, made: Option<&Path>, message: &str) -> anyhow::Result<Option<Signed>> {
    const MAX: u64 = 64 * 1024;
    let read = |path: &Path, what: &str| -> Result<String, ConfigError> {
        let bytes = tiercheck_scan::read::read_regular(path, MAX).map_err(|e| {
            ConfigError::plain(format!("{what} {} cannot be read: {e}", path.display()))
        })?;
        String::from_utf8(bytes)
            .map_err(|_| ConfigError::plain(format!("{what} {} is not text", path.display())))
    };
    let sig = if let Some(path) = made.or(args.key.as_deref()) {
        let text = read(path, "the key")?;
        let mut key = ssh_key::PrivateKey::from_openssh(text.trim()).map_err(|e| {
            ConfigError::plain(format!(
                "{} is not an OpenSSH private key ({e}); give the private key file, such as ~/.ssh/id_ed25519, not its .pub",
                path.display()
            ))
        })?;
        if key.is_encrypted() {
            let pass = passphrase(path)?;
            key = key.decrypt(pass.as_bytes()).map_err(|_| {
                ConfigError::plain(format!("wrong passphrase for {}", path.display()))
            })?;
        }
        key.sign(
            signers::REVIEW_NAMESPACE,
            ssh_key::HashAlg::Sha512,
            message.as_bytes(),
        )
        .map_err(|e| ConfigError::plain(format!("cannot sign with {}: {e}", path.display())))?
    } else if let Some(path) = &args.signature {
        let text = read(path, "the signature")?;
        signers::decode_signature(&text)
            .map_err(|e| ConfigError::plain(format!("{}: {e}", path.display())))?
    } else {
        return Ok(None);
    };
    let public = ssh_key::PublicKey::new(sig.public_key().clone(), "");
    if sig.namespace() != signers::REVIEW_NAMESPACE
        || public
            .verify(signers::REVIEW_NAMESPACE, message.as_bytes(), &sig)
            .is_err()
    {
        return Err(ConfigError::plain(format!(
            "the signature does not cover this review (namespace `{}`); make it over what `tiercheck review --print-message` prints, with `-n {}`",
            sig.namespace(),
            signers::REVIEW_NAMESPACE
        ))
        .into());
    }
    let pem = sig
        .to_pem(ssh_key::LineEnding::LF)
        .map_err(|e| ConfigError::plain(format!("cannot encode the signature: {e}")))?;
    Ok(Some(Signed {
        body: signers::body_of(&pem),
        fingerprint: public.fingerprint(ssh_key::HashAlg::Sha256).to_string(),
        public: public.to_openssh().unwrap_or_default(),
    }))
}

/// An engineering review by someone the policy does not count as an engineer could never
/// count: it is refused, saying how the policy names engineers.
fn engineer_or_refuse(policy: &crate::policy::Policy, by: &str) -> Result<(), ConfigError> {
    let how = "a company policy names them: `tiercheck policy init --engineer-domain DOMAIN`, then `--policy FILE` or TIERCHECK_POLICY";
    match policy.engineers.as_ref().filter(|e| !e.is_empty()) {
        None => Err(ConfigError::plain(format!(
            "an engineering review by {by} could never count: the policy names no engineers"
        ))
        .with_help(how)),
        Some(e) if !e.matches(by) => Err(ConfigError::plain(format!(
            "{by} is not an engineer under the policy, so an engineering review by them would never count"
        ))
        .with_help(format!("ask an engineer to review it; {how}"))),
        Some(_) => Ok(()),
    }
}

/// Makes an ed25519 key at ~/.ssh/id_ed25519 (and .pub) for `by`, as `ssh-keygen -t ed25519
/// -N ''` would, refusing to replace a key that exists.
fn new_key(by: &str, out: &mut dyn Write) -> anyhow::Result<PathBuf> {
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .ok_or_else(|| ConfigError::plain("HOME is not set: cannot tell where to keep the key"))?;
    let dir = home.join(".ssh");
    let path = dir.join("id_ed25519");
    if std::fs::symlink_metadata(&path).is_ok() {
        return Err(ConfigError::plain(format!(
            "{} exists; sign with it: `--key {}`",
            path.display(),
            path.display()
        ))
        .into());
    }
    let mut key = ssh_key::PrivateKey::random(&mut rand_core::OsRng, ssh_key::Algorithm::Ed25519)
        .map_err(|e| ConfigError::plain(format!("cannot make a key: {e}")))?;
    key.set_comment(by);
    std::fs::create_dir_all(&dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))?;
    }
    let private = key
        .to_openssh(ssh_key::LineEnding::LF)
        .map_err(|e| ConfigError::plain(format!("cannot encode the key: {e}")))?;
    crate::config::write_regular(&path, private.as_bytes())?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    }
    let public = key
        .public_key()
        .to_openssh()
        .map_err(|e| ConfigError::plain(format!("cannot encode the key: {e}")))?;
    let pub_path = dir.join("id_ed25519.pub");
    crate::config::write_regular(&pub_path, format!("{public}\n").as_bytes())?;
    writeln!(
        out,
        "made an SSH key for {by}: {} (private, no passphrase: keep it to yourself) and {}",
        path.display(),
        pub_path.display()
    )?;
    Ok(path)
}

/// The passphrase of an encrypted key: TIERCHECK_KEY_PASSPHRASE, or asked on a terminal.
fn passphrase(path: &Path) -> Result<String, ConfigError> {
    if let Ok(p) = std::env::var("TIERCHECK_KEY_PASSPHRASE") {
        return Ok(p);
    }
    if !std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        return Err(ConfigError::plain(format!(
            "{} has a passphrase; set TIERCHECK_KEY_PASSPHRASE, or run this on a terminal to be asked",
            path.display()
        )));
    }
    inquire::Password::new(&format!("Passphrase for {}:", path.display()))
        .without_confirmation()
        .prompt()
        .map_err(|e| ConfigError::plain(format!("no passphrase: {e}")))
}

/// Says whether the company's allowed signers hold the key for `by`, and if not, the line
/// to send to whoever keeps that list.
fn allowed_note(
    policy: &crate::policy::Policy,
    by: &str,
    signed: &Signed,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let line = format!(
        "{by} namespaces=\"{},{}\" {}",
        signers::REVIEW_NAMESPACE,
        signers::GIT_NAMESPACE,
        signed.public
    );
    let list = policy
        .signatures
        .as_ref()
        .and_then(|s| s.signers.as_deref());
    match list {
        Some(list) => {
            let key = ssh_key::PublicKey::from_openssh(&signed.public);
            let listed = key
                .map_err(|e| e.to_string())
                .and_then(|k| list.allows(Some(by), signers::REVIEW_NAMESPACE, &k, None));
            match listed {
                Ok(_) => writeln!(out, "  the key is on the allowed signers ({})", list.path),
                Err(why) => writeln!(
                    out,
                    "  note: {why}; until it is, this review counts only where the policy counts unsigned reviews.\n  Send this line to whoever keeps {}:\n    {line}",
                    list.path
                ),
            }
        }
        None => writeln!(
            out,
            "  note: the policy names no allowed signers, so verify cannot check this signature yet.\n  A company policy lists them (`signatures: {{allowed_signers: FILE}}`); the line for this key:\n    {line}"
        ),
    }
}
