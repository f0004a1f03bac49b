//! What the loop receives: [`Action`]s (what the user asked for, named so
//! keys can be rebound in config) and [`Event`]s (what the outside world
//! reports: keys not yet mapped, resizes, ticks, finished turns, decoded
//! thumbnails). Both travel as a [`Msg`] on one channel.

use std::sync::Arc;

use ratatui::crossterm::event::KeyEvent;
use serde::{Deserialize, Serialize};

use crate::engine::{Kept, TurnReport};
use pixloom_core::tree::{ImageRef, NodeId, Received};

use super::thumbs::Thumb;

/// Something the user asked for. The kebab-case names are what a config
/// file will bind keys to (`move-down = ["j", "down"]`).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    strum::VariantArray,
)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    MoveDown,
    MoveUp,
    PrevSibling,
    NextSibling,
    First,
    Last,
    /// Cursor left/right in a grid (the size picker).
    MoveLeft,
    MoveRight,
    /// A page up / down in a dialog that scrolls (help, info, error).
    PageUp,
    PageDown,
    CycleFocus,
    Compose,
    Send,
    Newline,
    Edit,
    Regenerate,
    /// Send the path's turns from here again as a new branch (asks first).
    Rerun,
    Refine,
    Variants,
    Attach,
    /// Remove the last attached image from the composer before sending.
    Detach,
    /// Send the composer's prompt as the first turn of a new tree (no history).
    NewRoot,
    SizePicker,
    ModelPicker,
    Star,
    Delete,
    Cancel,
    Retry,
    RetryLowerTier,
    /// Store paid pictures that are not on disk yet (after freeing space),
    /// and save the conversation again if a save failed.
    StoreResult,
    Help,
    Info,
    ErrorDetail,
    ViewImage,
    ToggleTree,
    Quit,
    Confirm,
    Dismiss,
    /// Search prompts, incrementally; `search-next` / `search-prev` repeat.
    Search,
    SearchNext,
    SearchPrev,
    /// Open the image with the system viewer.
    OpenImage,
    /// Copy the image to a path the user types.
    SaveImage,
    /// Copy the image's path to the clipboard (OSC 52).
    CopyPath,
    Label,
    TreeNarrower,
    TreeWider,
    /// Fold / unfold the subtree under the selected turn.
    Fold,
    /// The selected turn's variants side by side.
    Gallery,
    /// Mark an image, then compare it with another.
    Compare,
    /// Complete the path typed so far.
    Complete,
    /// Replay: one turn forward / back, play or pause, change the speed.
    Step,
    StepBack,
    PlayPause,
    Faster,
    Slower,
    /// Start a new conversation (the start screen asks its name).
    NewConversation,
}

impl Action {
    /// Every action, in declaration order, for the help screen and the
    /// table tests: derived, so a new action cannot be left out.
    #[cfg(test)]
    pub(crate) const ALL: &'static [Action] = <Action as strum::VariantArray>::VARIANTS;

    /// The config name, `move-down`.
    #[cfg(test)]
    pub(crate) fn name(self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    }

    /// One line for the help screen and `docs/keys.md`.
    pub(crate) fn describe(self) -> &'static str {
        match self {
            Action::MoveDown => "next turn down the selected path",
            Action::MoveUp => "previous turn up the selected path",
            Action::PrevSibling => "previous branch (sibling)",
            Action::NextSibling => "next branch (sibling)",
            Action::First => "first turn of the path",
            Action::Last => "last turn of the branch",
            Action::MoveLeft => "cursor left",
            Action::MoveRight => "cursor right",
            Action::PageUp => "a page up",
            Action::PageDown => "a page down",
            Action::CycleFocus => "cycle focus: tree, transcript, composer",
            Action::Compose => "write a prompt (a reply under the selected branch's end)",
            Action::Send => "send the prompt",
            Action::Newline => "new line in the prompt",
            Action::Edit => "edit a user turn as a new branch",
            Action::Regenerate => "regenerate: a new image beside this one",
            Action::Rerun => "re-run from here as a new branch (asks what changes, the price)",
            Action::Refine => "refine the selected image with a new prompt",
            Action::Variants => "several images for the same prompt",
            Action::Attach => "attach a reference image (path)",
            Action::Detach => "remove the last attached image",
            Action::NewRoot => "send as a new conversation root, no history (again: back)",
            Action::SizePicker => "pick the output size",
            Action::ModelPicker => "pick the model and endpoint",
            Action::Star => "star / unstar the turn",
            Action::Delete => "delete the turn, its branch and the images only they use",
            Action::Cancel => "cancel the selected request (asks: it may be billed)",
            Action::Retry => "retry a failed or interrupted turn",
            Action::RetryLowerTier => "retry one size tier down (4K to 2K)",
            Action::StoreResult => {
                "store paid pictures not on disk yet (after freeing space), save again"
            }
            Action::Help => "this help",
            Action::Info => "details of the turn",
            Action::ErrorDetail => "the full error of a failed turn",
            Action::ViewImage => "view the image full screen",
            Action::ToggleTree => "show / hide the tree",
            Action::Quit => "quit (asks while requests run or a picture is not on disk)",
            Action::Confirm => "confirm",
            Action::Dismiss => "close / leave",
            Action::Search => "search prompts (as you type)",
            Action::SearchNext => "next search match",
            Action::SearchPrev => "previous search match",
            Action::OpenImage => "open the image with the system viewer",
            Action::SaveImage => "save a copy of the image (a PNG carries its prompt inside)",
            Action::CopyPath => "copy the image's path (OSC 52, works over SSH)",
            Action::Label => "label the turn (shown in the tree)",
            Action::TreeNarrower => "narrower tree pane",
            Action::TreeWider => "wider tree pane",
            Action::Fold => "fold / unfold the subtree",
            Action::Gallery => "gallery of the turn's variants",
            Action::Compare => "mark an image; again on another compares them",
            Action::Complete => "complete the path",
            Action::Step => "next turn",
            Action::StepBack => "previous turn",
            Action::PlayPause => "play / pause",
            Action::Faster => "faster (fewer seconds per turn)",
            Action::Slower => "slower (more seconds per turn)",
            Action::NewConversation => "start a new conversation (asks its name)",
        }
    }
}

/// What the outside world reports to the loop.
#[derive(Debug, Clone)]
pub enum Event {
    /// A key the loop maps through the keymap for the current context.
    Key(KeyEvent),
    /// Bracketed paste: goes to whatever text input has focus.
    Paste(String),
    Resize(u16, u16),
    /// Sent every 100 ms only while something animates.
    Tick,
    /// Boxed: a report is large and most messages are keys.
    TurnFinished(Box<TurnReport>),
    /// A thumbnail decoded and scaled for `cols`×`rows` cells. Dropped when
    /// the view wants another size by now.
    ThumbnailReady {
        /// The image's file name, `<sha256>.<ext>`.
        file_name: String,
        cols: u16,
        rows: u16,
        thumb: Result<Arc<Thumb>, String>,
    },
    /// A sixel or iTerm2 picture encoded off the UI loop (or why not).
    PictureEncoded {
        key: super::graphics::encoded::PictureKey,
        text: Result<Arc<str>, String>,
    },
    /// A reference image the user attached, imported into the store.
    AttachmentReady {
        source: String,
        result: Result<Box<ImageRef>, String>,
        /// The paste it came from, when a pasted path was taken for an
        /// image (put in as text if it was not one).
        pasted: Option<String>,
    },
    /// What `Effect::CheckRerun` found: the first reference missing, as
    /// the line to show, or `None` when every one is there.
    RerunChecked {
        from: NodeId,
        missing: Option<String>,
    },
    /// A turn's picture arrived (billed): where it is, to record and save
    /// before it is downloaded and stored.
    ResultReceived {
        node: NodeId,
        received: Box<Received>,
        request_id: Option<String>,
    },
    /// A try at storing an `unstored` turn's picture came to this;
    /// `received` as updated by it (the content's hash once known).
    StoreFinished {
        node: NodeId,
        received: Box<Received>,
        kept: Kept,
    },
    /// Saving the conversation failed (disk full, permissions).
    SaveFailed(String),
    /// A save succeeded (every one says so; the status line only after
    /// one had failed).
    Saved,
    /// The terminal writer sent everything it held after the loop held
    /// back a frame (`tui::output`): the loop draws now.
    OutputDrained,
    /// SIGTERM or SIGHUP: save and leave.
    Terminate(&'static str),
    /// What an effect that does not touch the tree came to (opening,
    /// saving or copying an image): a line for the status bar.
    Notice(Result<String, String>),
    /// Directory entries for completing `input` (names, `/` after
    /// folders). Dropped when the input has changed since.
    Completions {
        input: String,
        result: Result<Vec<String>, String>,
    },
}

/// One message on the loop's channel.
#[derive(Debug, Clone)]
pub enum Msg {
    Action(Action),
    Event(Event),
}

impl From<Action> for Msg {
    fn from(a: Action) -> Self {
        Msg::Action(a)
    }
}

impl From<Event> for Msg {
    fn from(e: Event) -> Self {
        Msg::Event(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_kebab_case_and_round_trip() {
        for &a in Action::ALL {
            let name = a.name();
            assert!(
                !name.is_empty() && name.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
                "{name}"
            );
            let back: Action = serde_json::from_value(serde_json::Value::String(name)).unwrap();
            assert_eq!(back, a);
        }
        assert_eq!(Action::RetryLowerTier.name(), "retry-lower-tier");
    }
}
