//! `update` as data: a start state, messages, then the effects and the
//! parts of the state that matter. The table covers every action.

use std::collections::BTreeSet;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::*;
use crate::tui::fixtures::{branched, branched_at, empty, in_flight, n};

use Action as A;
use Effect as E;

pub(super) fn key(c: char) -> Msg {
    Msg::Event(Event::Key(KeyEvent::new(
        KeyCode::Char(c),
        KeyModifiers::NONE,
    )))
}

pub(super) fn typed(s: &str) -> Vec<Msg> {
    s.chars().map(key).collect()
}

pub(super) fn run(app: &mut App, msgs: impl IntoIterator<Item = Msg>) -> Vec<Effect> {
    msgs.into_iter().flat_map(|m| update(app, m)).collect()
}

/// What a case expects; `None` fields are not checked.
#[derive(Debug, Clone)]
pub(super) struct Expect {
    pub selected: Option<u32>,
    pub focus: Focus,
    pub overlay: Overlay,
    pub effects: Vec<Effect>,
    pub nodes: Option<usize>,
    pub in_flight: Option<Vec<u32>>,
    /// A piece of the status line.
    pub status: Option<&'static str>,
}

impl Default for Expect {
    fn default() -> Self {
        Expect {
            selected: None,
            focus: Focus::Tree,
            overlay: Overlay::None,
            effects: Vec::new(),
            nodes: None,
            in_flight: None,
            status: None,
        }
    }
}

pub(super) fn acts(a: &[Action]) -> Vec<Msg> {
    a.iter().map(|&a| Msg::Action(a)).collect()
}

#[test]
fn every_action_as_data() {
    let size_cursor_16_9_2k = SizeCursor { row: 9, col: 1 };
    let cases: Vec<(&str, App, Vec<Msg>, Expect)> = vec![
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
    ];

    let mut cases = cases;
    cases.extend(super::tool_tests::cases());
    let mut covered = BTreeSet::new();
    for (name, mut app, msgs, want) in cases {
        for m in &msgs {
            if let Msg::Action(a) = m {
                covered.insert(*a);
            }
        }
        let effects = run(&mut app, msgs);
        assert_eq!(effects, want.effects, "{name}: effects");
        assert_eq!(app.conv.selected, want.selected.map(n), "{name}: selected");
        assert_eq!(app.focus, want.focus, "{name}: focus");
        assert_eq!(app.overlay, want.overlay, "{name}: overlay");
        if let Some(len) = want.nodes {
            assert_eq!(app.conv.len(), len, "{name}: nodes");
        }
        if let Some(ids) = want.in_flight {
            assert_eq!(
                app.in_flight.keys().map(|k| k.0).collect::<Vec<_>>(),
                ids,
                "{name}: in flight"
            );
        }
        if let Some(piece) = want.status {
            let status = app
                .status
                .as_ref()
                .map(|s| s.text.clone())
                .unwrap_or_default();
            assert!(
                status.contains(piece),
                "{name}: status {status:?} lacks {piece:?}"
            );
        }
        assert_eq!(app.conv.check(), Ok(()), "{name}: tree invariants");
    }
    let missing: Vec<_> = Action::ALL
        .iter()
        .filter(|a| !covered.contains(a))
        .collect();
    assert!(missing.is_empty(), "actions without a case: {missing:?}");
}
