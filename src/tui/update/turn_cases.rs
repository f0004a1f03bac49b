//! The action table's cases that write: compose, send, edit, variants,
//! attachments, pickers, star, delete, cancel, retry (run with every other
//! case by `tests::every_action_as_data`).

use super::tests::{Expect, acts, key, typed};
use super::*;
use crate::tui::fixtures::{branched, branched_at, in_flight, n};
use crate::tui::state::rerun::RerunQuestion;

use Action as A;
use Effect as E;

pub(super) fn cases() -> Vec<(&'static str, App, Vec<Msg>, Expect)> {
    let size_cursor_16_9_2k = SizeCursor { row: 9, col: 1 };
    vec![
        (
            "compose",
            branched(),
            acts(&[A::Compose]),
            Expect {
                selected: Some(5),
                focus: Focus::Composer,
                ..Expect::default()
            },
        ),
        (
            "send continues the branch: user turn + pending turn, saved first",
            branched(),
            [acts(&[A::Compose]), typed("add a moon"), acts(&[A::Send])].concat(),
            Expect {
                selected: Some(9),
                focus: Focus::Composer,
                effects: vec![E::Save, E::StartTurn(n(9))],
                nodes: Some(9),
                in_flight: Some(vec![9]),
                ..Expect::default()
            },
        ),
        (
            "send with nothing written says so",
            branched(),
            acts(&[A::Compose, A::Send]),
            Expect {
                selected: Some(5),
                focus: Focus::Composer,
                nodes: Some(7),
                status: Some("write a prompt"),
                ..Expect::default()
            },
        ),
        (
            "newline",
            branched(),
            [
                acts(&[A::Compose]),
                typed("a"),
                acts(&[A::Newline]),
                typed("b"),
            ]
            .concat(),
            Expect {
                selected: Some(5),
                focus: Focus::Composer,
                ..Expect::default()
            },
        ),
        (
            "edit loads the prompt of the selected image's turn",
            branched(),
            acts(&[A::Edit]),
            Expect {
                selected: Some(5),
                focus: Focus::Composer,
                status: Some("editing n4"),
                ..Expect::default()
            },
        ),
        (
            "edit then send makes a sibling of the original",
            branched(),
            [acts(&[A::Edit]), typed("!"), acts(&[A::Send])].concat(),
            Expect {
                selected: Some(9),
                focus: Focus::Composer,
                effects: vec![E::Save, E::StartTurn(n(9))],
                nodes: Some(9),
                ..Expect::default()
            },
        ),
        (
            "regenerate: a pending sibling",
            branched(),
            acts(&[A::Regenerate]),
            Expect {
                selected: Some(8),
                effects: vec![E::Save, E::StartTurn(n(8))],
                nodes: Some(8),
                in_flight: Some(vec![8]),
                ..Expect::default()
            },
        ),
        (
            "re-run from here asks what to change first",
            branched_at(4),
            acts(&[A::Rerun]),
            Expect {
                selected: Some(4),
                overlay: Overlay::ConfirmRerun(RerunQuestion::new(n(4))),
                ..Expect::default()
            },
        ),
        (
            "refine sets the composer to branch from the image",
            branched(),
            acts(&[A::Refine]),
            Expect {
                selected: Some(5),
                focus: Focus::Composer,
                status: Some("refining n5"),
                ..Expect::default()
            },
        ),
        (
            "refine needs a finished image",
            branched_at(7),
            acts(&[A::Refine]),
            Expect {
                selected: Some(7),
                status: Some("finished image"),
                ..Expect::default()
            },
        ),
        (
            "variants asks how many",
            branched(),
            acts(&[A::Variants]),
            Expect {
                selected: Some(5),
                overlay: Overlay::Variants {
                    user: n(4),
                    count: 3,
                },
                ..Expect::default()
            },
        ),
        (
            "variants: a digit starts that many",
            branched(),
            [acts(&[A::Variants]), vec![key('2')]].concat(),
            Expect {
                selected: Some(8),
                effects: vec![E::Save, E::StartTurn(n(8)), E::StartTurn(n(9))],
                in_flight: Some(vec![8, 9]),
                ..Expect::default()
            },
        ),
        (
            "attach: a path, then an import",
            branched(),
            [acts(&[A::Attach]), typed("~/ref.png"), acts(&[A::Confirm])].concat(),
            Expect {
                selected: Some(5),
                focus: Focus::Composer,
                effects: vec![E::ImportAttachment {
                    source: "~/ref.png".to_owned(),
                    pasted: None,
                }],
                ..Expect::default()
            },
        ),
        (
            "detach with nothing attached says so",
            branched(),
            acts(&[A::Compose, A::Detach]),
            Expect {
                selected: Some(5),
                focus: Focus::Composer,
                status: Some("nothing attached to remove"),
                ..Expect::default()
            },
        ),
        (
            "new-root: Enter will start a new conversation root",
            branched(),
            acts(&[A::Compose, A::NewRoot]),
            Expect {
                selected: Some(5),
                focus: Focus::Composer,
                status: Some("now sending: new conversation root"),
                ..Expect::default()
            },
        ),
        (
            "size-picker opens at the current size",
            branched(),
            acts(&[A::SizePicker]),
            Expect {
                selected: Some(5),
                overlay: Overlay::SizePicker {
                    cursor: size_cursor_16_9_2k,
                },
                ..Expect::default()
            },
        ),
        (
            "size-picker: right then confirm picks 4K, saved with the conversation",
            branched(),
            acts(&[A::SizePicker, A::MoveRight, A::Confirm]),
            Expect {
                selected: Some(5),
                effects: vec![E::Save],
                status: Some("3840x2160"),
                ..Expect::default()
            },
        ),
        (
            "size-picker: up to the top is auto",
            branched(),
            [
                acts(&[A::SizePicker]),
                acts(&[A::MoveUp; 12]),
                acts(&[A::MoveLeft, A::Confirm]),
            ]
            .concat(),
            Expect {
                selected: Some(5),
                effects: vec![E::Save],
                status: Some("size auto"),
                ..Expect::default()
            },
        ),
        (
            "model-picker: down picks the images endpoint, saved with the conversation",
            branched(),
            acts(&[A::ModelPicker, A::MoveDown, A::Confirm]),
            Expect {
                selected: Some(5),
                effects: vec![E::Save],
                status: Some("via images"),
                ..Expect::default()
            },
        ),
        (
            "star saves",
            branched(),
            acts(&[A::Star]),
            Expect {
                selected: Some(5),
                effects: vec![E::Save],
                status: Some("starred n5"),
                ..Expect::default()
            },
        ),
        (
            "delete asks first",
            branched_at(4),
            acts(&[A::Delete]),
            Expect {
                selected: Some(4),
                overlay: Overlay::ConfirmDelete(n(4)),
                ..Expect::default()
            },
        ),
        (
            "delete confirmed removes the branch and selects the parent",
            branched_at(4),
            acts(&[A::Delete, A::Confirm]),
            Expect {
                selected: Some(2),
                // n5's picture, which no other turn shows, goes after the save.
                effects: vec![
                    E::Save,
                    E::DropImages(crate::convfile::orphans::Orphans {
                        blobs: vec![crate::tui::fixtures::image("cc", 2048, 1152).original],
                    }),
                ],
                nodes: Some(5),
                status: Some(
                    "deleted n4 and the turn below it, and 1 image (0.0 MB) no other turn used",
                ),
                ..Expect::default()
            },
        ),
        (
            "delete dismissed keeps everything",
            branched_at(4),
            acts(&[A::Delete, A::Dismiss]),
            Expect {
                selected: Some(4),
                nodes: Some(7),
                ..Expect::default()
            },
        ),
        (
            "delete of a running request cancels it",
            in_flight(),
            acts(&[A::Delete, A::Confirm]),
            Expect {
                selected: Some(5),
                effects: vec![E::CancelTurn(n(8)), E::Save],
                in_flight: Some(vec![]),
                ..Expect::default()
            },
        ),
        (
            "cancel the selected request, once the user says yes",
            in_flight(),
            acts(&[A::Cancel, A::Confirm]),
            Expect {
                selected: Some(8),
                effects: vec![E::CancelTurn(n(8)), E::Save],
                in_flight: Some(vec![]),
                status: Some("cancelled n8"),
                ..Expect::default()
            },
        ),
        (
            "cancel with nothing running clears the status",
            branched(),
            acts(&[A::Cancel]),
            Expect {
                selected: Some(5),
                ..Expect::default()
            },
        ),
        (
            "retry a failed turn in place",
            branched_at(7),
            acts(&[A::Retry]),
            Expect {
                selected: Some(7),
                effects: vec![E::Save, E::StartTurn(n(7))],
                in_flight: Some(vec![7]),
                nodes: Some(7),
                ..Expect::default()
            },
        ),
        (
            "retry a done turn points at regenerate",
            branched(),
            acts(&[A::Retry]),
            Expect {
                selected: Some(5),
                status: Some("press r"),
                ..Expect::default()
            },
        ),
        (
            "retry-lower-tier: 4K becomes 2K",
            branched_at(7),
            acts(&[A::RetryLowerTier]),
            Expect {
                selected: Some(7),
                effects: vec![E::Save, E::StartTurn(n(7))],
                in_flight: Some(vec![7]),
                ..Expect::default()
            },
        ),
        (
            "retry from the error view retries what it shows",
            branched_at(7),
            acts(&[A::ErrorDetail, A::Retry]),
            Expect {
                selected: Some(7),
                effects: vec![E::Save, E::StartTurn(n(7))],
                ..Expect::default()
            },
        ),
    ]
}
