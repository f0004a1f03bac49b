//! Saving the conversation off the UI loop.
//!
//! The loop hands [`Saver::save`] a snapshot of the tree (a clone: cheap
//! beside two fsyncs, which on a slow home directory take seconds) and
//! goes on. A writer thread writes one snapshot at a time; a snapshot
//! asked for while another is being written waits, and a later one
//! replaces it (the latest tree wins: it holds every earlier change).
//!
//! - Every finished save is an event: `Event::Saved`, or
//!   `Event::SaveFailed` with the folder's message (the tree stays in
//!   memory and the next save tries again).
//! - Image files a delete left unused are removed after the save that no
//!   longer names them succeeded, each only if that tree does not use it.
//! - Saves are numbered ([`SaveNo`]); [`Saver::finished`] resolves once a
//!   save (or a later one, which holds it) is done. A turn's request waits
//!   on the save holding its pending node, so a crash leaves an
//!   `interrupted` turn, never a paid request the file does not know.
//! - [`Saver::flush`] (quit) and [`Saver::flush_blocking`] (drop) wait
//!   for the last save. The writer holds the folder only while writing, so
//!   once a flush returns, dropping the saver releases the folder's lock.

use std::future::Future;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError, Weak};

use tokio::sync::mpsc::UnboundedSender;
use tokio::sync::watch;

use crate::convfile::ConvFolder;
use crate::convfile::orphans::Orphans;
use pixloom_core::tree::Conversation;

use super::super::action::{Event, Msg};

/// Where the tree is written: the conversation folder (a test puts a
/// gate in between).
pub(crate) trait Disk: Send + Sync + 'static {
    /// Writes the tree durably; the message says why not.
    fn save(&self, conv: &Conversation) -> Result<(), String>;
    /// Removes the files of `orphans` that `saved` (the tree just saved)
    /// does not use.
    fn remove_unused(&self, saved: &Conversation, orphans: &Orphans) -> Result<(), String>;
}

impl Disk for ConvFolder {
    fn save(&self, conv: &Conversation) -> Result<(), String> {
        ConvFolder::save(self, conv).map_err(|e| e.to_string())
    }

    fn remove_unused(&self, saved: &Conversation, orphans: &Orphans) -> Result<(), String> {
        ConvFolder::remove_unused(self, saved, orphans)
            .map(drop)
            .map_err(|e| e.to_string())
    }
}

/// The number of a save: the n-th snapshot asked for (0: none yet).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct SaveNo(u64);

/// A snapshot to write, and what to remove once it is written.
struct Job {
    no: SaveNo,
    conv: Conversation,
    drops: Vec<Orphans>,
}

/// What the loop and the writer share.
#[derive(Default)]
struct Queue {
    /// The next snapshot (at most one: a later one replaces it).
    next: Option<Job>,
    /// A writer thread is running.
    writing: bool,
}

struct Shared {
    queue: Mutex<Queue>,
    /// Signalled when the writer stops (nothing left).
    idle: Condvar,
    /// The last save finished (written or failed).
    done: watch::Sender<SaveNo>,
    tx: UnboundedSender<Msg>,
}

impl Shared {
    fn queue(&self) -> MutexGuard<'_, Queue> {
        // A panic while holding it leaves a queue still consistent.
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The loop's side of saving.
pub(crate) struct Saver {
    disk: Arc<dyn Disk>,
    shared: Arc<Shared>,
    asked: SaveNo,
}

impl Saver {
    pub(crate) fn new(disk: Arc<dyn Disk>, tx: UnboundedSender<Msg>) -> Self {
        Saver {
            disk,
            shared: Arc::new(Shared {
                queue: Mutex::new(Queue::default()),
                idle: Condvar::new(),
                done: watch::Sender::new(SaveNo::default()),
                tx,
            }),
            asked: SaveNo::default(),
        }
    }

    /// Queues a snapshot of `conv` (replacing one not started yet, whose
    /// removals it takes over) and returns its number.
    pub(crate) fn save(&mut self, conv: &Conversation, drops: Vec<Orphans>) -> SaveNo {
        self.asked = SaveNo(self.asked.0 + 1);
        let start = {
            let mut q = self.shared.queue();
            let mut all = q.next.take().map(|j| j.drops).unwrap_or_default();
            all.extend(drops);
            q.next = Some(Job {
                no: self.asked,
                conv: conv.clone(),
                drops: all,
            });
            !std::mem::replace(&mut q.writing, true)
        };
        if start {
            let disk = Arc::downgrade(&self.disk);
            let shared = Arc::clone(&self.shared);
            let spawned = std::thread::Builder::new()
                .name("pixloom-save".to_owned())
                .spawn(move || write_all(&disk, &shared));
            if let Err(e) = spawned {
                // No thread to be had: write here rather than not at all.
                tracing::warn!("no thread for saving ({e}); saving on the loop");
                write_all(&Arc::downgrade(&self.disk), &self.shared);
            }
        }
        self.asked
    }

    /// The last save asked for.
    pub(crate) fn last(&self) -> SaveNo {
        self.asked
    }

    /// Resolves once save `no` (or a later one) has finished, written or
    /// failed. Owns what it needs: a task can await it.
    pub(crate) fn finished(&self, no: SaveNo) -> impl Future<Output = ()> + Send + 'static {
        let mut done = self.shared.done.subscribe();
        async move {
            // The sender lives as long as the saver's writer may run.
            let _ = done.wait_for(|d| *d >= no).await;
        }
    }

    /// Waits for the last save asked for (quitting).
    pub(crate) async fn flush(&self) {
        self.finished(self.asked).await;
        self.flush_blocking();
    }

    /// Blocks until the writer has stopped: nothing waiting, nothing
    /// being written, the folder no longer held by it.
    pub(crate) fn flush_blocking(&self) {
        let mut q = self.shared.queue();
        while q.writing {
            q = self
                .shared
                .idle
                .wait(q)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }
}

/// The writer: snapshots until none is left. The folder is taken for each
/// write and let go before the save is reported finished.
fn write_all(disk: &Weak<dyn Disk>, shared: &Shared) {
    loop {
        let job = {
            let mut q = shared.queue();
            match (q.next.take(), disk.upgrade()) {
                (Some(job), Some(disk)) => (job, disk),
                _ => {
                    q.writing = false;
                    shared.idle.notify_all();
                    return;
                }
            }
        };
        let (job, disk) = job;
        let mut events = Vec::new();
        match guarded(|| disk.save(&job.conv)) {
            Ok(()) => {
                events.push(Event::Saved);
                for orphans in &job.drops {
                    if let Err(e) = guarded(|| disk.remove_unused(&job.conv, orphans)) {
                        tracing::warn!("removing unused images: {e}");
                        events.push(Event::Notice(Err(format!(
                            "could not remove some unused images ({e}); they stay in the folder's images/, harmless"
                        ))));
                    }
                }
            }
            Err(e) => {
                tracing::error!("save failed: {e}");
                events.push(Event::SaveFailed(e));
            }
        }
        drop(disk);
        for e in events {
            // The loop has gone only while quitting: nothing left to tell.
            let _ = shared.tx.send(Msg::Event(e));
        }
        shared.done.send_modify(|d| *d = (*d).max(job.no));
    }
}

/// `f`, with a panic in it (a bug) turned into a failure: the writer
/// goes on, the save is told as failed, and nobody waits forever.
fn guarded(f: impl FnOnce() -> Result<(), String>) -> Result<(), String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or_else(|panic| {
        let why = panic
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        Err(format!("internal error while saving: {why}"))
    })
}

#[cfg(test)]
mod tests;
