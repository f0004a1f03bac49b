//! What `update` asks of the world ([`Effect`]), and the few helpers every
//! part of `update` shares. A leaf: it imports nothing of `update`, so the
//! parts import from here and the parent only from its parts.

use bytes::Bytes;
use pixloom_core::tree::{Blob, NodeId, Received};

use crate::tui::graphics::encoded::EncodeJob;
use crate::tui::thumbs::ThumbWant;

/// Work for the effects module: the only way `update` touches the world.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Plan and send the pending turn `NodeId`.
    StartTurn(NodeId),
    /// Abort its request (the tree already says `cancelled`).
    CancelTurn(NodeId),
    /// Write the conversation file.
    Save,
    /// Decode and scale a thumbnail off the UI task.
    DecodeThumbnail(ThumbWant),
    /// Encode a sixel or iTerm2 picture off the UI task.
    EncodePicture(EncodeJob),
    /// Import a reference image from a path or URL; `pasted` is the
    /// paste it came from (put in as text if it is not an image).
    ImportAttachment {
        source: String,
        pasted: Option<String>,
    },
    /// Open the image with the system viewer (`xdg-open` / `open`),
    /// detached; `Event::Notice` says how it went.
    OpenImage(Blob),
    /// Copy the image to `dest` (a file, or a folder to put it in under
    /// `name`), `recipe` inside a PNG; never over an existing file.
    SaveImage {
        blob: Blob,
        dest: String,
        name: String,
        recipe: crate::images::Recipe,
    },
    /// After the save of this batch succeeded (the tree no longer points at
    /// them), remove these image files, each only if still unused.
    DropImages(crate::convfile::orphans::Orphans),
    /// Put the image's absolute path on the clipboard with OSC 52, written
    /// to the terminal between frames.
    CopyPath(Blob),
    /// List the directory `input` names, for Tab completion.
    ListDir {
        input: String,
    },
    /// Store an `unstored` turn's paid picture: from `bytes` when held in
    /// memory, else its spare copy or its link (`engine::keep_received`);
    /// `Event::StoreFinished` says how it went.
    StoreResult {
        node: NodeId,
        received: Received,
        bytes: Option<Bytes>,
    },
    /// Whether these reference images of a re-run are in the store (a
    /// look at each file, no hashing); `Event::RerunChecked` answers, and
    /// only then is anything sent.
    CheckRerun {
        from: NodeId,
        references: Vec<(NodeId, Blob)>,
    },
    Quit,
}

/// Shown when sending without a key.
pub const NO_KEY: &str = "no API key: set PIXLOOM_API_KEY (or api_key in the config file) and restart, or try `pixloom --demo`";

/// Navigation that cannot move (at an end) simply stays.
pub(super) fn ignore<T, E>(_: Result<T, E>) {}
