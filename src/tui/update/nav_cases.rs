//! The action table's cases for moving, focus, dialogs and quitting
//! (run with every other case by `tests::every_action_as_data`).

use super::tests::{Expect, acts};
use super::*;
use crate::tui::fixtures::{branched, branched_at, empty, in_flight, n};

use Action as A;
use Effect as E;

pub(super) fn cases() -> Vec<(&'static str, App, Vec<Msg>, Expect)> {
    vec![
        (
            "move-down follows the remembered child",
            branched_at(1),
            acts(&[A::MoveDown]),
            Expect {
                selected: Some(2),
                ..Expect::default()
            },
        ),
        (
            "move-up",
            branched(),
            acts(&[A::MoveUp]),
            Expect {
                selected: Some(4),
                ..Expect::default()
            },
        ),
        (
            "prev-sibling",
            branched_at(3),
            acts(&[A::PrevSibling]),
            Expect {
                selected: Some(2),
                ..Expect::default()
            },
        ),
        (
            "next-sibling",
            branched_at(2),
            acts(&[A::NextSibling]),
            Expect {
                selected: Some(3),
                ..Expect::default()
            },
        ),
        (
            "next-sibling at the end stays",
            branched_at(3),
            acts(&[A::NextSibling]),
            Expect {
                selected: Some(3),
                ..Expect::default()
            },
        ),
        (
            "first",
            branched(),
            acts(&[A::First]),
            Expect {
                selected: Some(1),
                ..Expect::default()
            },
        ),
        (
            "last",
            branched_at(1),
            acts(&[A::Last]),
            Expect {
                selected: Some(5),
                ..Expect::default()
            },
        ),
        (
            "move-right without an overlay is next-sibling",
            branched_at(1),
            acts(&[A::MoveRight]),
            Expect {
                selected: Some(6),
                ..Expect::default()
            },
        ),
        (
            "move-left without an overlay is prev-sibling",
            branched_at(6),
            acts(&[A::MoveLeft]),
            Expect {
                selected: Some(1),
                ..Expect::default()
            },
        ),
        (
            "cycle-focus",
            branched(),
            acts(&[A::CycleFocus]),
            Expect {
                selected: Some(5),
                focus: Focus::Transcript,
                ..Expect::default()
            },
        ),
        (
            "help",
            branched(),
            acts(&[A::Help]),
            Expect {
                selected: Some(5),
                overlay: Overlay::Help { scroll: 0 },
                ..Expect::default()
            },
        ),
        (
            "help scrolls",
            branched(),
            acts(&[A::Help, A::MoveDown, A::MoveDown, A::MoveUp]),
            Expect {
                selected: Some(5),
                overlay: Overlay::Help { scroll: 1 },
                ..Expect::default()
            },
        ),
        (
            "help toggles",
            branched(),
            acts(&[A::Help, A::Help]),
            Expect {
                selected: Some(5),
                ..Expect::default()
            },
        ),
        (
            "info",
            branched(),
            acts(&[A::Info]),
            Expect {
                selected: Some(5),
                overlay: Overlay::NodeInfo {
                    id: n(5),
                    scroll: 0,
                },
                ..Expect::default()
            },
        ),
        (
            // Before a frame the room is unknown: a page is a row.
            "info scrolls by pages",
            branched(),
            acts(&[A::Info, A::PageDown, A::PageDown, A::PageUp]),
            Expect {
                selected: Some(5),
                overlay: Overlay::NodeInfo {
                    id: n(5),
                    scroll: 1,
                },
                ..Expect::default()
            },
        ),
        (
            "page keys outside a dialog do nothing",
            branched(),
            acts(&[A::PageDown, A::PageUp]),
            Expect {
                selected: Some(5),
                ..Expect::default()
            },
        ),
        (
            "error-detail",
            branched_at(7),
            acts(&[A::ErrorDetail]),
            Expect {
                selected: Some(7),
                overlay: Overlay::ErrorDetail {
                    id: n(7),
                    scroll: 0,
                },
                ..Expect::default()
            },
        ),
        (
            "error-detail of a done turn",
            branched(),
            acts(&[A::ErrorDetail]),
            Expect {
                selected: Some(5),
                status: Some("no error"),
                ..Expect::default()
            },
        ),
        (
            "view-image",
            branched(),
            acts(&[A::ViewImage]),
            Expect {
                selected: Some(5),
                overlay: Overlay::ImageView(n(5)),
                ..Expect::default()
            },
        ),
        (
            "view-image without one",
            branched_at(7),
            acts(&[A::ViewImage]),
            Expect {
                selected: Some(7),
                status: Some("no image"),
                ..Expect::default()
            },
        ),
        (
            "toggle-tree moves focus off it",
            branched(),
            acts(&[A::ToggleTree]),
            Expect {
                selected: Some(5),
                focus: Focus::Transcript,
                ..Expect::default()
            },
        ),
        (
            "quit when idle",
            branched(),
            acts(&[A::Quit]),
            Expect {
                selected: Some(5),
                effects: vec![E::Save, E::Quit],
                ..Expect::default()
            },
        ),
        (
            "quit asks while requests run",
            in_flight(),
            acts(&[A::Quit]),
            Expect {
                selected: Some(8),
                overlay: Overlay::ConfirmQuit,
                ..Expect::default()
            },
        ),
        (
            "quit confirmed leaves the request interrupted",
            in_flight(),
            acts(&[A::Quit, A::Confirm]),
            Expect {
                selected: Some(8),
                effects: vec![E::Save, E::Quit],
                in_flight: Some(vec![]),
                ..Expect::default()
            },
        ),
        (
            "store-result with every picture on disk says so",
            branched(),
            acts(&[A::StoreResult]),
            Expect {
                selected: Some(5),
                status: Some("nothing to store"),
                ..Expect::default()
            },
        ),
        (
            "new-conversation is the start screen's; the app ignores it",
            branched(),
            acts(&[A::NewConversation]),
            Expect {
                selected: Some(5),
                ..Expect::default()
            },
        ),
        (
            "confirm with nothing open does nothing",
            branched(),
            acts(&[A::Confirm]),
            Expect {
                selected: Some(5),
                ..Expect::default()
            },
        ),
        (
            "dismiss leaves the composer",
            branched(),
            acts(&[A::Compose, A::Dismiss]),
            Expect {
                selected: Some(5),
                ..Expect::default()
            },
        ),
        (
            "move-down on an empty tree does nothing",
            empty(),
            acts(&[A::MoveDown, A::First, A::Last]),
            Expect::default(),
        ),
    ]
}
