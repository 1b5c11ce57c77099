//! A spinner on stderr for work that runs longer than half a second: only on a terminal,
//! never in CI (`CI` set), with `--quiet`, or beside machine-readable output.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// `--quiet` or `--output`: nothing but errors on the terminal.
pub(crate) static SILENT: AtomicBool = AtomicBool::new(false);

/// A spinner that appears after a delay and disappears when dropped.
pub(crate) struct Progress {
    shown: Option<Arc<Mutex<Option<ProgressBar>>>>,
}

/// How long work runs before the spinner appears; `TIERCHECK_PROGRESS_AFTER_MS` changes it
/// (for tests).
fn delay() -> Duration {
    let ms = std::env::var("TIERCHECK_PROGRESS_AFTER_MS")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(500);
    Duration::from_millis(ms)
}

impl Progress {
    /// Starts a spinner saying `message`, when people can see it: stderr is a terminal, not
    /// in CI, and the report is for people (`for_people`).
    pub(crate) fn start(message: &str, for_people: bool) -> Progress {
        let in_ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false");
        if !for_people
            || in_ci
            || SILENT.load(Ordering::Relaxed)
            || !std::io::stderr().is_terminal()
        {
            return Progress { shown: None };
        }
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
        if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} ({elapsed})") {
            bar.set_style(style);
        }
        bar.set_message(message.to_string());
        let slot = Arc::new(Mutex::new(Some(bar)));
        let later = slot.clone();
        std::thread::spawn(move || {
            std::thread::sleep(delay());
            // Shown only if the work has not finished meanwhile.
            if let Some(bar) = later.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
                bar.set_draw_target(ProgressDrawTarget::stderr());
                bar.tick();
                bar.enable_steady_tick(Duration::from_millis(100));
            }
        });
        Progress { shown: Some(slot) }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(slot) = &self.shown
            && let Some(bar) = slot.lock().unwrap_or_else(|p| p.into_inner()).take()
        {
            bar.finish_and_clear();
        }
    }
}
