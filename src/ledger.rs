//! The ledger: one JSON line per call that was or may have been billed,
//! in `ledger.jsonl` in the state directory (docs/ledger.md).
//!
//! A `sent` line is appended and synced before a request goes out, and an
//! outcome line with the same call id the moment the outcome is known, so
//! a call cut short by a crash still counts ("outcome unknown"). The
//! ledger is never the only copy of anything in a conversation, and one
//! that cannot be written never stops a turn: the engine reports the
//! failure once and carries on.

mod entry;
mod read;
#[cfg(test)]
mod tests;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use time::OffsetDateTime;

use pixloom_core::history::TurnRequest;

pub use entry::{Call, Entry, Kind, day_of, entry_day};
pub use read::{Read, read};

/// The ledger's file name in the state directory.
pub const FILE_NAME: &str = "ledger.jsonl";

/// Where the ledger is: `STATE_DIR/ledger.jsonl`.
pub fn default_path() -> Option<PathBuf> {
    Some(crate::logging::state_dir()?.join(FILE_NAME))
}

/// The handle the engine holds: where to append and for which
/// conversation. Off (`Ledger::default()`) writes nothing. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct Ledger {
    inner: Option<Arc<Inner>>,
}

#[derive(Debug)]
struct Inner {
    path: PathBuf,
    conversation: String,
    /// Whether a write failure was already reported (said once).
    warned: AtomicBool,
}

impl Ledger {
    /// The ledger in the state directory for calls made from the
    /// conversation folder `dir` (recorded as an absolute path).
    pub fn for_conversation(dir: &Path) -> Ledger {
        match default_path() {
            Some(path) => Ledger::at(path, dir),
            None => Ledger::default(),
        }
    }

    /// The ledger at `path` (tests; `for_conversation` otherwise).
    pub fn at(path: PathBuf, dir: &Path) -> Ledger {
        let dir = std::fs::canonicalize(dir)
            .or_else(|_| std::path::absolute(dir))
            .unwrap_or_else(|_| dir.to_path_buf());
        Ledger {
            inner: Some(Arc::new(Inner {
                path,
                conversation: dir.display().to_string(),
                warned: AtomicBool::new(false),
            })),
        }
    }

    /// A new call's id and its `sent` line, appended before the request
    /// goes out. `Err` carries the message to show, the first time only.
    pub(crate) fn sent(&self, req: &TurnRequest) -> (Pending, Option<String>) {
        let Some(inner) = &self.inner else {
            return (Pending(None), None);
        };
        let entry = Entry {
            call: format!("{:016x}", rand::random::<u64>()),
            time: entry::now_rfc3339(OffsetDateTime::now_utc()),
            kind: Kind::Sent,
            conversation: inner.conversation.clone(),
            node: req.node.to_string(),
            model: req.params.model.clone(),
            size: req.params.size.to_string(),
            endpoint: req.body.path().to_owned(),
            request_id: None,
            latency_ms: None,
            cost_micro_usd: 0,
        };
        let warning = self.append(&entry);
        (Pending(Some(entry)), warning)
    }

    /// The call's outcome line. Returns the message to show when the
    /// ledger could not be written, the first time only.
    pub(crate) fn settle(
        &self,
        pending: Pending,
        kind: Kind,
        request_id: Option<&str>,
        latency_ms: Option<u64>,
    ) -> Option<String> {
        let mut entry = pending.0?;
        entry.time = entry::now_rfc3339(OffsetDateTime::now_utc());
        entry.cost_micro_usd = kind.cost_micro_usd();
        entry.kind = kind;
        entry.request_id = request_id.map(str::to_owned);
        entry.latency_ms = latency_ms;
        self.append(&entry)
    }

    fn append(&self, entry: &Entry) -> Option<String> {
        let inner = self.inner.as_ref()?;
        let e = match append_line(&inner.path, entry) {
            Ok(()) => return None,
            Err(e) => e,
        };
        tracing::warn!(path = %inner.path.display(), "could not write the ledger: {e}");
        if inner.warned.swap(true, Ordering::SeqCst) {
            return None;
        }
        Some(crate::errline::line(
            format!(
                "the spending ledger could not be written ({e}); the turn goes on and is saved in its conversation"
            ),
            "Free space or fix the permissions of the state directory",
            inner.path.display(),
        ))
    }
}

/// A call whose `sent` line is written and whose outcome is not yet.
#[derive(Debug)]
pub(crate) struct Pending(Option<Entry>);

/// Appends one line and syncs it: the line is on disk before this returns.
fn append_line(path: &Path, entry: &Entry) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut line = serde_json::to_vec(entry).map_err(std::io::Error::other)?;
    line.push(b'\n');
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    // One write: with O_APPEND, lines of concurrent calls never interleave.
    file.write_all(&line)?;
    file.sync_data()
}
