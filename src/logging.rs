//! Logs go to a file under the XDG state directory, never to the screen
//! (the screen belongs to the app). The API key never reaches a log: it is
//! only ever held as [`crate::gateway::ApiKey`], whose `Debug` is redacted.

use std::path::PathBuf;

use tracing_subscriber::EnvFilter;

/// Where the log file goes: `$XDG_STATE_HOME/pixloom/pixloom.log`, else
/// `~/.local/state/pixloom/pixloom.log`.
pub(crate) fn log_path() -> Option<PathBuf> {
    Some(state_dir()?.join("pixloom.log"))
}

/// pixloom's state directory: `$XDG_STATE_HOME/pixloom`, else
/// `~/.local/state/pixloom` (the log, the remote-URL seal key).
pub fn state_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_STATE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state")))?;
    Some(base.join("pixloom"))
}

/// Guard that keeps logging set up; drop it at exit.
pub struct LogGuard;

/// Sets up the log file at `level` (`error`, `warn`, `info`, `debug`,
/// `trace`, or a filter like `pixloom=debug`; default `info`, or
/// `PIXLOOM_LOG`). A log that cannot be opened is skipped, never fatal.
pub fn init(level: Option<&str>) -> Option<LogGuard> {
    let path = log_path()?;
    std::fs::create_dir_all(path.parent()?).ok()?;
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .ok()?;
    let filter = level
        .map(str::to_owned)
        .or_else(|| std::env::var("PIXLOOM_LOG").ok())
        .unwrap_or_else(|| "info".to_owned());
    let filter = EnvFilter::try_new(&filter).unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(std::sync::Mutex::new(file))
        .try_init()
        .ok()?;
    Some(LogGuard)
}
