//! What the start screen lists: the conversation folders in the current
//! folder and those opened lately ([`crate::recent`]), each read
//! read-only for its title, size, last change and latest picture. A
//! folder that cannot be read is listed with why; a remembered one that
//! is no longer there is listed as gone.

use std::path::{Path, PathBuf};

use time::OffsetDateTime;

use crate::convfile::{self, CONVERSATION_FILE, EXTENSION, IMAGES_DIR};
use pixloom_core::tree::Blob;

/// The most folders of the current folder listed (a folder holding
/// thousands of conversations still starts at once).
pub(crate) const MAX_HERE: usize = 200;

/// Where an entry comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Place {
    /// A `*.pixloom` folder in the current folder.
    Here,
    /// Opened lately, elsewhere.
    Recent,
}

/// One conversation on the start screen.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Entry {
    /// The folder, as it is opened.
    pub dir: PathBuf,
    pub(crate) place: Place,
    pub state: EntryState,
}

/// What reading an entry's folder found.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum EntryState {
    Ready(Summary),
    /// Remembered, but no longer there (moved or deleted).
    Gone,
    /// There, but it does not load: the reason, one line.
    Unreadable(String),
}

/// What the list shows of a conversation that loads.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Summary {
    pub(crate) title: String,
    /// Nodes in the tree (prompts and results).
    pub(crate) turns: usize,
    /// When `conversation.json` was last written (it is saved after every
    /// change).
    pub(crate) changed: Option<OffsetDateTime>,
    /// The picture of the newest node that has one.
    pub(crate) latest: Option<Blob>,
}

impl Entry {
    /// The name shown: the title, or the folder's name when unreadable.
    pub(crate) fn name(&self) -> String {
        match &self.state {
            EntryState::Ready(s) => s.title.clone(),
            _ => convfile::folder_title(&self.dir),
        }
    }

    /// The image store its thumbnail is read from.
    pub(crate) fn images_dir(&self) -> PathBuf {
        self.dir.join(IMAGES_DIR)
    }
}

/// The entries for a start in `here` with the recent list `recent`: the
/// current folder's conversations first (newest change first), then the
/// remembered ones not already listed, in the list's order.
pub(crate) fn gather(here: &Path, recent: &[PathBuf]) -> Vec<Entry> {
    let mut local: Vec<Entry> = conversations_in(here)
        .into_iter()
        .map(|dir| read(dir, Place::Here))
        .collect();
    local.sort_by_key(|e| {
        std::cmp::Reverse(match &e.state {
            EntryState::Ready(s) => s.changed,
            _ => None,
        })
    });
    let mut seen: Vec<PathBuf> = local.iter().map(|e| real(&e.dir)).collect();
    let mut out = local;
    for dir in recent {
        let key = real(dir);
        if seen.contains(&key) {
            continue;
        }
        seen.push(key);
        out.push(read(dir.clone(), Place::Recent));
    }
    out
}

/// A path compared by what it is (`./fox.pixloom` and `/home/u/fox.pixloom`
/// are one folder).
fn real(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}

/// The `*.pixloom` folders directly in `here` that hold a conversation,
/// by name, at most [`MAX_HERE`].
fn conversations_in(here: &Path) -> Vec<PathBuf> {
    let Ok(read) = std::fs::read_dir(here) else {
        return Vec::new();
    };
    let mut dirs: Vec<PathBuf> = read
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == EXTENSION))
        .filter(|p| std::fs::symlink_metadata(p.join(CONVERSATION_FILE)).is_ok())
        .collect();
    dirs.sort();
    dirs.truncate(MAX_HERE);
    dirs
}

/// Reads one folder without locking or changing it.
pub(crate) fn read(dir: PathBuf, place: Place) -> Entry {
    let state = if std::fs::symlink_metadata(&dir).is_err() {
        EntryState::Gone
    } else {
        match convfile::read_only(&dir) {
            Ok((conv, _)) => {
                let latest = conv
                    .nodes
                    .values()
                    .rev()
                    .find_map(|n| n.images().next())
                    .map(|i| i.original.clone());
                let changed = std::fs::metadata(dir.join(CONVERSATION_FILE))
                    .and_then(|m| m.modified())
                    .ok()
                    .map(OffsetDateTime::from);
                EntryState::Ready(Summary {
                    title: conv.title,
                    turns: conv.nodes.len(),
                    changed,
                    latest,
                })
            }
            Err(e) => EntryState::Unreadable(e.to_string()),
        }
    };
    Entry { dir, place, state }
}
