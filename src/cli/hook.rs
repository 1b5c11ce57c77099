//! `tiercheck hook install`: a git pre-commit hook that checks what the commit would add.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Subcommand;

use crate::error::ConfigError;

/// `tiercheck hook`.
#[derive(Debug, Subcommand)]
pub enum HookCommand {
    /// Write a git pre-commit hook running `tiercheck scan --staged` and `tiercheck verify
    /// --staged --pre-commit` (honours `core.hooksPath`).
    Install {
        /// The repository (any folder inside its working tree).
        #[arg(default_value = ".")]
        path: PathBuf,
        /// Replace an existing pre-commit hook (it is kept as `pre-commit.bak`).
        #[arg(long)]
        force: bool,
    },
}

/// The first line tiercheck writes in its hooks, to know one of its own.
const MARK: &str = "# Installed by `tiercheck hook install`";

/// The hook's text: `tiercheck` from PATH, or from where this one runs.
fn script(exe: &Path) -> String {
    let exe = crate::artifact::shell_word(&exe.display().to_string());
    format!(
        "#!/bin/sh\n{MARK}: checks what this commit would add.\n\
         # A blocked commit says what to do; `git commit --no-verify` skips it (CI still checks).\n\
         if command -v tiercheck >/dev/null 2>&1; then TIERCHECK=tiercheck; else TIERCHECK={exe}; fi\n\
         \"$TIERCHECK\" scan --staged || exit $?\n\
         exec \"$TIERCHECK\" verify --staged --pre-commit\n"
    )
}

/// Where git looks for hooks: `core.hooksPath` (relative to the working tree's top), else
/// the hooks folder of the repository's common git folder.
fn hooks_dir(path: &Path) -> Result<PathBuf, ConfigError> {
    let repo = crate::git::open(path).map_err(|e| {
        ConfigError::plain(format!("`{}`: {e}", path.display()))
            .with_help("run it inside the git repository whose commits it should check")
    })?;
    let raw = repo.raw();
    let configured = raw
        .config()
        .ok()
        .and_then(|c| c.get_path("core.hooksPath").ok());
    Ok(match configured {
        Some(p) if p.is_absolute() => p,
        Some(p) => raw.workdir().unwrap_or_else(|| raw.path()).join(p),
        None => raw.commondir().join("hooks"),
    })
}

pub(super) fn run(cmd: &HookCommand, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let HookCommand::Install { path, force } = cmd;
    let dir = hooks_dir(path)?;
    let hook = dir.join("pre-commit");
    if let Ok(meta) = std::fs::symlink_metadata(&hook) {
        let ours = std::fs::read_to_string(&hook).is_ok_and(|t| t.contains(MARK));
        if !ours && !force {
            return Err(ConfigError::plain(format!(
                "a pre-commit hook exists at {}",
                crate::artifact::shown(&hook)
            ))
            .with_help("add the two tiercheck lines of `tiercheck hook install --force` to it by hand, or pass --force to replace it (it is kept as pre-commit.bak)")
            .into());
        }
        if !ours && meta.is_file() {
            std::fs::copy(&hook, dir.join("pre-commit.bak"))?;
        }
        if !meta.is_file() {
            std::fs::remove_file(&hook)?;
        }
    }
    std::fs::create_dir_all(&dir)?;
    let exe = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("tiercheck"));
    std::fs::write(&hook, script(&exe))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755))?;
    }
    writeln!(
        out,
        "installed {}: each commit runs `tiercheck scan --staged` and `tiercheck verify --staged --pre-commit`",
        crate::artifact::shown(&hook)
    )?;
    Ok(ExitCode::SUCCESS)
}
