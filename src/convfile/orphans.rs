//! Images a delete leaves behind. Deleting a branch takes the image files
//! only its turns use with it, so they do not travel with every copy of
//! the folder forever; a file another turn still uses (the same picture
//! twice, by content) stays.
//!
//! Crash-safe order: the tree is saved without the turns first, and only
//! then are their files removed. A crash in between leaves an unused file,
//! never a turn pointing at a missing one. Before removing, each file is
//! checked again against the tree as saved, so nothing re-used since the
//! delete is taken.

use std::collections::{BTreeMap, BTreeSet};
use std::io;

use pixloom_core::tree::{Blob, Conversation, Node, NodeId};

use super::ConvFolder;

/// Image files a delete would leave unused: how many and how large.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Orphans {
    pub(crate) blobs: Vec<Blob>,
}

impl Orphans {
    pub fn bytes(&self) -> u64 {
        self.blobs.iter().map(|b| b.bytes).sum()
    }

    /// `3 images (12.4 MB)`, for the confirmation and the status line.
    pub(crate) fn describe(&self) -> String {
        let n = self.blobs.len();
        let noun = if n == 1 { "image" } else { "images" };
        format!("{n} {noun} ({:.1} MB)", self.bytes() as f64 / 1_000_000.0)
    }
}

/// The store files `node` uses: each image's original and upload copy.
fn blobs_of(node: &Node) -> impl Iterator<Item = &Blob> {
    node.images()
        .flat_map(|i| std::iter::once(&i.original).chain(i.upload.as_ref()))
}

/// Content every node uses, a paid picture not yet stored included (its
/// file may be in the store already).
fn used_by<'a>(nodes: impl Iterator<Item = &'a Node>) -> BTreeSet<&'a str> {
    let mut used = BTreeSet::new();
    for n in nodes {
        used.extend(blobs_of(n).map(|b| b.sha256.as_str()));
        if let Some(sha) = n
            .turn
            .as_ref()
            .and_then(|t| t.received.as_ref()?.sha256.as_deref())
        {
            used.insert(sha);
        }
    }
    used
}

/// The image files only `id` and the turns below it use. Pure: reads the
/// tree, not the disk.
pub(crate) fn orphaned_by_delete(conv: &Conversation, id: NodeId) -> Orphans {
    let Ok(gone) = conv.subtree(id) else {
        return Orphans::default();
    };
    let gone: BTreeSet<NodeId> = gone.into_iter().collect();
    let kept = used_by(conv.nodes.values().filter(|n| !gone.contains(&n.id)));
    let mut orphans = BTreeMap::new();
    for n in gone.iter().filter_map(|g| conv.nodes.get(g)) {
        for b in blobs_of(n).filter(|b| !kept.contains(b.sha256.as_str())) {
            orphans.entry(b.file_name()).or_insert_with(|| b.clone());
        }
    }
    Orphans {
        blobs: orphans.into_values().collect(),
    }
}

impl ConvFolder {
    /// Removes the files of `orphans` that `saved` (the tree as just
    /// saved) does not use. Call only after that save succeeded. A file
    /// already gone is fine; the first other failure is returned after
    /// trying the rest (the file stays, unused: harmless).
    pub(crate) fn remove_unused(
        &self,
        saved: &Conversation,
        orphans: &Orphans,
    ) -> io::Result<usize> {
        let used = used_by(saved.nodes.values());
        let mut removed = 0;
        let mut failed = None;
        for b in orphans
            .blobs
            .iter()
            .filter(|b| !used.contains(b.sha256.as_str()))
        {
            // `remove_file` takes a link itself, never what it points to.
            match std::fs::remove_file(self.store.path(b)) {
                Ok(()) => removed += 1,
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => {
                    failed.get_or_insert(e);
                }
            }
        }
        match failed {
            Some(e) => Err(e),
            None => Ok(removed),
        }
    }
}
